#include "live_output.hpp"

#include <algorithm>
#include <cstdio>

#include <boost/json.hpp>

#include "json_text.hpp"
#include "log.hpp"

namespace ebt {
namespace {

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

boost::json::value opt(const std::optional<uint64_t>& v) { return v ? boost::json::value(*v) : nullptr; }
boost::json::value opt(const std::optional<int64_t>& v) { return v ? boost::json::value(*v) : nullptr; }
boost::json::value opt(const std::optional<double>& v) { return v ? boost::json::value(*v) : nullptr; }

}  // namespace

double live_progress_pct(const LiveSnapshot& s) {
    double p = 0;
    if (s.target_packets && *s.target_packets > 0)
        p = 100.0 * static_cast<double>(s.packets) / static_cast<double>(*s.target_packets);
    else if (s.duration_s > 0)
        p = 100.0 * s.t_s / s.duration_s;
    return std::clamp(p, 0.0, 100.0);
}

std::string live_line(const LiveSnapshot& s) {
    std::string line = "t=" + fixed(s.t_s, 1) + "s " + fixed(live_progress_pct(s), 1) + "% sent " +
                       std::to_string(s.packets) + " (" + fixed(s.pps, 0) + " pps";
    if (s.target_pps) line += " of " + fixed(*s.target_pps, 0);
    line += ", " + fixed(s.mbps_l1, 1) + " Mbps L1)";
    if (s.tx_full_retries || s.tx_full_dropped)
        line += " tx_full " + std::to_string(s.tx_full_retries) + "/" + std::to_string(s.tx_full_dropped);
    if (s.late_bursts) {
        line += " late " + std::to_string(s.late_bursts);
        // A late burst is one the lcore could not send on time; the usual
        // cause is its CPU being taken by other tasks.
        if (s.descheduled_ms) line += " (TX lcore descheduled " + fixed(*s.descheduled_ms, 0) + " ms)";
    }
    if (s.rx_packets) {
        // The receiver's figures are its own last sample, stamped with its
        // time; one that has not been renewed since the previous line says so.
        const std::string at = s.rx_t_s ? " at t=" + fixed(*s.rx_t_s, 1) + "s" : std::string();
        if (!s.rx_new) {
            line += " | receiver: no new sample (last" + at + ": " + std::to_string(*s.rx_packets) + ")";
        } else {
            line += " | receiver" + at + ": " + std::to_string(*s.rx_packets) + " (" +
                    fixed(s.rx_pps.value_or(0), 0) + " pps, " + std::to_string(s.rx_lost.value_or(0)) + " lost so far)";
            if (s.rx_path_cpu_pct && *s.rx_path_cpu_pct >= 0)
                line += ", CPU: receive path " + fixed(*s.rx_path_cpu_pct, 1) + "%";
            if (s.rx_host_cpu_pct && *s.rx_host_cpu_pct >= 0)
                line += std::string(s.rx_path_cpu_pct && *s.rx_path_cpu_pct >= 0 ? "," : ", CPU:") +
                        " whole host " + fixed(*s.rx_host_cpu_pct, 0) + "% (incl. the generator if shared)";
        }
    }
    if (s.tsc_drift_warning && s.tsc_drift_ppm)
        line += " | WARNING: TSC drift " + fixed(*s.tsc_drift_ppm, 0) + " ppm from the kernel clock";
    return line;
}

boost::json::object live_json(const LiveSnapshot& s) {
    return {{"type", "interval"},
            {"t_s", s.t_s},
            {"packets", s.packets},
            {"bytes", s.bytes},
            {"pps", s.pps},
            {"mbps_l1", s.mbps_l1},
            {"mbps_l2", s.mbps_l2},
            {"tx_full_retries", s.tx_full_retries},
            {"tx_full_dropped", s.tx_full_dropped},
            {"late_bursts", s.late_bursts},
            {"descheduled_ms", opt(s.descheduled_ms)},
            {"progress_pct", live_progress_pct(s)},
            {"target_packets", opt(s.target_packets)},
            {"target_pps", opt(s.target_pps)},
            {"rx_packets", opt(s.rx_packets)},
            {"rx_pps", opt(s.rx_pps)},
            {"rx_lost", opt(s.rx_lost)},
            {"rx_t_s", opt(s.rx_t_s)},
            {"rx_sample_new", s.rx_new},
            {"rx_receive_path_cpu_pct", opt(s.rx_path_cpu_pct)},
            {"rx_host_cpu_busy_pct", opt(s.rx_host_cpu_pct)},
            {"tsc_drift_ppm", opt(s.tsc_drift_ppm)}};
}

void live_emit(LiveMode mode, const LiveSnapshot& s) {
    switch (mode) {
    case LiveMode::kQuiet: return;
    case LiveMode::kLines: log::info(live_line(s)); return;
    case LiveMode::kTty:
        // \033[K clears what a longer previous line left behind.
        std::fprintf(stdout, "\r%s\033[K", live_line(s).c_str());
        std::fflush(stdout);
        return;
    case LiveMode::kJson:
        std::fprintf(stdout, "%s\n", json_text(live_json(s)).c_str());
        std::fflush(stdout);
        return;
    }
}

void live_finish(LiveMode mode) {
    if (mode != LiveMode::kTty) return;
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

}  // namespace ebt
