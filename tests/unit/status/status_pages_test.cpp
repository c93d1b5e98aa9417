// common/status/status_pages: /status, /health and /metrics from a snapshot
// (live numbers, checks, bounded flow labels, promtool-clean), the handler's
// routes, and the receiver host's live CPU figures (receive path and
// whole-host busy, -1 while unknown).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include <boost/json.hpp>
#include <unistd.h>

#include "status_pages.hpp"
#include "require.hpp"

namespace {

ebt::StatusSnapshot receiver(double receive_path, double host_busy) {
    ebt::StatusSnapshot s;
    s.role = "receiver";
    s.state = "running";
    s.test_id = 7;
    s.receive_path_cpu_pct = receive_path;
    s.host_cpu_busy_pct = host_busy;
    return s;
}

bool promtool_accepts(const std::string& text) {
    char tmpl[] = "/tmp/ebt-metrics-XXXXXX";
    const int fd = mkstemp(tmpl);
    if (fd < 0) return false;
    const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    const int rc = std::system((std::string("promtool check metrics < ") + tmpl + " >/dev/null 2>&1").c_str());
    unlink(tmpl);
    return written && rc == 0;
}

ebt::StatusSnapshot running_receiver() {
    ebt::StatusSnapshot s;
    s.role = "receiver";
    s.state = "running";
    s.test_id = 77;
    s.test_name = "T";
    s.elapsed_s = 2.5;
    s.received_packets = 1000;
    s.rx_pps = 400;
    s.lost = 2;
    s.interface = "eth0";
    s.xdp_mode = "native";
    for (uint32_t i = 0; i < 10; ++i) s.flows.push_back({i, 100});
    s.checks = {{"kernel", true, "6.18"}, {"BTF", true, "present"}};
    return s;
}

}  // namespace

TEST(StatusCpu, StatusCarriesBothFiguresMinusOneWhenUnknown) {
    const auto known = boost::json::parse(ebt::status_json(receiver(12.5, 40))).as_object();
    EXPECT_DOUBLE_EQ(known.at("receive_path_cpu_pct").to_number<double>(), 12.5);
    EXPECT_DOUBLE_EQ(known.at("host_cpu_busy_pct").to_number<double>(), 40.0);
    ebt::StatusSnapshot fresh;   // a new snapshot knows nothing yet
    fresh.role = "receiver";
    const auto unknown = boost::json::parse(ebt::status_json(fresh)).as_object();
    EXPECT_DOUBLE_EQ(unknown.at("receive_path_cpu_pct").to_number<double>(), -1.0);
    EXPECT_DOUBLE_EQ(unknown.at("host_cpu_busy_pct").to_number<double>(), -1.0);
}

TEST(StatusCpu, MetricsExportKnownFiguresOnly) {
    const std::string m = ebt::metrics_text(receiver(12.5, 40), 4);
    EXPECT_NE(m.find("# TYPE ebt_receive_path_cpu_percent gauge"), std::string::npos) << m;
    EXPECT_NE(m.find("ebt_receive_path_cpu_percent{role=\"receiver\"} 12.5"), std::string::npos) << m;
    EXPECT_NE(m.find("# TYPE ebt_host_cpu_busy_percent gauge"), std::string::npos) << m;
    EXPECT_NE(m.find("ebt_host_cpu_busy_percent{role=\"receiver\"} 40"), std::string::npos) << m;
    // Unknown: no series at all rather than a -1 percentage.
    const std::string none = ebt::metrics_text(receiver(-1, -1), 4);
    EXPECT_EQ(none.find("cpu"), std::string::npos) << none;
    const std::string half = ebt::metrics_text(receiver(-1, 3), 4);
    EXPECT_EQ(half.find("ebt_receive_path_cpu_percent"), std::string::npos) << half;
    EXPECT_NE(half.find("ebt_host_cpu_busy_percent{role=\"receiver\"} 3"), std::string::npos) << half;
    REQUIRE_OR_SKIP(std::system("command -v promtool >/dev/null 2>&1") == 0, "promtool not installed");
    EXPECT_TRUE(promtool_accepts(m)) << m;
    EXPECT_TRUE(promtool_accepts(half)) << half;
}

TEST(StatusPages, StatusIsJsonWithTheLiveNumbers) {
    const std::string j = ebt::status_json(running_receiver());
    EXPECT_NE(j.find("\"state\":\"running\""), std::string::npos) << j;
    EXPECT_NE(j.find("\"test_id\":77"), std::string::npos) << j;
    EXPECT_NE(j.find("\"rx_pps\":400,"), std::string::npos) << j;  // a whole number, as an integer
    ebt::StatusSnapshot idle;
    idle.role = "receiver";
    EXPECT_NE(ebt::status_json(idle).find("\"test_id\":null"), std::string::npos);
}

TEST(StatusPages, HealthReflectsTheChecks) {
    auto s = running_receiver();
    EXPECT_NE(ebt::health_json(s).find("\"status\":\"ok\""), std::string::npos);
    s.checks.push_back({"interface", false, "down"});
    EXPECT_NE(ebt::health_json(s).find("\"status\":\"degraded\""), std::string::npos);
}

TEST(StatusPages, MetricsBoundFlowLabelsAndPassPromtool) {
    const std::string m = ebt::metrics_text(running_receiver(), 4);
    EXPECT_NE(m.find("ebt_flow_rx_packets_total{role=\"receiver\",flow=\"3\"} 100"), std::string::npos) << m;
    EXPECT_EQ(m.find("flow=\"4\""), std::string::npos) << m;
    EXPECT_NE(m.find("ebt_rx_lost_packets{role=\"receiver\"} 2"), std::string::npos) << m;
    REQUIRE_OR_SKIP(std::system("command -v promtool >/dev/null 2>&1") == 0, "promtool not installed");
    EXPECT_TRUE(promtool_accepts(m)) << m;
}

TEST(StatusPages, HandlerRoutes) {
    ebt::SharedStatus shared;
    shared.update(running_receiver());
    const auto h = ebt::status_handler(shared, 8);
    EXPECT_EQ(h("/health").status, 200u);
    EXPECT_EQ(h("/status").content_type, "application/json");
    EXPECT_EQ(h("/metrics").content_type, "text/plain; version=0.0.4");
    EXPECT_EQ(h("/other").status, 404u);
}
