// See options.hpp.
#include "options.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>
#include <net/if.h>

#include "auth.hpp"
#include "baseline_receiver.hpp"
#include "cli.hpp"
#include "receive_modes.hpp"

namespace ebt {

namespace {

// The one option table: parsing, --help and the order the "did you mean"
// hint prefers on a tie.  The config-key flags come from the config
// schema's flag table (their help and values too).
std::vector<cli::OptionSpec> option_table() {
    const auto key = [](const char* name) { return config_flag(Program::Receiver, name); };
    return {
        {"config", true, "FILE", "YAML configuration (every key: config.yaml and docs/config.md)"},
        key("interface"),
        {"mode", true, "MODE",
         "xdp | baseline (default xdp): the one mode served (--modes MODE).\n"
         "baseline: no XDP program; a userspace receiver (recvmmsg, one UDP\n"
         "socket per thread with SO_REUSEPORT on the test's dst_machine.ip and\n"
         "dst_port) with the same accounting, to compare"},
        {"modes", true, "LIST",
         "the modes served, e.g. xdp,baseline: each test gets the one dpdk-gen\n"
         "asks for (--receiver-mode), the first when it asks for none; a mode\n"
         "not listed is refused.  --no-coordination uses the first"},
        {"recv-threads", true, "N", "when baseline is served: receive threads (default: the CPU count)"},
        key("xdp-mode"),
        {"listen", true, "ADDR",
         "address to accept dpdk-gen on (default 0.0.0.0; with --no-coordination,\n"
         "the address of the HTTP status pages)"},
        key("control-port"),
        key("results-dir"),
        {"test-action", true, "ACTION",
         "drop | pass | tx: what test packets get after counting (default drop;\n"
         "tx reflects them to the sender: MACs, IPs, ports swapped, XDP_TX)"},
        {"once", false, "", "serve one control connection (one test, or one session of trials), then\nexit (status 0 if every test completed)"},
        {"no-coordination", false, "",
         "count on its own, without dpdk-gen: traffic from any generator,\n"
         "test packets of any test id; writes DIR/receiver/test_.../"},
        {"duration", true, "S", "with --no-coordination: seconds to count (default: until SIGINT)"},
        key("name"),
        {"foreign-action", true, "A", "with --no-coordination: pass | drop packets without our header (default pass)"},
        {"foreign-tuples", true, "N",
         "with --no-coordination: count those per 5-tuple, up to N tuples (default\n"
         "1024, 0..1048576; the rest summed)"},
        {"token-file", true, "FILE",
         "shared secret for control connections (else $EBT_TOKEN); without one,\n"
         "only loopback and 198.18.0.0/15 may drive this receiver"},
        {"check-only", false, "", "print the system check table and exit 0 (all ok) or 1"},
        {"verbose", false, "", "debug detail in the log"},
        {"help", false, "", "this text"},
    };
}

// The configuration: defaults < --config < the config-key flags.
TestConfig config_from_flags(const cli::Parsed& args) {
    const std::string* config_file = args.value("config");
    return resolve_config(config_file ? *config_file : "", "", overrides_from(args, Program::Receiver));
}

// The modes served: --modes LIST, or --mode M (= --modes M), or xdp.
std::vector<ReceiveMode> served_modes(const cli::Parsed& args) {
    const auto* one = args.value("mode");
    const auto* list = args.value("modes");
    if (one && list) throw ConfigError("--mode and --modes: give one (--mode M is --modes M)");
    if (list) return parse_receive_modes("modes", *list);
    if (one) return {parse_flag_choice("mode", *one, {"xdp", "baseline"}) == 0 ? ReceiveMode::Xdp : ReceiveMode::Baseline};
    return {ReceiveMode::Xdp};
}

// Flags that apply to one mode only.
void check_flag_combinations(const cli::Parsed& args, const ReceiveSettings& s) {
    // They shape what the XDP program does; a baseline test could not honour them.
    if (s.serves(ReceiveMode::Baseline))
        for (const char* f : {"test-action", "foreign-action", "foreign-tuples"})
            if (args.value(f))
                throw ConfigError(std::string("--") + f + ": only when xdp is the only mode served (the "
                                  "baseline's sockets receive only the test's UDP port; the kernel consumes "
                                  "the packets)");
    if (!args.has("no-coordination"))
        for (const char* f : {"duration", "name", "foreign-action", "foreign-tuples"})
            if (args.value(f))
                throw ConfigError(std::string("--") + f + ": only with --no-coordination" +
                                  (std::string_view(f) == "name" ? " (dpdk-gen names a coordinated test)" : ""));
}

}  // namespace

std::string recv_usage() { return "usage: xdp-recv [options]\n" + cli::help_text(option_table(), 25); }

RecvCommandLine parse_recv_options(int argc, char** argv) {
    RecvCommandLine cl;
    const cli::Parsed args = cli::parse(argc, argv, option_table());
    if (args.has("help")) {
        cl.help = true;
        return cl;
    }
    cl.config = config_from_flags(args);
    ReceiveSettings s;
    s.interface = cl.config.dst_machine.interface;
    // The loader checked the value is one of these (auto, native, generic).
    static constexpr XdpMode kModes[] = {XdpMode::Auto, XdpMode::Native, XdpMode::Generic};
    const auto& modes = key_values("network_config.xdp_mode");
    s.xdp_mode = kModes[std::find(modes.begin(), modes.end(), cl.config.xdp_mode) - modes.begin()];
    s.results_dir = cl.config.results_dir;
    s.recv_threads = default_baseline_threads();
    if (const auto* a = args.value("test-action")) {
        static constexpr TestAction kActions[] = {TestAction::Drop, TestAction::Pass, TestAction::Tx};
        s.action = kActions[parse_flag_choice("test-action", *a, {"drop", "pass", "tx"})];
    }
    s.modes = served_modes(args);
    if (const auto* n = args.value("recv-threads")) {
        if (!s.serves(ReceiveMode::Baseline))
            throw ConfigError("--recv-threads: only when baseline is served (--mode baseline, or --modes listing it)");
        s.recv_threads = static_cast<unsigned>(parse_flag_uint("recv-threads", *n, 1, kMaxBaselineThreads, 4));
    }
    check_flag_combinations(args, s);
    StandaloneOptions& st = cl.standalone;
    if (const auto* d = args.value("duration")) st.duration_s = parse_flag_seconds("duration", *d, 1e7);
    if (const auto* a = args.value("foreign-action"))
        st.foreign_drop = parse_flag_choice("foreign-action", *a, {"pass", "drop"}) == 1;
    if (const auto* n = args.value("foreign-tuples"))
        st.foreign_tuples = static_cast<uint32_t>(parse_flag_uint("foreign-tuples", *n, 0, 1048576, 7));
    const auto* token_file = args.value("token-file");
    cl.server.token = auth::load_token(token_file ? std::optional<std::string>(*token_file) : std::nullopt);
    if (const auto* listen = args.value("listen")) {
        check_flag_ipv4("listen", *listen);
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
    st.config.name = standalone_test_name(cl.config, args.value("name") != nullptr, s.default_mode());
    return cl;
}

}  // namespace ebt
