// Where the search measures next for one goal: its relevant bounds over the
// loads measured so far, and the next load (MLRsearch's external search and
// bisection), or none when the goal is decided.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "goal.hpp"
#include "load_stats.hpp"

namespace ebt::search {

struct ClassifiedLoad {
    double load_pps = 0;
    LoadClass cls = LoadClass::undecided;
    double forwarding_guess_pps = 0;
};

// Loads outside [min_load, max_load] and loads without trials are left out.
std::vector<ClassifiedLoad> classify_loads(const Goal& goal, std::span<const LoadStats> loads,
                                           double min_load, double max_load);

// The relevant upper bound is the smallest upper bound; the relevant lower
// bound the largest lower bound below it, so a lower load that failed keeps
// the result below it even when a higher one passed.
struct RelevantBounds {
    std::optional<double> lower_pps, upper_pps;
};
RelevantBounds relevant_bounds(std::span<const ClassifiedLoad> loads);

// The search is done for a goal when its bounds are within its width, or at
// the irregular ends: min load an upper bound, max load a lower bound.
bool is_decided(const Goal& goal, const RelevantBounds& b, double min_load, double max_load);

// Loads worth trying before the generic steps, if they lie between the
// bounds: the previous phase's bounds.
struct Hints {
    std::optional<double> lower_pps, upper_pps;
};

std::optional<double> next_load(const Goal& goal, std::span<const ClassifiedLoad> loads,
                                double min_load, double max_load, const Hints& hints);

}  // namespace ebt::search
