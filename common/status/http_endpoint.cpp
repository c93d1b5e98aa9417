#include "http_endpoint.hpp"

#include <memory>
#include <optional>

#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace ebt::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;

namespace {

// One request on one connection; owns itself through shared_ptr copies held
// by its pending operations.
class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(asio::ip::tcp::socket socket, Handler handler, bool* finished)
        : socket_(std::move(socket)), timer_(socket_.get_executor()), handler_(std::move(handler)),
          finished_(finished) {}
    ~Connection() {
        if (finished_ != nullptr) *finished_ = true;
    }

    void start(std::string_view initial, Clock::duration timeout) {
        const auto n =
            asio::buffer_copy(buffer_.prepare(initial.size()), asio::buffer(initial.data(), initial.size()));
        buffer_.commit(n);
        parser_.header_limit(16 * 1024);
        timer_.expires_after(timeout);
        // The deadline closes the socket: the pending read or write fails
        // and the connection ends.
        timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec) self->close();
        });
        bhttp::async_read(socket_, buffer_, parser_,
                          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                              self->on_read(ec);
                          });
    }

private:
    void on_read(const boost::system::error_code& ec) {
        if (ec == asio::error::operation_aborted || !socket_.is_open()) return close();
        res_.version(11);
        res_.set(bhttp::field::server, "ebpf-test");
        res_.set(bhttp::field::connection, "close");
        if (ec) {
            respond(400, "text/plain", "bad request: " + ec.message() + "\n");
        } else {
            const auto& req = parser_.get();
            head_ = req.method() == bhttp::verb::head;
            if (req.method() != bhttp::verb::get && !head_) {
                res_.set(bhttp::field::allow, "GET, HEAD");
                respond(405, "text/plain", "only GET and HEAD\n");
            } else {
                std::string_view target(req.target().data(), req.target().size());
                target = target.substr(0, target.find('?'));
                Response r;
                try {
                    r = handler_(target);
                } catch (const std::exception& e) {
                    r = {500, "text/plain", std::string("internal error: ") + e.what() + "\n"};
                }
                respond(r.status, r.content_type, std::move(r.body));
            }
        }
        serializer_.emplace(res_);
        auto done = [self = shared_from_this()](const boost::system::error_code&, std::size_t) { self->close(); };
        if (head_) {
            serializer_->split(true);
            bhttp::async_write_header(socket_, *serializer_, done);
        } else {
            bhttp::async_write(socket_, *serializer_, done);
        }
    }

    void respond(unsigned status, const std::string& type, std::string body) {
        res_.result(status);
        res_.set(bhttp::field::content_type, type);
        res_.body() = std::move(body);
        res_.prepare_payload();  // HEAD keeps the GET body's Content-Length
    }

    void close() {
        boost::system::error_code ignored;
        timer_.cancel();
        socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

    asio::ip::tcp::socket socket_;
    asio::steady_timer timer_;
    Handler handler_;
    bool* finished_;
    beast::flat_buffer buffer_{std::size_t{64} * 1024};
    bhttp::request_parser<bhttp::empty_body> parser_;
    bhttp::response<bhttp::string_body> res_;
    std::optional<bhttp::response_serializer<bhttp::string_body>> serializer_;
    bool head_ = false;
};

void start(asio::ip::tcp::socket socket, std::string_view initial, Handler handler, Clock::duration timeout,
           bool* finished) {
    std::make_shared<Connection>(std::move(socket), std::move(handler), finished)->start(initial, timeout);
}

}  // namespace

bool looks_like_http(std::string_view first_bytes) {
    const auto starts = [&](std::string_view method) { return first_bytes.rfind(method, 0) == 0; };
    return starts("GET ") || starts("HEAD") || starts("POST") || starts("PUT ") || starts("DELE") || starts("OPTI");
}

void start_serving(asio::ip::tcp::socket socket, std::string_view initial, Handler handler, Clock::duration timeout) {
    start(std::move(socket), initial, std::move(handler), timeout, nullptr);
}

void serve_one(asio::io_context& io, asio::ip::tcp::socket socket, std::string_view initial, const Handler& handler,
               Clock::duration timeout) {
    bool finished = false;
    start(std::move(socket), initial, handler, timeout, &finished);
    io.restart();
    while (!finished && io.run_one() > 0) {
    }
}

}  // namespace ebt::http
