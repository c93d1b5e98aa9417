// The latency histogram's bucket arithmetic (bpf/ebpf_test_shared.h, shared
// with the XDP program; common/wire/histogram): exact small values, every
// value within its bucket, contiguous edges.  No root, no BPF.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "histogram.hpp"

namespace {

TEST(LatencyBuckets, SmallValuesAreExact) {
    for (uint64_t v = 0; v < 16; ++v) {
        EXPECT_EQ(ebt_lat_bucket(v), v);
        EXPECT_EQ(ebt_lat_bucket_lo(static_cast<uint32_t>(v)), v);
    }
}

TEST(LatencyBuckets, EveryValueLiesInItsBucketWithinOneSixteenth) {
    std::vector<uint64_t> values;
    for (uint64_t p = 4; p <= 40; ++p) {
        const uint64_t base = uint64_t{1} << p;
        for (uint64_t d : {uint64_t{0}, uint64_t{1}, uint64_t{7}, base / 3, base / 2, base - 1})
            values.push_back(base + d);
        values.push_back(base - 1);
    }
    for (uint64_t v : values) {
        const uint32_t b = ebt_lat_bucket(v);
        ASSERT_LT(b, EBT_LAT_BUCKETS) << v;
        if (b == EBT_LAT_BUCKETS - 1) {
            EXPECT_GE(v, uint64_t{1} << 40) << "only >= 2^40 ns overflows";
            continue;
        }
        const uint64_t lo = ebt_lat_bucket_lo(b), hi = ebt_lat_bucket_lo(b + 1);
        EXPECT_LE(lo, v) << v;
        EXPECT_LT(v, hi) << v;
        EXPECT_LE((hi - lo) * 16, lo < 16 ? 16 : lo) << "width <= lo/16 at " << v;
    }
}

TEST(LatencyBuckets, EdgesAreContiguousAndIncreasing) {
    for (uint32_t b = 0; b + 2 < EBT_LAT_BUCKETS; ++b) {
        EXPECT_LT(ebt_lat_bucket_lo(b), ebt_lat_bucket_lo(b + 1));
        EXPECT_EQ(ebt_lat_bucket(ebt_lat_bucket_lo(b)), b);
        EXPECT_EQ(ebt_lat_bucket(ebt_lat_bucket_lo(b + 1) - 1), b);
    }
    EXPECT_EQ(ebt_lat_bucket_lo(EBT_LAT_BUCKETS - 1), uint64_t{1} << 40);
    EXPECT_EQ(ebt_lat_bucket(UINT64_MAX), EBT_LAT_BUCKETS - 1);
}

}  // namespace
