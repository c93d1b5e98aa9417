// xdp-recv's control port: accepts connections, tells an HTTP request
// (/health, /status, /metrics) from a control connection, answers a second
// controller "busy" while one is served (a test runs, or between trials),
// and hands each control connection to a ReceiverSession
// (receiver_session.hpp), one at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "config.hpp"
#include "measurement.hpp"
#include "protocol.hpp"
#include "receiver_session.hpp"
#include "status_pages.hpp"
#include "system_check.hpp"

namespace ebt {

struct ReceiverOptions : ReceiveSettings {
    std::string listen_address = "0.0.0.0";
    uint16_t control_port = 8080;
    bool once = false;
    // The shared secret (--token-file / $EBT_TOKEN).  Without one, control
    // connections are accepted only from loopback and 198.18.0.0/15.
    std::optional<std::string> token;
    std::vector<CheckRow> checks;           // start-up checks, shown by /health
};

class ReceiverServer {
public:
    // Binds the control port.  Throws std::runtime_error naming the address
    // and port (already in use, say).
    ReceiverServer(boost::asio::io_context& io, const ReceiverOptions& options);

    // Serves tests until request_stop() (or, with `once`, after the first
    // connection that ran any: all its trials).  Returns 0, or 1 when the
    // last such connection's tests did not all complete.
    int serve();

    // Safe from a signal handler's asio completion: ends the current wait;
    // a running test ends as incomplete, results are still written.
    void request_stop();

private:
    // Keeps one accept pending at all times, also while a test runs (the
    // session's waits run the same io_context): HTTP requests are answered,
    // a second controller gets "busy".
    void arm_accept();
    void classify(boost::asio::ip::tcp::socket socket);
    void answer_busy(boost::asio::ip::tcp::socket socket);
    // One control connection: handshake, then trials or a fetch_results.
    SessionOutcome serve_connection(boost::asio::ip::tcp::socket socket, std::string initial);

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
    uint16_t running_test_id_ = 0;      // non-zero from a session's first test to its end
    SharedStatus status_;
    std::optional<KeptResults> last_results_;
};

// The coordinated receiver: the control server on listen_address:
// control_port, advertised over mDNS while serving when mdns_config.enabled,
// until SIGINT/SIGTERM (or one test with `once`).  Returns the exit status:
// serve()'s, or kExitEnvironment when the port or the advertisement cannot
// be set up.
int serve_coordinated(const ReceiverOptions& options, const DiscoveryConfig& mdns_config);

}  // namespace ebt
