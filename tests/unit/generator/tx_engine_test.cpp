// DPDK in-process tests of generator/port + generator/tx_engine on virtual
// devices: net_pcap (frames checked one by one from the written file) and
// net_null (rate max, stop flag; deadline).  A closed vdev port is released,
// so each test owns one device.  One rte_eal_init per process: every DPDK
// test lives in this executable; the EAL is set up by a global environment.
#include <gtest/gtest.h>

#include "eal_env.hpp"  // tests/support
#include "pcap_file.hpp"

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <tuple>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "frame_spec.hpp"
#include "packet.hpp"
#include "port.hpp"
#include "seq_faults.hpp"
#include "tx_engine.hpp"

using namespace ebt;
using ebt::test::port_by_name;

namespace {

std::string g_pcap;
std::string g_faults_pcap;
std::string g_imix_pcap;
std::string g_addr_pcap[3];  // flow_spec + VLAN IPv4, IPv6 + VLAN size mix, IPv6 minimum frames

// Vdevs: net_pcap0..5 write into the scratch directory, net_null0..1.
ebt::test::EalEnv* const g_eal = ebt::test::add_eal_env(new ebt::test::EalEnv(
    "tx_engine_test", "ebt_tx_pcap_", [](const std::string& dir) {
        g_pcap = dir + "/out.pcap";
        g_faults_pcap = dir + "/faults.pcap";
        g_imix_pcap = dir + "/imix.pcap";
        std::vector<std::string> vdevs = {"net_pcap0,tx_pcap=" + g_pcap, "net_pcap1,tx_pcap=" + g_faults_pcap,
                                          "net_pcap2,tx_pcap=" + g_imix_pcap, "net_null0", "net_null1"};
        for (int i = 0; i < 3; ++i) {
            g_addr_pcap[i] = dir + "/addr" + std::to_string(i) + ".pcap";
            vdevs.push_back("net_pcap" + std::to_string(3 + i) + ",tx_pcap=" + g_addr_pcap[i]);
        }
        return vdevs;
    }));

FrameSpec spec_for(const Port& port, uint32_t len, uint32_t flows) {
    FrameSpec s;
    s.src_mac = port.mac();
    s.dst_mac = {0x02, 0, 0, 0, 0, 0x02};
    s.src_ip = 0xC6120001;
    s.dst_ip = 0xC6120002;
    s.src_port_base = 10000;
    s.dst_port = 9;
    s.frame_len = len;
    s.test_id = 77;
    s.flows = flows;
    return s;
}

unsigned tx_lcore() {
    const unsigned lc = rte_get_next_lcore(-1, 1, 0);
    EXPECT_LT(lc, RTE_MAX_LCORE) << "needs a worker lcore (-l 0-1)";
    return lc;
}

}  // namespace

TEST(TxPcap, ThousandPacketsFourFlows) {
    ASSERT_TRUE(g_eal->ok());
    const uint16_t pid = port_by_name("net_pcap0");
    constexpr uint32_t kLen = 100;
    {
        PortSetup ps;
        ps.port_id = pid;
        ps.tx_queues = 1;
        ps.frame_len = kLen;
        Port port(ps);
        EXPECT_EQ(port.id(), pid);
        EXPECT_EQ(port.driver(), "net_pcap");

        TestConfig cfg;
        cfg.packet_rate = 10000;
        cfg.duration_s = 0.1;
        cfg.flows = 4;
        cfg.threads = 1;
        const TxPlan plan = plan_tx(cfg);
        ASSERT_EQ(plan.threads.size(), 1u);
        ASSERT_EQ(plan.threads[0].total_packets, 1000u);

        std::atomic<bool> stop{false};
        auto ctx = std::make_unique<TxLcoreContext>();
        ctx->port_id = pid;
        ctx->pool = port.tx_pool(0);
        ctx->plan = plan.threads[0];
        ctx->spec = spec_for(port, kLen, cfg.flows);
        ctx->tsc_hz = rte_get_tsc_hz();
        ctx->epoch_tsc = rte_rdtsc();
        ctx->start_tsc = 0;
        ctx->deadline_tsc = rte_rdtsc() + 10 * rte_get_tsc_hz();  // safety only
        ctx->stop = &stop;
        prepare_tx_lcore(*ctx);

        const unsigned lc = tx_lcore();
        const uint64_t t0 = rte_rdtsc();
        ASSERT_EQ(rte_eal_remote_launch(tx_lcore_main, ctx.get(), lc), 0);
        EXPECT_EQ(rte_eal_wait_lcore(lc), 0);
        const double secs = static_cast<double>(rte_rdtsc() - t0) / rte_get_tsc_hz();

        EXPECT_EQ(ctx->end_reason, TxEndReason::kTotalReached);
        EXPECT_EQ(ctx->stats.packets.load(), 1000u);
        EXPECT_EQ(ctx->stats.bytes.load(), 1000u * kLen);
        EXPECT_EQ(ctx->stats.tx_full_dropped.load(), 0u);
        EXPECT_TRUE(ctx->stats.finished.load());
        for (uint64_t n : ctx->flow_sent) EXPECT_EQ(n, 250u);
        // Paced at 10000 pps: 1000 packets take at least ~0.1 s (the last one
        // is due at 99.9 ms).  No upper bound: a loaded machine may deschedule
        // the lcore, which then catches up late (late_packets).
        EXPECT_GT(secs, 0.09);
        const PortCounters pc = port.counters();
        EXPECT_EQ(pc.opackets, 1000u);
        port.close();  // flushes the pcap file
    }

    std::vector<ebt::test::PcapRecord> recs;
    ASSERT_NO_FATAL_FAILURE(ebt::test::read_pcap_records(g_pcap, recs));
    std::map<uint16_t, std::vector<uint32_t>> seqs;
    std::vector<uint64_t> ts;
    size_t frames = 0;
    for (const auto& r : recs) {
        ++frames;
        ASSERT_EQ(r.bytes.size(), kLen);
        auto p = parse_test_frame(r.bytes.data(), r.bytes.size());
        ASSERT_TRUE(p.has_value()) << "frame " << frames;
        EXPECT_TRUE(p->ip_csum_ok);
        EXPECT_TRUE(p->udp_csum_ok);
        EXPECT_EQ(p->test_id, 77);
        EXPECT_EQ(p->dst_port, 9);
        EXPECT_EQ(p->src_port, 10000 + p->flow_id);
        seqs[p->flow_id].push_back(p->seq);
        ts.push_back(p->tx_ns);
    }
    EXPECT_EQ(frames, 1000u);
    ASSERT_EQ(seqs.size(), 4u);
    for (auto& [flow, v] : seqs) {
        EXPECT_LT(flow, 4);
        ASSERT_EQ(v.size(), 250u) << "flow " << flow;
        for (uint32_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], i) << "flow " << flow;
    }
    // tx_ns never decreases and spans at least ~0.1 s minus two bursts.
    for (size_t i = 1; i < ts.size(); ++i) EXPECT_LE(ts[i - 1], ts[i]);
    ASSERT_FALSE(ts.empty());
    EXPECT_GT(ts.back() - ts.front(), 95'000'000u);
}

TEST(TxNull, RateMaxUntilStopFlag) {
    ASSERT_TRUE(g_eal->ok());
    const uint16_t pid = port_by_name("net_null0");
    PortSetup ps;
    ps.port_id = pid;
    ps.frame_len = 60;
    Port port(ps);

    TestConfig cfg;
    cfg.rate_max = true;
    cfg.flows = 3;
    cfg.threads = 1;
    const TxPlan plan = plan_tx(cfg);
    std::atomic<bool> stop{false};
    auto ctx = std::make_unique<TxLcoreContext>();
    ctx->port_id = pid;
    ctx->pool = port.tx_pool(0);
    ctx->plan = plan.threads[0];
    ctx->spec = spec_for(port, 60, cfg.flows);
    ctx->tsc_hz = rte_get_tsc_hz();
    ctx->epoch_tsc = rte_rdtsc();
    ctx->stop = &stop;
    prepare_tx_lcore(*ctx);

    const unsigned lc = tx_lcore();
    ASSERT_EQ(rte_eal_remote_launch(tx_lcore_main, ctx.get(), lc), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const uint64_t mid = ctx->stats.packets.load(std::memory_order_relaxed);
    stop.store(true);
    EXPECT_EQ(rte_eal_wait_lcore(lc), 0);
    EXPECT_EQ(ctx->end_reason, TxEndReason::kStopFlag);
    const uint64_t n = ctx->stats.packets.load();
    EXPECT_GT(mid, 0u);
    EXPECT_GE(n, mid);
    uint64_t per_flow = 0;
    for (uint64_t f : ctx->flow_sent) per_flow += f;
    EXPECT_EQ(per_flow, n);
    // Round robin: per-flow counts differ by at most one.
    const auto [mn, mx] = std::minmax_element(ctx->flow_sent.begin(), ctx->flow_sent.end());
    EXPECT_LE(*mx - *mn, 1u);
    for (size_t i = 0; i < ctx->flow_sent.size(); ++i) EXPECT_EQ(ctx->flow_seq[i], ctx->flow_sent[i]);
    std::printf("net_null rate max, 60-byte frames: %.2f Mpps over ~0.3 s\n", mid / 0.3 / 1e6);
}

TEST(TxNull, DeadlineStopsPacedSender) {
    ASSERT_TRUE(g_eal->ok());
    // Closing a vdev port releases it: every test uses its own device.
    const uint16_t pid = port_by_name("net_null1");
    PortSetup ps;
    ps.port_id = pid;
    ps.frame_len = 1500;
    Port port(ps);

    TestConfig cfg;
    cfg.packet_rate = 100000;
    cfg.duration_s = 100;  // total far beyond the deadline
    cfg.flows = 2;
    const TxPlan plan = plan_tx(cfg);
    auto ctx = std::make_unique<TxLcoreContext>();
    ctx->port_id = pid;
    ctx->pool = port.tx_pool(0);
    ctx->plan = plan.threads[0];
    ctx->spec = spec_for(port, 1500, cfg.flows);
    ctx->tsc_hz = rte_get_tsc_hz();
    ctx->epoch_tsc = rte_rdtsc();
    ctx->start_tsc = ctx->epoch_tsc + ctx->tsc_hz / 20;        // 50 ms delayed start
    ctx->deadline_tsc = ctx->start_tsc + ctx->tsc_hz / 5;      // 200 ms of sending
    prepare_tx_lcore(*ctx);

    const unsigned lc = tx_lcore();
    ASSERT_EQ(rte_eal_remote_launch(tx_lcore_main, ctx.get(), lc), 0);
    EXPECT_EQ(rte_eal_wait_lcore(lc), 0);
    EXPECT_EQ(ctx->end_reason, TxEndReason::kDeadline);
    const uint64_t n = ctx->stats.packets.load();
    // 100 kpps for 0.2 s = 20000 slots, burst 32.  Pacing never runs ahead of
    // the schedule, even while catching up after the lcore was descheduled
    // (a busy machine): those bursts are counted in late_packets.
    EXPECT_LE(n, 20000u + 32);
    EXPECT_GT(n, 0u);
}

// --test-seq-faults: the frames written are exactly the faulted sequences,
// every flow still gets its round-robin share, and flow_sent counts frames.
TEST(TxPcap, SequenceFaults) {
    ASSERT_TRUE(g_eal->ok());
    const uint16_t pid = port_by_name("net_pcap1");
    constexpr uint32_t kLen = 60;
    constexpr uint32_t kFlows = 4;
    // flow 0: 3 skipped; flow 1: 5 twice; flow 2: 7 and 8 swapped, 100
    // skipped; flow 3: 0 and 247 (its last) duplicated.
    const auto faults =
        parse_seq_faults("skip:0:3,dup:1:5,swap:2:7,skip:2:100,dup:3:0,dup:3:247", kFlows);
    ASSERT_EQ(faults.size(), 6u);
    std::vector<uint64_t> flow_sent;
    {
        PortSetup ps;
        ps.port_id = pid;
        ps.frame_len = kLen;
        Port port(ps);
        TestConfig cfg;
        cfg.packet_rate = 100000;
        cfg.duration_s = 0.01;  // 1000 packets, 250 per flow
        cfg.flows = kFlows;
        const TxPlan plan = plan_tx(cfg);
        ASSERT_EQ(plan.threads[0].total_packets, 1000u);
        auto ctx = std::make_unique<TxLcoreContext>();
        ctx->port_id = pid;
        ctx->pool = port.tx_pool(0);
        ctx->plan = plan.threads[0];
        ctx->spec = spec_for(port, kLen, kFlows);
        ctx->tsc_hz = rte_get_tsc_hz();
        ctx->epoch_tsc = rte_rdtsc();
        ctx->deadline_tsc = rte_rdtsc() + 10 * rte_get_tsc_hz();  // safety only
        ctx->faults = faults_for_flows(faults, 0, kFlows);
        prepare_tx_lcore(*ctx);
        const unsigned lc = tx_lcore();
        ASSERT_EQ(rte_eal_remote_launch(tx_lcore_main, ctx.get(), lc), 0);
        EXPECT_EQ(rte_eal_wait_lcore(lc), 0);
        EXPECT_EQ(ctx->end_reason, TxEndReason::kTotalReached);
        EXPECT_EQ(ctx->stats.packets.load(), 1000u);
        flow_sent = ctx->flow_sent;
        port.close();
    }
    auto range = [](uint32_t lo, uint32_t hi) {  // [lo, hi)
        std::vector<uint32_t> v;
        for (uint32_t i = lo; i < hi; ++i) v.push_back(i);
        return v;
    };
    auto cat = [](std::vector<uint32_t> a, const std::vector<uint32_t>& b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
    };
    std::map<uint16_t, std::vector<uint32_t>> want;
    want[0] = cat({0, 1, 2}, range(4, 251));
    want[1] = cat(cat(range(0, 6), {5}), range(6, 249));
    want[2] = cat(cat(cat(range(0, 7), {8, 7}), range(9, 100)), range(101, 251));
    want[3] = cat(cat({0, 0}, range(1, 248)), {247});
    for (auto& [f, v] : want) ASSERT_EQ(v.size(), 250u) << "model of flow " << f;

    std::vector<ebt::test::PcapRecord> recs;
    ASSERT_NO_FATAL_FAILURE(ebt::test::read_pcap_records(g_faults_pcap, recs));
    std::map<uint16_t, std::vector<uint32_t>> got;
    for (const auto& r : recs) {
        auto p = parse_test_frame(r.bytes.data(), r.bytes.size());
        ASSERT_TRUE(p.has_value());
        EXPECT_TRUE(p->ip_csum_ok);
        EXPECT_TRUE(p->udp_csum_ok);
        got[p->flow_id].push_back(p->seq);
    }
    EXPECT_EQ(got, want);
    ASSERT_EQ(flow_sent.size(), kFlows);
    for (uint32_t f = 0; f < kFlows; ++f) EXPECT_EQ(flow_sent[f], 250u) << "flow " << f;
}

// IMIX: every flow, and the whole, follows 7:4:1 of 60/566/1514 exactly per
// 12 frames; every frame is well formed and each flow's sequence contiguous.
TEST(TxPcap, ImixWeightsPerFlow) {
    ASSERT_TRUE(g_eal->ok());
    const uint16_t pid = port_by_name("net_pcap2");
    constexpr uint32_t kFlows = 3;
    std::vector<uint64_t> flow_bytes;
    uint64_t total_bytes = 0;
    {
        PortSetup ps;
        ps.port_id = pid;
        ps.frame_len = 1514;
        Port port(ps);
        TestConfig cfg;
        cfg.packet_rate = 36000;
        cfg.duration_s = 0.01;  // 360 frames: 120 per flow, 10 IMIX periods each
        cfg.flows = kFlows;
        const TxPlan plan = plan_tx(cfg);
        ASSERT_EQ(plan.threads[0].total_packets, 360u);
        auto ctx = std::make_unique<TxLcoreContext>();
        ctx->port_id = pid;
        ctx->pool = port.tx_pool(0);
        ctx->plan = plan.threads[0];
        ctx->spec = spec_for(port, 1514, kFlows);
        ctx->size_mix = kImix;
        ctx->tsc_hz = rte_get_tsc_hz();
        ctx->epoch_tsc = rte_rdtsc();
        ctx->deadline_tsc = rte_rdtsc() + 10 * rte_get_tsc_hz();  // safety only
        prepare_tx_lcore(*ctx);
        const unsigned lc = tx_lcore();
        ASSERT_EQ(rte_eal_remote_launch(tx_lcore_main, ctx.get(), lc), 0);
        EXPECT_EQ(rte_eal_wait_lcore(lc), 0);
        EXPECT_EQ(ctx->stats.packets.load(), 360u);
        flow_bytes = ctx->flow_bytes;
        total_bytes = ctx->stats.bytes.load();
        port.close();
    }
    std::vector<ebt::test::PcapRecord> recs;
    ASSERT_NO_FATAL_FAILURE(ebt::test::read_pcap_records(g_imix_pcap, recs));
    std::map<uint16_t, std::map<uint32_t, uint32_t>> sizes;  // flow -> size -> frames
    std::map<uint16_t, std::vector<uint32_t>> seqs;
    std::map<uint16_t, uint64_t> bytes;
    uint64_t pcap_bytes = 0;
    for (const auto& r : recs) {
        const uint8_t* data = r.bytes.data();
        const auto caplen = static_cast<uint32_t>(r.bytes.size());
        auto p = parse_test_frame(data, caplen);
        ASSERT_TRUE(p.has_value());
        EXPECT_TRUE(p->ip_csum_ok);
        EXPECT_TRUE(p->udp_csum_ok);
        // IP and UDP lengths describe exactly this frame.
        EXPECT_EQ((data[16] << 8 | data[17]) + 14u, caplen);
        EXPECT_EQ((data[38] << 8 | data[39]) + 34u, caplen);
        sizes[p->flow_id][caplen]++;
        seqs[p->flow_id].push_back(p->seq);
        bytes[p->flow_id] += caplen;
        pcap_bytes += caplen;
    }
    ASSERT_EQ(sizes.size(), kFlows);
    const std::map<uint32_t, uint32_t> want{{60, 70}, {566, 40}, {1514, 10}};
    for (uint16_t f = 0; f < kFlows; ++f) {
        EXPECT_EQ(sizes[f], want) << "flow " << f;
        for (uint32_t i = 0; i < seqs[f].size(); ++i) ASSERT_EQ(seqs[f][i], i) << "flow " << f;
        EXPECT_EQ(flow_bytes[f], bytes[f]) << "flow " << f;
    }
    EXPECT_EQ(total_bytes, pcap_bytes);
}

// ---- traffic addressing: flow_spec, IPv6, 802.1Q ----

namespace {

struct Frame {
    std::vector<uint8_t> bytes;
    ParsedTestPacket p;
};

// Sends cfg's exact total (rate x duration) on port `name` through one TX
// lcore with the config's own FrameSpec (make_frame_spec, as dpdk-gen does)
// and returns every frame of the pcap file, parsed.
std::vector<Frame> send_to_pcap(const char* name, const std::string& pcap_file, const TestConfig& cfg,
                                FrameSpec& spec_out) {
    const uint16_t pid = port_by_name(name);
    {
        PortSetup ps;
        ps.port_id = pid;
        ps.frame_len = cfg.packet_size;
        ps.vlan_tagged = cfg.vlan.has_value();
        Port port(ps);
        const TxPlan plan = plan_tx(cfg);
        EXPECT_EQ(plan.threads.size(), 1u);
        auto ctx = std::make_unique<TxLcoreContext>();
        ctx->port_id = pid;
        ctx->pool = port.tx_pool(0);
        ctx->plan = plan.threads[0];
        ctx->spec = make_frame_spec(cfg, port.mac(), {0x02, 0, 0, 0, 0, 0x02}, 4242);
        spec_out = ctx->spec;
        ctx->size_mix = cfg.size_mix;
        ctx->tsc_hz = rte_get_tsc_hz();
        ctx->epoch_tsc = rte_rdtsc();
        ctx->deadline_tsc = rte_rdtsc() + 10 * rte_get_tsc_hz();  // safety only
        prepare_tx_lcore(*ctx);
        const unsigned lc = tx_lcore();
        EXPECT_EQ(rte_eal_remote_launch(tx_lcore_main, ctx.get(), lc), 0);
        EXPECT_EQ(rte_eal_wait_lcore(lc), 0);
        EXPECT_EQ(ctx->end_reason, TxEndReason::kTotalReached);
        EXPECT_EQ(ctx->stats.packets.load(), plan.total_packets);
        port.close();
    }
    std::vector<Frame> out;
    std::vector<ebt::test::PcapRecord> recs;
    ebt::test::read_pcap_records(pcap_file, recs);
    for (const auto& r : recs) {
        EXPECT_EQ(r.bytes.size(), r.wire_len);
        auto p = parse_test_frame(r.bytes.data(), r.bytes.size());
        EXPECT_TRUE(p.has_value()) << "frame " << out.size();
        if (!p) break;
        out.push_back({r.bytes, *p});
    }
    return out;
}

uint16_t be16_at(const std::vector<uint8_t>& b, size_t off) { return static_cast<uint16_t>(b[off] << 8 | b[off + 1]); }

// Checks every frame's headers for its layout and every flow's sequence,
// and returns frames per flow.
std::map<uint16_t, uint64_t> check_frames(const std::vector<Frame>& frames, const TestConfig& cfg) {
    std::map<uint16_t, std::vector<uint32_t>> seqs;
    std::map<uint16_t, uint64_t> per_flow;
    const bool v6 = cfg.ip_version == 6;
    const uint32_t l3 = cfg.vlan ? 18 : 14;
    for (size_t i = 0; i < frames.size(); ++i) {
        const auto& b = frames[i].bytes;
        const ParsedTestPacket& p = frames[i].p;
        SCOPED_TRACE("frame " + std::to_string(i));
        EXPECT_TRUE(p.ip_csum_ok);
        EXPECT_TRUE(p.udp_csum_ok);
        EXPECT_EQ(p.test_id, 4242);
        EXPECT_EQ(p.ip_version, cfg.ip_version);
        EXPECT_EQ(p.vlan, cfg.vlan.has_value());
        if (cfg.vlan) {
            EXPECT_EQ(be16_at(b, 12), 0x8100);
            EXPECT_EQ(be16_at(b, 14), cfg.vlan->pcp << 13 | cfg.vlan->id);  // DEI 0
        }
        EXPECT_EQ(be16_at(b, l3 - 2), v6 ? 0x86DD : 0x0800);
        const uint32_t udp = l3 + (v6 ? 40 : 20);
        EXPECT_EQ(p.udp_offset, udp);
        if (v6) {
            EXPECT_EQ(b[l3] >> 4, 6);
            EXPECT_EQ(be16_at(b, l3 + 4) + udp, b.size());  // payload length
            EXPECT_EQ(b[l3 + 6], 17);                        // next header UDP
            EXPECT_EQ(b[l3 + 7], 64);                        // hop limit
            EXPECT_NE(be16_at(b, udp + 6), 0);               // checksum mandatory
        } else {
            EXPECT_EQ(b[l3], 0x45);
            EXPECT_EQ(be16_at(b, l3 + 2) + l3, b.size());    // total length
        }
        EXPECT_EQ(be16_at(b, udp + 4) + udp, b.size());      // UDP length
        seqs[p.flow_id].push_back(p.seq);
        ++per_flow[p.flow_id];
    }
    for (const auto& [f, v] : seqs)
        for (uint32_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], i) << "flow " << f;  // contiguous per flow
    return per_flow;
}

}  // namespace

// flow_spec over IPv4 with a VLAN tag: every combination of the ranges is a
// flow with exactly its share, addresses as documented (src_port fastest,
// then dst_port, src_ip, dst_ip), computed here independently.
TEST(TxPcapAddressing, FlowSpecEveryCombinationEqually) {
    ASSERT_TRUE(g_eal->ok());
    TestConfig cfg;
    apply_yaml_text(cfg,
                    "traffic_config:\n"
                    "  packet_rate: 48000\n"
                    "  packet_size: 64\n"
                    "  vlan: {id: 100, pcp: 3}\n"
                    "  flow_spec:\n"
                    "    src_ip: {start: 198.18.0.10, count: 2, step: 16}\n"
                    "    dst_ip: {start: 198.18.1.1, count: 2, step: 1}\n"
                    "    src_port: {start: 1000, count: 3, step: 5}\n"
                    "    dst_port: {start: 7, count: 2, step: 1000}\n"
                    "test_config:\n"
                    "  duration: 0.05\n",
                    "flow_spec.yaml");
    validate(cfg);
    ASSERT_EQ(cfg.flows, 24u);
    FrameSpec spec;
    const auto frames = send_to_pcap("net_pcap3", g_addr_pcap[0], cfg, spec);
    ASSERT_EQ(frames.size(), 2400u);  // 48000 pps x 0.05 s
    const auto per_flow = check_frames(frames, cfg);
    ASSERT_EQ(per_flow.size(), 24u);
    for (const auto& [f, n] : per_flow) EXPECT_EQ(n, 100u) << "flow " << f;

    std::map<std::tuple<uint32_t, uint32_t, uint16_t, uint16_t>, uint64_t> combos;
    for (const auto& fr : frames) {
        const ParsedTestPacket& p = fr.p;
        const uint32_t f = p.flow_id;
        EXPECT_EQ(p.src_port, 1000 + 5 * (f % 3)) << f;
        EXPECT_EQ(p.dst_port, 7 + 1000 * (f / 3 % 2)) << f;
        EXPECT_EQ(p.src_ip, 0xC612000Au + 16 * (f / 6 % 2)) << f;
        EXPECT_EQ(p.dst_ip, 0xC6120101u + (f / 12)) << f;
        EXPECT_EQ((FlowAddress{p.src_ip, p.dst_ip, p.src_port, p.dst_port}), flow_address(spec, f));
        ++combos[{p.src_ip, p.dst_ip, p.src_port, p.dst_port}];
        EXPECT_EQ(fr.bytes.size(), 64u);
    }
    ASSERT_EQ(combos.size(), 24u);  // 2 x 2 x 3 x 2: every combination
    for (const auto& [k, n] : combos) EXPECT_EQ(n, 100u);
}

// IPv6 with a VLAN tag and a weighted size mix: wide templates, the IPv6
// checksum on every frame, every flow following the weights exactly.
TEST(TxPcapAddressing, Ipv6VlanSizeMix) {
    ASSERT_TRUE(g_eal->ok());
    TestConfig cfg;
    apply_yaml_text(cfg,
                    "traffic_config:\n"
                    "  packet_rate: 12000\n"
                    "  packet_size: \"84:3,570:2,1518:1\"\n"
                    "  ip_version: 6\n"
                    "  vlan: {id: 4094, pcp: 7}\n"
                    "  flow_spec:\n"
                    "    src_ip: {count: 2, step: 65536}\n"
                    "    dst_port: {count: 2}\n"
                    "test_config:\n"
                    "  duration: 0.1\n",
                    "ipv6.yaml");
    validate(cfg);
    ASSERT_EQ(cfg.flows, 4u);
    FrameSpec spec;
    const auto frames = send_to_pcap("net_pcap4", g_addr_pcap[1], cfg, spec);
    ASSERT_EQ(frames.size(), 1200u);
    const auto per_flow = check_frames(frames, cfg);
    ASSERT_EQ(per_flow.size(), 4u);
    std::map<uint16_t, std::map<size_t, uint64_t>> sizes;
    for (const auto& fr : frames) {
        const ParsedTestPacket& p = fr.p;
        sizes[p.flow_id][fr.bytes.size()]++;
        EXPECT_EQ(format_ipv6(p.dst_ip6), "2001:2::2");
        EXPECT_EQ(format_ipv6(p.src_ip6), p.flow_id / 2 == 0 ? "2001:2::1" : "2001:2::1:1");
        EXPECT_EQ(p.dst_port, 9 + p.flow_id % 2);
        EXPECT_EQ((FlowAddress{p.src_ip, p.dst_ip, p.src_port, p.dst_port}), flow_address(spec, p.flow_id));
    }
    const std::map<size_t, uint64_t> want{{84, 150}, {570, 100}, {1518, 50}};  // 300 per flow, 3:2:1
    for (const auto& [f, m] : sizes) EXPECT_EQ(m, want) << "flow " << f;
}

// Untagged IPv6 at its 80-byte minimum (a frame shorter than the 128-byte
// template stride) with flows: N.
TEST(TxPcapAddressing, Ipv6MinimumFramesFlowsN) {
    ASSERT_TRUE(g_eal->ok());
    TestConfig cfg;
    cfg.ip_version = 6;
    cfg.packet_size = 80;
    cfg.flows = 5;
    cfg.packet_rate = 50000;
    cfg.duration_s = 0.02;
    validate(cfg);
    FrameSpec spec;
    const auto frames = send_to_pcap("net_pcap5", g_addr_pcap[2], cfg, spec);
    ASSERT_EQ(frames.size(), 1000u);
    const auto per_flow = check_frames(frames, cfg);
    ASSERT_EQ(per_flow.size(), 5u);
    for (const auto& [f, n] : per_flow) EXPECT_EQ(n, 200u) << "flow " << f;
    for (const auto& fr : frames) {
        EXPECT_EQ(fr.bytes.size(), 80u);
        EXPECT_EQ(fr.p.src_port, 10000 + fr.p.flow_id);
        EXPECT_EQ(format_ipv6(fr.p.src_ip6), "2001:2::1");
    }
}
