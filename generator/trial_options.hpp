// dpdk-gen's trial mode on the command line: --trials (a fixed list of
// loads, one trial each) or --search (a throughput search over trials),
// and what shapes them.  Parsed with the other options (options.cpp);
// loads stay text until the port's link speed is known (a "40%" load).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "config.hpp"
#include "goal.hpp"

namespace ebt {

struct TrialOptions {
    std::vector<std::string> loads;           // --trials: rate texts, in order
    double trial_duration_s = 0;              // --trial-duration (default: the config's duration)
    std::optional<std::string> search_preset; // --search ndr-pdr | rfc2544
    std::vector<search::Goal> goals;          // the preset's, or --goal's
    std::optional<std::string> max_load;      // --search-max-load (rate text)
    std::optional<std::string> min_load;      // --search-min-load (rate text)
    std::optional<double> time_limit_s;       // --search-time-limit
    unsigned repeats = 1;                     // --search-repeats
    std::optional<double> confirm_s;          // --search-confirm
    double warmup_s = 1.0;                    // --warmup (0: none)
    double latency_trial_s = 10.0;            // --latency-trials (0: none)

    bool searching() const { return search_preset.has_value(); }
};

// The trial flags' rows of dpdk-gen's option table.
std::vector<cli::OptionSpec> trial_option_specs();

// nullopt without --trials or --search.  Throws ConfigError naming the flag.
std::optional<TrialOptions> parse_trial_options(const cli::Parsed& args, const TestConfig& cfg);

// --goal 'NAME:loss=R,exceed=R,width=R,initial=S,final=S,sum=S[;NAME:...]':
// each goal starts from `base` (the preset's first goal) and sets the keys
// given.  Throws ConfigError naming --goal and the bad part.
std::vector<search::Goal> parse_goals(const std::string& spec, const search::Goal& base);

// A load as --rate writes it ("1Mpps", "2Gbps", "40%"; not "max") in pps
// for this config's frame size and the link speed (0: the port reports
// none; nullopt: no port yet, the text's form is checked only).  Throws
// ConfigError naming `flag`.
double resolve_load_pps(const std::string& flag, const std::string& text, const TestConfig& cfg,
                        std::optional<uint32_t> link_mbps);

}  // namespace ebt
