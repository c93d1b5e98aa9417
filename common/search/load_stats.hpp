// Per-load classification (MLRsearch): from the trials at one load, whether
// that load is a lower bound, an upper bound or undecided for a goal, and
// the loss ratio its conditional throughput is computed with.
#pragma once

#include <span>
#include <vector>

#include "goal.hpp"

namespace ebt::search {

struct TrialSample {
    double duration_s = 0;
    double loss_ratio = 0;
    bool decisive = false;  // a confirmation trial: if it exceeds, the load is an upper bound
};

// All the device's trials at one load (generator-limited ones never get here).
struct LoadStats {
    double load_pps = 0;
    std::vector<TrialSample> samples;
    // Where the device's forwarding rate here (received / duration) says its
    // limit is: the best of the trials at max load, the latest confirmation.
    double forwarding_guess_pps = 0;
};

enum class LoadClass { undecided, lower_bound, upper_bound };

LoadClass classify(const Goal& goal, std::span<const TrialSample> samples);

// For a lower bound: the loss ratio of the trial at the goal's exceed-ratio
// quantile of the full-length trials, missing duration counted as worst.
double conditional_loss_ratio(const Goal& goal, std::span<const TrialSample> samples);

}  // namespace ebt::search
