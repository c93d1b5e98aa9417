// The HTTP endpoints (/health, /status, /metrics), served on the
// control port: a connection whose first bytes are an HTTP request line
// ("GET " / "HEAD") is HTTP, anything else is the framed control protocol
// (whose first byte, the top of a length of at most 1 MiB, is always 0).
// One request per connection, answered and closed, every step under a
// deadline.  Handlers build the body; this file knows nothing of tests.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace ebt::http {

struct Response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
};

// target: the request path, query string removed.  Called on the thread
// that drives the io_context.
using Handler = std::function<Response(std::string_view target)>;

// True when these first bytes of a connection start an HTTP request.
bool looks_like_http(std::string_view first_bytes);

// Serves one request asynchronously on the socket's io_context (initial =
// bytes already read from the socket): reads it, writes the handler's
// response (405 for methods other than GET/HEAD, 400 for a malformed
// request, 404 from the handler for unknown paths) and closes.  The
// connection keeps itself alive until then or the deadline, whichever comes
// first; whoever runs the io_context drives it.  Never throws.
void start_serving(boost::asio::ip::tcp::socket socket, std::string_view initial, Handler handler,
                   std::chrono::steady_clock::duration timeout);

// start_serving, then runs io until that connection is finished.
void serve_one(boost::asio::io_context& io, boost::asio::ip::tcp::socket socket, std::string_view initial,
               const Handler& handler, std::chrono::steady_clock::duration timeout);

}  // namespace ebt::http
