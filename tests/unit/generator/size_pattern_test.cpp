// generator/size_pattern: the deterministic weighted size sequence.
#include <gtest/gtest.h>

#include <map>

#include "size_pattern.hpp"

using namespace ebt;

TEST(SizePattern, ImixIsSpreadAndExact) {
    const auto p = size_pattern(kImix);
    EXPECT_EQ(p, (std::vector<uint16_t>{0, 1, 0, 0, 1, 0, 2, 0, 1, 0, 1, 0}));
}

TEST(SizePattern, EveryPeriodHoldsTheWeights) {
    const std::vector<SizeWeight> mix{{60, 5}, {100, 3}, {200, 1}, {300, 2}};
    const auto p = size_pattern(mix);
    ASSERT_EQ(p.size(), 11u);
    std::map<uint16_t, uint32_t> n;
    for (uint16_t i : p) n[i]++;
    for (size_t i = 0; i < mix.size(); ++i) EXPECT_EQ(n[static_cast<uint16_t>(i)], mix[i].weight);
    // Smooth: the heaviest size never runs more than twice in a row here.
    for (size_t i = 2; i < p.size(); ++i) EXPECT_FALSE(p[i] == 0 && p[i - 1] == 0 && p[i - 2] == 0);
}

TEST(SizePattern, SingleSize) {
    EXPECT_EQ(size_pattern({{60, 3}}), (std::vector<uint16_t>{0, 0, 0}));
}
