// See bpf_stats.hpp.
#include "bpf_stats.hpp"

#include <cerrno>
#include <cstring>

#include <linux/bpf.h>

#include <bpf/bpf.h>

namespace ebt {

BpfStatsEnabler::BpfStatsEnabler() {
    const int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (fd < 0)
        error_ = std::string("bpf_enable_stats(BPF_STATS_RUN_TIME): ") + std::strerror(errno);
    else
        fd_ = UniqueFd(fd);
}

void ProgCostTracker::start(const XdpProgram& prog, bool stats_on) {
    enabled_ = stats_on;
    if (!enabled_) return;
    base_ = last_ = prog.read_run_stats();
    report_ = {};
    report_.method = kProgCostMethod;
}

void ProgCostTracker::sample(const XdpProgram& prog, double t_s) {
    if (!enabled_) return;
    const ProgRunStats now = prog.read_run_stats();
    report_.samples.push_back({t_s, now.run_cnt - last_.run_cnt, now.run_time_ns - last_.run_time_ns});
    last_ = now;
}

std::optional<ProgCostReport> ProgCostTracker::finish(const XdpProgram& prog) {
    if (!enabled_) return std::nullopt;
    const ProgRunStats now = prog.read_run_stats();
    report_.run_cnt = now.run_cnt - base_.run_cnt;
    report_.run_time_ns = now.run_time_ns - base_.run_time_ns;
    if (report_.run_cnt > 0)
        report_.ns_per_packet = static_cast<double>(report_.run_time_ns) / static_cast<double>(report_.run_cnt);
    return report_;
}

}  // namespace ebt
