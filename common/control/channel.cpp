// See channel.hpp.
#include "channel.hpp"

#include <array>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

namespace ebt::proto {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;

namespace {

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
        throw ProtocolError("timed out sending '" + message_type(message) + "' to " + peer_address());
    if (result) throw ProtocolError("sending '" + message_type(message) + "' failed: " + result.message());
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
    if (message_type(*msg) == "error") {
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
    const std::string got = message_type(msg);
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
