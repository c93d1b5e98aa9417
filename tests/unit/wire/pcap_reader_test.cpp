// common/wire/pcap_reader (files written with libpcap's pcap_dump API and raw
// bytes) and generator/pcap_replay (flows, stamping, timeline; no EAL).
#include <gtest/gtest.h>

#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "packet.hpp"
#include "pcap_reader.hpp"
#include "pcap_replay.hpp"

using namespace ebt;

namespace {

class TmpDir {
public:
    TmpDir() {
        char t[] = "/tmp/ebt_pcap_reader_XXXXXX";
        if (mkdtemp(t) == nullptr) std::abort();
        path = t;
    }
    ~TmpDir() { std::filesystem::remove_all(path); }
    std::string path;
};

struct Rec {
    std::vector<uint8_t> bytes;
    uint64_t ts_ns = 0;
    uint32_t wire_len = 0;  // 0: the bytes' length
};

// A pcap file through libpcap's dump API (micro or nanosecond precision).
void write_pcap(const std::string& path, const std::vector<Rec>& recs, int link = DLT_EN10MB, bool nano = false) {
    pcap_t* dead = pcap_open_dead_with_tstamp_precision(link, 65535,
                                                        nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    ASSERT_NE(dead, nullptr);
    pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
    ASSERT_NE(d, nullptr) << pcap_geterr(dead);
    for (const auto& r : recs) {
        pcap_pkthdr h{};
        h.ts.tv_sec = static_cast<time_t>(r.ts_ns / 1000000000u);
        const uint64_t frac = r.ts_ns % 1000000000u;
        h.ts.tv_usec = static_cast<suseconds_t>(nano ? frac : frac / 1000);
        h.caplen = static_cast<bpf_u_int32>(r.bytes.size());
        h.len = r.wire_len ? r.wire_len : h.caplen;
        pcap_dump(reinterpret_cast<u_char*>(d), &h, r.bytes.data());
    }
    pcap_dump_close(d);
    pcap_close(dead);
}

std::vector<uint8_t> test_frame(uint32_t len, uint32_t flow, uint8_t ip_version = 4, bool vlan = false) {
    FrameSpec s;
    s.src_ip = 0xC6120001;
    s.dst_ip = 0xC6120002;
    s.src_ip6 = {0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    s.dst_ip6 = {0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    s.ip_version = ip_version;
    s.vlan = vlan;
    s.vlan_id = vlan ? 7 : 0;
    s.frame_len = len;
    s.flows = 1000;
    s.test_id = 4242;  // another test's: replay stamps its own
    std::vector<uint8_t> f(len);
    build_frame(f.data(), s, flow);
    return f;
}

// An IPv4/UDP frame whose UDP payload is `payload` bytes (no test header).
std::vector<uint8_t> udp4_frame(uint32_t payload, uint16_t sport) {
    std::vector<uint8_t> f(kEthHdrLen + kIpv4HdrLen + kUdpHdrLen + payload, 0xAB);
    uint8_t* ip = f.data() + kEthHdrLen;
    f[12] = 0x08, f[13] = 0x00;
    std::memset(ip, 0, kIpv4HdrLen);
    ip[0] = 0x45;
    detail::store_be16(ip + 2, static_cast<uint16_t>(f.size() - kEthHdrLen));
    ip[8] = 64;
    ip[9] = 17;
    const uint8_t addrs[8] = {198, 18, 0, 1, 198, 18, 0, 2};
    std::memcpy(ip + 12, addrs, 8);
    detail::store_be16(ip + 10, ipv4_header_checksum(ip));
    uint8_t* udp = ip + kIpv4HdrLen;
    detail::store_be16(udp, sport);
    detail::store_be16(udp + 2, 9);
    detail::store_be16(udp + 4, static_cast<uint16_t>(kUdpHdrLen + payload));
    detail::store_be16(udp + 6, 0);  // "no checksum": replay must compute one
    return f;
}

std::vector<uint8_t> arp_frame() {
    std::vector<uint8_t> f(60, 0);
    f[12] = 0x08, f[13] = 0x06;
    return f;
}

std::string error_of(const std::string& path, const PcapLimits& lim = {}) {
    try {
        (void)read_pcap(path, lim);
    } catch (const PcapError& e) {
        return e.what();
    }
    return "";
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(PcapReader, ReadsFramesLengthsAndMicrosecondTimestamps) {
    TmpDir dir;
    const std::string p = dir.path + "/a.pcap";
    const std::vector<Rec> recs = {{test_frame(60, 0), 1'700'000'000'000'001'000ull},
                                   {test_frame(1514, 1), 1'700'000'000'000'251'000ull},
                                   {arp_frame(), 1'700'000'001'000'000'000ull}};
    write_pcap(p, recs);
    const PcapCapture c = read_pcap(p);
    EXPECT_EQ(c.name, p);
    ASSERT_EQ(c.records.size(), 3u);
    EXPECT_EQ(c.bytes, 60u + 1514u + 60u);
    EXPECT_EQ(c.max_len, 1514u);
    for (size_t i = 0; i < recs.size(); ++i) {
        EXPECT_EQ(c.records[i].len, recs[i].bytes.size());
        EXPECT_EQ(c.records[i].ts_ns, recs[i].ts_ns);
        EXPECT_EQ(std::memcmp(c.frame(i), recs[i].bytes.data(), recs[i].bytes.size()), 0) << i;
    }
}

TEST(PcapReader, NanosecondFilesKeepNanoseconds) {
    TmpDir dir;
    const std::string p = dir.path + "/ns.pcap";
    write_pcap(p, {{test_frame(60, 0), 5'000'000'123ull}, {test_frame(60, 0), 5'000'000'124ull}}, DLT_EN10MB, true);
    const PcapCapture c = read_pcap(p);
    ASSERT_EQ(c.records.size(), 2u);
    EXPECT_EQ(c.records[0].ts_ns, 5'000'000'123ull);
    EXPECT_EQ(c.records[1].ts_ns, 5'000'000'124ull);
}

TEST(PcapReader, BytesInMemoryReadLikeTheFile) {
    TmpDir dir;
    const std::string p = dir.path + "/m.pcap";
    write_pcap(p, {{test_frame(100, 3), 1000}, {arp_frame(), 2000}});
    std::ifstream in(p, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const PcapCapture a = read_pcap(p), b = read_pcap_bytes(bytes.data(), bytes.size(), "mem");
    EXPECT_EQ(a.data, b.data);
    ASSERT_EQ(b.records.size(), 2u);
    EXPECT_EQ(b.records[1].ts_ns, a.records[1].ts_ns);
    EXPECT_TRUE(has(error_of(dir.path + "/none"), dir.path + "/none"));
    try {
        (void)read_pcap_bytes(bytes.data(), 30, "mem");  // header plus part of a record header
        ADD_FAILURE() << "a cut file was accepted";
    } catch (const PcapError& e) {
        EXPECT_TRUE(has(e.what(), "mem: ")) << e.what();
    }
}

TEST(PcapReader, BadFilesAreRefusedNamingFileAndCause) {
    TmpDir dir;
    const std::string d = dir.path;
    // Missing.
    EXPECT_TRUE(has(error_of(d + "/missing.pcap"), d + "/missing.pcap: "));
    // Not a pcap file.
    {
        std::ofstream(d + "/text.pcap") << "this is not a capture file, just some text\n";
        const std::string e = error_of(d + "/text.pcap");
        EXPECT_TRUE(has(e, d + "/text.pcap: ")) << e;
    }
    // Another link type.
    {
        write_pcap(d + "/raw.pcap", {{std::vector<uint8_t>(40, 0x45), 0}}, DLT_RAW);
        const std::string e = error_of(d + "/raw.pcap");
        EXPECT_TRUE(has(e, d + "/raw.pcap: link type")) << e;
        EXPECT_TRUE(has(e, "RAW")) << e;
        EXPECT_TRUE(has(e, "expected Ethernet")) << e;
    }
    // No records.
    write_pcap(d + "/empty.pcap", {});
    EXPECT_TRUE(has(error_of(d + "/empty.pcap"), "no records")) << error_of(d + "/empty.pcap");
    // A truncated record (snaplen shorter than the frame).
    write_pcap(d + "/snap.pcap", {{test_frame(60, 0), 0}, {std::vector<uint8_t>(64, 1), 1, 1514}});
    EXPECT_TRUE(has(error_of(d + "/snap.pcap"), "record 2: truncated (64 of 1514 bytes captured)"))
        << error_of(d + "/snap.pcap");
    // Captured over the original length: no valid record.
    write_pcap(d + "/over.pcap", {{test_frame(60, 0), 0}, {std::vector<uint8_t>(64, 1), 1, 60}});
    EXPECT_TRUE(has(error_of(d + "/over.pcap"), "record 2: 64 bytes captured of a 60-byte frame: not a valid record"))
        << error_of(d + "/over.pcap");
    // Too short and too long.
    write_pcap(d + "/short.pcap", {{std::vector<uint8_t>(13, 0), 0}});
    EXPECT_TRUE(has(error_of(d + "/short.pcap"), "record 1: 13-byte frame, expected 14..9000"))
        << error_of(d + "/short.pcap");
    write_pcap(d + "/long.pcap", {{test_frame(60, 0), 0}, {test_frame(60, 0), 1}, {std::vector<uint8_t>(9001, 0), 2}});
    EXPECT_TRUE(has(error_of(d + "/long.pcap"), "record 3: 9001-byte frame")) << error_of(d + "/long.pcap");
    // Cut in the middle of a record.
    {
        write_pcap(d + "/cut.pcap", {{test_frame(60, 0), 0}, {test_frame(200, 0), 1}});
        std::filesystem::resize_file(d + "/cut.pcap", std::filesystem::file_size(d + "/cut.pcap") - 50);
        const std::string e = error_of(d + "/cut.pcap");
        EXPECT_TRUE(has(e, d + "/cut.pcap: record 2: ")) << e;
    }
    // The limits.
    write_pcap(d + "/three.pcap", {{test_frame(60, 0), 0}, {test_frame(60, 0), 1}, {test_frame(60, 0), 2}});
    EXPECT_TRUE(has(error_of(d + "/three.pcap", {2, 1 << 20}), "more than 2 records")) << error_of(d + "/three.pcap", {2, 1 << 20});
    EXPECT_TRUE(has(error_of(d + "/three.pcap", {10, 150}), "more than 150 bytes of frames (the replay limit) at record 3"))
        << error_of(d + "/three.pcap", {10, 150});
    EXPECT_EQ(error_of(d + "/three.pcap", {3, 180}), "");
}

TEST(PcapReplay, FlowsAreDistinctUdpTuplesAndStampedFramesParse) {
    TmpDir dir;
    const std::string p = dir.path + "/mix.pcap";
    write_pcap(p, {{test_frame(60, 0), 0},             // flow 0
                   {arp_frame(), 10},                  // not UDP: unstamped
                   {test_frame(120, 5, 6, true), 20},  // IPv6 + VLAN: flow 1
                   {udp4_frame(17, 5000), 30},         // 17-byte payload: no room, unstamped
                   {udp4_frame(18, 5001), 40},         // exactly room, no checksum: flow 2
                   {test_frame(300, 0), 50}});         // flow 0's tuple again
    PcapReplay r = make_replay(read_pcap(p), true);
    ASSERT_EQ(r.frames.size(), 6u);
    EXPECT_EQ(r.flows, 3u);
    EXPECT_EQ(r.stamped_frames, 4u);
    const uint32_t want_flow[6] = {0, kUnstampedFlow, 1, kUnstampedFlow, 2, 0};
    for (size_t i = 0; i < 6; ++i) EXPECT_EQ(r.frames[i].flow, want_flow[i]) << i;

    const std::vector<uint8_t> before = r.data;
    stamp_replay(r, 77);
    for (size_t i = 0; i < 6; ++i) {
        const ReplayFrame& f = r.frames[i];
        std::vector<uint8_t> frame(r.data.begin() + static_cast<long>(f.offset),
                                   r.data.begin() + static_cast<long>(f.offset + f.len));
        if (f.flow == kUnstampedFlow) {
            EXPECT_EQ(std::memcmp(frame.data(), before.data() + f.offset, f.len), 0) << "unstamped frame changed " << i;
            continue;
        }
        stamp_frame(frame.data(), 1000 + static_cast<uint32_t>(i), 0x123456789ABCull, f.at);
        const auto parsed = parse_test_frame(frame.data(), frame.size());
        ASSERT_TRUE(parsed.has_value()) << i;
        EXPECT_EQ(parsed->test_id, 77);
        EXPECT_EQ(parsed->flow_id, f.flow);
        EXPECT_EQ(parsed->seq, 1000 + i);
        EXPECT_EQ(parsed->tx_ns, 0x123456789ABCull);
        EXPECT_TRUE(parsed->ip_csum_ok) << i;
        EXPECT_TRUE(parsed->udp_csum_ok) << i;
        EXPECT_EQ(parsed->vlan, i == 2);
        // Everything outside the test header and the UDP checksum is the file's.
        const auto u = locate_udp(frame.data(), frame.size());
        ASSERT_TRUE(u.has_value());
        EXPECT_EQ(std::memcmp(frame.data(), before.data() + f.offset, u->udp + 6), 0) << i;
        const uint32_t after_hdr = u->udp + kUdpHdrLen + kTestHdrLen;
        EXPECT_EQ(std::memcmp(frame.data() + after_hdr, before.data() + f.offset + after_hdr, f.len - after_hdr), 0) << i;
    }
    // The UDP checksum of the checksum-less frame is a real one now.
    const ReplayFrame& f4 = r.frames[4];
    EXPECT_NE(detail::load_be16(r.data.data() + f4.offset + kUdpOffset + 6), 0);
}

TEST(PcapReplay, WithoutStampNothingChanges) {
    TmpDir dir;
    const std::string p = dir.path + "/plain.pcap";
    write_pcap(p, {{test_frame(60, 0), 0}, {udp4_frame(40, 1), 5}});
    const PcapCapture cap = read_pcap(p);
    const std::vector<uint8_t> bytes = cap.data;
    PcapReplay r = make_replay(read_pcap(p), false);
    EXPECT_EQ(r.flows, 0u);
    EXPECT_EQ(r.stamped_frames, 0u);
    for (const auto& f : r.frames) EXPECT_EQ(f.flow, kUnstampedFlow);
    EXPECT_EQ(r.data, bytes);
}

TEST(PcapReplay, TimelineLoopsWithTheMeanGap) {
    TmpDir dir;
    const std::string p = dir.path + "/t.pcap";
    // Gaps 100 ns, then backwards (counts as 0), then 200 ns.
    write_pcap(p, {{arp_frame(), 1000}, {arp_frame(), 1100}, {arp_frame(), 1050}, {arp_frame(), 1250}}, DLT_EN10MB,
               true);
    const PcapReplay r = make_replay(read_pcap(p), false);
    ASSERT_EQ(r.frames.size(), 4u);
    EXPECT_EQ(r.frames[0].rel_ns, 0u);
    EXPECT_EQ(r.frames[1].rel_ns, 100u);
    EXPECT_EQ(r.frames[2].rel_ns, 100u);
    EXPECT_EQ(r.frames[3].rel_ns, 300u);
    EXPECT_EQ(r.mean_gap_ns, 100u);
    EXPECT_EQ(r.period_ns, 400u);
    EXPECT_EQ(r.due_ns(3), 300u);
    EXPECT_EQ(r.due_ns(4), 400u);
    EXPECT_EQ(r.due_ns(9), 900u);
    EXPECT_EQ(r.packets_before(0), 0u);
    EXPECT_EQ(r.packets_before(1), 1u);
    EXPECT_EQ(r.packets_before(100), 1u);
    EXPECT_EQ(r.packets_before(101), 3u);
    EXPECT_EQ(r.packets_before(400), 4u);
    EXPECT_EQ(r.packets_before(401), 5u);
    // packets_before(t) counts exactly the k with due_ns(k) < t.
    for (uint64_t t = 0; t < 2000; t += 7) {
        uint64_t n = 0;
        while (r.due_ns(n) < t) ++n;
        EXPECT_EQ(r.packets_before(t), n) << t;
    }
    // One frame: no timeline.
    write_pcap(p, {{arp_frame(), 1000}});
    EXPECT_EQ(make_replay(read_pcap(p), false).period_ns, 0u);
}

// The format's seconds are unsigned 32-bit: after 2038-01-19 (top bit set)
// they stay in order and 1 us apart, not wrapped.
TEST(PcapReader, TimestampsAfter2038) {
    TmpDir t;
    const std::string f = t.path + "/y2038.pcap";
    const uint64_t s0 = 0x7FFFFFFFull;  // the last second before the sign bit
    write_pcap(f, {{test_frame(60, 0), s0 * 1000000000u + 999999000u}, {test_frame(60, 0), (s0 + 1) * 1000000000u}});
    const PcapCapture c = read_pcap(f);
    ASSERT_EQ(c.records.size(), 2u);
    EXPECT_EQ(c.records[0].ts_ns, s0 * 1000000000u + 999999000u);
    EXPECT_EQ(c.records[1].ts_ns, (s0 + 1) * 1000000000u);
    EXPECT_EQ(c.records[1].ts_ns - c.records[0].ts_ns, 1000u);
}
