// See options.hpp.
#include "options.hpp"

#include <charconv>
#include <optional>
#include <string_view>
#include <utility>
#include <net/if.h>

#include "auth.hpp"
#include "baseline_receiver.hpp"
#include "cli.hpp"

namespace ebt {

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

// Every flag, in the order the "did you mean" hint prefers on a tie.
const std::vector<cli::OptionSpec> kFlags = {
    {"config", true},        {"interface", true},    {"xdp-mode", true},      {"mode", true},
    {"recv-threads", true},  {"listen", true},       {"control-port", true},  {"results-dir", true},
    {"test-action", true},   {"once", false},        {"no-coordination", false}, {"duration", true},
    {"name", true},          {"foreign-action", true}, {"foreign-tuples", true}, {"check-only", false},
    {"token-file", true},    {"verbose", false},     {"help", false}};

// ---------------------------------------------------------------- config keys
// The flags that set a configuration key (ConfigOverrides, then
// resolve_config) and the xdp_mode values: kept together here, for the
// config schema's flag table to take over.
struct ConfigFromFlags {
    TestConfig config;
    XdpMode xdp_mode = XdpMode::Auto;
};

ConfigFromFlags config_from_flags(const cli::Parsed& args) {
    ConfigOverrides o;
    for (auto [flag, into] : {std::pair{"interface", &o.interface}, std::pair{"xdp-mode", &o.xdp_mode},
                              std::pair{"control-port", &o.control_port}, std::pair{"results-dir", &o.results_dir},
                              std::pair{"name", &o.name}})
        if (const auto* v = args.value(flag)) *into = *v;
    const std::string* config_file = args.value("config");
    ConfigFromFlags out{resolve_config(config_file ? *config_file : "", "", o)};
    // The values were validated by the config loader (auto, native, generic).
    if (out.config.xdp_mode == "native") out.xdp_mode = XdpMode::Native;
    else if (out.config.xdp_mode == "generic") out.xdp_mode = XdpMode::Generic;
    return out;
}

// ---------------------------------------------------------------- the others

// A whole number of at most max_digits digits (no sign, no spaces).
std::optional<uint64_t> whole_number(const std::string& s, std::size_t max_digits) {
    uint64_t v = 0;
    if (s.empty() || s.size() > max_digits) return std::nullopt;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

// --duration: a positive number of seconds, at most 1e7.
double duration_seconds(const std::string& d) {
    size_t used = 0;
    double v = 0;
    try {
        v = std::stod(d, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != d.size() || !(v > 0) || v > 1e7)
        throw ConfigError("--duration: expected a positive number of seconds, got '" + d + "'");
    return v;
}

// Flags that apply to one mode only.
void check_flag_combinations(const cli::Parsed& args, ReceiveMode mode) {
    if (mode == ReceiveMode::Baseline)
        for (const char* f : {"test-action", "foreign-action", "foreign-tuples"})
            if (args.value(f))
                throw ConfigError(std::string("--") + f + ": only with --mode xdp (the baseline's sockets "
                                  "receive only the test's UDP port; the kernel consumes the packets)");
    if (!args.has("no-coordination"))
        for (const char* f : {"duration", "name", "foreign-action", "foreign-tuples"})
            if (args.value(f))
                throw ConfigError(std::string("--") + f + ": only with --no-coordination" +
                                  (std::string_view(f) == "name" ? " (dpdk-gen names a coordinated test)" : ""));
}

}  // namespace

const char* recv_usage() { return kUsage; }

RecvCommandLine parse_recv_options(int argc, char** argv) {
    RecvCommandLine cl;
    const cli::Parsed args = cli::parse(argc, argv, kFlags);
    if (args.has("help")) {
        cl.help = true;
        return cl;
    }
    const ConfigFromFlags keys = config_from_flags(args);
    cl.config = keys.config;
    ReceiveSettings s;
    s.interface = cl.config.dst_machine.interface;
    s.xdp_mode = keys.xdp_mode;
    s.results_dir = cl.config.results_dir;
    s.recv_threads = default_baseline_threads();
    if (const auto* a = args.value("test-action")) {
        if (*a == "drop") s.action = TestAction::Drop;
        else if (*a == "pass") s.action = TestAction::Pass;
        else if (*a == "tx") s.action = TestAction::Tx;
        else throw ConfigError("--test-action: expected drop, pass or tx, got '" + *a + "'");
    }
    if (const auto* m = args.value("mode")) {
        if (*m == "xdp") s.mode = ReceiveMode::Xdp;
        else if (*m == "baseline") s.mode = ReceiveMode::Baseline;
        else throw ConfigError("--mode: expected xdp or baseline, got '" + *m + "'");
    }
    if (const auto* n = args.value("recv-threads")) {
        if (s.mode != ReceiveMode::Baseline) throw ConfigError("--recv-threads: only with --mode baseline");
        const auto v = whole_number(*n, 4);
        if (!v || *v < 1 || *v > kMaxBaselineThreads)
            throw ConfigError("--recv-threads: expected 1.." + std::to_string(kMaxBaselineThreads) + ", got '" +
                              *n + "'");
        s.recv_threads = static_cast<unsigned>(*v);
    }
    check_flag_combinations(args, s.mode);
    StandaloneOptions& st = cl.standalone;
    if (const auto* d = args.value("duration")) st.duration_s = duration_seconds(*d);
    if (const auto* a = args.value("foreign-action")) {
        if (*a != "pass" && *a != "drop")
            throw ConfigError("--foreign-action: expected pass or drop, got '" + *a + "'");
        st.foreign_drop = *a == "drop";
    }
    if (const auto* n = args.value("foreign-tuples")) {
        const auto v = whole_number(*n, 7);
        if (!v || *v > 1048576) throw ConfigError("--foreign-tuples: expected 0..1048576, got '" + *n + "'");
        st.foreign_tuples = static_cast<uint32_t>(*v);
    }
    const auto* token_file = args.value("token-file");
    cl.server.token = auth::load_token(token_file ? std::optional<std::string>(*token_file) : std::nullopt);
    if (const auto* listen = args.value("listen")) {
        uint32_t ip = 0;
        if (!parse_ipv4(*listen, ip))
            throw ConfigError("--listen: expected an IPv4 address, got '" + *listen + "'");
        cl.server.listen_address = *listen;
    }
    if (if_nametoindex(s.interface.c_str()) == 0)
        throw ConfigError("network_config.dst_machine.interface: no interface '" + s.interface +
                          "' on this machine (set it or pass --interface)");

    cl.check_only = args.has("check-only");
    cl.verbose = args.has("verbose");
    cl.no_coordination = args.has("no-coordination");
    static_cast<ReceiveSettings&>(cl.server) = s;
    cl.server.control_port = cl.config.dst_machine.control_port;
    cl.server.once = args.has("once");
    static_cast<ReceiveSettings&>(st) = s;
    st.config = cl.config;
    st.config.name = standalone_test_name(cl.config, args.value("name") != nullptr, s.mode);
    return cl;
}

}  // namespace ebt
