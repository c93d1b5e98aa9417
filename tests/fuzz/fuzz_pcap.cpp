// libFuzzer target: a pcap file read the way the project reads captures:
// common/pcap_reader (dpdk-gen's --pcap replay) over the bytes, then every
// record handed to parse_test_frame and locate_udp with its length.
// libpcap itself is Debian's uninstrumented build, so coverage guidance
// reaches only our side; a crash inside libpcap on a malformed file still
// shows up (SEGV/ASan on our buffers).  Only PcapError may escape the reader.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "packet.hpp"
#include "pcap_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ebt::PcapCapture cap;
    try {
        cap = ebt::read_pcap_bytes(data, size, "fuzz", ebt::PcapLimits{10000, uint64_t{16} << 20});
    } catch (const ebt::PcapError&) {
        return 0;
    }
    for (size_t i = 0; i < cap.records.size(); ++i) {
        const uint32_t len = cap.records[i].len;
        // An exactly-sized copy: a parser read past the frame is an ASan report.
        std::unique_ptr<uint8_t[]> frame(new uint8_t[len]);
        std::memcpy(frame.get(), cap.frame(i), len);
        const auto parsed = ebt::parse_test_frame(frame.get(), len);
        if (parsed && parsed->frame_len != len) std::abort();
        const auto udp = ebt::locate_udp(frame.get(), len);
        if (udp && uint64_t{udp->udp} + udp->udp_len > len) std::abort();
    }
    return 0;
}
