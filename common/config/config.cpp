// The configuration's public functions: the loaders (YAML files and
// presets, the control protocol's JSON), validate(), to_json() and the rate
// resolution.  What each key is (type, range, default, flag) is the schema
// table's (config_schema.cpp); this file holds what spans keys.
#include "config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include <arpa/inet.h>

#include <boost/json.hpp>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "cli.hpp"
#include "config_schema.hpp"
#include "config_source.hpp"
#include "config_text.hpp"
#include "packet.hpp"

namespace ebt {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace config_detail;

bool parse_ipv4(const std::string& text, uint32_t& host_order_out) {
    uint32_t ip = 0;
    size_t i = 0;
    for (int octet = 0; octet < 4; ++octet) {
        if (octet > 0) {
            if (i >= text.size() || text[i] != '.') return false;
            ++i;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 3) v = v * 10 + unsigned(text[i++] - '0');
        if (i == start || v > 255) return false;
        ip = (ip << 8) | v;
    }
    if (i != text.size()) return false;
    host_order_out = ip;
    return true;
}

bool parse_ipv6(const std::string& text, std::array<uint8_t, 16>& out) {
    // inet_pton: the RFC 4291 text forms, no zone index, no surrounding space.
    std::array<uint8_t, 16> a;
    if (text.find('\0') != std::string::npos || inet_pton(AF_INET6, text.c_str(), a.data()) != 1) return false;
    out = a;
    return true;
}

uint32_t min_packet_size(const TestConfig& cfg) {
    return min_frame_len(cfg.ip_version, cfg.vlan.has_value());
}

FlowSpecConfig resolved_flow_spec(const TestConfig& cfg) {
    FlowSpecConfig fs = cfg.flow_spec.value_or(FlowSpecConfig{});
    const bool v6 = cfg.ip_version == 6;
    if (fs.src_ip.start.empty()) fs.src_ip.start = v6 ? cfg.src_machine.ipv6 : cfg.src_machine.ip;
    if (fs.dst_ip.start.empty()) fs.dst_ip.start = v6 ? cfg.dst_machine.ipv6 : cfg.dst_machine.ip;
    if (fs.src_port.start == 0) fs.src_port.start = cfg.src_port;
    if (fs.dst_port.start == 0) fs.dst_port.start = cfg.dst_port;
    return fs;
}

bool parse_mac(const std::string& text, uint8_t out[6]) {
    if (text.size() != 17) return false;
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    uint8_t tmp[6];
    for (int b = 0; b < 6; ++b) {
        size_t p = size_t(b) * 3;
        int hi = hex(text[p]), lo = hex(text[p + 1]);
        if (hi < 0 || lo < 0) return false;
        if (b < 5 && text[p + 2] != ':') return false;
        tmp[b] = uint8_t(hi * 16 + lo);
    }
    std::copy(tmp, tmp + 6, out);
    return true;
}

std::vector<std::string> preset_search_path() {
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("EBT_PRESETS_DIR"); env && *env) dirs.emplace_back(env);
    dirs.emplace_back(EBT_SOURCE_DIR "/presets");
    dirs.emplace_back("/usr/local/share/ebpf-test/presets");
    return dirs;
}

std::string find_preset(const std::string& name_or_path) {
    const std::string& n = name_or_path;
    auto ends_with = [&](const char* suf) { return n.ends_with(suf); };
    std::error_code ec;
    if (n.find('/') != std::string::npos || ends_with(".yaml") || ends_with(".yml")) {
        if (!fs::is_regular_file(n, ec)) throw ConfigError("preset '" + n + "': no such file");
        return n;
    }
    if (n.empty()) throw ConfigError("preset: expected a preset name, got \"\"");
    std::vector<std::string> dirs = preset_search_path();
    for (const auto& d : dirs) {
        std::string candidate = d + "/" + n + ".yaml";
        if (fs::is_regular_file(candidate, ec)) return candidate;
    }
    std::set<std::string> available;
    for (const auto& d : dirs) {
        fs::directory_iterator it(d, ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            const fs::path& p = it->path();
            if (p.extension() == ".yaml") available.insert(p.stem().string());
        }
        ec.clear();
    }
    std::string msg = "unknown preset '" + n + "'";
    std::string hint = cli::closest_match(n, {available.begin(), available.end()});
    if (!hint.empty()) msg += " (did you mean '" + hint + "'?)";
    msg += "; searched";
    for (size_t i = 0; i < dirs.size(); ++i) msg += (i ? ", " : " ") + dirs[i];
    msg += "; available:";
    if (available.empty()) msg += " none";
    bool first = true;
    for (const auto& a : available) { msg += (first ? " " : ", ") + a; first = false; }
    throw ConfigError(msg);
}

namespace {

// The documents in a YAML stream, counted up to `cap`.  Not YAML::LoadAll:
// in yaml-cpp 0.7 (Debian 12) it never returns on some malformed streams (a
// lone "," yields empty documents at the same place forever, allocating each;
// yaml-cpp issue 1040, found by tests/fuzz/fuzz_config_yaml).  A document
// that starts where the previous one started means the parser is stuck there:
// reported as a syntax error at that line.  Throws YAML::Exception as the
// parser does.
size_t count_yaml_documents(const std::string& yaml, const std::string& origin, size_t cap) {
    struct StartMarks : YAML::EventHandler {
        YAML::Mark start;
        void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
        void OnDocumentEnd() override {}
        void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
        void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
        void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
        void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
        void OnSequenceEnd() override {}
        void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
        void OnMapEnd() override {}
    };
    std::istringstream in(yaml);
    YAML::Parser parser(in);
    StartMarks h;
    size_t n = 0;
    int last_pos = -1;
    while (n < cap && parser.HandleNextDocument(h)) {
        if (n > 0 && h.start.pos == last_pos)
            throw ConfigError(origin + ":" + std::to_string(h.start.line + 1) +
                              ": YAML syntax error: unexpected character at column " +
                              std::to_string(h.start.column + 1));
        last_pos = h.start.pos;
        ++n;
    }
    return n;
}

}  // namespace

void apply_yaml_text(TestConfig& cfg, const std::string& yaml, const std::string& origin) {
    constexpr size_t kMaxDocs = 16;
    std::vector<YAML::Node> docs;
    size_t ndocs = 0;
    try {
        ndocs = count_yaml_documents(yaml, origin, kMaxDocs);
        if (ndocs == 1) docs.push_back(YAML::Load(yaml));
    } catch (const YAML::Exception& e) {
        std::string where = origin;
        if (!e.mark.is_null()) where += ":" + std::to_string(e.mark.line + 1);
        throw ConfigError(where + ": YAML syntax error: " + e.msg);
    }
    if (ndocs == 0) return;   // empty file or only comments
    if (ndocs > 1)
        throw ConfigError(origin + ": expected one YAML document, found " +
                          (ndocs >= kMaxDocs ? "more than " + std::to_string(kMaxDocs - 1) : std::to_string(ndocs)));
    // Work on a copy so a failed document leaves cfg untouched.
    TestConfig next = cfg;
    int line = docs[0].Mark().is_null() ? 1 : docs[0].Mark().line + 1;
    walk_document(Walker{origin, true}, Src::yaml(docs[0], line), next);
    cfg = std::move(next);
}

void apply_yaml_file(TestConfig& cfg, const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw ConfigError(path + ": cannot read config file: is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int err = errno;
        throw ConfigError(path + ": cannot read config file: " + std::generic_category().message(err ? err : ENOENT));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw ConfigError(path + ": cannot read config file: read error");
    apply_yaml_text(cfg, ss.str(), path);
}

namespace {

// The frame sizes ip_version and vlan allow, and flow_spec's addresses and
// ranges against ip_version and the machines (every key's own check has
// passed before).
void validate_addressing(const TestConfig& c) {
    const bool v6 = c.ip_version == 6;
    const uint32_t min = min_packet_size(c);
    const std::string layout = std::string(v6 ? "IPv6" : "IPv4") + (c.vlan ? " with a VLAN tag" : "");
    auto too_small = [&](uint32_t size, const std::string& what) {
        if (size < min)
            throw ConfigError("traffic_config.packet_size: " + what + std::to_string(size) + "-byte frames are below the " +
                              std::to_string(min) + "-byte minimum for " + layout +
                              " (60 for IPv4, +20 for IPv6, +4 for a VLAN tag)");
    };
    if (c.size_mix.empty()) too_small(c.packet_size, "");
    for (const auto& m : c.size_mix) too_small(m.size, c.size_imix ? "imix's " : "the size mix's ");

    if (!c.flow_spec) return;
    const std::string path = "traffic_config.flow_spec";
    if (const auto e = flow_spec_shape_error(*c.flow_spec, path)) throw ConfigError(e->first + ": " + e->second);
    if (c.flows != c.flow_spec->flows()) throw ConfigError("traffic_config.flows: " + flows_conflict(c.flows, *c.flow_spec));
    const FlowSpecConfig fs = resolved_flow_spec(c);
    auto addr = [&](const AddrRange& r, const char* name) {
        const std::string key = path + "." + name;
        std::array<uint8_t, 16> a6{};
        uint32_t base = 0;
        if (v6 ? !parse_ipv6(r.start, a6) : !parse_ipv4(r.start, base))
            throw ConfigError(key + ".start: " + (v6 ? kExpectIpv6 : kExpectIpv4) + " (ip_version is " +
                              std::to_string(c.ip_version) + "), got " + quoted(r.start));
        if (v6) base = ipv6_low32(a6);
        const uint64_t last = base + uint64_t{r.count - 1} * r.step;
        if (last <= UINT32_MAX) return;
        std::string limit = "255.255.255.255";
        if (v6) {
            std::fill(a6.begin() + 12, a6.end(), uint8_t{0xFF});
            limit = format_ipv6(a6) + " (an IPv6 range varies only the low 32 bits of the address)";
        }
        throw ConfigError(key + ": start " + r.start + " + (count " + std::to_string(r.count) + " - 1) x step " +
                          std::to_string(r.step) + " is past " + limit);
    };
    auto port = [&](const PortRange& r, const char* name) {
        const uint64_t last = r.start + uint64_t{r.count - 1} * r.step;
        if (last > kPortMax)
            throw ConfigError(path + "." + name + ": start " + std::to_string(r.start) + " + (count " +
                              std::to_string(r.count) + " - 1) x step " + std::to_string(r.step) + " = " +
                              std::to_string(last) + " is past 65535");
    };
    addr(fs.src_ip, "src_ip");
    addr(fs.dst_ip, "dst_ip");
    port(fs.src_port, "src_port");
    port(fs.dst_port, "dst_port");
}

}  // namespace

namespace {

// Patterns run in sequence: each for its duration (a ramp: its `over`
// without one); only the last may omit it and then takes the rest of the
// test; together they must fit test_config.duration.
void validate_patterns(const TestConfig& c) {
    double pattern_s = 0;
    for (size_t i = 0; i < c.patterns.size(); ++i) {
        const PatternConfig& p = c.patterns[i];
        const std::string key = "traffic_config.patterns[" + std::to_string(i) + "]";
        if (const auto err = check_pattern(p, key)) throw ConfigError(err->first + ": " + err->second);
        if (p.duration == 0 && p.type != "ramp" && i + 1 < c.patterns.size())
            throw ConfigError(key + ".duration: expected a positive number of seconds (only the last pattern may "
                              "omit it and take the rest of the test)");
        pattern_s += p.duration > 0 ? p.duration : p.type == "ramp" ? p.over : 0;
    }
    if (pattern_s > c.duration_s * (1 + 1e-9))
        throw ConfigError("traffic_config.patterns: the patterns last " + num_text(pattern_s) +
                          " s, longer than test_config.duration " + num_text(c.duration_s) + " s");
    if (!c.patterns.empty() && c.rate_max)
        throw ConfigError("traffic_config.patterns: patterns need a paced rate, not traffic_config.packet_rate \"max\"");
}

}  // namespace

void validate(const TestConfig& c) {
    check_keys(c);
    validate_patterns(c);
    validate_addressing(c);
}

double mean_frame_size(const TestConfig& cfg) {
    if (cfg.size_mix.empty()) return cfg.packet_size;
    double sum = 0, weights = 0;
    for (const auto& m : cfg.size_mix) {
        sum += static_cast<double>(m.size) * m.weight;
        weights += m.weight;
    }
    return sum / weights;
}

uint64_t frame_bits(uint32_t frame_len, const std::string& layer) {
    return (uint64_t{frame_len} + (layer == "l2" ? 4u : 24u)) * 8u;
}

bool set_rate_text(TestConfig& cfg, const std::string& text) { return parse_rate_text(text, cfg); }

void resolve_rate(TestConfig& cfg, std::optional<uint64_t> link) {
    constexpr const char* kKey = "traffic_config.packet_rate";
    if (cfg.rate_max) return;
    // Bits per frame at the rate's layer, averaged over the size mix.
    const double overhead = static_cast<double>(frame_bits(0, cfg.rate_layer));
    const double bits = mean_frame_size(cfg) * 8 + overhead;
    double bps = cfg.rate_bps;
    if (cfg.rate_percent > 0) {
        if (!link) return;  // only the port knows: dpdk-gen resolves it once the port is up
        if (*link == 0)
            throw ConfigError(std::string(kKey) + ": " + rate_text(cfg) +
                              " of the link speed, but the port does not report its link speed; "
                              "give the rate in pps or bits per second");
        bps = cfg.rate_percent / 100.0 * static_cast<double>(*link) * 1e6;
    }
    if (bps > 0) {
        const double pps = std::round(bps / bits);
        if (pps < 1)
            throw ConfigError(std::string(kKey) + ": " + rate_text(cfg) + " is less than one " +
                              std::to_string(cfg.packet_size) + "-byte frame per second at " + cfg.rate_layer);
        // Far beyond any link (1.6 Tbit/s of minimum frames is 2.4e9 pps);
        // checked before the conversion, which would overflow (fuzzing found it).
        constexpr double kMaxPps = 1e10;
        if (!(pps <= kMaxPps))
            throw ConfigError(std::string(kKey) + ": " + rate_text(cfg) + " is over " + num_text(kMaxPps) +
                              " packets per second");
        cfg.packet_rate = static_cast<uint64_t>(pps);
    }
    if (!link || *link == 0) return;
    const uint64_t link_speed_mbps = *link;
    // On the wire every frame takes its L1 bits, whatever layer the rate was
    // given at; allow the half frame per second of rounding.
    const double l1_frame = mean_frame_size(cfg) * 8 + static_cast<double>(frame_bits(0, "l1"));
    const double link_bps = static_cast<double>(link_speed_mbps) * 1e6;
    auto check = [&](const std::string& key, uint64_t pps) {
        const double l1 = static_cast<double>(pps) * l1_frame;
        if (l1 > link_bps + l1_frame / 2)
            throw ConfigError(key + ": " + std::to_string(pps) + " pps of " +
                              (cfg.size_mix.empty() ? std::to_string(cfg.packet_size) : num_text(mean_frame_size(cfg))) +
                              "-byte frames is " + num_text(l1 / 1e6) +
                              " Mbit/s at L1, over the port's link speed of " + std::to_string(link_speed_mbps) +
                              " Mbit/s");
    };
    check(kKey, cfg.packet_rate);
    // Every pattern's highest rate too.
    for (size_t i = 0; i < cfg.patterns.size(); ++i) {
        const PatternConfig& p = cfg.patterns[i];
        const std::string key = "traffic_config.patterns[" + std::to_string(i) + "].";
        if (p.type == "burst") check(key + "burst_rate", p.burst_rate);
        if (p.type == "ramp") check(key + (p.from > p.to ? "from" : "to"), std::max(p.from, p.to));
        if ((p.type == "constant" || p.type == "poisson") && p.rate > 0) check(key + "rate", p.rate);
    }
}

TestConfig resolve_config(const std::string& config_file, const std::string& preset,
                          const ConfigOverrides& overrides) {
    TestConfig cfg;
    if (!config_file.empty()) {
        apply_yaml_file(cfg, config_file);
        cfg.config_file = config_file;
    }
    if (!preset.empty()) {
        apply_yaml_file(cfg, find_preset(preset));
        cfg.preset = preset;
    }
    apply_flags(cfg, overrides);
    validate(cfg);
    resolve_rate(cfg, std::nullopt);
    return cfg;
}

json::object to_json(const TestConfig& c) { return keys_json(c); }

TestConfig config_from_json(const json::value& v) {
    // Input comes off the network: anything other than ConfigError is a bug
    // to the caller, so every failure is funnelled into one.
    try {
        TestConfig cfg;
        if (!v.is_object()) {
            throw ConfigError("config JSON: the top level must be an object, got " +
                              describe(Src::of_json(v).leaf()));
        }
        walk_document(Walker{"config JSON", false}, Src::of_json(v), cfg);
        validate(cfg);
        resolve_rate(cfg, std::nullopt);
        return cfg;
    } catch (const ConfigError&) {
        throw;
    } catch (const std::exception& e) {
        throw ConfigError(std::string("config JSON: ") + e.what());
    } catch (...) {
        throw ConfigError("config JSON: unexpected error");
    }
}

}  // namespace ebt
