// xdp-recv: the destination machine's side.  Thin: options and signals here,
// the work in receiver_session (control protocol) and xdp_program (BPF).
#include <csignal>
#include <iostream>
#include <net/if.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include "cli.hpp"
#include "config.hpp"
#include "log.hpp"
#include "receiver_session.hpp"
#include "system_check.hpp"

namespace {

constexpr const char* kUsage = R"(usage: xdp-recv [options]
  --config FILE          YAML configuration (the seed's schema; see config.yaml)
  --interface IF         interface to attach the XDP program to (network_config.dst_machine.interface)
  --xdp-mode MODE        auto | native | generic (default auto: native where the driver has it)
  --listen ADDR          address to accept dpdk-gen on (default 0.0.0.0)
  --control-port N       TCP control port (network_config.dst_machine.control_port, default 8080)
  --results-dir DIR      results root (default ./results; this side writes DIR/receiver/...)
  --once                 serve one test, then exit (status 0 if it completed)
  --check-only           print the system check table and exit 0 (all ok) or 1
  --verbose              debug detail in the log
  --help                 this text
)";

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
    try {
        args = ebt::cli::parse(argc, argv,
                               {{"config", true},
                                {"interface", true},
                                {"xdp-mode", true},
                                {"listen", true},
                                {"control-port", true},
                                {"results-dir", true},
                                {"once", false},
                                {"check-only", false},
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
        const std::string* config_file = args.value("config");
        cfg = ebt::resolve_config(config_file ? *config_file : "", "", o);
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
    ebt::log::debug("resolved config: " + boost::json::serialize(ebt::to_json(cfg)));
    const ebt::XdpMode mode = parse_mode(cfg.xdp_mode);

    if (args.has("check-only")) {
        const auto rows = ebt::run_system_checks(cfg.dst_machine.interface, mode);
        ebt::print_check_table(std::cout, rows);
        return ebt::all_ok(rows) ? 0 : 1;
    }

    ebt::ReceiverOptions options;
    options.interface = cfg.dst_machine.interface;
    options.xdp_mode = mode;
    options.listen_address = args.value("listen") ? *args.value("listen") : "0.0.0.0";
    options.control_port = cfg.dst_machine.control_port;
    options.results_dir = cfg.results_dir;
    options.once = args.has("once");

    try {
        boost::asio::io_context io;
        ebt::ReceiverServer server(io, options);
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
