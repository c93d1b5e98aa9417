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
    // TX lcores' run-queue wait since the start (descheduled while they had
    // work: what makes bursts late on a shared CPU); nullopt when unknown.
    std::optional<double> descheduled_ms;
    double pps = 0;                        // over the last interval
    double mbps_l1 = 0, mbps_l2 = 0;       // over the last interval
    std::optional<uint64_t> target_packets;  // the exact total (paced or --count)
    std::optional<double> target_pps;      // the current target: the schedule's rate over this interval
    double duration_s = 0;                 // the planned length
    // The receiver's last live sample, when there is one.
    std::optional<uint64_t> rx_packets;
    std::optional<double> rx_pps;
    std::optional<int64_t> rx_lost;
    std::optional<double> rx_t_s;          // the receiver's time of that sample (since its start)
    bool rx_new = false;                   // the sample arrived since the previous interval
    std::optional<double> rx_path_cpu_pct; // receive path: softirq of all CPUs + xdp-recv, % of all CPUs
    std::optional<double> rx_host_cpu_pct; // the receiver's whole host (incl. this generator when shared)
    // The TSC calibration's check against the kernel clock at the last sample.
    std::optional<double> tsc_drift_ppm;
    bool tsc_drift_warning = false;        // over TscDriftMonitor::kWarnPpm
};

// Progress towards the end, 0..100: packets of the exact total when there is
// one, else time of the duration.
double live_progress_pct(const LiveSnapshot& s);

// The human status line (no newline).
std::string live_line(const LiveSnapshot& s);

// The --stats-json object of one interval: type "interval", t_s, packets,
// bytes, pps, mbps_l1, mbps_l2, tx_full_retries, tx_full_dropped,
// late_bursts, descheduled_ms, progress_pct, target_packets (null when unlimited),
// target_pps (null with rate max; a pattern's current one), rx_packets /
// rx_pps / rx_lost / rx_t_s / rx_receive_path_cpu_pct /
// rx_host_cpu_busy_pct (null without a receiver sample), rx_sample_new,
// tsc_drift_ppm (null before the first check).
boost::json::object live_json(const LiveSnapshot& s);

// Prints one interval in the given mode (nothing for kQuiet).
void live_emit(LiveMode mode, const LiveSnapshot& s);

// Ends a tty status line (a newline) before other output follows.
void live_finish(LiveMode mode);

}  // namespace ebt
