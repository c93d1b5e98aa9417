// The headline figures: results.json's summary, and summary_json for scripts.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <type_traits>

#include <boost/json.hpp>

#include "field_json.hpp"
#include "results.hpp"

namespace ebt {

namespace json = boost::json;

Summary summarize(const TestRecord& r) {
    Summary s;
    const auto& g = r.generator;
    // Patterns: the schedule's mean rate (generator.rates.target_pps).
    s.target_pps = r.config.rate_max ? 0.0 : g.rates.target_pps.value_or(static_cast<double>(r.config.packet_rate));
    s.sent_packets = g.sent_packets;
    // The generator's figures (rate_figures over sent packets and bytes and
    // elapsed_s): taken, not recomputed, so there is one definition of each.
    s.achieved_pps = g.rates.achieved_pps;
    s.mbps_l1 = g.rates.mbps_l1;
    s.mbps_l2 = g.rates.mbps_l2;
    if (r.receiver) {
        uint64_t duplicates = 0;
        for (const auto& f : r.receiver->flows) duplicates += f.duplicates;
        s.duplicates = duplicates;
        s.received_packets = r.receiver->test_packets - std::min(r.receiver->test_packets, duplicates);
        // --pcap: only stamped packets carry the test header the receiver counts.
        const uint64_t test_sent = g.pcap ? g.pcap->stamped : g.sent_packets;
        s.lost_packets = static_cast<int64_t>(test_sent) - static_cast<int64_t>(*s.received_packets);
        s.loss_pct = test_sent == 0 ? 0.0
                                    : 100.0 * static_cast<double>(*s.lost_packets) / static_cast<double>(test_sent);
    }
    return s;
}


namespace {

// A histogram's headline figures (its buckets left out): LatencyReport's
// samples and min, mean, p50, p90, p99, p99.9, max; PacingReport's bursts
// and min, mean, p50, p99, max.
template <class Report>
json::value figures(const Report& h) {
    constexpr bool latency = std::is_same_v<Report, LatencyReport>;
    JsonWriter w;
    if constexpr (latency) w.field("samples", h.samples);
    else w.field("bursts", h.bursts);
    w.field("min_ns", h.min_ns);
    w.field("mean_ns", h.mean_ns);
    w.field("p50_ns", h.p50_ns);
    if constexpr (latency) w.field("p90_ns", h.p90_ns);
    w.field("p99_ns", h.p99_ns);
    if constexpr (latency) w.field("p99_9_ns", h.p99_9_ns);
    w.field("max_ns", h.max_ns);
    return w.take();
}

template <class Report>
json::value figures(const std::optional<Report>& h) {
    return h ? figures(*h) : json::value(nullptr);
}

}  // namespace

json::object summary_json(const TestRecord& r) {
    const GeneratorReport& g = r.generator;
    JsonWriter w;
    w.field("name", r.name);
    w.field("id", r.id);
    w.field("status", r.status);
    w.field("status_reason", r.status_reason);
    w.field("incomplete", r.status != "complete");
    w.field("coordinated", r.coordinated);
    const Summary s = summarize(r);
    describe(w, s);
    w.field("efficiency_pct", g.rates.efficiency_pct);
    w.field("elapsed_s", g.elapsed_s);
    w.field("tx_full_retries", g.tx_full_retries);
    w.field("tx_full_dropped", g.tx_full_dropped);
    w.field("late_bursts", g.late_bursts);
    json::object o = w.take();
    o["latency"] = r.receiver ? figures(r.receiver->latency) : json::value(nullptr);
    o["round_trip"] = g.round_trip ? figures(g.round_trip->rtt) : json::value(nullptr);
    o["pacing"] = figures(g.pacing);
    o["xdp_mode"] = r.receiver ? json::value(r.receiver->xdp_mode) : json::value(nullptr);
    return o;
}

}  // namespace ebt
