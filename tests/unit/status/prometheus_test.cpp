// common/status/prometheus: the Prometheus text format (families once with
// HELP and TYPE, escaping, bounded cardinality, refused names), checked by
// promtool where it is installed.
#include <gtest/gtest.h>

#include "require.hpp"  // tests/support
#include "temp_dir.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "prometheus.hpp"

using ebt::test::TempDir;

TEST(Prometheus, FamiliesOnceWithHelpAndType) {
    ebt::PrometheusText m;
    m.family("ebt_rx_packets_total", ebt::PrometheusText::Type::Counter, "Test packets received.");
    m.sample("ebt_rx_packets_total", 42, {{"side", "receiver"}});
    m.sample("ebt_rx_packets_total", 7, {{"side", "generator"}});
    m.family("ebt_state", ebt::PrometheusText::Type::Gauge, "1 for the current state.");
    m.sample("ebt_state", 1, {{"state", "running \"x\"\n"}});
    const std::string t = m.str();
    EXPECT_NE(t.find("# HELP ebt_rx_packets_total Test packets received.\n# TYPE ebt_rx_packets_total counter\n"
                     "ebt_rx_packets_total{side=\"receiver\"} 42\nebt_rx_packets_total{side=\"generator\"} 7\n"),
              std::string::npos)
        << t;
    EXPECT_NE(t.find("ebt_state{state=\"running \\\"x\\\"\\n\"} 1\n"), std::string::npos) << t;
}

TEST(Prometheus, CardinalityIsBounded) {
    ebt::PrometheusText m(3);
    m.family("ebt_flow_packets", ebt::PrometheusText::Type::Gauge, "Per flow.");
    for (int i = 0; i < 10; ++i) m.sample("ebt_flow_packets", i, {{"flow", std::to_string(i)}});
    const std::string t = m.str();
    EXPECT_NE(t.find("flow=\"2\""), std::string::npos);
    EXPECT_EQ(t.find("flow=\"3\""), std::string::npos);
    EXPECT_NE(t.find("ebt_metrics_samples_dropped_total 7\n"), std::string::npos) << t;
}

TEST(Prometheus, BadNamesAreRefused) {
    ebt::PrometheusText m;
    EXPECT_THROW(m.family("1bad", ebt::PrometheusText::Type::Gauge, "x"), std::invalid_argument);
    EXPECT_THROW(m.sample("undeclared", 1), std::invalid_argument);
    m.family("ok_metric", ebt::PrometheusText::Type::Gauge, "x");
    EXPECT_THROW(m.family("ok_metric", ebt::PrometheusText::Type::Counter, "x"), std::invalid_argument);
    EXPECT_THROW(m.sample("ok_metric", 1, {{"__reserved", "v"}}), std::invalid_argument);
}

TEST(Prometheus, PromtoolAcceptsTheOutput) {
    REQUIRE_OR_SKIP(std::system("command -v promtool >/dev/null 2>&1") == 0, "promtool not installed");
    ebt::PrometheusText m;
    m.family("ebt_rx_packets_total", ebt::PrometheusText::Type::Counter, "Test packets received.");
    m.sample("ebt_rx_packets_total", 42, {{"side", "receiver"}});
    m.family("ebt_rx_pps", ebt::PrometheusText::Type::Gauge, "Receive rate, packets per second.");
    m.sample("ebt_rx_pps", 1234.5);
    TempDir dir("ebt-sec-");
    const std::string f = dir.write("metrics.txt", m.str());
    EXPECT_EQ(std::system(("promtool check metrics < " + f + " >/dev/null 2>&1").c_str()), 0);
    // And the check can fail: a malformed exposition is rejected.
    const std::string bad = dir.write("bad.txt", "# TYPE x counter\nx{a=\"1} 2\n");
    EXPECT_NE(std::system(("promtool check metrics < " + bad + " >/dev/null 2>&1").c_str()), 0);
}
