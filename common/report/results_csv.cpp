// results.csv and the raw_data/*.csv files.
#include <algorithm>
#include <string>

#include "frame_sizes.hpp"
#include "report_detail.hpp"
#include "results.hpp"

namespace ebt {

namespace report_detail {

// raw_data/system_cpu.csv: per sample and CPU, the window's shares in %.
std::string system_cpu_csv(const SystemReport& s) {
    std::string out = "t_s,cpu,user_pct,nice_pct,system_pct,idle_pct,iowait_pct,irq_pct,softirq_pct,steal_pct\n";
    for (size_t i = 1; i < s.samples.size(); ++i) {
        const auto& a = s.samples[i - 1];
        const auto& b = s.samples[i];
        for (size_t c = 0; c < std::min(a.cpus.size(), b.cpus.size()); ++c) {
            const auto& x = a.cpus[c];
            const auto& y = b.cpus[c];
            const uint64_t d[8] = {y.user - x.user, y.nice - x.nice, y.system - x.system, y.idle - x.idle,
                                   y.iowait - x.iowait, y.irq - x.irq, y.softirq - x.softirq, y.steal - x.steal};
            uint64_t total = 0;
            for (uint64_t v : d) total += v;
            out += fmt(b.t_s, 6) + "," + std::to_string(c);
            for (uint64_t v : d) out += "," + fmt(total ? 100.0 * static_cast<double>(v) / static_cast<double>(total) : 0.0, 2);
            out += "\n";
        }
    }
    return out;
}

// raw_data/system_mem_netdev.csv: memory and every interface counter, cumulative.
std::string system_mem_netdev_csv(const SystemReport& s) {
    std::string out = "t_s,mem_total_kb,mem_available_kb,rss_kb";
    for (const auto& k : s.netdev_names) out += "," + k;
    out += "\n";
    for (const auto& x : s.samples) {
        out += fmt(x.t_s, 6) + "," + std::to_string(x.mem_total_kb) + "," + std::to_string(x.mem_available_kb) + "," +
               std::to_string(x.rss_kb);
        for (const uint64_t v : x.netdev) out += "," + std::to_string(v);
        out += "\n";
    }
    return out;
}


// The interval rates between samples.  Mbit/s at L1 and at L2 including
// the FCS, as RateFigures counts them: bytes are frames without FCS, and
// config's frame_bits(0, layer) is the per-frame overhead of each layer.
std::string samples_csv(const std::vector<CounterSample>& samples) {
    std::string out = "t_s,packets,bytes,interval_pps,interval_mbps_l1,interval_mbps_l2_incl_fcs\n";
    const double l1_bits = static_cast<double>(frame_bits(0, "l1")), l2_bits = static_cast<double>(frame_bits(0, "l2"));
    const CounterSample* prev = nullptr;
    for (const auto& s : samples) {
        double pps = 0, mbps_l1 = 0, mbps_l2 = 0;
        // Counters are cumulative; a sample that went backwards (bad input) gives 0, not a wrapped figure.
        if (prev != nullptr && s.t_s > prev->t_s && s.packets >= prev->packets && s.bytes >= prev->bytes) {
            const double dt = s.t_s - prev->t_s;
            const double p = static_cast<double>(s.packets - prev->packets);
            const double bits = static_cast<double>(s.bytes - prev->bytes) * 8.0;
            pps = p / dt;
            mbps_l1 = (bits + p * l1_bits) / dt / 1e6;
            mbps_l2 = (bits + p * l2_bits) / dt / 1e6;
        }
        out += fmt(s.t_s, 6) + "," + std::to_string(s.packets) + "," + std::to_string(s.bytes) + "," +
               fmt(pps, 1) + "," + fmt(mbps_l1, 3) + "," + fmt(mbps_l2, 3) + "\n";
        prev = &s;
    }
    return out;
}

}  // namespace report_detail

using namespace report_detail;

namespace {

// RFC 4180: quote a field holding a comma, quote or line break.
std::string csv_field(const std::string& v) {
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out = "\"";
    for (char c : v) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}


}  // namespace

std::string results_csv(const TestRecord& r) {
    // One row per flow, then an "all" row: the table analysts load.  The
    // sent rates are the generator's (per flow, and generator.rates for all:
    // with --pcap that counts every frame sent, unstamped ones too).
    std::string out =
        "test_name,test_id,flow_id,sent_packets,received_packets,lost_packets,loss_pct,reordered,duplicates,"
        "frame_size,sent_mbps_l1,sent_mbps_l2_incl_fcs\n";
    const bool have_rx = r.receiver.has_value();
    const std::string size_text = csv_field(frame_size_text(r.config));
    auto row = [&](const std::string& flow, uint64_t sent, uint64_t received, uint64_t reordered,
                   uint64_t duplicates, const RateFigures& rates) {
        out += csv_field(r.name) + "," + std::to_string(r.id) + "," + flow + "," + std::to_string(sent) + ",";
        if (!have_rx) {
            out += ",,,,";
        } else {
            const int64_t lost = static_cast<int64_t>(sent) - static_cast<int64_t>(received);
            out += std::to_string(received) + "," + std::to_string(lost) + "," +
                   fmt(sent == 0 ? 0.0 : 100.0 * static_cast<double>(lost) / static_cast<double>(sent), 6) + "," +
                   std::to_string(reordered) + "," + std::to_string(duplicates);
        }
        out += "," + size_text + "," + fmt(rates.mbps_l1, 6) + "," + fmt(rates.mbps_l2, 6) + "\n";
    };
    const FlowIndex rx_flows = index_flows(r.receiver);
    uint64_t total_reordered = 0, total_duplicates = 0;
    for (const auto& f : r.generator.flows) {
        const ReceiverFlow& rf = lookup(rx_flows, f.flow_id);
        total_reordered += rf.reordered;
        total_duplicates += rf.duplicates;
        row(std::to_string(f.flow_id), f.packets, unique_received(rf), rf.reordered, rf.duplicates, f.rates);
    }
    const Summary s = summarize(r);
    // --pcap: the test packets are the stamped ones (as in the summary's loss).
    row("all", r.generator.pcap ? r.generator.pcap->stamped : r.generator.sent_packets, s.received_packets.value_or(0),
        total_reordered, total_duplicates, r.generator.rates);
    return out;
}

}  // namespace ebt
