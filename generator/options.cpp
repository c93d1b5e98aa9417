#include "options.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>

#include <rte_lcore.h>

#include "auth.hpp"
#include "cli.hpp"
#include "json_text.hpp"
#include "log.hpp"
#include "pcap_reader.hpp"

namespace ebt {

namespace {

// The one option table: parsing, --help and its order.  The config-key
// flags (--rate, --size, ...) come from the config schema's flag table.
std::vector<cli::OptionSpec> option_table() {
    std::vector<cli::OptionSpec> t{
        {"config", true, "FILE", "YAML configuration (every key: config.yaml and docs/config.md)"},
        {"preset", true, "NAME", "quick_test | performance_test | stress_test, or a preset file path"}};
    for (auto& f : config_flags(Program::Generator)) t.push_back(std::move(f));
    t.insert(t.end(), {
        {"no-coordination", false, "", "send without xdp-recv (needs --dst-mac or dst_machine.mac)"},
        {"token-file", true, "FILE",
         "shared secret for the control connection (else $EBT_TOKEN; both sides\n"
         "prove it with HMAC-SHA256; a receiver without one accepts only the testbed)"},
        {"count", true, "N",
         "send exactly N packets in total (split over the TX lcores); at a paced\n"
         "rate without --duration the test lasts N / rate s"},
        {"quiet", false, "",
         "no live output and no info lines on stderr (warnings, errors and the\n"
         "results path only)"},
        {"stats-json", false, "",
         "one JSON object per update_interval on stdout (JSON lines), then a\n"
         "\"final\" one with the totals and the results path"},
        {"summary-json", false, "",
         "at the end, one JSON object on stdout: the run's headline figures as\n"
         "results.json has them, and the results path (instead of --quiet's path line)"},
        {"dry-run", false, "", "print the resolved config and the plan, send nothing"},
        {"verbose", false, "", "debug detail in the log"},
        {"pcap", true, "FILE",
         "replay FILE's Ethernet frames in file order, looping, at the rate\n"
         "(bit rates at the file's mean frame size) or, with --pcap-timing file,\n"
         "at the file's own gaps; one TX lcore"},
        {"pcap-timing", true, "rate|file", "rate (default): the configured rate; file: the file's timestamps"},
        {"pcap-stamp", false, "",
         "give UDP frames with room for it the test header (flow = their\n"
         "5-tuple's index), seq and TX time per packet; others go out unchanged"},
        {"test-seq-faults", true, "SPEC",
         "test only: skip:F:S, dup:F:S, swap:F:S (comma list) alter flow F's\n"
         "sequence numbers, to test receivers' loss/reorder/duplicate accounting"},
    });
    for (auto& f : trial_option_specs()) t.push_back(std::move(f));
    t.push_back({"help", false, "", "this text"});
    return t;
}

// --count N: a whole number of packets >= 1.
uint64_t parse_count(const std::string& text) {
    uint64_t v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || text[0] < '0' || text[0] > '9' || r.ec != std::errc() || r.ptr != text.data() + text.size() ||
        v == 0)
        throw ConfigError("--count: expected a whole number of packets >= 1, got \"" + text + "\"");
    return v;
}

// What a trial mode cannot combine with: each trial is a constant paced
// load of synthetic frames measured by the receiver.
void check_trial_mode(const RunSetup& s, const cli::Parsed& args) {
    const std::string mode = s.trials->searching() ? "--search" : "--trials";
    for (const char* f : {"no-coordination", "count", "pcap", "dry-run"})
        if (args.has(f) || args.value(f))
            throw ConfigError("--" + std::string(f) + ": not with " + mode +
                              " (a trial is a constant load of synthetic frames counted by xdp-recv)");
    if (has_patterns(s.cfg))
        throw ConfigError("traffic_config.patterns: not with " + mode + " (each trial is one constant load)");
}

// --count against the rate and the duration (after the rate is resolved):
// at a constant paced rate N packets take N / rate s, which becomes the
// duration unless --duration was given, and then must fit in it.  With
// rate max the duration stays the time limit; with patterns --count cuts
// the schedule (checked against its total in main).
void apply_count(RunSetup& s) {
    TestConfig& cfg = s.cfg;
    if (!s.count || cfg.rate_max || has_patterns(cfg)) return;
    const double need_s = static_cast<double>(*s.count) / static_cast<double>(cfg.packet_rate);
    if (!s.duration_given) {
        cfg.duration_s = need_s;
        return;
    }
    const auto fits = static_cast<uint64_t>(std::llround(static_cast<double>(cfg.packet_rate) * cfg.duration_s));
    if (*s.count > fits)
        throw ConfigError("--count: " + std::to_string(*s.count) + " packets at " + std::to_string(cfg.packet_rate) +
                          " pps take " + json_number_text(need_s) + " s, longer than --duration " +
                          json_number_text(cfg.duration_s) + " s (" + std::to_string(fits) +
                          " packets); raise --duration or the rate, or leave --duration out");
}

// Poisson patterns without a seed get one now; it lands in the resolved
// config (results.json) so the run can be repeated exactly.
void fill_seeds(TestConfig& cfg) {
    std::random_device rd;
    for (auto& p : cfg.patterns)
        if (p.type == "poisson" && !p.seed) p.seed = (uint64_t{rd()} << 32) | rd();
}

// --pcap FILE: reads the file (every error names it, exit 2) and makes the
// config describe the replay, so the receiver and results.json see it: the
// stamped flow count (at least 1), no flow_spec, the largest frame as
// packet_size, one TX lcore; --pcap-timing file sets the rate to the file's
// mean.  Flags that shape synthetic traffic are refused.
void setup_replay(RunSetup& s, const cli::Parsed& args, const std::string& file) {
    const auto* timing = args.value("pcap-timing");
    if (timing && *timing != "rate" && *timing != "file")
        throw ConfigError("--pcap-timing: expected \"rate\" or \"file\", got \"" + *timing + "\"");
    s.pcap_file_timing = timing && *timing == "file";
    for (const char* flag : {"size", "flows", "test-seq-faults"})
        if (args.value(flag))
            throw ConfigError(std::string("--") + flag + ": not with --pcap (the frames come from the file)");
    if (s.pcap_file_timing && args.value("rate"))
        throw ConfigError("--rate: not with --pcap-timing file (the file's timestamps set the rate)");
    TestConfig& cfg = s.cfg;
    if (has_patterns(cfg))
        throw ConfigError("traffic_config.patterns: not with --pcap (the replay has its own timing)");
    try {
        s.replay = make_replay(read_pcap(file), args.has("pcap-stamp"));
    } catch (const PcapError& e) {
        throw ConfigError(std::string("--pcap: ") + e.what());
    }
    const PcapReplay& r = *s.replay;
    if (s.pcap_file_timing && r.period_ns == 0)
        throw ConfigError("--pcap-timing file: " + file + ": " +
                          (r.frames.size() == 1 ? std::string("one frame has no gaps")
                                                : std::string("every frame has the same timestamp")) +
                          "; replay it at a rate instead (--pcap-timing rate)");
    if (cfg.threads > 1) log::info("--pcap: one TX lcore replays the file in order (--threads ignored)");
    cfg.threads = 1;
    cfg.flows = std::max<uint32_t>(1, r.flows);
    cfg.flow_spec.reset();
    cfg.size_mix.clear();
    cfg.size_imix = false;
    cfg.packet_size = std::max(r.max_len, min_packet_size(cfg));
    if (s.pcap_file_timing) {
        // The file's mean rate: frames per pass over the pass's length.
        cfg.rate_max = false;
        cfg.rate_bps = cfg.rate_percent = 0;
        cfg.packet_rate =
            std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(static_cast<double>(r.frames.size()) * 1e9 /
                                                                     static_cast<double>(r.period_ns))));
    }
}

// A rate in bits/s or % at the file's mean frame size (its size histogram as
// the size mix of a scratch config: the one resolve_rate does the rest).
void resolve_replay_rate(TestConfig& cfg, const PcapReplay& r, std::optional<uint64_t> link_mbps) {
    TestConfig tmp = cfg;
    std::map<uint32_t, uint32_t> sizes;
    for (const auto& f : r.frames) ++sizes[f.len];
    tmp.size_mix.clear();
    for (const auto& [size, n] : sizes) tmp.size_mix.push_back({size, n});
    resolve_rate(tmp, link_mbps);
    cfg.packet_rate = tmp.packet_rate;
}

// --pcap-timing file: the packet total from the duration (the packets due
// before it), or with --count the duration from the count.
void apply_file_timing(RunSetup& s) {
    const PcapReplay& r = *s.replay;
    TestConfig& cfg = s.cfg;
    if (!s.count) return;
    const uint64_t last_ns = r.due_ns(*s.count - 1);
    const double need_s = static_cast<double>(last_ns + r.mean_gap_ns) / 1e9;
    if (!s.duration_given) {
        cfg.duration_s = need_s;
        return;
    }
    if (static_cast<double>(last_ns) >= cfg.duration_s * 1e9)
        throw ConfigError("--count: " + std::to_string(*s.count) + " packets at the file's timing take " +
                          json_number_text(need_s) + " s, longer than --duration " + json_number_text(cfg.duration_s) +
                          " s; raise --duration or leave it out");
}

}  // namespace

std::string usage_text() {
    return "usage: dpdk-gen [EAL options] -- [options]\n" + cli::help_text(option_table(), 23) +
           "Precedence: built-in defaults < --config < --preset < flags.\n";
}

// Options and configuration; throws ConfigError / UsageError (exit 2).
RunSetup parse_options(int argc, char** argv) {
    const auto args = cli::parse(argc, argv, option_table());
    if (args.has("help")) {
        std::cout << usage_text();
        std::exit(0);
    }
    const ConfigOverrides o = overrides_from(args, Program::Generator);
    const auto* config = args.value("config");
    const auto* preset = args.value("preset");
    RunSetup s;
    s.cfg = resolve_config(config ? *config : "", preset ? *preset : "", o);
    if (const auto* spec = args.value("test-seq-faults")) s.seq_faults = parse_seq_faults(*spec, s.cfg.flows);
    s.coordinated = !args.has("no-coordination");
    s.dst_ip_given = args.value("dst-ip") != nullptr;
    const auto* token_file = args.value("token-file");
    s.token = auth::load_token(token_file ? std::optional<std::string>(*token_file) : std::nullopt);
    s.dry_run = args.has("dry-run");
    if (const auto* n = args.value("count")) s.count = parse_count(*n);
    s.duration_given = args.value("duration") != nullptr;
    s.quiet = args.has("quiet");
    s.stats_json = args.has("stats-json");
    s.summary_json = args.has("summary-json");
    log::set_quiet(s.quiet);
    log::set_verbose(args.has("verbose"));
    if (!args.value("pcap")) {
        if (args.value("pcap-timing")) throw ConfigError("--pcap-timing: needs --pcap FILE");
        if (args.has("pcap-stamp")) throw ConfigError("--pcap-stamp: needs --pcap FILE");
    } else {
        setup_replay(s, args, *args.value("pcap"));
    }
    s.trials = parse_trial_options(args, s.cfg);
    if (s.trials) check_trial_mode(s, args);
    if (!s.cfg.dst_machine.mac.empty()) {
        std::array<uint8_t, 6> m{};
        parse_mac(s.cfg.dst_machine.mac, m.data());  // validated already
        s.dst_mac = m;
    }
    if (!s.coordinated && !s.dst_mac)
        throw ConfigError(
            "--no-coordination needs the destination MAC: pass --dst-mac or set "
            "network_config.dst_machine.mac");
    const unsigned workers = rte_lcore_count() - 1;
    const auto plan_threads = std::min(s.cfg.threads, s.cfg.flows);
    if (plan_threads > workers)
        throw ConfigError("traffic_config.threads: " + std::to_string(s.cfg.threads) + " TX threads need " +
                          std::to_string(plan_threads) + " worker lcores, EAL has " + std::to_string(workers) +
                          " (give more with -l, e.g. -l 0-" + std::to_string(plan_threads) + ")");
    return s;
}

TxPlan plan_run(RunSetup& setup, uint32_t link_mbps, uint64_t tsc_hz) {
    // "40%" needs the link speed; every rate is checked against it.
    if (setup.replay && !setup.pcap_file_timing)
        resolve_replay_rate(setup.cfg, *setup.replay, link_mbps);
    else if (!setup.replay)
        resolve_rate(setup.cfg, link_mbps);
    if (setup.pcap_file_timing)
        apply_file_timing(setup);
    else
        apply_count(setup);
    fill_seeds(setup.cfg);
    PlanOptions po;
    po.tsc_hz = tsc_hz;
    po.count = setup.count;
    TxPlan plan = plan_tx(setup.cfg, po);
    if (setup.replay) {
        // One lcore (cfg.threads is 1) with the replay's stamped flows.
        TxThreadPlan& t = plan.threads.at(0);
        t.flow_count = setup.replay->flows;
        if (setup.pcap_file_timing) {
            // The exact total: the packets the timeline has before the duration.
            plan.total_packets =
                setup.count
                    ? *setup.count
                    : setup.replay->packets_before(static_cast<uint64_t>(std::llround(setup.cfg.duration_s * 1e9)));
            t.total_packets = plan.total_packets;
        }
    }
    if (setup.count && plan.schedule && *setup.count > plan.schedule->total)
        throw ConfigError("--count: " + std::to_string(*setup.count) + " packets, but the patterns send only " +
                          std::to_string(plan.schedule->total) + " in their " +
                          json_number_text(plan.schedule->duration_s) + " s");
    return plan;
}

std::vector<unsigned> worker_lcores(size_t n) {
    std::vector<unsigned> lcores;
    unsigned lcore = 0;
    RTE_LCORE_FOREACH_WORKER(lcore) {
        if (lcores.size() < n) lcores.push_back(lcore);
    }
    return lcores;
}

}  // namespace ebt
