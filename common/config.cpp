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

#include <boost/json.hpp>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "cli.hpp"

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
constexpr const char* kExpectPps = "expected a non-negative number of packets per second";
constexpr const char* kExpectIpv4 = "expected a dotted-quad IPv4 address like 198.18.0.2";
constexpr const char* kExpectMac = "expected a MAC address like 02:00:00:00:00:01, or \"\" to learn it";
constexpr const char* kExpectIfName = "expected an interface name (at most 15 characters, no '/' or spaces)";
constexpr const char* kExpectXdpMode = "expected one of auto, native, generic";
constexpr const char* kExpectPatternType = "expected one of constant, burst";
constexpr const char* kExpectMethod = "expected mdns";
constexpr const char* kExpectNonEmpty = "expected a non-empty string";

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
        });
    }

    PatternConfig pattern(const Src& n, const std::string& path) const {
        PatternConfig pc;
        Leaf l = n.leaf();
        if (l.kind != Leaf::Map) bad(n, path, "expected a map with name, type, burst_rate, burst_duration, inter_burst_gap");
        walk_map(n, path, {
            {"name", [&](const Src& v, const std::string& p) { pc.name = get_string(v, p); }},
            {"type", [&](const Src& v, const std::string& p) {
                 pc.type = get_checked_string(v, p, [](const std::string& s) { return s == "constant" || s == "burst"; }, kExpectPatternType);
             }},
            {"burst_rate", [&](const Src& v, const std::string& p) { pc.burst_rate = get_double(v, p, true, kExpectPps); }},
            {"burst_duration", [&](const Src& v, const std::string& p) { pc.burst_duration = get_double(v, p, true, kExpectNonNegSeconds); }},
            {"inter_burst_gap", [&](const Src& v, const std::string& p) { pc.inter_burst_gap = get_double(v, p, true, kExpectNonNegSeconds); }},
        });
        // A burst needs something to burst with; constant ignores the burst fields.
        if (pc.type == "burst" && pc.burst_rate <= 0) fail(n.line(), path + ".burst_rate", "expected a positive number of packets per second for a burst pattern, got " + num_text(pc.burst_rate));
        if (pc.type == "burst" && pc.burst_duration <= 0) fail(n.line(), path + ".burst_duration", "expected a positive number of seconds for a burst pattern, got " + num_text(pc.burst_duration));
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
                     {"flows", [&](const Src& v, const std::string& p) { cfg.flows = static_cast<uint32_t>(get_uint(v, p, 1, kFlowsMax, kExpectFlows)); }},
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
    if (o.flows) cfg.flows = static_cast<uint32_t>(flag_uint("--flows", *o.flows, 1, kFlowsMax, kExpectFlows));
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
    return {{"ip", m.ip}, {"interface", m.interface}, {"mac", m.mac}, {"control_port", m.control_port}};
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
    for (size_t i = 0; i < c.patterns.size(); ++i) {
        const PatternConfig& p = c.patterns[i];
        std::string key = "traffic_config.patterns[" + std::to_string(i) + "]";
        if (p.type != "constant" && p.type != "burst") fail(key + ".type", kExpectPatternType, quoted(p.type));
        auto nonneg = [](double d) { return std::isfinite(d) && d >= 0; };
        if (!nonneg(p.burst_rate) || (p.type == "burst" && p.burst_rate == 0)) fail(key + ".burst_rate", kExpectPps, num_text(p.burst_rate));
        if (!nonneg(p.burst_duration) || (p.type == "burst" && p.burst_duration == 0)) fail(key + ".burst_duration", kExpectNonNegSeconds, num_text(p.burst_duration));
        if (!nonneg(p.inter_burst_gap)) fail(key + ".inter_burst_gap", kExpectNonNegSeconds, num_text(p.inter_burst_gap));
    }

    auto machine = [&](const MachineConfig& m, const std::string& key) {
        if (!valid_ipv4(m.ip)) fail(key + ".ip", kExpectIpv4, quoted(m.ip));
        if (!valid_ifname(m.interface)) fail(key + ".interface", kExpectIfName, quoted(m.interface));
        if (!valid_mac_or_empty(m.mac)) fail(key + ".mac", kExpectMac, quoted(m.mac));
        if (m.control_port == 0) fail(key + ".control_port", kExpectPort, "0");
    };
    machine(c.src_machine, "network_config.src_machine");
    machine(c.dst_machine, "network_config.dst_machine");
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
    const double l1 = static_cast<double>(cfg.packet_rate) * l1_frame;
    const double link_bps = static_cast<double>(link_speed_mbps) * 1e6;
    if (l1 > link_bps + l1_frame / 2)
        throw ConfigError(std::string(kKey) + ": " + std::to_string(cfg.packet_rate) + " pps of " +
                          (cfg.size_mix.empty() ? std::to_string(cfg.packet_size) : num_text(mean_frame_size(cfg))) +
                          "-byte frames is " + num_text(l1 / 1e6) +
                          " Mbit/s at L1, over the port's link speed of " + std::to_string(link_speed_mbps) +
                          " Mbit/s");
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
    for (const auto& p : c.patterns)
        patterns.push_back(json::object{{"name", p.name}, {"type", p.type}, {"burst_rate", p.burst_rate},
                                        {"burst_duration", p.burst_duration}, {"inter_burst_gap", p.inter_burst_gap}});
    json::array metrics;
    for (const auto& m : c.metrics) metrics.push_back(json::string(m));

    json::value rate = c.rate_max ? json::value("max")
                       : (c.rate_bps > 0 || c.rate_percent > 0) ? json::value(rate_text(c))
                                                                : json::value(c.packet_rate);
    return {
        {"test_config", {{"name", c.name}, {"duration", c.duration_s}, {"results_dir", c.results_dir}}},
        {"traffic_config", {{"packet_rate", rate}, {"rate_layer", c.rate_layer}, {"packet_size", size_json(c)}, {"flows", c.flows},
                            {"threads", c.threads}, {"src_port", c.src_port}, {"dst_port", c.dst_port},
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
