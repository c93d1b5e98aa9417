// receiver/system_monitor: the /proc parsers on fixed text, and a real
// monitor on the loopback interface (no root needed).
#include <gtest/gtest.h>

#include <unistd.h>

#include "system_monitor.hpp"

namespace {

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

TEST(SystemMonitor, RealSamplesOnLoopbackAreConsistent) {
    ebt::SystemMonitor m("lo", 1.0);
    m.sample(0.0);
    volatile uint64_t spin = 0;
    for (int i = 0; i < 20'000'000; ++i) spin = spin + 1;   // some CPU to account
    m.sample(1.0);
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
    // This process spun: its own time is in the receive figure, within the bound.
    ASSERT_TRUE(r.receive_cpu_ns_per_packet.has_value());
    EXPECT_EQ(r.receive_cpu_ns % tick, 0u);
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

TEST(SystemMonitor, MissingInterfaceIsNotedNotFatal) {
    ebt::SystemMonitor m("ebt-no-such-if", 1.0);
    m.sample(0.0);
    const auto r = m.finish(0);
    EXPECT_TRUE(r.samples[0].netdev.empty());
    EXPECT_FALSE(r.busy_cpu_ns_per_packet.has_value());
    EXPECT_NE(r.note.find("unreadable"), std::string::npos);
}

}  // namespace
