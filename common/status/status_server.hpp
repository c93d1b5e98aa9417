// A small HTTP server on its own thread for the side that has no control
// listener of its own (dpdk-gen): /health, /status, /metrics from a
// SharedStatus.  RAII: the destructor stops the io_context and joins.
#pragma once

#include <cstdint>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "status_pages.hpp"

namespace ebt {

class StatusServer {
public:
    // Binds address:port; throws std::runtime_error naming both if it cannot.
    StatusServer(const std::string& address, uint16_t port, const SharedStatus& status, std::size_t max_flow_labels);
    ~StatusServer();
    StatusServer(const StatusServer&) = delete;
    StatusServer& operator=(const StatusServer&) = delete;

    uint16_t port() const { return port_; }

private:
    void accept();

    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    http::Handler handler_;
    uint16_t port_ = 0;
    std::thread thread_;
};

}  // namespace ebt
