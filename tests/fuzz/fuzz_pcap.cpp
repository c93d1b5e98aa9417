// libFuzzer target: a pcap file read the way the project reads captures,
// common/wire/pcap_reader (dpdk-gen's --pcap replay), compared with two other
// readings of the same bytes:
//  1. libpcap's own, a plain pcap_fopen_offline / pcap_next_ex loop: our
//     reader must accept exactly when every record passes its rules (whole
//     frames of 14..9000 bytes, Ethernet link type, at least one record,
//     within the limits, no read error) and then hold every record, byte
//     for byte and length for length, back to back, in file order.
//  2. For classic pcap files (magic a1b2c3d4 / a1b23c4d in either byte
//     order, version 2.4, link type 1, every record within the snaplen): an
//     independent parser of the format written here: the same records and
//     the same timestamps in ns (seconds x 1e9 + microseconds x 1000, or +
//     nanoseconds), and a file it finds cut short is refused.
// Every accepted record is also handed to parse_test_frame and locate_udp
// with its length (an exactly-sized copy: a read past it is an ASan report).
// libpcap itself is Debian's uninstrumented build, so coverage guidance
// reaches only our side.  Only PcapError may escape the reader.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pcap/pcap.h>

#include "packet.hpp"
#include "pcap_reader.hpp"

namespace {

constexpr ebt::PcapLimits kLimits{10000, uint64_t{16} << 20};

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz_pcap: %s\n", what.c_str());
    std::abort();
}

struct Rec {
    std::vector<uint8_t> bytes;   // caplen bytes
    uint32_t len = 0;             // original length
    uint64_t ts_ns = 0;           // independent parser only
};

// 1. libpcap's own reading: whether our reader's rules accept the file, and
//    the records if so.
bool libpcap_accepts(const uint8_t* data, size_t size, std::vector<Rec>& out) {
    std::vector<uint8_t> copy(data, data + size);
    FILE* f = fmemopen(copy.data(), copy.size(), "rb");
    if (f == nullptr) fail("fmemopen");
    char err[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
    if (p == nullptr) {
        std::fclose(f);
        return false;
    }
    bool ok = pcap_datalink(p) == DLT_EN10MB;
    uint64_t bytes = 0;
    for (uint64_t n = 1; ok; ++n) {
        pcap_pkthdr* h = nullptr;
        const u_char* pkt = nullptr;
        const int rc = pcap_next_ex(p, &h, &pkt);
        if (rc == PCAP_ERROR_BREAK) break;
        if (rc != 1 || h->caplen != h->len || h->ts.tv_usec < 0 || h->caplen < ebt::kPcapMinFrame ||
            h->caplen > ebt::kPcapMaxFrame ||
            n > kLimits.max_frames || bytes + h->caplen > kLimits.max_bytes) {
            ok = false;
            break;
        }
        out.push_back({std::vector<uint8_t>(pkt, pkt + h->caplen), h->len, 0});
        bytes += h->caplen;
    }
    pcap_close(p);
    return ok && !out.empty();
}

// 2. The classic format, read independently.  nullopt: not in the subset
//    compared (another format or version, another link type, a record over
//    the snaplen: libpcap's special cases); else whether the file is whole
//    (every record complete) and its records.
struct Classic {
    bool whole = true;
    std::vector<Rec> recs;
};
std::optional<Classic> classic_pcap(const uint8_t* d, size_t size) {
    if (size < 24) return std::nullopt;
    auto le32 = [d](size_t o) { return uint32_t{d[o]} | uint32_t{d[o + 1]} << 8 | uint32_t{d[o + 2]} << 16 | uint32_t{d[o + 3]} << 24; };
    auto be32 = [d](size_t o) { return uint32_t{d[o + 3]} | uint32_t{d[o + 2]} << 8 | uint32_t{d[o + 1]} << 16 | uint32_t{d[o]} << 24; };
    const bool little = le32(0) == 0xa1b2c3d4 || le32(0) == 0xa1b23c4d;
    const bool big = be32(0) == 0xa1b2c3d4 || be32(0) == 0xa1b23c4d;
    if (!little && !big) return std::nullopt;
    auto u32 = [&](size_t o) { return little ? le32(o) : be32(o); };
    auto u16 = [&](size_t o) { return static_cast<uint16_t>(little ? d[o] | d[o + 1] << 8 : d[o] << 8 | d[o + 1]); };
    const bool nano = u32(0) == 0xa1b23c4d;
    const uint32_t snaplen = u32(16);
    if (u16(4) != 2 || u16(6) != 4 || u32(20) != 1 || snaplen == 0 || snaplen > 262144) return std::nullopt;
    Classic c;
    for (size_t off = 24; off < size;) {
        if (size - off < 16) {
            c.whole = false;   // a record header cut short
            break;
        }
        const uint32_t sec = u32(off), frac = u32(off + 4), caplen = u32(off + 8), len = u32(off + 12);
        if (caplen > snaplen) return std::nullopt;
        // A fraction with the top bit set is no valid fraction (libpcap's
        // reading of it is its own business): not compared.  Seconds are
        // unsigned 32-bit, after 2038-01-19 too.
        if (frac >> 31) return std::nullopt;
        if (size - off - 16 < caplen) {
            c.whole = false;   // a record body cut short
            break;
        }
        Rec r;
        r.bytes.assign(d + off + 16, d + off + 16 + caplen);
        r.len = len;
        r.ts_ns = uint64_t{sec} * 1'000'000'000 + (nano ? uint64_t{frac} : uint64_t{frac} * 1000);
        c.recs.push_back(std::move(r));
        off += 16 + caplen;
    }
    return c;
}

void same_records(const ebt::PcapCapture& cap, const std::vector<Rec>& want, bool timestamps, const char* who) {
    if (cap.records.size() != want.size())
        fail(std::string(who) + ": " + std::to_string(cap.records.size()) + " records, expected " +
             std::to_string(want.size()));
    uint64_t offset = 0;
    uint32_t max_len = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        const ebt::PcapRecord& r = cap.records[i];
        const std::string at = std::string(who) + ": record " + std::to_string(i + 1);
        if (r.offset != offset) fail(at + ": not back to back");
        // Captured == original for every record the reader accepts.
        if (r.len != want[i].bytes.size() || r.len != want[i].len) fail(at + ": length");
        if (std::memcmp(cap.frame(i), want[i].bytes.data(), r.len) != 0) fail(at + ": bytes");
        if (timestamps && r.ts_ns != want[i].ts_ns)
            fail(at + ": timestamp " + std::to_string(r.ts_ns) + ", expected " + std::to_string(want[i].ts_ns));
        offset += r.len;
        if (r.len > max_len) max_len = r.len;
    }
    if (cap.bytes != offset || cap.data.size() != offset || cap.max_len != max_len) fail(std::string(who) + ": totals");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::optional<ebt::PcapCapture> cap;
    try {
        cap = ebt::read_pcap_bytes(data, size, "fuzz", kLimits);
    } catch (const ebt::PcapError&) {
    }

    std::vector<Rec> lib;
    const bool lib_ok = size > 0 && libpcap_accepts(data, size, lib);
    if (cap.has_value() != lib_ok)
        fail(std::string("pcap_reader ") + (cap ? "accepted" : "refused") + " a file libpcap's own loop " +
             (lib_ok ? "reads whole" : "fails or breaks a rule on"));
    if (cap) same_records(*cap, lib, false, "libpcap");

    if (const auto c = classic_pcap(data, size)) {
        // Cut short: refused (libpcap reports the truncated record).
        if (!c->whole && cap) fail("pcap_reader accepted a file whose last record is cut short");
        if (cap) same_records(*cap, c->recs, true, "classic parser");
    }

    if (!cap) return 0;
    for (size_t i = 0; i < cap->records.size(); ++i) {
        const uint32_t len = cap->records[i].len;
        // An exactly-sized copy: a parser read past the frame is an ASan report.
        std::unique_ptr<uint8_t[]> frame(new uint8_t[len]);
        std::memcpy(frame.get(), cap->frame(i), len);
        const auto parsed = ebt::parse_test_frame(frame.get(), len);
        if (parsed && parsed->frame_len != len) fail("parse_test_frame: frame_len");
        const auto udp = ebt::locate_udp(frame.get(), len);
        if (udp && uint64_t{udp->udp} + udp->udp_len > len) fail("locate_udp: past the frame");
    }
    return 0;
}
