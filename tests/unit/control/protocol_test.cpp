// Control protocol: framing, the incremental decoder, field access, message
// builders and parsers, and the Channel over a real loopback TCP connection.
// No root, loopback only (127.0.0.1, ephemeral ports).
#include "protocol.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;
using namespace ebt;
using namespace ebt::proto;
using namespace std::chrono_literals;

namespace {

// The message of f()'s ProtocolError, or "<no ProtocolError>".
template <class F>
std::string protocol_error_of(F&& f) {
    try {
        f();
    } catch (const ProtocolError& e) {
        return e.what();
    }
    return "<no ProtocolError>";
}

// A 4-byte big-endian length prefix on its own.
std::string prefix(uint32_t n) {
    std::string p(4, '\0');
    p[0] = static_cast<char>(n >> 24);
    p[1] = static_cast<char>(n >> 16);
    p[2] = static_cast<char>(n >> 8);
    p[3] = static_cast<char>(n);
    return p;
}

std::string raw_frame(const std::string& body) { return prefix(static_cast<uint32_t>(body.size())) + body; }

void feed(FrameDecoder& d, const std::string& bytes) { d.feed(bytes.data(), bytes.size()); }

}  // namespace

// ---------------------------------------------------------------- framing

TEST(Frame, EncodeHasBigEndianLengthAndJsonBody) {
    const json::object msg{{"type", "start"}, {"test_id", 513}};
    const std::string frame = encode_frame(msg);
    const std::string body = json::serialize(msg);
    ASSERT_EQ(frame.size(), 4 + body.size());
    EXPECT_EQ(frame.substr(0, 4), prefix(static_cast<uint32_t>(body.size())));
    EXPECT_EQ(frame.substr(4), body);
}

TEST(Frame, RoundTrip) {
    const json::object msg = make_stop(4242, 123456789012ULL);
    FrameDecoder d;
    feed(d, encode_frame(msg));
    auto out = d.next();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(*out, msg);
    EXPECT_EQ(d.buffered(), 0u);
    EXPECT_FALSE(d.next().has_value());
}

TEST(Frame, BytesOneAtATime) {
    const json::object msg = make_ready(7, "eth0", "02:00:00:00:00:01", "native");
    const std::string frame = encode_frame(msg);
    FrameDecoder d;
    for (std::size_t i = 0; i + 1 < frame.size(); ++i) {
        d.feed(&frame[i], 1);
        ASSERT_FALSE(d.next().has_value()) << "message complete after only " << i + 1 << " of " << frame.size()
                                           << " bytes";
        EXPECT_EQ(d.buffered(), i + 1);
    }
    d.feed(&frame.back(), 1);
    auto out = d.next();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(*out, msg);
    EXPECT_EQ(d.buffered(), 0u);
}

TEST(Frame, SeveralFramesInOneFeed) {
    const json::object a = make_start(1);
    const json::object b = make_started(1);
    const json::object c = make_error("busy", "another test is running");
    const std::string c_frame = encode_frame(c);
    // Two whole frames and half of a third.
    std::string bytes = encode_frame(a) + encode_frame(b) + c_frame.substr(0, 7);
    FrameDecoder d;
    feed(d, bytes);
    auto m1 = d.next();
    auto m2 = d.next();
    ASSERT_TRUE(m1 && m2);
    EXPECT_EQ(*m1, a);
    EXPECT_EQ(*m2, b);
    EXPECT_FALSE(d.next().has_value());
    EXPECT_EQ(d.buffered(), 7u);
    feed(d, c_frame.substr(7));
    auto m3 = d.next();
    ASSERT_TRUE(m3.has_value());
    EXPECT_EQ(*m3, c);
    EXPECT_FALSE(d.next().has_value());
}

TEST(Frame, ZeroLengthRefusedOnPrefixAlone) {
    FrameDecoder d;
    feed(d, prefix(0).substr(0, 3));
    EXPECT_FALSE(d.next().has_value());  // prefix not complete yet
    feed(d, prefix(0).substr(3));
    EXPECT_THROW(d.next(), ProtocolError);
}

TEST(Frame, OversizedLengthRefusedOnPrefixAlone) {
    for (uint32_t n : {static_cast<uint32_t>(kMaxFrameBytes + 1), 0x7fffffffu, 0xffffffffu}) {
        FrameDecoder d;
        feed(d, prefix(n));  // no body at all
        const std::string msg = protocol_error_of([&] { d.next(); });
        EXPECT_NE(msg.find(std::to_string(n)), std::string::npos) << n << ": " << msg;
    }
}

TEST(Frame, LengthAtLimitWaitsForBody) {
    FrameDecoder d;
    feed(d, prefix(static_cast<uint32_t>(kMaxFrameBytes)));
    EXPECT_FALSE(d.next().has_value());
    EXPECT_EQ(d.buffered(), 4u);
}

TEST(Frame, MessageOfExactlyTheLimitRoundTrips) {
    const std::string overhead = json::serialize(json::object{{"type", "x"}, {"p", ""}});
    json::object msg{{"type", "x"}, {"p", std::string(kMaxFrameBytes - overhead.size(), 'a')}};
    const std::string frame = encode_frame(msg);
    EXPECT_EQ(frame.size(), 4 + kMaxFrameBytes);
    FrameDecoder d;
    feed(d, frame);
    auto out = d.next();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(*out, msg);
}

TEST(Frame, EncodeOverLimitThrows) {
    const std::string overhead = json::serialize(json::object{{"type", "x"}, {"p", ""}});
    json::object msg{{"type", "x"}, {"p", std::string(kMaxFrameBytes - overhead.size() + 1, 'a')}};
    EXPECT_THROW(encode_frame(msg), ProtocolError);
    json::object big{{"type", "x"}, {"p", std::string(2 * kMaxFrameBytes, 'b')}};
    EXPECT_THROW(encode_frame(big), ProtocolError);
}

// A results message (every flow's row) may exceed kMaxFrameBytes: only a
// decoder raised to kMaxResultsFrameBytes (the generator, after the
// handshake) takes it; every other message keeps the 1 MiB limit.
TEST(Frame, LargeResultsNeedTheRaisedLimit) {
    json::object results{{"type", "results"}, {"pad", std::string(3 * kMaxFrameBytes, 'r')}};
    const std::string frame = encode_frame(results);
    FrameDecoder strict;
    feed(strict, frame);
    EXPECT_THROW(strict.next(), ProtocolError);
    FrameDecoder raised;
    raised.set_limit(kMaxResultsFrameBytes);
    feed(raised, frame);
    auto out = raised.next();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(*out, results);
    json::object other{{"type", "sample"}, {"pad", std::string(3 * kMaxFrameBytes, 's')}};
    EXPECT_THROW(encode_frame(other), ProtocolError);
    json::object huge{{"type", "results"}, {"pad", std::string(kMaxResultsFrameBytes, 'h')}};
    EXPECT_THROW(encode_frame(huge), ProtocolError);
}

TEST(Frame, MalformedJsonRefused) {
    for (const std::string body : {"{", "{\"type\":\"hello\"", "not json", "{\"type\":\"a\"}}", "{'type':'a'}"}) {
        FrameDecoder d;
        feed(d, raw_frame(body));
        EXPECT_THROW(d.next(), ProtocolError) << body;
    }
}

TEST(Frame, NonObjectBodyRefused) {
    for (const std::string body : {"[1,2,3]", "[]", "42", "\"hello\"", "null", "true"}) {
        FrameDecoder d;
        feed(d, raw_frame(body));
        EXPECT_THROW(d.next(), ProtocolError) << body;
    }
}

TEST(Frame, MissingOrNonStringTypeRefused) {
    for (const std::string body : {"{}", "{\"test_id\":1}", "{\"type\":1}", "{\"type\":null}", "{\"type\":[\"a\"]}",
                                   "{\"type\":{}}"}) {
        FrameDecoder d;
        feed(d, raw_frame(body));
        const std::string msg = protocol_error_of([&] { d.next(); });
        EXPECT_NE(msg.find("type"), std::string::npos) << body << ": " << msg;
    }
}

TEST(Frame, BadFrameIsConsumedSoTheNextOneDecodes) {
    FrameDecoder d;
    feed(d, raw_frame("[1]") + encode_frame(make_start(3)));
    EXPECT_THROW(d.next(), ProtocolError);
    auto out = d.next();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(get_string(*out, "type"), "start");
}

// ---------------------------------------------------------- field access

TEST(Fields, GetUint) {
    const json::object m{{"type", "stop"},
                         {"a", 5},
                         {"big", UINT64_MAX},
                         {"s", "5"},
                         {"neg", -1},
                         {"d", 1.5},
                         {"n", nullptr},
                         {"b", true}};
    EXPECT_EQ(get_uint(m, "a", 10), 5u);
    EXPECT_EQ(get_uint(m, "a", 5), 5u);  // max is inclusive
    EXPECT_EQ(get_uint(m, "big", UINT64_MAX), UINT64_MAX);

    for (const char* key : {"missing", "s", "neg", "d", "n", "b"}) {
        const std::string msg = protocol_error_of([&] { get_uint(m, key, 100); });
        EXPECT_NE(msg.find(std::string("'") + key + "'"), std::string::npos) << key << ": " << msg;
        EXPECT_NE(msg.find("stop"), std::string::npos) << "message type not named: " << msg;
    }
    const std::string above = protocol_error_of([&] { get_uint(m, "a", 4); });
    EXPECT_NE(above.find("'a'"), std::string::npos) << above;
    EXPECT_NE(above.find("0..4"), std::string::npos) << above;
    EXPECT_THROW(get_uint(m, "big", UINT64_MAX - 1), ProtocolError);
}

TEST(Fields, GetString) {
    const json::object m{{"type", "ready"}, {"s", "eth0"}, {"e", ""}, {"n", 5}, {"o", json::object{}}};
    EXPECT_EQ(get_string(m, "s"), "eth0");
    EXPECT_EQ(get_string(m, "e"), "");
    for (const char* key : {"n", "o", "missing"}) {
        const std::string msg = protocol_error_of([&] { get_string(m, key); });
        EXPECT_NE(msg.find(std::string("'") + key + "'"), std::string::npos) << key << ": " << msg;
        EXPECT_NE(msg.find("ready"), std::string::npos) << msg;
    }
}

TEST(Fields, GetObject) {
    const json::object inner{{"x", 1}};
    const json::object m{{"type", "results"}, {"o", inner}, {"s", "x"}, {"a", json::array{1}}, {"n", nullptr}};
    EXPECT_EQ(get_object(m, "o"), inner);
    for (const char* key : {"s", "a", "n", "missing"}) {
        const std::string msg = protocol_error_of([&] { get_object(m, key); });
        EXPECT_NE(msg.find(std::string("'") + key + "'"), std::string::npos) << key << ": " << msg;
        EXPECT_NE(msg.find("results"), std::string::npos) << msg;
    }
}

// ------------------------------------------------------------- messages

TEST(Messages, BuildersSetType) {
    EXPECT_EQ(get_string(make_hello("generator"), "type"), "hello");
    EXPECT_EQ(get_string(make_start(1), "type"), "start");
    EXPECT_EQ(get_string(make_started(1), "type"), "started");
    EXPECT_EQ(get_string(make_stop(1, 2), "type"), "stop");
    EXPECT_EQ(get_string(make_results(1, json::object{}), "type"), "results");
    const auto err = make_error("busy", "why");
    EXPECT_EQ(get_string(err, "type"), "error");
    EXPECT_EQ(get_string(err, "code"), "busy");
    EXPECT_EQ(get_string(err, "reason"), "why");
    const auto stop = make_stop(9, 1234567890123ULL);
    EXPECT_EQ(get_uint(stop, "test_id", UINT16_MAX), 9u);
    EXPECT_EQ(get_uint(stop, "sent_packets", UINT64_MAX), 1234567890123ULL);
    const auto hello = make_hello("receiver", "eth1");
    EXPECT_EQ(get_string(hello, "interface"), "eth1");
    EXPECT_EQ(get_uint(hello, "protocol_version", 100), static_cast<uint64_t>(kProtocolVersion));
    EXPECT_FALSE(make_hello("generator").contains("interface"));
}

TEST(Hello, AcceptsMatchingHello) {
    EXPECT_NO_THROW(check_hello(make_hello("generator"), "generator"));
    EXPECT_NO_THROW(check_hello(make_hello("receiver", "eth0"), "receiver"));
}

TEST(Hello, VersionMismatchNamesBothVersions) {
    auto m = make_hello("receiver", "eth0");
    m["protocol_version"] = kProtocolVersion + 6;
    const std::string msg = protocol_error_of([&] { check_hello(m, "receiver"); });
    EXPECT_NE(msg.find("v" + std::to_string(kProtocolVersion + 6)), std::string::npos) << msg;
    EXPECT_NE(msg.find("v" + std::to_string(kProtocolVersion)), std::string::npos) << msg;
}

TEST(Hello, BadVersionField) {
    auto m = make_hello("receiver");
    m["protocol_version"] = "1";
    EXPECT_NE(protocol_error_of([&] { check_hello(m, "receiver"); }).find("protocol_version"), std::string::npos);
    m.erase("protocol_version");
    EXPECT_NE(protocol_error_of([&] { check_hello(m, "receiver"); }).find("protocol_version"), std::string::npos);
}

TEST(Hello, WrongRole) {
    const std::string msg = protocol_error_of([&] { check_hello(make_hello("generator"), "receiver"); });
    EXPECT_NE(msg.find("generator"), std::string::npos) << msg;
    EXPECT_NE(msg.find("receiver"), std::string::npos) << msg;
    auto m = make_hello("receiver");
    m.erase("role");
    EXPECT_THROW(check_hello(m, "receiver"), ProtocolError);
}

TEST(Hello, WrongType) {
    const std::string msg = protocol_error_of([&] { check_hello(make_start(1), "receiver"); });
    EXPECT_NE(msg.find("hello"), std::string::npos) << msg;
    EXPECT_NE(msg.find("start"), std::string::npos) << msg;
    EXPECT_THROW(check_hello(json::object{{"protocol_version", kProtocolVersion}, {"role", "receiver"}}, "receiver"),
                 ProtocolError);
}

namespace {

TestConfig sample_config() {
    TestConfig c;
    c.name = "Configure Round Trip";
    c.duration_s = 12.5;
    c.packet_rate = 250000;
    c.packet_size = 64;
    c.flows = 300;
    c.threads = 3;
    c.src_port = 20000;
    c.dst_port = 7777;
    c.dst_machine.ip = "10.1.2.3";
    c.dst_machine.interface = "ens1f0";
    c.dst_machine.mac = "02:11:22:33:44:55";
    c.dst_machine.control_port = 9090;
    c.xdp_mode = "native";
    c.sample_rate = 0.5;
    return c;
}

}  // namespace

TEST(Configure, RoundTrip) {
    const TestConfig cfg = sample_config();
    const uint64_t epoch = 1'790'000'000'123'456'789ULL;
    const auto msg = make_configure(65535, "Configure Round Trip", epoch, cfg);
    // Through the wire form as well.
    FrameDecoder d;
    feed(d, encode_frame(msg));
    const auto wire = d.next();
    ASSERT_TRUE(wire.has_value());
    const Configure c = parse_configure(*wire);
    EXPECT_EQ(c.test_id, 65535);
    EXPECT_EQ(c.test_name, "Configure Round Trip");
    EXPECT_EQ(c.epoch_tai_ns, epoch);
    EXPECT_EQ(c.config.name, cfg.name);
    EXPECT_DOUBLE_EQ(c.config.duration_s, cfg.duration_s);
    EXPECT_EQ(c.config.packet_rate, cfg.packet_rate);
    EXPECT_EQ(c.config.rate_max, false);
    EXPECT_EQ(c.config.packet_size, cfg.packet_size);
    EXPECT_EQ(c.config.flows, cfg.flows);
    EXPECT_EQ(c.config.threads, cfg.threads);
    EXPECT_EQ(c.config.src_port, cfg.src_port);
    EXPECT_EQ(c.config.dst_port, cfg.dst_port);
    EXPECT_EQ(c.config.dst_machine.ip, cfg.dst_machine.ip);
    EXPECT_EQ(c.config.dst_machine.interface, cfg.dst_machine.interface);
    EXPECT_EQ(c.config.dst_machine.mac, cfg.dst_machine.mac);
    EXPECT_EQ(c.config.dst_machine.control_port, cfg.dst_machine.control_port);
    EXPECT_EQ(c.config.xdp_mode, cfg.xdp_mode);
    EXPECT_DOUBLE_EQ(c.config.sample_rate, cfg.sample_rate);
    EXPECT_EQ(to_json(c.config), to_json(cfg));
}

TEST(Configure, RateMaxRoundTrips) {
    TestConfig cfg = sample_config();
    cfg.rate_max = true;
    cfg.packet_rate = TestConfig{}.packet_rate;
    const Configure c = parse_configure(make_configure(1, "m", 0, cfg));
    EXPECT_TRUE(c.config.rate_max);
    EXPECT_EQ(c.test_id, 1);
    EXPECT_EQ(c.epoch_tai_ns, 0u);
}

TEST(Configure, BadConfigValueNamesTheKey) {
    auto msg = make_configure(5, "t", 1, sample_config());
    msg["config"].as_object()["traffic_config"].as_object()["packet_size"] = 10;
    const std::string err = protocol_error_of([&] { parse_configure(msg); });
    EXPECT_NE(err.find("packet_size"), std::string::npos) << err;
}

TEST(Configure, UnknownConfigKeyRefused) {
    auto msg = make_configure(5, "t", 1, sample_config());
    msg["config"].as_object()["traffic_config"].as_object()["packet_sise"] = 64;
    EXPECT_THROW(parse_configure(msg), ProtocolError);
}

TEST(Configure, TestIdOutOfRange) {
    auto msg = make_configure(5, "t", 1, sample_config());
    msg["test_id"] = 70000;
    const std::string err = protocol_error_of([&] { parse_configure(msg); });
    EXPECT_NE(err.find("test_id"), std::string::npos) << err;
    msg["test_id"] = -1;
    EXPECT_THROW(parse_configure(msg), ProtocolError);
}

TEST(Configure, MissingOrWrongFields) {
    const auto good = make_configure(5, "t", 1, sample_config());
    for (const char* key : {"test_id", "test_name", "epoch_tai_ns", "config"}) {
        auto msg = good;
        msg.erase(key);
        const std::string err = protocol_error_of([&] { parse_configure(msg); });
        EXPECT_NE(err.find(key), std::string::npos) << key << ": " << err;
    }
    auto msg = good;
    msg["config"] = "not an object";
    EXPECT_NE(protocol_error_of([&] { parse_configure(msg); }).find("config"), std::string::npos);
    msg = good;
    msg["type"] = "ready";
    EXPECT_THROW(parse_configure(msg), ProtocolError);
}

TEST(Ready, RoundTrip) {
    const Ready r = parse_ready(make_ready(300, "eth0", "02:aa:bb:cc:dd:ee", "generic"));
    EXPECT_EQ(r.test_id, 300);
    EXPECT_EQ(r.interface, "eth0");
    EXPECT_EQ(r.mac, "02:aa:bb:cc:dd:ee");
    EXPECT_EQ(r.xdp_mode, "generic");
}

TEST(Ready, BadMacRefused) {
    for (const char* mac : {"", "zz:00:00:00:00:01", "02:00:00:00:00", "02:00:00:00:00:01:03", "0200.0000.0001",
                            "02-00-00-00-00-01x"}) {
        const std::string err = protocol_error_of([&] { parse_ready(make_ready(1, "eth0", mac, "native")); });
        EXPECT_NE(err.find("mac"), std::string::npos) << "'" << mac << "': " << err;
    }
}

TEST(Ready, WrongTypeOrFields) {
    EXPECT_THROW(parse_ready(make_started(1)), ProtocolError);
    auto m = make_ready(1, "eth0", "02:00:00:00:00:01", "native");
    m["test_id"] = 65536;
    EXPECT_THROW(parse_ready(m), ProtocolError);
    m = make_ready(1, "eth0", "02:00:00:00:00:01", "native");
    m.erase("xdp_mode");
    EXPECT_NE(protocol_error_of([&] { parse_ready(m); }).find("xdp_mode"), std::string::npos);
}

// -------------------------------------------------------------- channel

namespace {

// One io_context, an acceptor on 127.0.0.1:0, a client socket from
// proto::connect() and the accepted server socket.  Nothing here runs a
// thread: the Channel calls drive the io_context, and the raw peer socket
// is written synchronously (loopback writes of a few bytes complete at once).
class Loopback : public ::testing::Test {
protected:
    void SetUp() override {
        acceptor_.emplace(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port_ = acceptor_->local_endpoint().port();
        client_.emplace(connect(io_, "127.0.0.1", port_, 2s));
        server_.emplace(acceptor_->accept());
    }

    void peer_write(const std::string& bytes) { asio::write(*server_, asio::buffer(bytes)); }

    asio::io_context io_;
    std::optional<tcp::acceptor> acceptor_;
    uint16_t port_ = 0;
    std::optional<tcp::socket> client_;
    std::optional<tcp::socket> server_;
};

}  // namespace

TEST_F(Loopback, SendAndReceiveBothWays) {
    Channel gen(io_, std::move(*client_));
    Channel rcv(io_, std::move(*server_));
    EXPECT_EQ(gen.peer_address(), "127.0.0.1:" + std::to_string(port_));

    gen.send(make_hello("generator"), 1s);
    auto h = rcv.receive(2s);
    ASSERT_TRUE(h.has_value());
    EXPECT_NO_THROW(check_hello(*h, "generator"));

    rcv.send(make_hello("receiver", "eth0"), 1s);
    const auto back = gen.expect("hello", 2s);
    EXPECT_NO_THROW(check_hello(back, "receiver"));
    EXPECT_EQ(get_string(back, "interface"), "eth0");

    // A message bigger than one read chunk (16 KiB) in each direction; small
    // enough for the loopback socket buffers, since nothing reads during send().
    json::object big{{"type", "results"}, {"pad", std::string(40000, 'z')}};
    gen.send(big, 2s);
    EXPECT_EQ(rcv.expect("results", 2s), big);
    rcv.send(big, 2s);
    EXPECT_EQ(gen.expect("results", 2s), big);
}

TEST_F(Loopback, ReceiveTimesOutWithoutDataAndStaysUsable) {
    Channel ch(io_, std::move(*client_));
    const auto t0 = std::chrono::steady_clock::now();
    auto none = ch.receive(50ms);
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_FALSE(none.has_value());
    EXPECT_GE(waited, 50ms);
    EXPECT_LT(waited, 2s);

    peer_write(encode_frame(make_start(11)));
    auto m = ch.receive(2s);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(get_uint(*m, "test_id", UINT16_MAX), 11u);

    // And it can still send.
    ch.send(make_started(11), 1s);
    FrameDecoder d;
    std::optional<json::object> got;
    std::string buf(64, '\0');
    while (!got) {
        const std::size_t n = server_->read_some(asio::buffer(buf));
        d.feed(buf.data(), n);
        got = d.next();
    }
    EXPECT_EQ(*got, make_started(11));
}

TEST_F(Loopback, FrameSplitAcrossATimeoutIsNotLost) {
    Channel ch(io_, std::move(*client_));
    const std::string frame = encode_frame(make_stop(21, 987654321));
    // Split inside the length prefix, right after it, and inside the body.
    for (std::size_t split : {std::size_t{2}, std::size_t{4}, std::size_t{9}, frame.size() - 1}) {
        peer_write(frame.substr(0, split));
        EXPECT_FALSE(ch.receive(50ms).has_value()) << "split " << split;
        peer_write(frame.substr(split));
        auto m = ch.receive(2s);
        ASSERT_TRUE(m.has_value()) << "split " << split;
        EXPECT_EQ(*m, make_stop(21, 987654321)) << "split " << split;
    }
}

TEST_F(Loopback, SeveralFramesInOneWrite) {
    Channel ch(io_, std::move(*client_));
    peer_write(encode_frame(make_start(1)) + encode_frame(make_started(1)) + encode_frame(make_stop(1, 5)));
    EXPECT_EQ(get_string(ch.expect("start", 2s), "type"), "start");
    EXPECT_EQ(get_string(ch.expect("started", 2s), "type"), "started");
    EXPECT_EQ(get_uint(ch.expect("stop", 2s), "sent_packets", UINT64_MAX), 5u);
    EXPECT_FALSE(ch.receive(20ms).has_value());
}

TEST_F(Loopback, ExpectThrowsPeerErrorWithCodeAndReason) {
    Channel ch(io_, std::move(*client_));
    peer_write(encode_frame(make_error("xdp_attach_failed", "cannot attach XDP to eth0: Operation not permitted")));
    try {
        ch.expect("ready", 2s);
        FAIL() << "no PeerError";
    } catch (const PeerError& e) {
        EXPECT_EQ(e.code(), "xdp_attach_failed");
        EXPECT_STREQ(e.what(), "cannot attach XDP to eth0: Operation not permitted");
    }
}

TEST_F(Loopback, ExpectThrowsProtocolErrorForWrongType) {
    Channel ch(io_, std::move(*client_));
    peer_write(encode_frame(make_started(3)));
    const std::string err = protocol_error_of([&] { ch.expect("ready", 2s); });
    EXPECT_NE(err.find("ready"), std::string::npos) << err;
    EXPECT_NE(err.find("started"), std::string::npos) << err;
}

TEST_F(Loopback, ExpectTimesOutWithProtocolError) {
    Channel ch(io_, std::move(*client_));
    const std::string err = protocol_error_of([&] { ch.expect("ready", 50ms); });
    EXPECT_NE(err.find("ready"), std::string::npos) << err;
}

TEST_F(Loopback, PeerClosingIsAProtocolError) {
    Channel ch(io_, std::move(*client_));
    server_->close();
    EXPECT_THROW(ch.receive(2s), ProtocolError);
}

TEST_F(Loopback, PeerClosingMidFrameIsAProtocolError) {
    Channel ch(io_, std::move(*client_));
    peer_write(encode_frame(make_start(1)).substr(0, 6));
    server_->close();
    EXPECT_THROW(ch.expect("start", 2s), ProtocolError);
}

TEST_F(Loopback, BadFrameOnTheWireIsAProtocolError) {
    Channel ch(io_, std::move(*client_));
    peer_write(prefix(static_cast<uint32_t>(kMaxFrameBytes + 1)));
    EXPECT_THROW(ch.receive(2s), ProtocolError);
}

TEST(Connect, ClosedPortNamesHostAndPort) {
    asio::io_context io;
    uint16_t port = 0;
    {
        tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = a.local_endpoint().port();
    }  // closed: nothing listens there now
    const std::string err = protocol_error_of([&] { connect(io, "127.0.0.1", port, 2s); });
    EXPECT_NE(err.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << err;
}

TEST(Connect, NonAddressHostRefused) {
    asio::io_context io;
    const std::string err = protocol_error_of([&] { connect(io, "not-an-ip", 8080, 1s); });
    EXPECT_NE(err.find("not-an-ip"), std::string::npos) << err;
}

// Both programs' sides of a session, each on its own io_context and thread,
// synchronised with promises only.
TEST(ChannelThreads, SessionBetweenTwoThreads) {
    std::promise<uint16_t> port_promise;
    std::promise<std::string> peer_done;  // what the receiver side saw at the end
    auto port_future = port_promise.get_future();
    auto done_future = peer_done.get_future();

    std::thread receiver([&] {
        try {
            asio::io_context io;
            tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
            port_promise.set_value(acceptor.local_endpoint().port());
            Channel ch(io, acceptor.accept());
            check_hello(ch.expect("hello", 5s), "generator");
            ch.send(make_hello("receiver", "eth0"), 5s);
            const Configure c = parse_configure(ch.expect("configure", 5s));
            ch.send(make_ready(c.test_id, "eth0", "02:00:00:00:00:02", "generic"), 5s);
            const auto stop = ch.expect("stop", 5s);
            ch.send(make_results(c.test_id, json::object{{"sent_seen", get_uint(stop, "sent_packets", UINT64_MAX)}}),
                    5s);
            // The generator closes: this side must see it as a ProtocolError.
            try {
                ch.receive(5s);
                peer_done.set_value("no error after close");
            } catch (const ProtocolError& e) {
                peer_done.set_value(std::string("closed: ") + e.what());
            }
        } catch (...) {
            try {
                port_promise.set_exception(std::current_exception());
            } catch (const std::future_error&) {
            }
            peer_done.set_exception(std::current_exception());
        }
    });

    try {
        asio::io_context io;
        const uint16_t port = port_future.get();
        Channel ch(io, connect(io, "127.0.0.1", port, 5s));
        ch.send(make_hello("generator"), 5s);
        check_hello(ch.expect("hello", 5s), "receiver");
        ch.send(make_configure(77, "threads", 1, sample_config()), 5s);
        const Ready r = parse_ready(ch.expect("ready", 5s));
        EXPECT_EQ(r.test_id, 77);
        EXPECT_EQ(r.mac, "02:00:00:00:00:02");
        ch.send(make_stop(77, 424242), 5s);
        const auto results = ch.expect("results", 5s);
        EXPECT_EQ(get_uint(get_object(results, "receiver"), "sent_seen", UINT64_MAX), 424242u);
        ch.close();
        const std::string end = done_future.get();
        EXPECT_EQ(end.rfind("closed: ", 0), 0u) << end;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "generator side: " << e.what();
    }
    receiver.join();
}

// ---------------------------------------------------------------- v2 messages

TEST(ProtocolV2, HelloCarriesCapabilitiesChallengeAndResponse) {
    const std::string c(64, 'a'), r(64, 'b');
    const auto h = ebt::proto::check_hello(ebt::proto::make_hello("receiver", "eth0", c, r), "receiver");
    EXPECT_EQ(h.challenge, c);
    EXPECT_EQ(h.response, r);
    EXPECT_EQ(h.interface, "eth0");
    const auto plain = ebt::proto::check_hello(ebt::proto::make_hello("generator"), "generator");
    EXPECT_TRUE(plain.challenge.empty());
    EXPECT_TRUE(ebt::proto::make_hello("generator").at("capabilities").is_array());
}

TEST(ProtocolV2, MalformedChallengeIsRefused) {
    auto m = ebt::proto::make_hello("generator", "", std::string(64, 'a'));
    m["challenge"] = "xyz";
    EXPECT_THROW(ebt::proto::check_hello(m, "generator"), ebt::proto::ProtocolError);
    m["challenge"] = std::string(64, 'G');
    EXPECT_THROW(ebt::proto::check_hello(m, "generator"), ebt::proto::ProtocolError);
}

TEST(ProtocolV2, TimeExchangeRoundTrip) {
    EXPECT_EQ(ebt::proto::parse_time_request(ebt::proto::make_time_request(-5)), -5);
    const auto r = ebt::proto::parse_time_reply(ebt::proto::make_time_reply(1, 2, 3));
    EXPECT_EQ(r.t1, 1);
    EXPECT_EQ(r.t2, 2);
    EXPECT_EQ(r.t3, 3);
    auto bad = ebt::proto::make_time_reply(1, 2, 3);
    bad["t2"] = "soon";
    EXPECT_THROW(ebt::proto::parse_time_reply(bad), ebt::proto::ProtocolError);
}

TEST(ProtocolV2, SampleRoundTripAndValidation) {
    const auto s = ebt::proto::parse_sample(ebt::proto::make_sample({2.5, 1000, 400.5, 3, 7.25, 12.5}));
    EXPECT_DOUBLE_EQ(s.receive_path_cpu_pct, 7.25);
    EXPECT_DOUBLE_EQ(s.host_cpu_busy_pct, 12.5);
    const auto unknown = ebt::proto::parse_sample(ebt::proto::make_sample({}));
    EXPECT_DOUBLE_EQ(unknown.receive_path_cpu_pct, -1);
    EXPECT_DOUBLE_EQ(unknown.host_cpu_busy_pct, -1);
    for (const char* key : {"receive_path_cpu_pct", "host_cpu_busy_pct"}) {
        auto bad_cpu = ebt::proto::make_sample({});
        bad_cpu[key] = 150.0;
        try {
            ebt::proto::parse_sample(bad_cpu);
            ADD_FAILURE() << key << " = 150 accepted";
        } catch (const ebt::proto::ProtocolError& e) {
            EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        }
    }
    EXPECT_DOUBLE_EQ(s.t_s, 2.5);
    EXPECT_EQ(s.test_packets, 1000u);
    EXPECT_DOUBLE_EQ(s.rx_pps, 400.5);
    EXPECT_EQ(s.lost, 3u);
    auto bad = ebt::proto::make_sample({});
    bad["lost"] = -1;
    EXPECT_THROW(ebt::proto::parse_sample(bad), ebt::proto::ProtocolError);
}

TEST(ProtocolV2, StopCarriesAnIncompleteReasonOnlyWhenGiven) {
    const auto plain = ebt::proto::make_stop(7, 1234);
    EXPECT_FALSE(plain.contains("incomplete_reason"));
    const auto p = ebt::proto::parse_stop(plain);
    EXPECT_EQ(p.test_id, 7u);
    EXPECT_EQ(p.sent_packets, 1234u);
    EXPECT_TRUE(p.incomplete_reason.empty());
    const auto i = ebt::proto::parse_stop(ebt::proto::make_stop(7, 99, "interrupted by SIGINT"));
    EXPECT_EQ(i.sent_packets, 99u);
    EXPECT_EQ(i.incomplete_reason, "interrupted by SIGINT");
    auto bad = ebt::proto::make_stop(7, 99, "x");
    bad["incomplete_reason"] = 5;
    EXPECT_THROW(ebt::proto::parse_stop(bad), ebt::proto::ProtocolError);
    bad = ebt::proto::make_stop(7, 99);
    bad.erase("sent_packets");
    EXPECT_THROW(ebt::proto::parse_stop(bad), ebt::proto::ProtocolError);
}

TEST(ProtocolV2, BusyNamesTheRunningTest) {
    const auto b = ebt::proto::make_busy(4242);
    EXPECT_EQ(ebt::proto::get_string(b, "code"), "busy");
    EXPECT_EQ(ebt::proto::get_uint(b, "test_id", 65535), 4242u);
    EXPECT_NE(ebt::proto::get_string(b, "reason").find("4242"), std::string::npos);
}

// ------------------------------------------------------------- trials

TEST(Trials, ReceiverAdvertisesTrialsGeneratorDoesNot) {
    const auto r = check_hello(make_hello("receiver", "eth0"), "receiver");
    EXPECT_TRUE(r.has_capability("trials"));
    EXPECT_TRUE(r.has_capability("fetch-results"));
    EXPECT_FALSE(r.has_capability("trial"));
    const auto g = check_hello(make_hello("generator"), "generator");
    EXPECT_FALSE(g.has_capability("trials"));
    EXPECT_TRUE(g.has_capability("heartbeat"));
}

TEST(Trials, CapabilitiesParsedAsSent) {
    auto m = make_hello("receiver", "eth0");
    m["capabilities"] = json::array{"b", "trials", "a"};
    const auto h = check_hello(m, "receiver");
    EXPECT_EQ(h.capabilities, (std::vector<std::string>{"b", "trials", "a"}));
    m["capabilities"] = json::array{};
    EXPECT_TRUE(check_hello(m, "receiver").capabilities.empty());
}

TEST(Trials, MissingCapabilitiesMeansNone) {
    auto m = make_hello("receiver", "eth0");
    m.erase("capabilities");
    const auto h = check_hello(m, "receiver");
    EXPECT_TRUE(h.capabilities.empty());
    EXPECT_FALSE(h.has_capability("trials"));
}

TEST(Trials, MalformedCapabilitiesNameTheField) {
    for (const json::value& bad : {json::value("trials"), json::value(3), json::value(json::object{{"trials", true}}),
                                  json::value(json::array{"trials", 1}), json::value(json::array{nullptr})}) {
        auto m = make_hello("receiver", "eth0");
        m["capabilities"] = bad;
        const std::string msg = protocol_error_of([&] { check_hello(m, "receiver"); });
        EXPECT_NE(msg.find("'capabilities'"), std::string::npos) << json::serialize(bad) << ": " << msg;
        EXPECT_NE(msg.find("hello"), std::string::npos) << msg;
    }
}

TEST(Trials, EndIsATypeOnly) {
    const auto e = make_end();
    EXPECT_EQ(get_string(e, "type"), "end");
    EXPECT_EQ(e.size(), 1u);
    FrameDecoder d;
    feed(d, encode_frame(e));
    const auto back = d.next();
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(message_type(*back), "end");
}
