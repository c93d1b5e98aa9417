// libFuzzer target: the userspace test-frame parser (common/packet.hpp
// parse_test_frame), two ways.
//  - Arbitrary bytes: parse_test_frame must stay inside the buffer (ASan
//    sees a read past the end: the input is copied to an exactly-sized heap
//    block) and, when it accepts, report frame_len == the length given.
//  - Input byte 0 odd: the rest picks a FrameSpec, a flow, a sequence number
//    and a TX time; build_frame + stamp_frame make a frame which the parser
//    must accept with exactly those fields and valid checksums.  Then one
//    byte chosen by the input is flipped and the frame parsed again (it may
//    be refused, never read out of bounds).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "packet.hpp"

namespace {

struct Reader {
    const uint8_t* p;
    size_t n;
    uint64_t take(size_t bytes) {
        uint64_t v = 0;
        for (size_t i = 0; i < bytes; ++i) {
            v = v << 8 | (n > 0 ? *p : 0);
            if (n > 0) { ++p; --n; }
        }
        return v;
    }
};

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

void build_and_parse(Reader in) {
    ebt::FrameSpec s;
    for (auto& b : s.src_mac) b = static_cast<uint8_t>(in.take(1));
    for (auto& b : s.dst_mac) b = static_cast<uint8_t>(in.take(1));
    s.src_ip = static_cast<uint32_t>(in.take(4));
    s.dst_ip = static_cast<uint32_t>(in.take(4));
    s.src_port_base = static_cast<uint16_t>(in.take(2));
    s.dst_port = static_cast<uint16_t>(in.take(2));
    s.frame_len = ebt::kMinFrameLen + static_cast<uint32_t>(in.take(2) % (ebt::kMaxFrameLen - ebt::kMinFrameLen + 1));
    s.test_id = static_cast<uint16_t>(in.take(2));
    s.flows = 1 + static_cast<uint32_t>(in.take(2));  // 1..65536
    const uint32_t flow = static_cast<uint32_t>(in.take(2)) % s.flows;
    const uint32_t seq = static_cast<uint32_t>(in.take(4));
    const uint64_t tx_ns = in.take(6);
    const size_t flip_at = static_cast<size_t>(in.take(2));
    const uint8_t flip_xor = static_cast<uint8_t>(in.take(1));

    std::vector<uint8_t> frame(s.frame_len);
    ebt::build_frame(frame.data(), s, flow);
    ebt::stamp_frame(frame.data(), seq, tx_ns);
    const auto p = ebt::parse_test_frame(frame.data(), frame.size());
    if (!p) fail("refused a frame from build_frame");
    const ebt::FlowAddress a = ebt::flow_address(s, flow);
    if (p->test_id != s.test_id) fail("test_id");
    if (p->flow_id != flow) fail("flow_id");
    if (p->seq != seq) fail("seq");
    if (p->tx_ns != (tx_ns & 0xFFFFFFFFFFFFull)) fail("tx_ns");
    if (p->frame_len != s.frame_len) fail("frame_len");
    if (p->src_ip != a.src_ip || p->src_port != a.src_port) fail("flow address");
    if (p->dst_ip != s.dst_ip || p->dst_port != s.dst_port) fail("destination");
    if (p->vlan_id != 0) fail("vlan_id on an untagged frame");
    if (!p->ip_csum_ok) fail("IPv4 checksum of a built frame");
    if (!p->udp_csum_ok) fail("UDP checksum of a built and stamped frame");

    frame[flip_at % frame.size()] ^= flip_xor;
    parse_copy(frame.data(), frame.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    parse_copy(data, size);
    if (size > 0 && (data[0] & 1)) build_and_parse(Reader{data + 1, size - 1});
    return 0;
}
