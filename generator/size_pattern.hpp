// The deterministic frame-size sequence of a size mix: smooth weighted round
// robin (as nginx balances upstreams), so that every window of sum(weights)
// frames holds each size exactly `weight` times and sizes interleave as
// evenly as the weights allow (7:4:1 gives 0 1 0 0 1 0 2 0 1 0 1 0, not
// seven 60s in a row).  Pure and header-only.
#pragma once

#include <cstdint>
#include <vector>

#include "config.hpp"

namespace ebt {

// Indices into `mix`, one period long (sum of the weights).
inline std::vector<uint16_t> size_pattern(const std::vector<SizeWeight>& mix) {
    int64_t total = 0;
    for (const auto& m : mix) total += m.weight;
    std::vector<int64_t> current(mix.size(), 0);
    std::vector<uint16_t> out;
    out.reserve(static_cast<size_t>(total));
    for (int64_t k = 0; k < total; ++k) {
        size_t pick = 0;
        for (size_t i = 0; i < mix.size(); ++i) {
            current[i] += mix[i].weight;
            if (current[i] > current[pick]) pick = i;
        }
        current[pick] -= total;
        out.push_back(static_cast<uint16_t>(pick));
    }
    return out;
}

}  // namespace ebt
