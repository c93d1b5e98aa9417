// The TSC's real frequency, measured against the kernel's clock, and the
// check that it stays right during a test.  Pure (no DPDK): the clocks are
// passed in, so the unit tests drive it with a fake clock pair.
//
// Why: DPDK's rte_get_tsc_hz() is the CPU's nominal (P0) frequency where the
// CPU reports one, and a TSC need not count at that rate (a VM's "TSC
// doesn't count with P0 frequency"): 0.19% off on our testbed, which made
// one-way latency grow by 1.9 ms per second of test and every rate wrong by
// as much.  Everything dpdk-gen derives from the TSC (pacing, the packets'
// TX time, elapsed times, rates, the pacing histogram, round trips) uses the
// calibrated frequency instead.
//
// Method: a reading is one kernel-clock read bracketed by two TSC reads; of
// several tries the one with the narrowest bracket is kept, its TSC taken at
// the bracket's midpoint (so it is off by at most half the bracket).  Two
// readings at least `min_window_ns` apart give hz = dTSC / dns; its relative
// error is bounded by the two half-brackets over dTSC plus the clock's 1 ns
// resolution at both ends over dns.  CLOCK_MONOTONIC_RAW is the reference:
// the kernel's clock without NTP's slewing.  CLOCK_TAI (the receiver's
// arrival clock) runs at MONOTONIC_RAW's rate times NTP's frequency
// correction; that difference is measured during the test too
// (tai_vs_raw_ppm), since it alone would still drift one-way latency.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace ebt {

// One TSC reading paired with one kernel clock reading.
struct ClockPair {
    uint64_t tsc = 0;           // midpoint of the bracket
    uint64_t ns = 0;            // the kernel clock
    uint64_t bracket_ticks = 0; // TSC after - TSC before the kernel read
};

// The narrowest of `tries` brackets: read_tsc(), read_ns(), read_tsc().
template <class ReadTsc, class ReadNs>
ClockPair read_clock_pair(ReadTsc&& read_tsc, ReadNs&& read_ns, int tries = 16) {
    ClockPair best{};
    bool have = false;
    for (int i = 0; i < tries; ++i) {
        const uint64_t a = read_tsc();
        const uint64_t ns = read_ns();
        const uint64_t b = read_tsc();
        if (b < a) continue;  // a TSC that went backwards: not a reading
        const uint64_t w = b - a;
        if (!have || w < best.bracket_ticks) {
            best = {a + w / 2, ns, w};
            have = true;
        }
    }
    if (!have) throw std::runtime_error("TSC calibration: the TSC never advanced across a clock read");
    return best;
}

struct TscCalibration {
    uint64_t hz = 0;               // measured TSC ticks per second
    double uncertainty_ppm = 0;    // +- bound of hz (bracketing and clock resolution)
    double window_s = 0;           // between the two readings
    ClockPair reference;           // the later reading: drift checks count from here
};

// hz from two readings of the same clocks (b after a).  Throws
// std::invalid_argument when they do not advance.
inline TscCalibration calibrate_tsc(const ClockPair& a, const ClockPair& b) {
    if (b.tsc <= a.tsc || b.ns <= a.ns)
        throw std::invalid_argument("TSC calibration: readings do not advance");
    const uint64_t dt = b.tsc - a.tsc, dns = b.ns - a.ns;
    TscCalibration c;
    c.hz = static_cast<uint64_t>((static_cast<unsigned __int128>(dt) * 1000000000u + dns / 2) / dns);
    if (c.hz == 0) throw std::invalid_argument("TSC calibration: under 1 tick per second");
    const double half_brackets = (static_cast<double>(a.bracket_ticks) + static_cast<double>(b.bracket_ticks)) / 2.0;
    c.uncertainty_ppm = (half_brackets / static_cast<double>(dt) + 2.0 / static_cast<double>(dns)) * 1e6;
    c.window_s = static_cast<double>(dns) / 1e9;
    c.reference = b;
    return c;
}

// TSC-derived elapsed time minus the kernel clock's, relative to the
// kernel's, in ppm, from the calibration's reference to `now` (positive:
// the calibrated TSC runs fast).  0 when no time has passed.
inline double tsc_drift_ppm(const TscCalibration& c, const ClockPair& now) {
    if (now.ns <= c.reference.ns || c.hz == 0) return 0;
    const double kernel_ns = static_cast<double>(now.ns - c.reference.ns);
    const double tsc_ns =
        (static_cast<double>(now.tsc) - static_cast<double>(c.reference.tsc)) * 1e9 / static_cast<double>(c.hz);
    return (tsc_ns - kernel_ns) / kernel_ns * 1e6;
}

// What results.json reports (generator.tsc_clock).
struct TscClockReport {
    uint64_t nominal_hz = 0;           // rte_get_tsc_hz(): what DPDK assumed
    uint64_t calibrated_hz = 0;        // measured; used for everything
    double calibration_uncertainty_ppm = 0;
    double calibration_window_s = 0;
    double nominal_error_ppm = 0;      // (nominal - calibrated) / calibrated
    std::string reference = "CLOCK_MONOTONIC_RAW";
    std::string method;
    // The check at every sample during the test.
    uint64_t drift_checks = 0;
    double drift_ppm_last = 0;         // at the last check (the end of the test)
    double drift_ppm_max_abs = 0;      // the largest |drift| seen
    double drift_warn_ppm = 0;         // the threshold (0.01% = 100 ppm)
    // CLOCK_TAI's rate against CLOCK_MONOTONIC_RAW over the test (NTP's
    // frequency correction): one-way latency drifts by this much too.
    std::optional<double> tai_vs_raw_ppm;
    std::string warning;               // "" when the drift stayed under the threshold
};

// Keeps the drift checks of one test.
class TscDriftMonitor {
public:
    static constexpr double kWarnPpm = 100.0;  // 0.01%

    explicit TscDriftMonitor(const TscCalibration& c) : cal_(c) {}

    // One check: `raw` is a reading against CLOCK_MONOTONIC_RAW; `tai_ns`
    // the CLOCK_TAI time read right after it.  Returns the drift in ppm.
    double check(const ClockPair& raw, uint64_t tai_ns) {
        const double d = tsc_drift_ppm(cal_, raw);
        ++checks_;
        last_ = d;
        if (std::fabs(d) > std::fabs(max_abs_)) max_abs_ = d;
        if (!first_) first_ = Point{raw.ns, tai_ns};
        latest_ = Point{raw.ns, tai_ns};
        return d;
    }
    bool over_threshold() const { return std::fabs(max_abs_) > kWarnPpm; }
    double last_ppm() const { return last_; }
    uint64_t checks() const { return checks_; }

    TscClockReport report(uint64_t nominal_hz) const {
        TscClockReport r;
        r.nominal_hz = nominal_hz;
        r.calibrated_hz = cal_.hz;
        r.calibration_uncertainty_ppm = cal_.uncertainty_ppm;
        r.calibration_window_s = cal_.window_s;
        r.nominal_error_ppm =
            (static_cast<double>(nominal_hz) - static_cast<double>(cal_.hz)) / static_cast<double>(cal_.hz) * 1e6;
        r.method = "TSC against CLOCK_MONOTONIC_RAW: two readings " + std::to_string(cal_.window_s) +
                   " s apart, each a clock read bracketed by two TSC reads (narrowest of 16); hz = dTSC/dns. "
                   "Checked at every sample: TSC-derived elapsed time minus CLOCK_MONOTONIC_RAW's, relative";
        r.drift_checks = checks_;
        r.drift_ppm_last = last_;
        r.drift_ppm_max_abs = std::fabs(max_abs_);
        r.drift_warn_ppm = kWarnPpm;
        if (first_ && latest_ && latest_->raw_ns > first_->raw_ns + 500000000u) {
            const double draw = static_cast<double>(latest_->raw_ns - first_->raw_ns);
            const double dtai = static_cast<double>(latest_->tai_ns) - static_cast<double>(first_->tai_ns);
            r.tai_vs_raw_ppm = (dtai - draw) / draw * 1e6;
        }
        if (over_threshold())
            r.warning = "the calibrated TSC drifted " + std::to_string(max_abs_) +
                        " ppm from CLOCK_MONOTONIC_RAW (threshold " + std::to_string(kWarnPpm) +
                        " ppm): rates, pacing and one-way latency carry that error";
        return r;
    }

private:
    struct Point {
        uint64_t raw_ns, tai_ns;
    };
    TscCalibration cal_;
    uint64_t checks_ = 0;
    double last_ = 0, max_abs_ = 0;
    std::optional<Point> first_, latest_;
};

}  // namespace ebt
