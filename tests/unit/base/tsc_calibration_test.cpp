// common/base/tsc_calibration.hpp against a fake clock pair: a TSC counting at a
// known rate (not the nominal one), reads with brackets of known width, a
// TSC whose rate changes mid-test, and a TAI clock slewed against RAW.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "tsc_calibration.hpp"

using namespace ebt;

namespace {

// A fake machine: the TSC counts at `hz` ticks per second of the kernel
// clock; every read advances time by `step_ns` (so a bracket is 2 steps).
struct FakeClocks {
    long double hz = 2'445'428'527.0L;  // this testbed's real TSC rate
    uint64_t ns = 1'000'000'000'000ull;
    uint64_t step_ns = 20;
    uint64_t tsc_at_ns(uint64_t t) const { return static_cast<uint64_t>(static_cast<long double>(t) * hz / 1e9L); }
    uint64_t read_tsc() {
        ns += step_ns;
        return tsc_at_ns(ns);
    }
    uint64_t read_ns() {
        ns += step_ns;
        return ns;
    }
    ClockPair pair(int tries = 16) {
        return read_clock_pair([this] { return read_tsc(); }, [this] { return read_ns(); }, tries);
    }
};

}  // namespace

TEST(TscCalibration, FindsTheRealRateNotTheNominal) {
    FakeClocks c;
    const ClockPair a = c.pair();
    c.ns += 100'000'000;  // 100 ms
    const TscCalibration cal = calibrate_tsc(a, c.pair());
    const double err_ppm = (static_cast<double>(cal.hz) - static_cast<double>(c.hz)) / static_cast<double>(c.hz) * 1e6;
    EXPECT_LE(std::fabs(err_ppm), cal.uncertainty_ppm) << "hz " << cal.hz;
    // Brackets of 40 ns over 100 ms: well under 1 ppm.
    EXPECT_LT(cal.uncertainty_ppm, 1.0);
    EXPECT_NEAR(cal.window_s, 0.1, 1e-5);
    // The nominal 2.45 GHz is 0.187% off, and the report says so.
    TscDriftMonitor m(cal);
    const TscClockReport r = m.report(2'450'000'000ull);
    EXPECT_NEAR(r.nominal_error_ppm, 1869.4, 1.0);
    EXPECT_EQ(r.calibrated_hz, cal.hz);
    EXPECT_EQ(r.reference, "CLOCK_MONOTONIC_RAW");
    EXPECT_TRUE(r.warning.empty());
}

TEST(TscCalibration, KeepsTheNarrowestBracket) {
    // Every other read pair is slow (a preempted read): the narrow one wins.
    int n = 0;
    uint64_t t = 1000;
    const ClockPair p = read_clock_pair(
        [&] {
            t += (++n % 4 == 1) ? 5000 : 10;
            return t;
        },
        [&] { return uint64_t{777}; }, 8);
    EXPECT_EQ(p.bracket_ticks, 10u);
    EXPECT_EQ(p.ns, 777u);
}

TEST(TscCalibration, BoundCoversTheErrorEvenWithWideBrackets) {
    for (uint64_t step : {1ull, 50ull, 5000ull}) {
        FakeClocks c;
        c.step_ns = step;
        const ClockPair a = c.pair(1);
        c.ns += 50'000'000;
        const TscCalibration cal = calibrate_tsc(a, c.pair(1));
        const double err_ppm = std::fabs(static_cast<double>(cal.hz) - static_cast<double>(c.hz)) /
                               static_cast<double>(c.hz) * 1e6;
        EXPECT_LE(err_ppm, cal.uncertainty_ppm) << "step " << step;
    }
}

TEST(TscCalibration, RefusesReadingsThatDoNotAdvance) {
    const ClockPair a{100, 100, 1};
    EXPECT_THROW(calibrate_tsc(a, a), std::invalid_argument);
    EXPECT_THROW(calibrate_tsc(a, ClockPair{200, 50, 1}), std::invalid_argument);
    int calls = 0;
    EXPECT_THROW(read_clock_pair([&] { return uint64_t(100 - calls++); }, [] { return uint64_t{1}; }, 4),
                 std::runtime_error);
}

TEST(TscDrift, StaysAtZeroForASteadyTscAndSeesARateChange) {
    FakeClocks c;
    const ClockPair a = c.pair();
    c.ns += 100'000'000;
    const TscCalibration cal = calibrate_tsc(a, c.pair());
    TscDriftMonitor m(cal);
    for (int s = 1; s <= 10; ++s) {
        c.ns += 1'000'000'000;
        const double d = m.check(c.pair(), c.ns + 37);
        EXPECT_LT(std::fabs(d), 0.1) << "second " << s;
    }
    EXPECT_FALSE(m.over_threshold());
    // The TSC now counts 0.05% fast against the kernel clock: the drift
    // check sees it grow, and past 0.01% the report warns.
    const ClockPair before = c.pair();
    const uint64_t ns0 = c.ns;
    const long double hz0 = c.hz;
    FakeClocks fast = c;
    fast.hz = hz0 * 1.0005L;
    // Keep the TSC continuous at the switch.
    const long double offset = static_cast<long double>(before.tsc) - static_cast<long double>(ns0) * fast.hz / 1e9L;
    uint64_t t = ns0;
    auto fast_pair = [&] {
        return read_clock_pair(
            [&] {
                t += 20;
                return static_cast<uint64_t>(static_cast<long double>(t) * fast.hz / 1e9L + offset);
            },
            [&] {
                t += 20;
                return t;
            });
    };
    for (int s = 1; s <= 10; ++s) {
        t += 1'000'000'000;
        m.check(fast_pair(), t);
    }
    EXPECT_GT(m.last_ppm(), 100.0);
    EXPECT_TRUE(m.over_threshold());
    const TscClockReport r = m.report(2'450'000'000ull);
    EXPECT_EQ(r.drift_checks, 20u);
    EXPECT_GT(r.drift_ppm_max_abs, 100.0);
    EXPECT_FALSE(r.warning.empty());
    EXPECT_DOUBLE_EQ(r.drift_warn_ppm, TscDriftMonitor::kWarnPpm);
}

TEST(TscDrift, MeasuresTaiAgainstRaw) {
    FakeClocks c;
    const ClockPair a = c.pair();
    c.ns += 100'000'000;
    TscDriftMonitor m(calibrate_tsc(a, c.pair()));
    EXPECT_FALSE(m.report(1).tai_vs_raw_ppm.has_value());  // no checks yet
    const uint64_t raw0 = c.ns;
    const uint64_t tai0 = 37'000'000'000ull + raw0;
    for (int s = 0; s <= 4; ++s) {
        const ClockPair p = c.pair();
        // TAI runs 25 ppm fast of RAW (an NTP frequency correction).
        const auto tai = static_cast<uint64_t>(static_cast<long double>(tai0) +
                                               static_cast<long double>(p.ns - raw0) * (1 + 25e-6L));
        m.check(p, tai);
        c.ns += 1'000'000'000;
    }
    const auto r = m.report(1);
    ASSERT_TRUE(r.tai_vs_raw_ppm.has_value());
    EXPECT_NEAR(*r.tai_vs_raw_ppm, 25.0, 0.01);
}
