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
    "host); tick-sampled, so an estimate whose resolution is 1 tick per CPU per field";

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

SystemMonitor::SystemMonitor(std::string ifname, double sample_rate_s)
    : ifname_(std::move(ifname)), sample_rate_s_(sample_rate_s) {
    ethtool_names_ = ethtool_stat_names(ifname_);
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/sys/class/net/" + ifname_ + "/statistics", ec))
        sysfs_names_.push_back(e.path().filename().string());
    std::sort(sysfs_names_.begin(), sysfs_names_.end());
    if (sysfs_names_.empty()) missing_ += " /sys/class/net/" + ifname_ + "/statistics unreadable;";
    if (ethtool_names_.empty()) missing_ += " no ethtool -S statistics from the driver;";
}

void SystemMonitor::sample(double t_s) {
    SystemSample s;
    s.t_s = t_s;
    s.cpus = parse_proc_stat(read_text("/proc/stat"));
    const std::string meminfo = read_text("/proc/meminfo");
    s.mem_total_kb = parse_kb_field(meminfo, "MemTotal");
    s.mem_available_kb = parse_kb_field(meminfo, "MemAvailable");
    s.rss_kb = parse_kb_field(read_text("/proc/self/status"), "VmRSS");
    const std::string dir = "/sys/class/net/" + ifname_ + "/statistics/";
    for (const auto& n : sysfs_names_) {
        uint64_t v = 0;
        std::ifstream in(dir + n);
        in >> v;   // unreadable: 0 (a counter that vanished with the interface)
        s.netdev.emplace_back(n, v);
    }
    std::vector<uint64_t> values;
    if (!ethtool_names_.empty() && ethtool_stat_values(ifname_, ethtool_names_.size(), values))
        for (size_t i = 0; i < values.size(); ++i) s.netdev.emplace_back("ethtool." + ethtool_names_[i], values[i]);
    samples_.push_back(std::move(s));
}

std::optional<double> SystemMonitor::last_busy_pct() const {
    if (samples_.size() < 2) return std::nullopt;
    const auto& a = samples_[samples_.size() - 2].cpus;
    const auto& b = samples_.back().cpus;
    uint64_t total = 0, idle = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        auto sum = [](const CpuTicks& c) {
            return c.user + c.nice + c.system + c.idle + c.iowait + c.irq + c.softirq + c.steal;
        };
        total += sum(b[i]) - sum(a[i]);
        idle += (b[i].idle + b[i].iowait) - (a[i].idle + a[i].iowait);
    }
    if (total == 0) return std::nullopt;
    return 100.0 * static_cast<double>(total - idle) / static_cast<double>(total);
}

SystemReport SystemMonitor::finish(uint64_t test_packets) const {
    SystemReport r;
    r.sample_rate_s = sample_rate_s_;
    r.user_hz = static_cast<uint32_t>(sysconf(_SC_CLK_TCK));
    r.note = kNote;
    if (!missing_.empty()) r.note += ". Not available:" + missing_;
    r.busy_method = kBusyMethod;
    r.samples = samples_;
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
    if (first.netdev.size() == last.netdev.size())
        for (size_t i = 0; i < last.netdev.size(); ++i)
            r.netdev_delta.emplace_back(last.netdev[i].first, last.netdev[i].second - first.netdev[i].second);

    const size_t ncpu = first.cpus.size();
    uint64_t busy_total = 0;
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
        r.cpus.push_back(cs);
    }
    if (r.user_hz > 0) r.busy_cpu_ns = busy_total * (1'000'000'000ull / r.user_hz);
    if (test_packets > 0 && samples_.size() >= 2)
        r.busy_cpu_ns_per_packet = static_cast<double>(r.busy_cpu_ns) / static_cast<double>(test_packets);
    return r;
}

}  // namespace ebt
