// receiver/system_monitor: the /proc parsers on fixed text, the live CPU
// figures on synthetic /proc/stat samples (CpuSources), and a real monitor
// on the loopback interface (no root needed).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <time.h>
#include <unistd.h>

#include "system_monitor.hpp"

namespace {

// Synthetic /proc/stat and /proc/self/stat: the test sets the cumulative
// counters, the monitor reads them as text through its CpuSources seam.
struct FakeProc {
    std::vector<ebt::CpuTicks> cpus;
    uint64_t own_utime = 0, own_stime = 0;

    std::string proc_stat() const {
        std::string t = "cpu  0 0 0 0 0 0 0 0 0 0\n";   // the aggregate line is ignored
        for (size_t i = 0; i < cpus.size(); ++i) {
            const auto& c = cpus[i];
            t += "cpu" + std::to_string(i);
            for (uint64_t v : {c.user, c.nice, c.system, c.idle, c.iowait, c.irq, c.softirq, c.steal})
                t += " " + std::to_string(v);
            t += " 0 0\n";
        }
        return t + "intr 1 2 3\nsoftirq 4 5 6\n";
    }
    std::string self_stat() const {
        return "4242 (xdp-recv) S 1 2 3 4 5 6 7 8 9 10 " + std::to_string(own_utime) + " " +
               std::to_string(own_stime) + " 0 0 20 0 3 0\n";
    }
    // One second on every CPU: 100 ticks, of which `user` user, `softirq`
    // softirq, `system` system, the rest idle; this process gets `own`
    // ticks of utime.
    void second(uint64_t user, uint64_t softirq, uint64_t system = 0, uint64_t own = 0) {
        for (auto& c : cpus) {
            c.user += user;
            c.softirq += softirq;
            c.system += system;
            c.idle += 100 - user - softirq - system;
        }
        own_utime += own;
    }
};

// A monitor on an interface that does not exist (no netdev counters) reading
// the fake's text.
std::unique_ptr<ebt::SystemMonitor> fake_monitor(const std::shared_ptr<FakeProc>& proc) {
    ebt::CpuSources src;
    src.proc_stat = [proc] { return proc->proc_stat(); };
    src.self_stat = [proc] { return proc->self_stat(); };
    return std::make_unique<ebt::SystemMonitor>("ebt-no-such-if", 1.0, src);
}

TEST(SystemMonitor, ParsesPerCoreLinesOnly) {
    const std::string text =
        "cpu  10 20 30 40 50 60 70 80 0 0\n"
        "cpu0 1 2 3 4 5 6 7 8 0 0\n"
        "cpu1 9 10 11 12 13 14 15 16 0 0\n"
        "intr 123 4 5\n"
        "softirq 1 2 3\n";
    const auto cpus = ebt::parse_proc_stat(text);
    ASSERT_EQ(cpus.size(), 2u);
    EXPECT_EQ(cpus[0].user, 1u);
    EXPECT_EQ(cpus[0].softirq, 7u);
    EXPECT_EQ(cpus[1].steal, 16u);
    EXPECT_TRUE(ebt::parse_proc_stat("garbage\ncpuX 1\n").empty());
}

TEST(SystemMonitor, ParsesKbFields) {
    const std::string text = "MemTotal:       16384 kB\nMemAvailable:    8192 kB\nVmRSS:\t  4242 kB\n";
    EXPECT_EQ(ebt::parse_kb_field(text, "MemTotal"), 16384u);
    EXPECT_EQ(ebt::parse_kb_field(text, "MemAvailable"), 8192u);
    EXPECT_EQ(ebt::parse_kb_field(text, "VmRSS"), 4242u);
    EXPECT_EQ(ebt::parse_kb_field(text, "Mem"), 0u);       // a prefix is not a field
    EXPECT_EQ(ebt::parse_kb_field("VmRSS: x kB\n", "VmRSS"), 0u);
}

TEST(SystemMonitor, ParsesOwnCpuTicks) {
    // utime (14th field) + stime (15th); the command name may hold spaces and ')'.
    const std::string text = "4242 (xdp) recv) S 1 2 3 4 5 6 7 8 9 10 123 45 0 0 20 0 3 0\n";
    EXPECT_EQ(ebt::parse_proc_cpu_ticks(text), 168u);
    EXPECT_EQ(ebt::parse_proc_cpu_ticks("garbage"), 0u);
    EXPECT_EQ(ebt::parse_proc_cpu_ticks("1 (x) S 1 2 3 4 5 6 7 8 9 10 x 45\n"), 0u);
}

int64_t process_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

TEST(SystemMonitor, RealSamplesOnLoopbackAreConsistent) {
    const uint64_t tick_ns = 1'000'000'000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
    ebt::SystemMonitor m("lo", 1.0);
    const int64_t cpu_before_first = process_cpu_ns();
    m.sample(0.0);
    const int64_t cpu_after_first = process_cpu_ns();
    // Spin until this process has used 30 ticks of CPU (measured, not
    // guessed from a loop count): far more than the reading's resolution.
    volatile uint64_t spin = 0;
    while (process_cpu_ns() - cpu_after_first < static_cast<int64_t>(30 * tick_ns))
        for (int i = 0; i < 100'000; ++i) spin = spin + 1;
    const int64_t cpu_before_last = process_cpu_ns();
    m.sample(1.0);
    const int64_t cpu_after_last = process_cpu_ns();
    const auto r = m.finish(1000);
    ASSERT_EQ(r.samples.size(), 2u);
    EXPECT_EQ(r.samples[0].cpus.size(), static_cast<size_t>(sysconf(_SC_NPROCESSORS_CONF)));
    EXPECT_EQ(r.cpus.size(), r.samples[0].cpus.size());
    EXPECT_GT(r.samples[0].mem_total_kb, 0u);
    EXPECT_GT(r.rss_kb_peak, 0u);
    EXPECT_GE(r.rss_kb_peak, r.rss_kb_mean);
    EXPECT_GE(r.mem_used_kb_peak, r.mem_used_kb_mean);
    EXPECT_EQ(r.user_hz, static_cast<uint32_t>(sysconf(_SC_CLK_TCK)));
    // busy ns is whole ticks: a multiple of 1e9 / USER_HZ.
    EXPECT_EQ(r.busy_cpu_ns % (1'000'000'000ull / r.user_hz), 0u);
    ASSERT_TRUE(r.busy_cpu_ns_per_packet.has_value());
    EXPECT_DOUBLE_EQ(*r.busy_cpu_ns_per_packet, static_cast<double>(r.busy_cpu_ns) / 1000.0);
    // The stated bounds: n_cpus x 8 ticks (busy), 3 x n_cpus + 2 ticks (receive path).
    const uint64_t tick = 1'000'000'000ull / r.user_hz, n = r.cpus.size();
    EXPECT_EQ(r.busy_cpu_ns_bound, n * 8 * tick);
    EXPECT_DOUBLE_EQ(*r.busy_cpu_ns_per_packet_bound, static_cast<double>(r.busy_cpu_ns_bound) / 1000.0);
    EXPECT_EQ(r.receive_cpu_ns_bound, (3 * n + 2) * tick);
    // This process spun: its own time is in the receive figure.  The
    // receive figure is softirq of all CPUs (in the samples) + this
    // process's utime + stime, so its own part is the rest; it must match
    // the CPU time measured around the two readings, within one tick per
    // truncated counter (utime and stime, at each end).
    ASSERT_TRUE(r.receive_cpu_ns_per_packet.has_value());
    EXPECT_EQ(r.receive_cpu_ns % tick, 0u);
    uint64_t softirq_ticks = 0;
    for (size_t c = 0; c < n; ++c) softirq_ticks += r.samples[1].cpus[c].softirq - r.samples[0].cpus[c].softirq;
    ASSERT_GE(r.receive_cpu_ns, softirq_ticks * tick);
    const auto own_ns = static_cast<int64_t>(r.receive_cpu_ns - softirq_ticks * tick);
    EXPECT_GE(own_ns, cpu_before_last - cpu_after_first - static_cast<int64_t>(2 * tick))
        << "this process's CPU time is missing from the receive figure";
    EXPECT_LE(own_ns, cpu_after_last - cpu_before_first + static_cast<int64_t>(2 * tick));
    EXPECT_GE(own_ns, static_cast<int64_t>(28 * tick));
    EXPECT_GT(r.busy_window_s, 0.99);
    bool has_rx_packets = false;
    for (const auto& [k, v] : r.netdev_delta) has_rx_packets |= k == "rx_packets";
    EXPECT_TRUE(has_rx_packets) << "sysfs statistics of lo";
    for (const auto& c : r.cpus) {
        EXPECT_LE(c.mean_busy_pct, 100.0);
        EXPECT_LE(c.mean_busy_pct, c.peak_busy_pct + 1e-9);
    }
    EXPECT_NE(r.note.find("tick"), std::string::npos);
}

TEST(SystemMonitor, LiveCpuUnknownUntilTwoSecondsOfSamples) {
    auto proc = std::make_shared<FakeProc>();
    proc->cpus.resize(2);
    auto m = fake_monitor(proc);
    EXPECT_FALSE(m->recent_host_cpu_busy_pct());
    EXPECT_FALSE(m->recent_receive_path_cpu_pct());
    m->sample(0.0);
    proc->second(10, 20);
    m->sample(1.0);
    // One 1 s window: not enough (tick-sampled), still unknown.
    EXPECT_FALSE(m->recent_host_cpu_busy_pct());
    EXPECT_FALSE(m->recent_receive_path_cpu_pct());
    proc->second(10, 20);
    m->sample(2.0);
    ASSERT_TRUE(m->recent_host_cpu_busy_pct());
    ASSERT_TRUE(m->recent_receive_path_cpu_pct());
    EXPECT_DOUBLE_EQ(m->recent_host_cpu_busy_pct().value(), 30.0);
    EXPECT_DOUBLE_EQ(m->recent_receive_path_cpu_pct().value(), 20.0);
}

TEST(SystemMonitor, LiveCpuSharesHaveTheReportsDefinitions) {
    // Two CPUs, 2 s: per CPU 200 ticks; busy = user + system + softirq (+ nice,
    // irq, steal); receive path = softirq of all CPUs + this process's own
    // utime + stime, both as a share of all CPUs' ticks.
    auto proc = std::make_shared<FakeProc>();
    proc->cpus.resize(2);
    auto m = fake_monitor(proc);
    m->sample(0.0);
    for (int i = 0; i < 2; ++i) {
        proc->second(/*user=*/20, /*softirq=*/10, /*system=*/5, /*own=*/6);
        proc->cpus[1].nice += 4;   // nice, irq and steal are busy too, not receive path
        proc->cpus[1].irq += 2;
        proc->cpus[1].steal += 1;
        proc->cpus[1].idle -= 7;
        proc->cpus[0].iowait += 3;   // iowait is idle
        proc->cpus[0].idle -= 3;
        proc->own_stime += 2;
    }
    m->sample(2.0);
    const double all = 2 * 2 * 100;
    const double busy = 2 * (2 * (20 + 10 + 5) + 4 + 2 + 1);
    const double receive = 2 * (2 * 10) + 2 * (6 + 2);
    ASSERT_TRUE(m->recent_host_cpu_busy_pct());
    EXPECT_DOUBLE_EQ(m->recent_host_cpu_busy_pct().value(), 100.0 * busy / all);
    ASSERT_TRUE(m->recent_receive_path_cpu_pct());
    EXPECT_DOUBLE_EQ(m->recent_receive_path_cpu_pct().value(), 100.0 * receive / all);
    // The whole run is one such window here: the report's receive_cpu_ns
    // counts the same ticks.
    const auto r = m->finish(1);
    const uint64_t tick = 1'000'000'000ull / r.user_hz;
    EXPECT_EQ(r.receive_cpu_ns, static_cast<uint64_t>(receive) * tick);
    EXPECT_EQ(r.busy_cpu_ns, static_cast<uint64_t>(busy) * tick);
}

TEST(SystemMonitor, OwnCpuTimeAloneMovesTheReceivePath) {
    // No softirq at all, only this process's utime/stime (/proc/self/stat)
    // moving: the receive path is exactly those ticks, the host figure
    // is only /proc/stat's.
    auto proc = std::make_shared<FakeProc>();
    proc->cpus.resize(2);
    auto m = fake_monitor(proc);
    m->sample(0.0);
    proc->second(/*user=*/30, /*softirq=*/0, /*system=*/0, /*own=*/17);
    proc->own_stime += 5;
    proc->second(30, 0, 0, 0);
    m->sample(2.0);
    ASSERT_TRUE(m->recent_receive_path_cpu_pct());
    EXPECT_DOUBLE_EQ(m->recent_receive_path_cpu_pct().value(), 100.0 * (17 + 5) / 400.0);
    EXPECT_DOUBLE_EQ(m->recent_host_cpu_busy_pct().value(), 30.0);
    const auto r = m->finish(1);
    const uint64_t tick = 1'000'000'000ull / r.user_hz;
    EXPECT_EQ(r.receive_cpu_ns, uint64_t{17 + 5} * tick);
    EXPECT_EQ(r.busy_cpu_ns, uint64_t{2 * 2 * 30} * tick);
}

TEST(SystemMonitor, LiveCpuUsesTheMostRecentTwoSecondWindow) {
    auto proc = std::make_shared<FakeProc>();
    proc->cpus.resize(2);
    auto m = fake_monitor(proc);
    m->sample(0.0);
    for (int t = 1; t <= 3; ++t) {   // 3 quiet seconds
        proc->second(1, 0);
        m->sample(t);
    }
    proc->second(40, 10, 0, 20);     // then two loaded seconds, different from each other
    m->sample(4.0);
    proc->second(60, 30, 0, 40);
    m->sample(5.0);
    // Window [3, 5]: neither the whole run nor only the last second.
    EXPECT_DOUBLE_EQ(m->recent_host_cpu_busy_pct().value(), (50.0 + 90.0) / 2);
    EXPECT_DOUBLE_EQ(m->recent_receive_path_cpu_pct().value(), 100.0 * (2 * (10 + 30) + 20 + 40) / 400.0);
    // A larger window is the caller's to ask for.
    EXPECT_DOUBLE_EQ(m->recent_host_cpu_busy_pct(5.0).value(), 100.0 * (2 * 3 * 1 + 2 * (50 + 90)) / 1000.0);
    EXPECT_FALSE(m->recent_host_cpu_busy_pct(5.5));
}

TEST(SystemMonitor, LiveCpuWindowStartsAtTheLatestSampleFarEnoughBack) {
    // Irregular sample times: at 3.6 the window starts at 1.5 (2.1 s back),
    // not at 2.9 (too short) nor at 0 (older than needed).
    auto proc = std::make_shared<FakeProc>();
    proc->cpus.resize(1);
    auto m = fake_monitor(proc);
    m->sample(0.0);
    proc->second(90, 0);
    m->sample(1.5);
    proc->second(10, 0);
    m->sample(2.9);
    EXPECT_DOUBLE_EQ(m->recent_host_cpu_busy_pct().value(), 50.0);   // [0, 2.9]
    proc->second(30, 0);
    m->sample(3.6);
    EXPECT_DOUBLE_EQ(m->recent_host_cpu_busy_pct().value(), 20.0);   // [1.5, 3.6]
}

TEST(SystemMonitor, LiveCpuEdgeCases) {
    auto proc = std::make_shared<FakeProc>();
    proc->cpus.resize(2);
    auto m = fake_monitor(proc);
    m->sample(0.0);
    m->sample(2.5);   // no ticks at all in the window: unknown, not 0/0
    EXPECT_FALSE(m->recent_host_cpu_busy_pct());
    EXPECT_FALSE(m->recent_receive_path_cpu_pct());
    // This process's ticks and the CPUs' are read separately: a receive
    // share over 100 is clamped (the sample message allows 0..100).
    proc->second(0, 90);
    proc->own_utime += 30;
    m->sample(5.0);
    EXPECT_DOUBLE_EQ(m->recent_receive_path_cpu_pct().value(), 100.0);
    EXPECT_DOUBLE_EQ(m->recent_host_cpu_busy_pct().value(), 90.0);
    // A CPU that vanished from /proc/stat: only the CPUs in both samples count.
    proc->cpus.resize(1);
    proc->second(50, 0);
    m->sample(7.5);
    EXPECT_DOUBLE_EQ(m->recent_host_cpu_busy_pct().value(), 50.0);
}

TEST(SystemMonitor, MissingInterfaceIsNotedNotFatal) {
    ebt::SystemMonitor m("ebt-no-such-if", 1.0);
    m.sample(0.0);
    const auto r = m.finish(0);
    EXPECT_TRUE(r.samples[0].netdev.empty());
    EXPECT_FALSE(r.busy_cpu_ns_per_packet.has_value());
    EXPECT_NE(r.note.find("unreadable"), std::string::npos);
}

}  // namespace
