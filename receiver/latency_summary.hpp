// Turns the merged latency histogram (struct ebt_latency, summed over CPUs)
// into the report's figures: exact min/mean/max, bucketed percentiles with
// their error bound, and the non-empty buckets.  Used by both receive modes.
#pragma once

#include <cstdint>

#include <linux/types.h>

#include "ebpf_test_shared.h"
#include "results.hpp"

namespace ebt {

// Relative error of a percentile reported as its bucket's midpoint: half a
// bucket, and a bucket is at most 1/16 of its lower edge.
inline constexpr double kLatencyPercentileErrorPct = 100.0 / (2.0 * EBT_LAT_SUB);

// Nearest-rank percentile q (0 < q <= 1) of the histogram: the midpoint of
// the bucket holding sample ceil(q * count), clamped to [min_ns, max_ns]
// (the extremes are known exactly).  count must be > 0.
uint64_t latency_percentile(const ebt_latency& l, double q);

// clock_offset_ns was subtracted in the program; the uncertainty is stated
// as text ("unknown (no clock sync yet)" until the clock sync exists).
LatencyReport summarize_latency(const ebt_latency& l, int64_t clock_offset_ns,
                                const std::string& offset_uncertainty);

}  // namespace ebt
