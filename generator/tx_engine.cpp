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

#include "size_pattern.hpp"
#include "tx_loop.hpp"

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
    c.fault_next.assign(c.faults.empty() ? 0 : p.flow_count, 0);
    c.fault_pending.assign(c.faults.empty() ? 0 : p.flow_count, TxLcoreContext::kNoSeq);
    for (size_t k = c.faults.size(); k-- > 0;) c.fault_next[c.faults[k].flow] = static_cast<uint32_t>(k);
    reset_tx_outputs(c);
}

void reset_tx_outputs(TxLcoreContext& c) {
    const uint32_t flows = c.plan.flow_count;
    c.flow_seq.assign(flows, 0);
    c.flow_sent.assign(flows, 0);
    c.flow_bytes.assign(flows, 0);
    c.flow_refused.assign(flows, 0);
    c.flow_dropped.assign(flows, 0);
    TxLcoreStats& s = c.stats;
    for (auto* a : {&s.packets, &s.bytes, &s.bursts, &s.tx_full_retries, &s.tx_full_dropped,
                    &s.alloc_failures, &s.late_bursts, &s.late_packets, &s.start_tsc, &s.end_tsc})
        a->store(0);
    s.tid.store(0);
    s.running.store(false);
    s.finished.store(false);
    c.pacing = ebt_latency{};
    c.replay_stamped = c.replay_unstamped = 0;
    c.end_reason = TxEndReason::kNotRun;
    c.rc = 0;
}

namespace {

// The synthetic burst source: each packet a copy of its flow's template,
// stamped; flows round-robin.  One instantiation per combination of faults
// and size mix, so the fixed-size fast path pays for neither.
template <bool kFaults, bool kMix>
class SyntheticSource {
public:
    explicit SyntheticSource(TxLcoreContext& c)
        : fl_{c.hdr_templates.data(), c.flow_seq.data(), c.flow_sent.data(), c.plan.flow_count,
              c.faults.data(), static_cast<uint32_t>(c.faults.size()), c.fault_next.data(),
              c.fault_pending.data(), c.sizes.data(), static_cast<uint32_t>(c.sizes.size()),
              c.pattern.data(), static_cast<uint32_t>(c.pattern.size()), c.pattern_pos.data(),
              c.flow_bytes.data()},
          len_(c.spec.frame_len),
          refused_(c.flow_refused.data()),
          dropped_(c.flow_dropped.data()) {
        fl_.stride = c.template_stride;
        fl_.at = c.stamp_at;
    }

    uint64_t fill(rte_mbuf** pkts, uint32_t n, uint64_t tx_ns) {
        first_cursor_ = cursor_;
        uint64_t burst_bytes = 0;
        cursor_ = fill_burst<kFaults, kMix>(pkts, n, cursor_, fl_, len_, tx_ns, pkt_flow_, burst_bytes);
        return burst_bytes;
    }

    void refused(uint32_t i) { ++refused_[flow_of(i)]; }

    // Without faults, rolling the seq back keeps every flow's seq contiguous
    // and equal to its sent count; with faults only the sent counts are
    // rolled back.
    uint64_t rollback(rte_mbuf** pkts, uint32_t sent, uint32_t n) {
        uint64_t bytes = 0;
        for (uint32_t i = sent; i < n; ++i) {
            const uint32_t f = flow_of(i);
            bytes += pkts[i]->data_len;
            ++dropped_[f];
            if constexpr (kMix) fl_.bytes[f] -= pkts[i]->data_len;
            if constexpr (kFaults) {
                --fl_.sent[f];
            } else {
                --fl_.seq[f];
            }
        }
        return bytes;
    }

    void finish(TxLcoreContext&) {
        if constexpr (!kFaults)
            for (uint32_t f = 0; f < fl_.nflows; ++f) fl_.sent[f] = fl_.seq[f];
        if constexpr (!kMix)
            for (uint32_t f = 0; f < fl_.nflows; ++f) fl_.bytes[f] = fl_.sent[f] * len_;
    }

private:
    // The flow of the last burst's i-th frame (rollback and refusals only).
    uint32_t flow_of(uint32_t i) const {
        if constexpr (kFaults || kMix) return pkt_flow_[i];
        uint32_t f = first_cursor_ + i;
        while (f >= fl_.nflows) f -= fl_.nflows;
        return f;
    }

    Flows fl_;
    uint32_t len_;
    uint64_t* refused_;
    uint64_t* dropped_;
    uint32_t cursor_ = 0, first_cursor_ = 0;
    uint32_t pkt_flow_[kMaxTxBurst];  // faults or size mix: for the rollback
};

template <bool kFaults, bool kMix>
int run_synthetic(TxLcoreContext& c) {
    const bool paced = c.plan.paced && !c.plan.unlimited;
    if (!paced) return run_tx_loop<SyntheticSource<kFaults, kMix>, UnpacedClock>(c);
    if (c.plan.schedule != nullptr) return run_tx_loop<SyntheticSource<kFaults, kMix>, ScheduleClock>(c);
    return run_tx_loop<SyntheticSource<kFaults, kMix>, ConstantClock>(c);
}

}  // namespace

int tx_lcore_main(void* arg) {
    auto& c = *static_cast<TxLcoreContext*>(arg);
    const uint32_t nflows = c.plan.flow_count;
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
    const bool mix = !c.pattern.empty();
    if (mix) return faulty ? run_synthetic<true, true>(c) : run_synthetic<false, true>(c);
    return faulty ? run_synthetic<true, false>(c) : run_synthetic<false, false>(c);
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
