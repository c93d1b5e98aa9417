// See report_detail.hpp.
#include "report_detail.hpp"

#include <algorithm>
#include <cstdio>

namespace ebt::report_detail {

std::string fmt(double v, int decimals) {
    char buf[512];  // %f of the largest double is 309 digits
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string fmt_signed(double v, int decimals) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%+.*f", decimals, v);
    return buf;
}


// The receiver's flows by id, whatever order (or gaps) the report has.
FlowIndex index_flows(const std::optional<ReceiverReport>& rx) {
    FlowIndex m;
    if (!rx) return m;
    m.reserve(rx->flows.size());
    for (const auto& f : rx->flows) m[f.flow_id] = &f;
    return m;
}

const ReceiverFlow& lookup(const FlowIndex& m, uint32_t flow_id) {
    static const ReceiverFlow kNone{};
    const auto it = m.find(flow_id);
    return it == m.end() ? kNone : *it->second;
}

// Unique packets: a duplicate arrived but is not a second delivery.
uint64_t unique_received(const ReceiverFlow& f) { return f.packets - std::min(f.packets, f.duplicates); }

}  // namespace ebt::report_detail
