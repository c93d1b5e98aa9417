#include "pacing_report.hpp"

#include "histogram.hpp"

#include <algorithm>
#include <cmath>

namespace ebt {

ebt_latency merge_pacing(const std::vector<const ebt_latency*>& parts) {
    ebt_latency m{};
    for (const ebt_latency* p : parts) merge_histogram(m, *p);
    return m;
}

PacingReport summarize_pacing(const ebt_latency& m) {
    PacingReport r;
    r.bursts = m.count;
    r.percentile_error_bound_pct = kHistogramPercentileErrorPct;
    r.method =
        "per burst: TSC just before rte_eth_tx_burst minus the burst's scheduled TSC (when its last "
        "packet is due), converted to ns by multiply-shift (< 1 ns + 1e-9 relative); min, mean, max "
        "exact; p50/p99 by nearest rank from a log-linear histogram (16 buckets per power of two), "
        "reported as the bucket midpoint";
    if (m.count > 0) {
        r.min_ns = m.min_ns;
        r.max_ns = m.max_ns;
        r.mean_ns = static_cast<double>(m.sum_ns) / static_cast<double>(m.count);
        r.p50_ns = histogram_percentile(m, 0.50);
        r.p99_ns = histogram_percentile(m, 0.99);
    }
    return r;
}

}  // namespace ebt
