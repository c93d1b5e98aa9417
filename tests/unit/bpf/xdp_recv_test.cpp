// Tests of the real XDP program (bpf/xdp_recv.bpf.c) through its RAII
// wrapper.  Needs root: packets go through BPF_PROG_TEST_RUN; the attach
// tests build a veth pair inside a private, anonymous network namespace
// (unshare(CLONE_NEWNET) on this thread, setns back afterwards), so the
// namespace, its veths and any XDP link on them vanish when a test ends,
// even if it fails or the process dies.
//
// Packets are built byte by byte here, independently of common/wire/packet.cpp.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <ctime>
#include <sstream>
#include <string>
#include <thread>
#include <initializer_list>
#include <vector>

#include "bpf_stats.hpp"
#include "packet.hpp"
#include "system_check.hpp"
#include "xdp_program.hpp"
#include "require.hpp"

namespace {

using Bytes = std::vector<uint8_t>;

// ------------------------------------------------------------ packet crafting

struct PktSpec {
    bool vlan = false;
    uint16_t vlan_tpid = 0x8100;
    bool ipv6 = false;
    uint8_t ihl = 5;              // IPv4 header length in 32-bit words
    uint16_t frag = 0;            // IPv4 flags+fragment offset field (host order)
    uint8_t l4_proto = 17;        // IPv4 protocol / IPv6 next header
    uint16_t magic = 0xEB7E;
    uint8_t version = 1;
    uint16_t test_id = 7;
    uint16_t flow = 0;
    uint32_t seq = 1;
    size_t udp_payload = 18;      // bytes after the UDP header (>= 18 holds the test header)
    int udp_len_delta = 0;        // added to the correct UDP length field
    bool pad_to_60 = true;        // pad the frame to the Ethernet minimum
};

void put8(Bytes& b, uint8_t v) { b.push_back(v); }
void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
}
void put_bytes(Bytes& b, std::initializer_list<uint8_t> l) { b.insert(b.end(), l); }

uint16_t ip_checksum(const uint8_t* p, size_t n) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

Bytes build(const PktSpec& s) {
    Bytes b;
    put_bytes(b, {0x02, 0x00, 0x00, 0x00, 0x00, 0x02});   // dst MAC
    put_bytes(b, {0x02, 0x00, 0x00, 0x00, 0x00, 0x01});   // src MAC
    if (s.vlan) {
        put16(b, s.vlan_tpid);
        put16(b, 0x0064);                                  // PCP 0, VID 100
    }
    put16(b, s.ipv6 ? 0x86DD : 0x0800);

    const size_t udp_len = 8 + s.udp_payload;
    if (s.ipv6) {
        put32(b, 0x60000000);                              // version 6, TC 0, flow label 0
        put16(b, static_cast<uint16_t>(udp_len));
        put8(b, s.l4_proto);
        put8(b, 64);                                       // hop limit
        for (int i = 0; i < 15; ++i) put8(b, i == 0 ? 0xfd : 0);
        put8(b, 1);                                        // fd00::1
        for (int i = 0; i < 15; ++i) put8(b, i == 0 ? 0xfd : 0);
        put8(b, 2);                                        // fd00::2
    } else {
        const size_t ip_start = b.size();
        const size_t ihl_bytes = size_t{s.ihl} * 4;
        put8(b, static_cast<uint8_t>(0x40 | s.ihl));
        put8(b, 0);                                        // TOS
        put16(b, static_cast<uint16_t>(ihl_bytes + udp_len));
        put16(b, 0x1234);                                  // id
        put16(b, s.frag);
        put8(b, 64);                                       // TTL
        put8(b, s.l4_proto);
        put16(b, 0);                                       // checksum, below
        put_bytes(b, {10, 0, 0, 1});
        put_bytes(b, {10, 0, 0, 2});
        while (b.size() - ip_start < ihl_bytes) put8(b, 0x01);   // NOP options
        const uint16_t c = ip_checksum(b.data() + ip_start, ihl_bytes);
        b[ip_start + 10] = static_cast<uint8_t>(c >> 8);
        b[ip_start + 11] = static_cast<uint8_t>(c);
    }

    put16(b, static_cast<uint16_t>(1024 + s.flow));        // source port
    put16(b, 9000);                                        // destination port
    put16(b, static_cast<uint16_t>(static_cast<int>(udp_len) + s.udp_len_delta));
    put16(b, 0);                                           // no checksum (IPv4); test only

    // Test header: 18 bytes, network byte order.
    const size_t th_start = b.size();
    if (s.udp_payload >= 18) {
        put16(b, s.magic);
        put8(b, s.version);
        put8(b, 0);                                        // flags
        put16(b, s.test_id);
        put16(b, s.flow);
        put32(b, s.seq);
        put16(b, 0x0001);                                  // tx_ns bits 47..32
        put32(b, 0x02030405);                              // tx_ns bits 31..0
    }
    while (b.size() - th_start < s.udp_payload) put8(b, static_cast<uint8_t>(b.size()));
    if (s.pad_to_60)
        while (b.size() < 60) put8(b, 0);
    return b;
}

Bytes build_arp() {
    Bytes b;
    put_bytes(b, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    put_bytes(b, {0x02, 0x00, 0x00, 0x00, 0x00, 0x01});
    put16(b, 0x0806);
    put16(b, 1);       // Ethernet
    put16(b, 0x0800);  // IPv4
    put8(b, 6);
    put8(b, 4);
    put16(b, 1);       // request
    put_bytes(b, {0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 10, 0, 0, 1});
    put_bytes(b, {0, 0, 0, 0, 0, 0, 10, 0, 0, 2});
    while (b.size() < 60) put8(b, 0);
    return b;
}

// -------------------------------------------------------------------- fixture

bool is_root() { return geteuid() == 0; }

#define REQUIRE_ROOT() REQUIRE_OR_SKIP(is_root(), "needs root (loads BPF programs, creates namespaces)")

// Runs one packet through the program with BPF_PROG_TEST_RUN; returns the
// XDP action, or -errno if the kernel refused the run.
int run(const ebt::XdpProgram& p, const Bytes& pkt) {
    LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt.data(),
                .data_size_in = static_cast<uint32_t>(pkt.size()), .repeat = 1);
    if (bpf_prog_test_run_opts(p.prog_fd(), &o) != 0) return -errno;
    return static_cast<int>(o.retval);
}

// Totals after test frames only: `packets` frames of `bytes` in all, every
// one counted as a test frame, nothing else.
void expect_only_test_frames(const ebt::CpuTotals& t, uint64_t packets, uint64_t bytes) {
    EXPECT_EQ(t.rx_packets, packets);
    EXPECT_EQ(t.rx_bytes, bytes);
    EXPECT_EQ(t.test_packets, packets);
    EXPECT_EQ(t.test_bytes, bytes);
    EXPECT_EQ(t.other_packets, 0u);
    EXPECT_EQ(t.other_bytes, 0u);
    EXPECT_EQ(t.stale_packets, 0u);
    EXPECT_EQ(t.bad_flow_packets, 0u);
}

void expect_zero(const ebt::CpuTotals& t) { expect_only_test_frames(t, 0, 0); }

// Sends `pkt`, expects XDP_PASS and exactly one "other" frame (plus the
// given stale/bad-flow marks), nothing in the test counters or flows.
void expect_other(ebt::XdpProgram& p, const Bytes& pkt, const std::string& what,
                  uint64_t stale = 0, uint64_t bad_flow = 0) {
    SCOPED_TRACE(what + " (" + std::to_string(pkt.size()) + " bytes)");
    p.reset_counters();
    EXPECT_EQ(run(p, pkt), XDP_PASS);
    const auto t = p.read_totals();
    EXPECT_EQ(t.rx_packets, 1u);
    EXPECT_EQ(t.rx_bytes, pkt.size());
    EXPECT_EQ(t.other_packets, 1u);
    EXPECT_EQ(t.other_bytes, pkt.size());
    EXPECT_EQ(t.test_packets, 0u);
    EXPECT_EQ(t.test_bytes, 0u);
    EXPECT_EQ(t.stale_packets, stale);
    EXPECT_EQ(t.bad_flow_packets, bad_flow);
    for (const auto& f : p.read_flows()) {
        EXPECT_EQ(f.packets, 0u);
        EXPECT_EQ(f.bytes, 0u);
        EXPECT_EQ(f.next_seq, 0u);   // sequence state untouched too
        EXPECT_EQ(f.lost, 0u);
        EXPECT_EQ(f.first_ns, 0u);
    }
}

// Sends `pkt`, expects `action` and one test packet on `flow`.
void expect_test(ebt::XdpProgram& p, const Bytes& pkt, uint16_t flow, int action,
                 const std::string& what) {
    SCOPED_TRACE(what);
    p.reset_counters();
    EXPECT_EQ(run(p, pkt), action);
    const auto t = p.read_totals();
    EXPECT_EQ(t.rx_packets, 1u);
    EXPECT_EQ(t.rx_bytes, pkt.size());
    EXPECT_EQ(t.test_packets, 1u);
    EXPECT_EQ(t.test_bytes, pkt.size());
    EXPECT_EQ(t.other_packets, 0u);
    const auto flows = p.read_flows();
    for (size_t i = 0; i < flows.size(); ++i) {
        EXPECT_EQ(flows[i].packets, i == flow ? 1u : 0u) << "flow " << i;
        EXPECT_EQ(flows[i].bytes, i == flow ? pkt.size() : 0u) << "flow " << i;
        // PktSpec's default seq is 1: seq 0 counted lost, window bit 1.
        EXPECT_EQ(flows[i].next_seq, i == flow ? 2u : 0u) << "flow " << i;
        EXPECT_EQ(flows[i].lost, i == flow ? 1u : 0u) << "flow " << i;
    }
}

class XdpProg : public ::testing::Test {
protected:
    void SetUp() override { REQUIRE_ROOT(); }
};

// ---------------------------------------------------------- BPF_PROG_TEST_RUN

TEST_F(XdpProg, ValidIpv4FlowsAreDroppedAndCountedExactly) {
    const uint32_t kFlows = 8;
    ebt::XdpProgram p({7, kFlows});
    expect_zero(p.read_totals());
    ASSERT_EQ(p.read_flows().size(), kFlows);

    uint64_t total_pkts = 0, total_bytes = 0;
    std::vector<uint64_t> want_pkts(kFlows), want_bytes(kFlows);
    for (uint16_t f = 0; f < kFlows; ++f) {
        for (uint32_t i = 0; i <= f; ++i) {   // flow f gets f+1 packets of varying size
            PktSpec s;
            s.flow = f;
            s.seq = i;
            s.udp_payload = 18 + 10 * f + i;
            const Bytes pkt = build(s);
            ASSERT_EQ(run(p, pkt), XDP_DROP) << "flow " << f;
            want_pkts[f] += 1;
            want_bytes[f] += pkt.size();
            total_pkts += 1;
            total_bytes += pkt.size();
        }
    }
    expect_only_test_frames(p.read_totals(), total_pkts, total_bytes);
    const auto flows = p.read_flows();
    ASSERT_EQ(flows.size(), kFlows);
    for (uint32_t f = 0; f < kFlows; ++f) {
        EXPECT_EQ(flows[f].packets, want_pkts[f]) << "flow " << f;
        EXPECT_EQ(flows[f].bytes, want_bytes[f]) << "flow " << f;
        EXPECT_EQ(flows[f].next_seq, want_pkts[f]) << "flow " << f;   // 0..f in order
        EXPECT_EQ(flows[f].lost + flows[f].reordered + flows[f].duplicates + flows[f].late, 0u)
            << "flow " << f;
    }
}

TEST_F(XdpProg, MinimumFrameCarriesTheHeader) {
    ebt::XdpProgram p({7, 1});
    PktSpec s;   // 14 + 20 + 8 + 18 = 60 bytes exactly
    const Bytes pkt = build(s);
    ASSERT_EQ(pkt.size(), 60u);
    expect_test(p, pkt, 0, XDP_DROP, "60-byte frame");
}

TEST_F(XdpProg, PassActionWhenNotDropping) {
    ebt::XdpProgram p({7, 4, ebt::TestAction::Pass});
    PktSpec s;
    s.flow = 3;
    s.udp_payload = 1000;
    expect_test(p, build(s), 3, XDP_PASS, "cfg_test_action PASS");
}

TEST_F(XdpProg, VlanTaggedValidPacket) {
    ebt::XdpProgram p({7, 4});
    PktSpec s;
    s.vlan = true;
    s.flow = 2;
    expect_test(p, build(s), 2, XDP_DROP, "802.1Q");
    s.vlan_tpid = 0x88A8;
    expect_test(p, build(s), 2, XDP_DROP, "802.1AD");
}

TEST_F(XdpProg, Ipv6ValidPacket) {
    ebt::XdpProgram p({7, 4});
    PktSpec s;
    s.ipv6 = true;
    s.flow = 1;
    s.udp_payload = 100;
    expect_test(p, build(s), 1, XDP_DROP, "IPv6");
    s.vlan = true;
    expect_test(p, build(s), 1, XDP_DROP, "IPv6 + VLAN");
}

// The generator's own frames (common/wire/packet's build_frame + stamp_frame, as
// dpdk-gen sends them, rather than the hand-built ones above) in the tagged
// and IPv6 layouts: every frame counted, exact map contents.  Flow f gets
// f + 2 frames of sizes from the layout's minimum up, seqs 0.. in order.
namespace {
void expect_generator_frames(uint8_t ip_version, bool vlan) {
    constexpr uint16_t kTestId = 0x0E0F;
    constexpr uint32_t kFlows = 3;
    ebt::XdpProgram p({kTestId, kFlows});
    ebt::FrameSpec s;
    s.src_mac = {0x02, 0, 0, 0, 0, 0x01};
    s.dst_mac = {0x02, 0, 0, 0, 0, 0x02};
    s.ip_version = ip_version;
    s.src_ip = 0xC6120001;
    s.dst_ip = 0xC6120002;
    s.src_ip6 = {0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
    s.dst_ip6 = {0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};
    s.ranges = ebt::FlowRanges{{1, 1}, {1, 1}, {kFlows, 7}, {1, 1}};
    s.vlan = vlan;
    s.vlan_id = 100;
    s.vlan_pcp = 3;
    s.test_id = kTestId;
    s.flows = kFlows;
    const ebt::StampOffsets at = ebt::stamp_offsets(ebt::frame_layout(s));
    const uint32_t min = ebt::min_frame_len(ip_version, vlan);
    uint64_t total_pkts = 0, total_bytes = 0;
    std::vector<uint64_t> want_bytes(kFlows);
    for (uint16_t f = 0; f < kFlows; ++f)
        for (uint32_t i = 0; i < f + 2u; ++i) {
            s.frame_len = min + 10 * f + i;
            Bytes pkt(s.frame_len);
            ebt::build_frame(pkt.data(), s, f);
            ebt::stamp_frame(pkt.data(), i, 1000 + i, at);
            const auto parsed = ebt::parse_test_frame(pkt.data(), pkt.size());
            ASSERT_TRUE(parsed && parsed->udp_csum_ok && parsed->vlan == vlan && parsed->ip_version == ip_version);
            ASSERT_EQ(run(p, pkt), XDP_DROP) << "flow " << f << " seq " << i;
            total_pkts += 1;
            total_bytes += pkt.size();
            want_bytes[f] += pkt.size();
        }
    expect_only_test_frames(p.read_totals(), total_pkts, total_bytes);
    const auto flows = p.read_flows();
    ASSERT_EQ(flows.size(), kFlows);
    for (uint32_t f = 0; f < kFlows; ++f) {
        EXPECT_EQ(flows[f].packets, f + 2u) << "flow " << f;
        EXPECT_EQ(flows[f].bytes, want_bytes[f]) << "flow " << f;
        EXPECT_EQ(flows[f].next_seq, f + 2u) << "flow " << f;
        EXPECT_EQ(flows[f].lost, 0u) << "flow " << f;
        EXPECT_EQ(flows[f].reordered, 0u) << "flow " << f;
        EXPECT_EQ(flows[f].duplicates, 0u) << "flow " << f;
        EXPECT_EQ(flows[f].late, 0u) << "flow " << f;
        EXPECT_EQ(flows[f].missing, 0u) << "flow " << f;
        EXPECT_NE(flows[f].first_ns, 0u) << "flow " << f;
        EXPECT_GE(flows[f].last_ns, flows[f].first_ns) << "flow " << f;
    }
}
}  // namespace

TEST_F(XdpProg, GeneratorFramesVlanIpv4) { expect_generator_frames(4, true); }
TEST_F(XdpProg, GeneratorFramesIpv6) { expect_generator_frames(6, false); }
TEST_F(XdpProg, GeneratorFramesVlanIpv6) { expect_generator_frames(6, true); }

TEST_F(XdpProg, Ipv4WithOptionsIsParsed) {
    ebt::XdpProgram p({7, 4});
    PktSpec s;
    s.ihl = 6;
    s.flow = 3;
    expect_test(p, build(s), 3, XDP_DROP, "IHL 6");
    s.ihl = 15;
    expect_test(p, build(s), 3, XDP_DROP, "IHL 15");
    s.ihl = 4;   // invalid
    expect_other(p, build(s), "IHL 4");
}

TEST_F(XdpProg, TruncatedAtEveryLayerIsPassedAsOther) {
    ebt::XdpProgram p({7, 4});
    struct Case {
        const char* name;
        PktSpec spec;
    };
    PktSpec v4, vlan, v6;
    v4.pad_to_60 = false;
    vlan.pad_to_60 = false;
    vlan.vlan = true;
    v6.pad_to_60 = false;
    v6.ipv6 = true;
    for (const Case& c : {Case{"ipv4", v4}, Case{"vlan", vlan}, Case{"ipv6", v6}}) {
        const Bytes full = build(c.spec);
        expect_test(p, full, 0, XDP_DROP, std::string(c.name) + " untruncated");
        // Every length from the bare Ethernet header (BPF_PROG_TEST_RUN
        // refuses less than 14 bytes) to one byte short of the test header
        // end: Ethernet, VLAN, IP, UDP and test header cut at every byte.
        for (size_t len = 14; len < full.size(); ++len)
            expect_other(p, Bytes(full.begin(), full.begin() + static_cast<long>(len)),
                         std::string(c.name) + " truncated");
    }
}

TEST_F(XdpProg, KernelRefusesFramesShorterThanEthernet) {
    // Documented limit of BPF_PROG_TEST_RUN for XDP: < ETH_HLEN is EINVAL,
    // so "truncated Ethernet" above starts at 14 bytes.
    ebt::XdpProgram p({7, 1});
    EXPECT_EQ(run(p, Bytes(13, 0)), -EINVAL);
}

TEST_F(XdpProg, UdpLengthTooShortForHeaderIsOther) {
    // Header bytes present in the frame but outside the UDP datagram (padding).
    ebt::XdpProgram p({7, 4});
    PktSpec s;
    s.udp_len_delta = -1;
    expect_other(p, build(s), "udp len 25");
}

TEST_F(XdpProg, NonUdpIsOther) {
    ebt::XdpProgram p({7, 4});
    // Same bytes as a valid packet but another protocol number: a parser that
    // ignored the protocol would find the magic and count it.
    PktSpec s;
    s.l4_proto = 6;
    expect_other(p, build(s), "TCP");
    s.l4_proto = 1;
    expect_other(p, build(s), "ICMP");
    s.ipv6 = true;
    s.l4_proto = 6;
    expect_other(p, build(s), "IPv6 TCP");
    s.l4_proto = 0;   // hop-by-hop extension header: not parsed
    expect_other(p, build(s), "IPv6 extension header");
}

TEST_F(XdpProg, WrongMagicOrVersionIsOther) {
    ebt::XdpProgram p({7, 4});
    PktSpec s;
    s.magic = 0xEB7F;
    expect_other(p, build(s), "wrong magic");
    s.magic = 0x7EEB;
    expect_other(p, build(s), "byte-swapped magic");
    s = PktSpec{};
    s.version = 2;
    expect_other(p, build(s), "wrong version");
    s.version = 0;
    expect_other(p, build(s), "version 0");
}

TEST_F(XdpProg, OtherTestIdIsStale) {
    ebt::XdpProgram p({7, 4});
    PktSpec s;
    s.test_id = 6;
    expect_other(p, build(s), "test id 6", 1, 0);
    s.test_id = 7 << 8;   // byte-swapped id
    expect_other(p, build(s), "test id 0x0700", 1, 0);
}

TEST_F(XdpProg, FlowOutOfRangeIsBadFlow) {
    ebt::XdpProgram p({7, 4});
    PktSpec s;
    s.flow = 4;
    expect_other(p, build(s), "flow 4 of 4", 0, 1);
    s.flow = 0xFFFF;
    expect_other(p, build(s), "flow 65535 of 4", 0, 1);
}

TEST_F(XdpProg, FragmentsAreOther) {
    ebt::XdpProgram p({7, 4});
    PktSpec s;
    s.frag = 0x2000;   // MF, offset 0: first fragment
    expect_other(p, build(s), "first fragment");
    s.frag = 0x0003;   // offset 24 bytes, last fragment
    expect_other(p, build(s), "later fragment");
    s.frag = 0x4000;   // DF only: not a fragment
    expect_test(p, build(s), 0, XDP_DROP, "DF set");
}

TEST_F(XdpProg, ArpIsOther) {
    ebt::XdpProgram p({7, 4});
    expect_other(p, build_arp(), "ARP");
}

TEST_F(XdpProg, ResetCountersZeroesBothMaps) {
    ebt::XdpProgram p({7, 4});
    PktSpec s;
    for (uint16_t f = 0; f < 4; ++f) {
        s.flow = f;
        ASSERT_EQ(run(p, build(s)), XDP_DROP);
    }
    ASSERT_EQ(run(p, build_arp()), XDP_PASS);
    s.test_id = 1;
    ASSERT_EQ(run(p, build(s)), XDP_PASS);
    EXPECT_EQ(p.read_totals().rx_packets, 6u);
    p.reset_counters();
    expect_zero(p.read_totals());
    for (const auto& f : p.read_flows()) {
        EXPECT_EQ(f.packets, 0u);
        EXPECT_EQ(f.bytes, 0u);
    }
}

TEST_F(XdpProg, MaxFlowsMapIsSizedAndReadInFull) {
    ebt::XdpProgram p({7, EBT_MAX_FLOWS});
    PktSpec s;
    for (uint32_t f : {0u, 1u, 4096u, EBT_MAX_FLOWS - 1}) {
        s.flow = static_cast<uint16_t>(f);
        ASSERT_EQ(run(p, build(s)), XDP_DROP) << f;
    }
    const auto flows = p.read_flows();
    ASSERT_EQ(flows.size(), EBT_MAX_FLOWS);
    uint64_t sum = 0;
    for (const auto& f : flows) sum += f.packets;
    EXPECT_EQ(sum, 4u);
    EXPECT_EQ(flows[EBT_MAX_FLOWS - 1].packets, 1u);
    EXPECT_EQ(flows[4096].bytes, 60u);
}

TEST_F(XdpProg, InvalidFlowCountThrows) {
    EXPECT_THROW(ebt::XdpProgram({7, 0}), ebt::XdpError);
    EXPECT_THROW(ebt::XdpProgram({7, EBT_MAX_FLOWS + 1}), ebt::XdpError);
}

TEST_F(XdpProg, MovedProgramStillWorks) {
    ebt::XdpProgram a({7, 2});
    ebt::XdpProgram b(std::move(a));
    // The moved-from state is what this checks.
    EXPECT_EQ(a.prog_fd(), -1);  // NOLINT(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
    EXPECT_EQ(run(b, build(PktSpec{})), XDP_DROP);
    EXPECT_EQ(b.read_totals().test_packets, 1u);
}

// ------------------------------------------- per-flow sequence accounting

// Feeds valid 60-byte test packets of `flow` with the given wire sequences.
void feed(const ebt::XdpProgram& p, uint16_t flow, std::initializer_list<uint32_t> seqs) {
    PktSpec s;
    s.flow = flow;
    for (uint32_t q : seqs) {
        s.seq = q;
        ASSERT_EQ(run(p, build(s)), XDP_DROP) << "seq " << q;
    }
}

struct SeqWant {
    uint64_t packets = 0, next_seq = 0, lost = 0, reordered = 0, duplicates = 0, late = 0;
    uint64_t missing = 0;
};

void expect_seq(const ebt_flow_state& f, const SeqWant& w, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(f.packets, w.packets);
    EXPECT_EQ(f.bytes, 60 * w.packets);
    EXPECT_EQ(f.next_seq, w.next_seq);
    EXPECT_EQ(f.lost, w.lost);
    EXPECT_EQ(f.reordered, w.reordered);
    EXPECT_EQ(f.duplicates, w.duplicates);
    EXPECT_EQ(f.late, w.late);
    EXPECT_EQ(f.missing, w.missing) << std::hex << f.missing;
    EXPECT_EQ(f.lock.val, 0u);
    EXPECT_EQ(f.pad, 0u);
}

TEST_F(XdpProg, SeqInOrderHasNoLoss) {
    ebt::XdpProgram p({7, 1});
    PktSpec s;
    for (uint32_t q = 0; q < 100; ++q) {
        s.seq = q;
        ASSERT_EQ(run(p, build(s)), XDP_DROP);
    }
    expect_seq(p.read_flows()[0], {.packets = 100, .next_seq = 100}, "0..99");
}

TEST_F(XdpProg, SeqGapCountsLost) {
    ebt::XdpProgram p({7, 1});
    feed(p, 0, {0, 1, 2, 5});
    // Window: 4 and 3 missing (bits 1 and 2 below next 6).
    expect_seq(p.read_flows()[0], {.packets = 4, .next_seq = 6, .lost = 2, .missing = 0b110},
               "0,1,2,5");
}

TEST_F(XdpProg, SeqLostFirstPacketIsCounted) {
    // Every flow starts at 0 (as the generator does): a missing seq 0 is lost.
    ebt::XdpProgram p({7, 1});
    feed(p, 0, {1, 2});
    expect_seq(p.read_flows()[0], {.packets = 2, .next_seq = 3, .lost = 1, .missing = 0b100},
               "1,2");
    feed(p, 0, {0});
    expect_seq(p.read_flows()[0], {.packets = 3, .next_seq = 3, .reordered = 1}, "1,2,0");
}

TEST_F(XdpProg, SeqLateArrivalIsReorderNotLoss) {
    ebt::XdpProgram p({7, 1});
    feed(p, 0, {0, 1, 3, 2});
    expect_seq(p.read_flows()[0], {.packets = 4, .next_seq = 4, .reordered = 1}, "0,1,3,2");
}

TEST_F(XdpProg, SeqDuplicate) {
    ebt::XdpProgram p({7, 1});
    feed(p, 0, {0, 1, 1});
    expect_seq(p.read_flows()[0], {.packets = 3, .next_seq = 2, .duplicates = 1}, "0,1,1");
}

TEST_F(XdpProg, SeqDuplicateInsideWindowAfterGap) {
    ebt::XdpProgram p({7, 1});
    // 0,1 then gap to 10 (2..9 lost), then 1 again (received before the gap,
    // d = 8): a duplicate; 5 arrives late: a reorder; 5 again: a duplicate.
    feed(p, 0, {0, 1, 10, 1});
    expect_seq(p.read_flows()[0],
               {.packets = 4, .next_seq = 11, .lost = 8, .duplicates = 1, .missing = 0x1FEu},
               "0,1,10,1");
    feed(p, 0, {5, 5, 10});
    expect_seq(p.read_flows()[0],
               {.packets = 7, .next_seq = 11, .lost = 7, .reordered = 1, .duplicates = 3,
                .missing = 0x1FEu & ~(1u << 5)},
               "0,1,10,1,5,5,10");
}

TEST_F(XdpProg, SeqBeforeFlowStartIsDuplicate) {
    // Flows start at 0; 0xFFFFFFFF after 0 extends to -1 (d = 0 below next 1):
    // inside the window but never missing, so by the rules a duplicate (not a
    // reorder: nothing was counted lost), and lost never goes negative.
    ebt::XdpProgram p({7, 1});
    feed(p, 0, {0, 0xFFFFFFFFu});
    expect_seq(p.read_flows()[0], {.packets = 2, .next_seq = 1, .duplicates = 1}, "0,-1");
}

TEST_F(XdpProg, SeqWrapsAround32Bits) {
    ebt::XdpProgram p({7, 1});
    // Walk next_seq up to the wrap in forward jumps < 2^31 (each a gap), then
    // cross it in order: 0xFFFFFFFE, 0xFFFFFFFF, 0, 1, 2 are 2^32-2 .. 2^32+2.
    feed(p, 0, {0, 0x40000000u, 0x80000000u, 0xC0000000u, 0xFFFFFFFEu, 0xFFFFFFFFu, 0, 1, 2});
    const uint64_t next = (uint64_t{1} << 32) + 3;
    // 9 distinct sequences received in [0, 2^32+3).
    const uint64_t lost = next - 9;
    EXPECT_EQ(lost, 0xFFFFFFFAu);
    // Window below next: 2,1,0,FFFFFFFF,FFFFFFFE received (bits 0..4), and
    // everything older (FFFFFFFD...) missing.
    const uint64_t missing = ~uint64_t{0x1F};
    expect_seq(p.read_flows()[0], {.packets = 9, .next_seq = next, .lost = lost, .missing = missing},
               "across the wrap");
    // 0xFFFFFFFD arrives late across the wrap (d = 5): a reorder; the
    // pre-wrap 0xFFFFFFFF again (d = 3): a duplicate.
    feed(p, 0, {0xFFFFFFFDu, 0xFFFFFFFFu});
    expect_seq(p.read_flows()[0],
               {.packets = 11, .next_seq = next, .lost = lost - 1, .reordered = 1,
                .duplicates = 1, .missing = missing & ~(uint64_t{1} << 5)},
               "late arrivals across the wrap");
}

TEST_F(XdpProg, SeqOlderThanWindowIsLate) {
    ebt::XdpProgram p({7, 1});
    // 0, then 200 (1..199 lost), then 100 (d = 99 >= 64): late, and taken as
    // a reorder since lost > 0.
    feed(p, 0, {0, 200, 100});
    expect_seq(p.read_flows()[0],
               {.packets = 3, .next_seq = 201, .lost = 198, .reordered = 1, .late = 1,
                .missing = ~uint64_t{1}},
               "0,200,100");
    // 0..99 in order, then 10 again (d = 89): late, nothing lost: only late.
    ebt::XdpProgram q({7, 1});
    PktSpec s;
    for (uint32_t i = 0; i < 100; ++i) {
        s.seq = i;
        ASSERT_EQ(run(q, build(s)), XDP_DROP);
    }
    feed(q, 0, {10});
    expect_seq(q.read_flows()[0], {.packets = 101, .next_seq = 100, .late = 1}, "0..99,10");
}

TEST_F(XdpProg, SeqGapOfExactlyWindowSize) {
    // Gaps of 62, 63 and 64 around the 64-bit window edge.
    for (uint32_t g : {62u, 63u, 64u}) {
        ebt::XdpProgram p({7, 1});
        feed(p, 0, {0, g + 1});   // 1..g skipped
        const uint64_t missing = g >= 63 ? ~uint64_t{1} : ((uint64_t{1} << g) - 1) << 1;
        expect_seq(p.read_flows()[0],
                   {.packets = 2, .next_seq = g + 2, .lost = g, .missing = missing},
                   "gap " + std::to_string(g));
        // Seq 1 is d = next-1-1 = g below next: inside the window for 62 and
        // 63 (bit g, missing: a reorder), just outside it for 64 (late,
        // taken as a reorder since lost > 0; the window is unchanged).
        feed(p, 0, {1});
        const bool in_window = g < 64;
        expect_seq(p.read_flows()[0],
                   {.packets = 3, .next_seq = g + 2, .lost = g - 1, .reordered = 1,
                    .late = in_window ? 0u : 1u,
                    .missing = in_window ? missing & ~(uint64_t{1} << g) : missing},
                   "gap " + std::to_string(g) + " then 1");
    }
}

TEST_F(XdpProg, SeqFlowsAreIndependent) {
    ebt::XdpProgram p({7, 3});
    feed(p, 0, {0, 1, 2});
    feed(p, 2, {0, 2});
    feed(p, 0, {3});
    feed(p, 2, {2});
    const auto flows = p.read_flows();
    expect_seq(flows[0], {.packets = 4, .next_seq = 4}, "flow 0");
    expect_seq(flows[1], {}, "flow 1");
    expect_seq(flows[2], {.packets = 3, .next_seq = 3, .lost = 1, .duplicates = 1, .missing = 0b10},
               "flow 2");
}

TEST_F(XdpProg, SeqTimestamps) {
    ebt::XdpProgram p({7, 2});
    timespec ts{};
    clock_gettime(CLOCK_TAI, &ts);
    const uint64_t before = uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
    feed(p, 0, {0});
    const auto one = p.read_flows()[0];
    EXPECT_NE(one.first_ns, 0u);
    EXPECT_GE(one.first_ns, before);   // bpf_ktime_get_ns is CLOCK_TAI
    EXPECT_EQ(one.first_ns, one.last_ns);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    feed(p, 0, {1, 2});
    const auto three = p.read_flows()[0];
    EXPECT_EQ(three.first_ns, one.first_ns);
    EXPECT_GE(three.last_ns, one.last_ns + 2000000);
    clock_gettime(CLOCK_TAI, &ts);
    EXPECT_LE(three.last_ns, uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec));
    EXPECT_EQ(p.read_flows()[1].first_ns, 0u);
    EXPECT_EQ(p.read_flows()[1].last_ns, 0u);
}

TEST_F(XdpProg, ResetZeroesSequenceState) {
    ebt::XdpProgram p({7, 2});
    feed(p, 0, {0, 5, 3, 3, 0xFFFFFFFFu});
    feed(p, 1, {0, 200, 100});
    p.reset_counters();
    for (const auto& f : p.read_flows()) {
        expect_seq(f, {}, "after reset");
        EXPECT_EQ(f.bytes, 0u);
        EXPECT_EQ(f.first_ns, 0u);
        EXPECT_EQ(f.last_ns, 0u);
    }
    // And the flow starts over at 0.
    feed(p, 0, {0, 1});
    expect_seq(p.read_flows()[0], {.packets = 2, .next_seq = 2}, "restarted");
}

// Pins the calling thread to `cpu`; false if that is impossible.
bool pin_to(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set) == 0 && sched_getcpu() == cpu;
}

bool have_two_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    return sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_ISSET(0, &set) &&
           CPU_ISSET(1, &set);
}

TEST_F(XdpProg, SeqOneFlowAlternatingBetweenTwoCpus) {
    // One flow's sequence alternates strictly between CPU 0 (even seqs) and
    // CPU 1 (odd): BPF_PROG_TEST_RUN runs the program on the calling CPU.
    // A per-CPU state would see every other sequence missing.
    REQUIRE_OR_SKIP(have_two_cpus(), "needs CPUs 0 and 1");
    ebt::XdpProgram p({7, 1});
    constexpr uint32_t kTotal = 2000;
    std::atomic<uint32_t> turn{0};
    std::atomic<bool> pinned_ok[2] = {true, true};
    std::atomic<int> errors{0};
    auto worker = [&](int cpu) {
        if (!pin_to(cpu)) {
            pinned_ok[cpu] = false;
            turn.store(kTotal);   // release the other side
            return;
        }
        PktSpec s;
        for (uint32_t q = static_cast<uint32_t>(cpu); q < kTotal; q += 2) {
            while (turn.load(std::memory_order_acquire) != q) {
                if (turn.load(std::memory_order_acquire) >= kTotal) return;
                std::this_thread::yield();
            }
            s.seq = q;
            if (run(p, build(s)) != XDP_DROP || sched_getcpu() != cpu) errors++;
            turn.store(q + 1, std::memory_order_release);
        }
    };
    std::thread t0(worker, 0), t1(worker, 1);
    t0.join();
    t1.join();
    ASSERT_TRUE(pinned_ok[0] && pinned_ok[1]) << "could not pin to CPUs 0 and 1";
    ASSERT_EQ(errors.load(), 0);
    expect_seq(p.read_flows()[0], {.packets = kTotal, .next_seq = kTotal}, "alternating CPUs");
    EXPECT_EQ(p.read_totals().test_packets, kTotal);
}

// The program's per-CPU counters (map ebt_cpu_stats), one entry per
// possible CPU: found by name among the program's maps, read directly, so
// the test sees which CPU ran what (XdpProgram only gives the sum).
std::vector<ebt_cpu_counters> read_per_cpu_counters(const ebt::XdpProgram& p) {
    uint32_t ids[16] = {};
    bpf_prog_info info{};
    info.nr_map_ids = 16;
    info.map_ids = reinterpret_cast<uint64_t>(ids);
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(p.prog_fd(), &info, &len) != 0) return {};
    for (uint32_t i = 0; i < info.nr_map_ids && i < 16; ++i) {
        const int fd = bpf_map_get_fd_by_id(ids[i]);
        if (fd < 0) continue;
        bpf_map_info m{};
        uint32_t mlen = sizeof m;
        const bool found = bpf_obj_get_info_by_fd(fd, &m, &mlen) == 0 && std::string(m.name) == "ebt_cpu_stats";
        std::vector<ebt_cpu_counters> out;
        if (found) {
            out.resize(static_cast<size_t>(libbpf_num_possible_cpus()));
            const uint32_t key = 0;
            if (bpf_map_lookup_elem(fd, &key, out.data()) != 0) out.clear();
        }
        close(fd);
        if (found) return out;
    }
    return {};
}

int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

TEST_F(XdpProg, SeqConcurrentUpdatesFromTwoCpusLoseNothing) {
    // Both CPUs hammer the same flow at once (same packet, repeat): under the
    // lock every update lands, so the counts are exact.  "At once" is
    // checked, not assumed: each thread stamps CLOCK_MONOTONIC around its
    // BPF_PROG_TEST_RUN, and the two intervals must overlap (if the
    // scheduler ran them one after the other, the attempt is repeated, a
    // bounded number of times); the per-CPU counters show each CPU ran its
    // kRepeat packets.
    REQUIRE_OR_SKIP(have_two_cpus(), "needs CPUs 0 and 1");
    constexpr uint32_t kRepeat = 200000;
    constexpr int kAttempts = 10;
    const Bytes pkt = build(PktSpec{});   // seq 1
    int64_t overlap_ns = 0;
    int attempt = 0;
    while (overlap_ns <= 0 && attempt < kAttempts) {
        ++attempt;
        SCOPED_TRACE("attempt " + std::to_string(attempt));
        ebt::XdpProgram p({7, 1});
        std::atomic<int> ready{0}, failures{0};
        int64_t start[2] = {}, end[2] = {};
        auto worker = [&](int cpu) {
            if (!pin_to(cpu)) {
                failures++;
                ready++;
                return;
            }
            ready++;
            while (ready.load() < 2) std::this_thread::yield();
            LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt.data(),
                        .data_size_in = static_cast<uint32_t>(pkt.size()), .repeat = kRepeat);
            start[cpu] = monotonic_ns();
            const int rc = bpf_prog_test_run_opts(p.prog_fd(), &o);
            end[cpu] = monotonic_ns();
            if (rc != 0 || o.retval != XDP_DROP) failures++;
        };
        std::thread t0(worker, 0), t1(worker, 1);
        t0.join();
        t1.join();
        ASSERT_EQ(failures.load(), 0);
        // First: a gap over seq 0 (lost 1); every other one a duplicate.
        expect_seq(p.read_flows()[0],
                   {.packets = uint64_t{2} * kRepeat, .next_seq = 2, .lost = 1,
                    .duplicates = uint64_t{2} * kRepeat - 1, .missing = 0b10},
                   "2 x repeat");
        const auto per_cpu = read_per_cpu_counters(p);
        ASSERT_GE(per_cpu.size(), 2u) << "could not read ebt_cpu_stats per CPU";
        EXPECT_EQ(per_cpu[0].test_packets, kRepeat) << "CPU 0";
        EXPECT_EQ(per_cpu[1].test_packets, kRepeat) << "CPU 1";
        overlap_ns = std::min(end[0], end[1]) - std::max(start[0], start[1]);
    }
    EXPECT_GT(overlap_ns, 0) << "the two CPUs' runs never overlapped in " << kAttempts
                             << " attempts: nothing concurrent was tested";
    RecordProperty("attempts", attempt);
}

// ------------------------------------- one sequence definition (BPF and C++)

TEST_F(XdpProg, SeqSharedFunctionMatchesTheProgramExactly) {
    // The same pseudo-random arrival order (gaps, reorders, duplicates, old
    // packets) through the XDP program and through ebt_seq_account in C++:
    // one definition, so the states must be identical field for field.
    ebt::XdpProgram p({7, 1});
    ebt_flow_state cpp{};
    uint32_t x = 12345, seq = 0;
    for (int i = 0; i < 3000; ++i) {
        x = x * 1103515245u + 12345u;
        const uint32_t r = (x >> 16) % 100;
        uint32_t s;  // every branch below sets it
        if (r < 70) s = seq++;                      // in order
        else if (r < 80) s = (seq += 1 + r % 5);    // gap
        else if (r < 90) s = seq - 1 - r % 10;      // inside the window
        else if (r < 95) s = seq - 70 - r;          // older than the window
        else s = seq - 1;                           // duplicate
        PktSpec ps;
        ps.seq = s;
        ASSERT_EQ(run(p, build(ps)), XDP_DROP);
        ebt_seq_account(&cpp, s);
    }
    const auto f = p.read_flows()[0];
    EXPECT_EQ(f.next_seq, cpp.next_seq);
    EXPECT_EQ(f.lost, cpp.lost);
    EXPECT_EQ(f.reordered, cpp.reordered);
    EXPECT_EQ(f.duplicates, cpp.duplicates);
    EXPECT_EQ(f.late, cpp.late);
    EXPECT_EQ(f.missing, cpp.missing);
    EXPECT_GT(cpp.lost + cpp.reordered + cpp.duplicates + cpp.late, 0u);   // the mix was exercised
}

// --------------------------------------------------------------- tx (reflect)

// Runs pkt, returns the action and the frame the program left.
int run_out(const ebt::XdpProgram& p, const Bytes& pkt, Bytes& out) {
    out.assign(pkt.size() + 256, 0);
    LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt.data(), .data_out = out.data(),
                .data_size_in = static_cast<uint32_t>(pkt.size()),
                .data_size_out = static_cast<uint32_t>(out.size()), .repeat = 1);
    if (bpf_prog_test_run_opts(p.prog_fd(), &o) != 0) return -errno;
    out.resize(o.data_size_out);
    return static_cast<int>(o.retval);
}

// One's-complement sum over the UDP pseudo-header and datagram: 0xFFFF when
// the checksum field is right.
uint16_t udp_sum(const Bytes& b, size_t l3, bool v6, size_t l4) {
    uint32_t sum = 0;
    auto add = [&](size_t off, size_t n) {
        for (size_t i = 0; i < n; i += 2)
            sum += (uint32_t(b[off + i]) << 8) | (i + 1 < n ? b[off + i + 1] : 0);
    };
    const size_t udp_len = (size_t(b[l4 + 4]) << 8) | b[l4 + 5];
    if (v6) add(l3 + 8, 32); else add(l3 + 12, 8);
    sum += 17 + static_cast<uint32_t>(udp_len);
    add(l4, udp_len);
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

// Fills in a correct UDP checksum.
void set_udp_checksum(Bytes& b, size_t l3, bool v6, size_t l4) {
    b[l4 + 6] = b[l4 + 7] = 0;
    uint16_t c = static_cast<uint16_t>(~udp_sum(b, l3, v6, l4));
    if (c == 0) c = 0xFFFF;
    b[l4 + 6] = static_cast<uint8_t>(c >> 8);
    b[l4 + 7] = static_cast<uint8_t>(c);
}

void expect_reflected(const Bytes& in, const Bytes& out, size_t l3, bool v6, size_t l4,
                      bool checksum_zero) {
    ASSERT_EQ(out.size(), in.size());
    EXPECT_TRUE(std::equal(in.begin(), in.begin() + 6, out.begin() + 6)) << "dst MAC <- src";
    EXPECT_TRUE(std::equal(in.begin() + 6, in.begin() + 12, out.begin())) << "src MAC <- dst";
    const size_t a = v6 ? 8 : 12, n = v6 ? 16 : 4;
    EXPECT_TRUE(std::equal(in.begin() + l3 + a, in.begin() + l3 + a + n, out.begin() + l3 + a + n));
    EXPECT_TRUE(std::equal(in.begin() + l3 + a + n, in.begin() + l3 + a + 2 * n, out.begin() + l3 + a));
    EXPECT_EQ(out[l4 + 0], in[l4 + 2]);
    EXPECT_EQ(out[l4 + 1], in[l4 + 3]);
    EXPECT_EQ(out[l4 + 2], in[l4 + 0]);
    EXPECT_EQ(out[l4 + 3], in[l4 + 1]);
    EXPECT_EQ(out[l4 + 8 + 3], in[l4 + 8 + 3] | EBT_FLAG_REFLECTED) << "flags";
    if (!v6) {
        EXPECT_EQ(ip_checksum(out.data() + l3, 20), 0) << "IPv4 header checksum still valid";
    }
    if (checksum_zero) {
        EXPECT_EQ(out[l4 + 6], 0);
        EXPECT_EQ(out[l4 + 7], 0);
    } else {
        EXPECT_EQ(udp_sum(out, l3, v6, l4), 0xFFFF) << "UDP checksum valid after the update";
    }
    // Everything else byte for byte: TTL, lengths, test header but flags.
    for (size_t i = l4 + 8; i < in.size(); ++i) {
        if (i != l4 + 8 + 3) {
            EXPECT_EQ(out[i], in[i]) << "byte " << i;
        }
    }
}

TEST_F(XdpProg, TxActionReflectsIpv4WithChecksum) {
    ebt::XdpProgram p({7, 4, ebt::TestAction::Tx});
    PktSpec s;
    s.flow = 2;
    s.udp_payload = 40;
    Bytes pkt = build(s);
    set_udp_checksum(pkt, 14, false, 34);
    ASSERT_EQ(udp_sum(pkt, 14, false, 34), 0xFFFF);
    Bytes out;
    ASSERT_EQ(run_out(p, pkt, out), XDP_TX);
    expect_reflected(pkt, out, 14, false, 34, false);
    EXPECT_EQ(p.read_flows()[2].packets, 1u);   // counted before reflecting
    EXPECT_EQ(p.read_totals().test_packets, 1u);
}

TEST_F(XdpProg, TxActionKeepsAbsentIpv4ChecksumAbsent) {
    ebt::XdpProgram p({7, 1, ebt::TestAction::Tx});
    const Bytes pkt = build(PktSpec{});   // UDP checksum 0: none
    Bytes out;
    ASSERT_EQ(run_out(p, pkt, out), XDP_TX);
    expect_reflected(pkt, out, 14, false, 34, true);
}

TEST_F(XdpProg, TxActionReflectsIpv6AndVlan) {
    ebt::XdpProgram p({7, 4, ebt::TestAction::Tx});
    PktSpec s;
    s.ipv6 = true;
    s.vlan = true;
    s.flow = 3;
    s.udp_payload = 33;   // odd length: the checksum's trailing pad byte
    Bytes pkt = build(s);
    set_udp_checksum(pkt, 18, true, 58);
    Bytes out;
    ASSERT_EQ(run_out(p, pkt, out), XDP_TX);
    expect_reflected(pkt, out, 18, true, 58, false);
    EXPECT_EQ(out[12], 0x81);   // tag kept
}

TEST_F(XdpProg, TxActionLeavesForeignPacketsAlone) {
    ebt::XdpProgram p({7, 4, ebt::TestAction::Tx});
    PktSpec s;
    s.test_id = 8;   // stale: passed unchanged
    const Bytes pkt = build(s);
    Bytes out;
    ASSERT_EQ(run_out(p, pkt, out), XDP_PASS);
    EXPECT_EQ(out, pkt);
    const Bytes arp = build_arp();
    ASSERT_EQ(run_out(p, arp, out), XDP_PASS);
    EXPECT_EQ(out, arp);
}

// ------------------------------------------------------------------- latency

uint64_t tai_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_TAI, &ts);
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

constexpr uint64_t kBuiltTxNs = (uint64_t{0x0001} << 32) | 0x02030405;   // build()'s tx_ns

TEST_F(XdpProg, LatencyNotRecordedWithoutEpoch) {
    ebt::XdpProgram p({7, 1});
    feed(p, 0, {0, 1, 2});
    const auto l = p.read_latency();
    EXPECT_EQ(l.count, 0u);
    EXPECT_EQ(l.negative, 0u);
    EXPECT_EQ(l.sum_ns, 0u);
}

TEST_F(XdpProg, LatencyIsArrivalMinusSendTimeInItsBucket) {
    // Sent (epoch + tx_ns) 10 s before now: every latency is >= 10 s and
    // lands in exactly the bucket of its exact value.
    const uint64_t epoch = tai_now_ns() - kBuiltTxNs - 10'000'000'000ull;
    ebt::XdpProgram p({7, 1, ebt::TestAction::Drop, false, epoch, 0});
    feed(p, 0, {0, 1, 2});
    const uint64_t after = tai_now_ns();
    const auto l = p.read_latency();
    ASSERT_EQ(l.count, 3u);
    EXPECT_EQ(l.negative, 0u);
    EXPECT_GE(l.min_ns, 10'000'000'000ull);
    EXPECT_LE(l.max_ns, after - epoch - kBuiltTxNs);
    EXPECT_LE(l.min_ns, l.max_ns);
    EXPECT_GE(l.sum_ns, 3 * l.min_ns);
    EXPECT_LE(l.sum_ns, 3 * l.max_ns);
    uint64_t in_hist = 0;
    for (uint32_t b = 0; b < EBT_LAT_BUCKETS; ++b) {
        in_hist += l.hist[b];
        if (l.hist[b]) {
            EXPECT_TRUE(b == ebt_lat_bucket(l.min_ns) || b == ebt_lat_bucket(l.max_ns) ||
                        (b > ebt_lat_bucket(l.min_ns) && b < ebt_lat_bucket(l.max_ns)))
                << "bucket " << b;
        }
    }
    EXPECT_EQ(in_hist, 3u);
}

TEST_F(XdpProg, LatencyClockOffsetIsSubtracted) {
    const uint64_t epoch = tai_now_ns() - kBuiltTxNs - 10'000'000'000ull;
    // An offset of 20 s (receiver clock ahead) makes these -10 s: negative.
    ebt::XdpProgram p({7, 1, ebt::TestAction::Drop, false, epoch, 20'000'000'000ll});
    feed(p, 0, {0, 1});
    const auto l = p.read_latency();
    EXPECT_EQ(l.count, 0u);
    EXPECT_EQ(l.negative, 2u);
    EXPECT_GT(l.negative_max_ns, 9'000'000'000ull);
    EXPECT_LE(l.negative_max_ns, 10'000'000'000ull);
    for (uint32_t b = 0; b < EBT_LAT_BUCKETS; ++b) EXPECT_EQ(l.hist[b], 0u);
}

TEST_F(XdpProg, LatencyFromTheFutureIsNegativeNotWrapped) {
    // Epoch an hour ahead: arrival before send.  Counted as negative, never
    // a huge unsigned latency.
    const uint64_t epoch = tai_now_ns() + 3600'000'000'000ull;
    ebt::XdpProgram p({7, 1, ebt::TestAction::Drop, false, epoch, 0});
    feed(p, 0, {0});
    const auto l = p.read_latency();
    EXPECT_EQ(l.count, 0u);
    EXPECT_EQ(l.negative, 1u);
    EXPECT_GE(l.negative_max_ns, 3600'000'000'000ull);
    p.reset_counters();
    const auto z = p.read_latency();
    EXPECT_EQ(z.negative, 0u);
    EXPECT_EQ(z.negative_max_ns, 0u);
}

TEST_F(XdpProg, AnyTestIdCountsEveryTestIdInStandalone) {
    ebt::XdpProgram p({0, 2, ebt::TestAction::Drop, true});
    PktSpec s;
    s.test_id = 1234;
    s.seq = 0;
    ASSERT_EQ(run(p, build(s)), XDP_DROP);
    s.test_id = 99;
    s.seq = 1;
    ASSERT_EQ(run(p, build(s)), XDP_DROP);
    const auto t = p.read_totals();
    EXPECT_EQ(t.test_packets, 2u);
    EXPECT_EQ(t.stale_packets, 0u);
    expect_seq(p.read_flows()[0], {.packets = 2, .next_seq = 2}, "two test ids, one flow");
}

// ------------------------------------------------------------ run-time stats

TEST_F(XdpProg, RunTimeStatsCountEveryRunWhileEnabled) {
    ebt::XdpProgram p({7, 1});
    {
        ebt::BpfStatsEnabler stats;
        ASSERT_TRUE(stats.ok()) << stats.error();
        const auto before = p.read_run_stats();
        feed(p, 0, {0, 1, 2, 3, 4});
        const auto after = p.read_run_stats();
        EXPECT_EQ(after.run_cnt - before.run_cnt, 5u);
        EXPECT_GT(after.run_time_ns, before.run_time_ns);
    }
    // Whether stats go off again with the enabler cannot be asserted here:
    // the kernel counts enablers system-wide (any other process holding a
    // BPF_STATS_RUN_TIME fd keeps them on) and exposes no count to check.
}

// ------------------------------------------------------- attach (veth, netns)

// This thread in a fresh anonymous network namespace with a veth pair
// ebt-t0 <-> ebt-t1 (both up); back to the original namespace on
// destruction.  Nothing is named or pinned, so the namespace and the veths
// disappear with the last reference, on every path.
class PrivateNetns {
public:
    PrivateNetns() {
        orig_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (orig_ < 0) throw std::runtime_error(std::string("open netns: ") + strerror(errno));
        if (unshare(CLONE_NEWNET) != 0) {
            const int e = errno;
            close(orig_);
            throw std::runtime_error(std::string("unshare(CLONE_NEWNET): ") + strerror(e));
        }
        ok_ = sh("ip link add ebt-t0 address 02:eb:7e:00:00:10 type veth peer name ebt-t1 "
                 "address 02:eb:7e:00:00:11 && ip link set ebt-t0 up && ip link set ebt-t1 up");
    }
    ~PrivateNetns() {
        if (setns(orig_, CLONE_NEWNET) != 0) std::abort();   // cannot continue in the wrong netns
        close(orig_);
    }
    PrivateNetns(const PrivateNetns&) = delete;
    PrivateNetns& operator=(const PrivateNetns&) = delete;
    bool ok() const { return ok_; }

    // fork/exec inherits this thread's network namespace.
    static bool sh(const std::string& cmd) {
        const int rc = std::system(cmd.c_str());
        return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
    }

private:
    int orig_ = -1;
    bool ok_ = false;
};

uint32_t attached_prog_id(int ifindex) {
    LIBBPF_OPTS(bpf_xdp_query_opts, q);
    if (bpf_xdp_query(ifindex, 0, &q) != 0) return UINT32_MAX;
    return q.prog_id;
}

class XdpAttach : public ::testing::Test {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_OR_SKIP(PrivateNetns::sh("command -v ip >/dev/null 2>&1"),
                        "iproute2 `ip` not found (needed to create the veth pair)");
        ns_ = std::make_unique<PrivateNetns>();
        ASSERT_TRUE(ns_->ok()) << "could not create veth pair in the private netns";
    }
    void TearDown() override {
        if (!ns_) return;
        ns_.reset();
        // Back home: the private namespace's veths never existed here.
        EXPECT_EQ(if_nametoindex("ebt-t0"), 0u);
        EXPECT_EQ(if_nametoindex("ebt-t1"), 0u);
    }

    std::unique_ptr<PrivateNetns> ns_;
};

TEST_F(XdpAttach, AutoIsNativeOnVethAndDetachesOnScopeExit) {
    ebt::XdpProgram p({7, 4});
    int ifindex = 0;
    {
        ebt::XdpAttachment a(p, "ebt-t1", ebt::XdpMode::Auto);
        ifindex = a.ifindex();
        EXPECT_EQ(ifindex, static_cast<int>(if_nametoindex("ebt-t1")));
        EXPECT_EQ(a.mode_used(), "native");
        EXPECT_EQ(attached_prog_id(ifindex), p.prog_id());
        // A moved attachment keeps the program attached.
        ebt::XdpAttachment moved(std::move(a));
        EXPECT_EQ(attached_prog_id(ifindex), p.prog_id());
    }
    EXPECT_EQ(attached_prog_id(ifindex), 0u) << "XDP program left on ebt-t1";
}

TEST_F(XdpAttach, GenericAndNativeModesAreHonoured) {
    ebt::XdpProgram p({7, 4});
    {
        ebt::XdpAttachment a(p, "ebt-t1", ebt::XdpMode::Generic);
        EXPECT_EQ(a.mode_used(), "generic");
    }
    {
        ebt::XdpAttachment a(p, "ebt-t1", ebt::XdpMode::Native);
        EXPECT_EQ(a.mode_used(), "native");
    }
    EXPECT_EQ(attached_prog_id(static_cast<int>(if_nametoindex("ebt-t1"))), 0u);
}

TEST_F(XdpAttach, SecondProgramOnSameInterfaceIsRefusedByName) {
    ebt::XdpProgram p1({7, 4});
    ebt::XdpProgram p2({8, 4});
    ebt::XdpAttachment a(p1, "ebt-t1", ebt::XdpMode::Auto);
    try {
        ebt::XdpAttachment b(p2, "ebt-t1", ebt::XdpMode::Auto);
        FAIL() << "second attach succeeded";
    } catch (const ebt::XdpError& e) {
        EXPECT_NE(std::string(e.what()).find("ebt-t1"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("already has an XDP program"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(attached_prog_id(a.ifindex()), p1.prog_id());
}

TEST_F(XdpAttach, MissingInterfaceIsNamed) {
    ebt::XdpProgram p({7, 4});
    try {
        ebt::XdpAttachment a(p, "ebt-nope", ebt::XdpMode::Auto);
        FAIL() << "attach to a missing interface succeeded";
    } catch (const ebt::XdpError& e) {
        EXPECT_NE(std::string(e.what()).find("ebt-nope"), std::string::npos) << e.what();
    }
}

TEST_F(XdpAttach, RealFramesThroughVethAreCounted) {
    ebt::XdpProgram p({7, 4});
    ebt::XdpAttachment a(p, "ebt-t1", ebt::XdpMode::Auto);
    ASSERT_EQ(a.mode_used(), "native");
    p.reset_counters();

    const int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    ASSERT_GE(s, 0) << strerror(errno);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = static_cast<int>(if_nametoindex("ebt-t0"));
    sll.sll_halen = 6;
    PktSpec spec;
    spec.flow = 2;
    spec.udp_payload = 200;
    const Bytes test_pkt = build(spec);
    const Bytes arp = build_arp();
    for (const Bytes* b : {&test_pkt, &test_pkt, &arp}) {
        const ssize_t n = sendto(s, b->data(), b->size(), 0,
                                 reinterpret_cast<const sockaddr*>(&sll), sizeof(sll));
        EXPECT_EQ(n, static_cast<ssize_t>(b->size())) << strerror(errno);
    }
    close(s);

    ebt::CpuTotals t{};
    for (int i = 0; i < 200; ++i) {   // up to 2 s for NAPI to run
        t = p.read_totals();
        if (t.rx_packets >= 3) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // IPv6 autoconf traffic (router solicitations...) may add "other" frames.
    EXPECT_GE(t.rx_packets, 3u);
    EXPECT_EQ(t.test_packets, 2u);
    EXPECT_EQ(t.test_bytes, 2 * test_pkt.size());
    EXPECT_GE(t.other_packets, 1u);
    EXPECT_EQ(p.read_flows()[2].packets, 2u);
}

TEST_F(XdpAttach, InterfaceMac) {
    EXPECT_EQ(ebt::interface_mac("ebt-t0"), "02:eb:7e:00:00:10");
    EXPECT_EQ(ebt::interface_mac("ebt-t1"), "02:eb:7e:00:00:11");
    EXPECT_THROW(ebt::interface_mac("ebt-nope"), ebt::XdpError);
}

const ebt::CheckRow& row_named(const std::vector<ebt::CheckRow>& rows, const std::string& item) {
    for (const auto& r : rows)
        if (r.item == item) return r;
    static const ebt::CheckRow none{"<missing>", false, "no row named " + item};
    ADD_FAILURE() << "no check row " << item;
    return none;
}

TEST_F(XdpAttach, SystemCheckOnVeth) {
    const auto rows = ebt::run_system_checks("ebt-t1", ebt::XdpMode::Auto);
    std::ostringstream table;
    ebt::print_check_table(table, rows);
    for (const char* item : {"kernel", "BTF", "capabilities", "interface", "driver", "queues", "BPF stats",
                             "bpf_link", "XDP mode", "native XDP"})
        EXPECT_EQ(row_named(rows, item).item, item) << table.str();
    EXPECT_TRUE(ebt::all_ok(rows)) << table.str();
    EXPECT_EQ(ebt::first_blocking_failure(rows), nullptr);
    EXPECT_NE(row_named(rows, "interface").detail.find("driver veth"), std::string::npos);
    EXPECT_EQ(row_named(rows, "driver").detail, "veth");
    EXPECT_NE(row_named(rows, "queues").detail.find("rx 1"), std::string::npos) << row_named(rows, "queues").detail;
    EXPECT_NE(row_named(rows, "XDP mode").detail.find("got native"), std::string::npos);
    EXPECT_EQ(attached_prog_id(static_cast<int>(if_nametoindex("ebt-t1"))), 0u)
        << "system check left its program attached";

    const auto generic = ebt::run_system_checks("ebt-t1", ebt::XdpMode::Generic);
    EXPECT_NE(row_named(generic, "XDP mode").detail.find("got generic"), std::string::npos);
    EXPECT_TRUE(row_named(generic, "native XDP").ok);

    const auto missing = ebt::run_system_checks("ebt-nope", ebt::XdpMode::Auto);
    EXPECT_FALSE(ebt::all_ok(missing));
    EXPECT_FALSE(row_named(missing, "interface").ok);
    EXPECT_FALSE(row_named(missing, "XDP mode").ok);
    ASSERT_NE(ebt::first_blocking_failure(missing), nullptr);
    EXPECT_EQ(ebt::first_blocking_failure(missing)->item, "interface");
    std::ostringstream t2;
    ebt::print_check_table(t2, missing);
    EXPECT_NE(t2.str().find("FAIL"), std::string::npos) << t2.str();

    ASSERT_TRUE(PrivateNetns::sh("ip link set ebt-t0 down"));
    const auto down = ebt::run_system_checks("ebt-t0", ebt::XdpMode::Auto);
    EXPECT_FALSE(row_named(down, "interface").ok) << row_named(down, "interface").detail;
    ASSERT_NE(ebt::first_blocking_failure(down), nullptr);
    EXPECT_EQ(ebt::first_blocking_failure(down)->item, "interface");
}

TEST_F(XdpAttach, NoNativeXdpFallsBackInAutoAndFailsWhenDemanded) {
    // Loopback has no native XDP: auto gets generic (ok, noted), native is a
    // blocking failure naming the mode.
    ASSERT_TRUE(PrivateNetns::sh("ip link set lo up"));
    const auto autom = ebt::run_system_checks("lo", ebt::XdpMode::Auto);
    std::ostringstream t;
    ebt::print_check_table(t, autom);
    EXPECT_EQ(ebt::first_blocking_failure(autom), nullptr) << t.str();
    EXPECT_NE(row_named(autom, "XDP mode").detail.find("got generic"), std::string::npos) << t.str();
    EXPECT_NE(row_named(autom, "native XDP").detail.find("not supported"), std::string::npos) << t.str();
    const auto native = ebt::run_system_checks("lo", ebt::XdpMode::Native);
    ASSERT_NE(ebt::first_blocking_failure(native), nullptr);
    EXPECT_EQ(ebt::first_blocking_failure(native)->item, "XDP mode");
    EXPECT_NE(ebt::first_blocking_failure(native)->detail.find("native"), std::string::npos);
    EXPECT_FALSE(row_named(native, "native XDP").ok);
    EXPECT_EQ(attached_prog_id(static_cast<int>(if_nametoindex("lo"))), 0u);
}

}  // namespace
