// --pcap replay, prepared on the main lcore (pure: no DPDK, so unit tests can
// use it): the capture's frames in file order, for --pcap-stamp each UDP
// frame with room for the test header turned into a test frame of its
// 5-tuple's flow, and the file's timeline for --pcap-timing file.
//
//  - Flows: flow id = the index of the frame's distinct UDP 5-tuple (IP
//    version, addresses, ports) in order of first appearance, up to
//    EBT_MAX_FLOWS; frames of later tuples, non-UDP frames and UDP payloads
//    under 18 bytes are not stamped (sent unchanged, counted unstamped).
//  - Timeline: frame i is due rel[i] ns after the start of its pass, rel the
//    running sum of the gaps between consecutive timestamps (a timestamp
//    earlier than its predecessor counts as a gap of 0); pass p starts at
//    p * period, period = rel[last] + the mean gap.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "packet.hpp"
#include "pcap_reader.hpp"

namespace ebt {

struct ReplayFrame {
    uint64_t offset = 0;          // into PcapReplay::data
    uint32_t len = 0;
    uint32_t flow = UINT32_MAX;   // kUnstampedFlow: sent unchanged
    StampOffsets at{};            // stamped frames: where stamp_frame() writes
    uint64_t rel_ns = 0;          // due this long after its pass starts
};

inline constexpr uint32_t kUnstampedFlow = UINT32_MAX;

struct PcapReplay {
    std::string file;
    std::vector<uint8_t> data;        // the frames (stamped ones with the test header)
    std::vector<ReplayFrame> frames;  // file order, at least one
    std::vector<UdpLocation> udp;     // --pcap-stamp: per frame (valid where frames[i].flow is set)
    uint64_t bytes = 0;               // sum of the frames' lengths
    uint32_t max_len = 0;
    bool stamp = false;               // --pcap-stamp
    uint32_t flows = 0;               // stamped flows (ids 0..flows-1)
    uint64_t stamped_frames = 0;      // frames of the file that carry the test header
    uint64_t mean_gap_ns = 0;         // rel[last] / (frames - 1); 0 for one frame
    uint64_t period_ns = 0;           // one pass of the timeline: rel[last] + mean gap

    double mean_frame_size() const { return static_cast<double>(bytes) / static_cast<double>(frames.size()); }
    // Due time (ns from the start) of replayed packet k (k-th of the whole run).
    uint64_t due_ns(uint64_t k) const;
    // How many replayed packets are due before t_ns (file timing).
    uint64_t packets_before(uint64_t t_ns) const;
};

// Takes the capture's frames; with stamp, finds each frame's UDP header and
// assigns the flows (the headers are written by stamp_replay once the test
// id is known).
PcapReplay make_replay(PcapCapture&& cap, bool stamp);

// --pcap-stamp: writes the test header (test id, the frame's flow, seq 0,
// tx_ns 0) into every stampable frame and recomputes its UDP checksum.
void stamp_replay(PcapReplay& r, uint16_t test_id);

}  // namespace ebt
