// The receiver host's system monitor: every sample_rate s it reads per-core
// CPU ticks (/proc/stat), memory (/proc/meminfo, own VmRSS), the interface's
// sysfs statistics/ counters and the driver's ethtool -S counters (ioctl), as
// cumulative values; finish() summarises them (mean and peak) for the report.
// Reading never throws: a source that cannot be read is left out (and said
// so in the note) rather than failing the test.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results.hpp"

namespace ebt {

class SystemMonitor {
public:
    SystemMonitor(std::string ifname, double sample_rate_s);

    // One sample of every source, stamped t_s (seconds since traffic start).
    void sample(double t_s);

    // The summary over all samples taken; test_packets gives busy CPU ns per
    // packet.  Needs two samples for any CPU figure.
    SystemReport finish(uint64_t test_packets) const;

    // Busy share of all CPUs (all but idle and iowait, softirq included)
    // between the last two samples, in percent; nullopt before two samples.
    // Tick-sampled: coarse over short windows (the note in the report).
    std::optional<double> last_busy_pct() const;

private:
    std::string ifname_;
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
