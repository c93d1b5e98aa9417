// dpdk-gen's live output while a test runs, every
// monitoring_config.real_time.update_interval:
//   - a terminal (isatty(stdout)): one status line on stdout, rewritten in
//     place with \r;
//   - otherwise: one log line per interval (stderr and dpdk-gen.log);
//   - --quiet: nothing;
//   - --stats-json: one JSON object per interval on stdout (JSON lines), and
//     a last one of type "final" with the totals as results.json has them.
// Formatting only; the main lcore calls it between samples.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

namespace ebt {

enum class LiveMode { kLines, kTty, kQuiet, kJson };

struct LiveSnapshot {
    double t_s = 0;                        // since the TX lcores were launched
    uint64_t packets = 0, bytes = 0;       // cumulative, all lcores
    uint64_t tx_full_retries = 0, tx_full_dropped = 0, late_bursts = 0;
    double pps = 0;                        // over the last interval
    double mbps_l1 = 0, mbps_l2 = 0;       // over the last interval
    std::optional<uint64_t> target_packets;  // the exact total (paced or --count)
    std::optional<double> target_pps;
    double duration_s = 0;                 // the planned length
    // The receiver's last live sample, when there is one.
    std::optional<uint64_t> rx_packets;
    std::optional<double> rx_pps;
    std::optional<int64_t> rx_lost;
    std::optional<double> rx_cpu_busy_pct;
};

// Progress towards the end, 0..100: packets of the exact total when there is
// one, else time of the duration.
double live_progress_pct(const LiveSnapshot& s);

// The human status line (no newline).
std::string live_line(const LiveSnapshot& s);

// The --stats-json object of one interval: type "interval", t_s, packets,
// bytes, pps, mbps_l1, mbps_l2, tx_full_retries, tx_full_dropped,
// late_bursts, progress_pct, target_packets (null when unlimited),
// target_pps (null with rate max), and rx_packets / rx_pps / rx_lost (null
// without a receiver sample).
boost::json::object live_json(const LiveSnapshot& s);

// Prints one interval in the given mode (nothing for kQuiet).
void live_emit(LiveMode mode, const LiveSnapshot& s);

// Ends a tty status line (a newline) before other output follows.
void live_finish(LiveMode mode);

}  // namespace ebt
