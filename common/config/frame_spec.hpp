// The traffic addressing of a resolved configuration (ip_version, vlan,
// flows or flow_spec, the machines' addresses and ports) as the packet
// builder's FrameSpec: the one conversion, used by dpdk-gen and by tests.
#pragma once

#include <array>
#include <cstdint>

#include "config.hpp"
#include "packet.hpp"

namespace ebt {

// cfg must have passed validate().  MACs and the test id are the caller's
// (they come from the port and the coordination); frame_len is
// cfg.packet_size (the largest size of a mix).
FrameSpec make_frame_spec(const TestConfig& cfg, const std::array<uint8_t, 6>& src_mac,
                          const std::array<uint8_t, 6>& dst_mac, uint16_t test_id);

}  // namespace ebt
