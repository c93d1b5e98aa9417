// dpdk-gen's RX side in tx mode: xdp-recv reflects every test packet it
// counts (XDP_TX: MACs, IPs, ports swapped, EBT_FLAG_REFLECTED set), and this
// takes them back from the port's RX queue(s), accounts them per flow with
// the receiver's own rules (ebt_flow_account: TRex's sequence accounting,
// bpf/ebpf_test_shared.h) and puts the round-trip time of each into the
// shared log-linear histogram (ebt_latency_account).
//
// RTT = TSC when the rte_eth_rx_burst that returned the packet came back
// minus the packet's tx_ns, which the TX lcore made from the same TSC (ns
// since the test epoch's TSC, 48 bits; see tx_engine.hpp): one clock, so no
// clock offset enters.  The TSC is read once per RX burst (every packet of
// the burst was in the ring by then) and converted exactly (TscToNs).
//
// poll() is the hot path: no syscalls of ours (the PMD's rx_burst may make
// one, e.g. af_xdp's wakeup), no heap, no locks, no exceptions.  Everything
// it writes is allocated by the constructor.  Single-threaded: the main
// lcore calls poll() between its control-connection work.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <linux/types.h>

#include "ebpf_test_shared.h"
#include "pacer.hpp"
#include "results.hpp"

struct rte_mbuf;

namespace ebt {

struct RxCounters : RxFrameCounts {
    uint64_t returned = 0;         // reflected test packets of this test (duplicates included)
};

class RxEngine {
public:
    static constexpr uint16_t kBurst = 32;

    // Allocates the per-flow state (flows x struct ebt_flow_state).
    RxEngine(uint16_t port_id, uint16_t queues, uint16_t test_id, uint32_t flows, uint64_t tsc_hz,
             uint64_t epoch_tsc);

    // Drains every RX queue once (bursts until a queue gives less than a
    // full burst, at most kMaxBurstsPerQueue bursts per queue so one call is
    // bounded); returns the frames taken.  Hot path: see the header comment.
    uint32_t poll() noexcept;

    // After the stop: polls until `target` distinct packets are back, or
    // nothing came for 200 ms, at most 2 s.  Returns the seconds it took.
    double drain(uint64_t target) noexcept;

    const RxCounters& counters() const { return c_; }
    // Distinct sequence numbers back, all flows (returned minus duplicates).
    uint64_t unique_returned() const;

    // The report: per flow sent (from the TX side, by global flow id) against
    // what came back; rtt summarised with the shared summariser.
    RoundTripReport report(const std::vector<FlowCount>& sent_per_flow) const;

private:
    static constexpr uint32_t kMaxBurstsPerQueue = 64;
    void account(rte_mbuf* m, uint64_t now_ns) noexcept;

    uint16_t port_id_;
    uint16_t queues_;
    uint16_t test_id_;
    uint32_t nflows_;
    uint64_t epoch_tsc_;
    TscToNs to_ns_;
    std::vector<ebt_flow_state> flows_;
    ebt_latency rtt_{};
    RxCounters c_;
};

// results.json's round_trip.rtt.method.
extern const char* const kRttMethod;

}  // namespace ebt
