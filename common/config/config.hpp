// The resolved test configuration: the YAML schema (config.yaml) as one C++
// struct, its loader (defaults < --config file < --preset < command-line
// flags), its validation and its command-line flags.  The same struct
// travels in the control protocol and lands in results.json, through
// to_json/config_from_json.  Each key's YAML path, type, range or allowed
// values and flag are one row of the schema table (config_schema.cpp); the
// defaults are TestConfig's member initializers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "cli.hpp"

namespace ebt {

// Any invalid configuration input.  what() is one line naming the key, flag
// or value and what was expected; mains print it and exit with status 2.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct MachineConfig {
    std::string ip;          // dotted IPv4, validated
    std::string interface;   // may be empty for src_machine
    std::string mac;         // "" = learn it (dst: from the receiver's ready message)
    uint16_t control_port = 8080;
    std::string ipv6;        // IPv6 address for traffic_config.ip_version 6, validated
    std::string receiver_mode;  // dst_machine only: "" (the receiver's default) | xdp | baseline:
                                // how xdp-recv counts this test (it must serve that mode)
};

// traffic_config.flow_spec (pktgen's range mode): one range per field, values
// start, start + step, ..., start + (count - 1) * step.  The flows are every
// combination (the product of the counts), numbered with the source port
// varying fastest, then the destination port, the source address and the
// destination address: the one definition is ebt::flow_address()
// (common/wire/packet.hpp).  An absent range is the base value alone.
struct AddrRange {
    std::string start;       // "" = the machine's address (ip, or ipv6 with ip_version 6);
                             // IPv6: the range varies the low 32 bits only
    uint32_t count = 1;      // 1..65536
    uint32_t step = 1;       // 0 only with count 1
    bool operator==(const AddrRange&) const = default;
};
struct PortRange {
    uint16_t start = 0;      // 0 = traffic_config.src_port / dst_port
    uint32_t count = 1;      // 1..65536
    uint32_t step = 1;       // 0..65535; 0 only with count 1
    bool operator==(const PortRange&) const = default;
};
struct FlowSpecConfig {
    AddrRange src_ip, dst_ip;
    PortRange src_port, dst_port;
    uint64_t flows() const { return uint64_t{src_ip.count} * dst_ip.count * src_port.count * dst_port.count; }
    bool operator==(const FlowSpecConfig&) const = default;
};

// traffic_config.vlan: one 802.1Q tag on every frame.
struct VlanConfig {
    uint16_t id = 0;         // 1..4094
    uint8_t pcp = 0;         // 0..7
    bool operator==(const VlanConfig&) const = default;
};

// One entry of traffic_config.patterns, run in sequence (the schedule:
// generator/pattern_schedule.hpp).  Rates are whole packets per second.
struct PatternConfig {
    std::string name;
    std::string type = "constant";   // constant | burst | ramp | poisson
    uint64_t burst_rate = 0;         // burst: pps while bursting
    double burst_duration = 0;       // burst: s on
    double inter_burst_gap = 0;      // burst: s silent between bursts
    uint64_t rate = 0;               // constant, poisson (mean): pps; 0 = traffic_config.packet_rate
    uint64_t from = 0, to = 0;       // ramp: pps at the start and at the end
    double over = 0;                 // ramp: s from `from` to `to`
    double duration = 0;             // s; 0 = a ramp's `over`, or (last pattern) the rest of the test
    std::optional<uint64_t> seed = std::nullopt;  // poisson: PRNG seed; dpdk-gen picks and records one if unset
};

// One entry of a frame size mix: frames of `size` bytes (without FCS) in
// proportion `weight`.
struct SizeWeight {
    uint32_t size = 0;
    uint32_t weight = 0;
    bool operator==(const SizeWeight&) const = default;
};

// The standard IMIX, 7:4:1 of 64, 570 and 1518 bytes on the wire: 60, 566
// and 1514 bytes without the 4-byte FCS (packet_size excludes the FCS).
inline const std::vector<SizeWeight> kImix = {{60, 7}, {566, 4}, {1514, 1}};

struct DiscoveryConfig {
    bool enabled = false;
    std::string method = "mdns";
    double timeout = 10;
};

struct RealTimeConfig {
    bool enabled = true;
    double update_interval = 1.0;    // s
};

struct TestConfig {
    // test_config
    std::string name = "TwoMachineTest";
    double duration_s = 60;          // > 0
    std::string results_dir = "./results";

    // traffic_config
    uint64_t packet_rate = 10000;    // pps, > 0; ignored when rate_max.  With rate_bps it is
                                     // resolved from the frame size; with rate_percent by
                                     // resolve_rate() from the link speed (0 until then)
    bool rate_max = false;           // "max": as fast as the port takes them
                                     // (loaders then reset packet_rate to its default,
                                     // so the JSON form round-trips exactly)
    double rate_bps = 0;             // > 0: the rate was given in bits/s ("5Gbps") at rate_layer
    double rate_percent = 0;         // > 0: the rate was given as % of the link speed ("40%")
    std::string rate_layer = "l1";   // l1: frame + FCS + preamble/SFD + IFG (24 B/frame more
                                     // than packet_size); l2: frame + FCS (4 B more)
    uint32_t packet_size = 1500;     // Ethernet frame bytes without FCS, 60..9000; with
                                     // size_mix: the largest size of the mix
    std::vector<SizeWeight> size_mix;  // empty: every frame is packet_size; else sizes sent
                                       // in proportion to their weights ("imix" or a list)
    bool size_imix = false;          // size_mix is the standard IMIX (kept as "imix" in JSON)
    uint32_t flows = 4;              // 1..65536; with flow_spec: its product
    std::optional<FlowSpecConfig> flow_spec;  // none: `flows` UDP source ports from src_port
    uint8_t ip_version = 4;          // 4 or 6 (addresses: network_config.*.ipv6)
    std::optional<VlanConfig> vlan;  // none: untagged
    uint32_t threads = 1;            // TX lcores, >= 1
    uint16_t src_port = 10000;       // UDP source port of flow 0; flow i uses src_port + i
    uint16_t dst_port = 9;           // UDP destination port (discard)
    std::vector<PatternConfig> patterns;

    // network_config
    // IPv6 defaults: the benchmarking prefix 2001:2::/48 (RFC 5180).
    MachineConfig src_machine{"198.18.0.1", "", "", 8080, "2001:2::1", ""};
    MachineConfig dst_machine{"198.18.0.2", "eth0", "", 8080, "2001:2::2", ""};
    std::string xdp_mode = "auto";   // auto | native | generic
    DiscoveryConfig discovery;

    // monitoring_config
    double sample_rate = 1.0;        // s between samples, > 0
    std::vector<std::string> metrics{"cpu_usage", "memory_usage", "network_stats", "xdp_stats"};
    RealTimeConfig real_time;

    // Not from YAML: where the values came from, for the results' record.
    std::string preset;              // "" when none
    std::string config_file;         // "" when none
};

// Command-line overrides, highest precedence.  Unset = not given.
struct ConfigOverrides {
    std::optional<std::string> dst_ip;
    std::optional<std::string> dst_mac;
    std::optional<std::string> rate;          // "PPS" or "max"
    std::optional<std::string> duration;      // seconds
    std::optional<std::string> size;
    std::optional<std::string> flows;
    std::optional<std::string> threads;
    std::optional<std::string> name;
    std::optional<std::string> results_dir;
    std::optional<std::string> interface;     // receiver side
    std::optional<std::string> xdp_mode;      // receiver side
    std::optional<std::string> listen;        // dst_machine.ip (no program maps it: xdp-recv's --listen
                                              // is its bind address)
    std::optional<std::string> control_port;  // both sides: dst_machine.control_port
    std::optional<std::string> receiver_mode; // generator side: dst_machine.receiver_mode
};

// ---------------------------------------------------------------- command-line flags
//
// The config-key flags come from the schema table (config_schema.cpp, flags
// in config_flags.cpp): a program's options file appends them to its own
// OptionSpecs, parses, and hands the overrides to resolve_config:
//
//   std::vector<cli::OptionSpec> specs = {{"config", true, "FILE", "YAML configuration ..."}};
//   for (auto& f : config_flags(Program::Generator)) specs.push_back(f);
//   specs.push_back({"dry-run", false, "", "print the resolved config and the plan, send nothing"});
//   const cli::Parsed args = cli::parse(argc, argv, specs);   // --help: cli::help_text(specs, 23)
//   TestConfig cfg = resolve_config(config_file, preset, overrides_from(args, Program::Generator));

enum class Program { Generator, Receiver };

// The config-key flags `program` takes (each sets one config key, checked
// as the key is), with their metavar and help text, in --help order:
//   dpdk-gen: dst-ip dst-mac rate duration size flows threads name
//             results-dir control-port receiver-mode
//   xdp-recv: interface xdp-mode control-port results-dir name
// Append them to the program's own OptionSpecs for cli::parse and
// cli::help_text.
std::vector<cli::OptionSpec> config_flags(Program program);

// One of them by name (without "--"), for a program that interleaves them
// with its own options in --help.  Throws std::out_of_range when `name` is
// not a config flag of `program`.
cli::OptionSpec config_flag(Program program, std::string_view name);

// The overrides the parsed command line gives (the config flags of
// `program` that were present), for resolve_config().
ConfigOverrides overrides_from(const cli::Parsed& args, Program program);

// The allowed values of an enumerated key, in the table's order, e.g.
// key_values("network_config.xdp_mode") == {"auto", "native", "generic"}.
// Also "traffic_config.rate_layer", "traffic_config.patterns[].type",
// "network_config.discovery.method", "traffic_config.ip_version".
// Throws std::out_of_range for a key that is not enumerated.
const std::vector<std::string>& key_values(std::string_view key);

// Value parsers for a program's own (non-config) flags.  `flag` is the
// option name without "--".  Each throws ConfigError
// "--FLAG: expected ..., got 'TEXT'" (single quotes: the receiver's own
// flags have always quoted so).
//
// Digits only, at most max_digits of them (leading zeros count), in lo..hi:
// "expected LO..HI".
uint64_t parse_flag_uint(std::string_view flag, const std::string& text, uint64_t lo, uint64_t hi,
                         std::size_t max_digits);
// A number as std::stod reads the whole text, > 0 and <= max_s:
// "expected a positive number of seconds".
double parse_flag_seconds(std::string_view flag, const std::string& text, double max_s);
// One of `values`; returns its index: "expected A, B or C".
std::size_t parse_flag_choice(std::string_view flag, const std::string& text, const std::vector<std::string>& values);
// A dotted-quad IPv4 address: "expected an IPv4 address".
void check_flag_ipv4(std::string_view flag, const std::string& text);

// Where presets/NAME.yaml are looked up: $EBT_PRESETS_DIR, then the source
// tree's presets/ (compiled in), then the installed share directory.
std::vector<std::string> preset_search_path();

// Resolves a preset name (or a path to a .yaml file) to a readable file path.
// Throws ConfigError naming the preset and the directories searched.
std::string find_preset(const std::string& name_or_path);

// Full resolution: defaults, then the config file (if not empty), then the
// preset (if not empty), then the overrides; then validate().  Throws ConfigError.
TestConfig resolve_config(const std::string& config_file, const std::string& preset,
                          const ConfigOverrides& overrides);

// Apply one YAML document (config file or preset) on top of cfg.  `origin`
// names the file in messages.  Unknown keys are errors that name the key, its
// line and the closest known key.  Throws ConfigError.
void apply_yaml_file(TestConfig& cfg, const std::string& path);
void apply_yaml_text(TestConfig& cfg, const std::string& yaml, const std::string& origin);

// Range and format checks across the whole struct.  Throws ConfigError.
void validate(const TestConfig& cfg);

// Bits one frame of `frame_len` bytes (without FCS) takes at `layer` ("l1"
// adds FCS 4, preamble+SFD 8 and IFG 12 bytes; "l2" adds FCS 4).
uint64_t frame_bits(uint32_t frame_len, const std::string& layer);

// The mean frame size (without FCS) over the size mix, or packet_size.
double mean_frame_size(const TestConfig& cfg);

// Resolves a rate given in bits/s or % of the link speed to packet_rate
// (pps, rounded to nearest: the bit rate is then exact within half a
// frame's bits per second), and checks the L1 bit rate against the link
// speed.  link_speed_mbps: nullopt = no port yet (resolve_config: a % rate
// stays unresolved, nothing is checked); 0 = the port does not know (a %
// rate is an error, other rates are not checked).  Throws ConfigError
// naming traffic_config.packet_rate.
void resolve_rate(TestConfig& cfg, std::optional<uint64_t> link_speed_mbps);
// A rate as --rate takes it ("max", "40%", "2Gbps", "1Mpps", "10000") into
// cfg's rate fields, unresolved; false when the text is none of these.
bool set_rate_text(TestConfig& cfg, const std::string& text);

// Helpers shared by validation and the packet builder.
bool parse_ipv4(const std::string& text, uint32_t& host_order_out);
bool parse_mac(const std::string& text, uint8_t out[6]);
bool parse_ipv6(const std::string& text, std::array<uint8_t, 16>& out);

// The smallest frame (without FCS) that holds the test header in the
// configured layout: 60 for IPv4, +20 for IPv6, +4 with a VLAN tag.
uint32_t min_packet_size(const TestConfig& cfg);

// flow_spec with every default filled in (starts from the machines'
// addresses for ip_version and from src_port/dst_port); a single-value
// spec when the config has none.  to_json writes this form.
FlowSpecConfig resolved_flow_spec(const TestConfig& cfg);

// JSON form (the control protocol's configure message and results.json "config").
boost::json::object to_json(const TestConfig& cfg);
// Inverse of to_json; validates the result.  Throws ConfigError.
TestConfig config_from_json(const boost::json::value& v);

}  // namespace ebt
