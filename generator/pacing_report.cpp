#include "pacing_report.hpp"

#include "histogram.hpp"
#include "latency_summary.hpp"

namespace ebt {

ebt_latency merge_pacing(const std::vector<const ebt_latency*>& parts) {
    ebt_latency m{};
    for (const ebt_latency* p : parts) merge_histogram(m, *p);
    return m;
}

RateFigures rate_figures(uint64_t packets, uint64_t bytes, double elapsed_s, std::optional<double> target_pps) {
    RateFigures r;
    r.target_pps = target_pps;
    if (!(elapsed_s > 0)) return r;
    const double p = static_cast<double>(packets), b = static_cast<double>(bytes);
    r.achieved_pps = p / elapsed_s;
    r.mbps_l1 = (b + 24 * p) * 8 / elapsed_s / 1e6;  // + FCS 4, preamble/SFD 8, IFG 12
    r.mbps_l2 = (b + 4 * p) * 8 / elapsed_s / 1e6;   // + FCS 4
    if (target_pps && *target_pps > 0) r.efficiency_pct = 100 * r.achieved_pps / *target_pps;
    return r;
}

PacingReport summarize_pacing(const ebt_latency& m) {
    PacingReport r;
    r.bursts = m.count;
    r.method =
        "per burst: TSC just before rte_eth_tx_burst minus the burst's scheduled TSC (when its last "
        "packet is due), converted to ns by multiply-shift (< 1 ns + 1e-9 relative); min, mean, max "
        "exact; p50/p99 by nearest rank from a log-linear histogram (16 buckets per power of two), "
        "reported as the bucket midpoint";
    put_histogram_figures(r, m);
    return r;
}

}  // namespace ebt
