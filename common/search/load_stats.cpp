#include "load_stats.hpp"

#include <algorithm>
#include <limits>

namespace ebt::search {

namespace {

// Durations are sums of the caller's figures; a relative slack keeps a load
// whose bad duration equals the allowed share exactly from flipping on rounding.
constexpr double kSlack = 1e-9;

bool is_full_length(const Goal& goal, const TrialSample& s) {
    return s.duration_s >= goal.final_trial_duration_s * (1 - kSlack);
}

}  // namespace

LoadClass classify(const Goal& goal, std::span<const TrialSample> samples) {
    double full_good = 0, full_bad = 0, short_good = 0, short_bad = 0;
    for (const TrialSample& s : samples) {
        const bool exceeds = s.loss_ratio > goal.loss_ratio;
        if (exceeds && s.decisive) return LoadClass::upper_bound;
        double& sum = is_full_length(goal, s) ? (exceeds ? full_bad : full_good)
                                              : (exceeds ? short_bad : short_good);
        sum += s.duration_s;
    }
    // A short trial never makes a load good; a short good trial only cancels
    // short bad duration, in the proportion the exceed ratio allows.
    const double balancing = short_good * goal.exceed_ratio / (1 - goal.exceed_ratio);
    const double bad = full_bad + std::max(0.0, short_bad - balancing);
    const double whole = std::max(goal.duration_sum_s, full_good + bad);
    const double allowed = goal.exceed_ratio * whole;
    const double slack = kSlack * whole;
    // Upper bound: the bad duration already exceeds the allowed share.
    if (bad > allowed + slack) return LoadClass::upper_bound;
    // Lower bound: even if all the missing duration were bad, it would not.
    if (whole - full_good <= allowed + slack) return LoadClass::lower_bound;
    return LoadClass::undecided;
}

double conditional_loss_ratio(const Goal& goal, std::span<const TrialSample> samples) {
    std::vector<TrialSample> full;
    double full_sum = 0;
    for (const TrialSample& s : samples) {
        if (!is_full_length(goal, s)) continue;
        full.push_back(s);
        full_sum += s.duration_s;
    }
    if (full.empty()) return 1.0;
    std::sort(full.begin(), full.end(),
              [](const TrialSample& a, const TrialSample& b) { return a.loss_ratio > b.loss_ratio; });
    const double whole = std::max(goal.duration_sum_s, full_sum);
    // Worst-first, the exceed ratio's share of the whole may be skipped; the
    // missing duration is skipped first, as if it were the worst of all.
    double skippable = goal.exceed_ratio * whole - (whole - full_sum) + kSlack * whole;
    for (const TrialSample& s : full) {
        skippable -= s.duration_s;
        if (skippable < 0) return s.loss_ratio;
    }
    return full.back().loss_ratio;
}

}  // namespace ebt::search
