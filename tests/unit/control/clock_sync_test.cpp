// common/control/clock_sync: the clock offset from request/reply timestamp
// exchanges (lowest-delay sample, its uncertainty bound).
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "clock_sync.hpp"

TEST(ClockSync, SymmetricPathGivesExactOffset) {
    // Server 1000 ns ahead, 50 ns each way, 10 ns in the server.
    const ebt::ClockOffset o = ebt::estimate_clock_offset({{0, 1050, 1060, 110}});
    EXPECT_EQ(o.offset_ns, 1000);
    EXPECT_EQ(o.delay_ns, 100);
    EXPECT_GE(o.uncertainty_ns, 50);
    EXPECT_LE(o.uncertainty_ns, 52);
}

TEST(ClockSync, LowestDelaySampleWins) {
    // True offset -500; the second sample has the shortest round trip.
    const std::vector<ebt::ClockSample> s{
        {0, -500 + 400, -500 + 410, 420},   // asymmetric: 400 out, 10 back
        {1000, 1000 - 500 + 20, 1000 - 500 + 25, 1045},
        {2000, 2000 - 500 + 5, 2000 - 500 + 10, 2300},
    };
    const ebt::ClockOffset o = ebt::estimate_clock_offset(s);
    EXPECT_EQ(o.delay_ns, 40);
    EXPECT_EQ(o.samples, 3u);
    // The truth lies within the reported bound.
    EXPECT_LE(std::llabs(o.offset_ns - (-500)), o.uncertainty_ns);
}

TEST(ClockSync, ImpossibleSamplesAreRefused) {
    EXPECT_THROW(ebt::estimate_clock_offset({}), std::invalid_argument);
    EXPECT_THROW(ebt::estimate_clock_offset({{100, 0, 10, 50}}), std::invalid_argument);  // t4 < t1
    EXPECT_THROW(ebt::estimate_clock_offset({{0, 10, 5, 50}}), std::invalid_argument);    // t3 < t2
    EXPECT_THROW(ebt::estimate_clock_offset({{0, 0, 100, 50}}), std::invalid_argument);   // negative delay
}
