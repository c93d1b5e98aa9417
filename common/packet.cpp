#include "packet.hpp"

#include <cstdio>
#include <stdexcept>

namespace ebt {

using detail::load_be16;
using detail::store_be16;

namespace {

void store_be32(uint8_t* p, uint32_t v) {
    store_be16(p, static_cast<uint16_t>(v >> 16));
    store_be16(p + 2, static_cast<uint16_t>(v));
}

uint32_t load_be32(const uint8_t* p) {
    return static_cast<uint32_t>(load_be16(p)) << 16 | load_be16(p + 2);
}

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88A8;
constexpr uint8_t kIpProtoUdp = 17;

}  // namespace

FlowAddress flow_address(const FrameSpec& spec, uint32_t flow_id) {
    const uint32_t span = 65536u - spec.src_port_base;  // >= 1
    return FlowAddress{spec.src_ip + flow_id / span,
                       static_cast<uint16_t>(spec.src_port_base + flow_id % span)};
}

uint32_t csum_partial(const uint8_t* data, size_t len, uint32_t sum) {
    // 64-bit accumulator: no overflow for any frame we handle.
    uint64_t acc = sum;
    size_t i = 0;
    for (; i + 1 < len; i += 2) acc += load_be16(data + i);
    if (i < len) acc += static_cast<uint32_t>(data[i]) << 8;
    while (acc >> 32) acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
    return static_cast<uint32_t>(acc);
}

uint16_t ipv4_header_checksum(const uint8_t* ip_hdr, size_t ihl_bytes) {
    uint32_t sum = csum_partial(ip_hdr, 10);  // up to the checksum field
    sum = csum_partial(ip_hdr + 12, ihl_bytes - 12, sum);
    return static_cast<uint16_t>(~csum_fold(sum));
}

uint16_t udp_ipv4_checksum(uint32_t src_ip, uint32_t dst_ip, const uint8_t* udp, size_t udp_len) {
    uint32_t sum = (src_ip >> 16) + (src_ip & 0xFFFF) + (dst_ip >> 16) + (dst_ip & 0xFFFF) +
                   kIpProtoUdp + static_cast<uint32_t>(udp_len & 0xFFFF);
    sum = csum_partial(udp, 6, sum);  // ports and length; skip the checksum field
    if (udp_len > 8) sum = csum_partial(udp + 8, udp_len - 8, sum);
    const uint16_t c = static_cast<uint16_t>(~csum_fold(sum));
    return c == 0 ? 0xFFFF : c;
}

void build_frame(uint8_t* buf, const FrameSpec& spec, uint32_t flow_id) {
    if (spec.frame_len < kMinFrameLen || spec.frame_len > kMaxFrameLen)
        throw std::invalid_argument("frame length " + std::to_string(spec.frame_len) +
                                    " outside " + std::to_string(kMinFrameLen) + ".." +
                                    std::to_string(kMaxFrameLen));
    const FlowAddress fa = flow_address(spec, flow_id);
    const uint32_t len = spec.frame_len;

    // Ethernet
    std::memcpy(buf, spec.dst_mac.data(), 6);
    std::memcpy(buf + 6, spec.src_mac.data(), 6);
    store_be16(buf + 12, kEtherTypeIpv4);

    // IPv4
    uint8_t* ip = buf + kIpv4Offset;
    ip[0] = 0x45;  // version 4, IHL 5
    ip[1] = 0;     // DSCP/ECN
    store_be16(ip + 2, static_cast<uint16_t>(len - kEthHdrLen));
    store_be16(ip + 4, 0);       // id
    store_be16(ip + 6, 0x4000);  // DF, offset 0
    ip[8] = 64;                  // TTL
    ip[9] = kIpProtoUdp;
    store_be16(ip + 10, 0);
    store_be32(ip + 12, fa.src_ip);
    store_be32(ip + 16, spec.dst_ip);
    store_be16(ip + 10, ipv4_header_checksum(ip));

    // UDP
    uint8_t* udp = buf + kUdpOffset;
    const uint32_t udp_len = len - kUdpOffset;
    store_be16(udp, fa.src_port);
    store_be16(udp + 2, spec.dst_port);
    store_be16(udp + 4, static_cast<uint16_t>(udp_len));
    store_be16(udp + 6, 0);

    // Test header
    uint8_t* th = buf + kTestHdrOffset;
    std::memset(th, 0, kTestHdrLen);
    store_be16(th + offsetof(struct ebt_test_hdr, magic), EBT_MAGIC);
    th[offsetof(struct ebt_test_hdr, version)] = EBT_VERSION;
    th[offsetof(struct ebt_test_hdr, flags)] = 0;
    store_be16(th + offsetof(struct ebt_test_hdr, test_id), spec.test_id);
    store_be16(th + offsetof(struct ebt_test_hdr, flow_id), static_cast<uint16_t>(flow_id));

    // Padding
    write_padding(buf + kPayloadOffset, len - kPayloadOffset);

    store_be16(udp + 6, udp_ipv4_checksum(fa.src_ip, spec.dst_ip, udp, udp_len));
}

std::optional<TestHeader> parse_test_header(const uint8_t* payload, size_t len) {
    if (payload == nullptr || len < kTestHdrLen) return std::nullopt;
    const uint8_t* th = payload;
    if (load_be16(th + offsetof(struct ebt_test_hdr, magic)) != EBT_MAGIC) return std::nullopt;
    if (th[offsetof(struct ebt_test_hdr, version)] != EBT_VERSION) return std::nullopt;
    TestHeader h;
    h.test_id = load_be16(th + offsetof(struct ebt_test_hdr, test_id));
    h.flow_id = load_be16(th + offsetof(struct ebt_test_hdr, flow_id));
    h.seq = load_be32(th + offsetof(struct ebt_test_hdr, seq));
    h.tx_ns = static_cast<uint64_t>(load_be16(th + offsetof(struct ebt_test_hdr, tx_ns_hi))) << 32 |
              load_be32(th + offsetof(struct ebt_test_hdr, tx_ns_lo));
    h.flags = th[offsetof(struct ebt_test_hdr, flags)];
    return h;
}

std::optional<ParsedTestPacket> parse_test_frame(const uint8_t* frame, size_t len) {
    if (frame == nullptr || len < kEthHdrLen) return std::nullopt;
    size_t off = 12;
    uint16_t ethertype = load_be16(frame + off);
    uint16_t vlan_id = 0;
    off += 2;
    if (ethertype == kEtherTypeVlan || ethertype == kEtherTypeQinQ) {
        if (len < off + 4) return std::nullopt;
        vlan_id = load_be16(frame + off) & 0x0FFF;
        ethertype = load_be16(frame + off + 2);
        off += 4;
    }
    if (ethertype != kEtherTypeIpv4) return std::nullopt;

    // IPv4
    if (len < off + kIpv4HdrLen) return std::nullopt;
    const uint8_t* ip = frame + off;
    if ((ip[0] >> 4) != 4) return std::nullopt;
    const size_t ihl = static_cast<size_t>(ip[0] & 0x0F) * 4;
    if (ihl < kIpv4HdrLen || len < off + ihl) return std::nullopt;
    const size_t ip_total = load_be16(ip + 2);
    if (ip_total < ihl || len < off + ip_total) return std::nullopt;
    if ((load_be16(ip + 6) & 0x3FFF) != 0) return std::nullopt;  // fragment (MF or offset)
    if (ip[9] != kIpProtoUdp) return std::nullopt;

    // UDP
    const size_t ip_payload = ip_total - ihl;
    if (ip_payload < kUdpHdrLen + kTestHdrLen) return std::nullopt;
    const uint8_t* udp = ip + ihl;
    const size_t udp_len = load_be16(udp + 4);
    if (udp_len < kUdpHdrLen + kTestHdrLen || udp_len > ip_payload) return std::nullopt;

    // Test header
    const auto hdr = parse_test_header(udp + kUdpHdrLen, udp_len - kUdpHdrLen);
    if (!hdr) return std::nullopt;

    ParsedTestPacket p;
    p.test_id = hdr->test_id;
    p.flow_id = hdr->flow_id;
    p.seq = hdr->seq;
    p.tx_ns = hdr->tx_ns;
    p.flags = hdr->flags;
    p.frame_len = static_cast<uint32_t>(len);
    p.src_ip = load_be32(ip + 12);
    p.dst_ip = load_be32(ip + 16);
    p.src_port = load_be16(udp);
    p.dst_port = load_be16(udp + 2);
    p.vlan_id = vlan_id;

    p.ip_csum_ok = csum_fold(csum_partial(ip, ihl)) == 0xFFFF;
    const uint16_t udp_csum = load_be16(udp + 6);
    if (udp_csum == 0) {
        p.udp_csum_ok = true;  // "no checksum"
    } else {
        uint32_t sum = (p.src_ip >> 16) + (p.src_ip & 0xFFFF) + (p.dst_ip >> 16) +
                       (p.dst_ip & 0xFFFF) + kIpProtoUdp + static_cast<uint32_t>(udp_len);
        sum = csum_partial(udp, udp_len, sum);
        p.udp_csum_ok = csum_fold(sum) == 0xFFFF;
    }
    return p;
}

std::string format_mac(const std::array<uint8_t, 6>& mac) {
    char s[18];
    std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                  mac[4], mac[5]);
    return s;
}

std::string format_ipv4(uint32_t a) {
    char s[16];
    std::snprintf(s, sizeof s, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF);
    return s;
}

}  // namespace ebt
