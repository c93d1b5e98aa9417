// The config key table and what it drives: the document walk (YAML and
// JSON), the per-key checks of validate() and to_json().  The composite keys
// (rate, frame size, flow_spec, vlan, patterns, metrics) are Custom rows
// whose reader, writer and check are the hand-written functions above the
// table.  The flags' table is in config_flags.cpp.
#include "config_schema.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <type_traits>

#include <boost/json.hpp>

#include "config_source.hpp"
#include "config_text.hpp"

namespace ebt::config_detail {
namespace {

// ---------------------------------------------------------------- fields

template <class T>
void assign(T& field, const Scalar& v) {
    if constexpr (std::is_same_v<T, bool>) field = std::get<bool>(v);
    else if constexpr (std::is_integral_v<T>) field = static_cast<T>(std::get<uint64_t>(v));
    else if constexpr (std::is_floating_point_v<T>) field = std::get<double>(v);
    else field = std::get<std::string>(v);
}

template <class T>
Scalar scalar(const T& field) {
    if constexpr (std::is_same_v<T, bool>) return Scalar(std::in_place_type<bool>, field);
    else if constexpr (std::is_integral_v<T>) return Scalar(std::in_place_type<uint64_t>, field);
    else if constexpr (std::is_floating_point_v<T>) return Scalar(std::in_place_type<double>, field);
    else return Scalar(std::in_place_type<std::string>, field);
}

using Setter = void (*)(TestConfig&, const Scalar&);
using Getter = Scalar (*)(const TestConfig&);

// The setter and getter of one TestConfig field; `expr` names it through `c`.
#define EBT_FIELD(expr) \
    [](TestConfig& c, const Scalar& v) { assign(expr, v); }, [](const TestConfig& c) { return scalar(expr); }

KeyDef simple(std::string path, KeyType type, Setter set, Getter get) {
    KeyDef k;
    k.path = std::move(path);
    k.type = type;
    k.set = set;
    k.get = get;
    return k;
}

KeyDef uint_key(std::string path, uint64_t lo, uint64_t hi, std::string expect, Setter set, Getter get) {
    KeyDef k = simple(std::move(path), KeyType::Uint, set, get);
    k.lo = lo;
    k.hi = hi;
    k.expect = std::move(expect);
    return k;
}

// An integer key that takes only some of lo..hi.
KeyDef uint_choice_key(std::string path, std::vector<uint64_t> values, Setter set, Getter get) {
    KeyDef k = uint_key(std::move(path), *std::min_element(values.begin(), values.end()),
                        *std::max_element(values.begin(), values.end()), "", set, get);
    for (const uint64_t v : values) k.values.push_back(std::to_string(v));
    return k;
}

KeyDef string_key(std::string path, bool (*valid)(const std::string&), std::string expect, Setter set, Getter get) {
    KeyDef k = simple(std::move(path), KeyType::String, set, get);
    k.valid = valid;
    k.expect = std::move(expect);
    return k;
}

KeyDef enum_key(std::string path, std::vector<std::string> values, Setter set, Getter get) {
    KeyDef k = simple(std::move(path), KeyType::Enum, set, get);
    k.values = std::move(values);
    return k;
}

KeyDef custom_key(std::string path, std::string expect, decltype(KeyDef::read) read, decltype(KeyDef::write) write,
                  decltype(KeyDef::check) check = nullptr, decltype(KeyDef::from_text) from_text = nullptr) {
    KeyDef k;
    k.path = std::move(path);
    k.expect = std::move(expect);
    k.read = read;
    k.write = write;
    k.check = check;
    k.from_text = from_text;
    return k;
}

[[noreturn]] void fail(const std::string& key, const std::string& expect, const std::string& got) {
    throw ConfigError(key + ": " + expect + ", got " + got);
}

// ---------------------------------------------------------------- composite keys

// traffic_config.packet_rate: a number of pps, or a rate text ("5Gbps", "40%", "max").
void read_rate(const Walker& w, const Src& v, const std::string& p, TestConfig& cfg) {
    const Leaf l = v.leaf();
    if (l.kind == Leaf::String) {
        if (!parse_rate_text(l.text, cfg)) w.bad(v, p, kExpectRate);
    } else {
        cfg.packet_rate = w.get_uint(v, p, 1, UINT64_MAX, kExpectRate);
        cfg.rate_max = false;
        cfg.rate_bps = cfg.rate_percent = 0;
    }
}

json::value rate_json(const TestConfig& c) {
    if (c.rate_max) return json::value("max");
    if (c.rate_bps > 0 || c.rate_percent > 0) return json::value(rate_text(c));
    return json::value(c.packet_rate);
}

void check_rate(const TestConfig& c) {
    const std::string key = "traffic_config.packet_rate";
    if (!c.rate_max && c.packet_rate == 0 && c.rate_percent == 0 && c.rate_bps == 0) fail(key, kExpectRate, "0");
    if (!std::isfinite(c.rate_bps) || c.rate_bps < 0 || !std::isfinite(c.rate_percent) || c.rate_percent < 0 ||
        c.rate_percent > 100)
        fail(key, kExpectRate, rate_text(c));
}

// traffic_config.packet_size: a number, "imix" or a weighted list.
void read_size(const Walker& w, const Src& v, const std::string& p, TestConfig& cfg) {
    const Leaf l = v.leaf();
    uint64_t ignored;
    // A quoted number stays a string (an error, as for every integer key).
    if (l.kind == Leaf::String && !parse_uint_text(l.text, ignored)) {
        if (!parse_size_text(l.text, cfg)) w.bad(v, p, kExpectSize);
    } else {
        cfg.packet_size = static_cast<uint32_t>(w.get_uint(v, p, kPacketSizeMin, kPacketSizeMax, kExpectSize));
        cfg.size_mix.clear();
        cfg.size_imix = false;
    }
}

void check_size(const TestConfig& c) {
    const std::string key = "traffic_config.packet_size";
    if (c.packet_size < kPacketSizeMin || c.packet_size > kPacketSizeMax) fail(key, kExpectSize, std::to_string(c.packet_size));
    for (const auto& m : c.size_mix)
        if (m.size < kPacketSizeMin || m.size > kPacketSizeMax || m.weight < 1 || m.weight > kSizeWeightMax ||
            m.size > c.packet_size)
            fail(key, kExpectSize, std::to_string(m.size) + ":" + std::to_string(m.weight));
}

void read_flow_spec(const Walker& w, const Src& v, const std::string& p, TestConfig& cfg) { cfg.flow_spec = w.flow_spec(v, p); }

// flow_spec with its defaults resolved (so results say which addresses were
// sent), or null.
json::value flow_spec_json(const TestConfig& c) {
    if (!c.flow_spec) return nullptr;
    const FlowSpecConfig fs = resolved_flow_spec(c);
    auto addr = [](const AddrRange& r) { return json::object{{"start", r.start}, {"count", r.count}, {"step", r.step}}; };
    auto port = [](const PortRange& r) { return json::object{{"start", r.start}, {"count", r.count}, {"step", r.step}}; };
    return json::object{{"src_ip", addr(fs.src_ip)}, {"dst_ip", addr(fs.dst_ip)},
                        {"src_port", port(fs.src_port)}, {"dst_port", port(fs.dst_port)}};
}

void read_vlan(const Walker& w, const Src& v, const std::string& p, TestConfig& cfg) { cfg.vlan = w.vlan(v, p); }

json::value vlan_json(const TestConfig& c) {
    if (!c.vlan) return nullptr;
    return json::object{{"id", c.vlan->id}, {"pcp", c.vlan->pcp}};
}

void check_vlan(const TestConfig& c) {
    if (c.vlan && (c.vlan->id < 1 || c.vlan->id > 4094))
        fail("traffic_config.vlan.id", kExpectVlanId, std::to_string(c.vlan->id));
    if (c.vlan && c.vlan->pcp > 7) fail("traffic_config.vlan.pcp", kExpectPcp, std::to_string(c.vlan->pcp));
}

void read_patterns(const Walker& w, const Src& v, const std::string& p, TestConfig& cfg) {
    std::vector<PatternConfig> out;
    size_t i = 0;
    for (const auto& item : w.list(v, p)) out.push_back(w.pattern(item, p + "[" + std::to_string(i++) + "]"));
    cfg.patterns = std::move(out);
}

json::value patterns_json(const TestConfig& c) {
    json::array patterns;
    for (const auto& p : c.patterns) {
        // Only the type's own fields: the loader refuses the others.
        json::object o{{"name", p.name}, {"type", p.type}};
        if (p.duration > 0) o["duration"] = p.duration;
        if ((p.type == "constant" || p.type == "poisson") && p.rate > 0) o["rate"] = p.rate;
        if (p.type == "poisson" && p.seed) o["seed"] = *p.seed;
        if (p.type == "burst") {
            o["burst_rate"] = p.burst_rate;
            o["burst_duration"] = p.burst_duration;
            o["inter_burst_gap"] = p.inter_burst_gap;
        }
        if (p.type == "ramp") {
            o["from"] = p.from;
            o["to"] = p.to;
            o["over"] = p.over;
        }
        patterns.push_back(std::move(o));
    }
    return patterns;
}

void read_metrics(const Walker& w, const Src& v, const std::string& p, TestConfig& cfg) {
    std::vector<std::string> out;
    size_t i = 0;
    for (const auto& item : w.list(v, p))
        out.push_back(w.get_checked_string(item, p + "[" + std::to_string(i++) + "]", non_empty, kExpectNonEmpty));
    cfg.metrics = std::move(out);
}

json::value metrics_json(const TestConfig& c) {
    json::array metrics;
    for (const auto& m : c.metrics) metrics.push_back(json::string(m));
    return metrics;
}

void check_metrics(const TestConfig& c) {
    for (size_t i = 0; i < c.metrics.size(); ++i)
        if (c.metrics[i].empty()) fail("monitoring_config.metrics[" + std::to_string(i) + "]", kExpectNonEmpty, "\"\"");
}

// The keys of one machine, network_config.src_machine or dst_machine.
template <MachineConfig TestConfig::*M>
void add_machine(std::vector<KeyDef>& t, const std::string& section) {
    t.push_back(string_key(section + ".ip", valid_ipv4, kExpectIpv4, EBT_FIELD((c.*M).ip)));
    t.push_back(string_key(section + ".interface", valid_ifname, kExpectIfName, EBT_FIELD((c.*M).interface)));
    t.push_back(string_key(section + ".mac", valid_mac_or_empty, kExpectMac, EBT_FIELD((c.*M).mac)));
    t.push_back(uint_key(section + ".control_port", 1, kPortMax, kExpectPort, EBT_FIELD((c.*M).control_port)));
    t.push_back(string_key(section + ".ipv6", valid_ipv6, kExpectIpv6, EBT_FIELD((c.*M).ipv6)));
}

// ==================================================================== the table

// One row per key, in results.json's order.  Defaults live in TestConfig.
std::vector<KeyDef> make_keys() {
    std::vector<KeyDef> t = {
        string_key("test_config.name", non_empty, kExpectNonEmpty, EBT_FIELD(c.name)),
        simple("test_config.duration", KeyType::Seconds, EBT_FIELD(c.duration_s)),
        string_key("test_config.results_dir", non_empty, kExpectNonEmpty, EBT_FIELD(c.results_dir)),

        custom_key("traffic_config.packet_rate", kExpectRate, read_rate, rate_json, check_rate, parse_rate_text),
        enum_key("traffic_config.rate_layer", {"l1", "l2"}, EBT_FIELD(c.rate_layer)),
        custom_key("traffic_config.packet_size", kExpectSize, read_size, size_json, check_size, parse_size_text),
        uint_key("traffic_config.flows", 1, kFlowsMax, kExpectFlows, EBT_FIELD(c.flows)),
        uint_key("traffic_config.threads", 1, kThreadsMax, kExpectThreads, EBT_FIELD(c.threads)),
        uint_key("traffic_config.src_port", 1, kPortMax, kExpectPort, EBT_FIELD(c.src_port)),
        uint_key("traffic_config.dst_port", 1, kPortMax, kExpectPort, EBT_FIELD(c.dst_port)),
        custom_key("traffic_config.flow_spec", kExpectFlowSpec, read_flow_spec, flow_spec_json),
        uint_choice_key("traffic_config.ip_version", {4, 6}, EBT_FIELD(c.ip_version)),
        custom_key("traffic_config.vlan", kExpectVlan, read_vlan, vlan_json, check_vlan),
        custom_key("traffic_config.patterns", "", read_patterns, patterns_json),
        enum_key(std::string(kPatternTypeKey), {"constant", "burst", "ramp", "poisson"}, nullptr, nullptr),
    };
    add_machine<&TestConfig::src_machine>(t, "network_config.src_machine");
    add_machine<&TestConfig::dst_machine>(t, "network_config.dst_machine");
    // The generator's request; "" leaves the choice to the receiver (its first --modes).
    t.push_back(enum_key("network_config.dst_machine.receiver_mode", {"", "xdp", "baseline"},
                         EBT_FIELD(c.dst_machine.receiver_mode)));
    t.push_back(enum_key("network_config.xdp_mode", {"auto", "native", "generic"}, EBT_FIELD(c.xdp_mode)));
    t.push_back(simple("network_config.discovery.enabled", KeyType::Bool, EBT_FIELD(c.discovery.enabled)));
    t.push_back(enum_key("network_config.discovery.method", {"mdns"}, EBT_FIELD(c.discovery.method)));
    t.push_back(simple("network_config.discovery.timeout", KeyType::Seconds, EBT_FIELD(c.discovery.timeout)));

    t.push_back(simple("monitoring_config.sample_rate", KeyType::Seconds, EBT_FIELD(c.sample_rate)));
    t.push_back(custom_key("monitoring_config.metrics", "", read_metrics, metrics_json, check_metrics));
    t.push_back(simple("monitoring_config.real_time.enabled", KeyType::Bool, EBT_FIELD(c.real_time.enabled)));
    t.push_back(simple("monitoring_config.real_time.update_interval", KeyType::Seconds, EBT_FIELD(c.real_time.update_interval)));

    // Where the values came from: written to JSON, read from JSON only.
    for (KeyDef k : {string_key("source.preset", nullptr, "", EBT_FIELD(c.preset)),
                     string_key("source.config_file", nullptr, "", EBT_FIELD(c.config_file))}) {
        k.json_only = true;
        t.push_back(std::move(k));
    }
    return t;
}

#undef EBT_FIELD

// ---------------------------------------------------------------- the walk

void read_key(const Walker& w, const KeyDef& k, const Src& v, const std::string& p, TestConfig& cfg) {
    switch (k.type) {
    case KeyType::Uint: {
        const uint64_t u = w.get_uint(v, p, k.lo, k.hi, k.expect_text());
        if (!k.values.empty() && !k.allows(std::to_string(u))) w.bad(v, p, k.expect_text());
        return k.set(cfg, u);
    }
    case KeyType::Seconds: return k.set(cfg, w.get_double(v, p, false, kExpectSeconds));
    case KeyType::Bool: return k.set(cfg, w.get_bool(v, p));
    case KeyType::String:
        return k.set(cfg, k.valid ? w.get_checked_string(v, p, k.valid, k.expect) : w.get_string(v, p));
    case KeyType::Enum: return k.set(cfg, w.get_choice(v, p, k));
    case KeyType::Custom: return k.read(w, v, p, cfg);
    }
}

// A flow_spec sets the flow count; `flows` beside it in the same section must agree.
void finish_traffic(const Walker& w, const std::string& path, TestConfig& cfg, const std::map<std::string, int>& lines) {
    if (!lines.count(path + ".flow_spec") || !cfg.flow_spec) return;
    if (const auto f = lines.find(path + ".flows"); f != lines.end() && cfg.flows != cfg.flow_spec->flows())
        w.fail(f->second, path + ".flows", flows_conflict(cfg.flows, *cfg.flow_spec));
    cfg.flows = static_cast<uint32_t>(cfg.flow_spec->flows());
}

// One map of the document: its keys are the table's rows under `path`,
// sections recurse.
void walk_section(const Walker& w, const Src& n, const std::string& path, TestConfig& cfg) {
    const std::string prefix = path.empty() ? "" : path + ".";
    std::vector<std::pair<std::string, Walker::Handler>> handlers;
    std::map<std::string, int> lines;   // keys read here: the line of their value
    for (const KeyDef& k : keys()) {
        if (k.item() || (k.json_only && w.yaml) || !k.path.starts_with(prefix)) continue;
        const std::string rest = k.path.substr(prefix.size());
        const std::string child = rest.substr(0, rest.find('.'));
        if (std::any_of(handlers.begin(), handlers.end(), [&](const auto& h) { return h.first == child; })) continue;
        if (child == rest) {
            handlers.push_back({child, [&w, &k, &cfg, &lines](const Src& v, const std::string& p) {
                                    read_key(w, k, v, p, cfg);
                                    lines[k.path] = v.line();
                                }});
        } else {
            handlers.push_back({child, [&w, &cfg](const Src& v, const std::string& p) { walk_section(w, v, p, cfg); }});
        }
    }
    w.walk_map(n, path, handlers);
    if (path == "traffic_config") finish_traffic(w, path, cfg, lines);
}

void put(json::object& root, const std::string& path, json::value v) {
    json::object* o = &root;
    size_t pos = 0;
    for (size_t dot; (dot = path.find('.', pos)) != std::string::npos; pos = dot + 1) {
        json::value& section = (*o)[path.substr(pos, dot - pos)];
        if (!section.is_object()) section = json::object();
        o = &section.as_object();
    }
    (*o)[path.substr(pos)] = std::move(v);
}

}  // namespace

// ==================================================================== KeyDef

std::string choice_expect(const std::vector<std::string>& values) {
    // An empty value (a key whose default is "none chosen") shows as "".
    auto shown = [&](size_t i) { return values[i].empty() ? std::string("\"\"") : values[i]; };
    if (values.size() == 1) return "expected " + shown(0);
    if (values.size() == 2) return "expected " + shown(0) + " or " + shown(1);
    std::string out = "expected one of ";
    for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + shown(i);
    return out;
}

std::string KeyDef::expect_text() const {
    if (!values.empty()) return choice_expect(values);
    if (type == KeyType::Seconds) return kExpectSeconds;
    return expect;
}

bool KeyDef::allows(const std::string& value) const {
    return std::find(values.begin(), values.end(), value) != values.end();
}

const std::vector<KeyDef>& keys() {
    static const std::vector<KeyDef> table = make_keys();
    return table;
}

const KeyDef& key_def(std::string_view path) {
    for (const KeyDef& k : keys())
        if (k.path == path) return k;
    throw std::out_of_range("no config key " + std::string(path));
}

// ==================================================================== the operations

void walk_document(const Walker& w, const Src& root, TestConfig& cfg) {
    if (root.leaf().kind != Leaf::Map && root.leaf().kind != Leaf::Null) {
        std::string where = w.origin;
        if (w.yaml && root.line() > 0) where += ":" + std::to_string(root.line());
        throw ConfigError(where + ": the top level must be a map of sections, got " + describe(root.leaf()));
    }
    walk_section(w, root, "", cfg);
}

void check_keys(const TestConfig& c) {
    for (const KeyDef& k : keys()) {
        if (k.item()) continue;
        switch (k.type) {
        case KeyType::Uint: {
            const uint64_t u = std::get<uint64_t>(k.get(c));
            if (u < k.lo || u > k.hi || (!k.values.empty() && !k.allows(std::to_string(u))))
                fail(k.path, k.expect_text(), std::to_string(u));
            break;
        }
        case KeyType::Seconds: {
            const double d = std::get<double>(k.get(c));
            if (!std::isfinite(d) || d <= 0) fail(k.path, kExpectSeconds, num_text(d));
            break;
        }
        case KeyType::String: {
            const std::string s = std::get<std::string>(k.get(c));
            if (k.valid && !k.valid(s)) fail(k.path, k.expect, quoted(s));
            break;
        }
        case KeyType::Enum: {
            const std::string s = std::get<std::string>(k.get(c));
            if (!k.allows(s)) fail(k.path, k.expect_text(), quoted(s));
            break;
        }
        case KeyType::Bool:
        case KeyType::Custom: break;
        }
        if (k.check) k.check(c);
    }
}

json::object keys_json(const TestConfig& c) {
    json::object out;
    for (const KeyDef& k : keys()) {
        if (k.item()) continue;
        if (k.write) {
            put(out, k.path, k.write(c));
            continue;
        }
        put(out, k.path, std::visit([](const auto& v) { return json::value(v); }, k.get(c)));
    }
    return out;
}

}  // namespace ebt::config_detail
