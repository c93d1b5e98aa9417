#include "seq_faults.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>

#include "config.hpp"

namespace ebt {

namespace {

[[noreturn]] void bad(const std::string& item, const std::string& why) {
    throw ConfigError("--test-seq-faults: " + why + ", got \"" + item + "\"");
}

bool parse_u32(const std::string& s, uint32_t& out) {
    if (s.empty() || s[0] < '0' || s[0] > '9') return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

std::vector<SeqFault> parse_seq_faults(const std::string& spec, uint32_t flows) {
    constexpr const char* kExpect = "expected a comma list of skip|dup|swap:FLOW:SEQ";
    std::vector<SeqFault> out;
    size_t pos = 0;
    if (spec.empty()) bad(spec, kExpect);
    while (pos <= spec.size()) {
        const size_t comma = std::min(spec.find(',', pos), spec.size());
        const std::string item = spec.substr(pos, comma - pos);
        pos = comma + 1;
        const size_t c1 = item.find(':');
        const size_t c2 = c1 == std::string::npos ? c1 : item.find(':', c1 + 1);
        if (c2 == std::string::npos) bad(item, kExpect);
        const std::string kind = item.substr(0, c1);
        SeqFault f;
        if (kind == "skip") f.kind = SeqFaultKind::kSkip;
        else if (kind == "dup") f.kind = SeqFaultKind::kDup;
        else if (kind == "swap") f.kind = SeqFaultKind::kSwap;
        else bad(item, kExpect);
        if (!parse_u32(item.substr(c1 + 1, c2 - c1 - 1), f.flow) || f.flow >= flows)
            bad(item, "expected a flow id in 0.." + std::to_string(flows - 1));
        if (!parse_u32(item.substr(c2 + 1), f.seq))
            bad(item, "expected a sequence number in 0..4294967295");
        if (f.kind == SeqFaultKind::kSwap && f.seq == UINT32_MAX) bad(item, "swap needs SEQ+1 to exist");
        out.push_back(f);
    }
    std::sort(out.begin(), out.end(), [](const SeqFault& a, const SeqFault& b) {
        return std::tie(a.flow, a.seq) < std::tie(b.flow, b.seq);
    });
    for (size_t i = 1; i < out.size(); ++i) {
        const SeqFault& a = out[i - 1];
        const SeqFault& b = out[i];
        const std::string at = std::to_string(b.flow) + ":" + std::to_string(b.seq);
        if (a.flow == b.flow && a.seq == b.seq) bad(spec, "two faults on flow:seq " + at);
        // The swapped-in S+1 is sent early: it cannot carry a fault of its own.
        if (a.flow == b.flow && a.kind == SeqFaultKind::kSwap && b.seq == a.seq + 1)
            bad(spec, "swap of " + std::to_string(a.flow) + ":" + std::to_string(a.seq) +
                          " conflicts with the fault on " + at);
    }
    return out;
}

std::vector<SeqFault> faults_for_flows(const std::vector<SeqFault>& all, uint32_t first_flow,
                                       uint32_t count) {
    std::vector<SeqFault> out;
    for (SeqFault f : all)
        if (f.flow >= first_flow && f.flow - first_flow < count) {
            f.flow -= first_flow;
            out.push_back(f);
        }
    return out;
}

}  // namespace ebt
