// Capture files for tests, written and read through libpcap's own API (not
// through the project's reader, which some of these tests check).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ebt::test {

struct PcapRecord {
    std::vector<uint8_t> bytes;  // the captured bytes (caplen)
    uint64_t ts_ns = 0;
    uint32_t wire_len = 0;       // original length; 0: the bytes' length
};

// `path` through pcap_dump (snaplen 65535), micro- or nanosecond
// timestamps; gtest failures (fatal in this function) if libpcap refuses.
void write_pcap(const std::string& path, const std::vector<PcapRecord>& recs, int link = 1 /* DLT_EN10MB */,
                bool nano = false);

// Every record of `path` in file order as libpcap reads it (bytes, time in
// ns, original length); a fatal gtest failure if the file does not open
// (call it inside ASSERT_NO_FATAL_FAILURE to stop the test there).
void read_pcap_records(const std::string& path, std::vector<PcapRecord>& out);

}  // namespace ebt::test
