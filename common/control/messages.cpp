// See messages.hpp.
#include "messages.hpp"

#include <algorithm>
#include <cmath>

#include <boost/json.hpp>

#include "protocol.hpp"

namespace ebt::proto {

namespace json = boost::json;

namespace {

std::string software() { return std::string("ebpf-test ") + EBT_SOFTWARE_VERSION; }

void expect_type(const json::object& msg, std::string_view type) {
    if (message_type(msg) != type)
        throw ProtocolError("expected " + std::string(type) + ", got '" + message_type(msg) + "'");
}

uint16_t get_test_id(const json::object& msg) { return static_cast<uint16_t>(get_uint(msg, "test_id", UINT16_MAX)); }

}  // namespace

std::string get_string(const json::object& msg, std::string_view key) {
    const auto* v = msg.if_contains(key);
    if (v == nullptr || !v->is_string())
        throw ProtocolError("message '" + message_type(msg) + "': field '" + std::string(key) +
                            "' must be a string");
    return std::string(v->as_string());
}

uint64_t get_uint(const json::object& msg, std::string_view key, uint64_t max) {
    const auto* v = msg.if_contains(key);
    uint64_t out = 0;
    bool ok = false;
    if (v != nullptr) {
        if (v->is_uint64()) {
            out = v->as_uint64();
            ok = true;
        } else if (v->is_int64() && v->as_int64() >= 0) {
            out = static_cast<uint64_t>(v->as_int64());
            ok = true;
        }
    }
    if (!ok || out > max)
        throw ProtocolError("message '" + message_type(msg) + "': field '" + std::string(key) +
                            "' must be an integer in 0.." + std::to_string(max));
    return out;
}

int64_t get_int(const json::object& msg, std::string_view key) {
    const auto* v = msg.if_contains(key);
    if (v != nullptr && v->is_int64()) return v->as_int64();
    if (v != nullptr && v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX))
        return static_cast<int64_t>(v->as_uint64());
    throw ProtocolError("message '" + message_type(msg) + "': field '" + std::string(key) + "' must be an integer");
}

double get_number(const json::object& msg, std::string_view key) {
    const auto* v = msg.if_contains(key);
    if (v != nullptr) {
        if (v->is_double() && std::isfinite(v->as_double())) return v->as_double();
        if (v->is_int64()) return static_cast<double>(v->as_int64());
        if (v->is_uint64()) return static_cast<double>(v->as_uint64());
    }
    throw ProtocolError("message '" + message_type(msg) + "': field '" + std::string(key) + "' must be a number");
}

const json::object& get_object(const json::object& msg, std::string_view key) {
    const auto* v = msg.if_contains(key);
    if (v == nullptr || !v->is_object())
        throw ProtocolError("message '" + message_type(msg) + "': field '" + std::string(key) +
                            "' must be an object");
    return v->as_object();
}

json::object make_hello(std::string_view role, std::string_view interface, std::string_view challenge,
                        std::string_view response) {
    json::array capabilities{"auth-hmac-sha256", "heartbeat", "clock-sync", "live-samples", "fetch-results"};
    // Only xdp-recv serves trial after trial; dpdk-gen drives them.
    if (role == "receiver") capabilities.emplace_back("trials");
    json::object m{{"type", "hello"},
                   {"protocol_version", kProtocolVersion},
                   {"role", role},
                   {"software", software()},
                   {"capabilities", std::move(capabilities)}};
    if (!interface.empty()) m["interface"] = interface;
    if (!challenge.empty()) m["challenge"] = challenge;
    if (!response.empty()) m["response"] = response;
    return m;
}

json::object make_auth(std::string_view response) { return {{"type", "auth"}, {"response", response}}; }

json::object make_time_request(int64_t t1) { return {{"type", "time_request"}, {"t1", t1}}; }

json::object make_time_reply(int64_t t1, int64_t t2, int64_t t3) {
    return {{"type", "time_reply"}, {"t1", t1}, {"t2", t2}, {"t3", t3}};
}

json::object make_heartbeat(int64_t t_ns) { return {{"type", "heartbeat"}, {"t_ns", t_ns}}; }

json::object make_fetch_results(uint16_t test_id) { return {{"type", "fetch_results"}, {"test_id", test_id}}; }

json::object make_end() { return {{"type", "end"}}; }

json::object make_sample(const LiveSample& s) {
    return {{"type", "sample"},      {"t_s", s.t_s},   {"test_packets", s.test_packets},
            {"rx_pps", s.rx_pps},    {"lost", s.lost}, {"receive_path_cpu_pct", s.receive_path_cpu_pct},
            {"host_cpu_busy_pct", s.host_cpu_busy_pct}};
}

LiveSample parse_sample(const json::object& msg) {
    LiveSample s;
    s.t_s = get_number(msg, "t_s");
    s.test_packets = get_uint(msg, "test_packets", UINT64_MAX);
    s.rx_pps = get_number(msg, "rx_pps");
    s.lost = get_uint(msg, "lost", UINT64_MAX);
    for (auto [key, into] : {std::pair{"receive_path_cpu_pct", &s.receive_path_cpu_pct},
                             std::pair{"host_cpu_busy_pct", &s.host_cpu_busy_pct}}) {
        *into = get_number(msg, key);
        if (*into != -1 && (*into < 0 || *into > 100))
            throw ProtocolError(std::string("message 'sample': field '") + key + "' must be -1 or 0..100");
    }
    return s;
}

json::object make_busy(uint16_t running_test_id) {
    return {{"type", "error"},
            {"code", "busy"},
            {"reason", "xdp-recv is running test " + std::to_string(running_test_id) + " for another controller"},
            {"test_id", running_test_id}};
}

int64_t parse_time_request(const json::object& msg) { return get_int(msg, "t1"); }

TimeReply parse_time_reply(const json::object& msg) {
    return {get_int(msg, "t1"), get_int(msg, "t2"), get_int(msg, "t3")};
}

json::object make_configure(uint16_t test_id, const std::string& test_name, uint64_t epoch_tai_ns,
                            const TestConfig& cfg, int64_t clock_offset_ns, int64_t clock_uncertainty_ns) {
    return {{"type", "configure"},
            {"test_id", test_id},
            {"test_name", test_name},
            {"epoch_tai_ns", epoch_tai_ns},
            {"clock_offset_ns", clock_offset_ns},
            {"clock_uncertainty_ns", clock_uncertainty_ns},
            {"config", to_json(cfg)}};
}

json::object make_ready(uint16_t test_id, const std::string& interface, const std::string& mac,
                        const std::string& xdp_mode) {
    return {{"type", "ready"},
            {"test_id", test_id},
            {"interface", interface},
            {"mac", mac},
            {"xdp_mode", xdp_mode}};
}

json::object make_start(uint16_t test_id) { return {{"type", "start"}, {"test_id", test_id}}; }
json::object make_started(uint16_t test_id) { return {{"type", "started"}, {"test_id", test_id}}; }

json::object make_stop(uint16_t test_id, uint64_t sent_packets, std::string_view incomplete_reason) {
    json::object m{{"type", "stop"}, {"test_id", test_id}, {"sent_packets", sent_packets}};
    if (!incomplete_reason.empty()) m["incomplete_reason"] = incomplete_reason;
    return m;
}

Stop parse_stop(const json::object& msg) {
    Stop s;
    s.test_id = get_test_id(msg);
    s.sent_packets = get_uint(msg, "sent_packets", UINT64_MAX);
    if (msg.contains("incomplete_reason")) s.incomplete_reason = get_string(msg, "incomplete_reason");
    return s;
}

json::object make_results(uint16_t test_id, json::object receiver_report) {
    return {{"type", "results"}, {"test_id", test_id}, {"receiver", std::move(receiver_report)}};
}

json::object make_error(std::string_view code, std::string_view reason) {
    return {{"type", "error"}, {"code", code}, {"reason", reason}};
}

Hello check_hello(const json::object& msg, std::string_view expected_role) {
    expect_type(msg, "hello");
    const uint64_t version = get_uint(msg, "protocol_version", UINT32_MAX);
    if (version != kProtocolVersion)
        throw ProtocolError("protocol version mismatch: peer speaks v" + std::to_string(version) +
                            ", this program speaks v" + std::to_string(kProtocolVersion));
    Hello h;
    h.role = get_string(msg, "role");
    if (h.role != expected_role)
        throw ProtocolError("peer says it is a " + h.role + ", expected a " + std::string(expected_role));
    h.software = get_string(msg, "software");
    auto optional_hex = [&](const char* key) {
        if (!msg.contains(key)) return std::string();
        std::string v = get_string(msg, key);
        if (v.size() != 64 || v.find_first_not_of("0123456789abcdef") != std::string::npos)
            throw ProtocolError(std::string("message 'hello': field '") + key + "' must be 64 hex digits");
        return v;
    };
    h.challenge = optional_hex("challenge");
    h.response = optional_hex("response");
    if (msg.contains("interface")) h.interface = get_string(msg, "interface");
    // Lenient: an older peer may send none; a malformed list is still an error.
    if (const auto* caps = msg.if_contains("capabilities")) {
        if (!caps->is_array())
            throw ProtocolError("message 'hello': field 'capabilities' must be an array of strings");
        const auto& list = caps->as_array();
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (!list[i].is_string())
                throw ProtocolError("message 'hello': field 'capabilities' must be an array of strings (entry " +
                                    std::to_string(i) + " is not)");
            h.capabilities.emplace_back(list[i].as_string());
        }
    }
    return h;
}

bool Hello::has_capability(std::string_view name) const {
    return std::find(capabilities.begin(), capabilities.end(), name) != capabilities.end();
}

Configure parse_configure(const json::object& msg) {
    expect_type(msg, "configure");
    Configure c;
    c.test_id = get_test_id(msg);
    c.test_name = get_string(msg, "test_name");
    c.epoch_tai_ns = get_uint(msg, "epoch_tai_ns", UINT64_MAX);
    c.clock_offset_ns = get_int(msg, "clock_offset_ns");
    c.clock_uncertainty_ns = get_int(msg, "clock_uncertainty_ns");
    if (c.clock_uncertainty_ns < -1)
        throw ProtocolError("message 'configure': field 'clock_uncertainty_ns' must be >= -1");
    try {
        c.config = config_from_json(get_object(msg, "config"));
    } catch (const ConfigError& e) {
        throw ProtocolError(std::string("message 'configure': invalid config: ") + e.what());
    }
    return c;
}

Ready parse_ready(const json::object& msg) {
    expect_type(msg, "ready");
    Ready r{.test_id = get_test_id(msg), .interface = get_string(msg, "interface"), .mac = get_string(msg, "mac"),
            .xdp_mode = {}};
    uint8_t mac[6];
    if (!parse_mac(r.mac, mac)) throw ProtocolError("message 'ready': field 'mac' is not a MAC address");
    r.xdp_mode = get_string(msg, "xdp_mode");
    return r;
}

}  // namespace ebt::proto
