// See xdp_report.hpp.
#include "xdp_report.hpp"

#include <algorithm>

#include <arpa/inet.h>

#include "latency_summary.hpp"

namespace ebt {

std::string offset_uncertainty_text(int64_t uncertainty_ns) {
    if (uncertainty_ns < 0) return kOffsetUnknown;
    return "+-" + std::to_string(uncertainty_ns) + " ns (control protocol clock sync)";
}

ForeignTuple describe_tuple(const ebt_tuple& t, uint64_t packets, uint64_t bytes) {
    ForeignTuple x;
    x.ethertype = ntohs(t.ethertype);
    x.proto = t.proto;
    x.sport = ntohs(t.sport);
    x.dport = ntohs(t.dport);
    x.packets = packets;
    x.bytes = bytes;
    char buf[INET6_ADDRSTRLEN] = {};
    const int af = x.ethertype == 0x0800 ? AF_INET : x.ethertype == 0x86DD ? AF_INET6 : 0;
    if (af != 0) {
        if (inet_ntop(af, t.src, buf, sizeof(buf))) x.src = buf;
        if (inet_ntop(af, t.dst, buf, sizeof(buf))) x.dst = buf;
    }
    return x;
}

ReceiverReport report_from_counters(const CpuTotals& t, const std::vector<ebt_flow_state>& flows,
                                    bool only_active_flows) {
    ReceiverReport r;
    r.rx_packets = t.rx_packets;
    r.rx_bytes = t.rx_bytes;
    r.test_packets = t.test_packets;
    r.test_bytes = t.test_bytes;
    r.other_packets = t.other_packets;
    r.other_bytes = t.other_bytes;
    r.stale_packets = t.stale_packets;
    r.bad_flow_packets = t.bad_flow_packets;
    r.flows.reserve(only_active_flows ? 0 : flows.size());
    for (uint32_t i = 0; i < flows.size(); ++i) {
        const auto& f = flows[i];
        if (only_active_flows && f.packets == 0) continue;
        r.flows.push_back({i, f.packets, f.bytes, f.lost, f.reordered, f.duplicates, f.late});
    }
    return r;
}

ReceiverReport make_report(const XdpProgram& prog, const XdpAttachment& att, const std::string& mac,
                           bool only_active_flows) {
    const CpuTotals t = prog.read_totals();
    ReceiverReport r = report_from_counters(t, prog.read_flows(), only_active_flows);
    r.mode = "xdp";
    r.test_action = to_string(prog.config().action);
    if (prog.config().epoch_tai_ns != 0)
        r.latency = summarize_latency(prog.read_latency(), prog.config().clock_offset_ns,
                                      offset_uncertainty_text(prog.config().clock_uncertainty_ns));
    r.interface = att.ifname();
    r.mac = mac;
    r.xdp_mode = att.mode_used();
    if (prog.config().foreign_tuples > 0) {
        ForeignReport fr;
        fr.action = prog.config().foreign_drop ? "drop" : "pass";
        fr.tuple_limit = prog.config().foreign_tuples;
        for (const auto& c : prog.read_foreign()) fr.tuples.push_back(describe_tuple(c.tuple, c.packets, c.bytes));
        std::sort(fr.tuples.begin(), fr.tuples.end(),
                  [](const ForeignTuple& a, const ForeignTuple& b) { return a.packets > b.packets; });
        fr.overflow_packets = t.foreign_overflow_packets;
        fr.overflow_bytes = t.foreign_overflow_bytes;
        r.foreign = std::move(fr);
    }
    return r;
}

}  // namespace ebt
