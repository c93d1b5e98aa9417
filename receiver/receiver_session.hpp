// xdp-recv's side of the control protocol: accepts a generator, serves one
// test through the state sequence in common/control/protocol.hpp, and writes its own
// results directory.  The XDP program is loaded and attached for the test
// only (RAII), so it is off the interface between tests and on every exit.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "protocol.hpp"
#include "status_pages.hpp"
#include "system_check.hpp"
#include "receive_path.hpp"
#include "xdp_program.hpp"

namespace ebt {

struct ReceiverOptions {
    std::string interface;
    XdpMode xdp_mode = XdpMode::Auto;
    std::string listen_address = "0.0.0.0";
    uint16_t control_port = 8080;
    std::string results_dir = "./results";
    bool once = false;
    TestAction action = TestAction::Drop;   // --test-action
    ReceiveMode mode = ReceiveMode::Xdp;    // --mode
    unsigned recv_threads = 1;              // --recv-threads (baseline)
    // The shared secret (--token-file / $EBT_TOKEN).  Without one, control
    // connections are accepted only from loopback and 198.18.0.0/15.
    std::optional<std::string> token;
    std::vector<CheckRow> checks;           // start-up checks, shown by /health
    std::size_t max_flow_labels = 64;       // /metrics per-flow series
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
    enum class Outcome { NoTest, Complete, Incomplete };

    // Keeps one accept pending at all times, also while a test runs (the
    // session's waits run the same io_context): HTTP requests are answered,
    // a second controller gets "busy".
    void arm_accept();
    void classify(boost::asio::ip::tcp::socket socket);
    // One control connection: handshake, then a test or a fetch_results.
    Outcome serve_connection(boost::asio::ip::tcp::socket socket, std::string initial);
    void set_state(const std::string& state);

    struct PendingControl {
        boost::asio::ip::tcp::socket socket;
        std::string initial;
    };

    boost::asio::io_context& io_;
    ReceiverOptions options_;
    boost::asio::ip::tcp::acceptor acceptor_;
    proto::Channel* active_ = nullptr;  // the connection being served
    bool stop_requested_ = false;
    std::optional<PendingControl> pending_;
    uint16_t running_test_id_ = 0;      // non-zero while a test session runs
    SharedStatus status_;
    struct LastResults {
        uint16_t test_id;
        boost::json::object report;
    };
    std::optional<LastResults> last_results_;
};

}  // namespace ebt
