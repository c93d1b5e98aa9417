// Kernel BPF run-time statistics (run_time_ns / run_cnt per program), turned
// on with bpf_enable_stats(BPF_STATS_RUN_TIME) rather than the sysctl: the
// kernel keeps them on exactly while the returned fd is open, so they are
// off again on every exit path, crash included.
#pragma once

#include <optional>
#include <string>

#include "results.hpp"

#include "xdp_program.hpp"

namespace ebt {

class BpfStatsEnabler {
public:
    // Never throws: when the kernel refuses, ok() is false and error() says why.
    BpfStatsEnabler();
    bool ok() const { return fd_.get() >= 0; }
    const std::string& error() const { return error_; }

private:
    UniqueFd fd_;
    std::string error_;
};

// The method line the report carries with the figures.
inline constexpr const char* kProgCostMethod =
    "kernel BPF run-time stats (bpf_enable_stats(BPF_STATS_RUN_TIME)): run_time_ns / run_cnt of "
    "the XDP program from bpf_prog_info, differenced per window; run_time_ns includes the "
    "kernel's own two clock reads around each run";

// Program cost over a test and per window: run stats since start() (the
// counters' reset) differenced at each sample.  Inert when stats are off.
class ProgCostTracker {
public:
    void start(const XdpProgram& prog, bool stats_on);
    void sample(const XdpProgram& prog, double t_s);
    std::optional<ProgCostReport> finish(const XdpProgram& prog);

private:
    bool enabled_ = false;
    ProgRunStats base_, last_;
    ProgCostReport report_;
};

}  // namespace ebt
