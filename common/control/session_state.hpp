// The test session's state machine, the same on both sides:
//
//   idle --configure/ready--> configured --start/started--> armed
//   armed --first traffic--> running --stop--> draining --results--> done
//   any state --failure, peer loss, timeout, signal--> done (incomplete)
//   done (a complete test) --> between_trials --configure/ready--> configured
//   between_trials --end, connection closed, timeout--> done
//
// between_trials: the results are sent and the test's receive path is
// released; the same connection may configure the next trial (protocol.hpp).
//
// Every state has a deadline (nothing waits forever); PeerWatch adds the
// heartbeat rule: send one every second, declare the peer lost after 3 s of
// silence.  Pure logic on an injected clock, so the unit tests drive time.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

#include "timeouts.hpp"

namespace ebt {

enum class SessionState { Idle, Configured, Armed, Running, Draining, Done, BetweenTrials };

inline const char* to_string(SessionState s) {
    switch (s) {
    case SessionState::Idle: return "idle";
    case SessionState::Configured: return "configured";
    case SessionState::Armed: return "armed";
    case SessionState::Running: return "running";
    case SessionState::Draining: return "draining";
    case SessionState::Done: return "done";
    case SessionState::BetweenTrials: return "between_trials";
    }
    return "?";
}

class SessionMachine {
public:
    using Clock = std::chrono::steady_clock;

    struct Timeouts {
        Clock::duration idle{std::chrono::seconds(30)};        // waiting for configure
        Clock::duration configured{std::chrono::seconds(30)};  // waiting for start
        Clock::duration armed{std::chrono::seconds(10)};       // start acknowledged, traffic not begun
        Clock::duration running{std::chrono::hours(24)};       // set to duration + grace per test
        Clock::duration draining{std::chrono::seconds(5)};
        Clock::duration between_trials{proto::kBetweenTrialsTimeout};  // waiting for configure or end
    };

    SessionMachine(Timeouts t, Clock::time_point now) : timeouts_(t), entered_(now) {}

    SessionState state() const { return state_; }

    // Moves forward along the sequence above (or to Done from anywhere but
    // Done).  Throws std::logic_error for any other transition, naming both
    // states.
    void advance(SessionState to, Clock::time_point now) {
        if (!allowed(state_, to))
            throw std::logic_error(std::string("session: no transition from ") + to_string(state_) + " to " +
                                   to_string(to));
        state_ = to;
        entered_ = now;
    }

    static bool allowed(SessionState from, SessionState to) {
        using S = SessionState;
        if (from == S::Done) return to == S::BetweenTrials;   // the next trial, or the end
        if (to == S::Done) return true;
        if (from == S::BetweenTrials) return to == S::Configured;
        return to != S::BetweenTrials && static_cast<int>(to) == static_cast<int>(from) + 1;
    }

    void set_running_timeout(Clock::duration d) { timeouts_.running = d; }

    // When the current state must have been left.
    Clock::time_point deadline() const {
        switch (state_) {
        case SessionState::Idle: return entered_ + timeouts_.idle;
        case SessionState::Configured: return entered_ + timeouts_.configured;
        case SessionState::Armed: return entered_ + timeouts_.armed;
        case SessionState::Running: return entered_ + timeouts_.running;
        case SessionState::Draining: return entered_ + timeouts_.draining;
        case SessionState::Done: return Clock::time_point::max();
        case SessionState::BetweenTrials: return entered_ + timeouts_.between_trials;
        }
        return Clock::time_point::max();
    }

    bool timed_out(Clock::time_point now) const { return now >= deadline(); }

private:
    Timeouts timeouts_;
    SessionState state_ = SessionState::Idle;
    Clock::time_point entered_;
};

class PeerWatch {
public:
    using Clock = std::chrono::steady_clock;

    PeerWatch(Clock::duration interval, Clock::duration loss_after, Clock::time_point now)
        : interval_(interval), loss_after_(loss_after), last_heard_(now), last_sent_(now) {}

    void heard(Clock::time_point now) { last_heard_ = now; }   // any message from the peer
    void sent(Clock::time_point now) { last_sent_ = now; }     // a heartbeat went out
    bool heartbeat_due(Clock::time_point now) const { return now - last_sent_ >= interval_; }
    bool peer_lost(Clock::time_point now) const { return now - last_heard_ >= loss_after_; }
    // The next moment something must happen (a heartbeat or the loss check).
    Clock::time_point next_event() const { return std::min(last_sent_ + interval_, last_heard_ + loss_after_); }
    Clock::duration silence(Clock::time_point now) const { return now - last_heard_; }

private:
    Clock::duration interval_;
    Clock::duration loss_after_;
    Clock::time_point last_heard_;
    Clock::time_point last_sent_;
};

}  // namespace ebt
