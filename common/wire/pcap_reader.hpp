// A pcap capture read whole into memory (libpcap's offline API), for dpdk-gen's
// --pcap replay and the fuzz target: every record's bytes back to back, with
// its length and timestamp (ns; microsecond files are scaled by libpcap).
//
// Strict: replay needs whole Ethernet frames, so a file that is not a pcap
// (or pcapng) file, has another link type, holds no record, a truncated
// record (captured < original length: a short snaplen), a record under 14 or
// over 9000 bytes, or more than the limits' records or bytes is refused with
// a PcapError naming the file (and the record number, 1-based), never
// skipped: a replay of part of a file would not be the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ebt {

struct PcapError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct PcapLimits {
    uint64_t max_frames = 1u << 20;          // records
    uint64_t max_bytes = uint64_t{256} << 20;  // frame bytes in total
};

struct PcapRecord {
    uint64_t offset = 0;  // into PcapCapture::data
    uint32_t len = 0;     // captured = original length (whole frames only)
    uint64_t ts_ns = 0;   // the record's timestamp, ns since the Unix epoch
};

struct PcapCapture {
    std::string name;                // the path (messages)
    std::vector<uint8_t> data;       // every frame, back to back
    std::vector<PcapRecord> records; // in file order, at least one
    uint64_t bytes = 0;              // sum of the frames' lengths
    uint32_t max_len = 0;            // the largest frame
    const uint8_t* frame(size_t i) const { return data.data() + records[i].offset; }
};

inline constexpr uint32_t kPcapMinFrame = 14;    // an Ethernet header
inline constexpr uint32_t kPcapMaxFrame = 9000;  // kMaxFrameLen (packet.hpp)

// Reads a file.  Throws PcapError ("FILE: ...") on anything above.
PcapCapture read_pcap(const std::string& path, const PcapLimits& limits = {});
// The same over bytes in memory (the fuzz target); `name` is used in messages.
PcapCapture read_pcap_bytes(const uint8_t* bytes, size_t size, const std::string& name,
                            const PcapLimits& limits = {});

}  // namespace ebt
