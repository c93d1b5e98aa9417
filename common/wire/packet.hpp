// Test-frame builder and userspace parser: Ethernet [+ 802.1Q tag] / IPv4 or
// IPv6 / UDP / struct ebt_test_hdr (bpf/ebpf_test_shared.h) / padding.  No
// DPDK here: the generator's TX lcores copy the frames built by build_frame()
// and stamp each one with stamp_frame(); tests and the baseline receiver use
// parse_test_frame().
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "ebpf_test_shared.h"

namespace ebt {

inline constexpr uint32_t kEthHdrLen = 14;
inline constexpr uint32_t kVlanTagLen = 4;
inline constexpr uint32_t kIpv4HdrLen = 20;
inline constexpr uint32_t kIpv6HdrLen = 40;
inline constexpr uint32_t kUdpHdrLen = 8;
inline constexpr uint32_t kTestHdrLen = EBT_TEST_HDR_LEN;

// Offsets in an untagged IPv4 frame built by build_frame() (IHL 5).
inline constexpr uint32_t kIpv4Offset = kEthHdrLen;                    // 14
inline constexpr uint32_t kUdpOffset = kIpv4Offset + kIpv4HdrLen;      // 34
inline constexpr uint32_t kTestHdrOffset = kUdpOffset + kUdpHdrLen;    // 42
inline constexpr uint32_t kPayloadOffset = kTestHdrOffset + kTestHdrLen;  // 60

// The smallest frame of any layout (untagged IPv4); min_frame_len() per layout.
inline constexpr uint32_t kMinFrameLen = kEthHdrLen + kIpv4HdrLen + kUdpHdrLen + kTestHdrLen;  // 60
inline constexpr uint32_t kMaxFrameLen = 9000;

static_assert(sizeof(struct ebt_test_hdr) == EBT_TEST_HDR_LEN, "wire header layout");
static_assert(kMinFrameLen == 60);

// Where the headers of a frame built by build_frame() lie, for each IP
// version and with or without one 802.1Q tag.  `payload` (the end of the
// test header) is also the layout's minimum frame length: 60 for IPv4, 20
// more for IPv6's 40-byte header, 4 more with a VLAN tag.
struct FrameLayout {
    uint32_t l3 = kIpv4Offset;           // the IPv4/IPv6 header
    uint32_t udp = kUdpOffset;
    uint32_t test_hdr = kTestHdrOffset;
    uint32_t payload = kPayloadOffset;   // padding starts here
};

constexpr FrameLayout frame_layout(uint8_t ip_version, bool vlan) {
    const uint32_t l3 = kEthHdrLen + (vlan ? kVlanTagLen : 0);
    const uint32_t udp = l3 + (ip_version == 6 ? kIpv6HdrLen : kIpv4HdrLen);
    return FrameLayout{l3, udp, udp + kUdpHdrLen, udp + kUdpHdrLen + kTestHdrLen};
}
constexpr uint32_t min_frame_len(uint8_t ip_version, bool vlan) { return frame_layout(ip_version, vlan).payload; }
static_assert(min_frame_len(4, false) == 60 && min_frame_len(4, true) == 64);
static_assert(min_frame_len(6, false) == 80 && min_frame_len(6, true) == 84);

// One field's values across the flows of a flow_spec: start, start + step,
// ..., start + (count - 1) * step (start is FrameSpec's base value).
struct FlowStep {
    uint32_t count = 1;
    uint32_t step = 1;
    bool operator==(const FlowStep&) const = default;
};

// traffic_config.flow_spec: the flows are every combination of four ranges,
// numbered in a fixed nesting order, the source port varying fastest, then
// the destination port, the source address and the destination address:
//   flow = ((i_dst_ip * n_src_ip + i_src_ip) * n_dst_port + i_dst_port) * n_src_port + i_src_port
// so the flow count is the product of the counts.
struct FlowRanges {
    FlowStep src_ip, dst_ip, src_port, dst_port;
    uint64_t product() const {
        return uint64_t{src_ip.count} * dst_ip.count * src_port.count * dst_port.count;
    }
    bool operator==(const FlowRanges&) const = default;
};

struct FrameSpec {
    std::array<uint8_t, 6> src_mac{};
    std::array<uint8_t, 6> dst_mac{};
    uint8_t ip_version = 4;         // 4 or 6
    uint32_t src_ip = 0;            // IPv4, host order; flow 0's source address
    uint32_t dst_ip = 0;            // IPv4, host order; flow 0's destination address
    std::array<uint8_t, 16> src_ip6{};  // IPv6: flow 0's addresses; flows vary only
    std::array<uint8_t, 16> dst_ip6{};  // their low 32 bits (the last four bytes)
    uint16_t src_port_base = 10000; // UDP source port of flow 0
    uint16_t dst_port = 9;          // UDP destination port of flow 0
    std::optional<FlowRanges> ranges;  // flow_spec; none: `flows: N` (flow_address())
    bool vlan = false;              // one 802.1Q tag (TPID 0x8100, DEI 0)
    uint16_t vlan_id = 0;           // 1..4094 when tagged
    uint8_t vlan_pcp = 0;           // 0..7
    uint32_t frame_len = kMinFrameLen;  // Ethernet frame without FCS, min_frame_len()..kMaxFrameLen
    uint16_t test_id = 0;
    uint32_t flows = 1;             // 1..EBT_MAX_FLOWS
};

inline FrameLayout frame_layout(const FrameSpec& s) { return frame_layout(s.ip_version, s.vlan); }

// The low 32 bits of an IPv6 address (its last four bytes), host order.
inline uint32_t ipv6_low32(const std::array<uint8_t, 16>& a) {
    return static_cast<uint32_t>(a[12]) << 24 | static_cast<uint32_t>(a[13]) << 16 |
           static_cast<uint32_t>(a[14]) << 8 | a[15];
}

// A flow's addresses.  IPv4: the addresses, host order; IPv6: their low 32
// bits (the high 96 bits are those of spec.src_ip6 / dst_ip6).
struct FlowAddress {
    uint32_t src_ip;
    uint32_t dst_ip;
    uint16_t src_port;
    uint16_t dst_port;
    bool operator==(const FlowAddress&) const = default;
};

// The one definition of flow id -> addresses (build_frame() and everything
// else use it).  With spec.ranges: the product above, each field = base +
// index * step (base: src_ip / low 32 bits of src_ip6, dst_ip / dst_ip6,
// src_port_base, dst_port).  Without (`flows: N`): flow i uses UDP source
// port src_port_base + i while that is <= 65535; beyond the port range the
// source address increments: with span = 65536 - src_port_base, port = base
// + flow % span, address = base + flow / span; destination address and port
// are fixed.
FlowAddress flow_address(const FrameSpec& spec, uint32_t flow_id);

// The one definition of the padding after the test header: byte i of the
// padding is uint8_t(i).  build_frame() writes it; the generator also writes
// it once into every mbuf of its TX pools, so that per packet only the
// headers are copied.
inline void write_padding(uint8_t* padding, uint32_t len) {
    for (uint32_t i = 0; i < len; ++i) padding[i] = static_cast<uint8_t>(i);
}

// Writes spec.frame_len bytes (caller guarantees the room): Ethernet, with
// spec.vlan an 802.1Q tag (TPID 0x8100, PCP, DEI 0, VID), then either IPv4
// (IHL 5, TTL 64, DF, id 0, valid checksum) or IPv6 (40 bytes, traffic class
// and flow label 0, next header UDP, hop limit 64), UDP (valid checksum, over
// the IPv6 pseudo-header for IPv6), the test header (seq 0, tx_ns 0, flags 0)
// and padding (write_padding() from frame_layout(spec).payload), with the
// addresses of flow_address(spec, flow_id).  Throws std::invalid_argument if
// frame_len is outside min_frame_len()..kMaxFrameLen, ip_version is not 4 or
// 6, or a tag's VID is outside 1..4094 or its PCP over 7.
void build_frame(uint8_t* buf, const FrameSpec& spec, uint32_t flow_id);

// RFC 1071 one's-complement arithmetic.  csum_partial returns the 32-bit
// running sum of len bytes taken as big-endian 16-bit words (an odd last byte
// is padded with zero), added to `sum`; csum_fold folds it to 16 bits (not
// complemented).
uint32_t csum_partial(const uint8_t* data, size_t len, uint32_t sum = 0);
inline uint16_t csum_fold(uint32_t sum) {
    sum = (sum & 0xFFFFu) + (sum >> 16);
    sum = (sum & 0xFFFFu) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

// Full computations (header bytes as in the frame; the checksum field itself
// is treated as zero).  Return the value to store, in host order.
// udp_ipv4_checksum never returns 0 (a computed 0 is sent as 0xFFFF).
uint16_t ipv4_header_checksum(const uint8_t* ip_hdr, size_t ihl_bytes = kIpv4HdrLen);
uint16_t udp_ipv4_checksum(uint32_t src_ip, uint32_t dst_ip, const uint8_t* udp, size_t udp_len);
// The same over the IPv6 pseudo-header (RFC 8200 8.1: addresses, 32-bit
// length, next header 17); mandatory in IPv6, so never 0 either.
uint16_t udp_ipv6_checksum(const uint8_t* src16, const uint8_t* dst16, const uint8_t* udp, size_t udp_len);

namespace detail {
inline uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void store_be16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
}  // namespace detail

// Where stamp_frame() writes in a frame of a given layout: the test header's
// seq (followed by tx_ns) and the UDP checksum.  Both are fixed distances
// from the UDP header, so the stamped words stay aligned to the checksum's
// 16-bit words in every layout.
struct StampOffsets {
    uint32_t seq = kTestHdrOffset + offsetof(struct ebt_test_hdr, seq);  // 50 untagged IPv4
    uint32_t udp_csum = kUdpOffset + 6;                                  // 40 untagged IPv4
};
constexpr StampOffsets stamp_offsets(const FrameLayout& l) {
    return StampOffsets{l.test_hdr + static_cast<uint32_t>(offsetof(struct ebt_test_hdr, seq)), l.udp + 6};
}
static_assert((kTestHdrOffset + offsetof(struct ebt_test_hdr, seq) - kUdpOffset) % 2 == 0,
              "stamped words are checksum-aligned (the same distance from UDP in every layout)");

// Per packet, on a frame from build_frame(): writes seq and tx_ns (low 48 bits)
// into the test header and updates the UDP checksum incrementally (RFC 1624,
// eqn. 3) from the five 16-bit words that change; `at` is the frame's layout
// (stamp_offsets(frame_layout(spec)); the default is untagged IPv4).
// Constant time, no allocation, no branches but the 0 -> 0xFFFF rule.
// Inline: it is on the generator's hot path.  The one's-complement sum is
// byte-order independent (RFC 1071 2.(B)), so the words are summed as loaded,
// in host order, and only the new values are byte-swapped into network order.
inline void stamp_frame(uint8_t* frame, uint32_t seq, uint64_t tx_ns, StampOffsets at = {}) {
    static_assert(offsetof(struct ebt_test_hdr, tx_ns_hi) == offsetof(struct ebt_test_hdr, seq) + 4);
    static_assert(offsetof(struct ebt_test_hdr, tx_ns_lo) == offsetof(struct ebt_test_hdr, seq) + 6);

    uint8_t* w = frame + at.seq;  // seq(4) tx_ns_hi(2) tx_ns_lo(4): five words
    uint8_t* const csum_at = frame + at.udp_csum;
    uint32_t old_seq, old_lo;
    uint16_t old_hi, csum;
    std::memcpy(&old_seq, w, 4);
    std::memcpy(&old_hi, w + 4, 2);
    std::memcpy(&old_lo, w + 6, 4);
    std::memcpy(&csum, csum_at, 2);
    constexpr bool kLe = std::endian::native == std::endian::little;
    const uint32_t new_seq = kLe ? __builtin_bswap32(seq) : seq;
    const auto hi16 = static_cast<uint16_t>(tx_ns >> 32);
    const uint16_t new_hi = kLe ? __builtin_bswap16(hi16) : hi16;
    const uint32_t new_lo = kLe ? __builtin_bswap32(static_cast<uint32_t>(tx_ns)) : static_cast<uint32_t>(tx_ns);
    auto halves = [](uint32_t v) { return (v & 0xFFFFu) + (v >> 16); };
    uint32_t sum = static_cast<uint16_t>(~csum) + halves(~old_seq) + static_cast<uint16_t>(~old_hi) +
                   halves(~old_lo) + halves(new_seq) + new_hi + halves(new_lo);
    std::memcpy(w, &new_seq, 4);
    std::memcpy(w + 4, &new_hi, 2);
    std::memcpy(w + 6, &new_lo, 4);
    const uint16_t c = static_cast<uint16_t>(~csum_fold(sum));
    const uint16_t out = c == 0 ? 0xFFFF : c;  // 0 means "no checksum" in UDP
    std::memcpy(csum_at, &out, 2);
}

// Where the UDP header of an Ethernet frame lies: the one header walk
// (Ethernet [+ one 802.1Q/802.1ad tag] / IPv4, any IHL, first fragment only,
// or IPv6 without extension headers / UDP), bounds-checked against len, the
// IP lengths and the UDP length.  parse_test_frame() starts from it; pcap
// replay uses it to find where a test header fits in a captured frame.
struct UdpLocation {
    uint8_t ip_version = 4;
    uint32_t l3 = 0;            // the IP header
    uint32_t udp = 0;           // the UDP header
    uint32_t udp_len = 0;       // UDP length field (header + payload), <= the IP payload
    bool vlan = false;
    uint16_t vlan_id = 0;
    uint8_t vlan_pcp = 0;
};
std::optional<UdpLocation> locate_udp(const uint8_t* frame, size_t len);

// The test header (magic, version, flags 0, test id, flow id, seq 0, tx_ns 0)
// at th (kTestHdrLen bytes): build_frame() and make_test_frame() write it.
void write_test_header(uint8_t* th, uint16_t test_id, uint16_t flow_id);

// Turns a located UDP frame into a test frame in place: the test header right
// after the UDP header, the UDP checksum recomputed in full (so stamp_frame()'s
// incremental update holds; the IP header is not touched).  Returns the
// frame's stamp offsets, or nullopt when the UDP payload is shorter than the
// test header.
std::optional<StampOffsets> make_test_frame(uint8_t* frame, size_t len, const UdpLocation& u, uint16_t test_id,
                                            uint16_t flow_id);

// The test header's fields in host order.
struct TestHeader {
    uint16_t test_id = 0;
    uint16_t flow_id = 0;
    uint32_t seq = 0;
    uint64_t tx_ns = 0;         // 48 bits
    uint8_t flags = 0;          // EBT_FLAG_*
};

// The one userspace decoder of struct ebt_test_hdr: `payload` is the UDP
// payload (len bytes).  nullopt when it is shorter than the header or its
// magic or version are not ours.  parse_test_frame() and the baseline
// receiver (which gets UDP payloads from recvmmsg) both use it.
std::optional<TestHeader> parse_test_header(const uint8_t* payload, size_t len);

// A whole test frame: its test header and what the parser saw around it.
struct ParsedTestPacket : TestHeader {
    uint32_t frame_len = 0;     // bytes given to the parser
    uint8_t ip_version = 4;     // 4 or 6
    uint32_t src_ip = 0, dst_ip = 0;        // host order; IPv6: the low 32 bits (what flows vary)
    std::array<uint8_t, 16> src_ip6{}, dst_ip6{};  // IPv6 only (zero for IPv4)
    uint16_t src_port = 0, dst_port = 0;    // host order
    uint32_t udp_offset = 0;    // where the UDP header starts in the frame
    bool vlan = false;          // one 802.1Q/802.1ad tag
    uint16_t vlan_id = 0;       // 0 when untagged
    uint8_t vlan_pcp = 0;
    bool ip_csum_ok = false;    // IPv6 has no header checksum: always true
    bool udp_csum_ok = false;   // IPv4: true also for checksum 0 ("none", RFC 768);
                                // IPv6: 0 is invalid (RFC 8200 8.1)
};

// Ethernet [+ one 802.1Q/802.1ad tag] / IPv4 (any IHL, first fragment only)
// or IPv6 (next header UDP, no extension headers) / UDP / test header with
// EBT_MAGIC and EBT_VERSION.  Bounds-checked against len, the IPv4 total
// length or IPv6 payload length, and the UDP length; nullopt for anything
// else.  Checksum failures do not reject the packet: they are reported in
// the flags.
std::optional<ParsedTestPacket> parse_test_frame(const uint8_t* frame, size_t len);

// "aa:bb:cc:dd:ee:ff"
std::string format_mac(const std::array<uint8_t, 6>& mac);
// "a.b.c.d" from a host-order address
std::string format_ipv4(uint32_t host_order);
// RFC 5952 text ("2001:2::1")
std::string format_ipv6(const std::array<uint8_t, 16>& addr);

}  // namespace ebt
