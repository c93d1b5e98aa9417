// Session state machine and heartbeat rules against a fake clock.
#include <gtest/gtest.h>

#include "session_state.hpp"

using namespace std::chrono_literals;
using ebt::SessionMachine;
using ebt::SessionState;
using T = SessionMachine::Clock::time_point;

TEST(Session, FullSequence) {
    const T t0{};
    SessionMachine m({}, t0);
    EXPECT_EQ(m.state(), SessionState::Idle);
    for (auto s : {SessionState::Configured, SessionState::Armed, SessionState::Running, SessionState::Draining,
                   SessionState::Done}) {
        m.advance(s, t0 + 1s);
        EXPECT_EQ(m.state(), s);
    }
    EXPECT_FALSE(m.timed_out(t0 + 1000h));  // done waits for nothing
}

TEST(Session, SkippingOrGoingBackIsRefused) {
    SessionMachine m({}, T{});
    EXPECT_THROW(m.advance(SessionState::Running, T{}), std::logic_error);
    m.advance(SessionState::Configured, T{});
    EXPECT_THROW(m.advance(SessionState::Idle, T{}), std::logic_error);
    EXPECT_THROW(m.advance(SessionState::Configured, T{}), std::logic_error);
    try {
        m.advance(SessionState::Draining, T{});
        FAIL();
    } catch (const std::logic_error& e) {
        EXPECT_STREQ(e.what(), "session: no transition from configured to draining");
    }
}

TEST(Session, DoneFromAnyStateThenOnlyBetweenTrials) {
    for (int k = 0; k < 5; ++k) {
        SessionMachine m({}, T{});
        for (int i = 0; i < k; ++i) m.advance(static_cast<SessionState>(i + 1), T{});
        m.advance(SessionState::Done, T{});
        for (auto s : {SessionState::Done, SessionState::Idle, SessionState::Configured, SessionState::Armed,
                       SessionState::Running, SessionState::Draining})
            EXPECT_THROW(m.advance(s, T{}), std::logic_error) << to_string(s);
        m.advance(SessionState::BetweenTrials, T{});
        EXPECT_EQ(m.state(), SessionState::BetweenTrials);
    }
}

// Several trials on one connection: done -> between_trials -> configured
// runs the next test the same way; between_trials ends in done.
TEST(Session, TrialAfterTrial) {
    const T t0{};
    SessionMachine m({}, t0);
    auto one_test = [&] {
        for (auto s : {SessionState::Configured, SessionState::Armed, SessionState::Running, SessionState::Draining,
                       SessionState::Done})
            m.advance(s, t0);
    };
    one_test();
    m.advance(SessionState::BetweenTrials, t0);
    EXPECT_STREQ(to_string(m.state()), "between_trials");
    one_test();
    m.advance(SessionState::BetweenTrials, t0);
    m.advance(SessionState::Done, t0);   // end, closed or timed out
    EXPECT_EQ(m.state(), SessionState::Done);
}

TEST(Session, BetweenTrialsOnlyToConfiguredOrDone) {
    for (auto s : {SessionState::Idle, SessionState::Armed, SessionState::Running, SessionState::Draining,
                   SessionState::BetweenTrials}) {
        SessionMachine m({}, T{});
        for (auto t : {SessionState::Configured, SessionState::Armed, SessionState::Running, SessionState::Draining,
                       SessionState::Done, SessionState::BetweenTrials})
            m.advance(t, T{});
        EXPECT_THROW(m.advance(s, T{}), std::logic_error) << to_string(s);
    }
    // Never straight from a test's states or from idle.
    for (int k = 0; k < 5; ++k) {
        SessionMachine m({}, T{});
        for (int i = 0; i < k; ++i) m.advance(static_cast<SessionState>(i + 1), T{});
        try {
            m.advance(SessionState::BetweenTrials, T{});
            ADD_FAILURE() << "from " << to_string(m.state());
        } catch (const std::logic_error& e) {
            EXPECT_NE(std::string(e.what()).find("to between_trials"), std::string::npos) << e.what();
        }
    }
}

TEST(Session, BetweenTrialsHasItsDeadline) {
    const T t0{};
    SessionMachine defaults({}, t0);
    for (auto s : {SessionState::Configured, SessionState::Done, SessionState::BetweenTrials})
        defaults.advance(s, t0 + 100s);
    EXPECT_EQ(defaults.deadline(), t0 + 100s + ebt::proto::kBetweenTrialsTimeout);
    SessionMachine::Timeouts t;
    t.between_trials = 7s;
    SessionMachine m(t, t0);
    m.advance(SessionState::Done, t0);
    EXPECT_FALSE(m.timed_out(t0 + 1000h));   // done waits for nothing
    m.advance(SessionState::BetweenTrials, t0 + 50s);
    EXPECT_FALSE(m.timed_out(t0 + 56s));
    EXPECT_TRUE(m.timed_out(t0 + 57s));
    m.advance(SessionState::Configured, t0 + 60s);   // the next trial's own deadline
    EXPECT_EQ(m.deadline(), t0 + 90s);
}

TEST(Session, EveryWaitingStateHasItsDeadline) {
    SessionMachine::Timeouts t;
    t.idle = 30s;
    t.configured = 20s;
    t.armed = 10s;
    t.draining = 5s;
    const T t0{};
    SessionMachine m(t, t0);
    EXPECT_FALSE(m.timed_out(t0 + 29s));
    EXPECT_TRUE(m.timed_out(t0 + 30s));
    m.advance(SessionState::Configured, t0 + 100s);  // the clock restarts per state
    EXPECT_FALSE(m.timed_out(t0 + 119s));
    EXPECT_TRUE(m.timed_out(t0 + 120s));
    m.advance(SessionState::Armed, t0 + 200s);
    EXPECT_TRUE(m.timed_out(t0 + 210s));
    m.set_running_timeout(70s);
    m.advance(SessionState::Running, t0 + 300s);
    EXPECT_FALSE(m.timed_out(t0 + 369s));
    EXPECT_TRUE(m.timed_out(t0 + 370s));
    m.advance(SessionState::Draining, t0 + 400s);
    EXPECT_EQ(m.deadline(), t0 + 405s);
}

TEST(PeerWatch, HeartbeatEverySecondLossAfterThree) {
    const T t0{};
    ebt::PeerWatch w(1s, 3s, t0);
    EXPECT_FALSE(w.heartbeat_due(t0 + 999ms));
    EXPECT_TRUE(w.heartbeat_due(t0 + 1s));
    w.sent(t0 + 1s);
    EXPECT_FALSE(w.heartbeat_due(t0 + 1500ms));
    EXPECT_FALSE(w.peer_lost(t0 + 2999ms));
    EXPECT_TRUE(w.peer_lost(t0 + 3s));
    w.heard(t0 + 2500ms);
    EXPECT_FALSE(w.peer_lost(t0 + 5s));
    EXPECT_TRUE(w.peer_lost(t0 + 5500ms));
    EXPECT_EQ(w.next_event(), t0 + 2s);  // next heartbeat before the loss check
    EXPECT_EQ(w.silence(t0 + 3500ms), 1000ms);
}
