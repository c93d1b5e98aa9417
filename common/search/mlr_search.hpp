// The throughput search controller (MLRsearch semantics): runs trials
// through the caller's Measure until every goal is decided or the time limit
// is reached, and reports each goal's bounds and conditional throughput.
#pragma once

#include <optional>
#include <vector>

#include "goal.hpp"
#include "trial.hpp"

namespace ebt::search {

struct GoalResult {
    Goal goal;
    std::optional<double> relevant_lower_bound_pps, relevant_upper_bound_pps;
    // Lower bound x (1 - the loss ratio at the goal's quantile of its trials).
    std::optional<double> conditional_throughput_pps;
    std::optional<double> lower_bound_loss_ratio;
    bool max_load_is_lower_bound = false;  // the link or the generator is the limit, not the device
    bool min_load_is_upper_bound = false;  // the device fails even at min load
    bool generator_limited = false;        // some trial could not be sent as intended
    std::optional<double> generator_limit_pps;  // lowest rate such a trial achieved
    // With repeats: each search's conditional throughput (none when it had
    // no lower bound), their median and spread.  The bounds and flags above
    // are the last search's; the generator figures cover all of them.
    std::vector<std::optional<double>> throughput_per_repeat_pps;
    std::optional<double> median_throughput_pps, min_throughput_pps, max_throughput_pps;
};

struct Confirmation {
    unsigned repeat = 0;
    std::string goal;  // the goal with the smallest loss ratio (the NDR)
    double load_pps = 0;
    double duration_s = 0;
    double loss_ratio = 0;
    bool passed = false;  // a generator-limited confirmation is neither: the search resumed
    bool generator_limited = false;
};

struct SearchResult {
    std::vector<GoalResult> goals;
    std::vector<TrialRecord> trials;
    std::vector<Confirmation> confirmations;
    double traffic_s = 0;  // sum of the trial durations asked for, warm-up included
    bool time_limit_reached = false;
    unsigned repeats_done = 0;
};

// Throws std::invalid_argument for a config that validate() rejects.
SearchResult run_search(const SearchConfig& config, const Measure& measure);

}  // namespace ebt::search
