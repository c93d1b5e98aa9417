// The receiver host's system monitor: every sample_rate s it reads per-core
// CPU ticks (/proc/stat), memory (/proc/meminfo, own VmRSS), the interface's
// sysfs statistics/ counters and the driver's ethtool -S counters (ioctl), as
// cumulative values; finish() summarises them (mean and peak) for the report.
// Reading never throws: a source that cannot be read is left out (and said
// so in the note) rather than failing the test.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "results.hpp"

namespace ebt {

// The window the live CPU figures are computed over: /proc/stat is
// tick-sampled here (no IRQ_TIME_ACCOUNTING), so a 1 s window of 100 ticks
// per CPU is too coarse to show; at least 2 s of samples.
inline constexpr double kLiveCpuWindowS = 2.0;

// Where the CPU counters come from: by default the real /proc files; tests
// pass synthetic text (the seam for feeding samples).
struct CpuSources {
    std::function<std::string()> proc_stat;   // /proc/stat text
    std::function<std::string()> self_stat;   // /proc/self/stat text (this process's utime + stime)
};

class SystemMonitor {
public:
    SystemMonitor(std::string ifname, double sample_rate_s, CpuSources sources = {});

    // One sample of every source, stamped t_s (seconds since traffic start).
    void sample(double t_s);

    // The summary over all samples taken; test_packets gives busy CPU ns per
    // packet.  Needs two samples for any CPU figure.
    SystemReport finish(uint64_t test_packets) const;

    // Live CPU shares, in percent of all CPUs' time, over the most recent
    // window of at least min_window_s: from the last sample back to the
    // latest earlier sample at least that far before it.  nullopt until the
    // samples span such a window (or when it holds no ticks).  The same
    // definitions as finish():
    //  - receive path: softirq ticks of all CPUs + xdp-recv's own utime +
    //    stime (receive_cpu_ns's definition), clamped to 100;
    //  - host busy: every busy counter of all CPUs (all but idle and iowait;
    //    busy_cpu_ns's definition: the generator too when it shares the host).
    std::optional<double> recent_receive_path_cpu_pct(double min_window_s = kLiveCpuWindowS) const;
    std::optional<double> recent_host_cpu_busy_pct(double min_window_s = kLiveCpuWindowS) const;

private:
    struct CpuWindow {
        uint64_t all = 0, busy = 0, receive = 0;   // ticks, all CPUs
    };
    // The ticks of the most recent window of at least min_window_s; nullopt
    // without one (or with no ticks in it).
    std::optional<CpuWindow> recent_window(double min_window_s) const;

    std::string ifname_;
    CpuSources sources_;
    double sample_rate_s_;
    std::vector<std::string> ethtool_names_;   // ETH_SS_STATS strings, fixed at start
    std::vector<std::string> sysfs_names_;     // statistics/* file names, sorted
    std::vector<std::string> sysfs_paths_;     // their full paths, built once
    std::vector<std::string> netdev_names_;    // sysfs names, then "ethtool." + ethtool names
    bool ethtool_failed_ = false;
    std::vector<uint64_t> ethtool_values_;     // scratch for one ethtool read (no per-sample allocation)
    std::vector<SystemSample> samples_;
    std::vector<uint64_t> own_ticks_;          // xdp-recv's utime + stime at each sample
    std::string missing_;                      // sources that could not be read
};

// Parsers, exposed for tests: /proc/stat text to per-core ticks ("cpuN" lines
// only, in order), /proc/meminfo or /proc/self/status text to one field in kB
// (0 if absent).
std::vector<CpuTicks> parse_proc_stat(const std::string& text);
uint64_t parse_kb_field(const std::string& text, const std::string& field);
// /proc/<pid>/stat text to utime + stime (clock ticks, all threads); 0 if malformed.
uint64_t parse_proc_cpu_ticks(const std::string& text);

}  // namespace ebt
