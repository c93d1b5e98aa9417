// Percentiles and merging for the log-linear histogram (struct ebt_latency
// in bpf/ebpf_test_shared.h) that both the receiver's one-way latency and the
// generator's pacing error use: one definition of the arithmetic.
#pragma once

#include <cstdint>
#include <optional>

#include <linux/types.h>

#include "ebpf_test_shared.h"

namespace ebt {

// A percentile is reported as its bucket's midpoint: at most half a bucket
// (1/(2*EBT_LAT_SUB) of the value) from the true sample.
inline constexpr double kHistogramPercentileErrorPct = 100.0 / (2.0 * EBT_LAT_SUB);

// Nearest rank (the smallest rank r >= q * count), as the bucket midpoint,
// clamped to the exact min and max.  Exact buckets (width 1) and the
// open-ended last bucket report their lower edge.  0 when empty.
uint64_t histogram_percentile(const ebt_latency& h, double q);

// What a histogram says: the exact count, min, max and mean, and the
// percentiles the reports use (p50, p90, p99, p99.9; histogram_percentile).
// Everything but count is absent when the histogram is empty.  The one
// summary of the histogram: the receiver's one-way latency, the generator's
// round-trip time and its pacing error are all taken from it.
struct HistogramSummary {
    uint64_t count = 0;
    std::optional<uint64_t> min_ns, max_ns;
    std::optional<double> mean_ns;
    std::optional<uint64_t> p50_ns, p90_ns, p99_ns, p99_9_ns;
};
HistogramSummary summarize_histogram(const ebt_latency& h);

// Adds `part` into `into` (counts, sums, buckets, negatives; min and max
// kept exact).
void merge_histogram(ebt_latency& into, const ebt_latency& part);

}  // namespace ebt
