// common/search/goal: the presets and the configuration's validation.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

#include "goal.hpp"
#include "mlr_search.hpp"

namespace ebt::search {
namespace {

SearchConfig valid_config() {
    SearchConfig c;
    c.min_load_pps = 1e4;
    c.max_load_pps = 1e7;
    c.goals = preset_goals("ndr-pdr");
    return c;
}

// The config, broken by `edit`, is rejected with a message naming `field`.
void expect_rejected(const std::function<void(SearchConfig&)>& edit, const std::string& field) {
    SearchConfig c = valid_config();
    edit(c);
    try {
        validate(c);
        ADD_FAILURE() << "accepted a bad " << field;
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
    // run_search validates before it measures anything.
    bool measured = false;
    EXPECT_THROW(run_search(c, [&](double, double) { measured = true; return TrialMeasurement{}; }),
                 std::invalid_argument);
    EXPECT_FALSE(measured);
}

TEST(Presets, DefaultIsNdrAndPdr) {
    const auto goals = preset_goals("ndr-pdr");
    ASSERT_EQ(goals.size(), 2u);
    EXPECT_EQ(goals[0].name, "NDR");
    EXPECT_EQ(goals[0].loss_ratio, 0.0);
    EXPECT_EQ(goals[1].name, "PDR");
    EXPECT_EQ(goals[1].loss_ratio, 0.005);
    for (const Goal& g : goals) {
        EXPECT_EQ(g.exceed_ratio, 0.5);
        EXPECT_EQ(g.relative_width, 0.005);
        EXPECT_EQ(g.initial_trial_duration_s, 1.0);
        EXPECT_EQ(g.final_trial_duration_s, 1.0);
        EXPECT_EQ(g.duration_sum_s, 1.0);
    }
}

TEST(Presets, Rfc2544IsOneZeroLossGoalWithMinuteTrials) {
    const auto goals = preset_goals("rfc2544");
    ASSERT_EQ(goals.size(), 1u);
    EXPECT_EQ(goals[0].loss_ratio, 0.0);
    EXPECT_EQ(goals[0].exceed_ratio, 0.0);
    EXPECT_EQ(goals[0].final_trial_duration_s, 60.0);
    EXPECT_LT(goals[0].initial_trial_duration_s, goals[0].final_trial_duration_s);
}

TEST(Presets, UnknownNameListsTheValidOnes) {
    try {
        preset_goals("ndr-only");
        FAIL() << "accepted an unknown preset";
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("ndr-only"), std::string::npos) << what;
        EXPECT_NE(what.find("ndr-pdr"), std::string::npos) << what;
        EXPECT_NE(what.find("rfc2544"), std::string::npos) << what;
    }
}

TEST(Validate, AcceptsThePresets) {
    EXPECT_NO_THROW(validate(valid_config()));
    SearchConfig c = valid_config();
    c.goals = preset_goals("rfc2544");
    c.confirm_duration_s = 120;
    EXPECT_NO_THROW(validate(c));
}

TEST(Validate, RejectsEachBadField) {
    expect_rejected([](SearchConfig& c) { c.goals[0].loss_ratio = -0.1; }, "goals[0].loss_ratio");
    expect_rejected([](SearchConfig& c) { c.goals[1].loss_ratio = 1.0; }, "goals[1].loss_ratio");
    expect_rejected([](SearchConfig& c) { c.goals[0].exceed_ratio = 1.0; }, "goals[0].exceed_ratio");
    expect_rejected([](SearchConfig& c) { c.goals[1].relative_width = 0; }, "goals[1].relative_width");
    expect_rejected([](SearchConfig& c) { c.goals[0].relative_width = -0.01; }, "goals[0].relative_width");
    expect_rejected([](SearchConfig& c) { c.goals[0].initial_trial_duration_s = 0; },
                    "goals[0].initial_trial_duration_s");
    expect_rejected([](SearchConfig& c) { c.goals[0].final_trial_duration_s = 0; },
                    "goals[0].final_trial_duration_s");
    expect_rejected([](SearchConfig& c) { c.goals[0].initial_trial_duration_s = 2; },
                    "goals[0].initial_trial_duration_s");
    expect_rejected([](SearchConfig& c) { c.goals[0].duration_sum_s = 0; }, "goals[0].duration_sum_s");
    expect_rejected([](SearchConfig& c) { c.goals[0].name.clear(); }, "goals[0].name");
    expect_rejected([](SearchConfig& c) { c.goals.clear(); }, "goals");
    expect_rejected([](SearchConfig& c) { c.min_load_pps = c.max_load_pps; }, "min_load_pps");
    expect_rejected([](SearchConfig& c) { c.min_load_pps = 0; }, "min_load_pps");
    expect_rejected([](SearchConfig& c) { c.max_load_pps = std::nan(""); }, "max_load_pps");
    expect_rejected([](SearchConfig& c) { c.warmup_s = -1; }, "warmup_s");
    expect_rejected([](SearchConfig& c) { c.time_limit_s = 0; }, "time_limit_s");
    expect_rejected([](SearchConfig& c) { c.repeats = 0; }, "repeats");
    expect_rejected([](SearchConfig& c) { c.confirm_duration_s = 0.0; }, "confirm_duration_s");
}

}  // namespace
}  // namespace ebt::search
