#include "pcap_reader.hpp"

#include <cstdio>
#include <memory>

#include <pcap/pcap.h>

#include "packet.hpp"

namespace ebt {

static_assert(kPcapMaxFrame == kMaxFrameLen && kPcapMinFrame == kEthHdrLen);

namespace {

struct PcapClose {
    void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapClose>;

std::string rec(uint64_t n) { return "record " + std::to_string(n); }

PcapCapture read_all(pcap_t* p, const std::string& name, const PcapLimits& lim) {
    const int link = pcap_datalink(p);
    if (link != DLT_EN10MB) {
        const char* dl = pcap_datalink_val_to_name(link);
        throw PcapError(name + ": link type " + std::to_string(link) + " (" + (dl ? dl : "unknown") +
                        "), expected Ethernet (EN10MB): only Ethernet frames can be replayed");
    }
    PcapCapture cap;
    cap.name = name;
    pcap_pkthdr* h = nullptr;
    const u_char* pkt = nullptr;
    for (uint64_t n = 1;; ++n) {
        const int rc = pcap_next_ex(p, &h, &pkt);
        if (rc == PCAP_ERROR_BREAK) break;  // end of file
        if (rc != 1) throw PcapError(name + ": " + rec(n) + ": " + pcap_geterr(p));
        if (h->caplen < h->len)
            throw PcapError(name + ": " + rec(n) + ": truncated (" + std::to_string(h->caplen) + " of " +
                            std::to_string(h->len) + " bytes captured); replay needs whole frames "
                            "(capture with a snaplen of at least the largest frame)");
        if (h->caplen > h->len)
            throw PcapError(name + ": " + rec(n) + ": " + std::to_string(h->caplen) +
                            " bytes captured of a " + std::to_string(h->len) +
                            "-byte frame: not a valid record (captured can never exceed the original)");
        if (h->ts.tv_usec < 0)
            throw PcapError(name + ": " + rec(n) + ": timestamp fraction out of range");
        if (h->caplen < kPcapMinFrame || h->caplen > kPcapMaxFrame)
            throw PcapError(name + ": " + rec(n) + ": " + std::to_string(h->caplen) + "-byte frame, expected " +
                            std::to_string(kPcapMinFrame) + ".." + std::to_string(kPcapMaxFrame) + " bytes");
        if (n > lim.max_frames)
            throw PcapError(name + ": more than " + std::to_string(lim.max_frames) + " records (the replay limit)");
        if (cap.bytes + h->caplen > lim.max_bytes)
            throw PcapError(name + ": more than " + std::to_string(lim.max_bytes) +
                            " bytes of frames (the replay limit) at " + rec(n));
        // Nanosecond precision was asked for at open: tv_usec holds ns.  The
        // file's seconds are unsigned 32-bit, but libpcap hands them over
        // sign-extended: after 2038-01-19 they arrive negative.
        const uint64_t sec = h->ts.tv_sec < 0 ? uint64_t{static_cast<uint32_t>(h->ts.tv_sec)}
                                              : static_cast<uint64_t>(h->ts.tv_sec);
        const uint64_t ts = sec * 1000000000ull + static_cast<uint64_t>(h->ts.tv_usec);
        cap.records.push_back({cap.bytes, h->caplen, ts});
        cap.data.insert(cap.data.end(), pkt, pkt + h->caplen);
        cap.bytes += h->caplen;
        if (h->caplen > cap.max_len) cap.max_len = h->caplen;
    }
    if (cap.records.empty()) throw PcapError(name + ": no records (nothing to replay)");
    return cap;
}

}  // namespace

PcapCapture read_pcap(const std::string& path, const PcapLimits& limits) {
    char err[PCAP_ERRBUF_SIZE] = {};
    PcapHandle p(pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err));
    if (!p) throw PcapError(path + ": " + err);
    return read_all(p.get(), path, limits);
}

PcapCapture read_pcap_bytes(const uint8_t* bytes, size_t size, const std::string& name, const PcapLimits& limits) {
    if (size == 0) throw PcapError(name + ": empty file");
    // fmemopen on a private copy: libpcap may seek and read it at will.
    std::vector<uint8_t> copy(bytes, bytes + size);
    FILE* f = fmemopen(copy.data(), copy.size(), "rb");
    if (f == nullptr) throw PcapError(name + ": cannot open in memory");
    char err[PCAP_ERRBUF_SIZE] = {};
    PcapHandle p(pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err));
    if (!p) {
        std::fclose(f);  // pcap owns f only on success
        throw PcapError(name + ": " + err);
    }
    return read_all(p.get(), name, limits);
}

}  // namespace ebt
