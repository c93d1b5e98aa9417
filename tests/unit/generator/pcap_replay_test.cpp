// generator/pcap_replay: a capture's flows, stamping and timeline (no EAL);
// the captures written with libpcap's pcap_dump API.
#include <gtest/gtest.h>

#include "frames.hpp"  // tests/support
#include "pcap_file.hpp"
#include "temp_dir.hpp"

#include <pcap/pcap.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "packet.hpp"
#include "pcap_reader.hpp"
#include "pcap_replay.hpp"

using namespace ebt;
using ebt::test::arp_frame;
using ebt::test::TempDir;
using ebt::test::test_frame;
using ebt::test::udp4_frame;
using ebt::test::write_pcap;

TEST(PcapReplay, FlowsAreDistinctUdpTuplesAndStampedFramesParse) {
    TempDir dir("ebt_pcap_reader_");
    const std::string p = dir.str() + "/mix.pcap";
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
    TempDir dir("ebt_pcap_reader_");
    const std::string p = dir.str() + "/plain.pcap";
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
    TempDir dir("ebt_pcap_reader_");
    const std::string p = dir.str() + "/t.pcap";
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
