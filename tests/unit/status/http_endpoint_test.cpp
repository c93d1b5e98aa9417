// The HTTP endpoint on the control port: request-line recognition, one
// request per connection, status codes, HEAD, and deadlines.
#include <gtest/gtest.h>

#include <cstdlib>
#include <future>
#include <unistd.h>
#include <thread>

#include <boost/asio.hpp>

#include "http_endpoint.hpp"
#include "require.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

ebt::http::Response handler(std::string_view target) {
    if (target == "/health") return {200, "application/json", "{\"ok\":true}"};
    return {404, "text/plain", "no such endpoint\n"};
}

// Sends raw bytes from a client thread, reads until the server closes, and
// returns everything received.  The server side runs in this thread.
std::string exchange(const std::string& request, std::chrono::milliseconds timeout = 2s) {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = acceptor.local_endpoint().port();
    auto client = std::async(std::launch::async, [&] {
        asio::io_context cio;
        tcp::socket s(cio);
        s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        asio::write(s, asio::buffer(request));
        std::string out;
        boost::system::error_code ec;
        char buf[4096];
        for (;;) {
            const auto n = s.read_some(asio::buffer(buf), ec);
            out.append(buf, n);
            if (ec) break;
        }
        return out;
    });
    tcp::socket conn = acceptor.accept();
    // As the receiver does: the first bytes decide the protocol.
    std::string first(4, '\0');
    asio::read(conn, asio::buffer(first));
    EXPECT_TRUE(ebt::http::looks_like_http(first));
    ebt::http::serve_one(io, std::move(conn), first, handler, timeout);
    return client.get();
}

}  // namespace

TEST(HttpEndpoint, RecognisesRequestLinesNotFrames) {
    EXPECT_TRUE(ebt::http::looks_like_http("GET /health HTTP/1.1"));
    EXPECT_TRUE(ebt::http::looks_like_http("HEAD"));
    EXPECT_FALSE(ebt::http::looks_like_http(std::string("\0\0\0\x10", 4)));
    EXPECT_FALSE(ebt::http::looks_like_http("GE"));
}

TEST(HttpEndpoint, ServesAPath) {
    const std::string r = exchange("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_NE(r.find("Content-Type: application/json"), std::string::npos) << r;
    EXPECT_NE(r.find("\r\n\r\n{\"ok\":true}"), std::string::npos) << r;
}

TEST(HttpEndpoint, QueryStringIgnoredUnknownPath404) {
    EXPECT_NE(exchange("GET /health?x=1 HTTP/1.1\r\nHost: x\r\n\r\n").find("200 OK"), std::string::npos);
    EXPECT_EQ(exchange("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
}

TEST(HttpEndpoint, HeadHasHeadersOnly) {
    const std::string r = exchange("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_NE(r.find("Content-Length: 11"), std::string::npos) << r;
    EXPECT_EQ(r.find("{\"ok\""), std::string::npos) << r;
}

TEST(HttpEndpoint, OtherMethods405) {
    const std::string r = exchange("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 405", 0), 0u) << r;
    EXPECT_NE(r.find("Allow: GET, HEAD"), std::string::npos) << r;
}

TEST(HttpEndpoint, MalformedRequest400) {
    EXPECT_EQ(exchange("GET /health HTTP/9\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
}

TEST(HttpEndpoint, SilentClientIsDroppedAtTheDeadline) {
    // Headers never finish: the server gives up and closes; nothing hangs.
    const std::string r = exchange("GET /health HTTP/1.1\r\nHost: x\r\n", 100ms);
    EXPECT_EQ(r, "");
}

// ------------------------------------------------------- the status pages

#include "status_pages.hpp"

namespace {

ebt::StatusSnapshot running_receiver() {
    ebt::StatusSnapshot s;
    s.role = "receiver";
    s.state = "running";
    s.test_id = 77;
    s.test_name = "T";
    s.elapsed_s = 2.5;
    s.received_packets = 1000;
    s.rx_pps = 400;
    s.lost = 2;
    s.interface = "eth0";
    s.xdp_mode = "native";
    for (uint32_t i = 0; i < 10; ++i) s.flows.push_back({i, 100});
    s.checks = {{"kernel", true, "6.18"}, {"BTF", true, "present"}};
    return s;
}

}  // namespace

TEST(StatusPages, StatusIsJsonWithTheLiveNumbers) {
    const std::string j = ebt::status_json(running_receiver());
    EXPECT_NE(j.find("\"state\":\"running\""), std::string::npos) << j;
    EXPECT_NE(j.find("\"test_id\":77"), std::string::npos) << j;
    EXPECT_NE(j.find("\"rx_pps\":400,"), std::string::npos) << j;  // a whole number, as an integer
    ebt::StatusSnapshot idle;
    idle.role = "receiver";
    EXPECT_NE(ebt::status_json(idle).find("\"test_id\":null"), std::string::npos);
}

TEST(StatusPages, HealthReflectsTheChecks) {
    auto s = running_receiver();
    EXPECT_NE(ebt::health_json(s).find("\"status\":\"ok\""), std::string::npos);
    s.checks.push_back({"interface", false, "down"});
    EXPECT_NE(ebt::health_json(s).find("\"status\":\"degraded\""), std::string::npos);
}

TEST(StatusPages, MetricsBoundFlowLabelsAndPassPromtool) {
    const std::string m = ebt::metrics_text(running_receiver(), 4);
    EXPECT_NE(m.find("ebt_flow_rx_packets_total{role=\"receiver\",flow=\"3\"} 100"), std::string::npos) << m;
    EXPECT_EQ(m.find("flow=\"4\""), std::string::npos) << m;
    EXPECT_NE(m.find("ebt_rx_lost_packets{role=\"receiver\"} 2"), std::string::npos) << m;
    REQUIRE_OR_SKIP(std::system("command -v promtool >/dev/null 2>&1") == 0, "promtool not installed");
    char tmpl[] = "/tmp/ebt-metrics-XXXXXX";
    const int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, m.data(), m.size()), static_cast<ssize_t>(m.size()));
    close(fd);
    EXPECT_EQ(std::system((std::string("promtool check metrics < ") + tmpl + " >/dev/null 2>&1").c_str()), 0);
    unlink(tmpl);
}

TEST(StatusPages, HandlerRoutes) {
    ebt::SharedStatus shared;
    shared.update(running_receiver());
    const auto h = ebt::status_handler(shared, 8);
    EXPECT_EQ(h("/health").status, 200u);
    EXPECT_EQ(h("/status").content_type, "application/json");
    EXPECT_EQ(h("/metrics").content_type, "text/plain; version=0.0.4");
    EXPECT_EQ(h("/other").status, 404u);
}

// ------------------------------------------------------- the status server

#include "status_server.hpp"

TEST(StatusServer, ServesTheSnapshotOnItsOwnThread) {
    ebt::SharedStatus shared;
    shared.update(running_receiver());
    ebt::StatusServer server("127.0.0.1", 0, shared, 8);
    auto get = [&](const std::string& path) {
        asio::io_context io;
        tcp::socket s(io);
        s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
        asio::write(s, asio::buffer("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
        std::string out;
        boost::system::error_code ec;
        char buf[4096];
        for (;;) {
            const auto n = s.read_some(asio::buffer(buf), ec);
            out.append(buf, n);
            if (ec) break;
        }
        return out;
    };
    EXPECT_NE(get("/status").find("\"test_id\":77"), std::string::npos);
    shared.modify([](ebt::StatusSnapshot& s) { s.test_id = 78; });
    EXPECT_NE(get("/status").find("\"test_id\":78"), std::string::npos);
    EXPECT_EQ(get("/x").rfind("HTTP/1.1 404", 0), 0u);
}

TEST(StatusServer, PortInUseIsAClearError) {
    ebt::SharedStatus shared;
    ebt::StatusServer first("127.0.0.1", 0, shared, 8);
    try {
        ebt::StatusServer second("127.0.0.1", first.port(), shared, 8);
        FAIL() << "second bind succeeded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(std::to_string(first.port())), std::string::npos) << e.what();
    }
}
