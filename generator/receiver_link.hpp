// dpdk-gen's side of the control protocol (common/control/protocol.hpp): connect to
// xdp-recv, authenticate both ways, synchronise clocks, hand it the resolved
// config, learn its MAC, start, keep the heartbeat going while traffic runs,
// stop and fetch its final counters.  Every wait has a deadline; a receiver
// silent for 3 s is lost (PeerLost).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include <boost/asio/io_context.hpp>

#include "clock_sync.hpp"
#include "config.hpp"
#include "protocol.hpp"
#include "results.hpp"
#include "session_state.hpp"

namespace ebt {

class PeerLost : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A wait given up because the user asked (a signal): see set_cancel().
class Cancelled : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class ReceiverLink {
public:
    using Clock = std::chrono::steady_clock;

    // Connects to network_config.dst_machine ip:control_port, exchanges
    // hellos and, with a token, the HMAC challenge/response both ways (a
    // receiver that cannot prove the secret is refused).  Throws
    // proto::ProtocolError / proto::PeerError.
    ReceiverLink(const TestConfig& cfg, std::optional<std::string> token);

    // Every wait for a message checks `cancelled` at least every 100 ms and
    // throws Cancelled once it says true (dpdk-gen: a signal before the
    // test, a second one while it waits for the receiver's results).
    using CancelCheck = std::function<bool()>;
    void set_cancel(CancelCheck cancelled) { cancelled_ = std::move(cancelled); }

    // kClockSyncExchanges NTP-style exchanges on CLOCK_TAI.
    ClockOffset sync_clock();
    // configure -> ready: the receiver has attached its program and zeroed
    // its counters.  cfg is this test's (a trial's load and duration).
    proto::Ready configure(uint16_t test_id, uint64_t epoch_tai_ns, const std::optional<ClockOffset>& clock,
                           const TestConfig& cfg);
    // The receiver serves another configure on this connection after its
    // results (hello capability "trials").
    bool serves_trials() const { return serves_trials_; }
    // Ends a connection of trials: "end", then close (best effort).
    void end() noexcept;
    // start -> started: the receiver is counting; traffic may begin.
    void start();
    // While traffic runs: sends a heartbeat when one is due and takes in what
    // arrived (samples, heartbeats), waiting at most `budget`.  Throws
    // PeerLost after 3 s of silence, PeerError for an error message.
    void poll(Clock::duration budget);
    const std::optional<proto::LiveSample>& last_sample() const { return last_sample_; }
    // Samples received so far: a caller that remembers it knows whether
    // last_sample() is new.
    uint64_t samples_received() const { return samples_received_; }
    // stop -> results (after the receiver's drain).  incomplete_reason
    // (e.g. "interrupted by SIGINT") tells the receiver the test ended
    // early; it still drains and answers with its counts.
    ReceiverReport stop(uint64_t sent_packets, const std::string& incomplete_reason = {});
    // Tells the receiver the test is abandoned (best effort, never throws).
    void abort(const std::string& reason) noexcept;

    // A new connection that asks for the last results of test_id (after the
    // first connection broke at the end of a test).
    static ReceiverReport fetch_results(const TestConfig& cfg, const std::optional<std::string>& token,
                                        uint16_t test_id, CancelCheck cancelled = {});

private:
    // The next message that is not a heartbeat or sample (those are
    // absorbed), within timeout.
    boost::json::object expect(std::string_view type, Clock::duration timeout);
    // The receiver's "results" for this test (after stop or fetch_results).
    ReceiverReport expect_results();
    void absorb(const boost::json::object& msg);

    TestConfig cfg_;
    uint16_t test_id_ = 0;
    bool serves_trials_ = false;
    boost::asio::io_context io_;
    std::optional<proto::Channel> channel_;
    PeerWatch watch_;
    std::optional<proto::LiveSample> last_sample_;
    uint64_t samples_received_ = 0;
    CancelCheck cancelled_;
};

}  // namespace ebt
