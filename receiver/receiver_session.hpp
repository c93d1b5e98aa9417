// xdp-recv's side of the control protocol: accepts a generator, serves one
// test through the state sequence in common/protocol.hpp, and writes its own
// results directory.  The XDP program is loaded and attached for the test
// only (RAII), so it is off the interface between tests and on every exit.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "protocol.hpp"
#include "xdp_program.hpp"

namespace ebt {

struct ReceiverOptions {
    std::string interface;
    XdpMode xdp_mode = XdpMode::Auto;
    std::string listen_address = "0.0.0.0";
    uint16_t control_port = 8080;
    std::string results_dir = "./results";
    bool once = false;
};

class ReceiverServer {
public:
    // Binds the control port.  Throws std::runtime_error naming the address
    // and port (already in use, say).
    ReceiverServer(boost::asio::io_context& io, const ReceiverOptions& options);

    // Serves tests until request_stop() (or after one with `once`).
    // Returns 0, or 1 when the last test could not complete.
    int serve();

    // Safe from a signal handler's asio completion: ends the current wait;
    // a running test ends as incomplete, results are still written.
    void request_stop();

private:
    // One test on one connection; returns true when it completed.
    bool serve_connection(boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& io_;
    ReceiverOptions options_;
    boost::asio::ip::tcp::acceptor acceptor_;
    proto::Channel* active_ = nullptr;  // the connection being served
    bool stop_requested_ = false;
};

}  // namespace ebt
