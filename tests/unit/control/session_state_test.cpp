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

TEST(Session, DoneFromAnyStateThenNothing) {
    for (int k = 0; k < 5; ++k) {
        SessionMachine m({}, T{});
        for (int i = 0; i < k; ++i) m.advance(static_cast<SessionState>(i + 1), T{});
        m.advance(SessionState::Done, T{});
        EXPECT_THROW(m.advance(SessionState::Done, T{}), std::logic_error);
    }
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
