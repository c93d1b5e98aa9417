#include "status_server.hpp"

#include <chrono>
#include <memory>


namespace ebt {

namespace asio = boost::asio;
using asio::ip::tcp;

StatusServer::StatusServer(const std::string& address, uint16_t port, const SharedStatus& status,
                           std::size_t max_flow_labels)
    : acceptor_(io_), handler_(status_handler(status, max_flow_labels)) {
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(address, ec);
    if (ec) throw std::runtime_error("HTTP status: '" + address + "' is not an IP address");
    const tcp::endpoint ep(addr, port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(8, ec);
    if (ec)
        throw std::runtime_error("HTTP status: cannot listen on " + address + ":" + std::to_string(port) + ": " +
                                 ec.message());
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
}

StatusServer::~StatusServer() {
    // stop() ends run() at once; the acceptor is closed by its own destructor
    // after the thread has ended (no posted close: posting can throw, and a
    // destructor must not).
    io_.stop();
    if (thread_.joinable()) thread_.join();
}

void StatusServer::accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec) return;  // closed: shutting down
        http::start_serving(std::move(socket), {}, handler_, std::chrono::seconds(5));
        accept();
    });
}

}  // namespace ebt
