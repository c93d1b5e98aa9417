// Pacing precision for results.json: the TX lcores' per-burst schedule
// errors (struct ebt_latency histograms, bpf/ebpf_test_shared.h) merged and
// summarised.  Pure: no DPDK.
#pragma once

#include <vector>

#include <linux/types.h>

#include "ebpf_test_shared.h"
#include "results.hpp"

namespace ebt {

// Relative error of a percentile reported as its bucket's midpoint: half a
// bucket, and a bucket is at most 1/16 of its lower edge (3.125%).
inline constexpr double kPacingPercentileErrorPct = 100.0 / (2.0 * EBT_LAT_SUB);

// Sums the lcores' histograms (min/max/count/sum merged exactly).
ebt_latency merge_pacing(const std::vector<const ebt_latency*>& parts);

// Nearest-rank percentile q (0 < q <= 1): the midpoint of the bucket holding
// sample ceil(q * count), clamped to the exact [min, max]; count must be > 0.
uint64_t pacing_percentile(const ebt_latency& h, double q);

// The report (nullopt-free: bursts == 0 gives zeros and says so in method).
PacingReport summarize_pacing(const ebt_latency& merged);

}  // namespace ebt
