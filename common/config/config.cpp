// Configuration loading: one schema walker serves both YAML (config files,
// presets) and JSON (control protocol, results), so both get the same key
// names, the same type rules and the same range checks.
#include "config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include <arpa/inet.h>

#include <boost/json.hpp>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "cli.hpp"
#include "packet.hpp"

namespace ebt {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// ---------------------------------------------------------------- limits

constexpr uint64_t kPacketSizeMin = 60;
constexpr uint64_t kPacketSizeMax = 9000;
constexpr uint64_t kFlowsMax = 65536;
constexpr uint64_t kThreadsMax = 64;
constexpr uint64_t kPortMax = 65535;
constexpr size_t kIfNameMax = 15;  // IFNAMSIZ - 1

constexpr const char* kExpectRate =
    "expected packets per second (10000, 10kpps), bits per second (500Mbps, 5Gbps), "
    "a percentage of the link speed (40%) or \"max\"";
constexpr const char* kExpectLayer = "expected l1 or l2";
constexpr const char* kExpectSize =
    "expected a frame size in 60..9000, \"imix\", or a weighted list like \"60:7,566:4,1514:1\"";
constexpr uint64_t kSizeWeightMax = 1000;  // bounds the per-lcore size pattern (sum of weights)
constexpr const char* kExpectFlows = "expected an integer in 1..65536";
constexpr const char* kExpectThreads = "expected an integer in 1..64";
constexpr const char* kExpectPort = "expected a port number in 1..65535";
constexpr const char* kExpectSeconds = "expected a positive number of seconds";
constexpr const char* kExpectNonNegSeconds = "expected a non-negative number of seconds";
constexpr const char* kExpectIpv4 = "expected a dotted-quad IPv4 address like 198.18.0.2";
constexpr const char* kExpectMac = "expected a MAC address like 02:00:00:00:00:01, or \"\" to learn it";
constexpr const char* kExpectIfName = "expected an interface name (at most 15 characters, no '/' or spaces)";
constexpr const char* kExpectXdpMode = "expected one of auto, native, generic";
constexpr const char* kExpectPatternType = "expected one of constant, burst, ramp, poisson";
constexpr const char* kExpectPatternPps =
    "expected whole packets per second (50000, 50kpps, 1.5Mpps)";
constexpr const char* kExpectMethod = "expected mdns";
constexpr const char* kExpectNonEmpty = "expected a non-empty string";
constexpr const char* kExpectIpv6 = "expected an IPv6 address like 2001:2::1";
constexpr const char* kExpectIpAny = "expected an IPv4 or IPv6 address (198.18.0.1, 2001:2::1)";
constexpr const char* kExpectIpVersion = "expected 4 or 6";
constexpr const char* kExpectVlan = "expected a map {id: 1..4094, pcp: 0..7}, or null for untagged frames";
constexpr const char* kExpectVlanId = "expected a VLAN id in 1..4094";
constexpr const char* kExpectPcp = "expected a priority (PCP) in 0..7";
constexpr const char* kExpectFlowSpec = "expected a map of ranges src_ip, dst_ip, src_port, dst_port";
constexpr const char* kExpectRange = "expected a map {start, count, step}";
constexpr const char* kExpectAddrStep = "expected a step in 0..4294967295";
constexpr const char* kExpectPortStep = "expected a step in 0..65535";

// ---------------------------------------------------------------- small helpers

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// Doubles print in the shortest form that reads back the same.
std::string num_text(double d) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
}

// Whole-string strict parsers: no sign, no spaces, no suffixes.
bool parse_uint_text(const std::string& s, uint64_t& out) {
    if (s.empty() || s[0] < '0' || s[0] > '9') return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_double_text(const std::string& s, double& out) {
    if (s.empty()) return false;
    // from_chars accepts "inf"/"nan"; require a digit-led (or "-digit") number.
    size_t i = (s[0] == '-') ? 1 : 0;
    if (i >= s.size() || !((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

// A rate as written: "max", "N%", or a number with an optional unit (pps,
// kpps, Mpps, Gpps, bps, kbps, Mbps, Gbps, Tbps; case-insensitive).  Fills
// the rate fields of cfg; false if the text is none of these.
bool parse_rate_text(const std::string& s, TestConfig& cfg) {
    if (s == "max") {
        cfg.rate_max = true;
        cfg.packet_rate = TestConfig{}.packet_rate;  // canonical, so JSON round trips exactly
        cfg.rate_bps = cfg.rate_percent = 0;
        return true;
    }
    size_t end = 0;
    while (end < s.size() && ((s[end] >= '0' && s[end] <= '9') || s[end] == '.')) ++end;
    double v;
    if (end == 0 || !parse_double_text(s.substr(0, end), v) || v <= 0) return false;
    std::string unit = s.substr(end);
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
    if (unit == "%") {
        if (v > 100) return false;
        cfg.rate_max = false;
        cfg.rate_percent = v;
        cfg.rate_bps = 0;
        cfg.packet_rate = 0;  // resolve_rate(), from the link speed
        return true;
    }
    static const std::pair<const char*, double> kUnits[] = {
        {"", 1}, {"pps", 1}, {"kpps", 1e3}, {"mpps", 1e6}, {"gpps", 1e9},
        {"bps", -1}, {"kbps", -1e3}, {"mbps", -1e6}, {"gbps", -1e9}, {"tbps", -1e12}};
    for (const auto& [name, mult] : kUnits) {
        if (unit != name) continue;
        if (mult > 0) {  // packets per second: must be a whole number
            const double pps = v * mult;
            if (pps != std::floor(pps) || pps < 1 || pps > 1.8e19) return false;
            cfg.packet_rate = static_cast<uint64_t>(pps);
            cfg.rate_bps = cfg.rate_percent = 0;
        } else {
            cfg.rate_bps = v * -mult;
            cfg.rate_percent = 0;
            cfg.packet_rate = 0;  // resolve_rate(), from the frame size
        }
        cfg.rate_max = false;
        return true;
    }
    return false;
}

// A frame size as written: N, "imix", or "SIZE:WEIGHT,..." (sizes 60..9000,
// weights 1..1000, sizes distinct).  Fills packet_size and size_mix.
bool parse_size_text(const std::string& s, TestConfig& cfg) {
    uint64_t v;
    if (parse_uint_text(s, v)) {
        if (v < kPacketSizeMin || v > kPacketSizeMax) return false;
        cfg.packet_size = static_cast<uint32_t>(v);
        cfg.size_mix.clear();
        cfg.size_imix = false;
        return true;
    }
    std::vector<SizeWeight> mix;
    if (s == "imix") {
        mix = kImix;
    } else {
        size_t pos = 0;
        while (pos <= s.size()) {
            const size_t comma = std::min(s.find(',', pos), s.size());
            const std::string item = s.substr(pos, comma - pos);
            pos = comma + 1;
            const size_t colon = item.find(':');
            uint64_t size, weight;
            if (colon == std::string::npos || !parse_uint_text(item.substr(0, colon), size) ||
                !parse_uint_text(item.substr(colon + 1), weight) || size < kPacketSizeMin ||
                size > kPacketSizeMax || weight < 1 || weight > kSizeWeightMax)
                return false;
            for (const auto& m : mix)
                if (m.size == size) return false;
            mix.push_back({static_cast<uint32_t>(size), static_cast<uint32_t>(weight)});
        }
    }
    cfg.size_imix = s == "imix";
    cfg.packet_size = 0;
    for (const auto& m : mix) cfg.packet_size = std::max(cfg.packet_size, m.size);
    cfg.size_mix = std::move(mix);
    return true;
}

json::value size_json(const TestConfig& c) {
    if (c.size_mix.empty()) return json::value(c.packet_size);
    if (c.size_imix) return json::value("imix");
    std::string t;
    for (const auto& m : c.size_mix) t += (t.empty() ? "" : ",") + std::to_string(m.size) + ":" + std::to_string(m.weight);
    return json::value(t);
}

// The text form of a bps/% rate for JSON (reads back to the same value).
// Shortest fixed-notation text that reads back the same: rate strings are
// parsed without exponents, so "5e-04%" must be written "0.0005%" (fuzzing
// found the round trip failing).
std::string fixed_text(double d) {
    char buf[512];
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
    return std::string(buf, r.ptr);
}

std::string rate_text(const TestConfig& c) {
    if (c.rate_percent > 0) return fixed_text(c.rate_percent) + "%";
    for (const auto& [name, div] : {std::pair{"Tbps", 1e12}, {"Gbps", 1e9}, {"Mbps", 1e6}, {"kbps", 1e3}}) {
        const double v = c.rate_bps / div;
        if (v >= 1 && v * div == c.rate_bps) return fixed_text(v) + name;
    }
    return fixed_text(c.rate_bps) + "bps";
}

// ---------------------------------------------------------------- patterns

bool valid_pattern_type(const std::string& s) {
    return s == "constant" || s == "burst" || s == "ramp" || s == "poisson";
}

// The type-specific fields of each pattern type (name, type and duration
// belong to all).
std::string pattern_fields(const std::string& type) {
    if (type == "constant") return "rate";
    if (type == "poisson") return "rate, seed";
    if (type == "burst") return "burst_rate, burst_duration, inter_burst_gap";
    if (type == "ramp") return "from, to, over";
    return "";
}

bool pattern_field_applies(const std::string& type, const std::string& field) {
    const std::string fields = ", " + pattern_fields(type) + ",";
    return fields.find(", " + field + ",") != std::string::npos;
}

// One pattern's own rules; {key, message} for the first broken one.
std::optional<std::pair<std::string, std::string>> check_pattern(const PatternConfig& p, const std::string& key) {
    auto err = [&](const std::string& field, const std::string& msg) {
        return std::optional<std::pair<std::string, std::string>>({key + "." + field, msg});
    };
    auto finite_nonneg = [](double d) { return std::isfinite(d) && d >= 0; };
    if (!valid_pattern_type(p.type)) return err("type", std::string(kExpectPatternType) + ", got " + quoted(p.type));
    if (!finite_nonneg(p.duration)) return err("duration", std::string(kExpectSeconds) + ", got " + num_text(p.duration));
    if (p.type == "burst") {
        if (p.burst_rate == 0) return err("burst_rate", "expected a positive number of packets per second for a burst pattern, got 0");
        if (!finite_nonneg(p.burst_duration) || p.burst_duration == 0)
            return err("burst_duration", "expected a positive number of seconds for a burst pattern, got " + num_text(p.burst_duration));
        if (!finite_nonneg(p.inter_burst_gap))
            return err("inter_burst_gap", std::string(kExpectNonNegSeconds) + ", got " + num_text(p.inter_burst_gap));
        if (static_cast<double>(p.burst_rate) * p.burst_duration < 0.5)
            return err("burst_rate", "burst_rate x burst_duration is less than one packet per burst (" +
                                         std::to_string(p.burst_rate) + " pps x " + num_text(p.burst_duration) + " s)");
    } else if (p.type == "ramp") {
        if (!std::isfinite(p.over) || p.over <= 0)
            return err("over", "expected a positive number of seconds for a ramp pattern, got " + num_text(p.over));
        if (p.from == 0 && p.to == 0) return err("to", "a ramp from 0 to 0 pps sends nothing: expected from or to > 0");
        if (p.duration > 0 && p.duration < p.over)
            return err("duration", "expected at least the ramp's over (" + num_text(p.over) + " s), got " + num_text(p.duration));
    }
    return std::nullopt;
}

bool valid_ifname(const std::string& s) {
    if (s.size() > kIfNameMax) return false;
    return std::none_of(s.begin(), s.end(), [](char c) {
        return c == '/' || c == ':' || c == '\0' || static_cast<unsigned char>(c) <= ' ';
    });
}

bool valid_mac_or_empty(const std::string& s) {
    uint8_t mac[6];
    return s.empty() || parse_mac(s, mac);
}

bool valid_ipv4(const std::string& s) {
    uint32_t ip;
    return parse_ipv4(s, ip);
}

bool valid_ipv6(const std::string& s) {
    std::array<uint8_t, 16> a;
    return parse_ipv6(s, a);
}

bool valid_ip_any(const std::string& s) { return valid_ipv4(s) || valid_ipv6(s); }

// ---------------------------------------------------------------- flow_spec

using KeyError = std::optional<std::pair<std::string, std::string>>;  // {key, message}

// The rules of a flow_spec on its own (the walker, with a line, and
// validate() share them): a step of 0 only with count 1, at most
// EBT_MAX_FLOWS flows.  Addresses and overflow need ip_version: validate().
KeyError flow_spec_shape_error(const FlowSpecConfig& fs, const std::string& path) {
    auto step_error = [&](const char* name, uint32_t count, uint32_t step) -> KeyError {
        if (step == 0 && count > 1)
            return KeyError({path + "." + name + ".step", "expected at least 1 with count " + std::to_string(count) +
                                                              " (step 0 repeats one value), got 0"});
        return std::nullopt;
    };
    for (const auto& [name, count] : {std::pair{"src_ip", fs.src_ip.count}, {"dst_ip", fs.dst_ip.count},
                                      {"src_port", fs.src_port.count}, {"dst_port", fs.dst_port.count}})
        if (count < 1 || count > kFlowsMax)
            return KeyError({path + "." + name + ".count", std::string(kExpectFlows) + ", got " + std::to_string(count)});
    if (auto e = step_error("src_ip", fs.src_ip.count, fs.src_ip.step)) return e;
    if (auto e = step_error("dst_ip", fs.dst_ip.count, fs.dst_ip.step)) return e;
    if (auto e = step_error("src_port", fs.src_port.count, fs.src_port.step)) return e;
    if (auto e = step_error("dst_port", fs.dst_port.count, fs.dst_port.step)) return e;
    if (fs.src_port.step > kPortMax || fs.dst_port.step > kPortMax)
        return KeyError({path + (fs.src_port.step > kPortMax ? ".src_port" : ".dst_port") + ".step",
                         std::string(kExpectPortStep) + ", got " + std::to_string(std::max(fs.src_port.step, fs.dst_port.step))});
    if (fs.flows() > kFlowsMax)
        return KeyError({path, "its counts make " + std::to_string(fs.src_ip.count) + " x " + std::to_string(fs.dst_ip.count) +
                                   " x " + std::to_string(fs.src_port.count) + " x " + std::to_string(fs.dst_port.count) +
                                   " = " + std::to_string(fs.flows()) +
                                   " flows (src_ip x dst_ip x src_port x dst_port), over the maximum of " +
                                   std::to_string(kFlowsMax)});
    return std::nullopt;
}

// `flows` given next to a flow_spec must be its product.
std::string flows_conflict(uint64_t flows, const FlowSpecConfig& fs) {
    return std::to_string(flows) + " conflicts with traffic_config.flow_spec, which makes " +
           std::to_string(fs.flows()) + " flows (the product of its counts): omit flows or give " +
           std::to_string(fs.flows());
}

// ---------------------------------------------------------------- source nodes

// A read-only view of one YAML or JSON node.  Leaf values are classified the
// same way for both, so the schema walker below does not care which it is.
struct Leaf {
    enum Kind { Null, Bool, Int, Double, String, Map, List } kind = Null;
    bool b = false;
    bool negative = false;    // Int: below zero
    bool overflow = false;    // Int: does not fit 64 bits
    uint64_t u = 0;           // Int: magnitude
    double d = 0;             // Int (when it fits) or Double
    std::string text;         // String: the value; others: how it was written
};

bool is_yaml_true(const std::string& s) { return s == "true" || s == "True" || s == "TRUE"; }
bool is_yaml_false(const std::string& s) { return s == "false" || s == "False" || s == "FALSE"; }

struct SrcEntry;

class Src {
public:
    static Src yaml(const YAML::Node& n, int line) { Src s; s.y_ = n; s.is_yaml_ = true; s.line_ = line; return s; }
    static Src of_json(const json::value& v) { Src s; s.j_ = &v; return s; }

    int line() const { return line_; }   // 1-based; 0 for JSON

    Leaf leaf() const { return is_yaml_ ? yaml_leaf() : json_leaf(); }

    // Map entries in document order (a null reads as no entries).
    std::vector<SrcEntry> entries() const;
    std::vector<Src> items() const {
        std::vector<Src> out;
        if (is_yaml_) {
            for (const auto& item : y_) {
                int l = item.Mark().is_null() ? line_ : item.Mark().line + 1;
                out.push_back(yaml(item, l));
            }
        } else if (const json::array* a = j_->if_array()) {
            for (const auto& item : *a) out.push_back(of_json(item));
        }
        return out;
    }

private:
    Leaf yaml_leaf() const {
        Leaf l;
        if (y_.IsMap()) { l.kind = Leaf::Map; return l; }
        if (y_.IsSequence()) { l.kind = Leaf::List; return l; }
        if (!y_.IsScalar()) { l.kind = Leaf::Null; l.text = "null"; return l; }
        const std::string& s = y_.Scalar();
        l.text = s;
        if (y_.Tag() != "?") { l.kind = Leaf::String; return l; }   // quoted: always a string
        if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
            l.kind = Leaf::Null;
            l.text = "null";
            return l;
        }
        if (is_yaml_true(s) || is_yaml_false(s)) { l.kind = Leaf::Bool; l.b = is_yaml_true(s); return l; }
        bool neg = s[0] == '-';
        std::string digits = neg ? s.substr(1) : s;
        if (!digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            l.kind = Leaf::Int;
            l.negative = neg && digits.find_first_not_of('0') != std::string::npos;
            l.overflow = !parse_uint_text(digits, l.u);
            l.d = neg ? -static_cast<double>(l.u) : static_cast<double>(l.u);
            return l;
        }
        double d;
        if (parse_double_text(s, d)) { l.kind = Leaf::Double; l.d = d; return l; }
        l.kind = Leaf::String;
        return l;
    }

    Leaf json_leaf() const {
        Leaf l;
        switch (j_->kind()) {
        case json::kind::null: l.kind = Leaf::Null; l.text = "null"; break;
        case json::kind::bool_: l.kind = Leaf::Bool; l.b = j_->get_bool(); l.text = l.b ? "true" : "false"; break;
        case json::kind::int64: {
            int64_t v = j_->get_int64();
            l.kind = Leaf::Int;
            l.negative = v < 0;
            l.u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
            l.d = static_cast<double>(v);
            l.text = std::to_string(v);
            break;
        }
        case json::kind::uint64:
            l.kind = Leaf::Int;
            l.u = j_->get_uint64();
            l.d = static_cast<double>(l.u);
            l.text = std::to_string(l.u);
            break;
        case json::kind::double_:
            l.kind = Leaf::Double;
            l.d = j_->get_double();
            l.text = num_text(l.d);
            break;
        case json::kind::string: l.kind = Leaf::String; l.text = std::string(j_->get_string()); break;
        case json::kind::object: l.kind = Leaf::Map; break;
        case json::kind::array: l.kind = Leaf::List; break;
        }
        return l;
    }

    YAML::Node y_;
    const json::value* j_ = nullptr;
    bool is_yaml_ = false;
    int line_ = 0;
};

struct SrcEntry { std::string key; int line; Src value; bool key_ok; };

std::vector<SrcEntry> Src::entries() const {
    std::vector<SrcEntry> out;
    if (is_yaml_) {
        for (auto it = y_.begin(); it != y_.end(); ++it) {
            int kl = it->first.Mark().is_null() ? line_ : it->first.Mark().line + 1;
            bool ok = it->first.IsScalar();
            out.push_back({ok ? it->first.Scalar() : std::string(), kl, yaml(it->second, kl), ok});
        }
    } else if (const json::object* o = j_->if_object()) {
        for (const auto& kv : *o)
            out.push_back({std::string(kv.key()), 0, of_json(kv.value()), true});
    }
    return out;
}

// How a leaf reads in a message: strings quoted, containers by kind.
std::string describe(const Leaf& l) {
    switch (l.kind) {
    case Leaf::Map: return "a map";
    case Leaf::List: return "a list";
    case Leaf::Null: return "null";
    case Leaf::String: return quoted(l.text);
    default: return l.text;
    }
}

// ---------------------------------------------------------------- schema walker

struct Walker {
    std::string origin;   // file name, or "config JSON"
    bool yaml;

    [[noreturn]] void fail(int line, const std::string& path, const std::string& msg) const {
        std::string where = origin;
        if (yaml && line > 0) where += ":" + std::to_string(line);
        throw ConfigError(where + ": " + path + ": " + msg);
    }
    [[noreturn]] void bad(const Src& n, const std::string& path, const std::string& expect) const {
        Leaf l = n.leaf();
        double d;
        // A quoted number is a string in YAML; say so, or the message looks contradictory.
        bool quoted_number = l.kind == Leaf::String && parse_double_text(l.text, d);
        fail(n.line(), path, expect + ", got " + (quoted_number ? "the string " : "") + describe(l));
    }

    // Runs `handlers` for each key of map `n`; unknown keys get a typo hint.
    using Handler = std::function<void(const Src&, const std::string&)>;
    void walk_map(const Src& n, const std::string& path,
                  const std::vector<std::pair<std::string, Handler>>& handlers) const {
        Leaf l = n.leaf();
        if (l.kind == Leaf::Null) return;
        if (l.kind != Leaf::Map) bad(n, path.empty() ? "top level" : path, "expected a map");
        std::set<std::string> seen;
        for (const auto& e : n.entries()) {
            std::string prefix = path.empty() ? "" : path + ".";
            if (!e.key_ok) fail(e.line, path.empty() ? "top level" : path, "expected a plain key name");
            std::string full = prefix + e.key;
            if (!seen.insert(e.key).second) fail(e.line, full, "duplicate key");
            auto h = std::find_if(handlers.begin(), handlers.end(),
                                  [&](const auto& p) { return p.first == e.key; });
            if (h == handlers.end()) {
                std::vector<std::string> known;
                for (const auto& p : handlers) known.push_back(p.first);
                std::string hint = cli::closest_match(e.key, known);
                std::string where = origin;
                if (yaml && e.line > 0) where += ":" + std::to_string(e.line);
                throw ConfigError(where + ": unknown key '" + full + "'" +
                                  (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
            }
            h->second(e.value, full);
        }
    }

    // ---- leaf readers: each checks type and range together.

    uint64_t get_uint(const Src& n, const std::string& path, uint64_t lo, uint64_t hi, const char* expect) const {
        Leaf l = n.leaf();
        if (l.kind != Leaf::Int || l.negative || l.overflow || l.u < lo || l.u > hi) bad(n, path, expect);
        return l.u;
    }
    double get_double(const Src& n, const std::string& path, bool allow_zero, const char* expect) const {
        Leaf l = n.leaf();
        if ((l.kind != Leaf::Int && l.kind != Leaf::Double) || (l.kind == Leaf::Int && l.overflow) ||
            !std::isfinite(l.d) || l.d < 0 || (!allow_zero && l.d == 0))
            bad(n, path, expect);
        return l.d;
    }
    bool get_bool(const Src& n, const std::string& path) const {
        Leaf l = n.leaf();
        if (l.kind != Leaf::Bool) bad(n, path, "expected true or false");
        return l.b;
    }
    // YAML: any scalar reads as its text (a name may be 2024); JSON: strings only.
    std::string get_string(const Src& n, const std::string& path) const {
        Leaf l = n.leaf();
        bool ok = l.kind == Leaf::String ||
                  (yaml && (l.kind == Leaf::Int || l.kind == Leaf::Double || l.kind == Leaf::Bool));
        if (!ok) bad(n, path, "expected a string");
        return l.text;
    }
    std::string get_checked_string(const Src& n, const std::string& path, bool (*ok)(const std::string&),
                                   const char* expect) const {
        std::string s = get_string(n, path);
        if (!ok(s)) bad(n, path, expect);
        return s;
    }

    // ---- sections

    void machine(const Src& n, const std::string& path, MachineConfig& m) const {
        walk_map(n, path, {
            {"ip", [&](const Src& v, const std::string& p) { m.ip = get_checked_string(v, p, valid_ipv4, kExpectIpv4); }},
            {"interface", [&](const Src& v, const std::string& p) { m.interface = get_checked_string(v, p, valid_ifname, kExpectIfName); }},
            {"mac", [&](const Src& v, const std::string& p) { m.mac = get_checked_string(v, p, valid_mac_or_empty, kExpectMac); }},
            {"control_port", [&](const Src& v, const std::string& p) { m.control_port = static_cast<uint16_t>(get_uint(v, p, 1, kPortMax, kExpectPort)); }},
            {"ipv6", [&](const Src& v, const std::string& p) { m.ipv6 = get_checked_string(v, p, valid_ipv6, kExpectIpv6); }},
        });
    }

    // traffic_config.flow_spec: up to four ranges {start, count, step}; null = none.
    std::optional<FlowSpecConfig> flow_spec(const Src& n, const std::string& path) const {
        if (n.leaf().kind == Leaf::Null) return std::nullopt;
        if (n.leaf().kind != Leaf::Map) bad(n, path, kExpectFlowSpec);
        FlowSpecConfig fs;
        auto count = [&](uint32_t& out) {
            return [&](const Src& w, const std::string& q) { out = static_cast<uint32_t>(get_uint(w, q, 1, kFlowsMax, kExpectFlows)); };
        };
        auto addr = [&](AddrRange& r) {
            return [&](const Src& v, const std::string& p) {
                if (v.leaf().kind != Leaf::Map) bad(v, p, kExpectRange);
                walk_map(v, p, {
                    {"start", [&](const Src& w, const std::string& q) { r.start = get_checked_string(w, q, valid_ip_any, kExpectIpAny); }},
                    {"count", count(r.count)},
                    {"step", [&](const Src& w, const std::string& q) { r.step = static_cast<uint32_t>(get_uint(w, q, 0, UINT32_MAX, kExpectAddrStep)); }},
                });
            };
        };
        auto port = [&](PortRange& r) {
            return [&](const Src& v, const std::string& p) {
                if (v.leaf().kind != Leaf::Map) bad(v, p, kExpectRange);
                walk_map(v, p, {
                    {"start", [&](const Src& w, const std::string& q) { r.start = static_cast<uint16_t>(get_uint(w, q, 1, kPortMax, kExpectPort)); }},
                    {"count", count(r.count)},
                    {"step", [&](const Src& w, const std::string& q) { r.step = static_cast<uint32_t>(get_uint(w, q, 0, kPortMax, kExpectPortStep)); }},
                });
            };
        };
        walk_map(n, path, {
            {"src_ip", addr(fs.src_ip)},
            {"dst_ip", addr(fs.dst_ip)},
            {"src_port", port(fs.src_port)},
            {"dst_port", port(fs.dst_port)},
        });
        if (const auto e = flow_spec_shape_error(fs, path)) fail(n.line(), e->first, e->second);
        return fs;
    }

    std::optional<VlanConfig> vlan(const Src& n, const std::string& path) const {
        if (n.leaf().kind == Leaf::Null) return std::nullopt;
        if (n.leaf().kind != Leaf::Map) bad(n, path, kExpectVlan);
        VlanConfig vc;
        bool has_id = false;
        walk_map(n, path, {
            {"id", [&](const Src& v, const std::string& p) { vc.id = static_cast<uint16_t>(get_uint(v, p, 1, 4094, kExpectVlanId)); has_id = true; }},
            {"pcp", [&](const Src& v, const std::string& p) { vc.pcp = static_cast<uint8_t>(get_uint(v, p, 0, 7, kExpectPcp)); }},
        });
        if (!has_id) fail(n.line(), path + ".id", std::string("missing: ") + kExpectVlanId);
        return vc;
    }

    // A pattern's rate: whole packets per second, as a number or a pps text ("10kpps").
    uint64_t get_pps(const Src& n, const std::string& path, bool allow_zero) const {
        Leaf l = n.leaf();
        if (l.kind == Leaf::String) {
            TestConfig scratch;
            if (!parse_rate_text(l.text, scratch) || scratch.rate_max || scratch.rate_bps > 0 || scratch.rate_percent > 0)
                bad(n, path, kExpectPatternPps);
            return scratch.packet_rate;
        }
        return get_uint(n, path, allow_zero ? 0 : 1, UINT64_MAX, kExpectPatternPps);
    }

    PatternConfig pattern(const Src& n, const std::string& path) const {
        PatternConfig pc;
        Leaf l = n.leaf();
        if (l.kind != Leaf::Map) bad(n, path, "expected a map with name, type and the type's fields");
        std::vector<std::string> seen;
        auto mark = [&](const std::string& p) { seen.push_back(p.substr(p.rfind('.') + 1)); };
        walk_map(n, path, {
            {"name", [&](const Src& v, const std::string& p) { pc.name = get_string(v, p); }},
            {"type", [&](const Src& v, const std::string& p) {
                 pc.type = get_checked_string(v, p, valid_pattern_type, kExpectPatternType);
             }},
            {"duration", [&](const Src& v, const std::string& p) { pc.duration = get_double(v, p, false, kExpectSeconds); }},
            {"rate", [&](const Src& v, const std::string& p) { mark(p); pc.rate = get_pps(v, p, false); }},
            {"seed", [&](const Src& v, const std::string& p) { mark(p); pc.seed = get_uint(v, p, 0, UINT64_MAX, "expected a non-negative integer seed"); }},
            {"burst_rate", [&](const Src& v, const std::string& p) { mark(p); pc.burst_rate = get_pps(v, p, true); }},
            {"burst_duration", [&](const Src& v, const std::string& p) { mark(p); pc.burst_duration = get_double(v, p, true, kExpectNonNegSeconds); }},
            {"inter_burst_gap", [&](const Src& v, const std::string& p) { mark(p); pc.inter_burst_gap = get_double(v, p, true, kExpectNonNegSeconds); }},
            {"from", [&](const Src& v, const std::string& p) { mark(p); pc.from = get_pps(v, p, true); }},
            {"to", [&](const Src& v, const std::string& p) { mark(p); pc.to = get_pps(v, p, true); }},
            {"over", [&](const Src& v, const std::string& p) { mark(p); pc.over = get_double(v, p, false, kExpectSeconds); }},
        });
        // A field of another type is a mistake, not something to ignore.
        for (const auto& k : seen)
            if (!pattern_field_applies(pc.type, k))
                fail(n.line(), path + "." + k, "not a field of a " + pc.type + " pattern (" + pattern_fields(pc.type) + ")");
        if (const auto err = check_pattern(pc, path)) fail(n.line(), err->first, err->second);
        return pc;
    }

    std::vector<Src> list(const Src& n, const std::string& path) const {
        Leaf l = n.leaf();
        if (l.kind == Leaf::Null) return {};
        if (l.kind != Leaf::List) bad(n, path, "expected a list");
        return n.items();
    }

    void document(const Src& root, TestConfig& cfg, bool with_source) const {
        std::vector<std::pair<std::string, Handler>> top = {
            {"test_config", [&](const Src& n, const std::string& path) {
                 walk_map(n, path, {
                     {"name", [&](const Src& v, const std::string& p) { cfg.name = get_checked_string(v, p, [](const std::string& s) { return !s.empty(); }, kExpectNonEmpty); }},
                     {"duration", [&](const Src& v, const std::string& p) { cfg.duration_s = get_double(v, p, false, kExpectSeconds); }},
                     {"results_dir", [&](const Src& v, const std::string& p) { cfg.results_dir = get_checked_string(v, p, [](const std::string& s) { return !s.empty(); }, kExpectNonEmpty); }},
                 });
             }},
            {"traffic_config", [&](const Src& n, const std::string& path) {
                 int flows_line = -1;     // >= 0: `flows` is in this section
                 bool spec_here = false;  // `flow_spec` is in this section
                 walk_map(n, path, {
                     {"packet_rate", [&](const Src& v, const std::string& p) {
                          Leaf l = v.leaf();
                          if (l.kind == Leaf::String) {
                              if (!parse_rate_text(l.text, cfg)) bad(v, p, kExpectRate);
                          } else {
                              cfg.packet_rate = get_uint(v, p, 1, UINT64_MAX, kExpectRate);
                              cfg.rate_max = false;
                              cfg.rate_bps = cfg.rate_percent = 0;
                          }
                      }},
                     {"rate_layer", [&](const Src& v, const std::string& p) {
                          cfg.rate_layer = get_checked_string(v, p, [](const std::string& s) { return s == "l1" || s == "l2"; }, kExpectLayer);
                      }},
                     {"packet_size", [&](const Src& v, const std::string& p) {
                          Leaf l = v.leaf();
                          uint64_t ignored;
                          // A quoted number stays a string (an error, as for every integer key).
                          if (l.kind == Leaf::String && !parse_uint_text(l.text, ignored)) {
                              if (!parse_size_text(l.text, cfg)) bad(v, p, kExpectSize);
                          } else {
                              cfg.packet_size = static_cast<uint32_t>(get_uint(v, p, kPacketSizeMin, kPacketSizeMax, kExpectSize));
                              cfg.size_mix.clear();
                              cfg.size_imix = false;
                          }
                      }},
                     {"flows", [&](const Src& v, const std::string& p) { cfg.flows = static_cast<uint32_t>(get_uint(v, p, 1, kFlowsMax, kExpectFlows)); flows_line = v.line(); }},
                     {"flow_spec", [&](const Src& v, const std::string& p) { cfg.flow_spec = flow_spec(v, p); spec_here = true; }},
                     {"ip_version", [&](const Src& v, const std::string& p) {
                          const uint64_t ver = get_uint(v, p, 4, 6, kExpectIpVersion);
                          if (ver == 5) bad(v, p, kExpectIpVersion);
                          cfg.ip_version = static_cast<uint8_t>(ver);
                      }},
                     {"vlan", [&](const Src& v, const std::string& p) { cfg.vlan = vlan(v, p); }},
                     {"threads", [&](const Src& v, const std::string& p) { cfg.threads = static_cast<uint32_t>(get_uint(v, p, 1, kThreadsMax, kExpectThreads)); }},
                     {"src_port", [&](const Src& v, const std::string& p) { cfg.src_port = static_cast<uint16_t>(get_uint(v, p, 1, kPortMax, kExpectPort)); }},
                     {"dst_port", [&](const Src& v, const std::string& p) { cfg.dst_port = static_cast<uint16_t>(get_uint(v, p, 1, kPortMax, kExpectPort)); }},
                     {"patterns", [&](const Src& v, const std::string& p) {
                          std::vector<PatternConfig> out;
                          size_t i = 0;
                          for (const auto& item : list(v, p)) out.push_back(pattern(item, p + "[" + std::to_string(i++) + "]"));
                          cfg.patterns = std::move(out);
                      }},
                 });
                 // A flow_spec sets the flow count; `flows` beside it must agree.
                 if (spec_here && cfg.flow_spec) {
                     if (flows_line >= 0 && cfg.flows != cfg.flow_spec->flows())
                         fail(flows_line, path + ".flows", flows_conflict(cfg.flows, *cfg.flow_spec));
                     cfg.flows = static_cast<uint32_t>(cfg.flow_spec->flows());
                 }
             }},
            {"network_config", [&](const Src& n, const std::string& path) {
                 walk_map(n, path, {
                     {"src_machine", [&](const Src& v, const std::string& p) { machine(v, p, cfg.src_machine); }},
                     {"dst_machine", [&](const Src& v, const std::string& p) { machine(v, p, cfg.dst_machine); }},
                     {"xdp_mode", [&](const Src& v, const std::string& p) {
                          cfg.xdp_mode = get_checked_string(v, p, [](const std::string& s) { return s == "auto" || s == "native" || s == "generic"; }, kExpectXdpMode);
                      }},
                     {"discovery", [&](const Src& v, const std::string& p) {
                          walk_map(v, p, {
                              {"enabled", [&](const Src& w, const std::string& q) { cfg.discovery.enabled = get_bool(w, q); }},
                              {"method", [&](const Src& w, const std::string& q) { cfg.discovery.method = get_checked_string(w, q, [](const std::string& s) { return s == "mdns"; }, kExpectMethod); }},
                              {"timeout", [&](const Src& w, const std::string& q) { cfg.discovery.timeout = get_double(w, q, false, kExpectSeconds); }},
                          });
                      }},
                 });
             }},
            {"monitoring_config", [&](const Src& n, const std::string& path) {
                 walk_map(n, path, {
                     {"sample_rate", [&](const Src& v, const std::string& p) { cfg.sample_rate = get_double(v, p, false, kExpectSeconds); }},
                     {"metrics", [&](const Src& v, const std::string& p) {
                          std::vector<std::string> out;
                          size_t i = 0;
                          for (const auto& item : list(v, p))
                              out.push_back(get_checked_string(item, p + "[" + std::to_string(i++) + "]", [](const std::string& s) { return !s.empty(); }, kExpectNonEmpty));
                          cfg.metrics = std::move(out);
                      }},
                     {"real_time", [&](const Src& v, const std::string& p) {
                          walk_map(v, p, {
                              {"enabled", [&](const Src& w, const std::string& q) { cfg.real_time.enabled = get_bool(w, q); }},
                              {"update_interval", [&](const Src& w, const std::string& q) { cfg.real_time.update_interval = get_double(w, q, false, kExpectSeconds); }},
                          });
                      }},
                 });
             }},
        };
        if (with_source) {
            top.push_back({"source", [&](const Src& n, const std::string& path) {
                walk_map(n, path, {
                    {"preset", [&](const Src& v, const std::string& p) { cfg.preset = get_string(v, p); }},
                    {"config_file", [&](const Src& v, const std::string& p) { cfg.config_file = get_string(v, p); }},
                });
            }});
        }
        if (root.leaf().kind != Leaf::Map && root.leaf().kind != Leaf::Null) {
            std::string where = origin;
            if (yaml && root.line() > 0) where += ":" + std::to_string(root.line());
            throw ConfigError(where + ": the top level must be a map of sections, got " + describe(root.leaf()));
        }
        walk_map(root, "", top);
    }
};

// ---------------------------------------------------------------- flags

[[noreturn]] void flag_fail(const char* flag, const char* expect, const std::string& got) {
    throw ConfigError(std::string(flag) + ": " + expect + ", got " + quoted(got));
}

uint64_t flag_uint(const char* flag, const std::string& s, uint64_t lo, uint64_t hi, const char* expect) {
    uint64_t v;
    if (!parse_uint_text(s, v) || v < lo || v > hi) flag_fail(flag, expect, s);
    return v;
}

double flag_seconds(const char* flag, const std::string& s) {
    double d;
    if (!parse_double_text(s, d) || d <= 0) flag_fail(flag, kExpectSeconds, s);
    return d;
}

void apply_overrides(TestConfig& cfg, const ConfigOverrides& o) {
    if (o.dst_ip) {
        if (!valid_ipv4(*o.dst_ip)) flag_fail("--dst-ip", kExpectIpv4, *o.dst_ip);
        cfg.dst_machine.ip = *o.dst_ip;
    }
    if (o.dst_mac) {
        if (!valid_mac_or_empty(*o.dst_mac)) flag_fail("--dst-mac", kExpectMac, *o.dst_mac);
        cfg.dst_machine.mac = *o.dst_mac;
    }
    if (o.rate) {
        if (!parse_rate_text(*o.rate, cfg)) flag_fail("--rate", kExpectRate, *o.rate);
    }
    if (o.duration) cfg.duration_s = flag_seconds("--duration", *o.duration);
    if (o.size && !parse_size_text(*o.size, cfg)) flag_fail("--size", kExpectSize, *o.size);
    if (o.flows) {
        const uint64_t n = flag_uint("--flows", *o.flows, 1, kFlowsMax, kExpectFlows);
        if (cfg.flow_spec && n != cfg.flow_spec->flows())
            throw ConfigError("--flows: " + flows_conflict(n, *cfg.flow_spec));
        cfg.flows = static_cast<uint32_t>(n);
    }
    if (o.threads) cfg.threads = static_cast<uint32_t>(flag_uint("--threads", *o.threads, 1, kThreadsMax, kExpectThreads));
    if (o.name) {
        if (o.name->empty()) flag_fail("--name", kExpectNonEmpty, *o.name);
        cfg.name = *o.name;
    }
    if (o.results_dir) {
        if (o.results_dir->empty()) flag_fail("--results-dir", kExpectNonEmpty, *o.results_dir);
        cfg.results_dir = *o.results_dir;
    }
    if (o.interface) {
        if (!valid_ifname(*o.interface)) flag_fail("--interface", kExpectIfName, *o.interface);
        cfg.dst_machine.interface = *o.interface;
    }
    if (o.xdp_mode) {
        const std::string& m = *o.xdp_mode;
        if (m != "auto" && m != "native" && m != "generic") flag_fail("--xdp-mode", kExpectXdpMode, m);
        cfg.xdp_mode = m;
    }
    if (o.listen) {
        if (!valid_ipv4(*o.listen)) flag_fail("--listen", kExpectIpv4, *o.listen);
        cfg.dst_machine.ip = *o.listen;
    }
    if (o.control_port)
        cfg.dst_machine.control_port = static_cast<uint16_t>(flag_uint("--control-port", *o.control_port, 1, kPortMax, kExpectPort));
}

// ---------------------------------------------------------------- JSON out

json::object machine_json(const MachineConfig& m) {
    return {{"ip", m.ip}, {"interface", m.interface}, {"mac", m.mac}, {"control_port", m.control_port}, {"ipv6", m.ipv6}};
}

// flow_spec with its defaults resolved (so results say which addresses were
// sent), or null; vlan likewise.
json::value flow_spec_json(const TestConfig& c) {
    if (!c.flow_spec) return nullptr;
    const FlowSpecConfig fs = resolved_flow_spec(c);
    auto addr = [](const AddrRange& r) { return json::object{{"start", r.start}, {"count", r.count}, {"step", r.step}}; };
    auto port = [](const PortRange& r) { return json::object{{"start", r.start}, {"count", r.count}, {"step", r.step}}; };
    return json::object{{"src_ip", addr(fs.src_ip)}, {"dst_ip", addr(fs.dst_ip)},
                        {"src_port", port(fs.src_port)}, {"dst_port", port(fs.dst_port)}};
}

json::value vlan_json(const TestConfig& c) {
    if (!c.vlan) return nullptr;
    return json::object{{"id", c.vlan->id}, {"pcp", c.vlan->pcp}};
}

}  // namespace

// ==================================================================== public API

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
    Walker{origin, true}.document(Src::yaml(docs[0], line), next, false);
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

// ip_version, vlan, flow_spec and the frame sizes they allow (the machines'
// addresses are checked before).
void validate_addressing(const TestConfig& c) {
    if (c.ip_version != 4 && c.ip_version != 6)
        throw ConfigError("traffic_config.ip_version: " + std::string(kExpectIpVersion) + ", got " + std::to_string(c.ip_version));
    if (c.vlan && (c.vlan->id < 1 || c.vlan->id > 4094))
        throw ConfigError("traffic_config.vlan.id: " + std::string(kExpectVlanId) + ", got " + std::to_string(c.vlan->id));
    if (c.vlan && c.vlan->pcp > 7)
        throw ConfigError("traffic_config.vlan.pcp: " + std::string(kExpectPcp) + ", got " + std::to_string(c.vlan->pcp));

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

void validate(const TestConfig& c) {
    auto fail = [](const std::string& key, const char* expect, const std::string& got) {
        throw ConfigError(key + ": " + expect + ", got " + got);
    };
    if (c.name.empty()) fail("test_config.name", kExpectNonEmpty, "\"\"");
    if (!std::isfinite(c.duration_s) || c.duration_s <= 0) fail("test_config.duration", kExpectSeconds, num_text(c.duration_s));
    if (c.results_dir.empty()) fail("test_config.results_dir", kExpectNonEmpty, "\"\"");

    if (!c.rate_max && c.packet_rate == 0 && c.rate_percent == 0 && c.rate_bps == 0)
        fail("traffic_config.packet_rate", kExpectRate, "0");
    if (!std::isfinite(c.rate_bps) || c.rate_bps < 0 || !std::isfinite(c.rate_percent) || c.rate_percent < 0 ||
        c.rate_percent > 100)
        fail("traffic_config.packet_rate", kExpectRate, rate_text(c));
    if (c.rate_layer != "l1" && c.rate_layer != "l2") fail("traffic_config.rate_layer", kExpectLayer, quoted(c.rate_layer));
    if (c.packet_size < kPacketSizeMin || c.packet_size > kPacketSizeMax) fail("traffic_config.packet_size", kExpectSize, std::to_string(c.packet_size));
    for (const auto& m : c.size_mix)
        if (m.size < kPacketSizeMin || m.size > kPacketSizeMax || m.weight < 1 || m.weight > kSizeWeightMax || m.size > c.packet_size)
            fail("traffic_config.packet_size", kExpectSize, std::to_string(m.size) + ":" + std::to_string(m.weight));
    if (c.flows < 1 || c.flows > kFlowsMax) fail("traffic_config.flows", kExpectFlows, std::to_string(c.flows));
    if (c.threads < 1 || c.threads > kThreadsMax) fail("traffic_config.threads", kExpectThreads, std::to_string(c.threads));
    if (c.src_port == 0) fail("traffic_config.src_port", kExpectPort, "0");
    if (c.dst_port == 0) fail("traffic_config.dst_port", kExpectPort, "0");
    // Patterns run in sequence: each for its duration (a ramp: its `over`
    // without one); only the last may omit it and then takes the rest of the
    // test; together they must fit test_config.duration.
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

    auto machine = [&](const MachineConfig& m, const std::string& key) {
        if (!valid_ipv4(m.ip)) fail(key + ".ip", kExpectIpv4, quoted(m.ip));
        if (!valid_ifname(m.interface)) fail(key + ".interface", kExpectIfName, quoted(m.interface));
        if (!valid_mac_or_empty(m.mac)) fail(key + ".mac", kExpectMac, quoted(m.mac));
        if (m.control_port == 0) fail(key + ".control_port", kExpectPort, "0");
        if (!valid_ipv6(m.ipv6)) fail(key + ".ipv6", kExpectIpv6, quoted(m.ipv6));
    };
    machine(c.src_machine, "network_config.src_machine");
    machine(c.dst_machine, "network_config.dst_machine");
    validate_addressing(c);
    if (c.xdp_mode != "auto" && c.xdp_mode != "native" && c.xdp_mode != "generic")
        fail("network_config.xdp_mode", kExpectXdpMode, quoted(c.xdp_mode));
    if (c.discovery.method != "mdns") fail("network_config.discovery.method", kExpectMethod, quoted(c.discovery.method));
    if (!std::isfinite(c.discovery.timeout) || c.discovery.timeout <= 0)
        fail("network_config.discovery.timeout", kExpectSeconds, num_text(c.discovery.timeout));

    if (!std::isfinite(c.sample_rate) || c.sample_rate <= 0) fail("monitoring_config.sample_rate", kExpectSeconds, num_text(c.sample_rate));
    for (size_t i = 0; i < c.metrics.size(); ++i)
        if (c.metrics[i].empty()) fail("monitoring_config.metrics[" + std::to_string(i) + "]", kExpectNonEmpty, "\"\"");
    if (!std::isfinite(c.real_time.update_interval) || c.real_time.update_interval <= 0)
        fail("monitoring_config.real_time.update_interval", kExpectSeconds, num_text(c.real_time.update_interval));
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
    apply_overrides(cfg, overrides);
    validate(cfg);
    resolve_rate(cfg, std::nullopt);
    return cfg;
}

json::object to_json(const TestConfig& c) {
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
    json::array metrics;
    for (const auto& m : c.metrics) metrics.push_back(json::string(m));

    json::value rate = c.rate_max ? json::value("max")
                       : (c.rate_bps > 0 || c.rate_percent > 0) ? json::value(rate_text(c))
                                                                : json::value(c.packet_rate);
    return {
        {"test_config", {{"name", c.name}, {"duration", c.duration_s}, {"results_dir", c.results_dir}}},
        {"traffic_config", {{"packet_rate", rate}, {"rate_layer", c.rate_layer}, {"packet_size", size_json(c)}, {"flows", c.flows},
                            {"threads", c.threads}, {"src_port", c.src_port}, {"dst_port", c.dst_port},
                            {"flow_spec", flow_spec_json(c)}, {"ip_version", c.ip_version}, {"vlan", vlan_json(c)},
                            {"patterns", std::move(patterns)}}},
        {"network_config", {{"src_machine", machine_json(c.src_machine)},
                            {"dst_machine", machine_json(c.dst_machine)},
                            {"xdp_mode", c.xdp_mode},
                            {"discovery", {{"enabled", c.discovery.enabled}, {"method", c.discovery.method},
                                           {"timeout", c.discovery.timeout}}}}},
        {"monitoring_config", {{"sample_rate", c.sample_rate}, {"metrics", std::move(metrics)},
                               {"real_time", {{"enabled", c.real_time.enabled},
                                              {"update_interval", c.real_time.update_interval}}}}},
        {"source", {{"preset", c.preset}, {"config_file", c.config_file}}},
    };
}

TestConfig config_from_json(const json::value& v) {
    // Input comes off the network: anything other than ConfigError is a bug
    // to the caller, so every failure is funnelled into one.
    try {
        TestConfig cfg;
        if (!v.is_object()) {
            throw ConfigError("config JSON: the top level must be an object, got " +
                              describe(Src::of_json(v).leaf()));
        }
        Walker{"config JSON", false}.document(Src::of_json(v), cfg, true);
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
