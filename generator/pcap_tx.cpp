// The --pcap replay loop: its own function, so the synthetic loop
// (tx_engine.cpp) pays nothing for it.  Per packet: one copy of the frame
// from the prepared replay into the mbuf and, for stamped frames,
// stamp_frame() at that frame's offsets; no parsing, allocation or syscall.
// One lcore replays the whole file (file order is the point of a replay).
#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_memcpy.h>
#include <rte_pause.h>

#include "pacer.hpp"
#include "pcap_replay.hpp"
#include "tx_burst.hpp"
#include "tx_engine.hpp"

namespace ebt {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;

struct RoomCheck {
    uint32_t frame_len;
    bool ok = true;
};
void check_room(rte_mempool*, void* arg, void* obj, unsigned) {
    auto& r = *static_cast<RoomCheck*>(arg);
    if (static_cast<rte_mbuf*>(obj)->buf_len < uint32_t{RTE_PKTMBUF_HEADROOM} + r.frame_len) r.ok = false;
}

uint64_t ns_to_ticks(uint64_t ns, uint64_t hz) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(ns) * hz / 1000000000u);
}
}  // namespace

void prepare_pcap_lcore(TxLcoreContext& c) {
    if (c.replay == nullptr || c.replay->frames.empty()) throw std::invalid_argument("pcap lcore has no replay");
    const PcapReplay& r = *c.replay;
    const TxThreadPlan& p = c.plan;
    if (p.first_flow != 0 || p.flow_count != r.flows)
        throw std::invalid_argument("pcap lcore flows " + std::to_string(p.flow_count) + " != the replay's " +
                                    std::to_string(r.flows));
    if (c.replay_file_timing && r.period_ns == 0)
        throw std::invalid_argument("file timing needs a timeline longer than 0 ns");
    if (p.paced && !p.unlimited && p.total_packets > 0 && p.target_pps == 0 && !c.replay_file_timing)
        throw std::invalid_argument("pcap lcore has packets to send but a zero rate");
    if (c.tsc_hz == 0) throw std::invalid_argument("tsc_hz not set");
    if (c.pool == nullptr) throw std::invalid_argument("pcap lcore has no mbuf pool");
    RoomCheck room{r.max_len};
    rte_mempool_obj_iter(c.pool, check_room, &room);
    if (!room.ok)
        throw std::invalid_argument("mbuf data room too small for " + std::to_string(r.max_len) + "-byte frames");
    c.flow_seq.assign(p.flow_count, 0);
    c.flow_sent.assign(p.flow_count, 0);
    c.flow_bytes.assign(p.flow_count, 0);
    c.flow_refused.assign(p.flow_count, 0);
    c.flow_dropped.assign(p.flow_count, 0);
    TxLcoreStats& s = c.stats;
    for (auto* a : {&s.packets, &s.bytes, &s.bursts, &s.tx_full_retries, &s.tx_full_dropped, &s.alloc_failures,
                    &s.late_bursts, &s.late_packets, &s.start_tsc, &s.end_tsc})
        a->store(0);
    s.tid.store(0);
    s.running.store(false);
    s.finished.store(false);
    c.pacing = ebt_latency{};
    c.replay_stamped = c.replay_unstamped = 0;
    c.end_reason = TxEndReason::kNotRun;
    c.rc = 0;
}

int pcap_tx_lcore_main(void* arg) {
    auto& c = *static_cast<TxLcoreContext*>(arg);
    const TxThreadPlan plan = c.plan;
    if (c.replay == nullptr || c.pool == nullptr || c.tsc_hz == 0 || c.flow_seq.size() != plan.flow_count ||
        c.flow_bytes.size() != plan.flow_count || c.flow_refused.size() != plan.flow_count ||
        c.flow_dropped.size() != plan.flow_count || c.replay->flows != plan.flow_count) {
        c.rc = -EINVAL;
        c.stats.finished.store(true);
        return c.rc;
    }
    const PcapReplay& r = *c.replay;
    const ReplayFrame* const frames = r.frames.data();
    const uint8_t* const data = r.data.data();
    const auto nframes = static_cast<uint32_t>(r.frames.size());
    uint32_t* const seq = c.flow_seq.data();
    uint64_t* const fbytes = c.flow_bytes.data();
    const uint16_t port = c.port_id;
    const uint16_t queue = plan.queue_id;
    rte_mempool* const pool = c.pool;
    const std::atomic<bool>* const stop = c.stop;
    const uint64_t deadline = c.deadline_tsc;
    const uint64_t epoch = c.epoch_tsc;
    const uint64_t hz = c.tsc_hz;
    const bool unlimited = plan.unlimited;
    const bool paced = plan.paced && !unlimited;
    const bool file_timing = paced && c.replay_file_timing;
    const uint64_t total = plan.total_packets;
    const uint32_t burst = std::clamp<uint32_t>(plan.burst, 1, kMaxTxBurst);
    const TscToNs to_ns{hz};
    const uint64_t ns_mult = (uint64_t{1000000000} << 32) / hz;
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
    while (now < start) {
        if (stop_requested(now, why)) {
            stopped = true;
            break;
        }
        rte_pause();
        now = rte_rdtsc();
    }
    st.start_tsc.store(start, kRelaxed);

    Pacer pacer(hz, paced && plan.target_pps ? plan.target_pps : 1, start);
    const uint64_t burst_ticks = paced && plan.target_pps ? burst * hz / plan.target_pps : 0;
    // File timing: a burst takes the packets due within `burst` mean gaps of
    // its first one (so it bunches no more than a constant-rate burst at the
    // file's mean rate) and leaves when its last one is due.
    const uint64_t window_ns = uint64_t{burst} * r.mean_gap_ns;
    const uint64_t gap_ticks = ns_to_ticks(r.mean_gap_ns, hz);
    CatchUpGate gate;
    uint64_t due_tsc = 0, span = burst_ticks, planned_at = UINT64_MAX;
    uint32_t planned_n = 0;
    uint64_t queued = 0, packets = 0, bytes = 0, bursts = 0, retries = 0, dropped = 0, alloc_fail = 0,
             late_bursts = 0, late_packets = 0, stamped = 0, unstamped = 0;
    uint32_t cursor = 0;   // the next frame of the file
    uint64_t pass = 0;     // passes over the file begun before `cursor`'s
    rte_mbuf* pkts[kMaxTxBurst];
    uint32_t pkt_frame[kMaxTxBurst];  // the frame of each mbuf (refusals, rollback)

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
        if (paced) {
            if (file_timing) {
                if (planned_at != queued) {  // once per burst, not per spin
                    planned_at = queued;
                    const uint64_t first = pass * r.period_ns + frames[cursor].rel_ns;
                    uint64_t last = first, p = pass;
                    uint32_t k = 1, f = cursor;
                    for (; k < n; ++k) {
                        if (++f == nframes) {
                            f = 0;
                            ++p;
                        }
                        const uint64_t due = p * r.period_ns + frames[f].rel_ns;
                        if (due - first > window_ns) break;
                        last = due;
                    }
                    planned_n = k;
                    due_tsc = start + ns_to_ticks(last, hz);
                    span = ns_to_ticks(last - first, hz) + gap_ticks;
                }
                n = planned_n;
            } else {
                due_tsc = pacer.due_tsc(queued + n - 1);
            }
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
        if (rte_mempool_get_bulk(pool, reinterpret_cast<void**>(pkts), n) != 0) {
            st.alloc_failures.store(++alloc_fail, kRelaxed);
            rte_pause();
            continue;
        }

        const uint64_t tx_ns = now > epoch ? to_ns(now - epoch) & EBT_TX_NS_MASK : 0;
        uint64_t burst_bytes = 0;
        for (uint32_t i = 0; i < n; ++i) {
            const ReplayFrame& f = frames[cursor];
            rte_mbuf* m = pkts[i];
            m->data_off = RTE_PKTMBUF_HEADROOM;
            uint8_t* d = static_cast<uint8_t*>(m->buf_addr) + RTE_PKTMBUF_HEADROOM;
            rte_memcpy(d, data + f.offset, f.len);
            if (f.flow != kUnstampedFlow) {
                stamp_frame(d, seq[f.flow]++, tx_ns, f.at);
                fbytes[f.flow] += f.len;
                ++stamped;
            } else {
                ++unstamped;
            }
            m->data_len = static_cast<uint16_t>(f.len);
            m->pkt_len = f.len;
            burst_bytes += f.len;
            pkt_frame[i] = cursor;
            if (++cursor == nframes) {
                cursor = 0;
                ++pass;
            }
        }
        queued += n;

        if (paced) {
            const uint64_t late = rte_rdtsc() - due_tsc;
            ebt_latency_account(&c.pacing, static_cast<int64_t>(
                static_cast<uint64_t>((static_cast<unsigned __int128>(late) * ns_mult) >> 32)));
        }
        bool give_up = false;
        const uint32_t sent = send_burst(
            port, queue, pkts, n, retries,
            [&](uint32_t i) {
                if (const uint32_t fl = frames[pkt_frame[i]].flow; fl != kUnstampedFlow) ++c.flow_refused[fl];
            },
            [&] { return stop_requested(rte_rdtsc(), why); }, give_up);
        packets += sent;
        bytes += burst_bytes;
        if (give_up) {
            // Unsent: the last frames built; rolling their flows' seq back
            // keeps every flow's seq contiguous and equal to its sent count.
            for (uint32_t i = sent; i < n; ++i) {
                const ReplayFrame& f = frames[pkt_frame[i]];
                bytes -= f.len;
                if (f.flow != kUnstampedFlow) {
                    --seq[f.flow];
                    fbytes[f.flow] -= f.len;
                    ++c.flow_dropped[f.flow];
                    --stamped;
                } else {
                    --unstamped;
                }
            }
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

    for (uint32_t f = 0; f < plan.flow_count; ++f) c.flow_sent[f] = seq[f];
    c.replay_stamped = stamped;
    c.replay_unstamped = unstamped;
    c.end_reason = why;
    st.end_tsc.store(rte_rdtsc(), kRelaxed);
    st.running.store(false, kRelaxed);
    st.finished.store(true, std::memory_order_release);
    return 0;
}

}  // namespace ebt
