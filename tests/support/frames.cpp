#include "frames.hpp"

#include <cstring>

#include "packet.hpp"

namespace ebt::test {

std::vector<uint8_t> test_frame(uint32_t len, uint32_t flow, uint8_t ip_version, bool vlan) {
    FrameSpec s;
    s.src_ip = 0xC6120001;
    s.dst_ip = 0xC6120002;
    s.src_ip6 = {0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    s.dst_ip6 = {0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    s.ip_version = ip_version;
    s.vlan = vlan;
    s.vlan_id = vlan ? 7 : 0;
    s.frame_len = len;
    s.flows = 1000;
    s.test_id = 4242;  // another test's: replay stamps its own
    std::vector<uint8_t> f(len);
    build_frame(f.data(), s, flow);
    return f;
}

std::vector<uint8_t> udp4_frame(uint32_t payload, uint16_t sport) {
    std::vector<uint8_t> f(kEthHdrLen + kIpv4HdrLen + kUdpHdrLen + payload, 0xAB);
    uint8_t* ip = f.data() + kEthHdrLen;
    f[12] = 0x08, f[13] = 0x00;
    std::memset(ip, 0, kIpv4HdrLen);
    ip[0] = 0x45;
    detail::store_be16(ip + 2, static_cast<uint16_t>(f.size() - kEthHdrLen));
    ip[8] = 64;
    ip[9] = 17;
    const uint8_t addrs[8] = {198, 18, 0, 1, 198, 18, 0, 2};
    std::memcpy(ip + 12, addrs, 8);
    detail::store_be16(ip + 10, ipv4_header_checksum(ip));
    uint8_t* udp = ip + kIpv4HdrLen;
    detail::store_be16(udp, sport);
    detail::store_be16(udp + 2, 9);
    detail::store_be16(udp + 4, static_cast<uint16_t>(kUdpHdrLen + payload));
    detail::store_be16(udp + 6, 0);  // "no checksum": replay must compute one
    return f;
}

std::vector<uint8_t> arp_frame() {
    std::vector<uint8_t> f(60, 0);
    f[12] = 0x08, f[13] = 0x06;
    return f;
}

}  // namespace ebt::test
