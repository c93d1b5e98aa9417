// The headline figures: results.json's summary.
#include <algorithm>
#include <cstdint>

#include "results.hpp"

namespace ebt {

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


}  // namespace ebt
