#include "tsc_clock.hpp"

#include <ctime>
#include <thread>

#include <rte_cycles.h>

namespace ebt {

namespace {
constexpr auto kMinWindow = std::chrono::milliseconds(100);
constexpr auto kMaxWindow = std::chrono::seconds(1);
constexpr double kTargetPpm = 1.0;
}  // namespace

uint64_t clock_now_ns(int clock_id) {
    timespec ts{};
    clock_gettime(static_cast<clockid_t>(clock_id), &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

ClockPair read_tsc_raw_pair() {
    return read_clock_pair([] { return rte_rdtsc_precise(); }, [] { return clock_now_ns(CLOCK_MONOTONIC_RAW); });
}

ClockPair read_tsc_tai_pair() {
    return read_clock_pair([] { return rte_rdtsc_precise(); }, [] { return clock_now_ns(CLOCK_TAI); });
}

TscCalibration calibrate_tsc_now() {
    const ClockPair first = read_tsc_raw_pair();
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(kMinWindow);
    TscCalibration c = calibrate_tsc(first, read_tsc_raw_pair());
    // Longer windows shrink the bound (it falls as 1/window).
    while (c.uncertainty_ppm > kTargetPpm && std::chrono::steady_clock::now() - t0 < kMaxWindow) {
        std::this_thread::sleep_for(kMinWindow / 2);
        c = calibrate_tsc(first, read_tsc_raw_pair());
    }
    return c;
}

}  // namespace ebt
