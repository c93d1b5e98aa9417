// common/search/load_stats: classifying one load from its trials, per goal.
#include <gtest/gtest.h>

#include <vector>

#include "load_stats.hpp"

namespace ebt::search {
namespace {

// Loss 0, half may exceed, 10 s needed, trials of 1 s count in full.
const Goal kHalf{"half", 0.0, 0.5, 0.005, 1, 1, 10};
// Loss 0, nothing may exceed, 60 s trials, 60 s needed.
const Goal kStrict{"strict", 0.0, 0.0, 0.005, 1, 60, 60};

std::vector<TrialSample> trials(int good, int bad, double duration = 1) {
    std::vector<TrialSample> v;
    for (int i = 0; i < good; ++i) v.push_back({duration, 0.0, false});
    for (int i = 0; i < bad; ++i) v.push_back({duration, 0.01, false});
    return v;
}

TEST(Classify, UndecidedUntilEnoughDuration) {
    EXPECT_EQ(classify(kHalf, trials(4, 0)), LoadClass::undecided);
    EXPECT_EQ(classify(kHalf, trials(5, 0)), LoadClass::lower_bound);  // the missing 5 s may all be bad
    EXPECT_EQ(classify(kHalf, trials(0, 5)), LoadClass::undecided);
    EXPECT_EQ(classify(kHalf, trials(0, 6)), LoadClass::upper_bound);
    EXPECT_EQ(classify(kHalf, trials(4, 5)), LoadClass::undecided);
    EXPECT_EQ(classify(kHalf, trials(5, 5)), LoadClass::lower_bound);
}

TEST(Classify, ShortTrialsProveOnlyAnUpperBound) {
    EXPECT_EQ(classify(kStrict, trials(10, 0)), LoadClass::undecided);
    EXPECT_EQ(classify(kStrict, trials(10, 1)), LoadClass::upper_bound);
    EXPECT_EQ(classify(kStrict, trials(1, 0, 60)), LoadClass::lower_bound);
    EXPECT_EQ(classify(kStrict, trials(1, 1, 60)), LoadClass::upper_bound);
    // With an exceed ratio, short good trials cancel short bad ones.
    const Goal tolerant{"tolerant", 0.0, 0.5, 0.005, 1, 60, 60};
    EXPECT_EQ(classify(tolerant, trials(0, 40)), LoadClass::upper_bound);
    EXPECT_EQ(classify(tolerant, trials(20, 40)), LoadClass::undecided);
}

TEST(Classify, AFailedConfirmationDecides) {
    std::vector<TrialSample> v = trials(5, 0);
    v.push_back({0.5, 0.01, true});
    EXPECT_EQ(classify(kHalf, v), LoadClass::upper_bound);
    v.back().loss_ratio = 0;
    EXPECT_EQ(classify(kHalf, v), LoadClass::lower_bound);
}

TEST(ConditionalLoss, QuantileOfTheFullLengthTrials) {
    const Goal pdr{"pdr", 0.005, 0.5, 0.005, 1, 1, 4};
    // Worst first: 0.004 0.003 | 0.002 0.001; half of 4 s may be skipped.
    const std::vector<TrialSample> v = {{1, 0.001, false}, {1, 0.004, false}, {1, 0.002, false},
                                        {1, 0.003, false}, {0.5, 0.9, false}};
    EXPECT_DOUBLE_EQ(conditional_loss_ratio(pdr, v), 0.002);
    // Missing duration counts as the worst: with 3 s of 4, one fewer skipped.
    EXPECT_DOUBLE_EQ(conditional_loss_ratio(pdr, std::vector<TrialSample>(v.begin() + 1, v.end())), 0.003);
    // Exceed ratio 0: the worst trial.
    const Goal strict{"strict", 0.005, 0.0, 0.005, 1, 1, 1};
    EXPECT_DOUBLE_EQ(conditional_loss_ratio(strict, v), 0.004);
}

}  // namespace
}  // namespace ebt::search
