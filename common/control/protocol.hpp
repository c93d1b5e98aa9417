// Control protocol (v2) between dpdk-gen (the controller) and xdp-recv.
//
// Its parts: framing.hpp (the wire: length-prefixed JSON frames),
// messages.hpp (each message's builder and parser), channel.hpp (the TCP
// connection with a deadline on every operation) and timeouts.hpp (both
// sides' deadlines).
//
// One connection, in order (G = dpdk-gen, R = xdp-recv):
//   G->R hello      {protocol_version, role:"generator", software, capabilities, [challenge]}
//   R->G hello      {protocol_version, role:"receiver", software, capabilities, interface,
//                    [challenge, response]}                   (auth.hpp: HMAC-SHA256 both ways)
//                   capabilities: strings; the receiver's include "trials" (below)
//   G->R auth       {response}                               (when the receiver sent a challenge)
//   G->R time_request {t1}  R->G time_reply {t1, t2, t3}     (>= 8 times: clock_sync.hpp)
//   G->R configure  {test_id, test_name, epoch_tai_ns, config:{...resolved TestConfig...}}
//   R->G ready      {test_id, interface, mac, xdp_mode}      (XDP attached, counters zero)
//   G->R start      {test_id}
//   R->G started    {test_id}                                (receiver counting)
//   ... traffic; both ways heartbeat {t_ns} every second (a peer silent for
//   3 s is lost); R->G sample {t_s, test_packets, rx_pps, lost, receive_path_cpu_pct,
//   host_cpu_busy_pct} every monitoring_config.real_time.update_interval ...
//   G->R stop       {test_id, sent_packets, [incomplete_reason]}  (a reason: the generator
//                   was interrupted; the receiver still drains and answers, and marks
//                   its side incomplete with that reason)
//   R->G results    {test_id, receiver:{...ReceiverReport...}} (after the drain)
// Then the trial loop (receiver capability "trials"; R is "between_trials",
// its test's program detached and results written), waiting at most
// kBetweenTrialsTimeout (heartbeats do not extend it; time_request is answered):
//   G->R configure  {...}  the next trial, a test_id other than the previous test's
//                          (else error bad_request naming both), then ready ... results
//                          exactly as above
//   G->R end        {}     no further trial: R closes the connection; so does the
//                          generator closing it, or the timeout (logged, not an error)
// A trial that does not complete ends the session as any failed test does.
//   G->R fetch_results {test_id}  R->G results ...           (instead of configure: a
//                                  generator that lost the connection fetches the last results)
// Either side may instead send error {code, reason[, test_id]}; the session
// then ends.  A second controller while the connection is open (a test runs
// or it is between trials) gets error "busy" with the current or last test's id.
#pragma once

#include "channel.hpp"
#include "framing.hpp"
#include "messages.hpp"
#include "timeouts.hpp"

namespace ebt::proto {

inline constexpr int kProtocolVersion = 2;

}  // namespace ebt::proto
