// common/wire/packet: the frame builder, stamping and the parser.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <cstring>
#include <set>
#include <tuple>
#include <vector>

#include "packet.hpp"

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

// ---- IPv6, 802.1Q tags, flow_spec ranges ----

namespace {

// Pseudo-header + UDP for either IP version, from the frame's own bytes:
// 0xFFFF when the checksum is valid (0 is never valid here: build_frame
// always sends one, and IPv6 requires it).
bool naive_udp_ok_at(const std::vector<uint8_t>& f, uint32_t l3, bool v6) {
    const uint32_t udp = l3 + (v6 ? 40 : 20);
    const uint16_t ulen = be16(f.data() + udp + 4);
    EXPECT_EQ(ulen, f.size() - udp);
    std::vector<uint8_t> v;
    if (v6) {
        v.insert(v.end(), f.begin() + l3 + 8, f.begin() + l3 + 40);  // src, dst
        for (uint8_t b : {uint8_t{0}, uint8_t{0}, static_cast<uint8_t>(ulen >> 8), static_cast<uint8_t>(ulen),
                          uint8_t{0}, uint8_t{0}, uint8_t{0}, uint8_t{17}})
            v.push_back(b);
    } else {
        v.insert(v.end(), f.begin() + l3 + 12, f.begin() + l3 + 20);
        for (uint8_t b : {uint8_t{0}, uint8_t{17}, static_cast<uint8_t>(ulen >> 8), static_cast<uint8_t>(ulen)})
            v.push_back(b);
    }
    v.insert(v.end(), f.begin() + udp, f.end());
    return be16(f.data() + udp + 6) != 0 && naive_sum(v) == 0xFFFF;
}

FrameSpec make_spec6(uint32_t len, bool vlan) {
    FrameSpec s = make_spec(len);
    s.ip_version = 6;
    s.src_ip6 = {0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};  // 2001:2::1
    s.dst_ip6 = {0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};  // 2001:2::2
    s.vlan = vlan;
    s.vlan_id = 100;
    s.vlan_pcp = 5;
    return s;
}

}  // namespace

TEST(Packet, LayoutsAndMinimumSizes) {
    EXPECT_EQ(min_frame_len(4, false), 60u);
    EXPECT_EQ(min_frame_len(4, true), 64u);
    EXPECT_EQ(min_frame_len(6, false), 80u);
    EXPECT_EQ(min_frame_len(6, true), 84u);
    const FrameLayout l = frame_layout(6, true);
    EXPECT_EQ(l.l3, 18u);
    EXPECT_EQ(l.udp, 58u);
    EXPECT_EQ(l.test_hdr, 66u);
    EXPECT_EQ(l.payload, 84u);
    const StampOffsets a = stamp_offsets(frame_layout(4, false));
    EXPECT_EQ(a.seq, 50u);
    EXPECT_EQ(a.udp_csum, 40u);
    const StampOffsets d{};  // the default is untagged IPv4
    EXPECT_EQ(d.seq, a.seq);
    EXPECT_EQ(d.udp_csum, a.udp_csum);
    // Each layout's minimum builds; one byte less is refused.
    for (uint8_t ver : {uint8_t{4}, uint8_t{6}})
        for (bool vlan : {false, true}) {
            FrameSpec s = ver == 6 ? make_spec6(60, vlan) : make_spec(60);
            s.vlan = vlan;
            s.vlan_id = 1;
            std::vector<uint8_t> f(200);
            s.frame_len = min_frame_len(ver, vlan);
            EXPECT_NO_THROW(build_frame(f.data(), s, 0)) << int(ver) << vlan;
            s.frame_len -= 1;
            EXPECT_THROW(build_frame(f.data(), s, 0), std::invalid_argument) << int(ver) << vlan;
        }
}

TEST(Packet, Ipv6LayoutAndChecksum) {
    for (uint32_t len : {80u, 81u, 128u, 1514u, 9000u}) {
        const FrameSpec s = make_spec6(len, false);
        const auto f = build(s, 3);
        const uint8_t* p = f.data();
        EXPECT_EQ(be16(p + 12), 0x86DD);
        EXPECT_EQ(be32(p + 14), 0x60000000u);          // version 6, TC 0, flow label 0
        EXPECT_EQ(be16(p + 18), len - 54);             // payload length = UDP length
        EXPECT_EQ(p[20], 17);                          // next header UDP
        EXPECT_EQ(p[21], 64);                          // hop limit
        EXPECT_EQ(0, std::memcmp(p + 22, s.src_ip6.data(), 16));
        EXPECT_EQ(0, std::memcmp(p + 38, s.dst_ip6.data(), 16));
        EXPECT_EQ(be16(p + 54), 10003);                // src port (flows: N)
        EXPECT_EQ(be16(p + 56), 9);
        EXPECT_EQ(be16(p + 58), len - 54);
        EXPECT_EQ(be16(p + 62), EBT_MAGIC);
        EXPECT_EQ(be16(p + 68), 3);                    // flow id
        for (uint32_t i = 80; i < len; ++i) ASSERT_EQ(p[i], static_cast<uint8_t>(i - 80));
        EXPECT_TRUE(naive_udp_ok_at(f, 14, true)) << len;
        EXPECT_EQ(udp_ipv6_checksum(p + 22, p + 38, p + 54, len - 54), be16(p + 60));
    }
}

TEST(Packet, VlanTagLayout) {
    for (bool v6 : {false, true}) {
        FrameSpec s = v6 ? make_spec6(200, true) : make_spec(200);
        s.vlan = true;
        s.vlan_id = 4094;
        s.vlan_pcp = 7;
        const auto f = build(s, 1);
        EXPECT_EQ(be16(f.data() + 12), 0x8100);
        EXPECT_EQ(be16(f.data() + 14), 0xEFFE);        // PCP 7, DEI 0, VID 4094
        EXPECT_EQ(be16(f.data() + 16), v6 ? 0x86DD : 0x0800);
        if (!v6) {
            EXPECT_EQ(f[18], 0x45);
            EXPECT_EQ(be16(f.data() + 20), 200u - 18);  // IPv4 total length
            EXPECT_EQ(naive_sum(std::vector<uint8_t>(f.begin() + 18, f.begin() + 38)), 0xFFFF);
        }
        EXPECT_TRUE(naive_udp_ok_at(f, 18, v6)) << v6;
        const auto p = parse_test_frame(f.data(), f.size());
        ASSERT_TRUE(p) << v6;
        EXPECT_TRUE(p->vlan);
        EXPECT_EQ(p->vlan_id, 4094);
        EXPECT_EQ(p->vlan_pcp, 7);
        EXPECT_EQ(p->ip_version, v6 ? 6 : 4);
        EXPECT_EQ(p->udp_offset, v6 ? 58u : 38u);
        EXPECT_TRUE(p->ip_csum_ok);
        EXPECT_TRUE(p->udp_csum_ok);
        EXPECT_EQ(p->flow_id, 1);
    }
    FrameSpec s = make_spec(100);
    s.vlan = true;
    std::vector<uint8_t> f(100);
    for (auto [id, pcp] : {std::pair{0, 0}, {4095, 0}, {1, 8}}) {
        s.vlan_id = static_cast<uint16_t>(id);
        s.vlan_pcp = static_cast<uint8_t>(pcp);
        EXPECT_THROW(build_frame(f.data(), s, 0), std::invalid_argument) << id << " " << pcp;
    }
    s = make_spec(100);
    s.ip_version = 5;
    EXPECT_THROW(build_frame(f.data(), s, 0), std::invalid_argument);
}

// stamp_frame at the layout's offsets keeps every layout's UDP checksum
// equal to the full computation.
TEST(Packet, StampEveryLayout) {
    std::mt19937_64 rng(11);
    for (uint8_t ver : {uint8_t{4}, uint8_t{6}})
        for (bool vlan : {false, true})
            for (uint32_t len : {min_frame_len(ver, vlan), 99u, 1514u}) {
                FrameSpec s = ver == 6 ? make_spec6(len, vlan) : make_spec(len);
                s.vlan = vlan;
                s.vlan_id = 42;
                const FrameLayout lay = frame_layout(s);
                const StampOffsets at = stamp_offsets(lay);
                auto f = build(s, 2);
                for (int i = 0; i < 5000; ++i) {
                    const auto seq = static_cast<uint32_t>(rng());
                    const uint64_t ts = rng();
                    stamp_frame(f.data(), seq, ts, at);
                    ASSERT_TRUE(naive_udp_ok_at(f, lay.l3, ver == 6)) << int(ver) << vlan << len;
                    const auto p = parse_test_frame(f.data(), f.size());
                    ASSERT_TRUE(p);
                    ASSERT_EQ(p->seq, seq);
                    ASSERT_EQ(p->tx_ns, ts & 0xFFFFFFFFFFFFull);
                    ASSERT_TRUE(p->udp_csum_ok);
                    const uint8_t* u = f.data() + lay.udp;
                    const uint16_t full = ver == 6 ? udp_ipv6_checksum(f.data() + lay.l3 + 8, f.data() + lay.l3 + 24, u, len - lay.udp)
                                                   : udp_ipv4_checksum(be32(f.data() + lay.l3 + 12), be32(f.data() + lay.l3 + 16), u, len - lay.udp);
                    ASSERT_EQ(be16(u + 6), full);
                }
            }
}

TEST(Packet, ParseIpv6) {
    const FrameSpec s = make_spec6(150, false);
    auto f = build(s, 2);
    stamp_frame(f.data(), 77, 123456, stamp_offsets(frame_layout(s)));
    auto p = parse_test_frame(f.data(), f.size());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->ip_version, 6);
    EXPECT_EQ(p->src_ip6, s.src_ip6);
    EXPECT_EQ(p->dst_ip6, s.dst_ip6);
    EXPECT_EQ(p->src_ip, 1u);   // the low 32 bits
    EXPECT_EQ(p->dst_ip, 2u);
    EXPECT_EQ(p->src_port, 10002);
    EXPECT_EQ(p->seq, 77u);
    EXPECT_EQ(p->tx_ns, 123456u);
    EXPECT_FALSE(p->vlan);
    EXPECT_TRUE(p->ip_csum_ok);
    EXPECT_TRUE(p->udp_csum_ok);
    EXPECT_EQ(format_ipv6(p->src_ip6), "2001:2::1");

    auto g = f;
    g[120] ^= 0x10;  // payload
    ASSERT_TRUE(parse_test_frame(g.data(), g.size()));
    EXPECT_FALSE(parse_test_frame(g.data(), g.size())->udp_csum_ok);
    g = f;
    g[30] ^= 0x01;   // an address byte: the pseudo-header covers it
    EXPECT_FALSE(parse_test_frame(g.data(), g.size())->udp_csum_ok);
    g = f;
    g[60] = g[61] = 0;  // checksum 0 is invalid in IPv6
    ASSERT_TRUE(parse_test_frame(g.data(), g.size()));
    EXPECT_FALSE(parse_test_frame(g.data(), g.size())->udp_csum_ok);
    g = f;
    g[20] = 0;  // hop-by-hop extension header: not ours
    EXPECT_FALSE(parse_test_frame(g.data(), g.size()));
    g = f;
    g[14] = 0x40;  // version 4 under the IPv6 ethertype
    EXPECT_FALSE(parse_test_frame(g.data(), g.size()));
    g = f;
    g[18] = 0x01;  // payload length beyond the frame
    EXPECT_FALSE(parse_test_frame(g.data(), g.size()));
    // Truncated anywhere: refused, no over-read (exact-size copies).
    for (size_t n = 0; n < f.size(); ++n) {
        std::vector<uint8_t> cut(f.begin(), f.begin() + static_cast<long>(n));
        EXPECT_FALSE(parse_test_frame(cut.data(), n)) << n;
    }
    // Ethernet padding after the datagram is fine.
    g = f;
    g.resize(g.size() + 9, 0);
    ASSERT_TRUE(parse_test_frame(g.data(), g.size()));
    EXPECT_TRUE(parse_test_frame(g.data(), g.size())->udp_csum_ok);
}

// flow_spec: the product in the documented nesting order, each combination once.
TEST(Packet, FlowRangesProduct) {
    FrameSpec s = make_spec(64, 2 * 3 * 4 * 5);
    s.src_port_base = 1000;
    s.dst_port = 2000;
    s.ranges = FlowRanges{{2, 256}, {3, 1}, {4, 10}, {5, 7}};  // src_ip, dst_ip, src_port, dst_port
    EXPECT_EQ(s.ranges->product(), 120u);
    std::set<std::tuple<uint32_t, uint32_t, uint16_t, uint16_t>> seen;
    for (uint32_t f = 0; f < 120; ++f) {
        const FlowAddress a = flow_address(s, f);
        const uint32_t i_sport = f % 4, i_dport = f / 4 % 5, i_sip = f / 20 % 2, i_dip = f / 40;
        EXPECT_EQ(a.src_port, 1000 + 10 * i_sport) << f;
        EXPECT_EQ(a.dst_port, 2000 + 7 * i_dport) << f;
        EXPECT_EQ(a.src_ip, s.src_ip + 256 * i_sip) << f;
        EXPECT_EQ(a.dst_ip, s.dst_ip + i_dip) << f;
        seen.insert({a.src_ip, a.dst_ip, a.src_port, a.dst_port});
    }
    EXPECT_EQ(seen.size(), 120u);
    EXPECT_EQ(flow_address(s, 0), (FlowAddress{s.src_ip, s.dst_ip, 1000, 2000}));
    EXPECT_EQ(flow_address(s, 119), (FlowAddress{s.src_ip + 256, s.dst_ip + 2, 1030, 2028}));
    // build_frame writes exactly these.
    const auto fr = build(s, 119);
    EXPECT_EQ(be32(fr.data() + 26), s.src_ip + 256);
    EXPECT_EQ(be32(fr.data() + 30), s.dst_ip + 2);
    EXPECT_EQ(be16(fr.data() + 34), 1030);
    EXPECT_EQ(be16(fr.data() + 36), 2028);
    EXPECT_TRUE(naive_ip_ok(fr.data()));
    EXPECT_TRUE(naive_udp_ok(fr.data(), fr.size()));

    // IPv6: the ranges vary the low 32 bits; the high 96 stay.
    FrameSpec v = make_spec6(100, true);
    v.ranges = FlowRanges{{3, 0x10000}, {2, 5}, {1, 1}, {1, 1}};
    for (uint32_t f = 0; f < 6; ++f) {
        const auto b = build(v, f);
        const auto p = parse_test_frame(b.data(), b.size());
        ASSERT_TRUE(p);
        EXPECT_EQ(p->src_ip, 1 + 0x10000 * (f % 3)) << f;
        EXPECT_EQ(p->dst_ip, 2 + 5 * (f / 3)) << f;
        EXPECT_EQ(0, std::memcmp(p->src_ip6.data(), v.src_ip6.data(), 12));
        EXPECT_EQ(0, std::memcmp(p->dst_ip6.data(), v.dst_ip6.data(), 12));
        EXPECT_EQ(p->src_port, 10000);
        EXPECT_TRUE(p->udp_csum_ok);
    }
    EXPECT_EQ(format_ipv6(parse_test_frame(build(v, 5).data(), 100)->dst_ip6), "2001:2::7");
    // Without ranges, IPv6 keeps flows: N's meaning on the low 32 bits.
    v.ranges.reset();
    v.src_port_base = 65535;
    EXPECT_EQ(flow_address(v, 3), (FlowAddress{1 + 3, 2, 65535, 9}));
}
