// Test-frame builder and userspace parser: Ethernet / IPv4 / UDP / struct
// ebt_test_hdr (bpf/ebpf_test_shared.h) / padding.  No DPDK here: the
// generator's TX lcores copy the frames built by build_frame() and stamp each
// one with stamp_frame(); tests and the baseline receiver use
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
inline constexpr uint32_t kIpv4HdrLen = 20;
inline constexpr uint32_t kUdpHdrLen = 8;
inline constexpr uint32_t kTestHdrLen = EBT_TEST_HDR_LEN;

// Offsets in a frame built by build_frame() (untagged Ethernet, IHL 5).
inline constexpr uint32_t kIpv4Offset = kEthHdrLen;                    // 14
inline constexpr uint32_t kUdpOffset = kIpv4Offset + kIpv4HdrLen;      // 34
inline constexpr uint32_t kTestHdrOffset = kUdpOffset + kUdpHdrLen;    // 42
inline constexpr uint32_t kPayloadOffset = kTestHdrOffset + kTestHdrLen;  // 60

inline constexpr uint32_t kMinFrameLen = kEthHdrLen + kIpv4HdrLen + kUdpHdrLen + kTestHdrLen;  // 60
inline constexpr uint32_t kMaxFrameLen = 9000;

static_assert(sizeof(struct ebt_test_hdr) == EBT_TEST_HDR_LEN, "wire header layout");
static_assert(kMinFrameLen == 60);

struct FrameSpec {
    std::array<uint8_t, 6> src_mac{};
    std::array<uint8_t, 6> dst_mac{};
    uint32_t src_ip = 0;            // host order; flow 0's source address
    uint32_t dst_ip = 0;            // host order
    uint16_t src_port_base = 10000; // UDP source port of flow 0
    uint16_t dst_port = 9;
    uint32_t frame_len = kMinFrameLen;  // Ethernet frame without FCS, kMinFrameLen..kMaxFrameLen
    uint16_t test_id = 0;
    uint32_t flows = 1;             // 1..EBT_MAX_FLOWS
};

struct FlowAddress {
    uint32_t src_ip;    // host order
    uint16_t src_port;
};

// Flow i uses UDP source port src_port_base + i while that is <= 65535; beyond
// the port range the source IP increments: with span = 65536 - src_port_base,
// port = base + flow % span, ip = src_ip + flow / span.
FlowAddress flow_address(const FrameSpec& spec, uint32_t flow_id);

// The one definition of the padding after the test header: byte i of the
// padding is uint8_t(i).  build_frame() writes it; the generator also writes
// it once into every mbuf of its TX pools, so that per packet only the
// headers are copied.
inline void write_padding(uint8_t* padding, uint32_t len) {
    for (uint32_t i = 0; i < len; ++i) padding[i] = static_cast<uint8_t>(i);
}

// Writes spec.frame_len bytes (caller guarantees the room): Ethernet (IPv4),
// IPv4 (IHL 5, TTL 64, DF, id 0, valid checksum), UDP (valid checksum), the
// test header (seq 0, tx_ns 0, flags 0) and padding (write_padding() from
// kPayloadOffset).  Throws std::invalid_argument if frame_len is outside
// kMinFrameLen..kMaxFrameLen.
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

namespace detail {
inline uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void store_be16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
}  // namespace detail

// Per packet, on a frame from build_frame(): writes seq and tx_ns (low 48 bits)
// into the test header and updates the UDP checksum incrementally (RFC 1624,
// eqn. 3) from the five 16-bit words that change.  Constant time, no
// allocation, no branches but the 0 -> 0xFFFF rule.  Inline: it is on the
// generator's hot path.  The one's-complement sum is byte-order independent
// (RFC 1071 2.(B)), so the words are summed as loaded, in host order, and
// only the new values are byte-swapped into network order.
inline void stamp_frame(uint8_t* frame, uint32_t seq, uint64_t tx_ns) {
    constexpr uint32_t kSeqOff = kTestHdrOffset + offsetof(struct ebt_test_hdr, seq);  // 50
    constexpr uint32_t kCsumOff = kUdpOffset + 6;
    static_assert((kSeqOff - kUdpOffset) % 2 == 0, "stamped words are checksum-aligned");
    static_assert(offsetof(struct ebt_test_hdr, tx_ns_hi) == offsetof(struct ebt_test_hdr, seq) + 4);
    static_assert(offsetof(struct ebt_test_hdr, tx_ns_lo) == offsetof(struct ebt_test_hdr, seq) + 6);

    uint8_t* w = frame + kSeqOff;  // seq(4) tx_ns_hi(2) tx_ns_lo(4): five words
    uint32_t old_seq, old_lo;
    uint16_t old_hi, csum;
    std::memcpy(&old_seq, w, 4);
    std::memcpy(&old_hi, w + 4, 2);
    std::memcpy(&old_lo, w + 6, 4);
    std::memcpy(&csum, frame + kCsumOff, 2);
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
    std::memcpy(frame + kCsumOff, &out, 2);
}

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

struct ParsedTestPacket {
    uint16_t test_id = 0;
    uint16_t flow_id = 0;
    uint32_t seq = 0;
    uint64_t tx_ns = 0;         // 48 bits
    uint8_t flags = 0;          // EBT_FLAG_*
    uint32_t frame_len = 0;     // bytes given to the parser
    uint32_t src_ip = 0, dst_ip = 0;        // host order
    uint16_t src_port = 0, dst_port = 0;    // host order
    uint16_t vlan_id = 0;       // 0 when untagged
    bool ip_csum_ok = false;
    bool udp_csum_ok = false;   // true also for checksum 0 ("none", RFC 768)
};

// Ethernet [+ one 802.1Q/802.1ad tag] / IPv4 (any IHL, first fragment only) /
// UDP / test header with EBT_MAGIC and EBT_VERSION.  Bounds-checked against
// len, the IPv4 total length and the UDP length; nullopt for anything else.
// Checksum failures do not reject the packet: they are reported in the flags.
std::optional<ParsedTestPacket> parse_test_frame(const uint8_t* frame, size_t len);

// "aa:bb:cc:dd:ee:ff"
std::string format_mac(const std::array<uint8_t, 6>& mac);
// "a.b.c.d" from a host-order address
std::string format_ipv4(uint32_t host_order);

}  // namespace ebt
