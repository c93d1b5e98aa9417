#include "trial_options.hpp"

#include <charconv>
#include <cmath>


namespace ebt {

namespace {

[[noreturn]] void fail(std::string_view flag, const std::string& what) {
    throw ConfigError("--" + std::string(flag) + ": " + what);
}

// Seconds >= 0 (0 turns the step off), at most max_s.
double parse_seconds_or_zero(std::string_view flag, const std::string& text, double max_s) {
    if (text == "0") return 0;
    return parse_flag_seconds(flag, text, max_s);
}

// A number as std::stod reads the whole text; NaN when it does not.
double whole_number(const std::string& text) {
    size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    return used == text.size() && used > 0 ? v : std::nan("");
}

double parse_ratio(const std::string& what, const std::string& text) {
    const double v = whole_number(text);
    if (!(v >= 0 && v <= 1)) fail("goal", what + ": expected a ratio from 0 to 1, got \"" + text + "\"");
    return v;
}

double parse_goal_seconds(const std::string& what, const std::string& text) {
    const double v = whole_number(text);
    if (!(v > 0 && v <= 86400))
        fail("goal", what + ": expected a positive number of seconds up to 86400, got \"" + text + "\"");
    return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t at = 0;
    for (;;) {
        const size_t next = s.find(sep, at);
        out.push_back(s.substr(at, next == std::string::npos ? std::string::npos : next - at));
        if (next == std::string::npos) return out;
        at = next + 1;
    }
}

}  // namespace

std::vector<cli::OptionSpec> trial_option_specs() {
    return {
        {"trials", true, "LOADS",
         "trial mode: one trial per load (comma list, each as --rate takes it:\n"
         "500kpps, 1Mpps, 2Gbps, 40%), on one control connection; a summary\n"
         "directory holds every trial and summary.json/csv/md"},
        {"trial-duration", true, "S", "each --trials trial's length (default: the config's duration)"},
        {"search", true, "PRESET",
         "trial mode: a throughput search (MLRsearch): ndr-pdr (NDR loss 0 and\n"
         "PDR loss 0.5%, 1 s trials, width 0.5%) or rfc2544 (loss 0, 60 s final trials)"},
        {"search-max-load", true, "RATE", "the search's highest load (default: --rate, else 100% of the link)"},
        {"search-min-load", true, "RATE", "the search's lowest load (default: max / 1000)"},
        {"search-time-limit", true, "S", "stop the search after S s of trials (default 1800)"},
        {"search-repeats", true, "N", "run the search N times: median and spread per goal (default 1)"},
        {"search-confirm", true, "S", "a trial of S s at the found NDR; a failure resumes the search"},
        {"goal", true, "SPEC",
         "the search's goals instead of the preset's: NAME:loss=R,exceed=R,\n"
         "width=R,initial=S,final=S,sum=S[;NAME:...] (unset keys: the preset's)"},
        {"warmup", true, "S", "a discarded trial of S s at the max load first (default 1; 0: none)"},
        {"latency-trials", true, "S",
         "after a search, trials of S s at 10, 50, 90 and 100% of the NDR for\n"
         "latency (default 10; 0: none)"},
    };
}

std::vector<search::Goal> parse_goals(const std::string& spec, const search::Goal& base) {
    std::vector<search::Goal> goals;
    for (const auto& part : split(spec, ';')) {
        const auto colon = part.find(':');
        search::Goal g = base;
        g.name = part.substr(0, colon);
        if (g.name.empty()) fail("goal", "expected NAME:key=value,... for each goal, got \"" + part + "\"");
        for (const auto& g2 : goals)
            if (g2.name == g.name) fail("goal", "goal \"" + g.name + "\" given twice");
        if (colon != std::string::npos)
            for (const auto& kv : split(part.substr(colon + 1), ',')) {
                const auto eq = kv.find('=');
                if (eq == std::string::npos)
                    fail("goal", "expected key=value in goal \"" + g.name + "\", got \"" + kv + "\"");
                const std::string key = kv.substr(0, eq), val = kv.substr(eq + 1);
                const std::string what = g.name + " " + key;
                if (key == "loss") g.loss_ratio = parse_ratio(what, val);
                else if (key == "exceed") g.exceed_ratio = parse_ratio(what, val);
                else if (key == "width") g.relative_width = parse_ratio(what, val);
                else if (key == "initial") g.initial_trial_duration_s = parse_goal_seconds(what, val);
                else if (key == "final") g.final_trial_duration_s = parse_goal_seconds(what, val);
                else if (key == "sum") g.duration_sum_s = parse_goal_seconds(what, val);
                else
                    fail("goal", "unknown key \"" + key + "\" in goal \"" + g.name +
                                     "\": expected loss, exceed, width, initial, final or sum");
            }
        goals.push_back(g);
    }
    return goals;
}

std::optional<TrialOptions> parse_trial_options(const cli::Parsed& args, const TestConfig& cfg) {
    const auto* loads = args.value("trials");
    const auto* preset = args.value("search");
    const std::vector<std::string> search_only{"search-max-load", "search-min-load", "search-time-limit",
                                               "search-repeats", "search-confirm", "goal", "latency-trials"};
    if (!loads && !preset) {
        for (const auto& f : search_only)
            if (args.value(f)) fail(f, "needs --search");
        if (args.value("trial-duration")) fail("trial-duration", "needs --trials");
        if (args.value("warmup")) fail("warmup", "needs --search or --trials");
        return std::nullopt;
    }
    if (loads && preset) fail("trials", "not with --search (one trial mode at a time)");
    TrialOptions t;
    t.trial_duration_s = cfg.duration_s;
    if (loads) {
        for (const auto& f : search_only)
            if (args.value(f)) fail(f, "needs --search, not --trials");
        for (const auto& l : split(*loads, ',')) {
            // Checked now for its form; resolved once the link speed is known.
            resolve_load_pps("trials", l, cfg, std::nullopt);
            t.loads.push_back(l);
        }
        if (const auto* d = args.value("trial-duration")) t.trial_duration_s = parse_flag_seconds("trial-duration", *d, 86400);
        t.warmup_s = 0;
    } else {
        if (args.value("trial-duration"))
            fail("trial-duration", "not with --search (its goals set the trial durations)");
        t.search_preset = *preset;
        try {
            t.goals = search::preset_goals(*preset);
        } catch (const std::invalid_argument& e) {
            fail("search", e.what());
        }
        if (const auto* g = args.value("goal")) t.goals = parse_goals(*g, t.goals.front());
        if (const auto* v = args.value("search-max-load")) {
            resolve_load_pps("search-max-load", *v, cfg, std::nullopt);
            t.max_load = *v;
        } else if (const auto* r = args.value("rate"); r && *r != "max") {
            t.max_load = *r;  // --rate was checked as a rate by the config flags
        }
        if (const auto* v = args.value("search-min-load")) {
            resolve_load_pps("search-min-load", *v, cfg, std::nullopt);
            t.min_load = *v;
        }
        if (const auto* v = args.value("search-time-limit")) t.time_limit_s = parse_flag_seconds("search-time-limit", *v, 7 * 86400);
        if (const auto* v = args.value("search-repeats"))
            t.repeats = static_cast<unsigned>(parse_flag_uint("search-repeats", *v, 1, 100, 3));
        if (const auto* v = args.value("search-confirm")) t.confirm_s = parse_flag_seconds("search-confirm", *v, 86400);
        if (const auto* v = args.value("latency-trials")) t.latency_trial_s = parse_seconds_or_zero("latency-trials", *v, 3600);
    }
    if (const auto* v = args.value("warmup")) t.warmup_s = parse_seconds_or_zero("warmup", *v, 600);
    return t;
}

double resolve_load_pps(const std::string& flag, const std::string& text, const TestConfig& cfg,
                        std::optional<uint32_t> link_mbps) {
    TestConfig scratch = cfg;
    if (!set_rate_text(scratch, text) || scratch.rate_max)
        fail(flag, "expected a load as --rate takes it (e.g. 500kpps, 1Mpps, 2Gbps, 40%; not max), got \"" + text +
                       "\"");
    try {
        resolve_rate(scratch, link_mbps);
    } catch (const ConfigError& e) {
        fail(flag, "load \"" + text + "\": " + e.what());
    }
    return static_cast<double>(scratch.packet_rate);
}

}  // namespace ebt
