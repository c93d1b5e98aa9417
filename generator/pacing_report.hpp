// Pacing precision for results.json: the TX lcores' per-burst schedule
// errors (struct ebt_latency histograms, bpf/ebpf_test_shared.h) merged and
// summarised.  Pure: no DPDK.
#pragma once

#include <optional>
#include <vector>

#include <linux/types.h>

#include "ebpf_test_shared.h"
#include "results.hpp"

namespace ebt {

// Sums the lcores' histograms (min/max/count/sum merged exactly).
ebt_latency merge_pacing(const std::vector<const ebt_latency*>& parts);

// pps, efficiency and Mbit/s at L1 and L2 of `packets` frames of `bytes`
// (without FCS) sent in elapsed_s; target_pps nullopt = rate max.
// elapsed_s <= 0 gives zero rates (and no efficiency).
RateFigures rate_figures(uint64_t packets, uint64_t bytes, double elapsed_s, std::optional<double> target_pps);

// Percentiles: common/wire/histogram.hpp.
// The report (nullopt-free: bursts == 0 gives zeros and says so in method).
PacingReport summarize_pacing(const ebt_latency& merged);

}  // namespace ebt
