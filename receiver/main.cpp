// xdp-recv: the destination machine's side.  Thin: options and signals here,
// the work in receiver_session (control protocol) and xdp_program (BPF).
#include <atomic>
#include <csignal>
#include <iostream>
#include <optional>
#include <string_view>
#include <net/if.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include "auth.hpp"
#include "baseline_receiver.hpp"
#include "cli.hpp"
#include "discovery.hpp"
#include "config.hpp"
#include "json_text.hpp"
#include "log.hpp"
#include "control_server.hpp"
#include "standalone.hpp"
#include "status_server.hpp"
#include "system_check.hpp"

namespace {

constexpr const char* kUsage = R"(usage: xdp-recv [options]
  --config FILE          YAML configuration (every key: config.yaml and README)
  --interface IF         interface to attach the XDP program to (network_config.dst_machine.interface)
  --mode MODE            xdp | baseline (default xdp).  baseline: no XDP program; a userspace
                         receiver (recvmmsg, one UDP socket per thread with SO_REUSEPORT on the
                         test's dst_machine.ip and dst_port) with the same accounting, to compare
  --recv-threads N       with --mode baseline: receive threads (default: the CPU count)
  --xdp-mode MODE        auto | native | generic (default auto: native where the driver has it)
  --listen ADDR          address to accept dpdk-gen on (default 0.0.0.0; with --no-coordination,
                         the address of the HTTP status pages)
  --control-port N       TCP control port (network_config.dst_machine.control_port, default 8080);
                         it serves HTTP /health /status /metrics too (with --no-coordination,
                         only those)
  --results-dir DIR      results root (default ./results; this side writes DIR/receiver/...)
  --test-action ACTION   drop | pass | tx: what test packets get after counting (default drop;
                         tx reflects them to the sender: MACs, IPs, ports swapped, XDP_TX)
  --once                 serve one test, then exit (status 0 if it completed)
  --no-coordination      count on its own, without dpdk-gen: traffic from any generator,
                         test packets of any test id; writes DIR/receiver/test_.../
  --duration S           with --no-coordination: seconds to count (default: until SIGINT)
  --name NAME            with --no-coordination: test name (results directory suffix; default
                         test_config.name when the config sets one, else standalone_xdp or
                         standalone_baseline after --mode)
  --foreign-action A     with --no-coordination: pass | drop packets without our header (default pass)
  --foreign-tuples N     with --no-coordination: count those per 5-tuple, up to N tuples (default
                         1024, 0..1048576; the rest summed)
  --token-file FILE      shared secret for control connections (else $EBT_TOKEN); without one,
                         only loopback and 198.18.0.0/15 may drive this receiver
  --check-only           print the system check table and exit 0 (all ok) or 1
  --verbose              debug detail in the log
  --help                 this text
)";

// Exit statuses: 0 done, 1 a test did not complete, 2 bad configuration or
// flags, 3 this machine cannot run the receiver (not root, no BTF, interface
// down, XDP mode unavailable, control port taken).
constexpr int kExitEnvironment = 3;

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

ebt::XdpMode parse_mode(const std::string& mode) {
    if (mode == "native") return ebt::XdpMode::Native;
    if (mode == "generic") return ebt::XdpMode::Generic;
    return ebt::XdpMode::Auto;  // validated by the config loader
}

}  // namespace

int main(int argc, char** argv) {
    ebt::log::set_program("xdp-recv");
    ebt::cli::Parsed args;
    ebt::TestConfig cfg;
    ebt::TestAction action = ebt::TestAction::Drop;
    ebt::StandaloneOptions standalone;
    std::optional<std::string> token;
    ebt::ReceiveMode recv_mode = ebt::ReceiveMode::Xdp;
    unsigned recv_threads = ebt::default_baseline_threads();
    try {
        args = ebt::cli::parse(argc, argv,
                               {{"config", true},
                                {"interface", true},
                                {"xdp-mode", true},
                                {"mode", true},
                                {"recv-threads", true},
                                {"listen", true},
                                {"control-port", true},
                                {"results-dir", true},
                                {"test-action", true},
                                {"once", false},
                                {"no-coordination", false},
                                {"duration", true},
                                {"name", true},
                                {"foreign-action", true},
                                {"foreign-tuples", true},
                                {"check-only", false},
                                {"token-file", true},
                                {"verbose", false},
                                {"help", false}});
        if (args.has("help")) {
            std::cout << kUsage;
            return 0;
        }
        ebt::ConfigOverrides o;
        auto take = [&](const char* name, std::optional<std::string>& into) {
            if (const auto* v = args.value(name)) into = *v;
        };
        take("interface", o.interface);
        take("xdp-mode", o.xdp_mode);
        take("control-port", o.control_port);
        take("results-dir", o.results_dir);
        take("name", o.name);
        const std::string* config_file = args.value("config");
        cfg = ebt::resolve_config(config_file ? *config_file : "", "", o);
        if (const auto* a = args.value("test-action")) {
            if (*a == "drop") action = ebt::TestAction::Drop;
            else if (*a == "pass") action = ebt::TestAction::Pass;
            else if (*a == "tx") action = ebt::TestAction::Tx;
            else throw ebt::ConfigError("--test-action: expected drop, pass or tx, got '" + *a + "'");
        }
        if (const auto* m = args.value("mode")) {
            if (*m == "xdp") recv_mode = ebt::ReceiveMode::Xdp;
            else if (*m == "baseline") recv_mode = ebt::ReceiveMode::Baseline;
            else throw ebt::ConfigError("--mode: expected xdp or baseline, got '" + *m + "'");
        }
        if (const auto* n = args.value("recv-threads")) {
            if (recv_mode != ebt::ReceiveMode::Baseline)
                throw ebt::ConfigError("--recv-threads: only with --mode baseline");
            const bool digits = !n->empty() && n->size() <= 4 && n->find_first_not_of("0123456789") == std::string::npos;
            if (!digits || std::stoul(*n) < 1 || std::stoul(*n) > ebt::kMaxBaselineThreads)
                throw ebt::ConfigError("--recv-threads: expected 1.." + std::to_string(ebt::kMaxBaselineThreads) +
                                       ", got '" + *n + "'");
            recv_threads = static_cast<unsigned>(std::stoul(*n));
        }
        if (recv_mode == ebt::ReceiveMode::Baseline)
            for (const char* f : {"test-action", "foreign-action", "foreign-tuples"})
                if (args.value(f))
                    throw ebt::ConfigError(std::string("--") + f + ": only with --mode xdp (the baseline's sockets "
                                           "receive only the test's UDP port; the kernel consumes the packets)");
        if (!args.has("no-coordination"))
            for (const char* f : {"duration", "name", "foreign-action", "foreign-tuples"})
                if (args.value(f))
                    throw ebt::ConfigError(std::string("--") + f + ": only with --no-coordination" +
                                           (std::string_view(f) == "name" ? " (dpdk-gen names a coordinated test)" : ""));
        if (const auto* d = args.value("duration")) {
            size_t used = 0;
            double v = 0;
            try {
                v = std::stod(*d, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != d->size() || !(v > 0) || v > 1e7)
                throw ebt::ConfigError("--duration: expected a positive number of seconds, got '" + *d + "'");
            standalone.duration_s = v;
        }
        if (const auto* a = args.value("foreign-action")) {
            if (*a != "pass" && *a != "drop")
                throw ebt::ConfigError("--foreign-action: expected pass or drop, got '" + *a + "'");
            standalone.foreign_drop = *a == "drop";
        }
        if (const auto* n = args.value("foreign-tuples")) {
            const bool digits = !n->empty() && n->size() <= 7 &&
                                n->find_first_not_of("0123456789") == std::string::npos;
            if (!digits || std::stoul(*n) > 1048576)
                throw ebt::ConfigError("--foreign-tuples: expected 0..1048576, got '" + *n + "'");
            standalone.foreign_tuples = static_cast<uint32_t>(std::stoul(*n));
        }
        const auto* token_file = args.value("token-file");
        token = ebt::auth::load_token(token_file ? std::optional<std::string>(*token_file) : std::nullopt);
        if (const auto* listen = args.value("listen")) {
            uint32_t ip = 0;
            if (!ebt::parse_ipv4(*listen, ip))
                throw ebt::ConfigError("--listen: expected an IPv4 address, got '" + *listen + "'");
        }
        if (if_nametoindex(cfg.dst_machine.interface.c_str()) == 0)
            throw ebt::ConfigError("network_config.dst_machine.interface: no interface '" +
                                   cfg.dst_machine.interface + "' on this machine (set it or pass --interface)");
    } catch (const std::exception& e) {
        std::cerr << "xdp-recv: error: " << e.what() << "\n";
        return 2;
    }
    ebt::log::set_verbose(args.has("verbose"));
    ebt::log::debug("resolved config: " + ebt::json_text(ebt::to_json(cfg)));
    const ebt::XdpMode mode = parse_mode(cfg.xdp_mode);

    if (args.has("check-only")) {
        const auto rows = ebt::run_system_checks(cfg.dst_machine.interface, mode);
        ebt::print_check_table(std::cout, rows);
        return ebt::all_ok(rows) ? 0 : 1;
    }

    // Environment errors before anything else exists: exit status 3, one line.
    std::vector<ebt::CheckRow> check_rows;
    {
        const auto rows = ebt::run_system_checks(cfg.dst_machine.interface, mode);
        check_rows = rows;
        if (const auto* bad = ebt::first_blocking_failure(rows)) {
            std::cerr << "xdp-recv: error: " << bad->item << ": " << bad->detail << "\n";
            return kExitEnvironment;
        }
        for (const auto& r : rows) {
            if (!r.ok) ebt::log::warn(r.item + ": " + r.detail);
            if (r.item == "XDP mode" && mode == ebt::XdpMode::Auto && r.detail.find("got generic") != std::string::npos)
                ebt::log::warn(cfg.dst_machine.interface + ": no native XDP, using generic (skb) mode: " + r.detail);
        }
    }

    if (args.has("no-coordination")) {
        standalone.interface = cfg.dst_machine.interface;
        standalone.xdp_mode = mode;
        standalone.results_dir = cfg.results_dir;
        standalone.action = action;
        standalone.mode = recv_mode;
        standalone.recv_threads = recv_threads;
        standalone.config = cfg;
        standalone.config.name = ebt::standalone_test_name(cfg, args.value("name") != nullptr, recv_mode);
        // /health, /status, /metrics on the control port while counting.
        ebt::SharedStatus status;
        status.modify([&](ebt::StatusSnapshot& st) {
            st.role = "receiver";
            st.interface = cfg.dst_machine.interface;
            for (const auto& c : check_rows) st.checks.push_back({c.item, c.ok, c.detail});
        });
        const std::string listen = args.value("listen") ? *args.value("listen") : "0.0.0.0";
        std::optional<ebt::StatusServer> http;
        try {
            http.emplace(listen, cfg.dst_machine.control_port, status, standalone.max_flow_labels);
        } catch (const std::exception& e) {
            std::cerr << "xdp-recv: error: control port: " << e.what() << "\n";
            return kExitEnvironment;
        }
        ebt::log::info("HTTP /health /status /metrics on " + listen + ":" +
                       std::to_string(cfg.dst_machine.control_port));
        struct sigaction sa{};
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);
        try {
            return ebt::run_standalone(standalone, g_stop, status);
        } catch (const std::exception& e) {
            ebt::log::error(e.what());
            return 1;
        }
    }

    ebt::ReceiverOptions options;
    options.interface = cfg.dst_machine.interface;
    options.xdp_mode = mode;
    options.listen_address = args.value("listen") ? *args.value("listen") : "0.0.0.0";
    options.control_port = cfg.dst_machine.control_port;
    options.results_dir = cfg.results_dir;
    options.once = args.has("once");
    options.action = action;
    options.mode = recv_mode;
    options.recv_threads = recv_threads;
    options.token = token;
    options.checks = check_rows;

    try {
        boost::asio::io_context io;
        std::optional<ebt::ReceiverServer> server_holder;
        try {
            server_holder.emplace(io, options);
        } catch (const std::exception& e) {
            std::cerr << "xdp-recv: error: control port: " << e.what() << "\n";
            return kExitEnvironment;
        }
        ebt::ReceiverServer& server = *server_holder;
        // mDNS: advertise the control port while serving (discovery.enabled).
        std::optional<ebt::discovery::Advertiser> mdns;
        if (cfg.discovery.enabled) {
            try {
                mdns.emplace(ebt::discovery::default_instance_name(), options.control_port,
                             std::map<std::string, std::string>{
                                 {"version", std::to_string(ebt::proto::kProtocolVersion)},
                                 {"interface", options.interface},
                                 {"software", EBT_SOFTWARE_VERSION}});
                if (mdns->wait_established(cfg.discovery.timeout))
                    ebt::log::info("advertised as '" + mdns->name() + "' (" + ebt::discovery::kServiceType + ")");
                else
                    ebt::log::warn("mDNS advertisement not established: " + mdns->error());
            } catch (const std::exception& e) {
                std::cerr << "xdp-recv: error: network_config.discovery: " << e.what() << "\n";
                return kExitEnvironment;
            }
        }
        boost::asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code& ec, int signo) {
            if (ec) return;
            ebt::log::info(std::string("caught ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
            server.request_stop();
        });
        const int status = server.serve();
        ebt::log::info("exiting");
        return status;
    } catch (const std::exception& e) {
        ebt::log::error(e.what());
        return 1;
    }
}
