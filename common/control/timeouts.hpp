// The control protocol's timeouts, both sides' in one table, in the order of
// the protocol (protocol.hpp).  Every wait has one of these as its deadline,
// so a silent or dead peer never hangs either program.  [G] dpdk-gen waits,
// [R] xdp-recv waits, [both] the protocol's own rule.
#pragma once

#include <chrono>

namespace ebt::proto {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Connecting: [G] the TCP connection; [R] a new connection's first four
// bytes (HTTP or a control frame), then an HTTP request's exchange.
inline constexpr seconds kConnectTimeout{10};
inline constexpr seconds kClassifyTimeout{5};
inline constexpr seconds kHttpTimeout{5};

// [both] The peer's hello; [R] the generator's auth message after this
// side's hello (with a secret).
inline constexpr seconds kHandshakeTimeout{10};
inline constexpr seconds kAuthTimeout{10};

// [G] Each time_reply of the clock sync.
inline constexpr seconds kTimeReplyTimeout{2};
// [G] ready: loading and attaching the XDP program takes well under a
// second; a slow verifier on a big program gets this much.
inline constexpr seconds kReadyTimeout{30};
// [G] started after start.
inline constexpr seconds kStartedTimeout{10};

// [both] While a test runs: a heartbeat every second, a peer silent this
// long is lost.  [R] Before declaring it lost, one more look at the socket.
inline constexpr seconds kHeartbeatInterval{1};
inline constexpr seconds kPeerLossTimeout{3};
inline constexpr milliseconds kSilenceRecheck{1};
// [R] The generator sends stop after duration; allow it this much more.
inline constexpr seconds kStopGrace{30};

// [R] After stop, packets still in flight (NIC rings, softirq backlog) are
// counted until all sent packets arrived, the count has not moved for
// kDrainQuiet (polled every kDrainPoll) or kDrainMax passed; then results.
inline constexpr milliseconds kDrainQuiet{200};
inline constexpr milliseconds kDrainPoll{10};
inline constexpr seconds kDrainMax{2};
// [G] results after stop (the receiver drains for at most kDrainMax first).
inline constexpr seconds kResultsTimeout{20};
// [R] After results, the next trial's configure (or end) on the same
// connection.  The generator only writes its results and picks the next
// rate in between (well under a second); this bounds a controller that
// neither goes on nor says end, so the receiver is soon free for the next
// one.  Heartbeats in between do not extend it.
inline constexpr seconds kBetweenTrialsTimeout{10};

// Sending any message: [R] and [G] give the peer's socket different slack.
inline constexpr seconds kReceiverSendTimeout{10};
inline constexpr seconds kGeneratorSendTimeout{5};
// [G] How often a wait looks at the cancel check (SIGINT).
inline constexpr milliseconds kCancelSlice{100};

}  // namespace ebt::proto
