#include "mlr_search.hpp"

#include <algorithm>
#include <string_view>

#include "load_stats.hpp"
#include "selection.hpp"

namespace ebt::search {

namespace {

// A failed confirmation resumes the search; this many at most per search.
constexpr unsigned kConfirmAttempts = 8;
// After a generator-limited trial the search stays this far below the rate
// the generator achieved, so the result is never at the generator's edge.
constexpr double kGeneratorMargin = 0.99;

// The first phase of a goal whose initial trials are shorter than its final
// ones: the same goal with one initial-duration trial deciding a load.
Goal initial_phase_goal(const Goal& goal) {
    Goal first = goal;
    first.final_trial_duration_s = goal.initial_trial_duration_s;
    first.duration_sum_s = goal.initial_trial_duration_s;
    return first;
}

struct Candidate {
    double load_pps;
    double duration_s;
};

class Search {
public:
    Search(const SearchConfig& config, const Measure& measure, SearchResult& result)
        : config_(config), measure_(measure), result_(result), max_load_(config.max_load_pps) {}

    void run() {
        if (config_.warmup_s > 0) trial("warmup", max_load_, config_.warmup_s, false);
        for (unsigned r = 0; r < config_.repeats; ++r) {
            if (r > 0 && result_.time_limit_reached) break;
            repeat_ = r;
            loads_.clear();
            search_once();
            record_goal_results();
            ++result_.repeats_done;
        }
        summarize_repeats();
    }

private:
    void search_once() {
        unsigned confirmations = 0;
        while (max_load_ >= config_.min_load_pps) {
            if (const auto next = next_candidate()) {
                if (!trial("search", next->load_pps, next->duration_s, false)) return;
                continue;
            }
            if (!config_.confirm_duration_s || confirmations++ >= kConfirmAttempts) return;
            if (!confirm()) return;
        }
    }

    std::optional<Candidate> next_candidate() const {
        for (const Goal& goal : config_.goals) {
            if (auto next = next_for_goal(goal)) return next;
        }
        return std::nullopt;
    }

    // Short trials until the first phase is decided, then final-duration
    // trials, starting from the first phase's bounds.
    std::optional<Candidate> next_for_goal(const Goal& goal) const {
        const double min_load = config_.min_load_pps;
        Hints hints;
        if (goal.initial_trial_duration_s < goal.final_trial_duration_s) {
            const Goal first = initial_phase_goal(goal);
            const auto loads = classify_loads(first, loads_, min_load, max_load_);
            if (auto load = next_load(first, loads, min_load, max_load_, {})) {
                return Candidate{*load, goal.initial_trial_duration_s};
            }
            const RelevantBounds b = relevant_bounds(loads);
            hints = {b.lower_pps, b.upper_pps};
        }
        const auto loads = classify_loads(goal, loads_, min_load, max_load_);
        if (auto load = next_load(goal, loads, min_load, max_load_, hints)) {
            return Candidate{*load, goal.final_trial_duration_s};
        }
        return std::nullopt;
    }

    // One long trial at the NDR's lower bound.  Returns whether the search
    // must resume (the load failed, or the generator could not send it).
    bool confirm() {
        const Goal& ndr = *std::min_element(
            config_.goals.begin(), config_.goals.end(),
            [](const Goal& a, const Goal& b) { return a.loss_ratio < b.loss_ratio; });
        const auto loads = classify_loads(ndr, loads_, config_.min_load_pps, max_load_);
        const auto lower = relevant_bounds(loads).lower_pps;
        if (!lower || !trial("confirm", *lower, *config_.confirm_duration_s, true)) return false;
        const TrialRecord& t = result_.trials.back();
        Confirmation c{repeat_, ndr.name, t.load_pps, t.duration_s, t.loss_ratio, false, is_generator_limited(t.m)};
        c.passed = !c.generator_limited && t.loss_ratio <= ndr.loss_ratio;
        result_.confirmations.push_back(c);
        return !c.passed;
    }

    static bool is_generator_limited(const TrialMeasurement& m) { return m.generator_limited || m.sent == 0; }

    // Runs and records one trial unless it would pass the time limit.
    bool trial(const char* purpose, double load, double duration, bool decisive) {
        if (result_.traffic_s + duration > config_.time_limit_s) {
            result_.time_limit_reached = true;
            return false;
        }
        TrialMeasurement m = measure_(load, duration);
        result_.traffic_s += duration;
        const double loss = device_loss_ratio(m);
        const double seconds = m.duration_s > 0 ? m.duration_s : duration;
        if (is_generator_limited(m)) {
            // Says nothing about the device: the generator's rate caps the search.
            const double achieved = static_cast<double>(m.sent) / seconds;
            generator_limit_ = std::min(generator_limit_.value_or(achieved), achieved);
            max_load_ = std::min(max_load_, kGeneratorMargin * achieved);
        } else if (std::string_view(purpose) != "warmup") {
            auto at = std::find_if(loads_.begin(), loads_.end(),
                                   [&](const LoadStats& l) { return l.load_pps == load; });
            if (at == loads_.end()) at = loads_.insert(loads_.end(), LoadStats{load, {}, 0.0});
            // Classified by the duration asked for: the effective one may be a
            // hair shorter and must not turn a final-duration trial short.
            at->samples.push_back({duration, loss, decisive});
            const double forwarding = static_cast<double>(m.received) / seconds;
            if (decisive) {
                at->forwarding_guess_pps = forwarding;
            } else if (load == max_load_) {
                at->forwarding_guess_pps = std::max(at->forwarding_guess_pps, forwarding);
            }
        }
        const auto index = static_cast<unsigned>(result_.trials.size());
        result_.trials.push_back({index, repeat_, purpose, load, duration, std::move(m), loss});
        return true;
    }

    void record_goal_results() {
        result_.goals.clear();
        throughputs_.resize(config_.goals.size());
        for (size_t i = 0; i < config_.goals.size(); ++i) {
            GoalResult r = goal_result(config_.goals[i]);
            throughputs_[i].push_back(r.conditional_throughput_pps);
            result_.goals.push_back(std::move(r));
        }
    }

    GoalResult goal_result(const Goal& goal) const {
        GoalResult r;
        r.goal = goal;
        const auto loads = classify_loads(goal, loads_, config_.min_load_pps, max_load_);
        const RelevantBounds b = relevant_bounds(loads);
        r.relevant_lower_bound_pps = b.lower_pps;
        r.relevant_upper_bound_pps = b.upper_pps;
        if (b.lower_pps) {
            const auto at = std::find_if(loads_.begin(), loads_.end(),
                                         [&](const LoadStats& l) { return l.load_pps == *b.lower_pps; });
            r.lower_bound_loss_ratio = conditional_loss_ratio(goal, at->samples);
            r.conditional_throughput_pps = *b.lower_pps * (1 - *r.lower_bound_loss_ratio);
        }
        r.max_load_is_lower_bound = !b.upper_pps && b.lower_pps && *b.lower_pps >= max_load_;
        r.min_load_is_upper_bound = b.upper_pps && *b.upper_pps <= config_.min_load_pps;
        r.generator_limited = generator_limit_.has_value();
        r.generator_limit_pps = generator_limit_;
        return r;
    }

    void summarize_repeats() {
        for (size_t i = 0; i < result_.goals.size(); ++i) {
            GoalResult& r = result_.goals[i];
            r.throughput_per_repeat_pps = throughputs_[i];
            std::vector<double> found;
            for (const auto& t : throughputs_[i]) {
                if (t) found.push_back(*t);
            }
            if (found.empty()) continue;
            std::sort(found.begin(), found.end());
            const size_t mid = found.size() / 2;
            r.median_throughput_pps =
                found.size() % 2 ? found[mid] : (found[mid - 1] + found[mid]) / 2;
            r.min_throughput_pps = found.front();
            r.max_throughput_pps = found.back();
        }
    }

    const SearchConfig& config_;
    const Measure& measure_;
    SearchResult& result_;
    double max_load_;  // lowered below the generator's rate when it falls short
    std::optional<double> generator_limit_;
    std::vector<LoadStats> loads_;  // this repeat's trials, by load
    unsigned repeat_ = 0;
    std::vector<std::vector<std::optional<double>>> throughputs_;  // per goal, per repeat
};

}  // namespace

SearchResult run_search(const SearchConfig& config, const Measure& measure) {
    validate(config);
    SearchResult result;
    Search(config, measure, result).run();
    return result;
}

}  // namespace ebt::search
