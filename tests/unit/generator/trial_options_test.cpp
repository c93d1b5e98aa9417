// generator/trial_options and the generator-limited rule of trial_session:
// the trial flags' checks (one line naming the flag), --goal's grammar,
// loads resolved as --rate resolves them, and when a trial is the
// generator's limit rather than the device's loss.
#include <gtest/gtest.h>

#include <vector>

#include "trial_options.hpp"
#include "trial_session.hpp"

using namespace ebt;

namespace {

cli::Parsed parsed(std::vector<std::string> args) {
    std::vector<char*> argv{const_cast<char*>("dpdk-gen")};
    for (auto& a : args) argv.push_back(a.data());
    std::vector<cli::OptionSpec> specs = trial_option_specs();
    specs.push_back({"rate", true});  // dpdk-gen's, from the config flags
    return cli::parse(static_cast<int>(argv.size()), argv.data(), specs);
}

std::string error_of(std::vector<std::string> args) {
    try {
        parse_trial_options(parsed(std::move(args)), TestConfig{});
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(TrialOptions, NoneWithoutTrialsOrSearch) {
    EXPECT_FALSE(parse_trial_options(parsed({}), TestConfig{}).has_value());
}

TEST(TrialOptions, TrialsKeepTheirLoadsInOrder) {
    const auto t = parse_trial_options(parsed({"--trials", "1Mpps,500kpps,2Gbps,40%", "--trial-duration", "2.5"}),
                                       TestConfig{});
    ASSERT_TRUE(t);
    EXPECT_FALSE(t->searching());
    EXPECT_EQ(t->loads, (std::vector<std::string>{"1Mpps", "500kpps", "2Gbps", "40%"}));
    EXPECT_DOUBLE_EQ(t->trial_duration_s, 2.5);
    EXPECT_EQ(t->warmup_s, 0);  // a sweep has no warm-up unless asked
}

TEST(TrialOptions, SearchTakesThePresetsGoals) {
    const auto t = parse_trial_options(parsed({"--search", "ndr-pdr"}), TestConfig{});
    ASSERT_TRUE(t && t->searching());
    ASSERT_EQ(t->goals.size(), 2u);
    EXPECT_EQ(t->goals[0].loss_ratio, 0);
    EXPECT_DOUBLE_EQ(t->goals[1].loss_ratio, 0.005);
    EXPECT_DOUBLE_EQ(t->warmup_s, 1);
    EXPECT_DOUBLE_EQ(t->latency_trial_s, 10);
}

TEST(TrialOptions, SearchMaxLoadDefaultsToTheRate) {
    EXPECT_EQ(parse_trial_options(parsed({"--search", "rfc2544", "--rate", "2Mpps"}), TestConfig{})->max_load, "2Mpps");
    EXPECT_FALSE(parse_trial_options(parsed({"--search", "rfc2544", "--rate", "max"}), TestConfig{})->max_load);
    EXPECT_FALSE(parse_trial_options(parsed({"--search", "rfc2544"}), TestConfig{})->max_load);  // then 100% of the link
    EXPECT_EQ(parse_trial_options(parsed({"--search", "rfc2544", "--rate", "2Mpps", "--search-max-load", "40%"}),
                                  TestConfig{})
                  ->max_load,
              "40%");
}

TEST(TrialOptions, EachBadFlagIsNamed) {
    EXPECT_EQ(error_of({"--trials", "1Mpps", "--search", "rfc2544"}).rfind("--trials: not with --search", 0), 0u);
    EXPECT_EQ(error_of({"--trials", "1Mpps,max"}).rfind("--trials: expected a load", 0), 0u);
    EXPECT_EQ(error_of({"--trials", "1Mpps,,2Mpps"}).rfind("--trials: expected a load", 0), 0u);
    EXPECT_EQ(error_of({"--search", "fastest"}).rfind("--search: ", 0), 0u);
    EXPECT_EQ(error_of({"--search-repeats", "3"}).rfind("--search-repeats: needs --search", 0), 0u);
    EXPECT_EQ(error_of({"--trials", "1Mpps", "--goal", "X:loss=0"}).rfind("--goal: needs --search", 0), 0u);
    EXPECT_EQ(error_of({"--search", "rfc2544", "--trial-duration", "2"}).rfind("--trial-duration: not with", 0), 0u);
    EXPECT_EQ(error_of({"--search", "rfc2544", "--search-max-load", "lots"}).rfind("--search-max-load: expected", 0),
              0u);
    EXPECT_EQ(error_of({"--search", "rfc2544", "--warmup", "-1"}).rfind("--warmup: expected", 0), 0u);
    EXPECT_EQ(error_of({"--search", "rfc2544", "--search-repeats", "0"}).rfind("--search-repeats: expected", 0), 0u);
}

TEST(Goals, UnsetKeysComeFromTheBase) {
    search::Goal base{"B", 0.1, 0.5, 0.005, 1, 1, 1};
    const auto g = parse_goals("NDR:loss=0,final=60,sum=60;PDR:loss=0.005", base);
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[0].name, "NDR");
    EXPECT_EQ(g[0].loss_ratio, 0);
    EXPECT_EQ(g[0].final_trial_duration_s, 60);
    EXPECT_EQ(g[0].duration_sum_s, 60);
    EXPECT_EQ(g[0].exceed_ratio, 0.5);
    EXPECT_EQ(g[1].name, "PDR");
    EXPECT_EQ(g[1].loss_ratio, 0.005);
    EXPECT_EQ(g[1].final_trial_duration_s, 1);
}

TEST(Goals, BadPartsAreNamed) {
    const search::Goal base{"B", 0, 0.5, 0.005, 1, 1, 1};
    auto err = [&](const std::string& spec) {
        try {
            parse_goals(spec, base);
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(err("NDR:loss=2").find("NDR loss: expected a ratio from 0 to 1"), std::string::npos);
    EXPECT_NE(err("NDR:speed=1").find("unknown key \"speed\""), std::string::npos);
    EXPECT_NE(err("NDR:final").find("expected key=value"), std::string::npos);
    EXPECT_NE(err("NDR:final=0").find("NDR final: expected a positive number of seconds"), std::string::npos);
    EXPECT_NE(err(":loss=0").find("expected NAME:key=value"), std::string::npos);
    EXPECT_NE(err("A:loss=0;A:loss=0.1").find("\"A\" given twice"), std::string::npos);
}

TEST(Loads, ResolvedAsRateResolvesThem) {
    TestConfig cfg;
    cfg.packet_size = 60;  // 64-byte frames on the wire: 84 bytes at L1
    EXPECT_EQ(resolve_load_pps("trials", "1Mpps", cfg, 10000), 1e6);
    // 100% of 10 Gbit/s at L1 for 64-byte frames: 14,880,952 pps.
    EXPECT_EQ(resolve_load_pps("search-max-load", "100%", cfg, 10000), 14880952);
    EXPECT_THROW(resolve_load_pps("trials", "50%", cfg, 0), ConfigError);      // no link speed
    EXPECT_THROW(resolve_load_pps("trials", "20Gbps", cfg, 10000), ConfigError);  // over the link
}

TEST(GeneratorLimit, EachRuleAndNone) {
    // 1 Mpps for 1 s: 10 us of traffic is 10 packets.
    EXPECT_EQ(generator_limit(1e6, 1000000, 1000000, 1e6, 0), "");
    EXPECT_EQ(generator_limit(1e6, 1000000, 999990, 999990, 0), "");  // 10 packets short: within 10 us
    EXPECT_NE(generator_limit(1e6, 1000000, 999989, 999989, 0).find("short by more than 10 us"), std::string::npos);
    EXPECT_NE(generator_limit(1e6, 1000000, 1000000, 940000, 0).find("under 95%"), std::string::npos);
    EXPECT_NE(generator_limit(1e6, 1000000, 1000000, 1e6, 3).find("the port refused 3 frames"), std::string::npos);
}
