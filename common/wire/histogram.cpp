#include "histogram.hpp"

#include <algorithm>
#include <cmath>

namespace ebt {

uint64_t histogram_percentile(const ebt_latency& h, double q) {
    if (h.count == 0) return 0;
    const auto rank = std::max<uint64_t>(static_cast<uint64_t>(std::ceil(q * static_cast<double>(h.count))), 1);
    uint64_t seen = 0;
    for (uint32_t b = 0; b < EBT_LAT_BUCKETS; ++b) {
        seen += h.hist[b];
        if (seen < rank) continue;
        const uint64_t lo = ebt_lat_bucket_lo(b);
        const uint64_t hi = b + 1 < EBT_LAT_BUCKETS ? ebt_lat_bucket_lo(b + 1) : lo;
        const uint64_t mid = hi - lo <= 1 ? lo : lo + (hi - lo) / 2;
        return std::clamp<uint64_t>(mid, h.min_ns, h.max_ns);
    }
    return h.max_ns;  // unreachable when the buckets sum to count
}

HistogramSummary summarize_histogram(const ebt_latency& h) {
    HistogramSummary s;
    s.count = h.count;
    if (h.count == 0) return s;
    s.min_ns = h.min_ns;
    s.max_ns = h.max_ns;
    s.mean_ns = static_cast<double>(h.sum_ns) / static_cast<double>(h.count);
    s.p50_ns = histogram_percentile(h, 0.50);
    s.p90_ns = histogram_percentile(h, 0.90);
    s.p99_ns = histogram_percentile(h, 0.99);
    s.p99_9_ns = histogram_percentile(h, 0.999);
    return s;
}

void merge_histogram(ebt_latency& into, const ebt_latency& part) {
    into.negative += part.negative;
    into.negative_max_ns = std::max<uint64_t>(into.negative_max_ns, part.negative_max_ns);
    if (part.count == 0) return;
    into.min_ns = into.count == 0 ? part.min_ns : std::min<uint64_t>(into.min_ns, part.min_ns);
    into.max_ns = std::max<uint64_t>(into.max_ns, part.max_ns);
    into.count += part.count;
    into.sum_ns += part.sum_ns;
    for (uint32_t b = 0; b < EBT_LAT_BUCKETS; ++b) into.hist[b] += part.hist[b];
}

}  // namespace ebt
