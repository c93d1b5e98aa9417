#include "tx_engine.hpp"

#include <cerrno>
#include <stdexcept>
#include <string>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_pause.h>

namespace ebt {

namespace {
constexpr uint64_t kTxNsMask = (uint64_t{1} << 48) - 1;
constexpr auto kRelaxed = std::memory_order_relaxed;
}  // namespace

void prepare_tx_lcore(TxLcoreContext& c) {
    const TxThreadPlan& p = c.plan;
    if (p.flow_count == 0) throw std::invalid_argument("TX lcore plan has no flows");
    if (c.spec.flows == 0 || c.spec.flows > EBT_MAX_FLOWS ||
        uint64_t{p.first_flow} + p.flow_count > c.spec.flows)
        throw std::invalid_argument("TX lcore flows [" + std::to_string(p.first_flow) + ", +" +
                                    std::to_string(p.flow_count) + ") outside the test's " +
                                    std::to_string(c.spec.flows) + " flows");
    if (c.spec.frame_len < kMinFrameLen || c.spec.frame_len > kMaxFrameLen)
        throw std::invalid_argument("frame length " + std::to_string(c.spec.frame_len) + " outside " +
                                    std::to_string(kMinFrameLen) + ".." + std::to_string(kMaxFrameLen));
    if (!p.unlimited && p.total_packets > 0 && p.target_pps == 0)
        throw std::invalid_argument("TX lcore has packets to send but a zero rate");
    if (c.tsc_hz == 0) throw std::invalid_argument("tsc_hz not set");

    const uint32_t len = c.spec.frame_len;
    std::vector<uint8_t> frame(len);
    c.hdr_templates.assign(size_t{p.flow_count} * TxLcoreContext::kTemplateStride, 0);
    for (uint32_t i = 0; i < p.flow_count; ++i) {
        build_frame(frame.data(), c.spec, p.first_flow + i);
        std::memcpy(c.hdr_templates.data() + size_t{i} * TxLcoreContext::kTemplateStride, frame.data(),
                    kMinFrameLen);
    }
    // The padding is identical for every flow (it depends only on its offset).
    c.tail.assign(frame.begin() + kMinFrameLen, frame.end());
    c.flow_seq.assign(p.flow_count, 0);
    c.flow_sent.assign(p.flow_count, 0);

    TxLcoreStats& s = c.stats;
    for (auto* a : {&s.packets, &s.bytes, &s.bursts, &s.tx_full_retries, &s.tx_full_dropped,
                    &s.alloc_failures, &s.late_bursts, &s.late_packets, &s.start_tsc, &s.end_tsc})
        a->store(0);
    s.running.store(false);
    s.finished.store(false);
    c.end_reason = TxEndReason::kNotRun;
    c.rc = 0;
}

int tx_lcore_main(void* arg) {
    auto& c = *static_cast<TxLcoreContext*>(arg);
    const TxThreadPlan plan = c.plan;
    const uint32_t nflows = plan.flow_count;
    if (c.pool == nullptr || nflows == 0 || c.flow_seq.size() != nflows ||
        c.flow_sent.size() != nflows ||
        c.hdr_templates.size() != size_t{nflows} * TxLcoreContext::kTemplateStride ||
        c.tail.size() + kMinFrameLen != c.spec.frame_len || c.tsc_hz == 0) {
        c.rc = -EINVAL;
        c.stats.finished.store(true);
        return c.rc;
    }

    const uint16_t port = c.port_id;
    const uint16_t queue = plan.queue_id;
    rte_mempool* const pool = c.pool;
    const uint32_t len = c.spec.frame_len;
    const uint32_t tail_len = len - kMinFrameLen;
    const uint8_t* const hdr = c.hdr_templates.data();
    const uint8_t* const tail = c.tail.data();
    uint32_t* const seq = c.flow_seq.data();
    uint64_t* const flow_sent = c.flow_sent.data();
    const std::atomic<bool>* const stop = c.stop;
    const uint64_t deadline = c.deadline_tsc;
    const uint64_t epoch = c.epoch_tsc;
    const bool unlimited = plan.unlimited;
    const bool paced = !unlimited;
    const uint64_t total = plan.total_packets;
    const uint32_t burst = std::clamp<uint32_t>(plan.burst, 1, kMaxTxBurst);
    const TscToNs to_ns{c.tsc_hz};
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
    uint64_t queued = 0;  // packets built so far = next packet index
    uint64_t packets = 0, bytes = 0, bursts = 0, retries = 0, dropped = 0, alloc_fail = 0,
             late_bursts = 0, late_packets = 0;
    uint32_t cursor = 0;
    // One burst's worth of schedule, and the earliest TSC the next burst may
    // leave while catching up.
    const uint64_t burst_ticks = paced && plan.target_pps ? burst * c.tsc_hz / plan.target_pps : 0;
    uint64_t next_allowed = 0;
    rte_mbuf* pkts[kMaxTxBurst];
    uint32_t pkt_flow[kMaxTxBurst];

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
            const uint64_t due_tsc = pacer.due_tsc(queued + n - 1);
            if (now < due_tsc || now < next_allowed) {
                rte_pause();
                continue;
            }
            // Behind schedule (a stall): keep the schedule, so the total
            // stays exact, but catch up at no more than twice the rate, one
            // burst at a time, never in a back-to-back micro-burst.
            if (now - due_tsc > burst_ticks) {
                ++late_bursts;
                late_packets += n;
                st.late_packets.store(late_packets, kRelaxed);
                st.late_bursts.store(late_bursts, kRelaxed);
                next_allowed = now + burst_ticks / 2;
            }
        }

        if (rte_pktmbuf_alloc_bulk(pool, pkts, n) != 0) {
            st.alloc_failures.store(++alloc_fail, kRelaxed);
            rte_pause();
            continue;
        }

        const uint64_t tx_ns = now > epoch ? to_ns(now - epoch) & kTxNsMask : 0;
        for (uint32_t i = 0; i < n; ++i) {
            rte_mbuf* m = pkts[i];
            uint8_t* d = rte_pktmbuf_mtod(m, uint8_t*);
            rte_memcpy(d, hdr + size_t{cursor} * TxLcoreContext::kTemplateStride, kMinFrameLen);
            if (tail_len) rte_memcpy(d + kMinFrameLen, tail, tail_len);
            stamp_frame(d, seq[cursor]++, tx_ns);
            ++flow_sent[cursor];
            m->data_len = static_cast<uint16_t>(len);
            m->pkt_len = len;
            pkt_flow[i] = cursor;
            cursor = cursor + 1 == nflows ? 0 : cursor + 1;
        }
        queued += n;

        uint32_t sent = rte_eth_tx_burst(port, queue, pkts, static_cast<uint16_t>(n));
        bool give_up = false;
        while (sent < n) {
            ++retries;
            if (stop_requested(rte_rdtsc(), why)) {
                give_up = true;
                break;
            }
            rte_pause();
            sent += rte_eth_tx_burst(port, queue, pkts + sent, static_cast<uint16_t>(n - sent));
        }
        packets += sent;
        bytes += uint64_t{sent} * len;
        if (give_up) {
            // Unsent: the last packets built, so rolling back keeps every
            // flow's seq contiguous and flow_sent exact.
            for (uint32_t i = sent; i < n; ++i) {
                --flow_sent[pkt_flow[i]];
                --seq[pkt_flow[i]];
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
