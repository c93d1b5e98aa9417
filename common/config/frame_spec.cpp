#include "frame_spec.hpp"

namespace ebt {

FrameSpec make_frame_spec(const TestConfig& cfg, const std::array<uint8_t, 6>& src_mac,
                          const std::array<uint8_t, 6>& dst_mac, uint16_t test_id) {
    FrameSpec s;
    s.src_mac = src_mac;
    s.dst_mac = dst_mac;
    s.ip_version = cfg.ip_version;
    s.frame_len = cfg.packet_size;
    s.test_id = test_id;
    s.flows = cfg.flows;
    if (cfg.vlan) {
        s.vlan = true;
        s.vlan_id = cfg.vlan->id;
        s.vlan_pcp = cfg.vlan->pcp;
    }
    // flow_spec: its starts are flow 0's addresses and ports; without one,
    // the machines' addresses and src_port/dst_port (resolved_flow_spec
    // gives exactly those).
    const FlowSpecConfig fs = resolved_flow_spec(cfg);
    if (cfg.ip_version == 6) {
        parse_ipv6(fs.src_ip.start, s.src_ip6);
        parse_ipv6(fs.dst_ip.start, s.dst_ip6);
    } else {
        parse_ipv4(fs.src_ip.start, s.src_ip);
        parse_ipv4(fs.dst_ip.start, s.dst_ip);
    }
    s.src_port_base = fs.src_port.start;
    s.dst_port = fs.dst_port.start;
    if (cfg.flow_spec)
        s.ranges = FlowRanges{{fs.src_ip.count, fs.src_ip.step}, {fs.dst_ip.count, fs.dst_ip.step},
                              {fs.src_port.count, fs.src_port.step}, {fs.dst_port.count, fs.dst_port.step}};
    return s;
}

}  // namespace ebt
