// Turns a merged latency histogram (struct ebt_latency) into the report's
// figures: exact min/mean/max, bucketed percentiles with their error bound,
// and the non-empty buckets.  Used by both receive modes (one-way latency)
// and by dpdk-gen's RX side (round-trip time, generator/rx_engine.hpp).
#pragma once

#include <cstdint>
#include <tuple>

#include <linux/types.h>

#include "ebpf_test_shared.h"
#include "histogram.hpp"
#include "results.hpp"

namespace ebt {

// The histogram's one summary (summarize_histogram) put into a report that
// carries its figures: LatencyReport (min, mean, max, p50/p90/p99/p99.9) and
// PacingReport (min, mean, max, p50/p99), with the percentiles' error
// bound.  Figures stay absent when the histogram is empty.
template <class Report>
void put_histogram_figures(Report& r, const ebt_latency& h) {
    const HistogramSummary s = summarize_histogram(h);
    r.percentile_error_bound_pct = kHistogramPercentileErrorPct;
    std::tie(r.min_ns, r.max_ns, r.mean_ns, r.p50_ns, r.p99_ns) = std::tie(s.min_ns, s.max_ns, s.mean_ns, s.p50_ns, s.p99_ns);
    if constexpr (requires { r.p90_ns; r.p99_9_ns; }) std::tie(r.p90_ns, r.p99_9_ns) = std::tie(s.p90_ns, s.p99_9_ns);
}

// Percentiles (nearest rank, bucket midpoint): common/wire/histogram.hpp.
// clock_offset_ns was subtracted in the program; the uncertainty is stated
// as text ("unknown (no clock sync yet)" until the clock sync exists).
// method: how the samples were taken; empty = the receiver's one-way text.
LatencyReport summarize_latency(const ebt_latency& l, int64_t clock_offset_ns,
                                const std::string& offset_uncertainty, const std::string& method = {});

}  // namespace ebt
