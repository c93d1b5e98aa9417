// The HTTP endpoint on the control port: request-line recognition, one
// request per connection, status codes, HEAD, and deadlines.
#include <gtest/gtest.h>

#include "tcp_client.hpp"  // tests/support

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
    auto client = std::async(std::launch::async, [&] { return ebt::test::tcp_exchange(port, request); });
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
