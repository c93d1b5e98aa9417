// Tests of the tc token-bucket policer (tests/fixtures/tc_policer.bpf.c)
// through BPF_PROG_TEST_RUN on the loaded program: which frames are policed,
// how many of a batch the burst lets through, the verdicts and the counters.
// Needs root (loads a BPF program, no network); a refused load fails the
// test, naming why, rather than skipping it.
#include <gtest/gtest.h>

#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "frames.hpp"
#include "tc_policer.h"
#include "tc_policer.skel.h"

namespace {

using Bytes = std::vector<uint8_t>;
using ebt::test::arp_frame;
using ebt::test::test_frame;
using ebt::test::udp4_frame;

struct SkeletonDeleter {
    void operator()(tc_policer* s) const noexcept { tc_policer__destroy(s); }
};
using Skeleton = std::unique_ptr<tc_policer, SkeletonDeleter>;

struct PolicerConfig {
    uint64_t rate_bps = 0;
    uint64_t burst_bytes = 0;
    uint32_t overhead_bytes = 0;
    uint32_t drop_verdict = TC_ACT_STOLEN;
};

// The program loaded with `c` in its .rodata; throws, naming the step and
// the errno, if the kernel refused.
Skeleton load(const PolicerConfig& c) {
#ifdef __clang_analyzer__
    // clang-tidy's analyser follows the generated open into libbpf's error
    // path and reports a leak there that bpf_object__destroy_skeleton() in
    // fact frees; the tests need no analysis of bpftool's code.
    throw std::runtime_error("not loaded under the static analyser");
#endif
    Skeleton s(tc_policer::open());
    if (!s) throw std::runtime_error(std::string("opening the tc policer skeleton: ") + std::strerror(errno));
    s->rodata->cfg_rate_bps = c.rate_bps;
    s->rodata->cfg_burst_bytes = c.burst_bytes;
    s->rodata->cfg_overhead_bytes = c.overhead_bytes;
    s->rodata->cfg_drop_verdict = c.drop_verdict;
    if (int err = tc_policer::load(s.get()))
        throw std::runtime_error(std::string("loading the tc policer (bpf syscall refused; the test needs root): ") +
                                 std::strerror(-err));
    return s;
}

// Loads or fails the test (ASSERT_* returns from the caller's body).
#define LOAD_OR_FAIL(var, cfg)                                     \
    Skeleton var;                                                  \
    try {                                                          \
        (var) = load((cfg));                                       \
    } catch (const std::runtime_error& e) {                        \
        FAIL() << e.what();                                        \
    }

// One frame through the program: its tc verdict, or -errno if refused.
int run(const tc_policer& s, const Bytes& frame) {
    LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame.data(),
                .data_size_in = static_cast<uint32_t>(frame.size()), .repeat = 1);
    if (bpf_prog_test_run_opts(bpf_program__fd(s.progs.tc_policer), &o) != 0) return -errno;
    return static_cast<int>(o.retval);
}

ebt_policer_state state_of(const tc_policer& s) {
    ebt_policer_state st{};
    const uint32_t key = 0;
    EXPECT_EQ(bpf_map_lookup_elem_flags(bpf_map__fd(s.maps.policer_state), &key, &st, BPF_F_LOCK), 0)
        << std::strerror(errno);
    return st;
}

// TCP: an IPv4/UDP frame with protocol 6 (the program reads no further).
Bytes tcp4_frame() {
    Bytes f = udp4_frame(40, 40000);
    f[14 + 9] = 6;
    return f;
}

// ------------------------------------------------------------------ burst

// Rate 0: the bucket never refills, so of a batch exactly
// floor(burst / (frame + overhead)) frames pass, the first ones, and every
// later one is dropped; the counters say the same.
struct BurstCase {
    uint64_t burst;
    uint32_t overhead;
    uint32_t frame_len;
    int batch;
};

class BurstOnly : public ::testing::TestWithParam<BurstCase> {};

TEST_P(BurstOnly, PassesFloorOfBurstOverCost) {
    const BurstCase c = GetParam();
    LOAD_OR_FAIL(p, (PolicerConfig{.rate_bps = 0, .burst_bytes = c.burst, .overhead_bytes = c.overhead}));
    const Bytes frame = test_frame(c.frame_len, 0);
    const uint64_t fit = c.burst / (c.frame_len + c.overhead);
    ASSERT_LT(fit, static_cast<uint64_t>(c.batch)) << "the batch must be larger than the burst";
    for (int i = 0; i < c.batch; ++i)
        ASSERT_EQ(run(*p, frame), static_cast<uint64_t>(i) < fit ? TC_ACT_OK : TC_ACT_STOLEN) << "frame " << i;
    const ebt_policer_state st = state_of(*p);
    EXPECT_EQ(st.passed_packets, fit);
    EXPECT_EQ(st.passed_bytes, fit * c.frame_len);
    EXPECT_EQ(st.dropped_packets, c.batch - fit);
    EXPECT_EQ(st.dropped_bytes, (c.batch - fit) * c.frame_len);
    EXPECT_EQ(st.unpoliced_packets, 0u);
    EXPECT_EQ(st.primed, 1u);
    // What is left: the burst less what passed (bit-nanoseconds).
    EXPECT_EQ(st.tokens, (c.burst - fit * (c.frame_len + c.overhead)) * 8 * EBT_POLICER_NS_PER_S);
}

INSTANTIATE_TEST_SUITE_P(
    TcPolicer, BurstOnly,
    ::testing::Values(BurstCase{10000, 24, 128, 100},   // 65 fit, 10000 - 65 * 152 = 120 left over
                      BurstCase{1280, 0, 128, 20},      // exactly 10: a frame that uses the last token passes
                      BurstCase{1279, 0, 128, 20},      // one token short of the 10th
                      BurstCase{1514 + 24, 24, 1514, 5},   // one full-size frame on the wire
                      BurstCase{0, 0, 60, 10}));        // no burst: nothing passes

// ----------------------------------------------------------- what is policed

TEST(TcPolicer, NonIpv4UdpAlwaysPassesUnpoliced) {
    // Burst 0, rate 0: any policed frame would be dropped.
    LOAD_OR_FAIL(p, (PolicerConfig{.rate_bps = 0, .burst_bytes = 0}));
    // 802.1Q, inner EtherType IPv4, no whole IPv4 header.  (Untagged, the
    // kernel refuses to test-run an IPv4 frame shorter than its header.)
    Bytes truncated_ipv4 = test_frame(128, 0, 4, true);
    truncated_ipv4.resize(14 + 4 + 5);
    const std::vector<std::pair<const char*, Bytes>> frames = {
        {"ARP", arp_frame()},
        {"IPv4/TCP", tcp4_frame()},
        {"IPv6/UDP", test_frame(128, 0, 6)},
        {"IPv4 too short to tell", truncated_ipv4},
    };
    for (int round = 0; round < 3; ++round)
        for (const auto& [what, frame] : frames) EXPECT_EQ(run(*p, frame), TC_ACT_OK) << what;
    const ebt_policer_state st = state_of(*p);
    EXPECT_EQ(st.unpoliced_packets, 3 * frames.size());
    EXPECT_EQ(st.passed_packets, 0u);
    EXPECT_EQ(st.dropped_packets, 0u);
    EXPECT_EQ(st.primed, 0u) << "a frame that is not policed must not start the bucket";

    // The same program does police IPv4/UDP, tagged or not.
    EXPECT_EQ(run(*p, udp4_frame(40, 1)), TC_ACT_STOLEN);
    EXPECT_EQ(run(*p, test_frame(128, 0, 4, true)), TC_ACT_STOLEN) << "802.1Q-tagged IPv4/UDP";
    EXPECT_EQ(state_of(*p).dropped_packets, 2u);
}

TEST(TcPolicer, ControlTrafficBetweenPolicedFramesTakesNoTokens) {
    // Room for exactly 3 frames of 100 bytes; ARP and TCP in between cost nothing.
    LOAD_OR_FAIL(p, (PolicerConfig{.rate_bps = 0, .burst_bytes = 300}));
    const Bytes udp = test_frame(100, 0);
    std::vector<int> verdicts;
    for (int i = 0; i < 5; ++i) {
        verdicts.push_back(run(*p, udp));
        EXPECT_EQ(run(*p, arp_frame()), TC_ACT_OK);
        EXPECT_EQ(run(*p, tcp4_frame()), TC_ACT_OK);
    }
    EXPECT_EQ(verdicts, (std::vector<int>{TC_ACT_OK, TC_ACT_OK, TC_ACT_OK, TC_ACT_STOLEN, TC_ACT_STOLEN}));
    const ebt_policer_state st = state_of(*p);
    EXPECT_EQ(st.passed_packets, 3u);
    EXPECT_EQ(st.dropped_packets, 2u);
    EXPECT_EQ(st.unpoliced_packets, 10u);
}

TEST(TcPolicer, ShotVerdictWhenAsked) {
    LOAD_OR_FAIL(p, (PolicerConfig{.rate_bps = 0, .burst_bytes = 128, .drop_verdict = TC_ACT_SHOT}));
    const Bytes frame = test_frame(128, 0);
    EXPECT_EQ(run(*p, frame), TC_ACT_OK);
    EXPECT_EQ(run(*p, frame), TC_ACT_SHOT);
    EXPECT_EQ(state_of(*p).dropped_packets, 1u);
}

// --------------------------------------------------------------- the refill

// With a rate the outcome of each frame depends on when it ran; what does
// not: the burst always passes, every frame is counted once, and what
// passed fits in burst + rate x (last - first) as the program's own clock
// measured it.
TEST(TcPolicer, RefillStaysWithinTheBucketBound) {
    const PolicerConfig c{.rate_bps = 100'000'000, .burst_bytes = uint64_t{3} * 152, .overhead_bytes = 24};
    LOAD_OR_FAIL(p, c);
    const Bytes frame = test_frame(128, 0);
    const int batch = 2000;
    for (int i = 0; i < batch; ++i) {
        const int v = run(*p, frame);
        ASSERT_TRUE(v == TC_ACT_OK || v == TC_ACT_STOLEN) << "frame " << i << ": " << v;
    }
    const ebt_policer_state st = state_of(*p);
    EXPECT_EQ(st.passed_packets + st.dropped_packets, static_cast<uint64_t>(batch));
    EXPECT_GE(st.passed_packets, 3u) << "the burst alone lets 3 through";
    EXPECT_EQ(st.passed_bytes, st.passed_packets * 128);
    ASSERT_GE(st.last_ns, st.first_ns);
    const unsigned __int128 used =
        static_cast<unsigned __int128>(st.passed_bytes + st.passed_packets * c.overhead_bytes) * 8 *
        EBT_POLICER_NS_PER_S;
    const unsigned __int128 allowed =
        static_cast<unsigned __int128>(c.burst_bytes) * 8 * EBT_POLICER_NS_PER_S +
        static_cast<unsigned __int128>(c.rate_bps) * (st.last_ns - st.first_ns);
    EXPECT_LE(used, allowed) << st.passed_packets << " frames passed in " << (st.last_ns - st.first_ns) << " ns";
    // And the bucket's own books: what is left + what passed = burst + refill
    // (no cap hit, or less).
    EXPECT_LE(static_cast<unsigned __int128>(st.tokens) + used, allowed);
}

}  // namespace
