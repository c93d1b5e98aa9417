// common/packet (frame builder, stamping, parser) and the DPDK-free TX
// planning/pacing math in generator/pacing.hpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "packet.hpp"
#include "../../generator/pacing.hpp"

using namespace ebt;

namespace {

// Naive, independent one's-complement sum: byte pairs, folding every step.
uint16_t naive_sum(const std::vector<uint8_t>& bytes) {
    uint32_t s = 0;
    for (size_t i = 0; i < bytes.size(); i += 2) {
        uint32_t w = static_cast<uint32_t>(bytes[i]) << 8;
        if (i + 1 < bytes.size()) w |= bytes[i + 1];
        s += w;
        if (s > 0xFFFF) s = (s & 0xFFFF) + 1;
    }
    return static_cast<uint16_t>(s);
}

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t{be16(p)} << 16 | be16(p + 2); }

// Sum over the IPv4 header including its checksum: 0xFFFF when valid.
bool naive_ip_ok(const uint8_t* f) {
    return naive_sum(std::vector<uint8_t>(f + 14, f + 34)) == 0xFFFF;
}

// Pseudo-header + UDP (with its checksum): 0xFFFF when valid; checksum 0 not allowed.
bool naive_udp_ok(const uint8_t* f, size_t len) {
    std::vector<uint8_t> v(f + 26, f + 34);  // src + dst IP
    v.push_back(0);
    v.push_back(17);
    const uint16_t ulen = be16(f + 38);
    v.push_back(static_cast<uint8_t>(ulen >> 8));
    v.push_back(static_cast<uint8_t>(ulen));
    EXPECT_EQ(ulen, len - 34);
    v.insert(v.end(), f + 34, f + len);
    return be16(f + 40) != 0 && naive_sum(v) == 0xFFFF;
}

FrameSpec make_spec(uint32_t len = 128, uint32_t flows = 4) {
    FrameSpec s;
    s.src_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    s.dst_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
    s.src_ip = 0xC6120001;  // 198.18.0.1
    s.dst_ip = 0xC6120002;
    s.src_port_base = 10000;
    s.dst_port = 9;
    s.frame_len = len;
    s.test_id = 0x1234;
    s.flows = flows;
    return s;
}

std::vector<uint8_t> build(const FrameSpec& s, uint32_t flow) {
    std::vector<uint8_t> f(s.frame_len);
    build_frame(f.data(), s, flow);
    return f;
}

}  // namespace

TEST(Packet, Constants) {
    EXPECT_EQ(kMinFrameLen, 60u);
    EXPECT_EQ(kTestHdrOffset, 42u);
    EXPECT_EQ(sizeof(struct ebt_test_hdr), 18u);
}

TEST(Packet, LayoutAndLengths) {
    for (uint32_t len : {60u, 61u, 64u, 128u, 1500u, 1514u, 9000u}) {
        const FrameSpec s = make_spec(len);
        const auto f = build(s, 3);
        const uint8_t* p = f.data();
        EXPECT_EQ(0, std::memcmp(p, s.dst_mac.data(), 6));
        EXPECT_EQ(0, std::memcmp(p + 6, s.src_mac.data(), 6));
        EXPECT_EQ(be16(p + 12), 0x0800);
        EXPECT_EQ(p[14], 0x45);
        EXPECT_EQ(be16(p + 16), len - 14);          // total length
        EXPECT_EQ(be16(p + 18), 0);                 // id
        EXPECT_EQ(be16(p + 20), 0x4000);            // DF
        EXPECT_EQ(p[22], 64);                       // TTL
        EXPECT_EQ(p[23], 17);                       // UDP
        EXPECT_EQ(be32(p + 26), s.src_ip);
        EXPECT_EQ(be32(p + 30), s.dst_ip);
        EXPECT_EQ(be16(p + 34), 10003);             // src port
        EXPECT_EQ(be16(p + 36), 9);
        EXPECT_EQ(be16(p + 38), len - 34);          // UDP length
        EXPECT_EQ(be16(p + 42), EBT_MAGIC);
        EXPECT_EQ(p[44], EBT_VERSION);
        EXPECT_EQ(p[45], 0);                        // flags
        EXPECT_EQ(be16(p + 46), 0x1234);            // test id
        EXPECT_EQ(be16(p + 48), 3);                 // flow id
        EXPECT_EQ(be32(p + 50), 0u);                // seq
        EXPECT_EQ(be16(p + 54), 0);                 // tx_ns hi
        EXPECT_EQ(be32(p + 56), 0u);                // tx_ns lo
        for (uint32_t i = 60; i < len; ++i) ASSERT_EQ(p[i], static_cast<uint8_t>(i - 60));
        EXPECT_TRUE(naive_ip_ok(p)) << len;
        EXPECT_TRUE(naive_udp_ok(p, len)) << len;
    }
}

TEST(Packet, RejectsBadLength) {
    FrameSpec s = make_spec(59);
    std::vector<uint8_t> f(10000);
    EXPECT_THROW(build_frame(f.data(), s, 0), std::invalid_argument);
    s.frame_len = 9001;
    EXPECT_THROW(build_frame(f.data(), s, 0), std::invalid_argument);
}

TEST(Packet, ChecksumFunctionsMatchNaive) {
    std::mt19937 rng(7);
    for (int iter = 0; iter < 200; ++iter) {
        FrameSpec s = make_spec(60 + rng() % 1500, 65536);
        s.src_ip = rng();
        s.dst_ip = rng();
        s.src_port_base = static_cast<uint16_t>(rng());
        s.dst_port = static_cast<uint16_t>(rng());
        s.test_id = static_cast<uint16_t>(rng());
        const auto f = build(s, rng() % 65536);
        ASSERT_TRUE(naive_ip_ok(f.data()));
        ASSERT_TRUE(naive_udp_ok(f.data(), f.size()));
        EXPECT_EQ(ipv4_header_checksum(f.data() + 14), be16(f.data() + 24));
        EXPECT_EQ(udp_ipv4_checksum(be32(f.data() + 26), be32(f.data() + 30), f.data() + 34, f.size() - 34),
                  be16(f.data() + 40));
    }
}

TEST(Packet, StampKeepsUdpChecksumValid) {
    std::vector<uint32_t> seqs = {0, 1, 2, 0xFFFF, 0x10000, 0x7FFFFFFF, 0xFFFFFFFE, 0xFFFFFFFF};
    std::vector<uint64_t> tss = {0, 1, 0xFFFF, 0xFFFFFFFF, 0x100000000ull, 0xFFFFFFFFFFFFull,
                                 0x1000000000000ull /* bit 48: truncated */, ~0ull};
    std::mt19937_64 rng(42);
    for (uint32_t len : {60u, 61u, 99u, 1500u, 9000u}) {
        const FrameSpec s = make_spec(len);
        auto f = build(s, 1);
        // Successive stamps on the same buffer (as the old values change).
        for (uint32_t seq : seqs)
            for (uint64_t ts : tss) {
                stamp_frame(f.data(), seq, ts);
                ASSERT_TRUE(naive_udp_ok(f.data(), len)) << seq << " " << ts;
                ASSERT_EQ(be32(f.data() + 50), seq);
                ASSERT_EQ(uint64_t{be16(f.data() + 54)} << 32 | be32(f.data() + 56), ts & 0xFFFFFFFFFFFFull);
                // Incremental result equals the full computation.
                ASSERT_EQ(be16(f.data() + 40),
                          udp_ipv4_checksum(s.src_ip, s.dst_ip, f.data() + 34, len - 34));
            }
        for (int i = 0; i < 20000; ++i) {
            const uint32_t seq = static_cast<uint32_t>(rng());
            const uint64_t ts = rng();
            stamp_frame(f.data(), seq, ts);
            ASSERT_TRUE(naive_udp_ok(f.data(), len));
        }
        // Sequential seq across the 2^32 wrap.
        for (uint32_t seq = 0xFFFFFF00u, k = 0; k < 512; ++k, ++seq) {
            stamp_frame(f.data(), seq, 1000 + k);
            ASSERT_TRUE(naive_udp_ok(f.data(), len));
        }
    }
}

// Find stamps whose correct UDP checksum is 0xFFFF (computed 0) and make sure
// the incremental update produces exactly that, never 0x0000; and stamps
// that lead from/to such a frame stay valid.
TEST(Packet, StampChecksumZeroCase) {
    const FrameSpec s = make_spec(64);
    auto f = build(s, 0);
    // For a fixed seq, choose tx_ns_lo low word so that the total sum is 0xFFFF.
    stamp_frame(f.data(), 5, 0);
    const uint16_t c0 = be16(f.data() + 40);  // = ~sum with tx words 0
    const uint16_t sum0 = static_cast<uint16_t>(~c0);
    // Adding word w (one's complement) must give 0xFFFF: w = 0xFFFF - sum0 (one's complement).
    const uint16_t w = static_cast<uint16_t>(0xFFFF - sum0);
    stamp_frame(f.data(), 5, w);
    ASSERT_TRUE(naive_udp_ok(f.data(), 64));
    EXPECT_EQ(be16(f.data() + 40), 0xFFFF);  // computed 0 is sent as 0xFFFF
    stamp_frame(f.data(), 6, 12345);         // and stamping away from it stays valid
    ASSERT_TRUE(naive_udp_ok(f.data(), 64));
    stamp_frame(f.data(), 5, w);
    EXPECT_EQ(be16(f.data() + 40), 0xFFFF);
    // Exhaustive sweep of the low word: every value gives a valid, non-zero checksum.
    for (uint32_t lo = 0; lo <= 0xFFFF; ++lo) {
        stamp_frame(f.data(), 0xABCDEF01, 0x123400000000ull | lo);
        ASSERT_NE(be16(f.data() + 40), 0);
        ASSERT_TRUE(naive_udp_ok(f.data(), 64)) << lo;
    }
}

TEST(Packet, ParseRoundTrip) {
    const FrameSpec s = make_spec(200, 70000 > 65536 ? 65536 : 4);
    auto f = build(s, 2);
    stamp_frame(f.data(), 0xDEADBEEF, 0xABCDEF123456ull);
    auto p = parse_test_frame(f.data(), f.size());
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->test_id, 0x1234);
    EXPECT_EQ(p->flow_id, 2);
    EXPECT_EQ(p->seq, 0xDEADBEEFu);
    EXPECT_EQ(p->tx_ns, 0xABCDEF123456ull);
    EXPECT_EQ(p->frame_len, 200u);
    EXPECT_EQ(p->src_ip, s.src_ip);
    EXPECT_EQ(p->dst_ip, s.dst_ip);
    EXPECT_EQ(p->src_port, 10002);
    EXPECT_EQ(p->dst_port, 9);
    EXPECT_EQ(p->vlan_id, 0);
    EXPECT_TRUE(p->ip_csum_ok);
    EXPECT_TRUE(p->udp_csum_ok);

    // Corrupt a payload byte: still parsed, UDP checksum flagged.
    auto g = f;
    g[150] ^= 0x01;
    p = parse_test_frame(g.data(), g.size());
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->ip_csum_ok);
    EXPECT_FALSE(p->udp_csum_ok);
    // Corrupt the TTL: IP checksum flagged.
    g = f;
    g[22] = 1;
    p = parse_test_frame(g.data(), g.size());
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->ip_csum_ok);

    // Trailing bytes (Ethernet padding) beyond the IP total length are fine.
    g = f;
    g.resize(g.size() + 7, 0);
    p = parse_test_frame(g.data(), g.size());
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->udp_csum_ok);
    EXPECT_EQ(p->frame_len, 207u);
}

TEST(Packet, ParseVlan) {
    const FrameSpec s = make_spec(100);
    auto f = build(s, 1);
    std::vector<uint8_t> t(f.begin(), f.begin() + 12);
    for (uint8_t b : {0x81, 0x00, 0x20, 0x64}) t.push_back(b);  // VLAN 100, PCP 1
    t.insert(t.end(), f.begin() + 12, f.end());
    auto p = parse_test_frame(t.data(), t.size());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->vlan_id, 100);
    EXPECT_EQ(p->flow_id, 1);
    EXPECT_TRUE(p->ip_csum_ok);
    EXPECT_TRUE(p->udp_csum_ok);
}

TEST(Packet, ParseRejectsNonTest) {
    const FrameSpec s = make_spec(100);
    const auto f = build(s, 1);
    auto g = f;
    g[12] = 0x08; g[13] = 0x06;  // ARP
    EXPECT_FALSE(parse_test_frame(g.data(), g.size()));
    g = f; g[23] = 6;  // TCP
    EXPECT_FALSE(parse_test_frame(g.data(), g.size()));
    g = f; g[42] ^= 0xFF;  // magic
    EXPECT_FALSE(parse_test_frame(g.data(), g.size()));
    g = f; g[44] = 2;  // version
    EXPECT_FALSE(parse_test_frame(g.data(), g.size()));
    g = f; g[20] = 0x20;  // MF: fragment
    EXPECT_FALSE(parse_test_frame(g.data(), g.size()));
    g = f; g[14] = 0x65;  // IPv6 version nibble
    EXPECT_FALSE(parse_test_frame(g.data(), g.size()));
    g = f; g[14] = 0x44;  // IHL 4
    EXPECT_FALSE(parse_test_frame(g.data(), g.size()));
    g = f; g[38] = 0; g[39] = 20;  // UDP length too short for the test header
    EXPECT_FALSE(parse_test_frame(g.data(), g.size()));
    g = f; g[16] = 0xFF;  // IP total length beyond the frame
    EXPECT_FALSE(parse_test_frame(g.data(), g.size()));
    EXPECT_FALSE(parse_test_frame(nullptr, 100));
}

TEST(Packet, ParseTruncatedNeverCrashes) {
    for (uint32_t len : {60u, 61u, 128u}) {
        const FrameSpec s = make_spec(len);
        const auto f = build(s, 0);
        for (size_t n = 0; n < len; ++n) {
            // Exact-size heap copies so that ASan/valgrind would catch over-reads.
            std::vector<uint8_t> cut(f.begin(), f.begin() + static_cast<long>(n));
            EXPECT_FALSE(parse_test_frame(cut.data(), n)) << n;
        }
        EXPECT_TRUE(parse_test_frame(f.data(), len));
    }
}

TEST(Packet, ParseRandomGarbage) {
    std::mt19937 rng(1);
    const auto f = build(make_spec(80), 0);
    for (int i = 0; i < 100000; ++i) {
        std::vector<uint8_t> g = f;
        const int flips = 1 + rng() % 4;
        for (int k = 0; k < flips; ++k) g[rng() % g.size()] = static_cast<uint8_t>(rng());
        g.resize(rng() % (g.size() + 1));
        (void)parse_test_frame(g.data(), g.size());
    }
}

TEST(Packet, FlowAddress) {
    FrameSpec s = make_spec(64, 65536);
    s.src_port_base = 10000;
    auto a = flow_address(s, 0);
    EXPECT_EQ(a.src_port, 10000);
    EXPECT_EQ(a.src_ip, s.src_ip);
    a = flow_address(s, 55535);  // port 65535
    EXPECT_EQ(a.src_port, 65535);
    EXPECT_EQ(a.src_ip, s.src_ip);
    a = flow_address(s, 55536);  // wraps to the base port on the next IP
    EXPECT_EQ(a.src_port, 10000);
    EXPECT_EQ(a.src_ip, s.src_ip + 1);
    a = flow_address(s, 65535);
    EXPECT_EQ(a.src_port, 10000 + 9999);
    EXPECT_EQ(a.src_ip, s.src_ip + 1);

    // All 65536 flows have distinct (ip, port) for several bases.
    for (uint16_t base : {uint16_t{0}, uint16_t{1}, uint16_t{10000}, uint16_t{65535}}) {
        s.src_port_base = base;
        std::set<uint64_t> seen;
        for (uint32_t fl = 0; fl < 65536; ++fl) {
            const auto x = flow_address(s, fl);
            ASSERT_GE(x.src_port, base);
            seen.insert(uint64_t{x.src_ip} << 16 | x.src_port);
        }
        EXPECT_EQ(seen.size(), 65536u) << base;
    }
    // And build_frame uses it.
    s.src_port_base = 65000;
    const auto f = build(s, 600);
    EXPECT_EQ(be16(f.data() + 34), 65000 + 600 % 536);
    EXPECT_EQ(be32(f.data() + 26), s.src_ip + 1);
    EXPECT_TRUE(naive_ip_ok(f.data()));
    EXPECT_TRUE(naive_udp_ok(f.data(), f.size()));
}

TEST(Packet, FormatHelpers) {
    EXPECT_EQ(format_mac({0x02, 0xab, 0, 0x10, 0xff, 1}), "02:ab:00:10:ff:01");
    EXPECT_EQ(format_ipv4(0xC6120001), "198.18.0.1");
}

// ---- generator/pacing.hpp ----

TEST(TxPlan, ExactSplits) {
    std::mt19937 rng(3);
    for (int iter = 0; iter < 2000; ++iter) {
        TestConfig cfg;
        cfg.flows = 1 + rng() % (iter < 1000 ? 20 : 65536);
        cfg.threads = 1 + rng() % 12;
        cfg.packet_rate = 1 + rng() % (iter % 3 == 0 ? 100 : 50000000);
        cfg.duration_s = (1 + rng() % 10000) / 7.0;
        const TxPlan p = plan_tx(cfg);
        ASSERT_EQ(p.threads.size(), std::min(cfg.threads, cfg.flows));
        uint64_t rate = 0, total = 0;
        uint32_t next_flow = 0;
        for (size_t i = 0; i < p.threads.size(); ++i) {
            const auto& t = p.threads[i];
            EXPECT_EQ(t.queue_id, i);
            EXPECT_EQ(t.first_flow, next_flow);  // contiguous, disjoint
            ASSERT_GE(t.flow_count, 1u);
            next_flow += t.flow_count;
            rate += t.target_pps;
            total += t.total_packets;
            EXPECT_FALSE(t.unlimited);
            EXPECT_GE(t.burst, 1u);
            EXPECT_LE(t.burst, 32u);
            EXPECT_EQ(t.burst, std::clamp<uint64_t>(t.target_pps / 1000, 1, 32));
        }
        EXPECT_EQ(next_flow, cfg.flows);  // complete
        EXPECT_EQ(rate, cfg.packet_rate);
        EXPECT_EQ(total, static_cast<uint64_t>(std::llround(cfg.packet_rate * cfg.duration_s)));
        EXPECT_EQ(p.total_packets, total);
    }
}

TEST(TxPlan, Examples) {
    TestConfig cfg;
    cfg.flows = 4;
    cfg.threads = 2;
    cfg.packet_rate = 10001;
    cfg.duration_s = 1;
    auto p = plan_tx(cfg);
    ASSERT_EQ(p.threads.size(), 2u);
    EXPECT_EQ(p.threads[0].target_pps + p.threads[1].target_pps, 10001u);
    EXPECT_EQ(p.threads[0].flow_count, 2u);
    EXPECT_EQ(p.threads[1].first_flow, 2u);
    EXPECT_EQ(p.threads[0].burst, 5u);  // 5000 or 5001 pps / 1000

    cfg.flows = 5;  // 3 + 2 flows: rates proportional (equal per flow)
    cfg.packet_rate = 5000;
    p = plan_tx(cfg);
    EXPECT_EQ(p.threads[0].target_pps, 3000u);
    EXPECT_EQ(p.threads[1].target_pps, 2000u);
    EXPECT_EQ(p.threads[0].total_packets, 3000u);

    cfg.threads = 8;  // more threads than flows
    cfg.flows = 3;
    p = plan_tx(cfg);
    EXPECT_EQ(p.threads.size(), 3u);

    cfg.rate_max = true;
    cfg.threads = 2;
    cfg.flows = 4;
    p = plan_tx(cfg);
    for (const auto& t : p.threads) {
        EXPECT_TRUE(t.unlimited);
        EXPECT_EQ(t.burst, 32u);
        EXPECT_EQ(t.target_pps, 0u);
    }
    cfg.rate_max = false;
    cfg.packet_rate = 100;  // low rate: burst 1
    p = plan_tx(cfg);
    EXPECT_EQ(p.threads[0].burst, 1u);
}

TEST(Pacer, Schedule) {
    const uint64_t hz = 2'400'000'017ull;  // awkward frequency
    for (uint64_t pps : std::vector<uint64_t>{1, 3, 1000, 10000, 14'880'952, 99'999'989}) {
        Pacer pc(hz, pps, 1000);
        EXPECT_EQ(pc.due_count(999), 0u);
        EXPECT_EQ(pc.due_count(1000), 1u);  // packet 0 due at start
        for (uint64_t k : std::vector<uint64_t>{0, 1, 2, 7, pps - 1, pps, pps + 1, 10 * pps + 3, 3600 * pps}) {
            const uint64_t t = pc.due_tsc(k);
            EXPECT_EQ(pc.due_count(t), k + 1) << pps << " " << k;
            if (t > 1000) {
                EXPECT_EQ(pc.due_count(t - 1), k) << pps << " " << k;
            }
        }
        // One hour: exactly rate*3600 (+1 for packet 0) due.
        EXPECT_EQ(pc.due_count(1000 + 3600 * hz), 3600 * pps + 1);
    }
}

TEST(Pacer, TscToNs) {
    TscToNs c{2'400'000'000ull};
    EXPECT_EQ(c(0), 0u);
    EXPECT_EQ(c(2'400'000'000ull), 1'000'000'000ull);
    EXPECT_EQ(c(2'400), 1000u);
    EXPECT_EQ(c(2'400'000'000ull * 3600 * 78), 1'000'000'000ull * 3600 * 78);
    TscToNs d{3'000'000'007ull};
    const uint64_t t = 123'456'789'012'345ull;
    EXPECT_EQ(d(t), static_cast<uint64_t>(static_cast<unsigned __int128>(t) * 1'000'000'000ull / 3'000'000'007ull));
}
