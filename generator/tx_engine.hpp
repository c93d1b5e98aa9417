// The TX lcores (modeled on testpmd's txonly engine, with TRex-style TSC
// pacing; the one loop is tx_loop.hpp's, its synthetic burst source here and
// the replay's in pcap_tx.cpp).  One TxLcoreContext per TX lcore: the main lcore fills the inputs,
// calls prepare_tx_lcore() (builds the flow templates and writes the padding
// into every mbuf of the lcore's pool; allocates), launches tx_lcore_main()
// with rte_eal_remote_launch(), reads `stats` while it runs and reads
// `flow_sent` / `flow_seq` after rte_eal_wait_lcore().
//
// The pool is this lcore's alone (one per TX queue) and nothing writes into a
// TX mbuf's data but this loop, so the padding written once at prepare time
// stays valid: per packet only the first template_stride bytes (headers and
// test header: 64 for IPv4, tagged or not; 128 for IPv6) are copied from the
// flow's template, and stamp_frame() writes at the template layout's offsets.
//
// Per burst: get mbufs from the pool, copy each packet's flow template,
// stamp_frame(seq, tx_ns), rte_eth_tx_burst; unsent packets are retried
// (tx_full_retries) until sent or stop/deadline, then freed and counted in
// tx_full_dropped.  Flows round-robin; per-flow seq starts at 0 and is
// contiguous (unless test-only sequence faults are set: seq_faults.hpp).
// With a size mix each flow walks the size pattern (size_pattern.hpp) from
// its own offset, so every flow, and the whole, follows the weights exactly
// per period.  Faults and size mixes run their own instantiations of the
// burst builder, so the fixed-size fast path pays for neither.
//
// Pacing precision (paced runs only): per burst, the TSC read just before
// rte_eth_tx_burst minus the burst's scheduled TSC, in ns, goes into
// `pacing`: the shared log-linear histogram (struct ebt_latency,
// bpf/ebpf_test_shared.h), fixed size, no allocation.  Ticks become ns by one
// 128-bit multiply and shift (error < 1 ns + 1e-9 relative), no division.
//
// Pacing (not rate_max): packet k of this lcore is due at
// start + ceil(k * hz / target_pps); a burst of n goes out when its last
// packet is due.  After a stall (more than one burst interval behind) the
// schedule is kept and caught up at no more than twice the rate, one burst
// at a time (counted in late_bursts / late_packets), so the total stays
// exact without back-to-back micro-bursts.  Stops exactly at
// plan.total_packets (unless unlimited) or at the deadline.
//
// Patterns (plan.schedule): the same loop, but each burst's size, due time
// and catch-up span come from this lcore's ScheduleLane over the shared
// schedule (pattern_schedule.hpp), computed once per burst, never per spin;
// a burst never crosses a pattern boundary.  rate max with --count
// (plan.paced false, not unlimited) sends its exact total unpaced.
// Per flow, frames the full ring refused and frames dropped at stop are
// counted (flow_refused, flow_dropped) on the retry path only.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include <linux/types.h>

#include "ebpf_test_shared.h"
#include "packet.hpp"
#include "tx_plan.hpp"
#include "seq_faults.hpp"

struct rte_mempool;

namespace ebt {

struct PcapReplay;  // pcap_replay.hpp

struct alignas(64) TxLcoreStats {
    // Written only by the owning lcore (relaxed stores); read by anyone.
    std::atomic<uint64_t> packets{0};          // accepted by rte_eth_tx_burst
    std::atomic<uint64_t> bytes{0};            // frame bytes (no FCS) of those
    std::atomic<uint64_t> bursts{0};           // bursts completed (all packets accepted)
    std::atomic<uint64_t> tx_full_retries{0};  // rte_eth_tx_burst calls that left packets unsent
    std::atomic<uint64_t> tx_full_dropped{0};  // unsent when stop/deadline came; freed, not in packets
    std::atomic<uint64_t> alloc_failures{0};   // rte_pktmbuf_alloc_bulk failures (retried)
    std::atomic<uint64_t> late_bursts{0};      // pacing: bursts sent over one burst interval late
    std::atomic<uint64_t> late_packets{0};     // pacing: packets in those bursts
    std::atomic<uint64_t> start_tsc{0};        // first burst's schedule origin
    std::atomic<uint64_t> end_tsc{0};          // when the loop ended
    std::atomic<int> tid{0};                   // the lcore thread's id (scheduler statistics)
    std::atomic<bool> running{false};
    std::atomic<bool> finished{false};
};

enum class TxEndReason : int { kNotRun = 0, kTotalReached, kStopFlag, kDeadline };

struct TxLcoreContext {
    // ---- inputs (set before prepare_tx_lcore / launch) ----
    uint16_t port_id = 0;
    rte_mempool* pool = nullptr;   // Port::tx_pool(plan.queue_id)
    TxThreadPlan plan;             // queue, flows, rate, total, burst
    FrameSpec spec;                // spec.flows = the test's total flow count
    uint64_t tsc_hz = 0;           // rte_get_tsc_hz()
    uint64_t epoch_tsc = 0;        // TSC value of the test epoch: tx_ns = ns since then
    uint64_t start_tsc = 0;        // first packet due at this TSC (lcore waits); 0 = at launch
    uint64_t deadline_tsc = 0;     // hard stop; 0 = none
    const std::atomic<bool>* stop = nullptr;  // checked once per burst; may be null
    std::vector<SeqFault> faults;  // test-only; local flow ids, sorted (faults_for_flows)
    std::vector<SizeWeight> size_mix;  // empty: every frame is spec.frame_len; else sizes
                                       // (each <= spec.frame_len) in a size_pattern()
    // --pcap: the replay (prepared and, with --pcap-stamp, stamped), sent by
    // pcap_tx_lcore_main() instead of the synthetic frames; plan.flow_count is
    // then its stamped flow count (0 without stamping).
    const PcapReplay* replay = nullptr;
    bool replay_file_timing = false;   // --pcap-timing file: the file's gaps, not the plan's rate

    // ---- built by prepare_tx_lcore ----
    std::vector<uint8_t> hdr_templates;  // (flow, size) x template_stride: each one's first bytes
    uint32_t template_stride = 0;        // kNarrowStride or kWideStride (from the frame layout)
    StampOffsets stamp_at{};             // where stamp_frame() writes in this layout
    std::vector<uint32_t> sizes;         // frame length per size index (one without a mix)
    std::vector<uint16_t> pattern;       // size indices, one period (size mix only)
    std::vector<uint32_t> pattern_pos;   // size mix only: each flow's place in the pattern
    std::vector<uint32_t> flow_seq;      // next (unique) seq per local flow
    std::vector<uint32_t> fault_next;    // faults only: index of the flow's next fault
    std::vector<uint64_t> fault_pending; // faults only: seq owed to the flow (dup/swap), or kNoSeq

    // ---- outputs ----
    TxLcoreStats stats;
    std::vector<uint64_t> flow_sent;     // per local flow (global id = plan.first_flow + i);
                                         // valid once the lcore has finished
    std::vector<uint64_t> flow_bytes;    // frame bytes (no FCS) per local flow, likewise
    std::vector<uint64_t> flow_refused;  // per local flow: frames the full TX ring refused (each
                                         // refusal counted; they are retried)
    std::vector<uint64_t> flow_dropped;  // per local flow: frames still unsent at stop (freed)
    ebt_latency pacing{};                // send time - schedule per burst, ns (paced runs)
    uint64_t replay_stamped = 0;         // --pcap: packets sent with the test header
    uint64_t replay_unstamped = 0;       // --pcap: packets sent as in the file
    TxEndReason end_reason = TxEndReason::kNotRun;
    int rc = 0;                          // tx_lcore_main's return value (-EINVAL on bad context)

    // Bytes copied per packet: the headers and test header (the layout's
    // minimum frame: 60/64 for IPv4 untagged/tagged, 80/84 for IPv6) rounded
    // up to whole cache lines; beyond the frame they land in the mbuf's spare
    // room, within the frame they equal the padding.
    static constexpr uint32_t kNarrowStride = 64;
    static constexpr uint32_t kWideStride = 128;
    static constexpr uint64_t kNoSeq = UINT64_MAX;
};

// Builds the templates and zeroes the outputs (main lcore; allocates; throws
// std::invalid_argument on an inconsistent context).
void prepare_tx_lcore(TxLcoreContext& ctx);

// rte_eal_remote_launch entry point; arg = TxLcoreContext*.  Returns 0, or
// -EINVAL if the context was not prepared.
int tx_lcore_main(void* arg);

// --pcap (pcap_tx.cpp): checks the context against its replay and zeroes the
// outputs (main lcore; throws std::invalid_argument), and the replay's entry
// point into the same loop: the replay's frames in file order, looping, each
// copied whole into its mbuf (stamped ones then stamp_frame()d at their own
// offsets), paced by the plan's rate (Pacer) or the file's timeline.
void prepare_pcap_lcore(TxLcoreContext& ctx);
int pcap_tx_lcore_main(void* arg);

// Sum of all lcores' stats (main lcore, any time).
struct TxTotals {
    uint64_t packets = 0, bytes = 0, bursts = 0, tx_full_retries = 0, tx_full_dropped = 0,
             alloc_failures = 0, late_bursts = 0, late_packets = 0;
};
TxTotals sum_tx_stats(const std::vector<TxLcoreContext*>& lcores);

}  // namespace ebt
