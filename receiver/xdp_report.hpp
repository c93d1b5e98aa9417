// The receiver's report from the XDP program's maps: totals, flows,
// latency, foreign tuples.  One builder for coordinated and standalone runs.
#pragma once

#include <string>
#include <vector>

#include "results.hpp"
#include "xdp_program.hpp"

namespace ebt {

// Without a clock sync the offset is not measured: 0 is used and its
// uncertainty is stated as unknown, not as 0.
inline constexpr const char* kOffsetUnknown = "unknown (no clock sync yet)";

// The uncertainty text for the report: kOffsetUnknown when uncertainty_ns < 0.
std::string offset_uncertainty_text(int64_t uncertainty_ns);

// The counters and flows part of a report, the same for both receive modes
// (XDP maps or the baseline's sockets): totals, and the flows (only those
// that received packets when only_active_flows).
ReceiverReport report_from_counters(const CpuTotals& t, const std::vector<ebt_flow_state>& flows,
                                    bool only_active_flows);

// Reads every map of prog.  only_active_flows: list only flows that received
// packets (standalone, where the flow map spans all 65,536 ids).  Foreign
// tuples are reported when the program counts them.  Throws XdpError.
ReceiverReport make_report(const XdpProgram& prog, const XdpAttachment& att, const std::string& mac,
                           bool only_active_flows = false);

// A tuple as text: IPv4/IPv6 addresses by ethertype, "" for non-IP.
ForeignTuple describe_tuple(const ebt_tuple& t, uint64_t packets, uint64_t bytes);

}  // namespace ebt
