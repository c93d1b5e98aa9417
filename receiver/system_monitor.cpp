// See system_monitor.hpp.
#include "system_monitor.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xdp_program.hpp"   // UniqueFd

namespace ebt {

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

constexpr const char* kNote =
    "CPU shares come from /proc/stat, which this kernel fills by sampling each CPU on its "
    "timer tick (no IRQ_TIME_ACCOUNTING): softirq time, where XDP runs, is attributed per tick, "
    "so windows shorter than ~2 s are coarse; memory and interface counters are exact at each sample";

constexpr const char* kBusyMethod =
    "busy CPU ns = sum over all CPUs of /proc/stat ticks other than idle and iowait (user, nice, "
    "system, irq, softirq, steal) between the first and the last sample, times 1e9/USER_HZ; "
    "whole host (every process, softirq included, and the generator too when it shares the "
    "host); tick-sampled. Error bound (busy_cpu_ns_bound): per CPU, each of the 6 busy counters is "
    "read truncated to whole USER_HZ ticks (difference off by less than 1 tick each), and the kernel "
    "accounts whole timer ticks (1/HZ <= 1/USER_HZ here), so each window boundary may miss up to 1 "
    "tick: n_cpus x (6 + 2) x 1e9/USER_HZ ns. That bounds the reading, not the tick sampling "
    "itself, which attributes each tick to whatever the CPU does at that instant";

constexpr const char* kReceiveMethod =
    "receive CPU ns = softirq ticks of all CPUs (/proc/stat: XDP, and the kernel's receive path up "
    "to the UDP socket queue, run in softirq) + xdp-recv's own utime + stime (/proc/self/stat: the "
    "baseline's receive threads, the sampling loop) between the first and the last sample, times "
    "1e9/USER_HZ; excludes the generator and other processes sharing the host, but the kernel's "
    "receive work done outside softirq (in the sender's system time on a veth) is not in it. "
    "Tick-sampled; error bound (receive_cpu_ns_bound): per CPU the softirq counter read truncated "
    "(< 1 tick) and one tick at each window boundary, plus 2 ticks for the truncated utime and "
    "stime: (3 x n_cpus + 2) x 1e9/USER_HZ ns";

// Per CPU: 6 busy counters truncated once each, plus one kernel tick at each
// of the window's two boundaries (HZ >= USER_HZ on Linux: a kernel tick is
// at most one USER_HZ tick).
constexpr uint64_t kBoundTicksPerCpu = 6 + 2;

// ethtool ioctl on ifname; false if the driver does not answer.
bool ethtool_ioctl(const std::string& ifname, void* data) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ) return false;
    UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (s.get() < 0) return false;
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
    ifr.ifr_data = static_cast<char*>(data);
    return ioctl(s.get(), SIOCETHTOOL, &ifr) == 0;
}

std::vector<std::string> ethtool_stat_names(const std::string& ifname) {
    ethtool_drvinfo info{};
    info.cmd = ETHTOOL_GDRVINFO;
    if (!ethtool_ioctl(ifname, &info) || info.n_stats == 0 || info.n_stats > 100000) return {};
    const size_t n = info.n_stats;
    std::vector<uint8_t> buf(sizeof(ethtool_gstrings) + n * ETH_GSTRING_LEN);
    auto* gs = reinterpret_cast<ethtool_gstrings*>(buf.data());
    gs->cmd = ETHTOOL_GSTRINGS;
    gs->string_set = ETH_SS_STATS;
    gs->len = static_cast<uint32_t>(n);
    if (!ethtool_ioctl(ifname, gs)) return {};
    std::vector<std::string> names;
    for (size_t i = 0; i < std::min<size_t>(gs->len, n); ++i) {
        const char* p = reinterpret_cast<const char*>(gs->data + i * ETH_GSTRING_LEN);
        names.emplace_back(p, strnlen(p, ETH_GSTRING_LEN));
    }
    return names;
}

bool ethtool_stat_values(const std::string& ifname, size_t n, std::vector<uint64_t>& out) {
    std::vector<uint8_t> buf(sizeof(ethtool_stats) + n * sizeof(uint64_t));
    auto* st = reinterpret_cast<ethtool_stats*>(buf.data());
    st->cmd = ETHTOOL_GSTATS;
    st->n_stats = static_cast<uint32_t>(n);
    if (!ethtool_ioctl(ifname, st) || st->n_stats != n) return false;
    out.resize(n);
    std::memcpy(out.data(), st->data, n * sizeof(uint64_t));
    return true;
}

uint64_t busy_ticks(const CpuTicks& t) { return t.user + t.nice + t.system + t.irq + t.softirq + t.steal; }
uint64_t all_ticks(const CpuTicks& t) { return busy_ticks(t) + t.idle + t.iowait; }

}  // namespace

std::vector<CpuTicks> parse_proc_stat(const std::string& text) {
    std::vector<CpuTicks> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.size() < 4 || line.compare(0, 3, "cpu") != 0 || !std::isdigit(static_cast<unsigned char>(line[3])))
            continue;
        std::istringstream f(line.substr(line.find(' ')));
        CpuTicks t;
        f >> t.user >> t.nice >> t.system >> t.idle >> t.iowait >> t.irq >> t.softirq >> t.steal;
        if (!f && !f.eof()) continue;
        out.push_back(t);
    }
    return out;
}

uint64_t parse_proc_cpu_ticks(const std::string& text) {
    // Fields after "(comm)" (which may hold spaces): state is field 3, so
    // utime (14) and stime (15) are the 12th and 13th tokens.
    const auto close = text.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream in(text.substr(close + 1));
    std::string tok;
    uint64_t utime = 0, stime = 0;
    for (int i = 1; i <= 13 && (in >> tok); ++i) {
        try {
            if (i == 12) utime = std::stoull(tok);
            if (i == 13) stime = std::stoull(tok);
        } catch (const std::exception&) {
            return 0;
        }
    }
    return utime + stime;
}

uint64_t parse_kb_field(const std::string& text, const std::string& field) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.compare(0, field.size() + 1, field + ":") != 0) continue;
        try {
            return std::stoull(line.substr(field.size() + 1));
        } catch (const std::exception&) {
            return 0;
        }
    }
    return 0;
}

SystemMonitor::SystemMonitor(std::string ifname, double sample_rate_s, CpuSources sources)
    : ifname_(std::move(ifname)), sources_(std::move(sources)), sample_rate_s_(sample_rate_s) {
    if (!sources_.proc_stat) sources_.proc_stat = [] { return read_text("/proc/stat"); };
    if (!sources_.self_stat) sources_.self_stat = [] { return read_text("/proc/self/stat"); };
    ethtool_names_ = ethtool_stat_names(ifname_);
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/sys/class/net/" + ifname_ + "/statistics", ec))
        sysfs_names_.push_back(e.path().filename().string());
    std::sort(sysfs_names_.begin(), sysfs_names_.end());
    if (sysfs_names_.empty()) missing_ += " /sys/class/net/" + ifname_ + "/statistics unreadable;";
    netdev_names_ = sysfs_names_;
    for (const auto& n : sysfs_names_) sysfs_paths_.push_back("/sys/class/net/" + ifname_ + "/statistics/" + n);
    for (const auto& n : ethtool_names_) netdev_names_.push_back("ethtool." + n);
    if (ethtool_names_.empty()) missing_ += " no ethtool -S statistics from the driver;";
}

void SystemMonitor::sample(double t_s) {
    SystemSample s;
    s.t_s = t_s;
    s.cpus = parse_proc_stat(sources_.proc_stat());
    const std::string meminfo = read_text("/proc/meminfo");
    s.mem_total_kb = parse_kb_field(meminfo, "MemTotal");
    s.mem_available_kb = parse_kb_field(meminfo, "MemAvailable");
    s.rss_kb = parse_kb_field(read_text("/proc/self/status"), "VmRSS");
    // Values only, in netdev_names_ order: a long test keeps one sample per
    // sample_rate s, so a sample must stay small (the soak's RSS goal).
    s.netdev.reserve(netdev_names_.size());
    for (const auto& path : sysfs_paths_) {
        uint64_t v = 0;
        std::ifstream in(path);
        in >> v;   // unreadable: 0 (a counter that vanished with the interface)
        s.netdev.push_back(v);
    }
    // A failed ethtool read repeats the previous sample's values (cumulative
    // counters: the window shows no change) and is noted once.
    const bool read_ok = !ethtool_names_.empty() &&
                         ethtool_stat_values(ifname_, ethtool_names_.size(), ethtool_values_) &&
                         ethtool_values_.size() == ethtool_names_.size();
    for (size_t i = 0; i < ethtool_names_.size(); ++i) {
        const size_t k = sysfs_names_.size() + i;
        s.netdev.push_back(read_ok ? ethtool_values_[i] : samples_.empty() ? 0 : samples_.back().netdev[k]);
    }
    if (!read_ok && !ethtool_names_.empty() && !ethtool_failed_) {
        ethtool_failed_ = true;
        missing_ += " an ethtool -S read failed (its counters repeat the previous sample);";
    }
    samples_.push_back(std::move(s));
    own_ticks_.push_back(parse_proc_cpu_ticks(sources_.self_stat()));
}

std::optional<SystemMonitor::CpuWindow> SystemMonitor::recent_window(double min_window_s) const {
    if (samples_.size() < 2) return std::nullopt;
    const size_t last = samples_.size() - 1;
    // The latest earlier sample at least min_window_s before the last one.
    size_t first = last;
    while (first > 0) {
        --first;
        if (samples_[last].t_s - samples_[first].t_s >= min_window_s) break;
    }
    if (samples_[last].t_s - samples_[first].t_s < min_window_s) return std::nullopt;
    const auto& a = samples_[first].cpus;
    const auto& b = samples_[last].cpus;
    // A counter never goes back; if one seems to (a CPU list that changed
    // under us), that CPU adds nothing rather than wrapping around.
    auto delta = [](uint64_t from, uint64_t to) { return to >= from ? to - from : 0; };
    CpuWindow w;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        w.all += delta(all_ticks(a[i]), all_ticks(b[i]));
        w.busy += delta(busy_ticks(a[i]), busy_ticks(b[i]));
        w.receive += delta(a[i].softirq, b[i].softirq);
    }
    w.receive += delta(own_ticks_[first], own_ticks_[last]);
    if (w.all == 0) return std::nullopt;
    return w;
}

std::optional<double> SystemMonitor::recent_receive_path_cpu_pct(double min_window_s) const {
    const auto w = recent_window(min_window_s);
    if (!w) return std::nullopt;
    // The process's own ticks and the per-CPU ticks are sampled separately:
    // their sum can pass the CPUs' total by a tick or two.
    return std::min(100.0, 100.0 * static_cast<double>(w->receive) / static_cast<double>(w->all));
}

std::optional<double> SystemMonitor::recent_host_cpu_busy_pct(double min_window_s) const {
    const auto w = recent_window(min_window_s);
    if (!w) return std::nullopt;
    return 100.0 * static_cast<double>(w->busy) / static_cast<double>(w->all);
}

SystemReport SystemMonitor::finish(uint64_t test_packets) const {
    SystemReport r;
    r.sample_rate_s = sample_rate_s_;
    r.user_hz = static_cast<uint32_t>(sysconf(_SC_CLK_TCK));
    r.note = kNote;
    if (!missing_.empty()) r.note += ". Not available:" + missing_;
    r.busy_method = kBusyMethod;
    r.samples = samples_;
    r.netdev_names = netdev_names_;
    if (samples_.empty()) return r;

    uint64_t used_sum = 0, rss_sum = 0;
    for (const auto& s : samples_) {
        const uint64_t used = s.mem_total_kb - std::min(s.mem_total_kb, s.mem_available_kb);
        used_sum += used;
        rss_sum += s.rss_kb;
        r.mem_used_kb_peak = std::max(r.mem_used_kb_peak, used);
        r.rss_kb_peak = std::max(r.rss_kb_peak, s.rss_kb);
    }
    r.mem_used_kb_mean = used_sum / samples_.size();
    r.rss_kb_mean = rss_sum / samples_.size();

    const auto& first = samples_.front();
    const auto& last = samples_.back();
    // A counter that went down (the interface vanished or was reset) has no delta: 0.
    for (size_t i = 0; i < netdev_names_.size() && i < first.netdev.size() && i < last.netdev.size(); ++i)
        r.netdev_delta.emplace_back(netdev_names_[i],
                                    last.netdev[i] >= first.netdev[i] ? last.netdev[i] - first.netdev[i] : 0);

    const size_t ncpu = first.cpus.size();
    uint64_t busy_total = 0, softirq_total = 0;
    for (size_t c = 0; c < ncpu; ++c) {
        CpuSummary cs;
        cs.cpu = static_cast<uint32_t>(c);
        uint64_t busy = 0, soft = 0, all = 0;
        for (size_t i = 1; i < samples_.size(); ++i) {
            if (samples_[i].cpus.size() != ncpu || samples_[i - 1].cpus.size() != ncpu) continue;
            const auto& a = samples_[i - 1].cpus[c];
            const auto& b = samples_[i].cpus[c];
            const uint64_t w_all = all_ticks(b) - all_ticks(a);
            const uint64_t w_busy = busy_ticks(b) - busy_ticks(a);
            const uint64_t w_soft = b.softirq - a.softirq;
            busy += w_busy;
            soft += w_soft;
            all += w_all;
            if (w_all > 0) {
                cs.peak_busy_pct = std::max(cs.peak_busy_pct, 100.0 * static_cast<double>(w_busy) / static_cast<double>(w_all));
                cs.peak_softirq_pct = std::max(cs.peak_softirq_pct, 100.0 * static_cast<double>(w_soft) / static_cast<double>(w_all));
            }
        }
        if (all > 0) {
            cs.mean_busy_pct = 100.0 * static_cast<double>(busy) / static_cast<double>(all);
            cs.mean_softirq_pct = 100.0 * static_cast<double>(soft) / static_cast<double>(all);
        }
        busy_total += busy;
        softirq_total += soft;
        r.cpus.push_back(cs);
    }
    r.busy_window_s = last.t_s - first.t_s;
    if (r.user_hz > 0) {
        r.busy_cpu_ns = busy_total * (1'000'000'000ull / r.user_hz);
        r.busy_cpu_ns_bound = ncpu * kBoundTicksPerCpu * (1'000'000'000ull / r.user_hz);
    }
    r.receive_method = kReceiveMethod;
    if (r.user_hz > 0 && samples_.size() >= 2) {
        const uint64_t tick = 1'000'000'000ull / r.user_hz;
        r.receive_cpu_ns = (softirq_total + own_ticks_.back() - own_ticks_.front()) * tick;
        r.receive_cpu_ns_bound = (3 * ncpu + 2) * tick;
        if (test_packets > 0) {
            r.receive_cpu_ns_per_packet = static_cast<double>(r.receive_cpu_ns) / static_cast<double>(test_packets);
            r.receive_cpu_ns_per_packet_bound =
                static_cast<double>(r.receive_cpu_ns_bound) / static_cast<double>(test_packets);
        }
    }
    if (test_packets > 0 && samples_.size() >= 2) {
        r.busy_cpu_ns_per_packet = static_cast<double>(r.busy_cpu_ns) / static_cast<double>(test_packets);
        r.busy_cpu_ns_per_packet_bound = static_cast<double>(r.busy_cpu_ns_bound) / static_cast<double>(test_packets);
    }
    return r;
}

}  // namespace ebt
