#include "pcap_replay.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>

namespace ebt {

PcapReplay make_replay(PcapCapture&& cap, bool stamp) {
    PcapReplay r;
    r.file = cap.name;
    r.bytes = cap.bytes;
    r.max_len = cap.max_len;
    r.stamp = stamp;
    r.frames.resize(cap.records.size());
    uint64_t rel = 0;
    for (size_t i = 0; i < cap.records.size(); ++i) {
        const PcapRecord& p = cap.records[i];
        if (i > 0 && p.ts_ns > cap.records[i - 1].ts_ns) rel += p.ts_ns - cap.records[i - 1].ts_ns;
        r.frames[i].offset = p.offset;
        r.frames[i].len = p.len;
        r.frames[i].rel_ns = rel;
    }
    const uint64_t n = r.frames.size();
    r.mean_gap_ns = n > 1 ? rel / (n - 1) : 0;
    r.period_ns = rel + r.mean_gap_ns;
    r.data = std::move(cap.data);
    if (!stamp) return r;

    // Flows: distinct 5-tuples in order of first appearance.
    using Tuple = std::array<uint8_t, 1 + 16 + 16 + 4>;
    std::map<Tuple, uint32_t> flow_of;
    r.udp.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
        ReplayFrame& f = r.frames[i];
        const uint8_t* d = r.data.data() + f.offset;
        const auto u = locate_udp(d, f.len);
        if (!u || u->udp_len < kUdpHdrLen + kTestHdrLen) continue;
        Tuple t{};
        t[0] = u->ip_version;
        const uint8_t* ip = d + u->l3;
        if (u->ip_version == 4) {
            std::memcpy(&t[1], ip + 12, 4);
            std::memcpy(&t[17], ip + 16, 4);
        } else {
            std::memcpy(&t[1], ip + 8, 16);
            std::memcpy(&t[17], ip + 24, 16);
        }
        std::memcpy(&t[33], d + u->udp, 4);  // both ports
        auto it = flow_of.find(t);
        if (it == flow_of.end()) {
            if (flow_of.size() >= EBT_MAX_FLOWS) continue;  // beyond the flow ids: unstamped
            it = flow_of.emplace(t, static_cast<uint32_t>(flow_of.size())).first;
        }
        f.flow = it->second;
        r.udp[i] = *u;
        ++r.stamped_frames;
    }
    r.flows = static_cast<uint32_t>(flow_of.size());
    return r;
}

void stamp_replay(PcapReplay& r, uint16_t test_id) {
    for (size_t i = 0; i < r.frames.size(); ++i) {
        ReplayFrame& f = r.frames[i];
        if (f.flow == kUnstampedFlow) continue;
        const auto at = make_test_frame(r.data.data() + f.offset, f.len, r.udp[i], test_id,
                                        static_cast<uint16_t>(f.flow));
        f.at = *at;  // make_replay checked the room
    }
}

uint64_t PcapReplay::due_ns(uint64_t k) const {
    const uint64_t n = frames.size();
    return k / n * period_ns + frames[k % n].rel_ns;
}

uint64_t PcapReplay::packets_before(uint64_t t_ns) const {
    if (period_ns == 0) return 0;
    const uint64_t passes = t_ns / period_ns, rest = t_ns % period_ns;
    const auto in_pass = std::partition_point(frames.begin(), frames.end(),
                                              [rest](const ReplayFrame& f) { return f.rel_ns < rest; });
    return passes * frames.size() + static_cast<uint64_t>(in_pass - frames.begin());
}

}  // namespace ebt
