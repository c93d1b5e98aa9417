#include "rx_engine.hpp"

#include <algorithm>
#include <chrono>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "latency_summary.hpp"
#include "packet.hpp"

namespace ebt {

namespace {
}  // namespace

const char* const kRttMethod =
    "round trip = TSC when the rte_eth_rx_burst that returned the packet came back (read once per RX "
    "burst) - the TSC stamped into it as tx_ns just before its TX burst was built, both on the "
    "generator's TSC (no clock offset; ticks to ns exact to 1 ns); so it includes building the TX "
    "burst, the TX ring, the path and the reflection, and the wait in the RX ring until the next "
    "poll; min, mean and max exact; percentiles by nearest rank from a log-linear histogram (16 "
    "buckets per power of two), reported as the bucket midpoint";

RxEngine::RxEngine(uint16_t port_id, uint16_t queues, uint16_t test_id, uint32_t flows, uint64_t tsc_hz,
                   uint64_t epoch_tsc)
    : port_id_(port_id),
      queues_(queues),
      test_id_(test_id),
      nflows_(flows),
      epoch_tsc_(epoch_tsc),
      to_ns_{tsc_hz},
      flows_(flows) {}

void RxEngine::account(rte_mbuf* m, uint64_t now_ns) noexcept {
    ++c_.rx_frames;
    // Our RX pool's data room holds the largest test frame, so a test frame
    // is one segment; a chained one is not ours.
    if (m->nb_segs != 1) {
        ++c_.not_test;
        return;
    }
    const auto p = parse_test_frame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
    if (!p) {
        ++c_.not_test;
        return;
    }
    if ((p->flags & EBT_FLAG_REFLECTED) == 0 || p->test_id != test_id_) {
        ++c_.not_returned;
        return;
    }
    if (p->flow_id >= nflows_) {
        ++c_.bad_flow;
        return;
    }
    ++c_.returned;
    if (!p->ip_csum_ok || !p->udp_csum_ok) ++c_.checksum_errors;
    ebt_flow_account(&flows_[p->flow_id], p->seq, m->pkt_len, now_ns);
    // 48-bit wrap-around difference: tx_ns holds the low 48 bits.
    const uint64_t rtt = (now_ns - p->tx_ns) & EBT_TX_NS_MASK;
    ebt_latency_account(&rtt_, static_cast<int64_t>(rtt));
}

uint32_t RxEngine::poll() noexcept {
    rte_mbuf* pkts[kBurst];
    uint32_t total = 0;
    for (uint16_t q = 0; q < queues_; ++q) {
        for (uint32_t b = 0; b < kMaxBurstsPerQueue; ++b) {
            const uint16_t n = rte_eth_rx_burst(port_id_, q, pkts, kBurst);
            if (n == 0) break;
            const uint64_t now = rte_rdtsc();
            const uint64_t now_ns = now > epoch_tsc_ ? to_ns_(now - epoch_tsc_) : 0;
            for (uint16_t i = 0; i < n; ++i) account(pkts[i], now_ns);
            rte_pktmbuf_free_bulk(pkts, n);
            total += n;
            if (n < kBurst) break;
        }
    }
    return total;
}

double RxEngine::drain(uint64_t target) noexcept {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    auto last = t0;
    while (unique_returned() < target) {
        const auto now = Clock::now();
        if (poll() > 0) last = now;
        if (now - last >= std::chrono::milliseconds(200) || now - t0 >= std::chrono::seconds(2)) break;
        rte_pause();
    }
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

uint64_t RxEngine::unique_returned() const {
    uint64_t u = 0;
    for (const auto& f : flows_) u += f.packets - f.duplicates;
    return u;
}

RoundTripReport RxEngine::report(const std::vector<FlowCount>& sent_per_flow) const {
    RoundTripReport r;
    static_cast<RxFrameCounts&>(r) = c_;
    std::vector<uint64_t> sent(nflows_, 0);
    for (const auto& f : sent_per_flow)
        if (f.flow_id < nflows_) sent[f.flow_id] += f.packets;
    for (uint32_t id = 0; id < nflows_; ++id) {
        const ebt_flow_state& s = flows_[id];
        RoundTripFlow f;
        f.flow_id = id;
        f.sent = sent[id];
        f.returned = s.packets - s.duplicates;
        // A flow can return more distinct packets than it sent only if
        // something else sent ours; lost then stays 0 and returned shows it.
        f.lost = f.sent > f.returned ? f.sent - f.returned : 0;
        f.reordered = s.reordered;
        f.duplicates = s.duplicates;
        f.late = s.late;
        r.sent += f.sent;
        r.returned += f.returned;
        r.lost += f.lost;
        r.duplicates += f.duplicates;
        r.reordered += f.reordered;
        r.flows.push_back(f);
    }
    r.rtt = summarize_latency(rtt_, 0, "none: one clock (the generator's TSC)", kRttMethod);
    return r;
}

}  // namespace ebt
