// libFuzzer target: a pcap file read the way the project reads captures
// (tests/unit/tx_pcap_test.cpp today; dpdk-gen's --pcap replay when it
// lands): libpcap's offline reader over the bytes, every record handed to
// parse_test_frame with its captured length.  libpcap itself is Debian's
// uninstrumented build, so coverage guidance reaches only our side; a crash
// inside libpcap on a malformed file still shows up (SEGV/ASan on our
// buffers).  There is no pcap reader in common/ yet; when one lands, this
// target should call it instead.
#include <pcap/pcap.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    // fmemopen on a private copy: libpcap may seek and read it at will.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[size]);
    std::memcpy(copy.get(), data, size);
    FILE* f = fmemopen(copy.get(), size, "rb");
    if (f == nullptr) return 0;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_fopen_offline(f, err);  // owns f from here on success
    if (p == nullptr) {
        std::fclose(f);
        return 0;
    }
    pcap_pkthdr* h = nullptr;
    const u_char* pkt = nullptr;
    int rc;
    unsigned records = 0;
    while ((rc = pcap_next_ex(p, &h, &pkt)) == 1 && records++ < 10000) {
        // An exactly-sized copy: a parser read past caplen is an ASan report.
        std::unique_ptr<uint8_t[]> frame(new uint8_t[h->caplen == 0 ? 1 : h->caplen]);
        if (h->caplen != 0) std::memcpy(frame.get(), pkt, h->caplen);
        const auto parsed = ebt::parse_test_frame(frame.get(), h->caplen);
        if (parsed && parsed->frame_len != h->caplen) std::abort();
    }
    pcap_close(p);
    return 0;
}
