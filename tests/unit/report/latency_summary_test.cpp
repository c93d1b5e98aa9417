// common/report/latency_summary: the report's latency figures and
// percentiles from the shared histogram.  No root, no BPF.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "latency_summary.hpp"

namespace {

ebt_latency make(std::initializer_list<int64_t> values) {
    ebt_latency l{};
    for (int64_t v : values) ebt_latency_account(&l, v);
    return l;
}

TEST(LatencySummary, ExactExtremesAndMean) {
    const auto r = ebt::summarize_latency(make({1000, 2000, 3000, 4000}), 0, "unknown");
    EXPECT_EQ(r.samples, 4u);
    EXPECT_EQ(*r.min_ns, 1000u);
    EXPECT_EQ(*r.max_ns, 4000u);
    EXPECT_DOUBLE_EQ(*r.mean_ns, 2500.0);
    EXPECT_DOUBLE_EQ(r.percentile_error_bound_pct, 3.125);
    EXPECT_EQ(r.clock_offset_uncertainty, "unknown");
    uint64_t n = 0;
    for (const auto& b : r.histogram) n += b.count;
    EXPECT_EQ(n, 4u);
}

TEST(LatencySummary, PercentilesWithinTheStatedBound) {
    // 1..10000 us: nearest-rank p50 = 5000 us, p90 = 9000 us, p99 = 9900 us,
    // p99.9 = 9990 us; each reported within 3.125%.
    ebt_latency l{};
    for (int64_t i = 1; i <= 10000; ++i) ebt_latency_account(&l, i * 1000);
    const auto r = ebt::summarize_latency(l, 0, "unknown");
    auto within = [](uint64_t got, double want) {
        return std::abs(static_cast<double>(got) - want) <= want * 0.03125;
    };
    EXPECT_TRUE(within(*r.p50_ns, 5e6)) << *r.p50_ns;
    EXPECT_TRUE(within(*r.p90_ns, 9e6)) << *r.p90_ns;
    EXPECT_TRUE(within(*r.p99_ns, 9.9e6)) << *r.p99_ns;
    EXPECT_TRUE(within(*r.p99_9_ns, 9.99e6)) << *r.p99_9_ns;
    EXPECT_LE(*r.p99_9_ns, *r.max_ns);
}

TEST(LatencySummary, SingleSampleIsExactEverywhere) {
    const auto r = ebt::summarize_latency(make({123456}), 0, "unknown");
    EXPECT_EQ(*r.p50_ns, 123456u);   // clamped to the exact min = max
    EXPECT_EQ(*r.p99_9_ns, 123456u);
}

TEST(LatencySummary, NegativeAreCountedApartAndEmptyHasNoFigures) {
    const auto r = ebt::summarize_latency(make({-5, -700}), 0, "unknown");
    EXPECT_EQ(r.samples, 0u);
    EXPECT_EQ(r.negative, 2u);
    EXPECT_EQ(r.negative_max_ns, 700u);
    EXPECT_FALSE(r.min_ns.has_value());
    EXPECT_FALSE(r.mean_ns.has_value());
    EXPECT_FALSE(r.p50_ns.has_value());
    EXPECT_TRUE(r.histogram.empty());
}

TEST(LatencySummary, OverflowBucketIsOpenEnded) {
    const auto r = ebt::summarize_latency(make({int64_t{1} << 41}), 0, "unknown");
    ASSERT_EQ(r.histogram.size(), 1u);
    EXPECT_EQ(r.histogram[0].lo_ns, uint64_t{1} << 40);
    EXPECT_EQ(r.histogram[0].hi_ns, 0u);
    EXPECT_EQ(*r.p50_ns, uint64_t{1} << 41);   // exact max, since it is the only sample
}

// Latency and pacing take their figures from the one histogram summary.
TEST(HistogramSummary, LatencyAndPacingReportTheSameFigures) {
    const ebt_latency h = make({120, 3000, 45000, 45001, 900000});
    const ebt::HistogramSummary s = ebt::summarize_histogram(h);
    const auto l = ebt::summarize_latency(h, 0, "unknown");
    EXPECT_EQ(s.count, 5u);
    EXPECT_EQ(l.min_ns, s.min_ns);
    EXPECT_EQ(l.max_ns, s.max_ns);
    EXPECT_EQ(l.mean_ns, s.mean_ns);
    EXPECT_EQ(l.p50_ns, s.p50_ns);
    EXPECT_EQ(l.p90_ns, s.p90_ns);
    EXPECT_EQ(l.p99_ns, s.p99_ns);
    EXPECT_EQ(l.p99_9_ns, s.p99_9_ns);
    EXPECT_FALSE(ebt::summarize_histogram(ebt_latency{}).p50_ns.has_value());
}

}  // namespace
