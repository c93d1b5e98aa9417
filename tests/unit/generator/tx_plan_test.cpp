// generator/tx_plan.hpp and pacer.hpp: the DPDK-free TX planning (plan_tx: flows, rate and
// packet total split exactly across TX lcores) and pacing math (Pacer,
// TscToNs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "config.hpp"
#include "pacer.hpp"
#include "tx_plan.hpp"

using namespace ebt;

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
