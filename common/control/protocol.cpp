#include "protocol.hpp"

#include <array>
#include <cmath>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

namespace ebt::proto {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;

namespace {

std::string type_of(const json::object& msg) {
    const auto* t = msg.if_contains("type");
    return (t != nullptr && t->is_string()) ? std::string(t->as_string()) : std::string("?");
}

std::string software() { return std::string("ebpf-test ") + EBT_SOFTWARE_VERSION; }

// Runs io until `done` or the deadline; on the deadline calls cancel() and
// runs until the cancelled operation's handler has set `done`.
template <typename Cancel>
bool run_io_until(asio::io_context& io, const bool& done, std::chrono::steady_clock::duration timeout,
                  Cancel cancel) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    io.restart();
    while (!done)
        if (io.run_one_until(deadline) == 0 && std::chrono::steady_clock::now() >= deadline) {
            // run_one_until does not look at the socket once the deadline has
            // passed: a thread that resumes after a stall (descheduled)
            // still takes what is already there before giving up.
            io.poll();
            break;
        }
    if (done) return true;
    cancel();
    io.restart();
    while (!done) io.run_one();
    return false;
}

}  // namespace

std::string encode_frame(const json::object& message) {
    const std::string body = json::serialize(message);
    const auto* t = message.if_contains("type");
    const std::size_t limit =
        t != nullptr && t->is_string() && t->as_string() == "results" ? kMaxResultsFrameBytes : kMaxFrameBytes;
    if (body.empty() || body.size() > limit)
        throw ProtocolError("message of " + std::to_string(body.size()) + " bytes exceeds the " +
                            std::to_string(limit) + "-byte frame limit");
    std::string frame(kLengthPrefixBytes, '\0');
    const auto n = static_cast<uint32_t>(body.size());
    frame[0] = static_cast<char>(n >> 24);
    frame[1] = static_cast<char>(n >> 16);
    frame[2] = static_cast<char>(n >> 8);
    frame[3] = static_cast<char>(n);
    frame += body;
    return frame;
}

void FrameDecoder::feed(const char* data, std::size_t size) { buffer_.append(data, size); }

std::optional<json::object> FrameDecoder::next() {
    if (buffer_.size() < kLengthPrefixBytes) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data());
    const uint32_t n = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    // Checked before waiting for (or keeping) the body: a huge declared
    // length costs nothing.
    if (n == 0 || n > limit_)
        throw ProtocolError("frame length " + std::to_string(n) + " outside 1.." + std::to_string(limit_));
    if (buffer_.size() < kLengthPrefixBytes + n) return std::nullopt;
    const std::string_view body(buffer_.data() + kLengthPrefixBytes, n);
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    buffer_.erase(0, kLengthPrefixBytes + n);
    if (ec) throw ProtocolError("malformed JSON in frame: " + ec.message());
    if (!v.is_object()) throw ProtocolError("frame body is not a JSON object");
    const auto* t = v.as_object().if_contains("type");
    if (t == nullptr || !t->is_string()) throw ProtocolError("message without a string \"type\"");
    return std::move(v.as_object());
}

std::string get_string(const json::object& msg, std::string_view key) {
    const auto* v = msg.if_contains(key);
    if (v == nullptr || !v->is_string())
        throw ProtocolError("message '" + type_of(msg) + "': field '" + std::string(key) +
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
        throw ProtocolError("message '" + type_of(msg) + "': field '" + std::string(key) +
                            "' must be an integer in 0.." + std::to_string(max));
    return out;
}

int64_t get_int(const json::object& msg, std::string_view key) {
    const auto* v = msg.if_contains(key);
    if (v != nullptr && v->is_int64()) return v->as_int64();
    if (v != nullptr && v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX))
        return static_cast<int64_t>(v->as_uint64());
    throw ProtocolError("message '" + type_of(msg) + "': field '" + std::string(key) + "' must be an integer");
}

double get_number(const json::object& msg, std::string_view key) {
    const auto* v = msg.if_contains(key);
    if (v != nullptr) {
        if (v->is_double() && std::isfinite(v->as_double())) return v->as_double();
        if (v->is_int64()) return static_cast<double>(v->as_int64());
        if (v->is_uint64()) return static_cast<double>(v->as_uint64());
    }
    throw ProtocolError("message '" + type_of(msg) + "': field '" + std::string(key) + "' must be a number");
}

const json::object& get_object(const json::object& msg, std::string_view key) {
    const auto* v = msg.if_contains(key);
    if (v == nullptr || !v->is_object())
        throw ProtocolError("message '" + type_of(msg) + "': field '" + std::string(key) +
                            "' must be an object");
    return v->as_object();
}

json::object make_hello(std::string_view role, std::string_view interface, std::string_view challenge,
                        std::string_view response) {
    json::object m{{"type", "hello"},
                   {"protocol_version", kProtocolVersion},
                   {"role", role},
                   {"software", software()},
                   {"capabilities", json::array{"auth-hmac-sha256", "heartbeat", "clock-sync", "live-samples",
                                                "fetch-results"}}};
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
    s.test_id = static_cast<uint16_t>(get_uint(msg, "test_id", UINT16_MAX));
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
    if (type_of(msg) != "hello") throw ProtocolError("expected hello, got '" + type_of(msg) + "'");
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
    return h;
}

Configure parse_configure(const json::object& msg) {
    if (type_of(msg) != "configure") throw ProtocolError("expected configure, got '" + type_of(msg) + "'");
    Configure c;
    c.test_id = static_cast<uint16_t>(get_uint(msg, "test_id", UINT16_MAX));
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
    if (type_of(msg) != "ready") throw ProtocolError("expected ready, got '" + type_of(msg) + "'");
    Ready r;
    r.test_id = static_cast<uint16_t>(get_uint(msg, "test_id", UINT16_MAX));
    r.interface = get_string(msg, "interface");
    r.mac = get_string(msg, "mac");
    uint8_t mac[6];
    if (!parse_mac(r.mac, mac)) throw ProtocolError("message 'ready': field 'mac' is not a MAC address");
    r.xdp_mode = get_string(msg, "xdp_mode");
    return r;
}

Channel::Channel(asio::io_context& io, tcp::socket socket, std::string initial) : io_(io), socket_(std::move(socket)) {
    decoder_.feed(initial.data(), initial.size());
}

bool Channel::run_until(const bool& done, Clock::duration timeout) {
    return run_io_until(io_, done, timeout, [this] {
        boost::system::error_code ignored;
        socket_.cancel(ignored);
    });
}

void Channel::send(const json::object& message, Clock::duration timeout) {
    const std::string frame = encode_frame(message);
    boost::system::error_code result;
    bool done = false;
    asio::async_write(socket_, asio::buffer(frame), [&](const boost::system::error_code& ec, std::size_t) {
        result = ec;
        done = true;
    });
    if (!run_until(done, timeout) || result == asio::error::operation_aborted)
        throw ProtocolError("timed out sending '" + type_of(message) + "' to " + peer_address());
    if (result) throw ProtocolError("sending '" + type_of(message) + "' failed: " + result.message());
}

std::optional<json::object> Channel::receive(Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    std::array<char, 16384> chunk;
    for (;;) {
        if (auto msg = decoder_.next()) return msg;
        const auto left = deadline - Clock::now();
        if (left <= Clock::duration::zero()) return std::nullopt;
        boost::system::error_code result;
        std::size_t got = 0;
        bool done = false;
        socket_.async_read_some(asio::buffer(chunk), [&](const boost::system::error_code& ec, std::size_t n) {
            result = ec;
            got = n;
            done = true;
        });
        run_until(done, left);
        // A cancelled read_some consumed nothing; bytes read so far stay in
        // the decoder, so a timeout never loses part of a frame.
        if (got > 0) decoder_.feed(chunk.data(), got);
        if (result == asio::error::operation_aborted) return decoder_.next();
        if (result == asio::error::eof) throw ProtocolError("connection closed by " + peer_address());
        if (result)
            throw ProtocolError("receive from " + peer_address() + " failed: " + result.message());
    }
}

json::object Channel::checked(std::optional<json::object> msg, std::string_view what, Clock::duration timeout) {
    if (!msg)
        throw ProtocolError("no " + std::string(what) + " from " + peer_address() + " within " +
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
                            " ms");
    if (type_of(*msg) == "error") {
        const auto* c = msg->if_contains("code");
        const auto* r = msg->if_contains("reason");
        throw PeerError(c && c->is_string() ? std::string(c->as_string()) : "unknown",
                        r && r->is_string() ? std::string(r->as_string()) : "peer reported an error");
    }
    return std::move(*msg);
}

json::object Channel::expect_any(Clock::duration timeout) { return checked(receive(timeout), "message", timeout); }

json::object Channel::expect(std::string_view type, Clock::duration timeout) {
    json::object msg = checked(receive(timeout), "'" + std::string(type) + "' message", timeout);
    const std::string got = type_of(msg);
    if (got != type) throw ProtocolError("expected '" + std::string(type) + "', got '" + got + "'");
    return msg;
}

std::string Channel::peer_address() const {
    boost::system::error_code ec;
    const auto ep = socket_.remote_endpoint(ec);
    if (ec) return "peer";
    return ep.address().to_string() + ":" + std::to_string(ep.port());
}

void Channel::close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

tcp::socket connect(asio::io_context& io, const std::string& host, uint16_t port,
                    Channel::Clock::duration timeout) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) throw ProtocolError("control address '" + host + "' is not an IP address");
    tcp::socket socket(io);
    boost::system::error_code result;
    bool done = false;
    socket.async_connect(tcp::endpoint(address, port), [&](const boost::system::error_code& e) {
        result = e;
        done = true;
    });
    if (!run_io_until(io, done, timeout, [&] { socket.close(ec); }))
        throw ProtocolError("no answer from xdp-recv at " + host + ":" + std::to_string(port) + " within " +
                            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s");
    if (result)
        throw ProtocolError("cannot connect to xdp-recv at " + host + ":" + std::to_string(port) + ": " +
                            result.message());
    socket.set_option(tcp::no_delay(true), ec);
    return socket;
}

}  // namespace ebt::proto
