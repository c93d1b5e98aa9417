// dpdk-gen: the source machine's side.  `dpdk-gen <EAL options> -- <options>`.
// Thin: EAL, options and the order of a test here; the work in port (DPDK
// port), tx_engine (the TX lcores), receiver_link (control protocol) and
// common/ (config, packets, results).
#include <charconv>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include <sched.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "auth.hpp"
#include "cli.hpp"
#include "discovery.hpp"
#include "frame_sizes.hpp"
#include "frame_spec.hpp"
#include "json_text.hpp"
#include "status_server.hpp"
#include "config.hpp"
#include "receiver_link.hpp"
#include "live_output.hpp"
#include "log.hpp"
#include "packet.hpp"
#include "tx_plan.hpp"
#include "pacing_report.hpp"
#include "pcap_reader.hpp"
#include "pcap_replay.hpp"
#include "port.hpp"
#include "rx_engine.hpp"
#include "results.hpp"
#include "seq_faults.hpp"
#include "eal_args.hpp"
#include "thread_sched.hpp"
#include "tsc_clock.hpp"
#include "tx_engine.hpp"

namespace {

constexpr const char* kUsage = R"(usage: dpdk-gen [EAL options] -- [options]
  --config FILE        YAML configuration (every key: config.yaml and README)
  --preset NAME        quick_test | performance_test | stress_test, or a preset file path
  --dst-ip IP          receiver address (network_config.dst_machine.ip)
  --dst-mac MAC        destination MAC (default: the receiver's, learned over the control connection)
  --rate RATE          10000 or 10kpps (packets/s), 500Mbps or 5Gbps (bits/s at
                       traffic_config.rate_layer, default l1), 40% (of the link speed), or max
  --duration S         seconds of traffic
  --size B|MIX         Ethernet frame bytes without FCS, 60..9000; imix (7:4:1 of 60, 566,
                       1514); or a weighted list SIZE:WEIGHT,... (e.g. 60:7,566:4,1514:1)
  --flows N            flows (UDP source ports from traffic_config.src_port), 1..65536
  --threads N          TX lcores (EAL must give N worker lcores, e.g. -l 0-N)
  --name NAME          test name (results directory suffix)
  --results-dir DIR    results root (default ./results)
  --control-port N     xdp-recv's control port (network_config.dst_machine.control_port)
  --no-coordination    send without xdp-recv (needs --dst-mac or dst_machine.mac)
  --token-file FILE    shared secret for the control connection (else $EBT_TOKEN; both sides
                       prove it with HMAC-SHA256; a receiver without one accepts only the testbed)
  --count N            send exactly N packets in total (split over the TX lcores); at a paced
                       rate without --duration the test lasts N / rate s
  --quiet              no live output and no info lines on stderr (warnings, errors and the
                       results path only)
  --stats-json         one JSON object per update_interval on stdout (JSON lines), then a
                       "final" one with the totals and the results path
  --dry-run            print the resolved config and the plan, send nothing
  --verbose            debug detail in the log
  --pcap FILE          replay FILE's Ethernet frames in file order, looping, at the rate
                       (bit rates at the file's mean frame size) or, with --pcap-timing file,
                       at the file's own gaps; one TX lcore
  --pcap-timing rate|file  rate (default): the configured rate; file: the file's timestamps
  --pcap-stamp         give UDP frames with room for it the test header (flow = their
                       5-tuple's index), seq and TX time per packet; others go out unchanged
  --test-seq-faults SPEC  test only: skip:F:S, dup:F:S, swap:F:S (comma list) alter flow F's
                       sequence numbers, to test receivers' loss/reorder/duplicate accounting
  --help               this text
Precedence: built-in defaults < --config < --preset < flags.
)";

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};        // the first SIGINT/SIGTERM
std::atomic<int> g_signal_count{0};  // a second one gives up waiting for the receiver

extern "C" void on_signal(int signo) {
    int expected = 0;
    g_signal.compare_exchange_strong(expected, signo);
    g_signal_count.fetch_add(1);
    g_stop.store(true);
}

const char* signal_name(int signo) { return signo == SIGINT ? "SIGINT" : signo == SIGTERM ? "SIGTERM" : "a signal"; }

// rte_eal_cleanup on every exit path after a successful rte_eal_init.
struct EalSession {
    ~EalSession() { rte_eal_cleanup(); }
};

std::set<unsigned> allowed_cpus() {
    std::set<unsigned> out;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return out;  // unknown: no check
    for (unsigned c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) out.insert(c);
    return out;
}

std::string exe_dir() {
    std::error_code ec;
    const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : p.parent_path().string();
}

std::string fixed_text(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string mac_text(const std::array<uint8_t, 6>& m) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

std::string port_driver(uint16_t port_id) {
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port_id, &info) != 0 || info.driver_name == nullptr) return "unknown";
    return info.driver_name;
}

// The port's link speed for rates: the kernel interface's own for an
// AF_PACKET or AF_XDP port (those PMDs report a fixed 10 Gbit/s whatever
// the NIC), else what the PMD reports; 0 when unknown.
uint32_t link_speed_mbps(const ebt::Port& port, const std::optional<std::string>& iface) {
    const std::string driver = port_driver(port.id());
    if (!iface || (driver != "net_af_packet" && driver != "net_af_xdp")) return port.link_speed_mbps();
    std::ifstream f("/sys/class/net/" + *iface + "/speed");
    long mbps = -1;
    if (!(f >> mbps) || mbps <= 0) {
        ebt::log::warn(*iface + " reports no link speed (" + driver + "'s own figure is a constant): rates in % "
                       "cannot be resolved and rates are not checked against the link");
        return 0;
    }
    if (static_cast<uint32_t>(mbps) != port.link_speed_mbps())
        ebt::log::info("link speed " + std::to_string(mbps) + " Mbps from the kernel interface " + *iface + " (" +
                       driver + " reports " + std::to_string(port.link_speed_mbps()) + ")");
    return static_cast<uint32_t>(mbps);
}

boost::json::object plan_json(const ebt::TxPlan& plan, const std::vector<unsigned>& lcores) {
    boost::json::array threads;
    for (size_t i = 0; i < plan.threads.size(); ++i) {
        const auto& t = plan.threads[i];
        threads.push_back({{"lcore", lcores.at(i)},
                           {"queue", t.queue_id},
                           {"first_flow", t.first_flow},
                           {"flows", t.flow_count},
                           {"target_pps", t.target_pps},
                           {"packets", t.unlimited ? boost::json::value(nullptr) : boost::json::value(t.total_packets)},
                           {"paced", t.paced},
                           {"burst", t.burst}});
    }
    boost::json::value schedule = nullptr;
    if (plan.schedule) {
        boost::json::array segs;
        for (const auto& g : plan.schedule->segments)
            segs.push_back({{"pattern", g.pattern},
                            {"first", g.first},
                            {"packets", g.count},
                            {"start_s", static_cast<double>(g.start) / static_cast<double>(plan.schedule->hz)},
                            {"peak_pps", g.peak_pps}});
        schedule = {{"duration_s", plan.schedule->duration_s}, {"total_packets", plan.schedule->total},
                    {"segments", std::move(segs)}};
    }
    const bool unlimited = plan.rate_max && !plan.count;
    return {{"rate", plan.rate_max ? boost::json::value("max") : boost::json::value(plan.total_pps)},
            {"total_packets", unlimited ? boost::json::value(nullptr) : boost::json::value(plan.total_packets)},
            {"count", plan.count ? boost::json::value(*plan.count) : boost::json::value(nullptr)},
            {"schedule", std::move(schedule)},
            {"threads", std::move(threads)}};
}

// Each TX lcore's scheduler statistics at its start (thread_sched.hpp): how
// long it was kept off its CPU during the test explains late bursts.
struct LcoreSched {
    std::optional<ebt::ThreadSchedStat> at_start;
    bool read = false;
    // Run-queue wait and involuntary switches since the start, nullopt when
    // the kernel has no schedstat.
    std::optional<ebt::ThreadSchedStat> since_start(const ebt::TxLcoreContext& c) const {
        if (!at_start) return std::nullopt;
        const auto now = ebt::read_thread_sched(c.stats.tid.load());
        if (!now) return std::nullopt;
        ebt::ThreadSchedStat d;
        d.on_cpu_ns = now->on_cpu_ns - at_start->on_cpu_ns;
        d.runqueue_wait_ns = now->runqueue_wait_ns - at_start->runqueue_wait_ns;
        d.timeslices = now->timeslices - at_start->timeslices;
        d.involuntary_switches = now->involuntary_switches - at_start->involuntary_switches;
        return d;
    }
};

// Everything a run needs once the options are valid.
struct RunSetup {
    ebt::TestConfig cfg;
    bool coordinated = true;
    bool dry_run = false;
    std::optional<std::array<uint8_t, 6>> dst_mac;   // from flag or config
    std::vector<ebt::SeqFault> seq_faults;            // test only; sorted, global flow ids
    std::optional<std::string> token;                 // shared secret for the control connection
    bool dst_ip_given = false;                        // --dst-ip (discovery is skipped)
    std::optional<uint64_t> count;                    // --count N
    bool duration_given = false;                      // --duration on the command line
    bool quiet = false;                               // --quiet
    bool stats_json = false;                          // --stats-json
    std::optional<ebt::PcapReplay> replay;            // --pcap (read and checked)
    bool pcap_file_timing = false;                    // --pcap-timing file
};

// --count N: a whole number of packets >= 1.
uint64_t parse_count(const std::string& text) {
    uint64_t v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || text[0] < '0' || text[0] > '9' || r.ec != std::errc() || r.ptr != text.data() + text.size() ||
        v == 0)
        throw ebt::ConfigError("--count: expected a whole number of packets >= 1, got \"" + text + "\"");
    return v;
}

// --count against the rate and the duration (after the rate is resolved):
// at a constant paced rate N packets take N / rate s, which becomes the
// duration unless --duration was given, and then must fit in it.  With
// rate max the duration stays the time limit; with patterns --count cuts
// the schedule (checked against its total in main).
void apply_count(RunSetup& s) {
    ebt::TestConfig& cfg = s.cfg;
    if (!s.count || cfg.rate_max || ebt::has_patterns(cfg)) return;
    const double need_s = static_cast<double>(*s.count) / static_cast<double>(cfg.packet_rate);
    if (!s.duration_given) {
        cfg.duration_s = need_s;
        return;
    }
    const auto fits = static_cast<uint64_t>(std::llround(static_cast<double>(cfg.packet_rate) * cfg.duration_s));
    if (*s.count > fits)
        throw ebt::ConfigError("--count: " + std::to_string(*s.count) + " packets at " + std::to_string(cfg.packet_rate) +
                               " pps take " + ebt::json_number_text(need_s) + " s, longer than --duration " +
                               ebt::json_number_text(cfg.duration_s) + " s (" + std::to_string(fits) +
                               " packets); raise --duration or the rate, or leave --duration out");
}

// Poisson patterns without a seed get one now; it lands in the resolved
// config (results.json) so the run can be repeated exactly.
void fill_seeds(ebt::TestConfig& cfg) {
    std::random_device rd;
    for (auto& p : cfg.patterns)
        if (p.type == "poisson" && !p.seed) p.seed = (uint64_t{rd()} << 32) | rd();
}

// --pcap FILE: reads the file (every error names it, exit 2) and makes the
// config describe the replay, so the receiver and results.json see it: the
// stamped flow count (at least 1), no flow_spec, the largest frame as
// packet_size, one TX lcore; --pcap-timing file sets the rate to the file's
// mean.  Flags that shape synthetic traffic are refused.
void setup_replay(RunSetup& s, const ebt::cli::Parsed& args, const std::string& file) {
    const auto* timing = args.value("pcap-timing");
    if (timing && *timing != "rate" && *timing != "file")
        throw ebt::ConfigError("--pcap-timing: expected \"rate\" or \"file\", got \"" + *timing + "\"");
    s.pcap_file_timing = timing && *timing == "file";
    for (const char* flag : {"size", "flows", "test-seq-faults"})
        if (args.value(flag))
            throw ebt::ConfigError(std::string("--") + flag + ": not with --pcap (the frames come from the file)");
    if (s.pcap_file_timing && args.value("rate"))
        throw ebt::ConfigError("--rate: not with --pcap-timing file (the file's timestamps set the rate)");
    ebt::TestConfig& cfg = s.cfg;
    if (ebt::has_patterns(cfg))
        throw ebt::ConfigError("traffic_config.patterns: not with --pcap (the replay has its own timing)");
    try {
        s.replay = ebt::make_replay(ebt::read_pcap(file), args.has("pcap-stamp"));
    } catch (const ebt::PcapError& e) {
        throw ebt::ConfigError(std::string("--pcap: ") + e.what());
    }
    const ebt::PcapReplay& r = *s.replay;
    if (s.pcap_file_timing && r.period_ns == 0)
        throw ebt::ConfigError("--pcap-timing file: " + file + ": " +
                               (r.frames.size() == 1 ? std::string("one frame has no gaps")
                                                     : std::string("every frame has the same timestamp")) +
                               "; replay it at a rate instead (--pcap-timing rate)");
    if (cfg.threads > 1) ebt::log::info("--pcap: one TX lcore replays the file in order (--threads ignored)");
    cfg.threads = 1;
    cfg.flows = std::max<uint32_t>(1, r.flows);
    cfg.flow_spec.reset();
    cfg.size_mix.clear();
    cfg.size_imix = false;
    cfg.packet_size = std::max(r.max_len, ebt::min_packet_size(cfg));
    if (s.pcap_file_timing) {
        // The file's mean rate: frames per pass over the pass's length.
        cfg.rate_max = false;
        cfg.rate_bps = cfg.rate_percent = 0;
        cfg.packet_rate = std::max<uint64_t>(
            1, static_cast<uint64_t>(std::llround(static_cast<double>(r.frames.size()) * 1e9 /
                                                  static_cast<double>(r.period_ns))));
    }
}

// A rate in bits/s or % at the file's mean frame size (its size histogram as
// the size mix of a scratch config: the one resolve_rate does the rest).
void resolve_replay_rate(ebt::TestConfig& cfg, const ebt::PcapReplay& r, std::optional<uint64_t> link_mbps) {
    ebt::TestConfig tmp = cfg;
    std::map<uint32_t, uint32_t> sizes;
    for (const auto& f : r.frames) ++sizes[f.len];
    tmp.size_mix.clear();
    for (const auto& [size, n] : sizes) tmp.size_mix.push_back({size, n});
    ebt::resolve_rate(tmp, link_mbps);
    cfg.packet_rate = tmp.packet_rate;
}

// --pcap-timing file: the packet total from the duration (the packets due
// before it), or with --count the duration from the count.
void apply_file_timing(RunSetup& s) {
    const ebt::PcapReplay& r = *s.replay;
    ebt::TestConfig& cfg = s.cfg;
    if (!s.count) return;
    const uint64_t last_ns = r.due_ns(*s.count - 1);
    const double need_s = static_cast<double>(last_ns + r.mean_gap_ns) / 1e9;
    if (!s.duration_given) {
        cfg.duration_s = need_s;
        return;
    }
    if (static_cast<double>(last_ns) >= cfg.duration_s * 1e9)
        throw ebt::ConfigError("--count: " + std::to_string(*s.count) + " packets at the file's timing take " +
                               ebt::json_number_text(need_s) + " s, longer than --duration " +
                               ebt::json_number_text(cfg.duration_s) + " s; raise --duration or leave it out");
}

// Options and configuration; throws ConfigError / UsageError (exit 2).
RunSetup parse_options(int argc, char** argv) {
    const auto args = ebt::cli::parse(argc, argv,
                                      {{"config", true},
                                       {"preset", true},
                                       {"dst-ip", true},
                                       {"dst-mac", true},
                                       {"rate", true},
                                       {"duration", true},
                                       {"size", true},
                                       {"flows", true},
                                       {"threads", true},
                                       {"name", true},
                                       {"results-dir", true},
                                       {"control-port", true},
                                       {"no-coordination", false},
                                       {"dry-run", false},
                                       {"verbose", false},
                                       {"test-seq-faults", true},
                                       {"token-file", true},
                                       {"count", true},
                                       {"quiet", false},
                                       {"stats-json", false},
                                       {"pcap", true},
                                       {"pcap-timing", true},
                                       {"pcap-stamp", false},
                                       {"help", false}});
    if (args.has("help")) {
        std::cout << kUsage;
        std::exit(0);
    }
    ebt::ConfigOverrides o;
    auto take = [&](const char* name, std::optional<std::string>& into) {
        if (const auto* v = args.value(name)) into = *v;
    };
    take("dst-ip", o.dst_ip);
    take("dst-mac", o.dst_mac);
    take("rate", o.rate);
    take("duration", o.duration);
    take("size", o.size);
    take("flows", o.flows);
    take("threads", o.threads);
    take("name", o.name);
    take("results-dir", o.results_dir);
    take("control-port", o.control_port);
    const auto* config = args.value("config");
    const auto* preset = args.value("preset");
    RunSetup s;
    s.cfg = ebt::resolve_config(config ? *config : "", preset ? *preset : "", o);
    if (const auto* spec = args.value("test-seq-faults"))
        s.seq_faults = ebt::parse_seq_faults(*spec, s.cfg.flows);
    s.coordinated = !args.has("no-coordination");
    s.dst_ip_given = args.value("dst-ip") != nullptr;
    const auto* token_file = args.value("token-file");
    s.token = ebt::auth::load_token(token_file ? std::optional<std::string>(*token_file) : std::nullopt);
    s.dry_run = args.has("dry-run");
    if (const auto* n = args.value("count")) s.count = parse_count(*n);
    s.duration_given = args.value("duration") != nullptr;
    s.quiet = args.has("quiet");
    s.stats_json = args.has("stats-json");
    ebt::log::set_quiet(s.quiet);
    ebt::log::set_verbose(args.has("verbose"));
    if (!args.value("pcap")) {
        if (args.value("pcap-timing")) throw ebt::ConfigError("--pcap-timing: needs --pcap FILE");
        if (args.has("pcap-stamp")) throw ebt::ConfigError("--pcap-stamp: needs --pcap FILE");
    } else {
        setup_replay(s, args, *args.value("pcap"));
    }
    if (!s.cfg.dst_machine.mac.empty()) {
        std::array<uint8_t, 6> m{};
        ebt::parse_mac(s.cfg.dst_machine.mac, m.data());  // validated already
        s.dst_mac = m;
    }
    if (!s.coordinated && !s.dst_mac)
        throw ebt::ConfigError("--no-coordination needs the destination MAC: pass --dst-mac or set "
                               "network_config.dst_machine.mac");
    const unsigned workers = rte_lcore_count() - 1;
    const auto plan_threads = std::min(s.cfg.threads, s.cfg.flows);
    if (plan_threads > workers)
        throw ebt::ConfigError("traffic_config.threads: " + std::to_string(s.cfg.threads) + " TX threads need " +
                               std::to_string(plan_threads) + " worker lcores, EAL has " + std::to_string(workers) +
                               " (give more with -l, e.g. -l 0-" + std::to_string(plan_threads) + ")");
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    ebt::log::set_program("dpdk-gen");
    // One --help shows the EAL's options and ours.
    rte_set_application_usage_hook([](const char*) { std::cout << kUsage; });
    std::vector<std::string> eal_in(argv, argv + argc);
    if (const auto err = ebt::check_lcore_cpus(eal_in, allowed_cpus())) {
        std::cerr << "dpdk-gen: error: " << *err << "\n";
        return 2;
    }
    // net_af_xdp without xdp_prog=: our filter, so the kernel keeps the
    // control connection and ARP.
    std::vector<std::string> filter_for;
    std::string filter_path;
    if (ebt::af_xdp_without_filter(eal_in)) {
        if (const auto f = ebt::find_xsk_filter(exe_dir())) {
            filter_path = *f;
            eal_in = ebt::with_af_xdp_filter(eal_in, filter_path, filter_for);
        }
    }
    const bool af_xdp_unfiltered = ebt::af_xdp_without_filter(eal_in);
    const std::optional<std::string> kernel_iface = ebt::kernel_iface_of_vdev(eal_in);
    // The EAL keeps pointers into argv: storage for the whole run.
    static std::vector<std::string> eal_storage;
    static std::vector<char*> eal_argv;
    eal_storage = std::move(eal_in);
    for (auto& a : eal_storage) eal_argv.push_back(a.data());
    eal_argv.push_back(nullptr);
    argc = static_cast<int>(eal_storage.size());
    argv = eal_argv.data();
    const int eal_args = rte_eal_init(argc, argv);
    if (eal_args < 0) {
        std::cerr << "dpdk-gen: error: EAL initialisation failed: " << rte_strerror(rte_errno)
                  << " (check the EAL options before --)\n";
        return 2;
    }
    EalSession eal;
    argc -= eal_args;
    argv += eal_args;
    for (const auto& v : filter_for)
        ebt::log::info(v + ": no xdp_prog= given, so dpdk-gen loads its filter " + filter_path +
                       " (only reflected test packets go to the AF_XDP socket; ARP and the control "
                       "connection stay with the kernel)");
    if (af_xdp_unfiltered)
        ebt::log::warn(std::string("net_af_xdp without xdp_prog= and no ") + ebt::kXskFilterName +
                       " found: the PMD's default program takes every frame of its queue, the control "
                       "connection included");
    // The TSC's real rate (DPDK's rte_get_tsc_hz() may be the nominal one):
    // every TSC-to-time conversion below uses it.
    ebt::TscCalibration tsc_cal;
    try {
        tsc_cal = ebt::calibrate_tsc_now();
    } catch (const std::exception& e) {
        std::cerr << "dpdk-gen: error: " << e.what() << "\n";
        return 3;
    }
    const uint64_t tsc_hz = tsc_cal.hz;

    RunSetup setup;
    std::unique_ptr<ebt::Port> port;
    uint32_t link_mbps = 0;
    ebt::TxPlan plan;
    std::vector<unsigned> lcores;
    try {
        setup = parse_options(argc, argv);
        ebt::PortSetup ps;
        ps.tx_queues = static_cast<uint16_t>(std::min(setup.cfg.threads, setup.cfg.flows));
        ps.frame_len = setup.cfg.packet_size;
        ps.vlan_tagged = setup.cfg.vlan.has_value();
        port = std::make_unique<ebt::Port>(ps);
        link_mbps = link_speed_mbps(*port, kernel_iface);
        // "40%" needs the link speed; every rate is checked against it.
        if (setup.replay && !setup.pcap_file_timing)
            resolve_replay_rate(setup.cfg, *setup.replay, link_mbps);
        else if (!setup.replay)
            ebt::resolve_rate(setup.cfg, link_mbps);
        if (setup.pcap_file_timing)
            apply_file_timing(setup);
        else
            apply_count(setup);
        fill_seeds(setup.cfg);
        ebt::PlanOptions po;
        po.tsc_hz = tsc_hz;
        po.count = setup.count;
        plan = ebt::plan_tx(setup.cfg, po);
        if (setup.replay) {
            // One lcore (cfg.threads is 1) with the replay's stamped flows.
            ebt::TxThreadPlan& t = plan.threads.at(0);
            t.flow_count = setup.replay->flows;
            if (setup.pcap_file_timing) {
                // The exact total: the packets the timeline has before the duration.
                plan.total_packets = setup.count ? *setup.count
                                                 : setup.replay->packets_before(static_cast<uint64_t>(
                                                       std::llround(setup.cfg.duration_s * 1e9)));
                t.total_packets = plan.total_packets;
            }
        }
        if (setup.count && plan.schedule && *setup.count > plan.schedule->total)
            throw ebt::ConfigError("--count: " + std::to_string(*setup.count) + " packets, but the patterns send only " +
                                   std::to_string(plan.schedule->total) + " in their " +
                                   ebt::json_number_text(plan.schedule->duration_s) + " s");
        unsigned lcore = 0;
        RTE_LCORE_FOREACH_WORKER(lcore) {
            if (lcores.size() < plan.threads.size()) lcores.push_back(lcore);
        }
    } catch (const std::exception& e) {
        std::cerr << "dpdk-gen: error: " << e.what() << "\n";
        return 2;
    }
    ebt::TestConfig& cfg = setup.cfg;
    // Live output: --stats-json, else --quiet (or real_time disabled), else
    // a refreshed line on a terminal, else a log line per interval.
    const ebt::LiveMode live_mode = setup.stats_json                            ? ebt::LiveMode::kJson
                                    : setup.quiet || !cfg.real_time.enabled ? ebt::LiveMode::kQuiet
                                    : isatty(STDOUT_FILENO)                 ? ebt::LiveMode::kTty
                                                                            : ebt::LiveMode::kLines;

    if (setup.dry_run) {
        boost::json::object out{{"config", ebt::to_json(cfg)},
                                {"plan", plan_json(plan, lcores)},
                                {"port",
                                 {{"id", port->id()},
                                  {"driver", port_driver(port->id())},
                                  {"mac", mac_text(port->mac())},
                                  {"link_speed_mbps", link_mbps}}},
                                {"tsc",
                                 {{"nominal_hz", rte_get_tsc_hz()},
                                  {"calibrated_hz", tsc_cal.hz},
                                  {"calibration_uncertainty_ppm", tsc_cal.uncertainty_ppm}}},
                                {"coordinated", setup.coordinated}};
        std::cout << ebt::json_text(out) << "\n";
        return 0;
    }

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    ebt::TestRecord record;
    record.name = cfg.name;
    record.config = cfg;
    record.coordinated = setup.coordinated;
    record.id = static_cast<uint16_t>(std::random_device{}());
    {
        const double err_ppm = (static_cast<double>(rte_get_tsc_hz()) - static_cast<double>(tsc_hz)) /
                               static_cast<double>(tsc_hz) * 1e6;
        ebt::log::info("TSC " + std::to_string(tsc_hz) + " Hz, calibrated against CLOCK_MONOTONIC_RAW (+-" +
                       fixed_text(tsc_cal.uncertainty_ppm, 2) + " ppm); DPDK's nominal " +
                       std::to_string(rte_get_tsc_hz()) + " Hz is " + fixed_text(err_ppm, 0) + " ppm off");
    }
    ebt::TscDriftMonitor drift(tsc_cal);
    // The test epoch: one instant read on both clocks (a CLOCK_TAI read
    // bracketed by two TSC reads).  tx_ns in every packet is TSC time since
    // epoch_tsc; the receiver learns epoch_tai_ns.
    const ebt::ClockPair epoch = ebt::read_tsc_tai_pair();
    const uint64_t epoch_tsc = epoch.tsc;
    const uint64_t epoch_tai_ns = epoch.ns;

    std::unique_ptr<ebt::ReceiverLink> link;
    std::array<uint8_t, 6> dst_mac{};
    try {
        if (setup.coordinated && cfg.discovery.enabled && !setup.dst_ip_given) {
            ebt::log::info("looking for xdp-recv with mDNS (" + std::string(ebt::discovery::kServiceType) + ", up to " +
                           ebt::json_number_text(cfg.discovery.timeout) + " s)");
            const auto found = ebt::discovery::find_receiver(cfg.discovery.timeout, "", &g_stop);
            if (!found)
                throw std::runtime_error("no xdp-recv advertised " + std::string(ebt::discovery::kServiceType) +
                                         " within " + ebt::json_number_text(cfg.discovery.timeout) + " s: give --dst-ip");
            const auto v = found->txt.find("version");
            if (v != found->txt.end() && v->second != std::to_string(ebt::proto::kProtocolVersion))
                throw std::runtime_error("xdp-recv '" + found->name + "' speaks protocol v" + v->second +
                                         ", this dpdk-gen v" + std::to_string(ebt::proto::kProtocolVersion));
            cfg.dst_machine.ip = found->address;
            cfg.dst_machine.control_port = found->port;
            record.config = cfg;
            ebt::log::info("found '" + found->name + "' at " + found->address + ":" + std::to_string(found->port));
        }
        if (setup.coordinated) {
            link = std::make_unique<ebt::ReceiverLink>(cfg, setup.token);
            // A signal before the traffic ends the waits for the receiver.
            link->set_cancel([] { return g_signal_count.load() >= 1; });
            const ebt::ClockOffset clock = link->sync_clock();
            record.generator.clock_sync = clock;
            ebt::log::info("clock offset to the receiver: " + std::to_string(clock.offset_ns) + " ns +- " +
                           std::to_string(clock.uncertainty_ns) + " ns (" + std::to_string(clock.samples) +
                           " exchanges, best round trip " + std::to_string(clock.delay_ns) + " ns)");
            const auto ready = link->configure(record.id, epoch_tai_ns, clock);
            ebt::log::info("receiver ready: " + ready.interface + " " + ready.mac + ", XDP " + ready.xdp_mode);
            if (!setup.dst_mac) ebt::parse_mac(ready.mac, dst_mac.data());
        }
        if (setup.dst_mac) dst_mac = *setup.dst_mac;
    } catch (const std::exception& e) {
        ebt::log::error(std::string("coordination failed: ") + e.what());
        if (port_driver(port->id()) == "net_af_xdp" && filter_for.empty())
            ebt::log::error(
                "hint: the XDP program net_af_xdp attached may be taking the control connection's frames (the "
                "PMD's default program redirects every frame of its queue to the AF_XDP socket, TCP and ARP "
                "included): give the vdev xdp_prog=" +
                ebt::find_xsk_filter(exe_dir()).value_or(std::string("<build>/bpf/") + ebt::kXskFilterName) +
                ", or a program of yours that passes them to the kernel");
        return 1;
    }

    // /health, /status, /metrics on this machine too, as on the destination;
    // a taken port costs the endpoints, not the test.
    ebt::SharedStatus status;
    status.modify([&](ebt::StatusSnapshot& st) {
        st.role = "generator";
        st.state = "configured";
        st.test_id = record.id;
        st.test_name = record.name;
        st.duration_s = plan.schedule ? plan.schedule->duration_s : cfg.duration_s;
    });
    std::optional<ebt::StatusServer> http;
    try {
        http.emplace("0.0.0.0", cfg.src_machine.control_port, status, 64);
        ebt::log::info("HTTP /health /status /metrics on port " + std::to_string(http->port()));
    } catch (const std::exception& e) {
        ebt::log::warn(std::string(e.what()) + ": no HTTP endpoints on this side");
    }

    record.started_at = ebt::now_iso8601();
    std::string dir;
    try {
        dir = ebt::create_results_dir(cfg.results_dir, "two_machine",
                                      ebt::results_dir_name(record.started_at, record.name));
    } catch (const std::exception& e) {
        ebt::log::error(e.what());
        if (link) link->abort(e.what());
        return 1;
    }
    ebt::log::open_file(dir + "/dpdk-gen.log");
    ebt::log::info("test " + std::to_string(record.id) + " '" + record.name + "', results in " + dir);
    ebt::log::debug("resolved config: " + ebt::json_text(ebt::to_json(cfg)));
    ebt::log::debug("TX plan: " + ebt::json_text(plan_json(plan, lcores)));

    // TX lcore contexts (not movable: they hold atomics).
    std::vector<std::unique_ptr<ebt::TxLcoreContext>> contexts;
    std::vector<ebt::TxLcoreContext*> views;
    const ebt::FrameSpec spec = ebt::make_frame_spec(cfg, port->mac(), dst_mac, record.id);
    std::string incomplete;
    std::vector<std::optional<ebt::ThreadSchedStat>> sched_total(plan.threads.size());
    // Tx mode: the main lcore polls the RX queue(s) between its waits on the
    // control connection; round_trip is reported if the receiver's results
    // say it reflected (test_action tx).  Allocated here, not in the loop.
    std::optional<ebt::RxEngine> rx;
    if (link && port->rx_queues() > 0) rx.emplace(port->id(), port->rx_queues(), record.id, cfg.flows, tsc_hz, epoch_tsc);
    if (setup.replay && setup.replay->stamp) ebt::stamp_replay(*setup.replay, record.id);
    for (const auto& t : plan.threads) {
        auto c = std::make_unique<ebt::TxLcoreContext>();
        c->port_id = port->id();
        c->pool = port->tx_pool(t.queue_id);
        c->plan = t;
        c->spec = spec;
        c->tsc_hz = tsc_hz;
        c->epoch_tsc = epoch_tsc;
        c->stop = &g_stop;
        c->faults = ebt::faults_for_flows(setup.seq_faults, t.first_flow, t.flow_count);
        c->size_mix = cfg.size_mix;
        if (setup.replay) {
            c->replay = &*setup.replay;
            c->replay_file_timing = setup.pcap_file_timing;
        }
        views.push_back(c.get());
        contexts.push_back(std::move(c));
    }
    try {
        for (auto& c : contexts) setup.replay ? ebt::prepare_pcap_lcore(*c) : ebt::prepare_tx_lcore(*c);
        if (link) link->start();
    } catch (const std::exception& e) {
        incomplete = std::string("test did not start: ") + e.what();
    }

    ebt::GeneratorReport& gen = record.generator;
    // Sample times count from the launch of the TX lcores, on one clock.
    const auto t0 = std::chrono::steady_clock::now();
    if (incomplete.empty()) {
        // All lcores share one schedule origin shortly after launch.  A paced
        // run ends at its exact packet total (due before the duration); the
        // deadline only bounds a port too slow for the rate, with room for
        // catching up after a stall: duration + 10% + 0.5 s.  rate max ends
        // at the duration.
        const uint64_t start_tsc = rte_rdtsc() + tsc_hz / 1000;
        // Patterns: the schedule's own length (their durations' sum).
        const double run_s = plan.schedule ? plan.schedule->duration_s : cfg.duration_s;
        const double limit_s = cfg.rate_max ? run_s : run_s * 1.1 + 0.5;
        const uint64_t deadline_tsc = start_tsc + static_cast<uint64_t>(limit_s * static_cast<double>(tsc_hz));
        for (size_t i = 0; i < contexts.size(); ++i) {
            contexts[i]->start_tsc = start_tsc;
            contexts[i]->deadline_tsc = deadline_tsc;
            rte_eal_remote_launch(setup.replay ? ebt::pcap_tx_lcore_main : ebt::tx_lcore_main, contexts[i].get(),
                                  lcores[i]);
        }
        if (const auto& r = setup.replay) {
            ebt::log::info("replaying " + r->file + ": " + std::to_string(r->frames.size()) + " frames (" +
                           std::to_string(r->bytes) + " bytes), " + std::to_string(plan.total_packets) +
                           " packets at " +
                           (setup.pcap_file_timing ? "the file's timing (mean " + std::to_string(cfg.packet_rate) + " pps)"
                            : cfg.rate_max         ? std::string("max rate")
                                                   : std::to_string(cfg.packet_rate) + " pps") +
                           (r->stamp ? ", " + std::to_string(r->stamped_frames) + " frames stamped in " +
                                           std::to_string(r->flows) + " flows"
                                     : std::string(", unstamped")) +
                           ", 1 TX lcore, port " + port_driver(port->id()));
        } else {
            ebt::log::info("sending: " +
                           std::string(cfg.rate_max        ? "max"
                                       : plan.schedule ? std::to_string(cfg.patterns.size()) + " pattern(s), " +
                                                             std::to_string(plan.total_packets) + " packets, mean " +
                                                             std::to_string(plan.total_pps)
                                                       : std::to_string(cfg.packet_rate)) +
                           " pps for " + ebt::json_number_text(run_s) + " s" +
                           (plan.count ? ", --count " + std::to_string(*plan.count) : std::string()) + ", " +
                           std::to_string(cfg.flows) +
                           " flows, frames " + ebt::frame_size_text(cfg) + ", " +
                           std::to_string(plan.threads.size()) + " TX lcore(s), port " + port_driver(port->id()));
        }

        // The main lcore samples the TX counters until every lcore is done.
        const auto period = std::chrono::duration<double>(cfg.sample_rate);
        auto next = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
        auto all_finished = [&] {
            for (const auto* c : views)
                if (!c->stats.finished.load()) return false;
            return true;
        };
        status.modify([](ebt::StatusSnapshot& st) { st.state = "running"; });
        // Samples (results) every sample_rate s; live output every
        // real_time.update_interval s, each over its own last interval.
        using Dur = std::chrono::steady_clock::duration;
        const auto live_period = std::chrono::duration_cast<Dur>(std::chrono::duration<double>(cfg.real_time.update_interval));
        auto next_live = t0 + live_period;
        uint64_t prev_packets = 0, live_packets = 0, live_bytes = 0;
        double prev_t = 0, live_t = 0;
        ebt::LiveSnapshot snap;
        if (!plan.rate_max || plan.count) snap.target_packets = plan.total_packets;
        if (!plan.rate_max) snap.target_pps = static_cast<double>(plan.total_pps);
        snap.duration_s = run_s;
        uint64_t rx_samples_seen = 0;
        std::vector<LcoreSched> sched(contexts.size());
        // Patterns: the live target is the schedule's own rate over each
        // interval, not the mean (ticks from the schedule origin).
        uint64_t live_ticks = 0;
        while (!all_finished()) {
            // The control connection is served between samples: heartbeats
            // out, receiver samples in, a lost receiver stops the traffic.
            if (link) {
                try {
                    link->poll(std::chrono::milliseconds(rx ? 1 : 5));
                } catch (const std::exception& e) {
                    ebt::live_finish(live_mode);
                    incomplete = std::string("receiver lost during the test: ") + e.what();
                    ebt::log::error(incomplete);
                    link.reset();
                    g_stop.store(true);
                }
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            if (rx) rx->poll();
            for (size_t i = 0; i < contexts.size(); ++i)
                if (!sched[i].read && contexts[i]->stats.running.load(std::memory_order_acquire)) {
                    sched[i].at_start = ebt::read_thread_sched(contexts[i]->stats.tid.load());
                    sched[i].read = true;
                }
            const auto now = std::chrono::steady_clock::now();
            const bool sample_due = now >= next, live_due = now >= next_live;
            if (!sample_due && !live_due) continue;
            const auto totals = ebt::sum_tx_stats(views);
            const double t = std::chrono::duration<double>(now - t0).count();
            ebt::proto::LiveSample rx_sample{};
            const bool have_rx = link && link->last_sample().has_value();
            if (have_rx) rx_sample = *link->last_sample();
            if (sample_due) {
                gen.samples.push_back({t, totals.packets, totals.bytes});
                // The calibration, checked against the kernel's clock.
                const ebt::ClockPair raw = ebt::read_tsc_raw_pair();
                drift.check(raw, ebt::clock_now_ns(CLOCK_TAI));
                const double tx_pps = t > prev_t ? static_cast<double>(totals.packets - prev_packets) / (t - prev_t) : 0;
                prev_packets = totals.packets;
                prev_t = t;
                status.modify([&](ebt::StatusSnapshot& st) {
                    st.elapsed_s = t;
                    st.sent_packets = totals.packets;
                    st.tx_pps = tx_pps;
                    if (have_rx) {
                        st.received_packets = rx_sample.test_packets;
                        st.rx_pps = rx_sample.rx_pps;
                        st.lost = rx_sample.lost;
                    }
                });
                next += std::chrono::duration_cast<Dur>(period);
            }
            if (live_due) {
                const double dt = t - live_t;
                const ebt::RateFigures r =
                    ebt::rate_figures(totals.packets - live_packets, totals.bytes - live_bytes, dt, std::nullopt);
                snap.t_s = t;
                snap.packets = totals.packets;
                snap.bytes = totals.bytes;
                snap.tx_full_retries = totals.tx_full_retries;
                snap.tx_full_dropped = totals.tx_full_dropped;
                snap.late_bursts = totals.late_bursts;
                snap.descheduled_ms.reset();
                for (size_t i = 0; i < contexts.size(); ++i)
                    if (const auto d = sched[i].since_start(*contexts[i]))
                        snap.descheduled_ms = snap.descheduled_ms.value_or(0) + static_cast<double>(d->runqueue_wait_ns) / 1e6;
                snap.pps = r.achieved_pps;
                snap.mbps_l1 = r.mbps_l1;
                snap.mbps_l2 = r.mbps_l2;
                if (plan.schedule) {
                    const uint64_t now_tsc = rte_rdtsc();
                    const uint64_t ticks = now_tsc > start_tsc ? now_tsc - start_tsc : 0;
                    if (ticks > live_ticks)
                        snap.target_pps = (ebt::scheduled_packets_by(*plan.schedule, ticks) -
                                           ebt::scheduled_packets_by(*plan.schedule, live_ticks)) *
                                          static_cast<double>(tsc_hz) / static_cast<double>(ticks - live_ticks);
                    live_ticks = ticks;
                }
                if (have_rx) {
                    snap.rx_packets = rx_sample.test_packets;
                    snap.rx_pps = rx_sample.rx_pps;
                    snap.rx_lost = rx_sample.lost;
                    snap.rx_t_s = rx_sample.t_s;
                    snap.rx_new = link->samples_received() != rx_samples_seen;
                    rx_samples_seen = link->samples_received();
                    auto known = [](double v) { return v >= 0 ? std::optional<double>(v) : std::nullopt; };
                    snap.rx_path_cpu_pct = known(rx_sample.receive_path_cpu_pct);
                    snap.rx_host_cpu_pct = known(rx_sample.host_cpu_busy_pct);
                }
                snap.tsc_drift_ppm = drift.checks() > 0 ? std::optional<double>(drift.last_ppm()) : std::nullopt;
                snap.tsc_drift_warning = drift.over_threshold();
                ebt::live_emit(live_mode, snap);
                live_packets = totals.packets;
                live_bytes = totals.bytes;
                live_t = t;
                next_live += live_period;
                if (next_live < now) next_live = now + live_period;  // no burst of catch-up lines
            }
        }
        ebt::live_finish(live_mode);
        rte_eal_mp_wait_lcore();
        // The lcore threads outlive their loops: their statistics now cover
        // the whole test.
        for (size_t i = 0; i < contexts.size(); ++i) sched_total[i] = sched[i].since_start(*contexts[i]);
        drift.check(ebt::read_tsc_raw_pair(), ebt::clock_now_ns(CLOCK_TAI));
        if (g_signal.load() != 0) incomplete = std::string("interrupted by ") + signal_name(g_signal.load());
        status.modify([](ebt::StatusSnapshot& st) { st.state = "draining"; });
    }

    // Collect.
    uint64_t first_start = UINT64_MAX, last_end = 0;
    const double hz = static_cast<double>(tsc_hz);
    for (size_t i = 0; i < contexts.size(); ++i) {
        const auto& c = *contexts[i];
        ebt::TxThreadReport t;
        t.lcore = lcores[i];
        t.queue = c.plan.queue_id;
        t.flows = c.plan.flow_count;
        t.packets = c.stats.packets.load();
        t.bytes = c.stats.bytes.load();
        t.tx_full_retries = c.stats.tx_full_retries.load();
        t.tx_full_dropped = c.stats.tx_full_dropped.load();
        t.late_bursts = c.stats.late_bursts.load();
        if (const auto& d = sched_total[i]) {
            t.descheduled_ms = static_cast<double>(d->runqueue_wait_ns) / 1e6;
            t.involuntary_switches = d->involuntary_switches;
            gen.descheduled_ms = gen.descheduled_ms.value_or(0) + *t.descheduled_ms;
        }
        if (!c.plan.unlimited) t.target_packets = c.plan.total_packets;
        const uint64_t t_start = c.stats.start_tsc.load(), t_end = c.stats.end_tsc.load();
        if (t_end > t_start) t.elapsed_s = static_cast<double>(t_end - t_start) / hz;
        switch (c.end_reason) {
        case ebt::TxEndReason::kTotalReached: t.end = "total_reached"; break;
        case ebt::TxEndReason::kStopFlag: t.end = "stopped"; break;
        case ebt::TxEndReason::kDeadline: t.end = "deadline"; break;
        case ebt::TxEndReason::kNotRun: t.end = "not_run"; break;
        }
        // Targets: the lcore's share of the (mean) rate, each flow's share of it.
        const std::optional<double> target =
            cfg.rate_max ? std::nullopt : std::optional<double>(static_cast<double>(c.plan.target_pps));
        t.rates = ebt::rate_figures(t.packets, t.bytes, t.elapsed_s, target);
        gen.threads.push_back(t);
        gen.sent_packets += t.packets;
        gen.sent_bytes += t.bytes;
        gen.tx_full_retries += t.tx_full_retries;
        gen.tx_full_dropped += t.tx_full_dropped;
        gen.late_bursts += t.late_bursts;
        for (uint32_t f = 0; f < c.plan.flow_count; ++f) {
            ebt::FlowCount fc;
            fc.flow_id = c.plan.first_flow + f;
            fc.packets = c.flow_sent[f];
            fc.bytes = c.flow_bytes[f];
            fc.tx_full_refused = c.flow_refused[f];
            fc.tx_full_dropped = c.flow_dropped[f];
            // A replay's flows have the file's shares, not equal ones: no per-flow target.
            fc.rates = ebt::rate_figures(fc.packets, fc.bytes, t.elapsed_s,
                                         target && !setup.replay ? std::optional<double>(*target / c.plan.flow_count)
                                                                 : std::nullopt);
            gen.flows.push_back(fc);
        }
        if (t_end != 0) {
            first_start = std::min(first_start, t_start);
            last_end = std::max(last_end, t_end);
        }
    }
    if (!cfg.rate_max) {
        std::vector<const ebt_latency*> parts;
        for (const auto& c : contexts) parts.push_back(&c->pacing);
        gen.pacing = ebt::summarize_pacing(ebt::merge_pacing(parts));
    }
    if (last_end > first_start) gen.elapsed_s = static_cast<double>(last_end - first_start) / hz;
    gen.count = plan.count;
    if (!plan.rate_max || plan.count) gen.target_packets = plan.total_packets;
    gen.rates = ebt::rate_figures(gen.sent_packets, gen.sent_bytes, gen.elapsed_s,
                                  cfg.rate_max ? std::nullopt : std::optional<double>(static_cast<double>(plan.total_pps)));
    if (plan.schedule) {
        ebt::ScheduleReport sr;
        sr.duration_s = plan.schedule->duration_s;
        sr.total_packets = plan.schedule->total;
        for (const auto& g : plan.schedule->segments) {
            const auto& p = cfg.patterns.at(g.pattern);
            ebt::ScheduleSegmentReport r;
            r.pattern = g.pattern;
            r.name = p.name;
            r.type = g.kind == ebt::SegmentKind::kConstant ? "constant"
                     : g.kind == ebt::SegmentKind::kBurst  ? "burst"
                     : g.kind == ebt::SegmentKind::kRamp   ? "ramp"
                                                           : "poisson";
            r.start_s = static_cast<double>(g.start) / hz;
            r.duration_s = static_cast<double>(g.length) / hz;
            r.packets = g.count;
            if (g.kind == ebt::SegmentKind::kPoisson) r.seed = g.seed;
            sr.segments.push_back(r);
        }
        gen.schedule = sr;
    }
    if (const auto& r = setup.replay) {
        ebt::PcapReport pr;
        pr.file = r->file;
        pr.frames_in_file = r->frames.size();
        pr.bytes_in_file = r->bytes;
        pr.stamped_frames = r->stamped_frames;
        pr.flows = r->flows;
        for (const auto& c : contexts) {
            pr.stamped += c->replay_stamped;
            pr.unstamped += c->replay_unstamped;
        }
        pr.timing = setup.pcap_file_timing ? "file" : "rate";
        pr.loops = (gen.sent_packets + pr.frames_in_file - 1) / pr.frames_in_file;
        gen.pcap = pr;
    }
    gen.samples.push_back({std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                           gen.sent_packets, gen.sent_bytes});
    gen.tsc_clock = drift.report(rte_get_tsc_hz());
    if (!gen.tsc_clock->warning.empty()) ebt::log::warn(gen.tsc_clock->warning);
    gen.port_driver = port_driver(port->id());
    gen.port_mac = mac_text(port->mac());
    gen.dst_mac = mac_text(dst_mac);

    if (link) {
        // An interrupted test still gets the receiver's counts of what was
        // sent (stop with the reason; the receiver drains and answers); a
        // second signal gives up waiting for them.
        const bool interrupted = g_signal.load() != 0;
        const auto second_signal = [] { return g_signal_count.load() >= 2; };
        const std::string not_collected = "; the receiver's counts were not collected (interrupted again)";
        link->set_cancel(second_signal);
        try {
            if (incomplete.empty() || interrupted) {
                if (interrupted)
                    ebt::log::warn(incomplete + ": collecting the receiver's counts (interrupt again to skip)");
                // The receiver waits for the test packets: a replay's stamped ones.
                record.receiver = link->stop(gen.pcap ? gen.pcap->stamped : gen.sent_packets, incomplete);
            } else {
                link->abort(incomplete);
            }
        } catch (const ebt::Cancelled&) {
            incomplete += not_collected;
            link->abort(incomplete);
        } catch (const std::exception& e) {
            // The connection broke after the traffic: the receiver keeps its
            // last results, so ask again on a new connection once.
            ebt::log::warn(std::string("no results on the control connection: ") + e.what() + "; reconnecting");
            try {
                record.receiver = ebt::ReceiverLink::fetch_results(cfg, setup.token, record.id, second_signal);
                ebt::log::info("fetched the receiver's results on a new connection");
            } catch (const ebt::Cancelled&) {
                incomplete += not_collected;
            } catch (const std::exception& e2) {
                const std::string why = std::string("no results from the receiver: ") + e.what();
                incomplete = incomplete.empty() ? why : incomplete + "; " + why;
            }
        }
    }
    if (rx && record.receiver && record.receiver->test_action == "tx") {
        // Every packet the receiver counted was reflected then: take the
        // rest from the RX ring (until all sent are back, or quiet).
        const double drain_s = rx->drain(gen.sent_packets);
        gen.round_trip = rx->report(gen.flows);
        const ebt::PortRxCounters pc = port->rx_counters();
        gen.round_trip->port_imissed = pc.imissed;
        gen.round_trip->port_ierrors = pc.ierrors;
        gen.round_trip->port_rx_nombuf = pc.rx_nombuf;
        gen.round_trip->drain_s = drain_s;
        gen.round_trip->poll = "main lcore, between waits of at most 1 ms on the control connection";
        const auto& rt = *gen.round_trip;
        ebt::log::info("round trip: " + std::to_string(rt.returned) + " of " + std::to_string(rt.sent) + " returned, " +
                       std::to_string(rt.lost) + " lost" +
                       (rt.rtt.p50_ns ? ", RTT p50 " + std::to_string(*rt.rtt.p50_ns) + " ns, p99 " +
                                            std::to_string(*rt.rtt.p99_ns) + " ns"
                                      : std::string()));
    }
    status.modify([](ebt::StatusSnapshot& st) { st.state = "done"; });
    port->close();

    record.ended_at = ebt::now_iso8601();
    record.status = incomplete.empty() ? "complete" : "incomplete";
    record.status_reason = incomplete;
    try {
        ebt::write_results(dir, record);
    } catch (const std::exception& e) {
        ebt::log::error(e.what());
        return 1;
    }

    const ebt::Summary s = ebt::summarize(record);
    char line[512];
    std::snprintf(line, sizeof line,
                  "sent %llu, received %s, lost %s (%s%%), achieved %.1f pps of %s target, %.3f Mbps at L2 (frames + FCS)",
                  static_cast<unsigned long long>(s.sent_packets),
                  s.received_packets ? std::to_string(*s.received_packets).c_str() : "n/a",
                  s.lost_packets ? std::to_string(*s.lost_packets).c_str() : "n/a",
                  s.loss_pct ? std::to_string(*s.loss_pct).c_str() : "n/a", s.achieved_pps,
                  cfg.rate_max ? "max" : std::to_string(static_cast<uint64_t>(s.target_pps)).c_str(), s.mbps_l2);
    ebt::log::info(line);
    if (!incomplete.empty()) ebt::log::warn("test incomplete: " + incomplete);
    ebt::log::info("results: " + dir);
    if (live_mode == ebt::LiveMode::kJson) {
        // The last JSON line: the totals exactly as results.json has them.
        boost::json::object fin{{"type", "final"},
                                {"status", record.status},
                                {"packets", gen.sent_packets},
                                {"bytes", gen.sent_bytes},
                                {"tx_full_retries", gen.tx_full_retries},
                                {"tx_full_dropped", gen.tx_full_dropped},
                                {"late_bursts", gen.late_bursts},
                                {"elapsed_s", gen.elapsed_s},
                                {"achieved_pps", gen.rates.achieved_pps},
                                {"results_dir", dir}};
        std::printf("%s\n", ebt::json_text(fin).c_str());
    } else if (setup.quiet) {
        std::printf("%s\n", dir.c_str());  // the one thing --quiet prints
    }
    std::fflush(stdout);
    ebt::log::close_file();
    return incomplete.empty() ? 0 : 1;
}
