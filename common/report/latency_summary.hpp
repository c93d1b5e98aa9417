// Turns a merged latency histogram (struct ebt_latency) into the report's
// figures: exact min/mean/max, bucketed percentiles with their error bound,
// and the non-empty buckets.  Used by both receive modes (one-way latency)
// and by dpdk-gen's RX side (round-trip time, generator/rx_engine.hpp).
#pragma once

#include <cstdint>

#include <linux/types.h>

#include "ebpf_test_shared.h"
#include "results.hpp"

namespace ebt {

// Percentiles (nearest rank, bucket midpoint): common/wire/histogram.hpp.
// clock_offset_ns was subtracted in the program; the uncertainty is stated
// as text ("unknown (no clock sync yet)" until the clock sync exists).
// method: how the samples were taken; empty = the receiver's one-way text.
LatencyReport summarize_latency(const ebt_latency& l, int64_t clock_offset_ns,
                                const std::string& offset_uncertainty, const std::string& method = {});

}  // namespace ebt
