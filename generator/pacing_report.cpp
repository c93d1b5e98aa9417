#include "pacing_report.hpp"

#include <algorithm>
#include <cmath>

namespace ebt {

ebt_latency merge_pacing(const std::vector<const ebt_latency*>& parts) {
    ebt_latency m{};
    for (const ebt_latency* p : parts) {
        if (p->count == 0) continue;
        m.min_ns = m.count == 0 ? p->min_ns : std::min<uint64_t>(m.min_ns, p->min_ns);
        m.max_ns = std::max<uint64_t>(m.max_ns, p->max_ns);
        m.count += p->count;
        m.sum_ns += p->sum_ns;
        for (uint32_t b = 0; b < EBT_LAT_BUCKETS; ++b) m.hist[b] += p->hist[b];
    }
    return m;
}

uint64_t pacing_percentile(const ebt_latency& h, double q) {
    const auto rank = std::max<uint64_t>(static_cast<uint64_t>(std::ceil(q * static_cast<double>(h.count))), 1);
    uint64_t seen = 0;
    for (uint32_t b = 0; b < EBT_LAT_BUCKETS; ++b) {
        seen += h.hist[b];
        if (seen < rank) continue;
        const uint64_t lo = ebt_lat_bucket_lo(b);
        const uint64_t hi = b + 1 < EBT_LAT_BUCKETS ? ebt_lat_bucket_lo(b + 1) : lo;
        // Exact buckets (width 1) and the open-ended last one report their edge.
        const uint64_t mid = hi - lo <= 1 ? lo : lo + (hi - lo) / 2;
        return std::clamp<uint64_t>(mid, h.min_ns, h.max_ns);
    }
    return h.max_ns;
}

PacingReport summarize_pacing(const ebt_latency& m) {
    PacingReport r;
    r.bursts = m.count;
    r.percentile_error_bound_pct = kPacingPercentileErrorPct;
    r.method =
        "per burst: TSC just before rte_eth_tx_burst minus the burst's scheduled TSC (when its last "
        "packet is due), converted to ns by multiply-shift (< 1 ns + 1e-9 relative); min, mean, max "
        "exact; p50/p99 by nearest rank from a log-linear histogram (16 buckets per power of two), "
        "reported as the bucket midpoint";
    if (m.count > 0) {
        r.min_ns = m.min_ns;
        r.max_ns = m.max_ns;
        r.mean_ns = static_cast<double>(m.sum_ns) / static_cast<double>(m.count);
        r.p50_ns = pacing_percentile(m, 0.50);
        r.p99_ns = pacing_percentile(m, 0.99);
    }
    return r;
}

}  // namespace ebt
