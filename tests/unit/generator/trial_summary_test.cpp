// generator/trial_summary: summary.json carries every trial and the
// search's goals as recorded (no figure re-derived), summary.csv one row per
// trial, summary.md the FCS rule and the generator-limited flag in words.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "trial_summary.hpp"

using namespace ebt;

namespace {

SessionSummary two_trials() {
    SessionSummary s;
    s.kind = "search";
    s.created_at = "2026-11-27T21:00:00Z";
    fill_machine(s);
    s.port_driver = "net_af_packet";
    s.link_speed_mbps = 10000;
    s.packet_size = 60;
    s.flows = 4;
    s.receiver_mode = "xdp";
    TrialRow a;
    a.index = 1;
    a.purpose = "warmup";
    a.load_pps = 1e6;
    a.duration_s = 1;
    a.intended = 1000000;
    a.sent = 700000;
    a.received = 700000;
    a.achieved_pps = 700000;
    a.generator_limited = true;
    a.generator_limit_reason = "achieved 700000 pps, under 95% of the offered 1000000";
    a.overhead_s = 0.25;
    a.dir = "trials/001_warmup";
    TrialRow b = a;
    b.index = 2;
    b.purpose = "search";
    b.load_pps = 5e5;
    b.intended = b.sent = 500000;
    b.received = 499000;
    b.loss_ratio = 0.002;
    b.achieved_pps = 5e5;
    b.generator_limited = false;
    b.generator_limit_reason.clear();
    b.latency = TrialLatency{1000, 2000, 3000};
    b.overhead_s = 0.75;
    b.dir = "trials/002_search";
    s.trials = {a, b};
    SearchSummary x;
    x.preset = "ndr-pdr";
    x.config.min_load_pps = 1000;
    x.config.max_load_pps = 1e6;
    search::GoalResult g;
    g.goal = search::Goal{"NDR", 0, 0.5, 0.005, 1, 1, 1};
    g.relevant_lower_bound_pps = 4e5;
    g.relevant_upper_bound_pps = 5e5;
    g.conditional_throughput_pps = 4e5;
    g.generator_limited = true;
    g.generator_limit_pps = 7e5;
    x.result.goals = {g};
    x.result.traffic_s = 2;
    s.search = x;
    return s;
}

}  // namespace

TEST(TrialSummary, JsonHoldsEveryTrialAndGoalAsRecorded) {
    const SessionSummary s = two_trials();
    const auto j = summary_json(s);
    EXPECT_EQ(j.at("schema"), "ebpf-test/summary/1");
    EXPECT_EQ(j.at("frame").at("on_wire_bytes"), 64);
    EXPECT_EQ(j.at("frame").at("packet_size"), 60);
    const auto& trials = j.at("trials").as_array();
    ASSERT_EQ(trials.size(), 2u);
    EXPECT_EQ(trials[0].at("generator_limited"), true);
    EXPECT_EQ(trials[0].at("latency_ns"), nullptr);
    EXPECT_EQ(trials[1].at("received"), 499000);
    EXPECT_EQ(trials[1].at("latency_ns").at("p99"), 2000);
    EXPECT_EQ(trials[1].at("dir"), "trials/002_search");
    // Overhead: the trials' mean and max, with its method.
    EXPECT_DOUBLE_EQ(j.at("overhead").at("per_trial_mean_s").as_double(), 0.5);
    EXPECT_DOUBLE_EQ(j.at("overhead").at("per_trial_max_s").as_double(), 0.75);
    const auto& goal = j.at("search").at("goals").at(0);
    EXPECT_EQ(goal.at("name"), "NDR");
    EXPECT_DOUBLE_EQ(goal.at("lower_bound_pps").as_double(), 4e5);
    EXPECT_EQ(goal.at("generator_limited"), true);
    EXPECT_DOUBLE_EQ(goal.at("generator_limit_pps").as_double(), 7e5);
    EXPECT_EQ(goal.at("repeats"), nullptr);
    EXPECT_EQ(j.at("search").at("confirmation"), nullptr);
}

TEST(TrialSummary, CsvHasARowPerTrial) {
    const std::string csv = summary_csv(two_trials());
    size_t lines = 0;
    for (char c : csv) lines += c == '\n';
    EXPECT_EQ(lines, 3u);
    EXPECT_EQ(csv.rfind("index,purpose,load_pps,", 0), 0u);
    EXPECT_NE(csv.find("\n2,search,500000,"), std::string::npos) << csv;
}

TEST(TrialSummary, MarkdownSaysWhoWasTheLimit) {
    const std::string md = summary_markdown(two_trials());
    EXPECT_NE(md.find("64-byte frames"), std::string::npos);
    EXPECT_NE(md.find("including the 4-byte FCS (packet_size 60)"), std::string::npos);
    EXPECT_NE(md.find("the generator, not the device, was the limit"), std::string::npos);
    EXPECT_NE(md.find("Trial overhead"), std::string::npos);
}

TEST(TrialSummary, AnIncompleteSessionSaysWhy) {
    SessionSummary s = two_trials();
    s.status = "incomplete";
    s.status_reason = "interrupted by SIGINT";
    EXPECT_EQ(summary_json(s).at("status"), "incomplete");
    EXPECT_NE(summary_markdown(s).find("**Incomplete:** interrupted by SIGINT"), std::string::npos);
}
