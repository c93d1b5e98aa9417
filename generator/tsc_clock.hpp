// dpdk-gen's TSC clock: calibrates the TSC against CLOCK_MONOTONIC_RAW at
// start-up (common/base/tsc_calibration.hpp holds the math and why) and checks
// it against the kernel's clock at every sample of a test.  The calibrated
// frequency is the one dpdk-gen uses wherever it turns TSC ticks into time.
#pragma once

#include <cstdint>

#include "tsc_calibration.hpp"

namespace ebt {

// Reads the TSC and CLOCK_MONOTONIC_RAW until the two readings are at least
// 100 ms apart and the bound is under 1 ppm (at most 1 s: a descheduled
// vCPU widens the brackets, and the bound then says so).  Main lcore only;
// sleeps.
TscCalibration calibrate_tsc_now();

// One bracketed reading of the TSC with CLOCK_MONOTONIC_RAW (drift checks).
ClockPair read_tsc_raw_pair();
// One bracketed reading of the TSC with CLOCK_TAI: the test epoch, so the
// packets' TX time and the receiver's arrival clock share an origin.
ClockPair read_tsc_tai_pair();

uint64_t clock_now_ns(int clock_id);

}  // namespace ebt
