// dpdk-gen: the source machine's side.  `dpdk-gen <EAL options> -- <options>`.
// Thin: EAL, options and the order of a test here; the work in port (DPDK
// port), tx_engine (the TX lcores), coordinator (control protocol) and
// common/ (config, packets, results).
#include <csignal>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <thread>

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
#include "status_server.hpp"
#include "config.hpp"
#include "coordinator.hpp"
#include "log.hpp"
#include "packet.hpp"
#include "pacing.hpp"
#include "pacing_report.hpp"
#include "port.hpp"
#include "results.hpp"
#include "seq_faults.hpp"
#include "tx_engine.hpp"

namespace {

constexpr const char* kUsage = R"(usage: dpdk-gen [EAL options] -- [options]
  --config FILE        YAML configuration (the seed's schema; see config.yaml)
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
  --dry-run            print the resolved config and the plan, send nothing
  --verbose            debug detail in the log
  --test-seq-faults SPEC  test only: skip:F:S, dup:F:S, swap:F:S (comma list) alter flow F's
                       sequence numbers, to test receivers' loss/reorder/duplicate accounting
  --help               this text
Precedence: built-in defaults < --config < --preset < flags.
)";

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

extern "C" void on_signal(int signo) {
    g_signal.store(signo);
    g_stop.store(true);
}

// rte_eal_cleanup on every exit path after a successful rte_eal_init.
struct EalSession {
    ~EalSession() { rte_eal_cleanup(); }
};

uint64_t clock_ns(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
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
                           {"burst", t.burst}});
    }
    return {{"rate", plan.rate_max ? boost::json::value("max") : boost::json::value(plan.total_pps)},
            {"total_packets", plan.rate_max ? boost::json::value(nullptr) : boost::json::value(plan.total_packets)},
            {"threads", std::move(threads)}};
}

// Everything a run needs once the options are valid.
struct RunSetup {
    ebt::TestConfig cfg;
    bool coordinated = true;
    bool dry_run = false;
    std::optional<std::array<uint8_t, 6>> dst_mac;   // from flag or config
    std::vector<ebt::SeqFault> seq_faults;            // test only; sorted, global flow ids
    std::optional<std::string> token;                 // shared secret for the control connection
    bool dst_ip_given = false;                        // --dst-ip (discovery is skipped)
};

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
    ebt::log::set_verbose(args.has("verbose"));
    if (!s.cfg.dst_machine.mac.empty()) {
        std::array<uint8_t, 6> m{};
        ebt::parse_mac(s.cfg.dst_machine.mac, m.data());  // validated already
        s.dst_mac = m;
    }
    if (!s.coordinated && !s.dst_mac)
        throw ebt::ConfigError("--no-coordination needs the destination MAC: pass --dst-mac or set "
                               "network_config.dst_machine.mac");
    // Refuse what this version cannot do rather than send something else.
    for (const auto& p : s.cfg.patterns)
        if (p.type != "constant")
            throw ebt::ConfigError("traffic_config.patterns: pattern '" + p.name + "' of type " + p.type +
                                   " is not supported yet (constant rate only)");
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
    const int eal_args = rte_eal_init(argc, argv);
    if (eal_args < 0) {
        std::cerr << "dpdk-gen: error: EAL initialisation failed: " << rte_strerror(rte_errno)
                  << " (check the EAL options before --)\n";
        return 2;
    }
    EalSession eal;
    argc -= eal_args;
    argv += eal_args;

    RunSetup setup;
    std::unique_ptr<ebt::Port> port;
    ebt::TxPlan plan;
    std::vector<unsigned> lcores;
    try {
        setup = parse_options(argc, argv);
        ebt::PortSetup ps;
        ps.tx_queues = static_cast<uint16_t>(std::min(setup.cfg.threads, setup.cfg.flows));
        ps.frame_len = setup.cfg.packet_size;
        port = std::make_unique<ebt::Port>(ps);
        // "40%" needs the link speed; every rate is checked against it.
        ebt::resolve_rate(setup.cfg, port->link_speed_mbps());
        plan = ebt::plan_tx(setup.cfg);
        unsigned lcore = 0;
        RTE_LCORE_FOREACH_WORKER(lcore) {
            if (lcores.size() < plan.threads.size()) lcores.push_back(lcore);
        }
    } catch (const std::exception& e) {
        std::cerr << "dpdk-gen: error: " << e.what() << "\n";
        return 2;
    }
    ebt::TestConfig& cfg = setup.cfg;

    if (setup.dry_run) {
        boost::json::object out{{"config", ebt::to_json(cfg)},
                                {"plan", plan_json(plan, lcores)},
                                {"port",
                                 {{"id", port->id()},
                                  {"driver", port_driver(port->id())},
                                  {"mac", mac_text(port->mac())},
                                  {"link_speed_mbps", port->link_speed_mbps()}}},
                                {"coordinated", setup.coordinated}};
        std::cout << boost::json::serialize(out) << "\n";
        return 0;
    }

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    ebt::TestRecord record;
    record.name = cfg.name;
    record.config = cfg;
    record.coordinated = setup.coordinated;
    record.id = static_cast<uint16_t>(std::random_device{}());
    const uint64_t tsc_hz = rte_get_tsc_hz();
    // The test epoch: one instant read on both clocks.  tx_ns in every
    // packet is TSC time since epoch_tsc; the receiver learns epoch_tai_ns.
    const uint64_t epoch_tsc = rte_rdtsc();
    const uint64_t epoch_tai_ns = clock_ns(CLOCK_TAI);

    std::unique_ptr<ebt::ReceiverLink> link;
    std::array<uint8_t, 6> dst_mac{};
    try {
        if (setup.coordinated && cfg.discovery.enabled && !setup.dst_ip_given) {
            ebt::log::info("looking for xdp-recv with mDNS (" + std::string(ebt::discovery::kServiceType) + ", up to " +
                           std::to_string(cfg.discovery.timeout) + " s)");
            const auto found = ebt::discovery::find_receiver(cfg.discovery.timeout, "", &g_stop);
            if (!found)
                throw std::runtime_error("no xdp-recv advertised " + std::string(ebt::discovery::kServiceType) +
                                         " within " + std::to_string(cfg.discovery.timeout) + " s: give --dst-ip");
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
        return 1;
    }

    // /health, /status, /metrics on this machine too (the seed's src_machine
    // endpoints); a taken port costs the endpoints, not the test.
    ebt::SharedStatus status;
    status.modify([&](ebt::StatusSnapshot& st) {
        st.role = "generator";
        st.state = "configured";
        st.test_id = record.id;
        st.test_name = record.name;
        st.duration_s = cfg.duration_s;
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
    ebt::log::debug("resolved config: " + boost::json::serialize(ebt::to_json(cfg)));
    ebt::log::debug("TX plan: " + boost::json::serialize(plan_json(plan, lcores)));

    // TX lcore contexts (not movable: they hold atomics).
    std::vector<std::unique_ptr<ebt::TxLcoreContext>> contexts;
    std::vector<ebt::TxLcoreContext*> views;
    ebt::FrameSpec spec;
    spec.src_mac = port->mac();
    spec.dst_mac = dst_mac;
    ebt::parse_ipv4(cfg.src_machine.ip, spec.src_ip);
    ebt::parse_ipv4(cfg.dst_machine.ip, spec.dst_ip);
    spec.src_port_base = cfg.src_port;
    spec.dst_port = cfg.dst_port;
    spec.frame_len = cfg.packet_size;
    spec.test_id = record.id;
    spec.flows = cfg.flows;
    std::string incomplete;
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
        views.push_back(c.get());
        contexts.push_back(std::move(c));
    }
    try {
        for (auto& c : contexts) ebt::prepare_tx_lcore(*c);
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
        const double limit_s = cfg.rate_max ? cfg.duration_s : cfg.duration_s * 1.1 + 0.5;
        const uint64_t deadline_tsc = start_tsc + static_cast<uint64_t>(limit_s * static_cast<double>(tsc_hz));
        for (size_t i = 0; i < contexts.size(); ++i) {
            contexts[i]->start_tsc = start_tsc;
            contexts[i]->deadline_tsc = deadline_tsc;
            rte_eal_remote_launch(ebt::tx_lcore_main, contexts[i].get(), lcores[i]);
        }
        ebt::log::info("sending: " + std::string(cfg.rate_max ? "max" : std::to_string(cfg.packet_rate)) +
                       " pps for " + std::to_string(cfg.duration_s) + " s, " + std::to_string(cfg.flows) +
                       " flows, " + std::to_string(cfg.packet_size) + "-byte frames, " +
                       std::to_string(plan.threads.size()) + " TX lcore(s), port " + port_driver(port->id()));

        // The main lcore samples the TX counters until every lcore is done.
        const auto period = std::chrono::duration<double>(cfg.sample_rate);
        auto next = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
        auto all_finished = [&] {
            for (const auto* c : views)
                if (!c->stats.finished.load()) return false;
            return true;
        };
        status.modify([](ebt::StatusSnapshot& st) { st.state = "running"; });
        uint64_t prev_packets = 0;
        double prev_t = 0;
        while (!all_finished()) {
            // The control connection is served between samples: heartbeats
            // out, receiver samples in, a lost receiver stops the traffic.
            if (link) {
                try {
                    link->poll(std::chrono::milliseconds(5));
                } catch (const std::exception& e) {
                    incomplete = std::string("receiver lost during the test: ") + e.what();
                    ebt::log::error(incomplete);
                    link.reset();
                    g_stop.store(true);
                }
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            if (std::chrono::steady_clock::now() < next) continue;
            const auto totals = ebt::sum_tx_stats(views);
            const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            gen.samples.push_back({t, totals.packets, totals.bytes});
            const double tx_pps = t > prev_t ? static_cast<double>(totals.packets - prev_packets) / (t - prev_t) : 0;
            prev_packets = totals.packets;
            prev_t = t;
            ebt::proto::LiveSample rx_sample{};
            const bool have_rx = link && link->last_sample().has_value();
            if (have_rx) rx_sample = *link->last_sample();
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
            if (cfg.real_time.enabled) {
                std::string line = "t=" + std::to_string(static_cast<int>(t)) + "s sent " +
                                   std::to_string(totals.packets) + " (" + std::to_string(static_cast<uint64_t>(tx_pps)) +
                                   " pps)";
                if (have_rx)
                    line += ", receiver " + std::to_string(rx_sample.test_packets) + " (" +
                            std::to_string(static_cast<uint64_t>(rx_sample.rx_pps)) + " pps, " +
                            std::to_string(rx_sample.lost) + " lost so far" +
                            (rx_sample.cpu_busy_pct >= 0
                                 ? ", CPU " + std::to_string(static_cast<int>(rx_sample.cpu_busy_pct + 0.5)) + "% busy"
                                 : std::string()) +
                            ")";
                ebt::log::info(line);
            }
            next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
        }
        rte_eal_mp_wait_lcore();
        if (g_signal.load() != 0)
            incomplete = std::string("interrupted by ") + (g_signal.load() == SIGINT ? "SIGINT" : "SIGTERM");
        status.modify([](ebt::StatusSnapshot& st) { st.state = "draining"; });
    }

    // Collect.
    uint64_t first_start = UINT64_MAX, last_end = 0;
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
        gen.threads.push_back(t);
        gen.sent_packets += t.packets;
        gen.sent_bytes += t.bytes;
        gen.tx_full_retries += t.tx_full_retries;
        gen.tx_full_dropped += t.tx_full_dropped;
        for (uint32_t f = 0; f < c.plan.flow_count; ++f)
            gen.flows.push_back({c.plan.first_flow + f, c.flow_sent[f], c.flow_bytes[f]});
        if (c.stats.end_tsc.load() != 0) {
            first_start = std::min(first_start, c.stats.start_tsc.load());
            last_end = std::max(last_end, c.stats.end_tsc.load());
        }
    }
    if (!cfg.rate_max) {
        std::vector<const ebt_latency*> parts;
        for (const auto& c : contexts) parts.push_back(&c->pacing);
        gen.pacing = ebt::summarize_pacing(ebt::merge_pacing(parts));
    }
    if (last_end > first_start) gen.elapsed_s = static_cast<double>(last_end - first_start) / static_cast<double>(tsc_hz);
    gen.samples.push_back({std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                           gen.sent_packets, gen.sent_bytes});
    gen.port_driver = port_driver(port->id());
    gen.port_mac = mac_text(port->mac());
    gen.dst_mac = mac_text(dst_mac);

    if (link) {
        try {
            if (incomplete.empty()) {
                record.receiver = link->stop(gen.sent_packets);
            } else {
                link->abort(incomplete);
            }
        } catch (const std::exception& e) {
            // The connection broke after the traffic: the receiver keeps its
            // last results, so ask again on a new connection once.
            ebt::log::warn(std::string("no results on the control connection: ") + e.what() + "; reconnecting");
            try {
                record.receiver = ebt::ReceiverLink::fetch_results(cfg, setup.token, record.id);
                ebt::log::info("fetched the receiver's results on a new connection");
            } catch (const std::exception& e2) {
                incomplete = std::string("no results from the receiver: ") + e.what();
            }
        }
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
    std::snprintf(line, sizeof line, "sent %llu, received %s, lost %s (%s%%), achieved %.1f pps of %s target, %.3f Mbps",
                  static_cast<unsigned long long>(s.sent_packets),
                  s.received_packets ? std::to_string(*s.received_packets).c_str() : "n/a",
                  s.lost_packets ? std::to_string(*s.lost_packets).c_str() : "n/a",
                  s.loss_pct ? std::to_string(*s.loss_pct).c_str() : "n/a", s.achieved_pps,
                  cfg.rate_max ? "max" : std::to_string(cfg.packet_rate).c_str(), s.throughput_mbps);
    ebt::log::info(line);
    if (!incomplete.empty()) ebt::log::warn("test incomplete: " + incomplete);
    ebt::log::info("results: " + dir);
    ebt::log::close_file();
    return incomplete.empty() ? 0 : 1;
}
