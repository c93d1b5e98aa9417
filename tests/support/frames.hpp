// Frames for capture files: a stamped test frame (another test's id) and
// frames a replay must leave alone or fit a test header into.
#pragma once

#include <cstdint>
#include <vector>

namespace ebt::test {

// A test frame of `len` bytes for `flow` (build_frame; IPv4 or IPv6, with an
// 802.1Q tag of VID 7 if `vlan`) carrying test id 4242, 1000 flows.
std::vector<uint8_t> test_frame(uint32_t len, uint32_t flow, uint8_t ip_version = 4, bool vlan = false);

// An IPv4/UDP frame whose UDP payload is `payload` bytes (no test header)
// and whose UDP checksum is 0 ("none").
std::vector<uint8_t> udp4_frame(uint32_t payload, uint16_t sport);

// A 60-byte ARP frame (not UDP).
std::vector<uint8_t> arp_frame();

}  // namespace ebt::test
