// libFuzzer target: the userspace test-frame parser (common/wire/packet.hpp
// parse_test_frame), two ways.
//  - Arbitrary bytes: parse_test_frame must stay inside the buffer (ASan
//    sees a read past the end: the input is copied to an exactly-sized heap
//    block) and, when it accepts, report frame_len == the length given.
//  - Input byte 0 odd: the rest picks a FrameSpec (IPv4 or IPv6, with or
//    without an 802.1Q tag and its VID/PCP, `flows: N` or a flow_spec's
//    four ranges, any valid frame length), a flow, a sequence number and a
//    TX time; build_frame + stamp_frame make a frame which the parser must
//    accept with exactly those fields, the flow's addresses as the
//    flow_spec rule defines them (recomputed here from the documented
//    formula, not by flow_address) and valid checksums; another flow of the
//    same spec must differ in its address.  Then one byte chosen by the
//    input is flipped and the frame parsed again (it may be refused, never
//    read out of bounds).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "fuzz_reader.hpp"
#include "packet.hpp"

namespace {

using ebt::fuzz::Reader;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "parse_test_frame: %s\n", what);
    std::abort();
}

void parse_copy(const uint8_t* data, size_t size) {
    // Exactly-sized heap copy so that one byte past the end is an ASan report.
    std::unique_ptr<uint8_t[]> buf(new uint8_t[size == 0 ? 1 : size]);
    if (size != 0) std::memcpy(buf.get(), data, size);
    const auto p = ebt::parse_test_frame(buf.get(), size);
    if (p && p->frame_len != size) fail("frame_len differs from the length given");
}

// A valid range (config.cpp's rules): count 1..16 (so the four multiply to
// at most 65,536 flows), step >= 1 unless count is 1, and the last value
// base + (count - 1) x step within max (base moved down if needed).
ebt::FlowStep take_range(Reader& in, uint32_t& base, uint32_t max) {
    ebt::FlowStep r;
    r.count = 1 + static_cast<uint32_t>(in.take(1) % 16);
    const auto raw = static_cast<uint32_t>(in.take(4));
    r.step = r.count == 1 ? raw : 1 + raw % (max / (r.count - 1));
    const uint64_t span = uint64_t{r.count - 1} * r.step;
    if (base > max - span) base = static_cast<uint32_t>(max - span);
    return r;
}

// The documented flow -> addresses rule (packet.hpp), written out again:
// flow = ((i_dst_ip * n_src_ip + i_src_ip) * n_dst_port + i_dst_port) *
// n_src_port + i_src_port; without a flow_spec the source port counts up
// from its base and, past 65535, the source address takes the carry.
ebt::FlowAddress expected_address(const ebt::FrameSpec& s, uint32_t src_base, uint32_t dst_base, uint32_t flow) {
    if (!s.ranges) {
        const uint32_t span = 65536u - s.src_port_base;
        return {src_base + flow / span, dst_base, static_cast<uint16_t>(s.src_port_base + flow % span), s.dst_port};
    }
    const ebt::FlowRanges& r = *s.ranges;
    const uint32_t i_sport = flow % r.src_port.count;
    const uint32_t i_dport = flow / r.src_port.count % r.dst_port.count;
    const uint32_t i_sip = flow / (r.src_port.count * r.dst_port.count) % r.src_ip.count;
    const uint32_t i_dip = flow / (r.src_port.count * r.dst_port.count * r.src_ip.count);
    return {src_base + i_sip * r.src_ip.step, dst_base + i_dip * r.dst_ip.step,
            static_cast<uint16_t>(s.src_port_base + i_sport * r.src_port.step),
            static_cast<uint16_t>(s.dst_port + i_dport * r.dst_port.step)};
}

void build_and_parse(Reader in) {
    ebt::FrameSpec s;
    for (auto& b : s.src_mac) b = static_cast<uint8_t>(in.take(1));
    for (auto& b : s.dst_mac) b = static_cast<uint8_t>(in.take(1));
    const auto shape = static_cast<uint8_t>(in.take(1));
    s.ip_version = (shape & 1) ? 6 : 4;
    s.vlan = (shape & 2) != 0;
    const bool ranges = (shape & 4) != 0;
    if (s.vlan) {
        s.vlan_id = static_cast<uint16_t>(1 + in.take(2) % 4094);
        s.vlan_pcp = static_cast<uint8_t>(in.take(1) % 8);
    }
    if (s.ip_version == 6) {
        for (auto& b : s.src_ip6) b = static_cast<uint8_t>(in.take(1));
        for (auto& b : s.dst_ip6) b = static_cast<uint8_t>(in.take(1));
    } else {
        s.src_ip = static_cast<uint32_t>(in.take(4));
        s.dst_ip = static_cast<uint32_t>(in.take(4));
    }
    uint32_t src_base = s.ip_version == 6 ? ebt::ipv6_low32(s.src_ip6) : s.src_ip;
    uint32_t dst_base = s.ip_version == 6 ? ebt::ipv6_low32(s.dst_ip6) : s.dst_ip;
    uint32_t sport = static_cast<uint16_t>(in.take(2)), dport = static_cast<uint16_t>(in.take(2));
    if (ranges) {
        ebt::FlowRanges r;
        r.src_ip = take_range(in, src_base, UINT32_MAX);
        r.dst_ip = take_range(in, dst_base, UINT32_MAX);
        r.src_port = take_range(in, sport, 65535);
        r.dst_port = take_range(in, dport, 65535);
        s.ranges = r;
        s.flows = static_cast<uint32_t>(r.product());
    } else {
        s.flows = 1 + static_cast<uint32_t>(in.take(2));  // 1..65536
    }
    // A base moved down by take_range goes back into the spec.
    if (s.ip_version == 6) {
        for (int i = 0; i < 4; ++i) s.src_ip6[12 + i] = static_cast<uint8_t>(src_base >> (24 - 8 * i));
        for (int i = 0; i < 4; ++i) s.dst_ip6[12 + i] = static_cast<uint8_t>(dst_base >> (24 - 8 * i));
    } else {
        s.src_ip = src_base;
        s.dst_ip = dst_base;
    }
    s.src_port_base = static_cast<uint16_t>(sport);
    s.dst_port = static_cast<uint16_t>(dport);
    const uint32_t min_len = ebt::min_frame_len(s.ip_version, s.vlan);
    s.frame_len = min_len + static_cast<uint32_t>(in.take(2) % (ebt::kMaxFrameLen - min_len + 1));
    s.test_id = static_cast<uint16_t>(in.take(2));
    const uint32_t flow = static_cast<uint32_t>(in.take(2)) % s.flows;
    const uint32_t other = static_cast<uint32_t>(in.take(2)) % s.flows;
    const uint32_t seq = static_cast<uint32_t>(in.take(4));
    const uint64_t tx_ns = in.take(6);
    const size_t flip_at = static_cast<size_t>(in.take(2));
    const uint8_t flip_xor = static_cast<uint8_t>(in.take(1));

    std::vector<uint8_t> frame(s.frame_len);
    ebt::build_frame(frame.data(), s, flow);
    ebt::stamp_frame(frame.data(), seq, tx_ns, ebt::stamp_offsets(ebt::frame_layout(s)));
    const auto p = ebt::parse_test_frame(frame.data(), frame.size());
    if (!p) fail("refused a frame from build_frame");
    const ebt::FlowAddress a = expected_address(s, src_base, dst_base, flow);
    if (ebt::flow_address(s, flow) != a) fail("flow_address differs from the documented rule");
    if (p->test_id != s.test_id) fail("test_id");
    if (p->flow_id != flow) fail("flow_id");
    if (p->seq != seq) fail("seq");
    if (p->tx_ns != (tx_ns & 0xFFFFFFFFFFFFull)) fail("tx_ns");
    if (p->frame_len != s.frame_len) fail("frame_len");
    if (p->ip_version != s.ip_version) fail("ip_version");
    if (p->udp_offset != ebt::frame_layout(s).udp) fail("udp_offset");
    if (p->src_ip != a.src_ip || p->src_port != a.src_port) fail("source address");
    if (p->dst_ip != a.dst_ip || p->dst_port != a.dst_port) fail("destination address");
    if (s.ip_version == 6) {
        // Only the low 32 bits vary: the rest is the spec's.
        if (std::memcmp(p->src_ip6.data(), s.src_ip6.data(), 12) != 0 ||
            std::memcmp(p->dst_ip6.data(), s.dst_ip6.data(), 12) != 0)
            fail("IPv6 prefix");
        if (ebt::ipv6_low32(p->src_ip6) != a.src_ip || ebt::ipv6_low32(p->dst_ip6) != a.dst_ip)
            fail("IPv6 low 32 bits");
    }
    if (p->vlan != s.vlan) fail("vlan");
    if (p->vlan_id != (s.vlan ? s.vlan_id : 0) || p->vlan_pcp != (s.vlan ? s.vlan_pcp : 0)) fail("VLAN id/pcp");
    if (!p->ip_csum_ok) fail("IP header checksum of a built frame");
    if (!p->udp_csum_ok) fail("UDP checksum of a built and stamped frame");
    // Every flow has its own addresses (counts > 1 have steps >= 1).
    if (other != flow && ebt::flow_address(s, other) == a) fail("two flows with the same addresses");

    frame[flip_at % frame.size()] ^= flip_xor;
    parse_copy(frame.data(), frame.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    parse_copy(data, size);
    if (size > 0 && (data[0] & 1)) build_and_parse(Reader{data + 1, size - 1});
    return 0;
}
