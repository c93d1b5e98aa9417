// Config loading, precedence, validation messages and the JSON form.
// Runs with cwd = repo root and EBT_PRESETS_DIR = <repo>/presets.
#include "config.hpp"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace ebt;

namespace {

// A fresh mkdtemp directory, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "ebt_config_test.XXXXXX").string();
        char* p = mkdtemp(tmpl.data());
        if (p == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = p;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string write(const std::string& name, const std::string& text) const {
        std::string p = (path_ / name).string();
        std::ofstream(p) << text;
        return p;
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
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
  packet_rate: max
  packet_size: 60
  flows: 1
  threads: 64
  src_port: 65535
  dst_port: 1
  patterns:
    - {name: "burst_pattern", type: "burst", burst_rate: 50000, burst_duration: 1, inter_burst_gap: 2}
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
    EXPECT_TRUE(c.rate_max);
    EXPECT_EQ(c.packet_size, 60u);
    EXPECT_EQ(c.threads, 64u);
    EXPECT_EQ(c.src_port, 65535);
    EXPECT_EQ(c.dst_port, 1);
    ASSERT_EQ(c.patterns.size(), 2u);
    EXPECT_EQ(c.patterns[0].name, "burst_pattern");
    EXPECT_EQ(c.patterns[0].type, "burst");
    EXPECT_EQ(c.patterns[0].burst_rate, 50000);
    EXPECT_EQ(c.patterns[0].burst_duration, 1);
    EXPECT_EQ(c.patterns[0].inter_burst_gap, 2);
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
    expect_msg(err([](TestConfig& c) { c.patterns.push_back({"p", "square", 1, 1, 1}); }), {"traffic_config.patterns[0].type"});
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
    c.patterns = {{"b", "burst", 1e6 / 3, 0.3, 0}, {"c", "constant", 0, 0, 0}};
    c.src_machine = {"1.2.3.4", "", "02:00:00:00:00:01", 1};
    c.dst_machine = {"5.6.7.8", "veth1", "", 65535};
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
