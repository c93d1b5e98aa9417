#include "selection.hpp"

#include <algorithm>
#include <cmath>

namespace ebt::search {

namespace {

// Widths are handled in log space: ln(upper / lower) <= goal_log_width is
// exactly (upper - lower) <= relative_width * upper.
double goal_log_width(const Goal& goal) { return -std::log1p(-goal.relative_width); }

constexpr double kSlack = 1e-9;

}  // namespace

std::vector<ClassifiedLoad> classify_loads(const Goal& goal, std::span<const LoadStats> loads,
                                           double min_load, double max_load) {
    std::vector<ClassifiedLoad> out;
    for (const LoadStats& l : loads) {
        if (l.samples.empty() || l.load_pps < min_load || l.load_pps > max_load) continue;
        out.push_back({l.load_pps, classify(goal, l.samples), l.forwarding_guess_pps});
    }
    std::sort(out.begin(), out.end(),
              [](const ClassifiedLoad& a, const ClassifiedLoad& b) { return a.load_pps < b.load_pps; });
    return out;
}

RelevantBounds relevant_bounds(std::span<const ClassifiedLoad> loads) {
    RelevantBounds b;
    for (const ClassifiedLoad& l : loads) {  // ascending
        if (l.cls == LoadClass::upper_bound) {
            b.upper_pps = l.load_pps;
            break;
        }
        if (l.cls == LoadClass::lower_bound) b.lower_pps = l.load_pps;
    }
    return b;
}

bool is_decided(const Goal& goal, const RelevantBounds& b, double min_load, double max_load) {
    if (b.upper_pps && *b.upper_pps <= min_load) return true;
    if (!b.upper_pps && b.lower_pps && *b.lower_pps >= max_load) return true;
    return b.lower_pps && b.upper_pps &&
           std::log(*b.upper_pps / *b.lower_pps) <= goal_log_width(goal) * (1 + kSlack);
}

std::optional<double> next_load(const Goal& goal, std::span<const ClassifiedLoad> loads,
                                double min_load, double max_load, const Hints& hints) {
    const RelevantBounds b = relevant_bounds(loads);
    if (is_decided(goal, b, min_load, max_load)) return std::nullopt;
    const double width = goal_log_width(goal);
    auto inside = [&](double x) {
        return (b.lower_pps ? x > *b.lower_pps : x >= min_load) &&
               (b.upper_pps ? x < *b.upper_pps : x <= max_load);
    };
    // Where bisection would go: the upper part a power-of-two multiple of the
    // goal width, so the last step lands exactly on the width.
    std::optional<double> bisection;
    if (b.lower_pps && b.upper_pps) {
        const double span = std::log(*b.upper_pps / *b.lower_pps);
        const double halvings = std::ceil(std::log2(span / width) - kSlack);
        bisection = *b.upper_pps * std::exp(-width * std::exp2(halvings - 1));
    }

    // A load measured already but not decided yet needs more trials first:
    // the one nearest to where bisection would go, else nearest the bound.
    auto distance = [&](double x) {
        if (bisection) return std::abs(std::log(x / *bisection));
        return b.lower_pps ? x : -x;
    };
    std::optional<double> undecided;
    for (const ClassifiedLoad& l : loads) {
        if (l.cls != LoadClass::undecided || !inside(l.load_pps)) continue;
        if (!undecided || distance(l.load_pps) < distance(*undecided)) undecided = l.load_pps;
    }
    if (undecided) return undecided;
    for (const auto& hint : {hints.lower_pps, hints.upper_pps}) {
        if (hint && inside(*hint)) return hint;
    }
    if (!b.lower_pps && !b.upper_pps) return max_load;

    // The forwarding rate the device showed at the upper bound (at max load,
    // or in a failed confirmation) guesses where the answer is: try it, then
    // step away from the bound next to it, doubling the step each time
    // (external search), never past bisection.
    double forwarding = 0;
    for (const ClassifiedLoad& l : loads) {
        if (b.upper_pps && l.load_pps == *b.upper_pps) forwarding = l.forwarding_guess_pps;
    }
    if (b.upper_pps && inside(forwarding) && forwarding < *b.upper_pps * std::exp(-width)) {
        return forwarding;
    }
    auto steps = [&](auto&& pred) {
        return std::exp2(static_cast<double>(std::count_if(loads.begin(), loads.end(), pred)));
    };
    std::optional<double> down, up;
    if (b.upper_pps) {
        const double upper = *b.upper_pps;
        down = std::max(min_load, upper * std::exp(-width * steps([&](const ClassifiedLoad& l) {
            return l.cls == LoadClass::upper_bound && l.load_pps > upper && l.load_pps < max_load;
        })));
    }
    if (b.lower_pps) {
        const double lower = *b.lower_pps;
        up = std::min(max_load, lower * std::exp(width * steps([&](const ClassifiedLoad& l) {
            return l.cls == LoadClass::lower_bound && l.load_pps >= forwarding && l.load_pps < lower;
        })));
    }
    if (!bisection) return down ? *down : *up;
    // Both bounds: step from the one the guess is next to.
    if (forwarding <= 0) return bisection;
    return forwarding <= *b.lower_pps ? std::min(*up, *bisection) : std::max(*down, *bisection);
}

}  // namespace ebt::search
