// The value texts and checks shared by the schema table's rows and the
// composite checks (see config_text.hpp).
#include "config_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <boost/json.hpp>

#include "config_schema.hpp"

namespace ebt::config_detail {

namespace json = boost::json;

constexpr size_t kIfNameMax = 15;  // IFNAMSIZ - 1

const std::string kExpectRate =
    "expected packets per second (10000, 10kpps), bits per second (500Mbps, 5Gbps), "
    "a percentage of the link speed (40%) or \"max\"";
const std::string kExpectSize = "expected a frame size in " + std::to_string(kPacketSizeMin) + ".." +
                                std::to_string(kPacketSizeMax) +
                                ", \"imix\", or a weighted list like \"60:7,566:4,1514:1\"";
const std::string kExpectFlows = "expected an integer in 1.." + std::to_string(kFlowsMax);
const std::string kExpectThreads = "expected an integer in 1.." + std::to_string(kThreadsMax);
const char* const kExpectPort = "expected a port number in 1..65535";
const char* const kExpectSeconds = "expected a positive number of seconds";
const char* const kExpectNonNegSeconds = "expected a non-negative number of seconds";
const char* const kExpectIpv4 = "expected a dotted-quad IPv4 address like 198.18.0.2";
const char* const kExpectMac = "expected a MAC address like 02:00:00:00:00:01, or \"\" to learn it";
const char* const kExpectIfName = "expected an interface name (at most 15 characters, no '/' or spaces)";
const char* const kExpectPatternPps = "expected whole packets per second (50000, 50kpps, 1.5Mpps)";
const char* const kExpectNonEmpty = "expected a non-empty string";
const char* const kExpectIpv6 = "expected an IPv6 address like 2001:2::1";
const char* const kExpectIpAny = "expected an IPv4 or IPv6 address (198.18.0.1, 2001:2::1)";
const char* const kExpectVlan = "expected a map {id: 1..4094, pcp: 0..7}, or null for untagged frames";
const char* const kExpectVlanId = "expected a VLAN id in 1..4094";
const char* const kExpectPcp = "expected a priority (PCP) in 0..7";
const char* const kExpectFlowSpec = "expected a map of ranges src_ip, dst_ip, src_port, dst_port";
const char* const kExpectRange = "expected a map {start, count, step}";
const char* const kExpectAddrStep = "expected a step in 0..4294967295";
const char* const kExpectPortStep = "expected a step in 0..65535";

// ---------------------------------------------------------------- texts

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string num_text(double d) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
}

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

// Shortest fixed-notation text that reads back the same: rate strings are
// parsed without exponents, so "5e-04%" must be written "0.0005%" (fuzzing
// found the round trip failing).
namespace {

std::string fixed_text(double d) {
    char buf[512];
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
    return std::string(buf, r.ptr);
}

}  // namespace

std::string rate_text(const TestConfig& c) {
    if (c.rate_percent > 0) return fixed_text(c.rate_percent) + "%";
    for (const auto& [name, div] : {std::pair{"Tbps", 1e12}, {"Gbps", 1e9}, {"Mbps", 1e6}, {"kbps", 1e3}}) {
        const double v = c.rate_bps / div;
        if (v >= 1 && v * div == c.rate_bps) return fixed_text(v) + name;
    }
    return fixed_text(c.rate_bps) + "bps";
}

// ---------------------------------------------------------------- patterns

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

KeyError check_pattern(const PatternConfig& p, const std::string& key) {
    auto err = [&](const std::string& field, const std::string& msg) { return KeyError({key + "." + field, msg}); };
    auto finite_nonneg = [](double d) { return std::isfinite(d) && d >= 0; };
    const KeyDef& type_key = key_def(kPatternTypeKey);
    if (!type_key.allows(p.type)) return err("type", type_key.expect_text() + ", got " + quoted(p.type));
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

bool non_empty(const std::string& s) { return !s.empty(); }

// ---------------------------------------------------------------- flow_spec

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
            return KeyError({path + "." + name + ".count", kExpectFlows + ", got " + std::to_string(count)});
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

std::string flows_conflict(uint64_t flows, const FlowSpecConfig& fs) {
    return std::to_string(flows) + " conflicts with traffic_config.flow_spec, which makes " +
           std::to_string(fs.flows()) + " flows (the product of its counts): omit flows or give " +
           std::to_string(fs.flows());
}

}  // namespace ebt::config_detail
