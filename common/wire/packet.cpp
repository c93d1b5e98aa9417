#include "packet.hpp"

#include <arpa/inet.h>

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
constexpr uint16_t kEtherTypeIpv6 = 0x86DD;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88A8;
constexpr uint8_t kIpProtoUdp = 17;

}  // namespace

FlowAddress flow_address(const FrameSpec& spec, uint32_t flow_id) {
    const bool v6 = spec.ip_version == 6;
    const uint32_t src = v6 ? ipv6_low32(spec.src_ip6) : spec.src_ip;
    const uint32_t dst = v6 ? ipv6_low32(spec.dst_ip6) : spec.dst_ip;
    if (!spec.ranges) {
        const uint32_t span = 65536u - spec.src_port_base;  // >= 1
        return FlowAddress{src + flow_id / span, dst,
                           static_cast<uint16_t>(spec.src_port_base + flow_id % span), spec.dst_port};
    }
    // Mixed radix, innermost (fastest) first; counts are >= 1.
    const FlowRanges& r = *spec.ranges;
    uint32_t f = flow_id;
    auto digit = [&f](const FlowStep& s) {
        const uint32_t n = s.count == 0 ? 1 : s.count;
        const uint32_t i = f % n;
        f /= n;
        return i * s.step;
    };
    const uint32_t sport = digit(r.src_port);
    const uint32_t dport = digit(r.dst_port);
    const uint32_t sip = digit(r.src_ip);
    const uint32_t dip = digit(r.dst_ip);
    return FlowAddress{src + sip, dst + dip, static_cast<uint16_t>(spec.src_port_base + sport),
                       static_cast<uint16_t>(spec.dst_port + dport)};
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

namespace {
// The IPv6 pseudo-header's sum (RFC 8200 8.1) plus the UDP header's first
// six bytes and the payload: everything but the checksum field.
uint32_t udp_ipv6_sum(const uint8_t* src16, const uint8_t* dst16, const uint8_t* udp, size_t udp_len,
                      bool with_checksum) {
    uint32_t sum = csum_partial(src16, 16);
    sum = csum_partial(dst16, 16, sum);
    sum += static_cast<uint32_t>(udp_len >> 16) + static_cast<uint32_t>(udp_len & 0xFFFF) + kIpProtoUdp;
    if (with_checksum) return csum_partial(udp, udp_len, sum);
    sum = csum_partial(udp, 6, sum);
    if (udp_len > 8) sum = csum_partial(udp + 8, udp_len - 8, sum);
    return sum;
}
}  // namespace

uint16_t udp_ipv6_checksum(const uint8_t* src16, const uint8_t* dst16, const uint8_t* udp, size_t udp_len) {
    const uint16_t c = static_cast<uint16_t>(~csum_fold(udp_ipv6_sum(src16, dst16, udp, udp_len, false)));
    return c == 0 ? 0xFFFF : c;
}

void write_test_header(uint8_t* th, uint16_t test_id, uint16_t flow_id) {
    std::memset(th, 0, kTestHdrLen);
    store_be16(th + offsetof(struct ebt_test_hdr, magic), EBT_MAGIC);
    th[offsetof(struct ebt_test_hdr, version)] = EBT_VERSION;
    th[offsetof(struct ebt_test_hdr, flags)] = 0;
    store_be16(th + offsetof(struct ebt_test_hdr, test_id), test_id);
    store_be16(th + offsetof(struct ebt_test_hdr, flow_id), flow_id);
}

void build_frame(uint8_t* buf, const FrameSpec& spec, uint32_t flow_id) {
    if (spec.ip_version != 4 && spec.ip_version != 6)
        throw std::invalid_argument("IP version " + std::to_string(spec.ip_version) + ", expected 4 or 6");
    if (spec.vlan && (spec.vlan_id < 1 || spec.vlan_id > 4094 || spec.vlan_pcp > 7))
        throw std::invalid_argument("VLAN id " + std::to_string(spec.vlan_id) + " pcp " +
                                    std::to_string(spec.vlan_pcp) + " outside 1..4094 / 0..7");
    const FrameLayout lay = frame_layout(spec);
    if (spec.frame_len < lay.payload || spec.frame_len > kMaxFrameLen)
        throw std::invalid_argument("frame length " + std::to_string(spec.frame_len) +
                                    " outside " + std::to_string(lay.payload) + ".." +
                                    std::to_string(kMaxFrameLen) + " (IPv" +
                                    std::to_string(spec.ip_version) + (spec.vlan ? ", VLAN" : "") + ")");
    const FlowAddress fa = flow_address(spec, flow_id);
    const uint32_t len = spec.frame_len;
    const bool v6 = spec.ip_version == 6;

    // Ethernet [+ 802.1Q]
    std::memcpy(buf, spec.dst_mac.data(), 6);
    std::memcpy(buf + 6, spec.src_mac.data(), 6);
    if (spec.vlan) {
        store_be16(buf + 12, kEtherTypeVlan);
        store_be16(buf + 14, static_cast<uint16_t>(spec.vlan_pcp << 13 | spec.vlan_id));  // DEI 0
    }
    store_be16(buf + lay.l3 - 2, v6 ? kEtherTypeIpv6 : kEtherTypeIpv4);

    uint8_t* ip = buf + lay.l3;
    uint8_t* udp = buf + lay.udp;
    const uint32_t udp_len = len - lay.udp;
    std::array<uint8_t, 16> src6 = spec.src_ip6, dst6 = spec.dst_ip6;
    if (v6) {
        store_be32(src6.data() + 12, fa.src_ip);  // flows vary the low 32 bits
        store_be32(dst6.data() + 12, fa.dst_ip);
        store_be32(ip, 0x60000000u);  // version 6, traffic class 0, flow label 0
        store_be16(ip + 4, static_cast<uint16_t>(udp_len));  // payload length
        ip[6] = kIpProtoUdp;          // next header
        ip[7] = 64;                   // hop limit
        std::memcpy(ip + 8, src6.data(), 16);
        std::memcpy(ip + 24, dst6.data(), 16);
    } else {
        ip[0] = 0x45;  // version 4, IHL 5
        ip[1] = 0;     // DSCP/ECN
        store_be16(ip + 2, static_cast<uint16_t>(len - lay.l3));
        store_be16(ip + 4, 0);       // id
        store_be16(ip + 6, 0x4000);  // DF, offset 0
        ip[8] = 64;                  // TTL
        ip[9] = kIpProtoUdp;
        store_be16(ip + 10, 0);
        store_be32(ip + 12, fa.src_ip);
        store_be32(ip + 16, fa.dst_ip);
        store_be16(ip + 10, ipv4_header_checksum(ip));
    }

    // UDP
    store_be16(udp, fa.src_port);
    store_be16(udp + 2, fa.dst_port);
    store_be16(udp + 4, static_cast<uint16_t>(udp_len));
    store_be16(udp + 6, 0);

    // Test header
    write_test_header(buf + lay.test_hdr, spec.test_id, static_cast<uint16_t>(flow_id));

    // Padding
    write_padding(buf + lay.payload, len - lay.payload);

    store_be16(udp + 6, v6 ? udp_ipv6_checksum(src6.data(), dst6.data(), udp, udp_len)
                           : udp_ipv4_checksum(fa.src_ip, fa.dst_ip, udp, udp_len));
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

std::optional<UdpLocation> locate_udp(const uint8_t* frame, size_t len) {
    if (frame == nullptr || len < kEthHdrLen) return std::nullopt;
    UdpLocation u;
    size_t off = 12;
    uint16_t ethertype = load_be16(frame + off);
    off += 2;
    if (ethertype == kEtherTypeVlan || ethertype == kEtherTypeQinQ) {
        if (len < off + 4) return std::nullopt;
        const uint16_t tci = load_be16(frame + off);
        u.vlan = true;
        u.vlan_id = tci & 0x0FFF;
        u.vlan_pcp = static_cast<uint8_t>(tci >> 13);
        ethertype = load_be16(frame + off + 2);
        off += 4;
    }

    // IPv4 or IPv6: the UDP header and the bytes the IP layer gives it.
    const uint8_t* ip = frame + off;
    size_t ip_payload = 0, ip_hdr = 0;
    if (ethertype == kEtherTypeIpv4) {
        if (len < off + kIpv4HdrLen) return std::nullopt;
        if ((ip[0] >> 4) != 4) return std::nullopt;
        const size_t ihl = static_cast<size_t>(ip[0] & 0x0F) * 4;
        if (ihl < kIpv4HdrLen || len < off + ihl) return std::nullopt;
        const size_t ip_total = load_be16(ip + 2);
        if (ip_total < ihl || len < off + ip_total) return std::nullopt;
        if ((load_be16(ip + 6) & 0x3FFF) != 0) return std::nullopt;  // fragment (MF or offset)
        if (ip[9] != kIpProtoUdp) return std::nullopt;
        ip_payload = ip_total - ihl;
        ip_hdr = ihl;
        u.ip_version = 4;
    } else if (ethertype == kEtherTypeIpv6) {
        if (len < off + kIpv6HdrLen) return std::nullopt;
        if ((ip[0] >> 4) != 6) return std::nullopt;
        if (ip[6] != kIpProtoUdp) return std::nullopt;  // no extension headers
        ip_payload = load_be16(ip + 4);
        if (len < off + kIpv6HdrLen + ip_payload) return std::nullopt;
        ip_hdr = kIpv6HdrLen;
        u.ip_version = 6;
    } else {
        return std::nullopt;
    }
    if (ip_payload < kUdpHdrLen) return std::nullopt;
    const size_t udp_len = load_be16(ip + ip_hdr + 4);
    if (udp_len < kUdpHdrLen || udp_len > ip_payload) return std::nullopt;
    u.l3 = static_cast<uint32_t>(off);
    u.udp = static_cast<uint32_t>(off + ip_hdr);
    u.udp_len = static_cast<uint32_t>(udp_len);
    return u;
}

std::optional<StampOffsets> make_test_frame(uint8_t* frame, size_t len, const UdpLocation& u, uint16_t test_id,
                                            uint16_t flow_id) {
    if (u.udp_len < kUdpHdrLen + kTestHdrLen || size_t{u.udp} + u.udp_len > len) return std::nullopt;
    uint8_t* ip = frame + u.l3;
    uint8_t* udp = frame + u.udp;
    write_test_header(udp + kUdpHdrLen, test_id, flow_id);
    store_be16(udp + 6, 0);
    store_be16(udp + 6, u.ip_version == 6 ? udp_ipv6_checksum(ip + 8, ip + 24, udp, u.udp_len)
                                          : udp_ipv4_checksum(load_be32(ip + 12), load_be32(ip + 16), udp, u.udp_len));
    FrameLayout lay;
    lay.l3 = u.l3;
    lay.udp = u.udp;
    lay.test_hdr = u.udp + kUdpHdrLen;
    lay.payload = lay.test_hdr + kTestHdrLen;
    return stamp_offsets(lay);
}

std::optional<ParsedTestPacket> parse_test_frame(const uint8_t* frame, size_t len) {
    const auto u = locate_udp(frame, len);
    if (!u || u->udp_len < kUdpHdrLen + kTestHdrLen) return std::nullopt;
    const uint8_t* ip = frame + u->l3;
    const uint8_t* udp = frame + u->udp;
    const size_t udp_len = u->udp_len;

    // Test header
    const auto hdr = parse_test_header(udp + kUdpHdrLen, udp_len - kUdpHdrLen);
    if (!hdr) return std::nullopt;

    ParsedTestPacket p;
    p.vlan = u->vlan;
    p.vlan_id = u->vlan_id;
    p.vlan_pcp = u->vlan_pcp;
    p.ip_version = u->ip_version;
    if (p.ip_version == 4) {
        p.src_ip = load_be32(ip + 12);
        p.dst_ip = load_be32(ip + 16);
        p.ip_csum_ok = csum_fold(csum_partial(ip, u->udp - u->l3)) == 0xFFFF;
    } else {
        std::memcpy(p.src_ip6.data(), ip + 8, 16);
        std::memcpy(p.dst_ip6.data(), ip + 24, 16);
        p.src_ip = ipv6_low32(p.src_ip6);
        p.dst_ip = ipv6_low32(p.dst_ip6);
        p.ip_csum_ok = true;  // IPv6 has no header checksum
    }
    static_cast<TestHeader&>(p) = *hdr;
    p.frame_len = static_cast<uint32_t>(len);
    p.src_port = load_be16(udp);
    p.dst_port = load_be16(udp + 2);
    p.udp_offset = u->udp;

    const uint16_t udp_csum = load_be16(udp + 6);
    if (p.ip_version == 6) {
        p.udp_csum_ok = udp_csum != 0 &&
                        csum_fold(udp_ipv6_sum(ip + 8, ip + 24, udp, udp_len, true)) == 0xFFFF;
    } else if (udp_csum == 0) {
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

std::string format_ipv4(uint32_t host_order) {
    char s[16];
    std::snprintf(s, sizeof s, "%u.%u.%u.%u", host_order >> 24, (host_order >> 16) & 0xFF, (host_order >> 8) & 0xFF, host_order & 0xFF);
    return s;
}

std::string format_ipv6(const std::array<uint8_t, 16>& addr) {
    char s[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, addr.data(), s, sizeof s) == nullptr) return "?";
    return s;
}

}  // namespace ebt
