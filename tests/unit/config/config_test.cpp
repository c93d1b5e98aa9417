// Config loading, precedence, validation messages and the JSON form.
// Runs with cwd = repo root and EBT_PRESETS_DIR = <repo>/presets.
#include "config.hpp"
#include "frame_spec.hpp"
#include "packet.hpp"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "temp_dir.hpp"  // tests/support

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace ebt;

namespace {

// A fresh directory, removed with everything in it.
struct TempDir : ebt::test::TempDir {
    TempDir() : ebt::test::TempDir("ebt_config_test.") {}
};

// The error message of f(), or "" when it did not throw ConfigError.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

std::string yaml_error(const std::string& text, const std::string& origin = "config.yaml") {
    return error_of([&] {
        TestConfig cfg;
        apply_yaml_text(cfg, text, origin);
    });
}

// Asserts the message exists, is one line and contains every fragment.
void expect_msg(const std::string& msg, std::initializer_list<std::string> parts) {
    ASSERT_FALSE(msg.empty()) << "expected a ConfigError";
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "missing '" << p << "' in: " << msg;
}

TestConfig from_yaml(const std::string& text) {
    TestConfig cfg;
    apply_yaml_text(cfg, text, "test.yaml");
    return cfg;
}

}  // namespace

// ---------------------------------------------------------------- defaults and presets

TEST(ConfigDefaults, BuiltInValues) {
    TestConfig c = resolve_config("", "", {});
    EXPECT_EQ(c.name, "TwoMachineTest");
    EXPECT_EQ(c.duration_s, 60);
    EXPECT_EQ(c.results_dir, "./results");
    EXPECT_EQ(c.packet_rate, 10000u);
    EXPECT_FALSE(c.rate_max);
    EXPECT_EQ(c.packet_size, 1500u);
    EXPECT_EQ(c.flows, 4u);
    EXPECT_EQ(c.threads, 1u);
    EXPECT_EQ(c.src_port, 10000);
    EXPECT_EQ(c.dst_port, 9);
    EXPECT_TRUE(c.patterns.empty());
    EXPECT_EQ(c.src_machine.ip, "198.18.0.1");
    EXPECT_EQ(c.dst_machine.ip, "198.18.0.2");
    EXPECT_EQ(c.dst_machine.interface, "eth0");
    EXPECT_EQ(c.dst_machine.mac, "");
    EXPECT_EQ(c.dst_machine.control_port, 8080);
    EXPECT_EQ(c.dst_machine.receiver_mode, "");  // the receiver's own default
    EXPECT_EQ(c.xdp_mode, "auto");
    EXPECT_FALSE(c.discovery.enabled);
    EXPECT_EQ(c.discovery.method, "mdns");
    EXPECT_EQ(c.discovery.timeout, 10);
    EXPECT_EQ(c.sample_rate, 1.0);
    EXPECT_EQ(c.metrics, (std::vector<std::string>{"cpu_usage", "memory_usage", "network_stats", "xdp_stats"}));
    EXPECT_TRUE(c.real_time.enabled);
    EXPECT_EQ(c.real_time.update_interval, 1.0);
    EXPECT_EQ(c.preset, "");
    EXPECT_EQ(c.config_file, "");
}

TEST(ConfigDefaults, ShippedTemplateMatchesBuiltIns) {
    TestConfig c = resolve_config("config.yaml", "", {});
    TestConfig d;
    d.config_file = "config.yaml";
    EXPECT_EQ(json::serialize(to_json(c)), json::serialize(to_json(d)));
}

TEST(ConfigPresets, QuickTest) {
    TestConfig c = resolve_config("", "quick_test", {});
    EXPECT_EQ(c.duration_s, 30);
    EXPECT_EQ(c.packet_rate, 1000u);
    EXPECT_EQ(c.name, "QuickTest");
    EXPECT_EQ(c.preset, "quick_test");
    EXPECT_EQ(c.packet_size, 1500u);   // untouched keys keep the defaults
}

TEST(ConfigPresets, PerformanceTest) {
    TestConfig c = resolve_config("", "performance_test", {});
    EXPECT_EQ(c.duration_s, 120);
    EXPECT_EQ(c.packet_rate, 50000u);
    EXPECT_EQ(c.name, "PerformanceTest");
}

TEST(ConfigPresets, StressTest) {
    TestConfig c = resolve_config("", "stress_test", {});
    EXPECT_EQ(c.duration_s, 300);
    EXPECT_EQ(c.packet_rate, 100000u);
    EXPECT_EQ(c.name, "StressTest");
}

TEST(ConfigPresets, SearchPathOrder) {
    auto dirs = preset_search_path();
    const char* env = std::getenv("EBT_PRESETS_DIR");
    std::vector<std::string> want;
    if (env != nullptr && *env != '\0') want.emplace_back(env);
    want.push_back(std::string(EBT_SOURCE_DIR) + "/presets");
    want.push_back("/usr/local/share/ebpf-test/presets");
    EXPECT_EQ(dirs, want);
}

TEST(ConfigPresets, FindByNameAndPath) {
    EXPECT_EQ(find_preset("quick_test"), preset_search_path()[0] + "/quick_test.yaml");
    EXPECT_EQ(find_preset("presets/stress_test.yaml"), "presets/stress_test.yaml");
    TempDir dir;
    std::string p = dir.write("mine.yml", "traffic_config: {flows: 7}\n");
    EXPECT_EQ(find_preset(p), p);
    EXPECT_EQ(resolve_config("", p, {}).flows, 7u);
}

TEST(ConfigPresets, UnknownPresetNamesDirsAndAvailable) {
    std::string msg = error_of([] { find_preset("quick_tset"); });
    expect_msg(msg, {"'quick_tset'", preset_search_path()[0], "/usr/local/share/ebpf-test/presets",
                     "performance_test", "quick_test", "stress_test", "did you mean 'quick_test'"});
    expect_msg(error_of([] { find_preset("nope/missing.yaml"); }), {"nope/missing.yaml"});
}

// ---------------------------------------------------------------- precedence

TEST(ConfigPrecedence, DefaultsFilePresetOverrides) {
    TempDir dir;
    std::string file = dir.write("cfg.yaml",
                                 "test_config:\n  duration: 45\n  name: FromFile\n"
                                 "traffic_config:\n  packet_rate: 2222\n  flows: 16\n  packet_size: 512\n");
    // file over defaults
    TestConfig a = resolve_config(file, "", {});
    EXPECT_EQ(a.duration_s, 45);
    EXPECT_EQ(a.packet_rate, 2222u);
    EXPECT_EQ(a.flows, 16u);
    EXPECT_EQ(a.name, "FromFile");
    EXPECT_EQ(a.config_file, file);

    // preset over file; file keys the preset leaves alone survive
    TestConfig b = resolve_config(file, "quick_test", {});
    EXPECT_EQ(b.duration_s, 30);
    EXPECT_EQ(b.packet_rate, 1000u);
    EXPECT_EQ(b.name, "QuickTest");
    EXPECT_EQ(b.flows, 16u);
    EXPECT_EQ(b.packet_size, 512u);
    EXPECT_EQ(b.dst_port, 9);
    EXPECT_EQ(b.preset, "quick_test");
    EXPECT_EQ(b.config_file, file);

    // overrides over everything
    ConfigOverrides o;
    o.rate = "777";
    o.flows = "3";
    o.duration = "2.5";
    TestConfig c = resolve_config(file, "quick_test", o);
    EXPECT_EQ(c.packet_rate, 777u);
    EXPECT_EQ(c.flows, 3u);
    EXPECT_EQ(c.duration_s, 2.5);
    EXPECT_EQ(c.packet_size, 512u);
    EXPECT_EQ(c.name, "QuickTest");
}

TEST(ConfigPrecedence, EveryOverrideMaps) {
    ConfigOverrides o;
    o.dst_ip = "10.0.0.2";
    o.dst_mac = "02:00:00:AA:bb:01";
    o.rate = "max";
    o.duration = "10";
    o.size = "64";
    o.flows = "65536";
    o.threads = "8";
    o.name = "Run1";
    o.results_dir = "/tmp/r";
    o.interface = "enp1s0f0";
    o.xdp_mode = "native";
    o.control_port = "9090";
    o.receiver_mode = "baseline";
    TestConfig c = resolve_config("", "", o);
    EXPECT_EQ(c.dst_machine.ip, "10.0.0.2");
    EXPECT_EQ(c.dst_machine.mac, "02:00:00:AA:bb:01");
    EXPECT_TRUE(c.rate_max);
    EXPECT_EQ(c.duration_s, 10);
    EXPECT_EQ(c.packet_size, 64u);
    EXPECT_EQ(c.flows, 65536u);
    EXPECT_EQ(c.threads, 8u);
    EXPECT_EQ(c.name, "Run1");
    EXPECT_EQ(c.results_dir, "/tmp/r");
    EXPECT_EQ(c.dst_machine.interface, "enp1s0f0");
    EXPECT_EQ(c.xdp_mode, "native");
    EXPECT_EQ(c.dst_machine.control_port, 9090);
    EXPECT_EQ(c.dst_machine.receiver_mode, "baseline");

    ConfigOverrides l;
    l.listen = "192.168.1.5";
    EXPECT_EQ(resolve_config("", "", l).dst_machine.ip, "192.168.1.5");
}

TEST(ConfigPrecedence, FailedDocumentLeavesConfigUntouched) {
    TestConfig cfg;
    EXPECT_THROW(apply_yaml_text(cfg, "traffic_config:\n  flows: 9\n  packet_size: 10\n", "x.yaml"), ConfigError);
    EXPECT_EQ(cfg.flows, 4u);
}

// ---------------------------------------------------------------- YAML content

TEST(ConfigYaml, FullSchemaParses) {
    TestConfig c = from_yaml(R"(
test_config: {name: 2024, duration: 1.5, results_dir: out}
traffic_config:
  packet_rate: 2kpps
  packet_size: 60
  flows: 1
  threads: 64
  src_port: 65535
  dst_port: 1
  patterns:
    - {name: "burst_pattern", type: "burst", burst_rate: 50000, burst_duration: 0.25, inter_burst_gap: 2, duration: 1}
    - {name: steady, type: constant}
network_config:
  src_machine: {ip: 10.1.1.1, interface: "", mac: "", control_port: 1}
  dst_machine: {ip: "10.1.1.2", interface: veth0, mac: "aa:bb:cc:dd:ee:ff", control_port: 65535}
  xdp_mode: generic
  discovery: {enabled: true, method: mdns, timeout: 2}
monitoring_config:
  sample_rate: 0.25
  metrics: [cpu_usage]
  real_time: {enabled: false, update_interval: 3}
)");
    EXPECT_EQ(c.name, "2024");
    EXPECT_EQ(c.duration_s, 1.5);
    EXPECT_EQ(c.results_dir, "out");
    EXPECT_FALSE(c.rate_max);
    EXPECT_EQ(c.packet_rate, 2000u);
    EXPECT_EQ(c.packet_size, 60u);
    EXPECT_EQ(c.threads, 64u);
    EXPECT_EQ(c.src_port, 65535);
    EXPECT_EQ(c.dst_port, 1);
    ASSERT_EQ(c.patterns.size(), 2u);
    EXPECT_EQ(c.patterns[0].name, "burst_pattern");
    EXPECT_EQ(c.patterns[0].type, "burst");
    EXPECT_EQ(c.patterns[0].burst_rate, 50000);
    EXPECT_EQ(c.patterns[0].burst_duration, 0.25);
    EXPECT_EQ(c.patterns[0].inter_burst_gap, 2);
    EXPECT_EQ(c.patterns[0].duration, 1);
    EXPECT_EQ(c.patterns[1].type, "constant");
    EXPECT_EQ(c.src_machine.ip, "10.1.1.1");
    EXPECT_EQ(c.src_machine.control_port, 1);
    EXPECT_EQ(c.dst_machine.interface, "veth0");
    EXPECT_EQ(c.dst_machine.mac, "aa:bb:cc:dd:ee:ff");
    EXPECT_EQ(c.xdp_mode, "generic");
    EXPECT_TRUE(c.discovery.enabled);
    EXPECT_EQ(c.discovery.timeout, 2);
    EXPECT_EQ(c.sample_rate, 0.25);
    EXPECT_EQ(c.metrics, std::vector<std::string>{"cpu_usage"});
    EXPECT_FALSE(c.real_time.enabled);
    EXPECT_EQ(c.real_time.update_interval, 3);
    EXPECT_NO_THROW(validate(c));
}

TEST(ConfigYaml, EmptyAndCommentOnlyDocumentsChangeNothing) {
    TempDir dir;
    std::string empty = dir.write("empty.yaml", "");
    std::string comments = dir.write("comments.yaml", "# nothing here\n\n");
    TestConfig c;
    apply_yaml_file(c, empty);
    apply_yaml_file(c, comments);
    apply_yaml_text(c, "test_config:\n  # all commented out\n", "x.yaml");
    EXPECT_EQ(json::serialize(to_json(c)), json::serialize(to_json(TestConfig{})));
}

TEST(ConfigYaml, RateNumberAfterMaxClearsMax) {
    TestConfig c = from_yaml("traffic_config: {packet_rate: max}\n");
    EXPECT_TRUE(c.rate_max);
    apply_yaml_text(c, "traffic_config: {packet_rate: 5}\n", "b.yaml");
    EXPECT_FALSE(c.rate_max);
    EXPECT_EQ(c.packet_rate, 5u);
}

// ---------------------------------------------------------------- YAML errors

TEST(ConfigYamlErrors, UnknownKeyWithHintAndLine) {
    std::string msg = yaml_error("# header\n\ntest_config:\n  name: x\n\ntraffic_config:\n  packet_rte: 5\n");
    EXPECT_EQ(msg, "config.yaml:7: unknown key 'traffic_config.packet_rte' (did you mean 'packet_rate'?)");
}

TEST(ConfigYamlErrors, UnknownTopLevelAndNestedKeys) {
    expect_msg(yaml_error("trafic_config: {}\n"), {"config.yaml:1:", "'trafic_config'", "did you mean 'traffic_config'"});
    expect_msg(yaml_error("network_config:\n  dst_machine:\n    macc: \"\"\n"),
               {"config.yaml:3:", "'network_config.dst_machine.macc'", "did you mean 'mac'"});
    expect_msg(yaml_error("traffic_config:\n  patterns:\n    - {name: a, typ: burst}\n"),
               {"config.yaml:3:", "'traffic_config.patterns[0].typ'", "did you mean 'type'"});
}

TEST(ConfigYamlErrors, UnknownKeyFarFromAnythingHasNoHint) {
    std::string msg = yaml_error("monitoring_config:\n  zzzzzzzzzzzz: 1\n");
    EXPECT_EQ(msg, "config.yaml:2: unknown key 'monitoring_config.zzzzzzzzzzzz'");
}

TEST(ConfigYamlErrors, DuplicateKey) {
    expect_msg(yaml_error("traffic_config:\n  flows: 2\n  flows: 3\n"), {"config.yaml:3:", "traffic_config.flows", "duplicate"});
}

TEST(ConfigYamlErrors, WrongTypes) {
    expect_msg(yaml_error("traffic_config:\n  packet_size: {a: 1}\n"),
               {"config.yaml:2:", "traffic_config.packet_size", "expected a frame size", "got a map"});
    expect_msg(yaml_error("traffic_config:\n  flows: 1.5\n"), {"config.yaml:2:", "traffic_config.flows", "got 1.5"});
    expect_msg(yaml_error("traffic_config:\n  packet_size: abc\n"), {"config.yaml:2:", "traffic_config.packet_size", "got \"abc\""});
    expect_msg(yaml_error("traffic_config:\n  packet_size: \"1500\"\n"), {"config.yaml:2:", "traffic_config.packet_size", "got the string \"1500\""});
    expect_msg(yaml_error("network_config:\n  src_machine: [1, 2]\n"),
               {"config.yaml:2:", "network_config.src_machine", "expected a map", "got a list"});
    expect_msg(yaml_error("test_config: 5\n"), {"config.yaml:1:", "test_config", "expected a map", "got 5"});
    expect_msg(yaml_error("network_config:\n  discovery:\n    enabled: yes\n"),
               {"config.yaml:3:", "network_config.discovery.enabled", "expected true or false", "got \"yes\""});
    expect_msg(yaml_error("test_config:\n  duration: [1]\n"), {"config.yaml:2:", "test_config.duration", "got a list"});
    expect_msg(yaml_error("test_config:\n  name: {a: b}\n"), {"config.yaml:2:", "test_config.name", "expected a string"});
    expect_msg(yaml_error("traffic_config:\n  patterns: {a: 1}\n"), {"config.yaml:2:", "traffic_config.patterns", "expected a list"});
    expect_msg(yaml_error("traffic_config:\n  patterns:\n    - 5\n"), {"config.yaml:3:", "traffic_config.patterns[0]", "expected a map"});
    expect_msg(yaml_error("traffic_config:\n  flows:\n"), {"config.yaml:2:", "traffic_config.flows", "got null"});
    expect_msg(yaml_error("monitoring_config:\n  metrics: [cpu_usage, [x]]\n"), {"config.yaml:2:", "monitoring_config.metrics[1]"});
}

TEST(ConfigYamlErrors, IntegersAreStrict) {
    expect_msg(yaml_error("traffic_config:\n  flows: -3\n"), {"config.yaml:2:", "traffic_config.flows", "got -3"});
    expect_msg(yaml_error("traffic_config:\n  packet_rate: 99999999999999999999999\n"),
               {"config.yaml:2:", "traffic_config.packet_rate", "got 99999999999999999999999"});
    expect_msg(yaml_error("traffic_config:\n  packet_size: 1e3\n"), {"traffic_config.packet_size", "got 1e3"});
    expect_msg(yaml_error("traffic_config:\n  dst_port: 0x10\n"), {"traffic_config.dst_port"});
}

TEST(ConfigYamlErrors, OutOfRange) {
    struct Case { const char* yaml; const char* key; const char* got; };
    const Case cases[] = {
        {"traffic_config:\n  packet_rate: 0\n", "traffic_config.packet_rate", "got 0"},
        {"traffic_config:\n  packet_rate: fast\n", "traffic_config.packet_rate", "got \"fast\""},
        {"traffic_config:\n  packet_size: 59\n", "traffic_config.packet_size", "got 59"},
        {"traffic_config:\n  packet_size: 9001\n", "traffic_config.packet_size", "got 9001"},
        {"traffic_config:\n  flows: 0\n", "traffic_config.flows", "got 0"},
        {"traffic_config:\n  flows: 65537\n", "traffic_config.flows", "got 65537"},
        {"traffic_config:\n  threads: 0\n", "traffic_config.threads", "got 0"},
        {"traffic_config:\n  threads: 65\n", "traffic_config.threads", "got 65"},
        {"traffic_config:\n  src_port: 0\n", "traffic_config.src_port", "got 0"},
        {"traffic_config:\n  dst_port: 65536\n", "traffic_config.dst_port", "got 65536"},
        {"test_config:\n  duration: 0\n", "test_config.duration", "got 0"},
        {"test_config:\n  duration: -1.5\n", "test_config.duration", "got -1.5"},
        {"monitoring_config:\n  sample_rate: 0\n", "monitoring_config.sample_rate", "got 0"},
        {"monitoring_config:\n  real_time:\n\n    update_interval: 0.0\n", "monitoring_config.real_time.update_interval", "got 0.0"},
        {"network_config:\n  dst_machine:\n    ip: 1.2.3.256\n", "network_config.dst_machine.ip", "got \"1.2.3.256\""},
        {"network_config:\n  dst_machine:\n    ip: \" 1.2.3.4\"\n", "network_config.dst_machine.ip", "got \" 1.2.3.4\""},
        {"network_config:\n  src_machine:\n    ip: 1.2.3\n", "network_config.src_machine.ip", "got \"1.2.3\""},
        {"network_config:\n  dst_machine:\n    mac: \"aa:bb:cc:dd:ee\"\n", "network_config.dst_machine.mac", "got \"aa:bb:cc:dd:ee\""},
        {"network_config:\n  dst_machine:\n    mac: aa-bb-cc-dd-ee-ff\n", "network_config.dst_machine.mac", "got \"aa-bb-cc-dd-ee-ff\""},
        {"network_config:\n  dst_machine:\n    control_port: 70000\n", "network_config.dst_machine.control_port", "got 70000"},
        {"network_config:\n  xdp_mode: offload\n", "network_config.xdp_mode", "got \"offload\""},
        {"network_config:\n  discovery:\n    method: dns\n", "network_config.discovery.method", "got \"dns\""},
        {"network_config:\n  discovery:\n    timeout: 0\n", "network_config.discovery.timeout", "got 0"},
        {"traffic_config:\n  patterns:\n    - {name: a, type: sine}\n", "traffic_config.patterns[0].type", "got \"sine\""},
    };
    for (const auto& c : cases) {
        std::string msg = yaml_error(c.yaml);
        // The line is that of the offending key.
        int line = 1;
        std::string y = c.yaml;
        size_t last_key = y.rfind(std::string(c.key).substr(std::string(c.key).rfind('.') + 1));
        for (size_t i = 0; i < last_key && i < y.size(); ++i) line += y[i] == '\n';
        if (std::string(c.key).find("patterns[") != std::string::npos) line = 3;
        expect_msg(msg, {std::string("config.yaml:") + std::to_string(line) + ":", c.key, c.got, "expected"});
    }
}

TEST(ConfigYamlErrors, BurstPatternNeedsRateAndDuration) {
    expect_msg(yaml_error("traffic_config:\n  patterns:\n    - {name: b, type: burst, burst_duration: 1}\n"),
               {"config.yaml:3:", "traffic_config.patterns[0].burst_rate"});
    expect_msg(yaml_error("traffic_config:\n  patterns:\n    - {name: b, type: burst, burst_rate: 5, burst_duration: -1}\n"),
               {"config.yaml:3:", "traffic_config.patterns[0].burst_duration", "got -1"});
}

// Patterns: every type's fields, the sequence rule, one line each.
TEST(ConfigYamlErrors, PatternRules) {
    const std::string head = "test_config: {duration: 10}\ntraffic_config:\n  patterns:\n";
    // The file, then validate() (the sequence rules span patterns).
    auto full_error = [](const std::string& text) {
        return error_of([&] {
            TestConfig cfg;
            apply_yaml_text(cfg, text, "config.yaml");
            validate(cfg);
        });
    };
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"    - {type: sine}\n", {"config.yaml:4:", "traffic_config.patterns[0].type", "expected one of constant, burst, ramp, poisson", "got \"sine\""}},
        {"    - {type: ramp, from: 10, to: 100}\n", {"traffic_config.patterns[0].over", "positive number of seconds"}},
        {"    - {type: ramp, from: 10, to: 100, over: -2}\n", {"traffic_config.patterns[0].over", "got -2"}},
        {"    - {type: ramp, from: -10, to: 100, over: 2}\n", {"traffic_config.patterns[0].from", "whole packets per second", "got -10"}},
        {"    - {type: ramp, from: 0, to: 0, over: 2}\n", {"traffic_config.patterns[0].to", "sends nothing"}},
        {"    - {type: ramp, from: 1, to: 9, over: 2, duration: 1}\n", {"traffic_config.patterns[0].duration", "at least the ramp's over"}},
        {"    - {type: ramp, from: 1, to: 2, over: 1, rate: 5}\n", {"traffic_config.patterns[0].rate", "not a field of a ramp pattern", "from, to, over"}},
        {"    - {type: constant, burst_rate: 5}\n", {"traffic_config.patterns[0].burst_rate", "not a field of a constant pattern"}},
        {"    - {type: poisson, rate: 5Mbps}\n", {"traffic_config.patterns[0].rate", "whole packets per second", "got \"5Mbps\""}},
        {"    - {type: poisson, rate: 0}\n", {"traffic_config.patterns[0].rate", "got 0"}},
        {"    - {type: poisson, rate: 10, seed: -1}\n", {"traffic_config.patterns[0].seed", "got -1"}},
        {"    - {type: burst, burst_rate: 10, burst_duration: 0.01}\n", {"traffic_config.patterns[0].burst_rate", "less than one packet per burst"}},
        {"    - {type: constant, duration: -1}\n", {"traffic_config.patterns[0].duration", "got -1"}},
        {"    - {type: constant}\n    - {type: constant, duration: 1}\n", {"traffic_config.patterns[0].duration", "only the last pattern may omit it"}},
        {"    - {type: constant, duration: 6}\n    - {type: ramp, from: 1, to: 2, over: 5}\n", {"traffic_config.patterns", "last 11 s, longer than test_config.duration 10 s"}},
    };
    for (const auto& [yaml, parts] : cases) {
        const std::string msg = full_error(head + yaml);
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
    }
    // Patterns and rate max contradict each other.
    expect_msg(full_error("traffic_config:\n  packet_rate: max\n  patterns:\n    - {type: constant, duration: 1}\n"),
               {"traffic_config.patterns", "paced rate"});
}

TEST(ConfigYaml, PatternFieldsAndRates) {
    TestConfig c = from_yaml(R"(
test_config: {duration: 10}
traffic_config:
  patterns:
    - {name: up, type: ramp, from: 1kpps, to: "2.5Mpps", over: 2, duration: 3}
    - {type: poisson, rate: 50kpps, seed: 7, duration: 1}
    - {type: burst, burst_rate: 100000, burst_duration: 0.5, inter_burst_gap: 0.5, duration: 2}
    - {type: constant, rate: 300}
)");
    ASSERT_EQ(c.patterns.size(), 4u);
    EXPECT_EQ(c.patterns[0].from, 1000u);
    EXPECT_EQ(c.patterns[0].to, 2500000u);
    EXPECT_EQ(c.patterns[0].over, 2);
    EXPECT_EQ(c.patterns[0].duration, 3);
    EXPECT_EQ(c.patterns[1].rate, 50000u);
    EXPECT_EQ(c.patterns[1].seed, 7u);
    EXPECT_EQ(c.patterns[2].burst_rate, 100000u);
    EXPECT_EQ(c.patterns[3].rate, 300u);
    EXPECT_EQ(c.patterns[3].duration, 0);  // the rest of the test
    const TestConfig back = config_from_json(to_json(c));
    EXPECT_EQ(json::serialize(to_json(back)), json::serialize(to_json(c)));
}

TEST(ConfigRate, PatternRatesOverTheLinkSpeed) {
    TestConfig c = from_yaml("test_config: {duration: 10}\ntraffic_config:\n  packet_size: 60\n  packet_rate: 1000\n  patterns:\n"
                             "    - {type: ramp, from: 1000, to: 2Mpps, over: 1}\n");
    EXPECT_NO_THROW(resolve_rate(c, 10000));  // 1.34 Gbit/s at L1
    try {
        resolve_rate(c, 1000);
        ADD_FAILURE() << "no error";
    } catch (const ConfigError& e) {
        expect_msg(e.what(), {"traffic_config.patterns[0].to", "2000000 pps", "over the port's link speed of 1000 Mbit/s"});
    }
    c.patterns[0].type = "burst";
    c.patterns[0].burst_rate = 1'500'000;
    c.patterns[0].burst_duration = 1;
    EXPECT_THROW(resolve_rate(c, 1000), ConfigError);
}

TEST(ConfigYamlErrors, SyntaxError) {
    std::string msg = yaml_error("traffic_config:\n  flows: [1,\n  threads: 2\n", "bad.yaml");
    expect_msg(msg, {"bad.yaml:", "YAML syntax error"});
    EXPECT_NE(msg.find("bad.yaml:4"), std::string::npos) << msg;
}

TEST(ConfigYamlErrors, TopLevelMustBeMap) {
    expect_msg(yaml_error("- a\n- b\n"), {"config.yaml", "top level", "map", "got a list"});
    expect_msg(yaml_error("hello\n"), {"config.yaml", "top level", "got \"hello\""});
}

TEST(ConfigYamlErrors, MissingAndUnreadableFiles) {
    TempDir dir;
    std::string missing = (dir.path() / "nope.yaml").string();
    expect_msg(error_of([&] { resolve_config(missing, "", {}); }), {missing, "No such file"});
    expect_msg(error_of([&] { TestConfig c; apply_yaml_file(c, dir.path().string()); }), {dir.path().string(), "directory"});
}

// ---------------------------------------------------------------- flags

TEST(ConfigFlags, StrictParsingNamesTheFlag) {
    auto flag_error = [](auto set) {
        return error_of([&] {
            ConfigOverrides o;
            set(o);
            resolve_config("", "", o);
        });
    };
    EXPECT_EQ(flag_error([](ConfigOverrides& o) { o.rate = "abc"; }),
              "--rate: expected packets per second (10000, 10kpps), bits per second (500Mbps, 5Gbps), "
              "a percentage of the link speed (40%) or \"max\", got \"abc\"");
    expect_msg(flag_error([](ConfigOverrides& o) { o.rate = "10k"; }), {"--rate", "got \"10k\""});
    expect_msg(flag_error([](ConfigOverrides& o) { o.rate = "0"; }), {"--rate", "got \"0\""});
    expect_msg(flag_error([](ConfigOverrides& o) { o.rate = "-5"; }), {"--rate", "got \"-5\""});
    expect_msg(flag_error([](ConfigOverrides& o) { o.rate = " 5"; }), {"--rate"});
    expect_msg(flag_error([](ConfigOverrides& o) { o.size = "59"; }), {"--size", "60..9000", "got \"59\""});
    expect_msg(flag_error([](ConfigOverrides& o) { o.size = "1500.0"; }), {"--size", "got \"1500.0\""});
    expect_msg(flag_error([](ConfigOverrides& o) { o.flows = "65537"; }), {"--flows", "got \"65537\""});
    expect_msg(flag_error([](ConfigOverrides& o) { o.threads = "0"; }), {"--threads", "got \"0\""});
    expect_msg(flag_error([](ConfigOverrides& o) { o.duration = "10s"; }), {"--duration", "got \"10s\""});
    expect_msg(flag_error([](ConfigOverrides& o) { o.duration = "0"; }), {"--duration", "got \"0\""});
    expect_msg(flag_error([](ConfigOverrides& o) { o.duration = "inf"; }), {"--duration"});
    expect_msg(flag_error([](ConfigOverrides& o) { o.dst_ip = "10.0.0"; }), {"--dst-ip", "got \"10.0.0\""});
    expect_msg(flag_error([](ConfigOverrides& o) { o.listen = "+1.2.3.4"; }), {"--listen"});
    expect_msg(flag_error([](ConfigOverrides& o) { o.dst_mac = "zz:00:00:00:00:00"; }), {"--dst-mac"});
    expect_msg(flag_error([](ConfigOverrides& o) { o.xdp_mode = "hw"; }), {"--xdp-mode", "got \"hw\""});
    expect_msg(flag_error([](ConfigOverrides& o) { o.control_port = "65536"; }), {"--control-port", "got \"65536\""});
    expect_msg(flag_error([](ConfigOverrides& o) { o.interface = "has space"; }), {"--interface"});
    expect_msg(flag_error([](ConfigOverrides& o) { o.name = ""; }), {"--name"});
}

// ---------------------------------------------------------------- validate()

TEST(ConfigValidate, StructLevelChecks) {
    auto err = [](auto mutate) {
        TestConfig c;
        mutate(c);
        return error_of([&] { validate(c); });
    };
    EXPECT_EQ(err([](TestConfig&) {}), "");
    expect_msg(err([](TestConfig& c) { c.packet_size = 59; }), {"traffic_config.packet_size", "got 59"});
    expect_msg(err([](TestConfig& c) { c.packet_rate = 0; }), {"traffic_config.packet_rate"});
    EXPECT_EQ(err([](TestConfig& c) { c.packet_rate = 0; c.rate_max = true; }), "");
    expect_msg(err([](TestConfig& c) { c.flows = 0; }), {"traffic_config.flows"});
    expect_msg(err([](TestConfig& c) { c.threads = 0; }), {"traffic_config.threads"});
    expect_msg(err([](TestConfig& c) { c.src_port = 0; }), {"traffic_config.src_port"});
    expect_msg(err([](TestConfig& c) { c.duration_s = 0; }), {"test_config.duration"});
    expect_msg(err([](TestConfig& c) { c.dst_machine.ip = "1.2.3.4.5"; }), {"network_config.dst_machine.ip"});
    expect_msg(err([](TestConfig& c) { c.src_machine.mac = "x"; }), {"network_config.src_machine.mac"});
    expect_msg(err([](TestConfig& c) { c.xdp_mode = "AUTO"; }), {"network_config.xdp_mode"});
    expect_msg(err([](TestConfig& c) { c.discovery.method = "ssdp"; }), {"network_config.discovery.method"});
    expect_msg(err([](TestConfig& c) { c.sample_rate = -1; }), {"monitoring_config.sample_rate"});
    expect_msg(err([](TestConfig& c) { c.real_time.update_interval = 0; }), {"monitoring_config.real_time.update_interval"});
    expect_msg(err([](TestConfig& c) { PatternConfig p;
        p.name = "p";
        p.type = "square";
        c.patterns.push_back(p); }), {"traffic_config.patterns[0].type"});
    // Flows past the port range are fine: they move on to the next source IP.
    EXPECT_EQ(err([](TestConfig& c) { c.src_port = 65000; c.flows = 65536; }), "");
}

TEST(ConfigParsers, Ipv4) {
    uint32_t ip = 0;
    EXPECT_TRUE(parse_ipv4("198.18.0.2", ip));
    EXPECT_EQ(ip, 0xC6120002u);
    EXPECT_TRUE(parse_ipv4("0.0.0.0", ip));
    EXPECT_EQ(ip, 0u);
    EXPECT_TRUE(parse_ipv4("255.255.255.255", ip));
    EXPECT_EQ(ip, 0xFFFFFFFFu);
    for (const char* bad : {"", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.1.1.1", "+1.2.3.4", " 1.2.3.4", "1.2.3.4 ",
                            "1..2.3", "a.b.c.d", "1.2.3.0004", "1.2.3.-4", "1,2,3,4"}) {
        uint32_t v = 42;
        EXPECT_FALSE(parse_ipv4(bad, v)) << bad;
        EXPECT_EQ(v, 42u) << bad;
    }
}

TEST(ConfigParsers, Mac) {
    uint8_t mac[6] = {};
    ASSERT_TRUE(parse_mac("02:1a:FF:00:9b:c3", mac));
    const uint8_t want[6] = {0x02, 0x1a, 0xff, 0x00, 0x9b, 0xc3};
    EXPECT_EQ(0, memcmp(mac, want, 6));
    for (const char* bad : {"", "02:1a:ff:00:9b", "02:1a:ff:00:9b:c3:", "02-1a-ff-00-9b-c3", "021aff009bc3",
                            "2:1a:ff:00:9b:c3:0", "02:1a:ff:00:9b:cg", " 02:1a:ff:00:9b:c3"}) {
        EXPECT_FALSE(parse_mac(bad, mac)) << bad;
    }
}

// ---------------------------------------------------------------- JSON

namespace {
TestConfig busy_config() {
    TestConfig c;
    c.name = "Json \"quoted\" ünïcode";
    c.duration_s = 0.1;
    c.results_dir = "/r";
    c.packet_rate = 123456789012ull;
    c.packet_size = 9000;
    c.flows = 65536;
    c.threads = 7;
    c.src_port = 1;
    c.dst_port = 65535;
    c.patterns.resize(5);
    c.patterns[0].name = "b";
    c.patterns[0].type = "burst";
    c.patterns[0].burst_rate = 333333;
    c.patterns[0].burst_duration = 0.03;
    c.patterns[0].duration = 0.02;
    c.patterns[1].type = "ramp";
    c.patterns[1].from = 7;
    c.patterns[1].to = 70000;
    c.patterns[1].over = 0.01;
    c.patterns[2].type = "poisson";
    c.patterns[2].rate = 1000;
    c.patterns[2].seed = 18446744073709551615ull;
    c.patterns[2].duration = 0.01;
    c.patterns[3].type = "constant";
    c.patterns[3].rate = 5;
    c.patterns[3].duration = 0.01;
    c.patterns[4].name = "c";
    c.src_machine = {"1.2.3.4", "", "02:00:00:00:00:01", 1, "fd00::1", ""};
    c.dst_machine = {"5.6.7.8", "veth1", "", 65535, "fd00:0:0:1::ffff:fff0", "baseline"};
    c.xdp_mode = "generic";
    c.discovery = {true, "mdns", 2.75};
    c.sample_rate = 1.0 / 7;
    c.metrics = {"xdp_stats"};
    c.real_time = {false, 0.5};
    c.preset = "quick_test";
    c.config_file = "my.yaml";
    return c;
}
}  // namespace

TEST(ConfigJson, ShapeMirrorsYaml) {
    json::object o = to_json(TestConfig{});
    EXPECT_EQ(o.at("test_config").at("duration").to_number<double>(), 60);
    EXPECT_EQ(o.at("traffic_config").at("packet_rate").to_number<uint64_t>(), 10000u);
    EXPECT_EQ(o.at("network_config").at("dst_machine").at("interface").as_string(), "eth0");
    EXPECT_EQ(o.at("network_config").at("discovery").at("method").as_string(), "mdns");
    EXPECT_EQ(o.at("monitoring_config").at("real_time").at("enabled").as_bool(), true);
    EXPECT_EQ(o.at("source").at("preset").as_string(), "");
    EXPECT_EQ(o.size(), 5u);
    TestConfig m;
    m.rate_max = true;
    EXPECT_EQ(to_json(m).at("traffic_config").at("packet_rate").as_string(), "max");
}

TEST(ConfigJson, RoundTripIsExact) {
    for (TestConfig c : {TestConfig{}, busy_config()}) {
        json::object o = to_json(c);
        TestConfig back = config_from_json(o);
        EXPECT_EQ(json::serialize(to_json(back)), json::serialize(o));
        // Through text too, as on the wire.
        TestConfig wire = config_from_json(json::parse(json::serialize(o)));
        EXPECT_EQ(wire.name, c.name);
        EXPECT_EQ(wire.duration_s, c.duration_s);
        EXPECT_EQ(wire.packet_rate, c.packet_rate);
        EXPECT_EQ(wire.sample_rate, c.sample_rate);
        ASSERT_EQ(wire.patterns.size(), c.patterns.size());
        for (size_t i = 0; i < c.patterns.size(); ++i) {
            EXPECT_EQ(wire.patterns[i].burst_rate, c.patterns[i].burst_rate);
            EXPECT_EQ(wire.patterns[i].burst_duration, c.patterns[i].burst_duration);
        }
        EXPECT_EQ(wire.src_machine.mac, c.src_machine.mac);
        EXPECT_EQ(wire.dst_machine.control_port, c.dst_machine.control_port);
        EXPECT_EQ(wire.dst_machine.receiver_mode, c.dst_machine.receiver_mode);
        EXPECT_EQ(wire.discovery.timeout, c.discovery.timeout);
        EXPECT_EQ(wire.real_time.enabled, c.real_time.enabled);
        EXPECT_EQ(wire.preset, c.preset);
        EXPECT_EQ(wire.config_file, c.config_file);
        EXPECT_EQ(json::serialize(to_json(wire)), json::serialize(o));
    }
}

TEST(ConfigJson, RoundTripOfMax) {
    TestConfig c = resolve_config("", "stress_test", [] { ConfigOverrides o; o.rate = "max"; return o; }());
    TestConfig back = config_from_json(to_json(c));
    EXPECT_TRUE(back.rate_max);
    EXPECT_EQ(back.packet_rate, c.packet_rate);
    EXPECT_EQ(back.preset, "stress_test");
    EXPECT_EQ(json::serialize(to_json(back)), json::serialize(to_json(c)));
}

TEST(ConfigJson, RejectsUnknownKeysAndWrongTypes) {
    auto err = [](const std::string& text) { return error_of([&] { config_from_json(json::parse(text)); }); };
    expect_msg(err(R"({"traffic_config": {"packet_rte": 5}})"), {"'traffic_config.packet_rte'", "did you mean 'packet_rate'"});
    expect_msg(err(R"({"bogus": 1})"), {"'bogus'"});
    expect_msg(err(R"({"traffic_config": {"flows": "4"}})"), {"traffic_config.flows", "got the string \"4\""});
    expect_msg(err(R"({"traffic_config": {"flows": 4.0}})"), {"traffic_config.flows"});
    expect_msg(err(R"({"traffic_config": {"flows": -1}})"), {"traffic_config.flows", "got -1"});
    expect_msg(err(R"({"traffic_config": {"packet_rate": "MAX"}})"), {"traffic_config.packet_rate"});
    expect_msg(err(R"({"traffic_config": {"src_port": 18446744073709551615}})"), {"traffic_config.src_port"});
    expect_msg(err(R"({"test_config": {"name": 5}})"), {"test_config.name", "expected a string"});
    expect_msg(err(R"({"test_config": {"duration": "60"}})"), {"test_config.duration"});
    expect_msg(err(R"({"test_config": []})"), {"test_config", "expected a map"});
    expect_msg(err(R"({"network_config": {"discovery": {"enabled": 1}}})"), {"network_config.discovery.enabled"});
    expect_msg(err(R"({"network_config": {"dst_machine": {"ip": "300.1.1.1"}}})"), {"network_config.dst_machine.ip"});
    expect_msg(err(R"({"monitoring_config": {"metrics": [1]}})"), {"monitoring_config.metrics[0]"});
    expect_msg(err(R"({"source": {"preset": null}})"), {"source.preset"});
    expect_msg(err(R"({"source": {"presets": ""}})"), {"'source.presets'"});
}

TEST(ConfigJson, GarbageNeverThrowsAnythingElse) {
    const char* inputs[] = {"null", "1", "\"x\"", "[]", "[{}]", "true", "{\"traffic_config\": null}",
                            "{\"traffic_config\": {\"patterns\": [null, 1, \"a\", []]}}",
                            "{\"network_config\": {\"src_machine\": {\"control_port\": 1e400}}}",
                            "{\"monitoring_config\": {\"sample_rate\": -0.0}}",
                            "{\"test_config\": {\"duration\": 1e308, \"name\": \"\"}}"};
    for (const char* in : inputs) {
        json::value v;
        std::error_code ec;
        v = json::parse(in, ec);
        if (ec) continue;
        try {
            config_from_json(v);
        } catch (const ConfigError& e) {
            EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
        } catch (...) {
            ADD_FAILURE() << "non-ConfigError for " << in;
        }
    }
    // A null section is accepted as empty, so this one loads.
    EXPECT_NO_THROW(config_from_json(json::parse("{\"traffic_config\": null}")));
    EXPECT_THROW(config_from_json(json::parse("[]")), ConfigError);
    EXPECT_THROW(config_from_json(json::value()), ConfigError);
}

// ---------------------------------------------------------------- rate units

TEST(ConfigRate, UnitsResolveToPps) {
    auto rate = [](const std::string& text, const std::string& extra = "") {
        TestConfig c = from_yaml("traffic_config:\n  packet_size: 60\n  packet_rate: \"" + text + "\"\n" + extra);
        resolve_rate(c, std::nullopt);
        return c;
    };
    EXPECT_EQ(rate("10kpps").packet_rate, 10000u);
    EXPECT_EQ(rate("2.5Mpps").packet_rate, 2500000u);
    EXPECT_EQ(rate("1000").packet_rate, 1000u);
    // L1: 60 + 4 FCS + 8 preamble/SFD + 12 IFG = 84 bytes = 672 bits per frame.
    EXPECT_EQ(rate("672Mbps").packet_rate, 1000000u);
    EXPECT_EQ(rate("5Gbps").packet_rate, 7440476u);  // 5e9 / 672 = 7440476.19, rounded
    // L2: 60 + 4 FCS = 64 bytes = 512 bits.
    EXPECT_EQ(rate("512Mbps", "  rate_layer: l2\n").packet_rate, 1000000u);
    EXPECT_TRUE(rate("max").rate_max);
    // A percentage waits for the link speed.
    TestConfig p = rate("40%");
    EXPECT_EQ(p.packet_rate, 0u);
    resolve_rate(p, 10000);
    EXPECT_EQ(p.packet_rate, 5952381u);  // 4e9 / 672 = 5952380.95
    TestConfig full = rate("100%");
    resolve_rate(full, 10000);  // exactly line rate: allowed
    EXPECT_EQ(full.packet_rate, 14880952u);
}

TEST(ConfigRate, ErrorsNameTheKey) {
    auto resolved = [](const std::string& text, std::optional<uint64_t> link) {
        return error_of([&] {
            TestConfig c = from_yaml("traffic_config:\n  packet_size: 60\n  packet_rate: \"" + text + "\"\n");
            resolve_rate(c, link);
        });
    };
    expect_msg(resolved("11Gbps", 10000), {"traffic_config.packet_rate", "link speed of 10000"});
    expect_msg(resolved("15000000", 10000), {"traffic_config.packet_rate", "over the port's link speed"});
    expect_msg(resolved("40%", 0), {"traffic_config.packet_rate", "40%", "does not report its link speed"});
    EXPECT_EQ(resolved("11Gbps", std::nullopt), "");  // no port: not checked
    expect_msg(resolved("0.1bps", std::nullopt), {"traffic_config.packet_rate", "less than one"});
    // Found by fuzzing: a huge bit rate overflowed the conversion to pps.
    expect_msg(resolved("307445734561888888888888888888258605bps", std::nullopt),
               {"traffic_config.packet_rate", "over 1e+10 packets per second"});
    for (const char* bad : {"1.5pps", "0%", "101%", "5 Gbps", "5Gbit", "-5Gbps", "fast", "%", "Gbps"})
        expect_msg(yaml_error(std::string("traffic_config:\n  packet_rate: \"") + bad + "\"\n"),
                   {"config.yaml:2:", "traffic_config.packet_rate"});
    expect_msg(yaml_error("traffic_config:\n  rate_layer: l3\n"), {"traffic_config.rate_layer", "l1 or l2"});
    ConfigOverrides o;
    o.rate = "5Gbit";
    expect_msg(error_of([&] { resolve_config("", "", o); }), {"--rate", "5Gbit"});
}

TEST(ConfigRate, JsonRoundTrip) {
    for (const char* text : {"5Gbps", "2.5Gbps", "123456bps", "40%", "12.5%", "max"}) {
        TestConfig c = from_yaml(std::string("traffic_config:\n  rate_layer: l2\n  packet_rate: \"") + text + "\"\n");
        const TestConfig back = config_from_json(to_json(c));
        EXPECT_EQ(json::serialize(to_json(back)), json::serialize(to_json(c))) << text;
        EXPECT_EQ(back.rate_bps, c.rate_bps) << text;
        EXPECT_EQ(back.rate_percent, c.rate_percent) << text;
        EXPECT_EQ(back.rate_layer, "l2");
    }
}

// ---------------------------------------------------------------- size mixes

TEST(ConfigSizes, ImixAndLists) {
    TestConfig c = from_yaml("traffic_config:\n  packet_size: imix\n");
    EXPECT_EQ(c.size_mix, kImix);
    EXPECT_EQ(c.packet_size, 1514u);  // the largest: sizes the port and the mbufs
    EXPECT_DOUBLE_EQ(mean_frame_size(c), (7.0 * 60 + 4 * 566 + 1514) / 12);
    EXPECT_EQ(json::serialize(to_json(c).at("traffic_config").at("packet_size")), "\"imix\"");
    TestConfig l = from_yaml("traffic_config:\n  packet_size: \"100:3,200:1\"\n");
    EXPECT_EQ(l.size_mix, (std::vector<SizeWeight>{{100, 3}, {200, 1}}));
    EXPECT_EQ(l.packet_size, 200u);
    const TestConfig back = config_from_json(to_json(l));
    EXPECT_EQ(back.size_mix, l.size_mix);
    EXPECT_EQ(back.packet_size, 200u);
    // A bit rate is divided by the mean frame: (100*3 + 200)/4 = 125 B + 24 = 149 B at L1.
    TestConfig r = from_yaml("traffic_config:\n  packet_size: \"100:3,200:1\"\n  packet_rate: 1192Mbps\n");
    resolve_rate(r, std::nullopt);
    EXPECT_EQ(r.packet_rate, 1000000u);
    ConfigOverrides o;
    o.size = "imix";
    EXPECT_EQ(resolve_config("", "", o).size_mix, kImix);
    o.size = "1500";
    EXPECT_TRUE(resolve_config("", "", o).size_mix.empty());
}

TEST(ConfigSizes, BadMixesNameTheKey) {
    for (const char* bad : {"imax", "59:1", "9001:1", "60:0", "60:1001", "60:1,60:2", "60", "60:1,", ":1", "60:"})
        expect_msg(yaml_error(std::string("traffic_config:\n  packet_size: \"") + bad + "\"\n"),
                   {"config.yaml:2:", "traffic_config.packet_size"});
    ConfigOverrides o;
    o.size = "60:x";
    expect_msg(error_of([&] { resolve_config("", "", o); }), {"--size", "60:x"});
}

// ---------------------------------------------------------------- traffic addressing
// flow_spec, ip_version, vlan, the machines' IPv6 addresses.

namespace {
// validate()'s message for a document that loads, or "".
std::string validate_error(const std::string& text) {
    return error_of([&] {
        TestConfig cfg;
        apply_yaml_text(cfg, text, "t.yaml");
        validate(cfg);
    });
}
}  // namespace

TEST(ConfigAddressing, Defaults) {
    const TestConfig c;
    EXPECT_EQ(c.ip_version, 4);
    EXPECT_FALSE(c.vlan);
    EXPECT_FALSE(c.flow_spec);
    EXPECT_EQ(c.src_machine.ipv6, "2001:2::1");
    EXPECT_EQ(c.dst_machine.ipv6, "2001:2::2");
    EXPECT_EQ(min_packet_size(c), 60u);
    const json::object o = to_json(c);
    EXPECT_TRUE(o.at("traffic_config").at("flow_spec").is_null());
    EXPECT_TRUE(o.at("traffic_config").at("vlan").is_null());
    EXPECT_EQ(o.at("traffic_config").at("ip_version").to_number<int>(), 4);
    EXPECT_EQ(o.at("network_config").at("dst_machine").at("ipv6").as_string(), "2001:2::2");
}

TEST(ConfigAddressing, FlowSpecParsesAndSetsFlows) {
    TestConfig c = from_yaml(
        "traffic_config:\n"
        "  flow_spec:\n"
        "    src_ip: {start: 198.18.0.10, count: 4, step: 2}\n"
        "    dst_port: {count: 3, step: 100}\n"
        "    src_port: {start: 2000, count: 5}\n");
    ASSERT_TRUE(c.flow_spec);
    EXPECT_EQ(c.flows, 60u);  // 4 x 1 x 5 x 3
    EXPECT_EQ(c.flow_spec->src_ip, (AddrRange{"198.18.0.10", 4, 2}));
    EXPECT_EQ(c.flow_spec->dst_ip, (AddrRange{"", 1, 1}));
    EXPECT_EQ(c.flow_spec->src_port, (PortRange{2000, 5, 1}));
    EXPECT_EQ(c.flow_spec->dst_port, (PortRange{0, 3, 100}));
    EXPECT_NO_THROW(validate(c));
    // Defaults fill in from the machines and the ports, and follow overrides.
    ConfigOverrides o;
    o.dst_ip = "198.18.0.99";
    const TestConfig r = [&] {
        TempDir d;
        return resolve_config(d.write("c.yaml",
                                      "traffic_config:\n  dst_port: 7\n  flow_spec:\n    dst_port: {count: 3, step: 100}\n"),
                              "", o);
    }();
    const FlowSpecConfig fs = resolved_flow_spec(r);
    EXPECT_EQ(fs.src_ip, (AddrRange{"198.18.0.1", 1, 1}));
    EXPECT_EQ(fs.dst_ip, (AddrRange{"198.18.0.99", 1, 1}));
    EXPECT_EQ(fs.src_port, (PortRange{10000, 1, 1}));
    EXPECT_EQ(fs.dst_port, (PortRange{7, 3, 100}));
    EXPECT_EQ(r.flows, 3u);
    // flows beside it, equal: fine; flow_spec null in a later layer removes it.
    c = from_yaml("traffic_config:\n  flows: 16\n  flow_spec: {src_port: {count: 16}}\n");
    EXPECT_EQ(c.flows, 16u);
    apply_yaml_text(c, "traffic_config:\n  flow_spec: null\n  flows: 5\n", "later.yaml");
    EXPECT_FALSE(c.flow_spec);
    EXPECT_EQ(c.flows, 5u);
    EXPECT_NO_THROW(validate(c));
    // --flows equal to the product is accepted, different is not.
    c = from_yaml("traffic_config:\n  flow_spec: {src_port: {count: 16}}\n");
    ConfigOverrides same;
    same.flows = "16";
    TempDir d;
    const std::string f = d.write("s.yaml", "traffic_config:\n  flow_spec: {src_port: {count: 16}}\n");
    EXPECT_EQ(resolve_config(f, "", same).flows, 16u);
    ConfigOverrides other;
    other.flows = "8";
    EXPECT_EQ(error_of([&] { resolve_config(f, "", other); }),
              "--flows: 8 conflicts with traffic_config.flow_spec, which makes 16 flows (the product of its "
              "counts): omit flows or give 16");
}

TEST(ConfigAddressing, Ipv6AndVlanParse) {
    const TestConfig c = from_yaml(
        "traffic_config:\n"
        "  ip_version: 6\n"
        "  packet_size: 84\n"
        "  vlan: {id: 100, pcp: 3}\n"
        "network_config:\n"
        "  src_machine: {ipv6: \"2001:2::10\"}\n"
        "  dst_machine: {ipv6: \"2001:2:0:1::20\"}\n");
    EXPECT_EQ(c.ip_version, 6);
    ASSERT_TRUE(c.vlan);
    EXPECT_EQ(*c.vlan, (VlanConfig{100, 3}));
    EXPECT_EQ(c.src_machine.ipv6, "2001:2::10");
    EXPECT_EQ(min_packet_size(c), 84u);
    EXPECT_NO_THROW(validate(c));
    TestConfig u = c;
    apply_yaml_text(u, "traffic_config:\n  vlan: null\n", "u.yaml");
    EXPECT_FALSE(u.vlan);
    EXPECT_EQ(min_packet_size(u), 80u);
    EXPECT_EQ(from_yaml("traffic_config:\n  vlan: {id: 4094}\n").vlan->pcp, 0);

    std::array<uint8_t, 16> a{};
    ASSERT_TRUE(parse_ipv6("2001:2::1", a));
    EXPECT_EQ(a[0], 0x20);
    EXPECT_EQ(a[3], 0x02);
    EXPECT_EQ(a[15], 0x01);
    EXPECT_TRUE(parse_ipv6("::ffff:198.18.0.1", a));
    for (const char* bad : {"", "2001:2::g", "2001::2::1", "198.18.0.1", "2001:2::1%eth0", " 2001:2::1", "1:2:3:4:5:6:7:8:9"})
        EXPECT_FALSE(parse_ipv6(bad, a)) << bad;
}

// Each bad value: exit-2 material, one line naming the key, exactly this text.
TEST(ConfigAddressing, ExactErrors) {
    EXPECT_EQ(yaml_error("traffic_config:\n  flow_spec:\n    src_port: {count: 0}\n", "t.yaml"),
              "t.yaml:3: traffic_config.flow_spec.src_port.count: expected an integer in 1..65536, got 0");
    EXPECT_EQ(yaml_error("traffic_config:\n  flow_spec:\n    src_ip:\n      count: 4\n      step: 0\n", "t.yaml"),
              "t.yaml:2: traffic_config.flow_spec.src_ip.step: expected at least 1 with count 4 (step 0 repeats "
              "one value), got 0");
    EXPECT_EQ(yaml_error("traffic_config:\n  flow_spec: {src_port: {step: 65536}}\n", "t.yaml"),
              "t.yaml:2: traffic_config.flow_spec.src_port.step: expected a step in 0..65535, got 65536");
    EXPECT_EQ(yaml_error("traffic_config:\n  flow_spec: {src_ip: {start: 1.2.3}}\n", "t.yaml"),
              "t.yaml:2: traffic_config.flow_spec.src_ip.start: expected an IPv4 or IPv6 address (198.18.0.1, "
              "2001:2::1), got \"1.2.3\"");
    EXPECT_EQ(yaml_error("traffic_config:\n  flow_spec: {src_ip: {count: 256}, dst_ip: {count: 256}, src_port: {count: 2}}\n", "t.yaml"),
              "t.yaml:2: traffic_config.flow_spec: its counts make 256 x 256 x 2 x 1 = 131072 flows (src_ip x "
              "dst_ip x src_port x dst_port), over the maximum of 65536");
    EXPECT_EQ(yaml_error("traffic_config:\n  flows: 8\n  flow_spec: {src_port: {count: 16}}\n", "t.yaml"),
              "t.yaml:2: traffic_config.flows: 8 conflicts with traffic_config.flow_spec, which makes 16 flows "
              "(the product of its counts): omit flows or give 16");
    EXPECT_EQ(yaml_error("traffic_config:\n  flow_spec: [1]\n", "t.yaml"),
              "t.yaml:2: traffic_config.flow_spec: expected a map of ranges src_ip, dst_ip, src_port, dst_port, got a list");
    EXPECT_EQ(yaml_error("traffic_config:\n  flow_spec: {src_ip: 5}\n", "t.yaml"),
              "t.yaml:2: traffic_config.flow_spec.src_ip: expected a map {start, count, step}, got 5");
    EXPECT_EQ(yaml_error("traffic_config:\n  vlan: {id: 0}\n", "t.yaml"),
              "t.yaml:2: traffic_config.vlan.id: expected a VLAN id in 1..4094, got 0");
    EXPECT_EQ(yaml_error("traffic_config:\n  vlan: {id: 4095}\n", "t.yaml"),
              "t.yaml:2: traffic_config.vlan.id: expected a VLAN id in 1..4094, got 4095");
    EXPECT_EQ(yaml_error("traffic_config:\n  vlan: {id: 5, pcp: 8}\n", "t.yaml"),
              "t.yaml:2: traffic_config.vlan.pcp: expected a priority (PCP) in 0..7, got 8");
    EXPECT_EQ(yaml_error("traffic_config:\n  vlan: {pcp: 3}\n", "t.yaml"),
              "t.yaml:2: traffic_config.vlan.id: missing: expected a VLAN id in 1..4094");
    EXPECT_EQ(yaml_error("traffic_config:\n  vlan: 100\n", "t.yaml"),
              "t.yaml:2: traffic_config.vlan: expected a map {id: 1..4094, pcp: 0..7}, or null for untagged "
              "frames, got 100");
    EXPECT_EQ(yaml_error("traffic_config:\n  ip_version: 5\n", "t.yaml"),
              "t.yaml:2: traffic_config.ip_version: expected 4 or 6, got 5");
    EXPECT_EQ(yaml_error("traffic_config:\n  ip_version: \"6\"\n", "t.yaml"),
              "t.yaml:2: traffic_config.ip_version: expected 4 or 6, got the string \"6\"");
    EXPECT_EQ(yaml_error("network_config:\n  src_machine:\n    ipv6: \"2001:2::g\"\n", "t.yaml"),
              "t.yaml:3: network_config.src_machine.ipv6: expected an IPv6 address like 2001:2::1, got \"2001:2::g\"");
    // Did you mean, at every level.
    EXPECT_EQ(yaml_error("traffic_config:\n  flow_spce: {}\n", "t.yaml"),
              "t.yaml:2: unknown key 'traffic_config.flow_spce' (did you mean 'flow_spec'?)");
    EXPECT_EQ(yaml_error("traffic_config:\n  flow_spec: {src_ipp: {}}\n", "t.yaml"),
              "t.yaml:2: unknown key 'traffic_config.flow_spec.src_ipp' (did you mean 'src_ip'?)");
    EXPECT_EQ(yaml_error("traffic_config:\n  flow_spec: {dst_port: {strat: 1}}\n", "t.yaml"),
              "t.yaml:2: unknown key 'traffic_config.flow_spec.dst_port.strat' (did you mean 'start'?)");
    EXPECT_EQ(yaml_error("traffic_config:\n  ip_verison: 6\n", "t.yaml"),
              "t.yaml:2: unknown key 'traffic_config.ip_verison' (did you mean 'ip_version'?)");
    EXPECT_EQ(yaml_error("traffic_config:\n  vlan: {idd: 6}\n", "t.yaml"),
              "t.yaml:2: unknown key 'traffic_config.vlan.idd' (did you mean 'id'?)");
    EXPECT_EQ(yaml_error("network_config:\n  dst_machine: {ipv7: x}\n", "t.yaml"),
              "t.yaml:2: unknown key 'network_config.dst_machine.ipv7' (did you mean 'ipv6'?)");

    // Whole-config rules (validate): ranges against the IP version, sizes against the layout.
    EXPECT_EQ(validate_error("traffic_config:\n  flow_spec: {dst_ip: {start: 255.255.255.0, count: 300}}\n"),
              "traffic_config.flow_spec.dst_ip: start 255.255.255.0 + (count 300 - 1) x step 1 is past 255.255.255.255");
    EXPECT_EQ(validate_error("traffic_config:\n  flow_spec: {src_port: {start: 65000, count: 1000}}\n"),
              "traffic_config.flow_spec.src_port: start 65000 + (count 1000 - 1) x step 1 = 65999 is past 65535");
    EXPECT_EQ(validate_error("traffic_config:\n  dst_port: 65535\n  flow_spec: {dst_port: {count: 2}}\n"),
              "traffic_config.flow_spec.dst_port: start 65535 + (count 2 - 1) x step 1 = 65536 is past 65535");
    EXPECT_EQ(validate_error("traffic_config:\n  ip_version: 6\n  packet_size: 100\n"
                             "  flow_spec: {src_ip: {start: \"2001:2::ffff:ff00\", count: 300}}\n"),
              "traffic_config.flow_spec.src_ip: start 2001:2::ffff:ff00 + (count 300 - 1) x step 1 is past "
              "2001:2::ffff:ffff (an IPv6 range varies only the low 32 bits of the address)");
    EXPECT_EQ(validate_error("traffic_config:\n  ip_version: 6\n  packet_size: 100\n  flow_spec: {src_ip: {start: 198.18.0.1}}\n"),
              "traffic_config.flow_spec.src_ip.start: expected an IPv6 address like 2001:2::1 (ip_version is 6), "
              "got \"198.18.0.1\"");
    EXPECT_EQ(validate_error("traffic_config:\n  flow_spec: {dst_ip: {start: \"2001:2::5\"}}\n"),
              "traffic_config.flow_spec.dst_ip.start: expected a dotted-quad IPv4 address like 198.18.0.2 "
              "(ip_version is 4), got \"2001:2::5\"");
    // flows from a later layer than the flow_spec, differently.
    EXPECT_EQ(error_of([] {
                  TestConfig c = from_yaml("traffic_config:\n  flow_spec: {src_port: {count: 16}}\n");
                  apply_yaml_text(c, "traffic_config:\n  flows: 4\n", "preset.yaml");
                  validate(c);
              }),
              "traffic_config.flows: 4 conflicts with traffic_config.flow_spec, which makes 16 flows (the product "
              "of its counts): omit flows or give 16");
    EXPECT_EQ(validate_error("traffic_config:\n  ip_version: 6\n  packet_size: 60\n"),
              "traffic_config.packet_size: 60-byte frames are below the 80-byte minimum for IPv6 (60 for IPv4, "
              "+20 for IPv6, +4 for a VLAN tag)");
    EXPECT_EQ(validate_error("traffic_config:\n  vlan: {id: 7}\n  packet_size: 63\n"),
              "traffic_config.packet_size: 63-byte frames are below the 64-byte minimum for IPv4 with a VLAN tag "
              "(60 for IPv4, +20 for IPv6, +4 for a VLAN tag)");
    EXPECT_EQ(validate_error("traffic_config:\n  ip_version: 6\n  packet_size: imix\n"),
              "traffic_config.packet_size: imix's 60-byte frames are below the 80-byte minimum for IPv6 (60 for "
              "IPv4, +20 for IPv6, +4 for a VLAN tag)");
    EXPECT_EQ(validate_error("traffic_config:\n  ip_version: 6\n  vlan: {id: 7}\n  packet_size: \"80:1,1500:1\"\n"),
              "traffic_config.packet_size: the size mix's 80-byte frames are below the 84-byte minimum for IPv6 "
              "with a VLAN tag (60 for IPv4, +20 for IPv6, +4 for a VLAN tag)");
    EXPECT_EQ(validate_error("traffic_config:\n  ip_version: 6\n  vlan: {id: 7}\n  packet_size: 84\n"), "");
    EXPECT_EQ(validate_error("traffic_config:\n  vlan: {id: 7}\n  packet_size: imix\n"),
              "traffic_config.packet_size: imix's 60-byte frames are below the 64-byte minimum for IPv4 with a "
              "VLAN tag (60 for IPv4, +20 for IPv6, +4 for a VLAN tag)");

    // Struct-level (a config that did not come through the loader, e.g. JSON).
    TestConfig c;
    c.flow_spec = FlowSpecConfig{};
    c.flow_spec->src_ip.count = 0;
    c.flows = 0;
    EXPECT_EQ(error_of([&] { validate(c); }), "traffic_config.flows: expected an integer in 1..65536, got 0");
    c.flows = 1;
    EXPECT_EQ(error_of([&] { validate(c); }),
              "traffic_config.flow_spec.src_ip.count: expected an integer in 1..65536, got 0");
    c = TestConfig{};
    c.ip_version = 5;
    EXPECT_EQ(error_of([&] { validate(c); }), "traffic_config.ip_version: expected 4 or 6, got 5");
    c = TestConfig{};
    c.vlan = VlanConfig{4095, 0};
    EXPECT_EQ(error_of([&] { validate(c); }), "traffic_config.vlan.id: expected a VLAN id in 1..4094, got 4095");
    c.vlan = VlanConfig{1, 9};
    EXPECT_EQ(error_of([&] { validate(c); }), "traffic_config.vlan.pcp: expected a priority (PCP) in 0..7, got 9");
    c = TestConfig{};
    c.dst_machine.ipv6 = "";
    EXPECT_EQ(error_of([&] { validate(c); }),
              "network_config.dst_machine.ipv6: expected an IPv6 address like 2001:2::1, got \"\"");
}

TEST(ConfigAddressing, JsonRoundTrip) {
    TestConfig c;
    c.ip_version = 6;
    c.packet_size = 200;
    c.vlan = VlanConfig{4094, 7};
    c.src_machine.ipv6 = "2001:2::a";
    c.flow_spec = FlowSpecConfig{{"", 4, 3}, {"2001:2::ffff:0", 2, 0x8000}, {1, 8, 7}, {0, 2, 0}};
    c.flow_spec->dst_port.step = 9;
    c.flows = 4 * 2 * 8 * 2;
    ASSERT_NO_THROW(validate(c));
    const json::object o = to_json(c);
    const json::value& fs = o.at("traffic_config").at("flow_spec");
    EXPECT_EQ(fs.at("src_ip").at("start").as_string(), "2001:2::a");  // resolved in the record
    EXPECT_EQ(fs.at("dst_port").at("start").to_number<int>(), 9);
    EXPECT_EQ(o.at("traffic_config").at("vlan").at("id").to_number<int>(), 4094);
    const TestConfig back = config_from_json(json::parse(json::serialize(o)));
    EXPECT_EQ(back.ip_version, 6);
    EXPECT_EQ(back.vlan, c.vlan);
    EXPECT_EQ(back.flows, 128u);
    ASSERT_TRUE(back.flow_spec);
    EXPECT_EQ(back.flow_spec->src_ip, (AddrRange{"2001:2::a", 4, 3}));
    EXPECT_EQ(back.flow_spec->dst_ip, (AddrRange{"2001:2::ffff:0", 2, 0x8000}));
    EXPECT_EQ(back.flow_spec->src_port, (PortRange{1, 8, 7}));
    EXPECT_EQ(back.flow_spec->dst_port, (PortRange{9, 2, 9}));
    EXPECT_EQ(resolved_flow_spec(back), resolved_flow_spec(c));
    EXPECT_EQ(json::serialize(to_json(back)), json::serialize(o));
    // The wire refuses what the loader refuses.
    json::object bad = o;
    bad["traffic_config"].as_object()["flows"] = 127;
    EXPECT_EQ(error_of([&] { config_from_json(bad); }),
              "config JSON: traffic_config.flows: 127 conflicts with traffic_config.flow_spec, which makes 128 "
              "flows (the product of its counts): omit flows or give 128");
    bad = o;
    bad["traffic_config"].as_object()["ip_version"] = 4;
    EXPECT_EQ(error_of([&] { config_from_json(bad); }),
              "traffic_config.flow_spec.src_ip.start: expected a dotted-quad IPv4 address like 198.18.0.2 "
              "(ip_version is 4), got \"2001:2::a\"");
}

// The one conversion to the packet builder's FrameSpec, and flow ids to
// addresses through it.
TEST(ConfigAddressing, FrameSpecFromConfig) {
    const std::array<uint8_t, 6> smac{2, 0, 0, 0, 0, 1}, dmac{2, 0, 0, 0, 0, 2};
    TestConfig c;  // flows: N
    FrameSpec s = make_frame_spec(c, smac, dmac, 77);
    EXPECT_EQ(s.ip_version, 4);
    EXPECT_EQ(s.src_ip, 0xC6120001u);
    EXPECT_EQ(s.dst_ip, 0xC6120002u);
    EXPECT_EQ(s.src_port_base, 10000);
    EXPECT_EQ(s.dst_port, 9);
    EXPECT_FALSE(s.ranges);
    EXPECT_FALSE(s.vlan);
    EXPECT_EQ(s.flows, 4u);
    EXPECT_EQ(s.frame_len, 1500u);
    EXPECT_EQ(s.test_id, 77);
    EXPECT_EQ(flow_address(s, 3), (FlowAddress{0xC6120001u, 0xC6120002u, 10003, 9}));

    c = from_yaml("traffic_config:\n  ip_version: 6\n  packet_size: 84\n  vlan: {id: 9, pcp: 1}\n"
                  "  flow_spec:\n    src_ip: {count: 2, step: 256}\n    src_port: {start: 5000, count: 3, step: 2}\n"
                  "network_config:\n  dst_machine: {ipv6: \"2001:2::ffff:1\"}\n");
    validate(c);
    s = make_frame_spec(c, smac, dmac, 1);
    EXPECT_EQ(s.ip_version, 6);
    EXPECT_TRUE(s.vlan);
    EXPECT_EQ(s.vlan_id, 9);
    EXPECT_EQ(s.vlan_pcp, 1);
    EXPECT_EQ(s.frame_len, 84u);
    EXPECT_EQ(s.flows, 6u);
    ASSERT_TRUE(s.ranges);
    EXPECT_EQ(s.ranges->product(), 6u);
    EXPECT_EQ(format_ipv6(s.src_ip6), "2001:2::1");
    EXPECT_EQ(format_ipv6(s.dst_ip6), "2001:2::ffff:1");
    // src_port fastest, then src_ip: flow 5 = src_ip index 1, src_port index 2.
    EXPECT_EQ(flow_address(s, 5), (FlowAddress{1 + 256, 0xFFFF0001u, 5004, 9}));
    EXPECT_EQ(flow_address(s, 2), (FlowAddress{1, 0xFFFF0001u, 5004, 9}));
    EXPECT_EQ(flow_address(s, 3), (FlowAddress{257, 0xFFFF0001u, 5000, 9}));
}

// ---------------------------------------------------------------- flags from the schema

TEST(ConfigFlags, EachProgramsFlagsParseIntoOverrides) {
    std::vector<std::string> names;
    for (const auto& f : config_flags(Program::Receiver)) names.push_back(f.name);
    EXPECT_EQ(names, (std::vector<std::string>{"name", "results-dir", "interface", "xdp-mode", "control-port"}));
    auto gen = config_flags(Program::Generator);
    ASSERT_EQ(gen.size(), 11u);
    EXPECT_EQ(gen.back().name, "receiver-mode");
    EXPECT_EQ(cli::help_text({gen[0]}, 23), "  --dst-ip IP          receiver address (network_config.dst_machine.ip)\n");
    EXPECT_EQ(cli::help_text({config_flag(Program::Receiver, "xdp-mode")}, 25),
              "  --xdp-mode MODE        auto | native | generic (default auto: native where the driver has it)\n");
    EXPECT_THROW(config_flag(Program::Receiver, "rate"), std::out_of_range);

    std::vector<std::string> argv_text = {"prog", "--rate", "5kpps", "--xdp-mode=generic", "--flows", "8"};
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    auto specs = config_flags(Program::Generator);
    specs.push_back(config_flag(Program::Receiver, "xdp-mode"));
    const auto args = cli::parse(static_cast<int>(argv.size()), argv.data(), specs);
    const ConfigOverrides o = overrides_from(args, Program::Generator);
    EXPECT_EQ(o.rate, "5kpps");
    EXPECT_EQ(o.flows, "8");
    EXPECT_FALSE(o.xdp_mode);  // not a dpdk-gen config flag
    EXPECT_EQ(overrides_from(args, Program::Receiver).xdp_mode, "generic");
    EXPECT_EQ(resolve_config("", "", o).packet_rate, 5000u);
}

TEST(ConfigFlags, EnumValuesAndOwnFlagParsers) {
    EXPECT_EQ(key_values("network_config.xdp_mode"), (std::vector<std::string>{"auto", "native", "generic"}));
    EXPECT_EQ(key_values("traffic_config.rate_layer"), (std::vector<std::string>{"l1", "l2"}));
    EXPECT_THROW(key_values("traffic_config.flows"), std::out_of_range);

    auto msg = [](auto f) {
        try {
            f();
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(parse_flag_uint("recv-threads", "0001", 1, 256, 4), 1u);
    EXPECT_EQ(msg([] { parse_flag_uint("recv-threads", "00001", 1, 256, 4); }), "--recv-threads: expected 1..256, got '00001'");
    EXPECT_EQ(msg([] { parse_flag_uint("foreign-tuples", "-1", 0, 1048576, 7); }), "--foreign-tuples: expected 0..1048576, got '-1'");
    EXPECT_EQ(parse_flag_seconds("duration", "1e2", 1e7), 100);
    EXPECT_EQ(msg([] { parse_flag_seconds("duration", "2e7", 1e7); }), "--duration: expected a positive number of seconds, got '2e7'");
    EXPECT_EQ(parse_flag_choice("test-action", "tx", {"drop", "pass", "tx"}), 2u);
    EXPECT_EQ(msg([] { parse_flag_choice("test-action", "x", {"drop", "pass", "tx"}); }),
              "--test-action: expected drop, pass or tx, got 'x'");
    EXPECT_EQ(msg([] { check_flag_ipv4("listen", "1.2.3"); }), "--listen: expected an IPv4 address, got '1.2.3'");
}

// ---------------------------------------------------------------- receiver_mode

// network_config.dst_machine.receiver_mode: "" (the receiver's default), xdp
// or baseline; --receiver-mode for dpdk-gen only; it travels in configure.
TEST(ConfigReceiverMode, ValuesFromYamlFlagAndJson) {
    for (const std::string mode : {"xdp", "baseline"}) {
        EXPECT_EQ(from_yaml("network_config:\n  dst_machine:\n    receiver_mode: " + mode + "\n").dst_machine.receiver_mode,
                  mode);
        ConfigOverrides o;
        o.receiver_mode = mode;
        EXPECT_EQ(resolve_config("", "", o).dst_machine.receiver_mode, mode);
    }
    EXPECT_EQ(from_yaml("network_config:\n  dst_machine:\n    receiver_mode: \"\"\n").dst_machine.receiver_mode, "");
    EXPECT_EQ(key_values("network_config.dst_machine.receiver_mode"), (std::vector<std::string>{"", "xdp", "baseline"}));
    // Only the destination has it: the generator asks the receiver.
    expect_msg(yaml_error("network_config:\n  src_machine:\n    receiver_mode: xdp\n"),
               {"unknown key 'network_config.src_machine.receiver_mode'"});
}

TEST(ConfigReceiverMode, BadValuesAreOneLineNamingKeyOrFlagAndTheValues) {
    EXPECT_EQ(yaml_error("network_config:\n  dst_machine:\n    receiver_mode: ebpf\n"),
              "config.yaml:3: network_config.dst_machine.receiver_mode: expected one of \"\", xdp, baseline, got \"ebpf\"");
    expect_msg(yaml_error("network_config:\n  dst_machine:\n    receiver_mode: XDP\n"),
               {"network_config.dst_machine.receiver_mode", "xdp, baseline", "got \"XDP\""});
    const std::string flag = error_of([] {
        ConfigOverrides o;
        o.receiver_mode = "Baseline";
        resolve_config("", "", o);
    });
    EXPECT_EQ(flag, "--receiver-mode: expected one of \"\", xdp, baseline, got \"Baseline\"");
    expect_msg(error_of([] { config_from_json(json::parse(R"({"network_config": {"dst_machine": {"receiver_mode": 1}}})")); }),
               {"network_config.dst_machine.receiver_mode", "got 1"});
    expect_msg(error_of([] { config_from_json(json::parse(R"({"network_config": {"dst_machine": {"receiver_mode": "afxdp"}}})")); }),
               {"network_config.dst_machine.receiver_mode", "xdp, baseline", "got \"afxdp\""});
    TestConfig c;
    c.dst_machine.receiver_mode = "both";
    expect_msg(error_of([&] { validate(c); }), {"network_config.dst_machine.receiver_mode", "got \"both\""});
}

TEST(ConfigReceiverMode, JsonRoundTripKeepsIt) {
    EXPECT_EQ(to_json(TestConfig{}).at("network_config").at("dst_machine").at("receiver_mode").as_string(), "");
    for (const std::string mode : {"", "xdp", "baseline"}) {
        TestConfig c;
        c.dst_machine.receiver_mode = mode;
        const json::object o = to_json(c);
        EXPECT_EQ(o.at("network_config").at("dst_machine").at("receiver_mode").as_string(), mode);
        // As the configure message carries it: through text.
        const TestConfig back = config_from_json(json::parse(json::serialize(o)));
        EXPECT_EQ(back.dst_machine.receiver_mode, mode);
        EXPECT_EQ(json::serialize(to_json(back)), json::serialize(o));
    }
}

TEST(ConfigReceiverMode, GeneratorFlagOnly) {
    const auto spec = config_flag(Program::Generator, "receiver-mode");
    EXPECT_TRUE(spec.takes_value);
    EXPECT_NE(cli::help_text({spec}, 23).find("xdp | baseline"), std::string::npos);
    EXPECT_NE(cli::help_text({spec}, 23).find("network_config.dst_machine.receiver_mode"), std::string::npos);
    EXPECT_THROW(config_flag(Program::Receiver, "receiver-mode"), std::out_of_range);
    std::vector<std::string> argv_text = {"dpdk-gen", "--receiver-mode", "baseline"};
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    const auto args = cli::parse(static_cast<int>(argv.size()), argv.data(), config_flags(Program::Generator));
    EXPECT_EQ(overrides_from(args, Program::Generator).receiver_mode, "baseline");
    EXPECT_FALSE(overrides_from(args, Program::Receiver).receiver_mode);
}
