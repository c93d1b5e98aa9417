// generator/pacing_report: merging the TX lcores' pacing histograms and the
// percentiles reported in results.json.
#include <gtest/gtest.h>

#include "pacing_report.hpp"

using namespace ebt;

namespace {
ebt_latency of(std::initializer_list<uint64_t> values) {
    ebt_latency h{};
    for (uint64_t v : values) ebt_latency_account(&h, static_cast<int64_t>(v));
    return h;
}
}  // namespace

TEST(PacingReport, ExactSmallValuesAndExtremes) {
    const ebt_latency h = of({3, 5, 7, 9, 11});
    const PacingReport r = summarize_pacing(h);
    EXPECT_EQ(r.bursts, 5u);
    EXPECT_EQ(*r.min_ns, 3u);
    EXPECT_EQ(*r.max_ns, 11u);
    EXPECT_DOUBLE_EQ(*r.mean_ns, 7.0);
    EXPECT_EQ(*r.p50_ns, 7u);   // below 16 ns every value has its own bucket
    EXPECT_EQ(*r.p99_ns, 11u);
    EXPECT_DOUBLE_EQ(r.percentile_error_bound_pct, 3.125);
}

TEST(PacingReport, PercentilesWithinTheStatedBound) {
    ebt_latency h{};
    for (uint64_t v = 1; v <= 100000; ++v) ebt_latency_account(&h, static_cast<int64_t>(v * 10));
    const PacingReport r = summarize_pacing(h);
    const double bound = r.percentile_error_bound_pct / 100;
    EXPECT_NEAR(static_cast<double>(*r.p50_ns), 500000.0, 500000.0 * bound);
    EXPECT_NEAR(static_cast<double>(*r.p99_ns), 990000.0, 990000.0 * bound);
    EXPECT_EQ(*r.max_ns, 1000000u);
}

TEST(PacingReport, MergeIsExact) {
    const ebt_latency a = of({100, 200, 300});
    const ebt_latency b = of({50, 5000});
    const ebt_latency empty{};
    const ebt_latency m = merge_pacing({&a, &empty, &b});
    const ebt_latency all = of({100, 200, 300, 50, 5000});
    EXPECT_EQ(m.count, 5u);
    EXPECT_EQ(m.min_ns, 50u);
    EXPECT_EQ(m.max_ns, 5000u);
    EXPECT_EQ(m.sum_ns, all.sum_ns);
    for (uint32_t i = 0; i < EBT_LAT_BUCKETS; ++i) EXPECT_EQ(m.hist[i], all.hist[i]) << i;
}

TEST(PacingReport, NoBursts) {
    const PacingReport r = summarize_pacing(ebt_latency{});
    EXPECT_EQ(r.bursts, 0u);
    EXPECT_FALSE(r.p99_ns.has_value());
    EXPECT_FALSE(r.method.empty());
}

TEST(RateFigures, PpsEfficiencyAndMbpsAtL1L2) {
    // 1000 frames of 60 bytes in 0.5 s at a 2500 pps target.
    const RateFigures r = rate_figures(1000, 60000, 0.5, 2500.0);
    EXPECT_DOUBLE_EQ(r.achieved_pps, 2000);
    ASSERT_TRUE(r.efficiency_pct.has_value());
    EXPECT_DOUBLE_EQ(*r.efficiency_pct, 80);
    EXPECT_DOUBLE_EQ(r.mbps_l1, 1000 * 84 * 8 / 0.5 / 1e6);  // 64-byte frame + 20 on the wire
    EXPECT_DOUBLE_EQ(r.mbps_l2, 1000 * 64 * 8 / 0.5 / 1e6);  // frame + FCS
    // rate max: no target, no efficiency; no time: no rates.
    const RateFigures m = rate_figures(10, 600, 1, std::nullopt);
    EXPECT_FALSE(m.target_pps.has_value());
    EXPECT_FALSE(m.efficiency_pct.has_value());
    const RateFigures z = rate_figures(10, 600, 0, 5.0);
    EXPECT_EQ(z.achieved_pps, 0);
    EXPECT_FALSE(z.efficiency_pct.has_value());
}
