#include "http_endpoint.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace ebt::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;

namespace {

// Runs io until done or the deadline; on the deadline closes the socket and
// waits for the aborted operation's handler.
bool run_until(asio::io_context& io, asio::ip::tcp::socket& socket, const bool& done, Clock::time_point deadline) {
    io.restart();
    while (!done)
        if (io.run_one_until(deadline) == 0 && Clock::now() >= deadline) break;
    if (done) return true;
    boost::system::error_code ignored;
    socket.close(ignored);
    io.restart();
    while (!done) io.run_one();
    return false;
}

}  // namespace

bool looks_like_http(std::string_view b) {
    return b.rfind("GET ", 0) == 0 || b.rfind("HEAD", 0) == 0 || b.rfind("POST", 0) == 0 ||
           b.rfind("PUT ", 0) == 0 || b.rfind("DELE", 0) == 0 || b.rfind("OPTI", 0) == 0;
}

void serve_one(asio::io_context& io, asio::ip::tcp::socket socket, std::string initial, const Handler& handler,
               Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    beast::flat_buffer buffer(64 * 1024);  // a request line and headers, no more
    const auto n = asio::buffer_copy(buffer.prepare(initial.size()), asio::buffer(initial));
    buffer.commit(n);

    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(16 * 1024);
    boost::system::error_code read_ec;
    bool done = false;
    bhttp::async_read(socket, buffer, parser, [&](const boost::system::error_code& ec, std::size_t) {
        read_ec = ec;
        done = true;
    });
    if (!run_until(io, socket, done, deadline)) return;

    bhttp::response<bhttp::string_body> res;
    res.version(11);
    res.set(bhttp::field::server, "ebpf-test");
    res.set(bhttp::field::connection, "close");
    bool head = false;
    if (read_ec) {
        res.result(bhttp::status::bad_request);
        res.set(bhttp::field::content_type, "text/plain");
        res.body() = "bad request: " + read_ec.message() + "\n";
    } else {
        const auto& req = parser.get();
        head = req.method() == bhttp::verb::head;
        if (req.method() != bhttp::verb::get && !head) {
            res.result(bhttp::status::method_not_allowed);
            res.set(bhttp::field::allow, "GET, HEAD");
            res.set(bhttp::field::content_type, "text/plain");
            res.body() = "only GET and HEAD\n";
        } else {
            std::string_view target(req.target().data(), req.target().size());
            target = target.substr(0, target.find('?'));
            Response r;
            try {
                r = handler(target);
            } catch (const std::exception& e) {
                r = {500, "text/plain", std::string("internal error: ") + e.what() + "\n"};
            }
            res.result(r.status);
            res.set(bhttp::field::content_type, r.content_type);
            res.body() = std::move(r.body);
        }
    }
    res.prepare_payload();
    if (head) res.body().clear();  // Content-Length stays that of the GET body

    bhttp::response_serializer<bhttp::string_body> sr(res);
    if (head) sr.split(true);
    done = false;
    auto on_write = [&](const boost::system::error_code&, std::size_t) { done = true; };
    if (head)
        bhttp::async_write_header(socket, sr, on_write);
    else
        bhttp::async_write(socket, sr, on_write);
    run_until(io, socket, done, deadline);
    boost::system::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

}  // namespace ebt::http
