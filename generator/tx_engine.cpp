#include "tx_engine.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <cstring>
#include <tuple>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_memcpy.h>
#include <rte_pause.h>

#include "pacer.hpp"
#include "size_pattern.hpp"
#include "tx_burst.hpp"

namespace ebt {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr uint32_t kNarrow = TxLcoreContext::kNarrowStride;
constexpr uint32_t kWide = TxLcoreContext::kWideStride;
static_assert(kNarrow >= min_frame_len(4, true) && kWide >= min_frame_len(6, true));

struct PaddingFill {
    uint32_t frame_len;
    uint32_t payload;   // the layout's padding offset
    uint32_t stride;
    bool room_ok = true;
};

// rte_mempool_obj_iter callback: the padding of a frame_len frame into one mbuf.
void fill_padding(rte_mempool*, void* arg, void* obj, unsigned) {
    auto& f = *static_cast<PaddingFill*>(arg);
    auto* m = static_cast<rte_mbuf*>(obj);
    if (m->buf_len < uint32_t{RTE_PKTMBUF_HEADROOM} + std::max(f.frame_len, f.stride)) {
        f.room_ok = false;
        return;
    }
    write_padding(static_cast<uint8_t*>(m->buf_addr) + RTE_PKTMBUF_HEADROOM + f.payload,
                  f.frame_len - f.payload);
}

// The per-lcore state the burst builder works on (copied to locals by the
// compiler; one instantiation per combination of faults and size mix).
struct Flows {
    const uint8_t* hdr;
    uint32_t* seq;
    uint64_t* sent;           // faults only (otherwise sent == seq at the end)
    uint32_t nflows;
    const SeqFault* faults;   // faults only
    uint32_t nfaults;
    uint32_t* fault_next;
    uint64_t* pending;
    const uint32_t* sizes;    // size mix only
    uint32_t nsizes;
    const uint16_t* pattern;
    uint32_t plen;
    uint32_t* ppos;
    uint64_t* bytes;          // size mix only (otherwise bytes == sent * len at the end)
    uint32_t stride = kNarrow;  // template bytes copied per packet (the layout's)
    StampOffsets at{};          // stamp_frame() offsets (the layout's)
};

// The sequence number the next frame of local flow f carries (faults only).
inline uint32_t next_faulty_seq(Flows& fl, uint32_t f) {
    uint64_t& owed = fl.pending[f];
    if (owed != TxLcoreContext::kNoSeq) {
        const auto s = static_cast<uint32_t>(owed);
        owed = TxLcoreContext::kNoSeq;
        return s;
    }
    for (;;) {
        const uint32_t s = fl.seq[f]++;
        uint32_t& k = fl.fault_next[f];
        if (k >= fl.nfaults || fl.faults[k].flow != f || fl.faults[k].seq != s) return s;
        const SeqFaultKind kind = fl.faults[k++].kind;
        if (kind == SeqFaultKind::kSkip) continue;  // consumed, never sent
        if (kind == SeqFaultKind::kDup) {
            owed = s;  // the same seq once more, as the flow's next frame
            return s;
        }
        owed = s;  // swap: S+1 now, S as the flow's next frame
        return fl.seq[f]++;
    }
}

// Fills n mbufs (round robin from cursor), adds their bytes to burst_bytes
// and returns the new cursor.  kCopy (the template stride) is a constant, so
// the copy is a few vector moves; the stamp offsets come from the layout.
template <bool kFaults, bool kMix, uint32_t kCopy>
inline uint32_t fill_burst_as(rte_mbuf** pkts, uint32_t n, uint32_t cursor, Flows& fl, uint32_t len,
                              uint64_t tx_ns, uint32_t* pkt_flow, uint64_t& burst_bytes) {
    const StampOffsets at = fl.at;
    for (uint32_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        m->data_off = RTE_PKTMBUF_HEADROOM;
        uint8_t* d = static_cast<uint8_t*>(m->buf_addr) + RTE_PKTMBUF_HEADROOM;
        uint32_t tmpl = cursor;
        uint32_t frame_len = len;
        if constexpr (kMix) {
            uint32_t& pos = fl.ppos[cursor];
            const uint32_t sidx = fl.pattern[pos];
            pos = pos + 1 == fl.plen ? 0 : pos + 1;
            tmpl = cursor * fl.nsizes + sidx;
            frame_len = fl.sizes[sidx];
            fl.bytes[cursor] += frame_len;
            burst_bytes += frame_len;
        }
        rte_memcpy(d, fl.hdr + size_t{tmpl} * kCopy, kCopy);
        if constexpr (kFaults) {
            stamp_frame(d, next_faulty_seq(fl, cursor), tx_ns, at);
            ++fl.sent[cursor];
        } else {
            stamp_frame(d, fl.seq[cursor]++, tx_ns, at);
        }
        if constexpr (kFaults || kMix) pkt_flow[i] = cursor;
        m->data_len = static_cast<uint16_t>(frame_len);
        m->pkt_len = frame_len;
        cursor = cursor + 1 == fl.nflows ? 0 : cursor + 1;
    }
    if constexpr (!kMix) burst_bytes += uint64_t{n} * len;
    return cursor;
}

// One branch per burst picks the stride's instantiation.
template <bool kFaults, bool kMix>
inline uint32_t fill_burst(rte_mbuf** pkts, uint32_t n, uint32_t cursor, Flows& fl, uint32_t len,
                           uint64_t tx_ns, uint32_t* pkt_flow, uint64_t& burst_bytes) {
    return fl.stride == kNarrow
               ? fill_burst_as<kFaults, kMix, kNarrow>(pkts, n, cursor, fl, len, tx_ns, pkt_flow, burst_bytes)
               : fill_burst_as<kFaults, kMix, kWide>(pkts, n, cursor, fl, len, tx_ns, pkt_flow, burst_bytes);
}

}  // namespace

void prepare_tx_lcore(TxLcoreContext& c) {
    const TxThreadPlan& p = c.plan;
    if (p.flow_count == 0) throw std::invalid_argument("TX lcore plan has no flows");
    if (c.spec.flows == 0 || c.spec.flows > EBT_MAX_FLOWS ||
        uint64_t{p.first_flow} + p.flow_count > c.spec.flows)
        throw std::invalid_argument("TX lcore flows [" + std::to_string(p.first_flow) + ", +" +
                                    std::to_string(p.flow_count) + ") outside the test's " +
                                    std::to_string(c.spec.flows) + " flows");
    const FrameLayout lay = frame_layout(c.spec);
    if (c.spec.frame_len < lay.payload || c.spec.frame_len > kMaxFrameLen)
        throw std::invalid_argument("frame length " + std::to_string(c.spec.frame_len) + " outside " +
                                    std::to_string(lay.payload) + ".." + std::to_string(kMaxFrameLen));
    if (p.paced && !p.unlimited && p.total_packets > 0 && p.target_pps == 0)
        throw std::invalid_argument("TX lcore has packets to send but a zero rate");
    if (c.tsc_hz == 0) throw std::invalid_argument("tsc_hz not set");
    if (c.pool == nullptr) throw std::invalid_argument("TX lcore has no mbuf pool");
    for (size_t i = 0; i < c.faults.size(); ++i)
        if (c.faults[i].flow >= p.flow_count ||
            (i > 0 && std::tie(c.faults[i - 1].flow, c.faults[i - 1].seq) >=
                          std::tie(c.faults[i].flow, c.faults[i].seq)))
            throw std::invalid_argument("sequence faults not local to the lcore or not sorted");

    const uint32_t len = c.spec.frame_len;
    c.sizes.clear();
    for (const auto& m : c.size_mix) {
        if (m.size < lay.payload || m.size > len || m.weight == 0)
            throw std::invalid_argument("size mix entry " + std::to_string(m.size) + ":" +
                                        std::to_string(m.weight) + " outside " +
                                        std::to_string(lay.payload) + ".." + std::to_string(len));
        c.sizes.push_back(m.size);
    }
    const bool mix = !c.sizes.empty();
    if (!mix) c.sizes.push_back(len);
    const auto nsizes = static_cast<uint32_t>(c.sizes.size());
    c.pattern = mix ? size_pattern(c.size_mix) : std::vector<uint16_t>{};
    // Every template of the lcore has the one layout of c.spec (IP version,
    // VLAN tag): one stride, one set of stamp offsets.
    const uint32_t stride = lay.payload <= kNarrow ? kNarrow : kWide;
    c.template_stride = stride;
    c.stamp_at = stamp_offsets(lay);
    // Frame plus room for the template's full stride (padding continues).
    std::vector<uint8_t> frame(std::max(len, stride));
    c.hdr_templates.assign(size_t{p.flow_count} * nsizes * stride, 0);
    FrameSpec spec = c.spec;
    for (uint32_t i = 0; i < p.flow_count; ++i)
        for (uint32_t k = 0; k < nsizes; ++k) {
            spec.frame_len = c.sizes[k];
            build_frame(frame.data(), spec, p.first_flow + i);
            write_padding(frame.data() + lay.payload, static_cast<uint32_t>(frame.size()) - lay.payload);
            std::memcpy(c.hdr_templates.data() + (size_t{i} * nsizes + k) * stride, frame.data(), stride);
        }
    // The padding is identical for every flow and size (it depends only on
    // its offset from the layout's payload): written once, for the largest
    // frame, into every mbuf of this lcore's pool.
    PaddingFill fill{len, lay.payload, stride};
    rte_mempool_obj_iter(c.pool, fill_padding, &fill);
    if (!fill.room_ok)
        throw std::invalid_argument("mbuf data room too small for " + std::to_string(len) + "-byte frames");

    c.pattern_pos.assign(mix ? p.flow_count : 0, 0);
    // Flows start at staggered places in the pattern, so they do not all
    // send the same size at the same time.
    for (uint32_t i = 0; mix && i < p.flow_count; ++i)
        c.pattern_pos[i] = static_cast<uint32_t>((p.first_flow + i) % c.pattern.size());
    c.flow_bytes.assign(p.flow_count, 0);
    c.flow_seq.assign(p.flow_count, 0);
    c.flow_sent.assign(p.flow_count, 0);
    c.flow_refused.assign(p.flow_count, 0);
    c.flow_dropped.assign(p.flow_count, 0);
    c.fault_next.assign(c.faults.empty() ? 0 : p.flow_count, 0);
    c.fault_pending.assign(c.faults.empty() ? 0 : p.flow_count, TxLcoreContext::kNoSeq);
    for (size_t k = c.faults.size(); k-- > 0;) c.fault_next[c.faults[k].flow] = static_cast<uint32_t>(k);

    TxLcoreStats& s = c.stats;
    for (auto* a : {&s.packets, &s.bytes, &s.bursts, &s.tx_full_retries, &s.tx_full_dropped,
                    &s.alloc_failures, &s.late_bursts, &s.late_packets, &s.start_tsc, &s.end_tsc})
        a->store(0);
    s.tid.store(0);
    s.running.store(false);
    s.finished.store(false);
    c.pacing = ebt_latency{};
    c.end_reason = TxEndReason::kNotRun;
    c.rc = 0;
}

int tx_lcore_main(void* arg) {
    auto& c = *static_cast<TxLcoreContext*>(arg);
    const TxThreadPlan plan = c.plan;
    const uint32_t nflows = plan.flow_count;
    const bool faulty = !c.faults.empty();
    if (c.pool == nullptr || nflows == 0 || c.flow_seq.size() != nflows ||
        c.flow_sent.size() != nflows || c.flow_bytes.size() != nflows || c.sizes.empty() ||
        c.flow_refused.size() != nflows || c.flow_dropped.size() != nflows ||
        (c.template_stride != kNarrow && c.template_stride != kWide) ||
        c.hdr_templates.size() != size_t{nflows} * c.sizes.size() * c.template_stride || c.tsc_hz == 0 ||
        (!c.pattern.empty() && c.pattern_pos.size() != nflows) ||
        (faulty && (c.fault_next.size() != nflows || c.fault_pending.size() != nflows))) {
        c.rc = -EINVAL;
        c.stats.finished.store(true);
        return c.rc;
    }

    const uint16_t port = c.port_id;
    const uint16_t queue = plan.queue_id;
    rte_mempool* const pool = c.pool;
    const uint32_t len = c.spec.frame_len;
    const bool mix = !c.pattern.empty();
    Flows fl{c.hdr_templates.data(), c.flow_seq.data(), c.flow_sent.data(), nflows,
             c.faults.data(), static_cast<uint32_t>(c.faults.size()), c.fault_next.data(),
             c.fault_pending.data(), c.sizes.data(), static_cast<uint32_t>(c.sizes.size()),
             c.pattern.data(), static_cast<uint32_t>(c.pattern.size()), c.pattern_pos.data(),
             c.flow_bytes.data()};
    fl.stride = c.template_stride;
    fl.at = c.stamp_at;
    const std::atomic<bool>* const stop = c.stop;
    const uint64_t deadline = c.deadline_tsc;
    const uint64_t epoch = c.epoch_tsc;
    const bool unlimited = plan.unlimited;
    const bool paced = plan.paced && !unlimited;
    // Patterns: this lcore's view of the shared schedule (no allocation).
    const bool patterned = paced && plan.schedule != nullptr;
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

    Pacer pacer(c.tsc_hz, paced && plan.target_pps ? plan.target_pps : 1, start);
    ScheduleLane lane = patterned ? ScheduleLane(*plan.schedule, plan.first_flow, nflows, c.spec.flows, plan.schedule_limit)
                                  : ScheduleLane();
    uint64_t queued = 0;  // packets built so far = next packet index
    uint64_t packets = 0, bytes = 0, bursts = 0, retries = 0, dropped = 0, alloc_fail = 0,
             late_bursts = 0, late_packets = 0;
    uint32_t cursor = 0;
    // One burst's worth of schedule (constant rate), and the catch-up rule.
    const uint64_t burst_ticks = paced && plan.target_pps ? burst * c.tsc_hz / plan.target_pps : 0;
    CatchUpGate gate;
    uint64_t due_tsc = 0;  // the current burst's schedule (paced)
    // Patterns: the planned burst (size, due, span), recomputed only when a
    // burst has left (queued moved), not on every spin.
    uint64_t planned_at = UINT64_MAX, span_ticks = 0;
    uint32_t planned_n = 0;
    rte_mbuf* pkts[kMaxTxBurst];
    uint32_t pkt_flow[kMaxTxBurst];  // faults or size mix: for the rollback

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
            uint64_t span = burst_ticks;
            if (patterned) {
                if (planned_at != queued) {
                    planned_at = queued;
                    planned_n = lane.burst_len(queued, n);
                    due_tsc = start + lane.due(queued + planned_n - 1);
                    span_ticks = lane.interval(queued, queued + planned_n - 1);
                }
                n = planned_n;
                span = span_ticks;
            } else {
                due_tsc = pacer.due_tsc(queued + n - 1);
            }
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
        // segment) and no other field is ever changed, so the fill below
        // sets only data_off and the lengths.
        if (rte_mempool_get_bulk(pool, reinterpret_cast<void**>(pkts), n) != 0) {
            st.alloc_failures.store(++alloc_fail, kRelaxed);
            rte_pause();
            continue;
        }

        const uint64_t tx_ns = now > epoch ? to_ns(now - epoch) & EBT_TX_NS_MASK : 0;
        const uint32_t first_cursor = cursor;
        uint64_t burst_bytes = 0;
        if (mix)
            cursor = faulty ? fill_burst<true, true>(pkts, n, cursor, fl, len, tx_ns, pkt_flow, burst_bytes)
                            : fill_burst<false, true>(pkts, n, cursor, fl, len, tx_ns, pkt_flow, burst_bytes);
        else
            cursor = faulty ? fill_burst<true, false>(pkts, n, cursor, fl, len, tx_ns, pkt_flow, burst_bytes)
                            : fill_burst<false, false>(pkts, n, cursor, fl, len, tx_ns, pkt_flow, burst_bytes);
        queued += n;

        if (paced) {
            const uint64_t late = rte_rdtsc() - due_tsc;  // >= 0: never sent early
            ebt_latency_account(&pacing, static_cast<int64_t>(
                static_cast<uint64_t>((static_cast<unsigned __int128>(late) * ns_mult) >> 32)));
        }
        // The flow of the burst's i-th frame (rollback and refusals only).
        auto flow_of = [&](uint32_t i) {
            if (faulty || mix) return pkt_flow[i];
            uint32_t f = first_cursor + i;
            while (f >= nflows) f -= nflows;
            return f;
        };
        bool give_up = false;
        const uint32_t sent = send_burst(
            port, queue, pkts, n, retries, [&](uint32_t i) { ++c.flow_refused[flow_of(i)]; },
            [&] { return stop_requested(rte_rdtsc(), why); }, give_up);
        packets += sent;
        bytes += burst_bytes;
        if (give_up) {
            // Unsent: the last packets built.  Without faults, rolling their
            // seq back keeps every flow's seq contiguous and equal to its
            // sent count; with faults only the sent counts are rolled back.
            for (uint32_t i = sent; i < n; ++i) {
                const uint32_t f = flow_of(i);
                bytes -= pkts[i]->data_len;
                ++c.flow_dropped[f];
                if (mix) fl.bytes[f] -= pkts[i]->data_len;
                if (faulty) {
                    --fl.sent[f];
                } else {
                    --fl.seq[f];
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

    if (!faulty)
        for (uint32_t f = 0; f < nflows; ++f) fl.sent[f] = fl.seq[f];
    if (!mix)
        for (uint32_t f = 0; f < nflows; ++f) fl.bytes[f] = fl.sent[f] * len;
    c.end_reason = why;
    st.end_tsc.store(rte_rdtsc(), kRelaxed);
    st.running.store(false, kRelaxed);
    st.finished.store(true, std::memory_order_release);
    return 0;
}

TxTotals sum_tx_stats(const std::vector<TxLcoreContext*>& lcores) {
    TxTotals t;
    for (const TxLcoreContext* c : lcores) {
        const TxLcoreStats& s = c->stats;
        t.packets += s.packets.load(kRelaxed);
        t.bytes += s.bytes.load(kRelaxed);
        t.bursts += s.bursts.load(kRelaxed);
        t.tx_full_retries += s.tx_full_retries.load(kRelaxed);
        t.tx_full_dropped += s.tx_full_dropped.load(kRelaxed);
        t.alloc_failures += s.alloc_failures.load(kRelaxed);
        t.late_bursts += s.late_bursts.load(kRelaxed);
        t.late_packets += s.late_packets.load(kRelaxed);
    }
    return t;
}

}  // namespace ebt
