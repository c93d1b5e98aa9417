// xdp-recv's side of one control connection: the state machine of
// common/control/protocol.hpp for one generator.  The handshake (versions,
// then the shared-secret challenge both ways, or the address rule without a
// secret), clock-sync exchanges, then either a fetch of the last results or
// one trial after another: configure (the receive path opened for this
// test only) -> ready -> start -> counting with heartbeats and live samples
// -> stop -> drain -> results, and the receiver's own results directory;
// then between trials the next configure (a new test id), or the end.  The
// connection itself is the control server's (control_server.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "measurement.hpp"
#include "protocol.hpp"
#include "session_state.hpp"
#include "status_pages.hpp"

namespace ebt {

// The last test's results, kept for a generator that lost the connection
// and asks again (fetch_results).
struct KeptResults {
    uint16_t test_id;
    boost::json::object report;
};

enum class SessionOutcome { NoTest, Complete, Incomplete };

class ReceiverSession {
public:
    // What the session shares with the control server, for its duration.
    struct Shared {
        const ReceiveSettings& settings;
        // The shared secret (--token-file / $EBT_TOKEN).  Without one,
        // control is accepted only from loopback and 198.18.0.0/15.
        const std::optional<std::string>& token;
        SharedStatus& status;
        const bool& stop_requested;          // a signal: end the test as incomplete
        uint16_t& running_test_id;           // the current or last trial's (busy answers name it)
        std::optional<KeptResults>& last_results;
    };

    ReceiverSession(proto::Channel& channel, Shared shared);

    // The whole connection.  NoTest: refused, fetched or ended before a
    // configure; else whether every test completed.
    SessionOutcome run();

private:
    using Clock = std::chrono::steady_clock;

    // Hello and authentication; a refusal's outcome, or nullopt to go on.
    std::optional<SessionOutcome> handshake();
    std::optional<SessionOutcome> authenticate(const proto::Hello& hello);
    // Clock-sync exchanges until configure; nullopt after answering a
    // fetch_results.
    std::optional<proto::Configure> await_configure();
    // After a complete test: the next trial's configure, or nullopt when
    // the session ends (end, the connection closed, kBetweenTrialsTimeout,
    // a signal, or a refused message).
    std::optional<proto::Configure> await_next_trial(uint16_t previous_test_id);
    // One test on this connection; Complete or Incomplete.
    SessionOutcome run_test(const proto::Configure& conf);
    // Heartbeats until start.
    void await_start();
    // Samples, live figures and heartbeats until the generator's stop.
    proto::Stop count_until_stop(Measurement& m, const proto::Configure& conf);
    // Waits until every sent packet arrived or the count is quiet; returns
    // when the drain began.
    Clock::time_point drain(const ReceivePath& path, uint64_t sent_packets) const;

    void enter(SessionState to);
    Clock::duration time_left() const;
    void set_state(const std::string& state);
    SessionOutcome refuse(std::string_view code, const std::string& reason);
    SessionOutcome refuse_auth(std::string_view code, const std::string& cause);

    proto::Channel& channel_;
    Shared shared_;
    std::string peer_;
    SessionMachine machine_;
    std::optional<boost::json::object> early_;   // the first message after hello, when already read
    Clock::time_point configure_received_{};     // the current test's configure: its setup cost runs from here
};

}  // namespace ebt
