// What the throughput search looks for: the goals (MLRsearch's search
// goals), the presets, the search's configuration and its validation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ebt::search {

struct Goal {
    std::string name;
    double loss_ratio = 0;      // a trial "exceeds" when its loss ratio is above this
    double exceed_ratio = 0;    // share of the duration sum allowed to exceed, [0, 1)
    double relative_width = 0;  // stop when (upper - lower) <= relative_width * upper
    double initial_trial_duration_s = 1;  // early trials, far from the answer
    double final_trial_duration_s = 1;    // trials that count at full weight
    double duration_sum_s = 1;  // trial duration a load needs to be decided
};

struct SearchConfig {
    double min_load_pps = 0;
    double max_load_pps = 0;
    std::vector<Goal> goals;
    double warmup_s = 1.0;        // one discarded trial at max load before the search
    double time_limit_s = 3600;   // sum of trial durations, warm-up included
    unsigned repeats = 1;         // whole searches, for the median and spread
    std::optional<double> confirm_duration_s;  // one long trial at the found NDR
};

// "ndr-pdr": NDR (loss 0) and PDR (loss 0.005), 1 s trials, width 0.005,
// exceed ratio 0.5, duration sum 1 s.  "rfc2544": one zero-loss goal with
// 1 s initial and 60 s final trials, exceed ratio 0.
// Throws std::invalid_argument naming the preset and the valid names.
std::vector<Goal> preset_goals(std::string_view name);

// Throws std::invalid_argument naming the field and the expected range.
void validate(const SearchConfig& config);

}  // namespace ebt::search
