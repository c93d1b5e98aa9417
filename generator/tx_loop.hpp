// The one TX lcore loop, shared by the synthetic traffic (tx_engine.cpp) and
// the --pcap replay (pcap_tx.cpp), in the manner of testpmd's fwd engines:
// run_tx_loop<Source, Clock>() is instantiated per combination at compile
// time and one instantiation is picked at launch, so the loop pays no
// virtual or indirect call per burst or per packet.
//
// The loop owns what every run shares: the stop flag and the deadline, the
// synchronized start, the remaining-packet clamp, the catch-up rule
// (CatchUpGate) with late-burst accounting, the pacing histogram, the
// send-with-retries step and the statistics stores.
//
// A burst Source fills the mbufs and keeps its per-flow books:
//   explicit Source(TxLcoreContext&)
//   uint64_t fill(rte_mbuf** pkts, uint32_t n, uint64_t tx_ns)  -> the burst's bytes
//   void refused(uint32_t i)          frame i of the last burst refused by a full ring
//   uint64_t rollback(rte_mbuf** pkts, uint32_t sent, uint32_t n)
//                                     frames [sent, n) of the last burst will not be
//                                     sent: undo their books, return their bytes
//   void finish(TxLcoreContext&)      the per-flow outputs, once the loop has ended
// A burst Clock says when a burst is due (kPaced false: as soon as possible):
//   Clock(const TxLcoreContext&, uint64_t start_tsc, uint32_t burst)
//   void plan(uint64_t queued, uint32_t& n, uint64_t& due_tsc, uint64_t& span_ticks)
//     the burst starting at packet `queued` (n: at most this many; the clock
//     may take fewer), when its last packet is due and the schedule's span
//     of one burst there (the catch-up rule's interval).
//
// The hot loop makes no syscall, takes no lock, allocates nothing, throws
// nothing and logs nothing.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>

#include "pacer.hpp"
#include "pattern_schedule.hpp"
#include "tx_engine.hpp"

namespace ebt {

// Sends pkts[0, n).  Frames the port refuses (TX ring full) are retried
// until taken or a stop is requested, never silently lost: each retry adds
// one to `retries` and calls refused(i) for every frame i still unsent;
// stop() (checked once per retry) ends the retries.  Returns the frames
// sent; give_up is true when stop() ended it with frames unsent (the caller
// rolls them back and frees them).
template <class Refused, class Stop>
inline uint32_t send_burst(uint16_t port, uint16_t queue, rte_mbuf** pkts, uint32_t n, uint64_t& retries,
                           Refused&& refused, Stop&& stop, bool& give_up) {
    uint32_t sent = rte_eth_tx_burst(port, queue, pkts, static_cast<uint16_t>(n));
    give_up = false;
    while (sent < n) {
        ++retries;
        for (uint32_t i = sent; i < n; ++i) refused(i);
        if (stop()) {
            give_up = true;
            break;
        }
        rte_pause();
        sent += rte_eth_tx_burst(port, queue, pkts + sent, static_cast<uint16_t>(n - sent));
    }
    return sent;
}

// ---- burst clocks ----

// As fast as the port takes them (rate max).
struct UnpacedClock {
    static constexpr bool kPaced = false;
    UnpacedClock(const TxLcoreContext&, uint64_t, uint32_t) {}
    void plan(uint64_t, uint32_t&, uint64_t&, uint64_t&) {}
};

// A constant rate: packet k due at start + ceil(k * hz / target_pps); a
// burst leaves when its last packet is due.
struct ConstantClock {
    static constexpr bool kPaced = true;
    Pacer pacer;
    uint64_t burst_ticks;  // one burst's span on the schedule
    ConstantClock(const TxLcoreContext& c, uint64_t start, uint32_t burst)
        : pacer(c.tsc_hz, c.plan.target_pps ? c.plan.target_pps : 1, start),
          burst_ticks(c.plan.target_pps ? burst * c.tsc_hz / c.plan.target_pps : 0) {}
    void plan(uint64_t queued, uint32_t& n, uint64_t& due, uint64_t& span) {
        due = pacer.due_tsc(queued + n - 1);
        span = burst_ticks;
    }
};

// Patterns: this lcore's lane of the shared schedule (no allocation); each
// burst's size, due time and span computed once per burst (when `queued`
// has moved), never per spin; a burst never crosses a pattern boundary.
struct ScheduleClock {
    static constexpr bool kPaced = true;
    ScheduleLane lane;
    uint64_t start;
    uint64_t planned_at = UINT64_MAX, due_tsc = 0, span_ticks = 0;
    uint32_t planned_n = 0;
    ScheduleClock(const TxLcoreContext& c, uint64_t start_tsc, uint32_t)
        : lane(*c.plan.schedule, c.plan.first_flow, c.plan.flow_count, c.spec.flows, c.plan.schedule_limit),
          start(start_tsc) {}
    void plan(uint64_t queued, uint32_t& n, uint64_t& due, uint64_t& span) {
        if (planned_at != queued) {
            planned_at = queued;
            planned_n = lane.burst_len(queued, n);
            due_tsc = start + lane.due(queued + planned_n - 1);
            span_ticks = lane.interval(queued, queued + planned_n - 1);
        }
        n = planned_n;
        due = due_tsc;
        span = span_ticks;
    }
};

// ---- the loop ----

template <class Source, class Clock>
int run_tx_loop(TxLcoreContext& c) {
    constexpr auto kRelaxed = std::memory_order_relaxed;
    const TxThreadPlan plan = c.plan;
    const uint16_t port = c.port_id;
    const uint16_t queue = plan.queue_id;
    rte_mempool* const pool = c.pool;
    const std::atomic<bool>* const stop = c.stop;
    const uint64_t deadline = c.deadline_tsc;
    const uint64_t epoch = c.epoch_tsc;
    const bool unlimited = plan.unlimited;
    const uint64_t total = plan.total_packets;
    const uint32_t burst = std::clamp<uint32_t>(plan.burst, 1, kMaxTxBurst);
    const TscToNs to_ns{c.tsc_hz};
    // ns = ticks * ns_mult >> 32: the pacing error without a division.
    const uint64_t ns_mult = (uint64_t{1000000000} << 32) / c.tsc_hz;
    ebt_latency& pacing = c.pacing;
    TxLcoreStats& st = c.stats;

    auto stop_requested = [&](uint64_t now, TxEndReason& why) {
        if (stop != nullptr && stop->load(kRelaxed)) {
            why = TxEndReason::kStopFlag;
            return true;
        }
        if (deadline != 0 && now >= deadline) {
            why = TxEndReason::kDeadline;
            return true;
        }
        return false;
    };

    TxEndReason why = TxEndReason::kTotalReached;
    st.tid.store(rte_gettid(), kRelaxed);  // once, before the loop (cached by DPDK)
    st.running.store(true, std::memory_order_release);

    uint64_t now = rte_rdtsc();
    const uint64_t start = c.start_tsc != 0 ? c.start_tsc : now;
    bool stopped = false;
    while (now < start) {  // synchronized start
        if (stop_requested(now, why)) {
            stopped = true;
            break;
        }
        rte_pause();
        now = rte_rdtsc();
    }
    st.start_tsc.store(start, kRelaxed);

    Source src(c);
    Clock clock(c, start, burst);
    CatchUpGate gate;
    uint64_t due_tsc = 0;  // the current burst's schedule (paced)
    uint64_t queued = 0;   // packets built so far = next packet index
    uint64_t packets = 0, bytes = 0, bursts = 0, retries = 0, dropped = 0, alloc_fail = 0, late_bursts = 0,
             late_packets = 0;
    rte_mbuf* pkts[kMaxTxBurst];

    while (!stopped) {
        now = rte_rdtsc();
        if (stop_requested(now, why)) break;
        uint32_t n = burst;
        if (!unlimited) {
            const uint64_t remaining = total - queued;
            if (remaining == 0) {
                why = TxEndReason::kTotalReached;
                break;
            }
            if (remaining < n) n = static_cast<uint32_t>(remaining);
        }
        if constexpr (Clock::kPaced) {
            uint64_t span = 0;
            clock.plan(queued, n, due_tsc, span);
            // Behind schedule (a stall): keep the schedule, so the total
            // stays exact, but catch up at no more than twice the rate, one
            // burst at a time, never in a back-to-back micro-burst.
            bool late = false;
            if (!gate.ready(now, due_tsc, span, late)) {
                rte_pause();
                continue;
            }
            if (late) {
                ++late_bursts;
                late_packets += n;
                st.late_packets.store(late_packets, kRelaxed);
                st.late_bursts.store(late_bursts, kRelaxed);
            }
        }

        // Raw get: mbufs come back to the pool reset (refcnt 1, one
        // segment) and no other field is ever changed, so the sources set
        // only data_off and the lengths.
        if (rte_mempool_get_bulk(pool, reinterpret_cast<void**>(pkts), n) != 0) {
            st.alloc_failures.store(++alloc_fail, kRelaxed);
            rte_pause();
            continue;
        }

        const uint64_t tx_ns = now > epoch ? to_ns(now - epoch) & EBT_TX_NS_MASK : 0;
        const uint64_t burst_bytes = src.fill(pkts, n, tx_ns);
        queued += n;

        if constexpr (Clock::kPaced) {
            const uint64_t late = rte_rdtsc() - due_tsc;  // >= 0: never sent early
            ebt_latency_account(&pacing, static_cast<int64_t>(
                static_cast<uint64_t>((static_cast<unsigned __int128>(late) * ns_mult) >> 32)));
        }
        bool give_up = false;
        const uint32_t sent = send_burst(
            port, queue, pkts, n, retries, [&](uint32_t i) { src.refused(i); },
            [&] { return stop_requested(rte_rdtsc(), why); }, give_up);
        packets += sent;
        bytes += burst_bytes;
        if (give_up) {
            // Unsent: the last packets built; the source undoes their books.
            bytes -= src.rollback(pkts, sent, n);
            rte_pktmbuf_free_bulk(pkts + sent, n - sent);
            dropped += n - sent;
            st.tx_full_dropped.store(dropped, kRelaxed);
        } else {
            ++bursts;
        }
        st.packets.store(packets, kRelaxed);
        st.bytes.store(bytes, kRelaxed);
        st.bursts.store(bursts, kRelaxed);
        if (retries) st.tx_full_retries.store(retries, kRelaxed);
        if (give_up) break;
    }

    src.finish(c);
    c.end_reason = why;
    st.end_tsc.store(rte_rdtsc(), kRelaxed);
    st.running.store(false, kRelaxed);
    st.finished.store(true, std::memory_order_release);
    return 0;
}

// Zeroes the statistics and outputs of a context about to be launched, and
// sizes its per-flow vectors (main lcore; allocates).
void reset_tx_outputs(TxLcoreContext& c);

}  // namespace ebt
