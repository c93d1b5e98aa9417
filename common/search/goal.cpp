#include "goal.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace ebt::search {

std::vector<Goal> preset_goals(std::string_view name) {
    if (name == "ndr-pdr") {
        return {Goal{"NDR", 0.0, 0.5, 0.005, 1.0, 1.0, 1.0},
                Goal{"PDR", 0.005, 0.5, 0.005, 1.0, 1.0, 1.0}};
    }
    if (name == "rfc2544") {
        // Short trials only ever prove a load too high (exceed ratio 0); the
        // answer rests on 60 s trials near it.
        return {Goal{"RFC2544", 0.0, 0.0, 0.005, 1.0, 60.0, 60.0}};
    }
    throw std::invalid_argument("unknown search preset '" + std::string(name) +
                                "' (valid: ndr-pdr, rfc2544)");
}

namespace {

[[noreturn]] void reject(const std::string& field, const std::string& range, double got) {
    std::ostringstream os;
    os << "search: " << field << " must be " << range << ", got " << got;
    throw std::invalid_argument(os.str());
}

// Range checks that also reject NaN (every comparison with NaN is false).
void require_positive(const std::string& field, double v) {
    if (!(v > 0) || !std::isfinite(v)) reject(field, "a finite number > 0", v);
}
void require_ratio(const std::string& field, double v) {
    if (!(v >= 0 && v < 1)) reject(field, "in [0, 1)", v);
}

}  // namespace

void validate(const SearchConfig& c) {
    require_positive("min_load_pps", c.min_load_pps);
    require_positive("max_load_pps", c.max_load_pps);
    if (!(c.min_load_pps < c.max_load_pps)) {
        reject("min_load_pps", "below max_load_pps (" + std::to_string(c.max_load_pps) + ")",
               c.min_load_pps);
    }
    if (c.goals.empty()) throw std::invalid_argument("search: goals must not be empty");
    for (size_t i = 0; i < c.goals.size(); ++i) {
        const Goal& g = c.goals[i];
        const std::string at = "goals[" + std::to_string(i) + "].";
        if (g.name.empty()) throw std::invalid_argument("search: " + at + "name must not be empty");
        require_ratio(at + "loss_ratio", g.loss_ratio);
        require_ratio(at + "exceed_ratio", g.exceed_ratio);
        if (!(g.relative_width > 0 && g.relative_width < 1)) {
            reject(at + "relative_width", "in (0, 1)", g.relative_width);
        }
        require_positive(at + "initial_trial_duration_s", g.initial_trial_duration_s);
        require_positive(at + "final_trial_duration_s", g.final_trial_duration_s);
        if (g.initial_trial_duration_s > g.final_trial_duration_s) {
            reject(at + "initial_trial_duration_s", "at most final_trial_duration_s",
                   g.initial_trial_duration_s);
        }
        require_positive(at + "duration_sum_s", g.duration_sum_s);
    }
    if (!(c.warmup_s >= 0) || !std::isfinite(c.warmup_s)) reject("warmup_s", "a finite number >= 0", c.warmup_s);
    require_positive("time_limit_s", c.time_limit_s);
    if (c.repeats < 1) reject("repeats", "at least 1", c.repeats);
    if (c.confirm_duration_s) require_positive("confirm_duration_s", *c.confirm_duration_s);
}

}  // namespace ebt::search
