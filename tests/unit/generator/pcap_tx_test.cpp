// DPDK in-process test of --pcap replay (generator/pcap_tx + pcap_replay)
// through net_pcap: a crafted capture is replayed into tx_pcap=OUT and OUT
// read back: the frames in file order, looping, exactly the total; without
// stamping byte for byte, with stamping the test header, contiguous seq per
// flow and valid checksums.  Modelled on tx_engine_test (one EAL per process,
// one vdev per test).
#include <gtest/gtest.h>

#include "eal_env.hpp"  // tests/support
#include "frames.hpp"
#include "pcap_file.hpp"

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "packet.hpp"
#include "pcap_reader.hpp"
#include "pcap_replay.hpp"
#include "port.hpp"
#include "tx_engine.hpp"

using namespace ebt;

namespace {

std::string g_in, g_out[2];

using ebt::test::test_frame;  // another test's frames: replay stamps its own

// The capture: frames 0, 2 and 4 are UDP with room (flows 0, 1, 0), 1 is
// ARP and 3 IPv4/UDP with a 4-byte payload (both sent unchanged); 1 ms apart.
struct InFrame {
    std::vector<uint8_t> bytes;
    int flow;  // -1: unstamped
};
std::vector<InFrame> g_frames;

void write_input() {
    const std::vector<uint8_t> arp = ebt::test::arp_frame();
    std::vector<uint8_t> tiny = test_frame(60, 7, 4);
    // Shrink UDP to 8 + 4 bytes (IP total length too); the rest is Ethernet padding.
    detail::store_be16(tiny.data() + kIpv4Offset + 2, kIpv4HdrLen + kUdpHdrLen + 4);
    detail::store_be16(tiny.data() + kIpv4Offset + 10, 0);
    detail::store_be16(tiny.data() + kIpv4Offset + 10, ipv4_header_checksum(tiny.data() + kIpv4Offset));
    detail::store_be16(tiny.data() + kUdpOffset + 4, kUdpHdrLen + 4);
    g_frames = {{test_frame(100, 1, 4), 0}, {arp, -1}, {test_frame(200, 2, 6), 1}, {tiny, -1},
                {test_frame(1514, 1, 4), 0}};
    std::vector<ebt::test::PcapRecord> recs;
    for (size_t i = 0; i < g_frames.size(); ++i)
        recs.push_back({g_frames[i].bytes, 100'000'000'000u + i * 1'000'000u, 0});  // 1 ms apart
    ebt::test::write_pcap(g_in, recs, DLT_EN10MB, true);
}

ebt::test::EalEnv* const g_eal = ebt::test::add_eal_env(new ebt::test::EalEnv(
    "pcap_tx_test", "ebt_tx_replay_", [](const std::string& dir) {
        g_in = dir + "/in.pcap";
        write_input();
        std::vector<std::string> vdevs;
        for (int i = 0; i < 2; ++i) {
            g_out[i] = dir + "/out" + std::to_string(i) + ".pcap";
            vdevs.push_back("net_pcap" + std::to_string(i) + ",tx_pcap=" + g_out[i]);
        }
        return vdevs;
    }));

// Replays `r` on net_pcapN with `plan`; returns the context after the lcore ended.
std::unique_ptr<TxLcoreContext> run(int n, const PcapReplay& r, const TxThreadPlan& plan, bool file_timing) {
    const uint16_t pid = ebt::test::port_by_name("net_pcap" + std::to_string(n));
    PortSetup ps;
    ps.port_id = pid;
    ps.tx_queues = 1;
    ps.frame_len = r.max_len;
    Port port(ps);
    std::atomic<bool> stop{false};
    auto c = std::make_unique<TxLcoreContext>();
    c->port_id = pid;
    c->pool = port.tx_pool(0);
    c->plan = plan;
    c->tsc_hz = rte_get_tsc_hz();
    c->start_tsc = rte_rdtsc() + rte_get_tsc_hz() / 1000;
    c->epoch_tsc = c->start_tsc;
    c->deadline_tsc = c->start_tsc + 20 * rte_get_tsc_hz();  // safety only
    c->stop = &stop;
    c->replay = &r;
    c->replay_file_timing = file_timing;
    prepare_pcap_lcore(*c);
    const unsigned lc = rte_get_next_lcore(-1, 1, 0);
    EXPECT_EQ(rte_eal_remote_launch(pcap_tx_lcore_main, c.get(), lc), 0);
    EXPECT_EQ(rte_eal_wait_lcore(lc), 0);
    port.close();  // flushes the pcap file
    return c;
}

std::vector<std::vector<uint8_t>> read_out(const std::string& path) {
    std::vector<ebt::test::PcapRecord> recs;
    ebt::test::read_pcap_records(path, recs);
    std::vector<std::vector<uint8_t>> out;
    for (auto& r : recs) out.push_back(std::move(r.bytes));
    return out;
}

TxThreadPlan plan_for(const PcapReplay& r, uint64_t total, uint64_t pps) {
    TxThreadPlan t;
    t.flow_count = r.flows;
    t.total_packets = total;
    t.target_pps = pps;
    t.burst = 4;
    return t;
}

}  // namespace

TEST(TxReplay, UnstampedAtARateIsTheFileByteForByteLooping) {
    ASSERT_TRUE(g_eal->ok());
    const PcapReplay r = make_replay(read_pcap(g_in), false);
    ASSERT_EQ(r.frames.size(), 5u);
    const uint64_t total = 12;  // two passes and two frames
    const auto c = run(0, r, plan_for(r, total, 20000), false);
    EXPECT_EQ(c->end_reason, TxEndReason::kTotalReached);
    EXPECT_EQ(c->stats.packets.load(), total);
    EXPECT_EQ(c->replay_stamped, 0u);
    EXPECT_EQ(c->replay_unstamped, total);
    const auto out = read_out(g_out[0]);
    ASSERT_EQ(out.size(), total);
    uint64_t bytes = 0;
    for (size_t k = 0; k < out.size(); ++k) {
        EXPECT_EQ(out[k], g_frames[k % 5].bytes) << "packet " << k;
        bytes += out[k].size();
    }
    EXPECT_EQ(c->stats.bytes.load(), bytes);
}

TEST(TxReplay, StampedAtTheFilesTimingHasContiguousSeqPerFlow) {
    ASSERT_TRUE(g_eal->ok());
    PcapReplay r = make_replay(read_pcap(g_in), true);
    ASSERT_EQ(r.flows, 2u);
    ASSERT_EQ(r.period_ns, 5'000'000u);  // 4 ms of gaps + the 1 ms mean gap
    stamp_replay(r, 77);
    const uint64_t total = 13;
    const auto c = run(1, r, plan_for(r, total, 1000), true);
    EXPECT_EQ(c->end_reason, TxEndReason::kTotalReached);
    EXPECT_EQ(c->stats.packets.load(), total);
    // Passes 0 and 1 whole (3 stamped each), pass 2's first three (2 stamped).
    EXPECT_EQ(c->replay_stamped, 8u);
    EXPECT_EQ(c->replay_unstamped, 5u);
    ASSERT_EQ(c->flow_sent.size(), 2u);
    EXPECT_EQ(c->flow_sent[0], 5u);  // frames 0 and 4 of passes 0, 1; frame 0 of pass 2
    EXPECT_EQ(c->flow_sent[1], 3u);
    const auto out = read_out(g_out[1]);
    ASSERT_EQ(out.size(), total);
    std::map<uint16_t, uint32_t> next_seq;
    for (size_t k = 0; k < out.size(); ++k) {
        const InFrame& in = g_frames[k % 5];
        ASSERT_EQ(out[k].size(), in.bytes.size()) << k;
        if (in.flow < 0) {
            EXPECT_EQ(out[k], in.bytes) << "unstamped packet " << k;
            continue;
        }
        const auto p = parse_test_frame(out[k].data(), out[k].size());
        ASSERT_TRUE(p.has_value()) << k;
        EXPECT_EQ(p->test_id, 77);
        EXPECT_EQ(p->flow_id, in.flow) << k;
        EXPECT_EQ(p->seq, next_seq[p->flow_id]++) << k;
        EXPECT_TRUE(p->ip_csum_ok) << k;
        EXPECT_TRUE(p->udp_csum_ok) << k;
        // Never early: a burst leaves when its last packet is due (the TX
        // time's epoch is the schedule's start; 1 ns of rounding).
        EXPECT_GE(p->tx_ns + 1, r.due_ns(k)) << k;
        // Beyond the test header the frame is the file's.
        const uint32_t after = p->udp_offset + kUdpHdrLen + kTestHdrLen;
        EXPECT_EQ(std::memcmp(out[k].data() + after, in.bytes.data() + after, in.bytes.size() - after), 0) << k;
    }
}
