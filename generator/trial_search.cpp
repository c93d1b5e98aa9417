// TrialSession's search (--search): the search core chooses the loads and
// durations, measure() runs them as trials; then the latency trials at
// fractions of the NDR.
#include <algorithm>
#include <filesystem>

#include "log.hpp"
#include "run_info.hpp"
#include "trial_session.hpp"

namespace ebt {

namespace {

// Against every goal's loss ratio, as the search will classify the trial.
std::string verdict(const TrialRow& row, const std::vector<search::Goal>& goals) {
    if (row.generator_limited) return "generator-limited: " + row.generator_limit_reason;
    std::string v;
    for (const auto& g : goals)
        v += std::string(v.empty() ? "" : ", ") + (row.loss_ratio <= g.loss_ratio ? "pass " : "fail ") + g.name;
    return v;
}

}  // namespace

void TrialSession::run_search() {
    const search::SearchConfig& sc = search_config_;
    log::info("search " + *opts_.search_preset + ": loads " + fixed_text(sc.min_load_pps, 0) + " to " +
              fixed_text(sc.max_load_pps, 0) + " pps, " + std::to_string(sc.goals.size()) + " goal(s), time limit " +
              fixed_text(sc.time_limit_s, 0) + " s");

    const size_t first = summary_.trials.size();
    double traffic_s = 0;
    auto measure = [&](double load_pps, double duration_s) {
        const bool warmup = sc.warmup_s > 0 && summary_.trials.size() == first;
        const TrialRow row = run_trial(load_pps, duration_s, warmup ? "warmup" : "search");
        traffic_s += duration_s;
        show(row, warmup ? "discarded (warm-up)" : verdict(row, sc.goals),
             std::max(0.0, sc.time_limit_s - traffic_s));
        search::TrialMeasurement m;
        m.intended = row.intended;
        m.sent = row.sent;
        m.received = row.received;
        m.duration_s = row.traffic_s > 0 ? row.traffic_s : row.duration_s;
        m.generator_limited = row.generator_limited;
        m.generator_limit_reason = row.generator_limit_reason;
        return m;
    };
    SearchSummary ss;
    ss.preset = *opts_.search_preset;
    ss.config = sc;
    ss.result = search::run_search(sc, measure);
    // Each trial's purpose as the search recorded it (confirmation trials).
    for (size_t i = 0; i < ss.result.trials.size() && first + i < summary_.trials.size(); ++i) {
        TrialRow& row = summary_.trials[first + i];
        const std::string& purpose = ss.result.trials[i].purpose;
        if (purpose == row.purpose) continue;
        const std::string renamed = row.dir.substr(0, row.dir.rfind('_') + 1) + purpose;
        std::filesystem::rename(dir_ + "/" + row.dir, dir_ + "/" + renamed);
        row.dir = renamed;
        row.purpose = purpose;
    }
    summary_.search = ss;
    for (const auto& g : ss.result.goals)
        log::info(g.goal.name + ": " +
                  (g.conditional_throughput_pps ? fixed_text(*g.conditional_throughput_pps, 0) + " pps"
                                                : std::string("not found")) +
                  (g.generator_limited ? " (generator-limited: the generator, not the device, was the limit)"
                                       : std::string()) +
                  (g.max_load_is_lower_bound ? " (the max load passed)" : std::string()));

    // Latency at 10, 50, 90 and 100% of the NDR (the goal of least loss).
    if (opts_.latency_trial_s <= 0 || ss.result.goals.empty()) return;
    const auto ndr = std::min_element(ss.result.goals.begin(), ss.result.goals.end(), [](const auto& a, const auto& b) {
        return a.goal.loss_ratio < b.goal.loss_ratio;
    });
    if (!ndr->relevant_lower_bound_pps) {
        log::warn("no latency trials: " + ndr->goal.name + " has no lower bound");
        return;
    }
    for (const double share : {0.1, 0.5, 0.9, 1.0}) {
        const TrialRow row = run_trial(*ndr->relevant_lower_bound_pps * share, opts_.latency_trial_s, "latency");
        show(row,
             row.latency ? "p50 " + std::to_string(row.latency->p50_ns) + " ns, p99 " +
                               std::to_string(row.latency->p99_ns) + " ns"
                         : std::string("no latency figures"),
             std::nullopt);
    }
}

}  // namespace ebt
