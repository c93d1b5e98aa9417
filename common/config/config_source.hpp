// Inside the config library: one read-only view over YAML and JSON nodes
// (Src, Leaf) and the walker that reads typed, range-checked values out of
// it.  Both loaders (config files and presets in YAML, the control
// protocol's JSON) go through it, so both get the same key names, the same
// type rules and the same messages.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "cli.hpp"
#include "config.hpp"
#include "config_schema.hpp"
#include "config_text.hpp"

namespace ebt::config_detail {

namespace json = boost::json;


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

inline bool is_yaml_true(const std::string& s) { return s == "true" || s == "True" || s == "TRUE"; }
inline bool is_yaml_false(const std::string& s) { return s == "false" || s == "False" || s == "FALSE"; }

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

inline std::vector<SrcEntry> Src::entries() const {
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
inline std::string describe(const Leaf& l) {
    switch (l.kind) {
    case Leaf::Map: return "a map";
    case Leaf::List: return "a list";
    case Leaf::Null: return "null";
    case Leaf::String: return quoted(l.text);
    default: return l.text;
    }
}

// ---------------------------------------------------------------- the walker

// Reads typed, range-checked leaves out of one document (YAML or JSON) and
// fails with the messages every loader shares: "ORIGIN[:LINE]: KEY: MESSAGE".
// The schema table (config_schema.cpp) drives it key by key; the composite
// keys (flow_spec, vlan, patterns) have their readers here.

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

    uint64_t get_uint(const Src& n, const std::string& path, uint64_t lo, uint64_t hi, const std::string& expect) const {
        Leaf l = n.leaf();
        if (l.kind != Leaf::Int || l.negative || l.overflow || l.u < lo || l.u > hi) bad(n, path, expect);
        return l.u;
    }
    double get_double(const Src& n, const std::string& path, bool allow_zero, const std::string& expect) const {
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
                                   const std::string& expect) const {
        std::string s = get_string(n, path);
        if (!ok(s)) bad(n, path, expect);
        return s;
    }
    // One of an enumerated key's values.
    std::string get_choice(const Src& n, const std::string& path, const KeyDef& key) const {
        std::string s = get_string(n, path);
        if (!key.allows(s)) bad(n, path, key.expect_text());
        return s;
    }

    // ---- sections

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
                 pc.type = get_choice(v, p, key_def(kPatternTypeKey));
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
};

}  // namespace ebt::config_detail
