// The config-key flags: one row per flag, naming the key it sets (the key's
// row in config_schema.cpp checks and sets the value), its metavar and its
// help text in each program.  Also the value parsers for the programs' own
// flags.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "config.hpp"
#include "config_schema.hpp"
#include "config_text.hpp"

namespace ebt {
namespace config_detail {
namespace {

struct FlagDef {
    const char* name;        // without "--"
    const char* key;         // the config key it sets
    std::optional<std::string> ConfigOverrides::* field;
    const char* metavar;
    // --help text per program; nullptr: not a flag of that program.  "{key}"
    // is the key, "{default}" its default, "{values}" its values ("a | b").
    const char* gen_help;
    const char* recv_help;
    void (*after)(const TestConfig&) = nullptr;   // a check once the value is set
};

// `--flows` beside a flow_spec must be its product.
void flows_match_flow_spec(const TestConfig& cfg) {
    if (cfg.flow_spec && cfg.flows != cfg.flow_spec->flows())
        throw ConfigError("--flows: " + flows_conflict(cfg.flows, *cfg.flow_spec));
}

// In the order they are applied (the first bad flag is the one reported).
const std::vector<FlagDef>& flags() {
    static const std::vector<FlagDef> table = {
        {"dst-ip", "network_config.dst_machine.ip", &ConfigOverrides::dst_ip, "IP",
         "receiver address ({key})", nullptr},
        {"dst-mac", "network_config.dst_machine.mac", &ConfigOverrides::dst_mac, "MAC",
         "destination MAC (default: the receiver's, learned over the control connection)", nullptr},
        {"rate", "traffic_config.packet_rate", &ConfigOverrides::rate, "RATE",
         "10000 or 10kpps (packets/s), 500Mbps or 5Gbps (bits/s at\n"
         "traffic_config.rate_layer, default l1), 40% (of the link speed), or max",
         nullptr},
        {"duration", "test_config.duration", &ConfigOverrides::duration, "S", "seconds of traffic", nullptr},
        {"size", "traffic_config.packet_size", &ConfigOverrides::size, "B|MIX",
         "Ethernet frame bytes without FCS, 60..9000; imix (7:4:1 of 60, 566,\n"
         "1514); or a weighted list SIZE:WEIGHT,... (e.g. 60:7,566:4,1514:1)",
         nullptr},
        {"flows", "traffic_config.flows", &ConfigOverrides::flows, "N",
         "flows (UDP source ports from traffic_config.src_port), 1..65536", nullptr, flows_match_flow_spec},
        {"threads", "traffic_config.threads", &ConfigOverrides::threads, "N",
         "TX lcores (EAL must give N worker lcores, e.g. -l 0-N)", nullptr},
        {"name", "test_config.name", &ConfigOverrides::name, "NAME", "test name (results directory suffix)",
         "with --no-coordination: test name (results directory suffix; default\n"
         "test_config.name when the config sets one, else standalone_xdp or\n"
         "standalone_baseline after the mode: --mode, or the first of --modes)"},
        {"results-dir", "test_config.results_dir", &ConfigOverrides::results_dir, "DIR",
         "results root (default {default})",
         "results root (default {default}; this side writes DIR/receiver/...)"},
        {"interface", "network_config.dst_machine.interface", &ConfigOverrides::interface, "IF", nullptr,
         "interface to attach the XDP program to ({key})"},
        {"xdp-mode", "network_config.xdp_mode", &ConfigOverrides::xdp_mode, "MODE", nullptr,
         "{values} (default {default}: native where the driver has it)"},
        // The receiver's --listen is its bind address, not this key: no program maps it.
        {"listen", "network_config.dst_machine.ip", &ConfigOverrides::listen, "ADDR", nullptr, nullptr},
        {"control-port", "network_config.dst_machine.control_port", &ConfigOverrides::control_port, "N",
         "xdp-recv's control port ({key})",
         "TCP control port ({key}, default {default});\n"
         "it serves HTTP /health /status /metrics too (with --no-coordination,\n"
         "only those)"},
        {"receiver-mode", "network_config.dst_machine.receiver_mode", &ConfigOverrides::receiver_mode, "MODE",
         "xdp | baseline: how xdp-recv counts this test\n"
         "({key}; default: the receiver's\n"
         "first --modes); a mode it does not serve is refused",
         nullptr},
    };
    return table;
}

std::string scalar_text(const Scalar& v) {
    if (const auto* u = std::get_if<uint64_t>(&v)) return std::to_string(*u);
    if (const auto* d = std::get_if<double>(&v)) return num_text(*d);
    if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    return std::get<std::string>(v);
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
}

std::string help_of(const FlagDef& f, const char* help) {
    const KeyDef& k = key_def(f.key);
    std::string out = help;
    replace_all(out, "{key}", k.path);
    if (k.get) replace_all(out, "{default}", scalar_text(k.get(TestConfig{})));
    std::string values;
    for (const auto& v : k.values) values += (values.empty() ? "" : " | ") + v;
    replace_all(out, "{values}", values);
    return out;
}

const char* help_in(const FlagDef& f, Program p) { return p == Program::Generator ? f.gen_help : f.recv_help; }

// A flag's text as its key's value; ConfigError "--FLAG: EXPECTED, got "TEXT"".
void set_from_text(const KeyDef& k, const std::string& flag, const std::string& text, TestConfig& cfg) {
    auto bad = [&]() { throw ConfigError(flag + ": " + k.expect_text() + ", got " + quoted(text)); };
    switch (k.type) {
    case KeyType::Uint: {
        uint64_t u;
        if (!parse_uint_text(text, u) || u < k.lo || u > k.hi || (!k.values.empty() && !k.allows(text))) bad();
        return k.set(cfg, u);
    }
    case KeyType::Seconds: {
        double d;
        if (!parse_double_text(text, d) || d <= 0) bad();
        return k.set(cfg, d);
    }
    case KeyType::Bool:
        if (text != "true" && text != "false") bad();
        return k.set(cfg, text == "true");
    case KeyType::String:
        if (k.valid && !k.valid(text)) bad();
        return k.set(cfg, text);
    case KeyType::Enum:
        if (!k.allows(text)) bad();
        return k.set(cfg, text);
    case KeyType::Custom:
        if (!k.from_text || !k.from_text(text, cfg)) bad();
        return;
    }
}

[[noreturn]] void flag_fail(std::string_view flag, const std::string& expect, const std::string& text) {
    throw ConfigError("--" + std::string(flag) + ": " + expect + ", got '" + text + "'");
}

}  // namespace

void apply_flags(TestConfig& cfg, const ConfigOverrides& o) {
    for (const FlagDef& f : flags()) {
        const std::optional<std::string>& text = o.*f.field;
        if (!text) continue;
        set_from_text(key_def(f.key), std::string("--") + f.name, *text, cfg);
        if (f.after) f.after(cfg);
    }
}

}  // namespace config_detail

using namespace config_detail;

std::vector<cli::OptionSpec> config_flags(Program program) {
    std::vector<cli::OptionSpec> out;
    for (const FlagDef& f : flags())
        if (const char* help = help_in(f, program)) out.push_back({f.name, true, f.metavar, help_of(f, help)});
    return out;
}

cli::OptionSpec config_flag(Program program, std::string_view name) {
    for (auto& spec : config_flags(program))
        if (spec.name == name) return spec;
    throw std::out_of_range("no config flag --" + std::string(name));
}

ConfigOverrides overrides_from(const cli::Parsed& args, Program program) {
    ConfigOverrides o;
    for (const FlagDef& f : flags())
        if (help_in(f, program))
            if (const std::string* v = args.value(f.name)) o.*f.field = *v;
    return o;
}

const std::vector<std::string>& key_values(std::string_view key) {
    const KeyDef& k = key_def(key);
    if (k.values.empty()) throw std::out_of_range("config key " + std::string(key) + " is not enumerated");
    return k.values;
}

uint64_t parse_flag_uint(std::string_view flag, const std::string& text, uint64_t lo, uint64_t hi,
                         std::size_t max_digits) {
    uint64_t v = 0;
    if (text.size() > max_digits || !parse_uint_text(text, v) || v < lo || v > hi)
        flag_fail(flag, "expected " + std::to_string(lo) + ".." + std::to_string(hi), text);
    return v;
}

double parse_flag_seconds(std::string_view flag, const std::string& text, double max_s) {
    size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || !(v > 0) || v > max_s) flag_fail(flag, kExpectSeconds, text);
    return v;
}

std::size_t parse_flag_choice(std::string_view flag, const std::string& text, const std::vector<std::string>& values) {
    const auto it = std::find(values.begin(), values.end(), text);
    if (it != values.end()) return static_cast<std::size_t>(it - values.begin());
    std::string expect = "expected ";
    for (size_t i = 0; i < values.size(); ++i)
        expect += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + values[i];
    flag_fail(flag, expect, text);
}

void check_flag_ipv4(std::string_view flag, const std::string& text) {
    if (!valid_ipv4(text)) flag_fail(flag, "expected an IPv4 address", text);
}

}  // namespace ebt
