// generator/live_output: what the live line says about the receiver's
// sample (new or not, its own time) and CPU (each figure with its scope).
#include <gtest/gtest.h>

#include "live_output.hpp"

using namespace ebt;

namespace {
LiveSnapshot with_receiver() {
    LiveSnapshot s;
    s.t_s = 6.0;
    s.packets = 60000;
    s.pps = 10000;
    s.target_pps = 10000;
    s.rx_packets = 49900;
    s.rx_pps = 9980;
    s.rx_lost = 0;
    s.rx_t_s = 4.95;
    s.rx_new = true;
    s.rx_path_cpu_pct = 3.25;
    s.rx_host_cpu_pct = 51;
    return s;
}
bool has(const std::string& line, const std::string& part) { return line.find(part) != std::string::npos; }
}  // namespace

TEST(LiveLine, ReceiverFiguresCarryTheirTimeAndScope) {
    const std::string line = live_line(with_receiver());
    EXPECT_TRUE(has(line, "receiver at t=5.0s: 49900 (9980 pps, 0 lost so far)")) << line;
    // The receive path first, then the whole host, each named.
    const auto path = line.find("receive path 3.2%"), host = line.find("whole host 51% (incl. the generator if shared)");
    ASSERT_NE(path, std::string::npos) << line;
    ASSERT_NE(host, std::string::npos) << line;
    EXPECT_LT(path, host);
}

TEST(LiveLine, AnOldSampleIsNotShownAsNew) {
    LiveSnapshot s = with_receiver();
    s.rx_new = false;
    const std::string line = live_line(s);
    EXPECT_TRUE(has(line, "receiver: no new sample (last at t=5.0s: 49900)")) << line;
    EXPECT_FALSE(has(line, "pps, 0 lost")) << line;
    const auto j = live_json(s);
    EXPECT_FALSE(j.at("rx_sample_new").as_bool());
    EXPECT_DOUBLE_EQ(j.at("rx_t_s").as_double(), 4.95);
}

TEST(LiveLine, UnknownCpuIsLeftOutAndDriftWarns) {
    LiveSnapshot s = with_receiver();
    s.rx_path_cpu_pct.reset();
    s.rx_host_cpu_pct.reset();
    EXPECT_FALSE(has(live_line(s), "CPU")) << live_line(s);
    s.tsc_drift_ppm = 150;
    s.tsc_drift_warning = true;
    EXPECT_TRUE(has(live_line(s), "WARNING: TSC drift 150 ppm")) << live_line(s);
    s.tsc_drift_warning = false;
    EXPECT_FALSE(has(live_line(s), "WARNING")) << live_line(s);
}
