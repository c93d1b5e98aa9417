// See latency_summary.hpp.
#include "latency_summary.hpp"

#include <algorithm>
#include <cmath>

namespace ebt {

namespace {

// Exclusive upper edge of bucket b; 0 for the open-ended last bucket.
uint64_t bucket_hi(uint32_t b) {
    if (b + 1 >= EBT_LAT_BUCKETS) return 0;
    return ebt_lat_bucket_lo(b + 1);
}

}  // namespace

uint64_t latency_percentile(const ebt_latency& l, double q) {
    // Nearest rank: the smallest rank r with r >= q * count (1-based).
    const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(l.count)));
    const uint64_t want = std::max<uint64_t>(rank, 1);
    uint64_t seen = 0;
    for (uint32_t b = 0; b < EBT_LAT_BUCKETS; ++b) {
        seen += l.hist[b];
        if (seen >= want) {
            const uint64_t lo = ebt_lat_bucket_lo(b);
            const uint64_t hi = bucket_hi(b);
            // Exact buckets (width 1) and the overflow bucket report their edge.
            const uint64_t mid = (hi == 0 || hi - lo <= 1) ? lo : lo + (hi - lo) / 2;
            return std::clamp<uint64_t>(mid, l.min_ns, l.max_ns);
        }
    }
    return l.max_ns;   // unreachable when hist sums to count
}

LatencyReport summarize_latency(const ebt_latency& l, int64_t clock_offset_ns,
                                const std::string& offset_uncertainty) {
    LatencyReport r;
    r.samples = l.count;
    r.negative = l.negative;
    r.negative_max_ns = l.negative_max_ns;
    r.percentile_error_bound_pct = kLatencyPercentileErrorPct;
    r.method =
        "one-way = arrival (CLOCK_TAI at the receiver) - (test epoch + tx_ns in the packet) - clock "
        "offset; min, mean and max exact; percentiles by nearest rank from a log-linear histogram "
        "(16 buckets per power of two), reported as the bucket midpoint";
    r.clock_offset_ns = clock_offset_ns;
    r.clock_offset_uncertainty = offset_uncertainty;
    if (l.count > 0) {
        r.min_ns = l.min_ns;
        r.max_ns = l.max_ns;
        r.mean_ns = static_cast<double>(l.sum_ns) / static_cast<double>(l.count);
        r.p50_ns = latency_percentile(l, 0.50);
        r.p90_ns = latency_percentile(l, 0.90);
        r.p99_ns = latency_percentile(l, 0.99);
        r.p99_9_ns = latency_percentile(l, 0.999);
    }
    for (uint32_t b = 0; b < EBT_LAT_BUCKETS; ++b)
        if (l.hist[b] != 0) r.histogram.push_back({ebt_lat_bucket_lo(b), bucket_hi(b), l.hist[b]});
    return r;
}

}  // namespace ebt
