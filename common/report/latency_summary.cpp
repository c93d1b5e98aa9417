// See latency_summary.hpp.
#include "latency_summary.hpp"

#include "histogram.hpp"

namespace ebt {

namespace {

// Exclusive upper edge of bucket b; 0 for the open-ended last bucket.
uint64_t bucket_hi(uint32_t b) {
    if (b + 1 >= EBT_LAT_BUCKETS) return 0;
    return ebt_lat_bucket_lo(b + 1);
}

}  // namespace

LatencyReport summarize_latency(const ebt_latency& l, int64_t clock_offset_ns,
                                const std::string& offset_uncertainty, const std::string& method) {
    LatencyReport r;
    r.samples = l.count;
    r.negative = l.negative;
    r.negative_max_ns = l.negative_max_ns;
    r.method =
        "one-way = arrival (CLOCK_TAI at the receiver) - (test epoch + tx_ns in the packet) - clock "
        "offset; min, mean and max exact; percentiles by nearest rank from a log-linear histogram "
        "(16 buckets per power of two), reported as the bucket midpoint";
    if (!method.empty()) r.method = method;
    r.clock_offset_ns = clock_offset_ns;
    r.clock_offset_uncertainty = offset_uncertainty;
    put_histogram_figures(r, l);
    for (uint32_t b = 0; b < EBT_LAT_BUCKETS; ++b)
        if (l.hist[b] != 0) r.histogram.push_back({ebt_lat_bucket_lo(b), bucket_hi(b), l.hist[b]});
    return r;
}

}  // namespace ebt
