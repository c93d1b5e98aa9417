// Results: the summary arithmetic, the receiver report's JSON form,
// results.json (checked against schema/results.schema.json), results.csv,
// results.md, the directory naming and the atomic file writes.
// Runs with cwd = repo root.
#include "results.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frame_sizes.hpp"
#include "json_text.hpp"
#include "require.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "temp_dir.hpp"  // tests/support

#include <functional>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace ebt;

namespace {


LatencyReport sample_latency() {
    LatencyReport l;
    l.samples = 3;
    l.negative = 1;
    l.negative_max_ns = 17;
    l.min_ns = 1000;
    l.mean_ns = 1500.5;
    l.max_ns = 2100;
    l.p50_ns = 1500;
    l.p90_ns = 2048;
    l.p99_ns = 2080;
    l.p99_9_ns = 2100;
    l.percentile_error_bound_pct = 3.125;
    l.method = "test";
    l.clock_offset_ns = -5;
    l.clock_offset_uncertainty = "unknown (no clock sync yet)";
    l.histogram = {{992, 1024, 1}, {1472, 1536, 1}, {2048, 2176, 1}, {uint64_t{1} << 40, 0, 0}};
    return l;
}

ProgCostReport sample_prog_cost() {
    ProgCostReport c;
    c.run_cnt = 4;
    c.run_time_ns = 130;
    c.ns_per_packet = 32.5;
    c.method = "bpf stats";
    c.samples = {{1.0, 3, 100}, {2.0, 1, 30}};
    return c;
}

SystemReport sample_system() {
    SystemReport s;
    s.sample_rate_s = 1;
    s.user_hz = 100;
    s.note = "ticks";
    s.cpus = {{0, 12.5, 20, 5, 8}, {1, 1, 2, 0, 0}};
    s.mem_used_kb_mean = 1000;
    s.mem_used_kb_peak = 1200;
    s.rss_kb_mean = 50;
    s.rss_kb_peak = 60;
    s.netdev_delta = {{"rx_packets", 990}, {"ethtool.rx_queue_0_xdp_drops", 990}};
    s.busy_cpu_ns = 20'000'000;
    s.busy_cpu_ns_bound = 160'000'000;
    s.busy_window_s = 1;
    s.busy_cpu_ns_per_packet = 20202.02;
    s.busy_cpu_ns_per_packet_bound = 161616.16;
    s.busy_method = "busy ticks";
    s.receive_cpu_ns = 10'000'000;
    s.receive_cpu_ns_bound = 80'000'000;
    s.receive_cpu_ns_per_packet = 10101.01;
    s.receive_cpu_ns_per_packet_bound = 80808.08;
    s.receive_method = "softirq ticks";
    s.netdev_names = {"rx_packets", "ethtool.rx_queue_0_xdp_drops"};
    s.samples = {{0.0, {{1, 2, 3, 4, 5, 6, 7, 8}, {1, 1, 1, 1, 1, 1, 1, 1}}, 4000, 3000, 50, {10, 0}},
                 {1.0, {{2, 2, 3, 5, 5, 6, 9, 8}, {1, 1, 1, 2, 1, 1, 1, 1}}, 4000, 2800, 60, {1000, 990}}};
    return s;
}

// A TSC clock report as TscDriftMonitor makes it: a 2.9 GHz TSC that DPDK
// took for 2.905 GHz, checked twice; `drift_ppm` is how fast the TSC runs at
// the second check (over 100 ppm: the warning).
TscClockReport sample_tsc(double drift_ppm, bool long_enough_for_tai = true) {
    const uint64_t hz = 2'900'000'000;
    const TscCalibration cal = calibrate_tsc({1'000, 5'000'000'000, 20}, {1'000 + hz / 5, 5'200'000'000, 20});
    TscDriftMonitor m(cal);
    const uint64_t t0 = cal.reference.tsc, n0 = cal.reference.ns, tai0 = 37'000'000'000 + n0;
    m.check({t0 + hz, n0 + 1'000'000'000, 20}, tai0 + 1'000'000'000);
    const double s2 = long_enough_for_tai ? 2 : 0.25;
    const auto tsc2 = static_cast<uint64_t>(static_cast<double>(hz) * (1 + s2) * (1 + drift_ppm * 1e-6));
    m.check({t0 + tsc2, n0 + static_cast<uint64_t>((1 + s2) * 1e9), 20},
            tai0 + static_cast<uint64_t>((1 + s2) * 1e9) + 500);  // TAI 0.5 us ahead over the window
    return m.report(2'905'000'000);
}

// Equal documents, a number compared by value whatever its JSON kind (a
// whole-number double is written as an integer), within 1 ulp (boost 1.81's
// parser reads some doubles 1 ulp off; json_text_test checks the text itself
// is exact).
void expect_same_json(const json::value& a, const json::value& b, const std::string& path = "") {
    if (a.is_number() && b.is_number()) {
        if (!a.is_double() && !b.is_double()) {
            EXPECT_EQ(a, b) << path;
        } else {
            const double x = a.to_number<double>(), y = b.to_number<double>();
            EXPECT_TRUE(x == y || std::nextafter(x, y) == y) << path << ": " << x << " vs " << y;
        }
        return;
    }
    ASSERT_EQ(a.kind(), b.kind()) << path;
    if (a.is_object()) {
        ASSERT_EQ(a.as_object().size(), b.as_object().size()) << path;
        for (const auto& kv : a.as_object()) {
            ASSERT_TRUE(b.as_object().contains(kv.key())) << path << "." << kv.key();
            expect_same_json(kv.value(), b.as_object().at(kv.key()), path + "." + std::string(kv.key()));
        }
    } else if (a.is_array()) {
        ASSERT_EQ(a.as_array().size(), b.as_array().size()) << path;
        for (std::size_t i = 0; i < a.as_array().size(); ++i)
            expect_same_json(a.as_array()[i], b.as_array()[i], path + "[" + std::to_string(i) + "]");
    } else {
        EXPECT_EQ(a, b) << path;
    }
}

ReceiverReport base_report();

TestRecord make_record(bool with_receiver) {
    TestRecord r;
    r.name = "Unit Test";
    r.id = 4321;
    r.started_at = "2026-11-25T22:17:11.123Z";
    r.ended_at = "2026-11-25T22:17:13.456Z";
    r.status = "complete";
    r.coordinated = with_receiver;
    r.config.name = "Unit Test";
    r.config.duration_s = 2;
    r.config.packet_rate = 500;
    r.config.packet_size = 1500;
    r.config.flows = 4;

    GeneratorReport& g = r.generator;
    g.port_driver = "net_ixgbe";
    g.port_mac = "02:00:00:00:00:01";
    g.dst_mac = "02:00:00:00:00:02";
    g.sent_packets = 1000;
    g.sent_bytes = 1500000;
    g.tx_full_retries = 3;
    g.tx_full_dropped = 0;
    g.elapsed_s = 2.0;
    // As generator/pacing_report.cpp's rate_figures gives them: L1 = (bytes
    // + 24 a frame) x 8 / s, L2 = (bytes + 4 a frame) x 8 / s.
    g.rates = {500.0, 500.0, 100.0, (1500000.0 + 24 * 1000) * 8 / 2.0 / 1e6, (1500000.0 + 4 * 1000) * 8 / 2.0 / 1e6};
    g.threads.push_back({2, 0, 4, 1000, 1500000, 3, 0});
    g.threads[0].rates = g.rates;
    const RateFigures flow_rates{125.0, 125.0, 100.0, (375000.0 + 24 * 250) * 8 / 2.0 / 1e6,
                                 (375000.0 + 4 * 250) * 8 / 2.0 / 1e6};
    g.flows = {{0, 250, 375000, 0, 0, flow_rates}, {1, 250, 375000, 0, 0, flow_rates},
               {2, 250, 375000, 0, 0, flow_rates}, {3, 250, 375000, 0, 0, flow_rates}};
    g.samples = {{0.0, 0, 0}, {1.0, 500, 750000}, {2.0, 1000, 1500000}};

    if (with_receiver) {
        ReceiverReport rx;
        rx.interface = "eth0";
        rx.mac = "02:00:00:00:00:02";
        rx.xdp_mode = "native";
        rx.rx_packets = 1005;
        rx.rx_bytes = 1490000;
        rx.test_packets = 990;
        rx.test_bytes = 1485000;
        rx.other_packets = 15;
        rx.other_bytes = 5000;
        rx.stale_packets = 0;
        rx.bad_flow_packets = 0;
        rx.drain_s = 0.25;
        rx.flows = {{0, 250, 375000}, {1, 248, 372000}, {2, 247, 370500}, {3, 245, 367500}};
        rx.samples = {{0.0, 0, 0}, {1.0, 495, 742500}, {2.0, 990, 1485000}};
        rx.latency = sample_latency();
        rx.prog_cost = sample_prog_cost();
        rx.system = sample_system();
        rx.foreign = ForeignReport{"pass", 16, {{0x0800, 17, "198.18.0.1", "198.18.0.2", 40404, 7777, 5, 370},
                                                {0x0806, 0, "", "", 0, 0, 2, 120}}, 1, 60};
        r.receiver = rx;
    }
    return r;
}

ReceiverReport full_report() {
    ReceiverReport r = base_report();
    r.test_action = "tx";
    r.latency = sample_latency();
    r.prog_cost = sample_prog_cost();
    r.system = sample_system();
    return r;
}

ReceiverReport base_report() {
    ReceiverReport r;
    r.mode = "xdp";
    r.interface = "enp3s0f1";
    r.mac = "02:ab:cd:ef:01:23";
    r.xdp_mode = "generic";
    r.rx_packets = 1;
    r.rx_bytes = UINT64_MAX;
    r.test_packets = 3;
    r.test_bytes = 4;
    r.other_packets = 5;
    r.other_bytes = 6;
    r.stale_packets = 7;
    r.bad_flow_packets = 8;
    r.drain_s = 0.125;
    r.flows = {{0, 10, 100}, {1, 11, 110}, {65535, 12, 120}};
    r.samples = {{0.5, 20, 200}, {1.5, 40, 400}};
    return r;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

// RFC 4180 fields of one CSV line (quoted fields may hold commas and "").
std::vector<std::string> csv_fields(const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                out.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                out.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.emplace_back();
        } else {
            out.back() += c;
        }
    }
    return out;
}

// A fresh mkdtemp directory per test, removed in TearDown.
class TempDirTest : public ::testing::Test {
protected:
    void SetUp() override {
        tmp_.emplace("ebt_results_test.");
        dir_ = tmp_->path();
    }
    void TearDown() override { tmp_.reset(); }

    // Every temporary (a name holding ".tmp") left anywhere under dir_.
    std::vector<std::string> tmp_files() const {
        std::vector<std::string> out;
        for (const auto& e : fs::recursive_directory_iterator(dir_))
            if (e.path().filename().string().find(".tmp") != std::string::npos) out.push_back(e.path().string());
        return out;
    }

    std::optional<ebt::test::TempDir> tmp_;
    fs::path dir_;
};

}  // namespace

// -------------------------------------------------------------- summarize

TEST(Summarize, WithReceiver) {
    const TestRecord r = make_record(true);
    const Summary s = summarize(r);
    EXPECT_DOUBLE_EQ(s.target_pps, 500.0);
    EXPECT_DOUBLE_EQ(s.achieved_pps, 1000.0 / 2.0);
    EXPECT_EQ(s.sent_packets, 1000u);
    // One definition of each layer: frame + FCS (+ preamble/SFD + IFG at L1).
    EXPECT_DOUBLE_EQ(s.mbps_l2, (1500000.0 + 4 * 1000) * 8 / 2.0 / 1e6);
    EXPECT_DOUBLE_EQ(s.mbps_l1, (1500000.0 + 24 * 1000) * 8 / 2.0 / 1e6);
    ASSERT_TRUE(s.received_packets.has_value());
    EXPECT_EQ(*s.received_packets, 990u);
    ASSERT_TRUE(s.lost_packets.has_value());
    EXPECT_EQ(*s.lost_packets, 10);
    ASSERT_TRUE(s.loss_pct.has_value());
    EXPECT_DOUBLE_EQ(*s.loss_pct, 1.0);
}

// The summary's rates are the generator's figures, taken as they are (not
// recomputed from packets, bytes and time), so the two can never disagree.
TEST(Summarize, RatesAreTheGeneratorsFigures) {
    TestRecord r = make_record(true);
    r.generator.sent_packets = 3;
    r.generator.sent_bytes = 1234567;
    r.generator.elapsed_s = 0.7;
    r.generator.rates = {std::nullopt, 4.2857, std::nullopt, 14.1, 14.0};
    r.receiver->test_packets = 2;
    const Summary s = summarize(r);
    EXPECT_EQ(s.achieved_pps, 4.2857);
    EXPECT_EQ(s.mbps_l1, 14.1);
    EXPECT_EQ(s.mbps_l2, 14.0);
    EXPECT_EQ(*s.lost_packets, 1);
    EXPECT_DOUBLE_EQ(*s.loss_pct, 100.0 / 3);
    const json::object doc = results_json(r);
    const auto& sj = doc.at("summary").as_object();
    const auto& gj = doc.at("generator").as_object();
    for (const char* k : {"achieved_pps", "mbps_l1", "mbps_l2"})
        EXPECT_EQ(sj.at(k), gj.at(k)) << k;
    EXPECT_FALSE(sj.contains("throughput_mbps"));
}

TEST(Summarize, WithoutReceiverOptionalsEmpty) {
    const Summary s = summarize(make_record(false));
    EXPECT_FALSE(s.received_packets.has_value());
    EXPECT_FALSE(s.lost_packets.has_value());
    EXPECT_FALSE(s.loss_pct.has_value());
    EXPECT_DOUBLE_EQ(s.achieved_pps, 500.0);
    EXPECT_DOUBLE_EQ(s.mbps_l2, 6.016);
}

TEST(Summarize, RateMaxTargetsZero) {
    TestRecord r = make_record(true);
    r.config.rate_max = true;
    EXPECT_DOUBLE_EQ(summarize(r).target_pps, 0.0);
}

TEST(Summarize, MoreReceivedThanSentIsNegativeLoss) {
    TestRecord r = make_record(true);
    r.receiver->test_packets = 1010;
    const Summary s = summarize(r);
    EXPECT_EQ(*s.lost_packets, -10);
    EXPECT_DOUBLE_EQ(*s.loss_pct, -1.0);
}

TEST(Summarize, NothingSentNoDivisionByZero) {
    TestRecord r = make_record(true);
    r.generator.sent_packets = 0;
    r.generator.sent_bytes = 0;
    r.generator.elapsed_s = 0;
    r.generator.rates = {};
    r.receiver->test_packets = 0;
    const Summary s = summarize(r);
    EXPECT_DOUBLE_EQ(s.achieved_pps, 0.0);
    EXPECT_DOUBLE_EQ(s.mbps_l1, 0.0);
    EXPECT_DOUBLE_EQ(s.mbps_l2, 0.0);
    EXPECT_EQ(*s.lost_packets, 0);
    EXPECT_DOUBLE_EQ(*s.loss_pct, 0.0);
}

// --------------------------------------------------------- receiver report

TEST(ReceiverReportJson, RoundTrip) {
    const ReceiverReport a = full_report();
    // Through text, as it travels.
    const ReceiverReport b = receiver_report_from_json(json::parse(json::serialize(to_json(a))));
    EXPECT_EQ(b.mode, a.mode);
    EXPECT_EQ(b.interface, a.interface);
    EXPECT_EQ(b.mac, a.mac);
    EXPECT_EQ(b.xdp_mode, a.xdp_mode);
    EXPECT_EQ(b.rx_packets, a.rx_packets);
    EXPECT_EQ(b.rx_bytes, a.rx_bytes);
    EXPECT_EQ(b.test_packets, a.test_packets);
    EXPECT_EQ(b.test_bytes, a.test_bytes);
    EXPECT_EQ(b.other_packets, a.other_packets);
    EXPECT_EQ(b.other_bytes, a.other_bytes);
    EXPECT_EQ(b.stale_packets, a.stale_packets);
    EXPECT_EQ(b.bad_flow_packets, a.bad_flow_packets);
    EXPECT_DOUBLE_EQ(b.drain_s, a.drain_s);
    ASSERT_EQ(b.flows.size(), a.flows.size());
    for (std::size_t i = 0; i < a.flows.size(); ++i) {
        EXPECT_EQ(b.flows[i].flow_id, a.flows[i].flow_id);
        EXPECT_EQ(b.flows[i].packets, a.flows[i].packets);
        EXPECT_EQ(b.flows[i].bytes, a.flows[i].bytes);
    }
    ASSERT_EQ(b.samples.size(), a.samples.size());
    for (std::size_t i = 0; i < a.samples.size(); ++i) {
        EXPECT_DOUBLE_EQ(b.samples[i].t_s, a.samples[i].t_s);
        EXPECT_EQ(b.samples[i].packets, a.samples[i].packets);
        EXPECT_EQ(b.samples[i].bytes, a.samples[i].bytes);
    }
    EXPECT_EQ(to_json(b), to_json(a));
}

TEST(ReceiverReportJson, LatencyAndProgCostRoundTrip) {
    const ReceiverReport a = full_report();
    const ReceiverReport b = receiver_report_from_json(json::parse(json::serialize(to_json(a))));
    EXPECT_EQ(b.test_action, "tx");
    ASSERT_TRUE(b.latency && b.prog_cost);
    EXPECT_EQ(b.latency->samples, 3u);
    EXPECT_EQ(*b.latency->p90_ns, 2048u);
    EXPECT_DOUBLE_EQ(*b.latency->mean_ns, 1500.5);
    EXPECT_EQ(b.latency->clock_offset_ns, -5);
    ASSERT_EQ(b.latency->histogram.size(), 4u);
    EXPECT_EQ(b.latency->histogram[3].hi_ns, 0u);
    EXPECT_EQ(b.prog_cost->run_cnt, 4u);
    EXPECT_DOUBLE_EQ(*b.prog_cost->ns_per_packet, 32.5);
    ASSERT_EQ(b.prog_cost->samples.size(), 2u);
    EXPECT_EQ(b.prog_cost->samples[1].run_time_ns, 30u);
    EXPECT_FALSE(b.foreign.has_value());
    ASSERT_TRUE(b.system);
    ASSERT_EQ(b.system->samples.size(), 2u);
    EXPECT_EQ(b.system->samples[1].cpus[0].softirq, 9u);
    EXPECT_EQ(b.system->netdev_delta[1].first, "ethtool.rx_queue_0_xdp_drops");
    EXPECT_EQ(b.system->netdev_names, a.system->netdev_names);
    EXPECT_EQ(b.system->samples[1].netdev, (std::vector<uint64_t>{1000, 990}));
    EXPECT_DOUBLE_EQ(*b.system->busy_cpu_ns_per_packet, 20202.02);
    EXPECT_EQ(to_json(b), to_json(a));
}

TEST(ReceiverReportJson, ForeignRoundTripAndRanges) {
    ReceiverReport a = full_report();
    a.foreign = ForeignReport{"drop", 1, {{0x86DD, 6, "fd00::1", "fd00::2", 1, 65535, 3, 300}}, 7, 700};
    const ReceiverReport b = receiver_report_from_json(json::parse(json::serialize(to_json(a))));
    ASSERT_TRUE(b.foreign);
    EXPECT_EQ(b.foreign->action, "drop");
    EXPECT_EQ(b.foreign->tuples[0].dport, 65535);
    EXPECT_EQ(b.foreign->tuples[0].dst, "fd00::2");
    EXPECT_EQ(b.foreign->overflow_bytes, 700u);
    EXPECT_EQ(to_json(b), to_json(a));
    json::object o = to_json(a);
    o["foreign"].as_object()["tuples"].as_array()[0].as_object()["sport"] = 65536;
    EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument);
    o = to_json(a);
    o["foreign"].as_object()["action"] = "keep";
    EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument);
}

TEST(ReceiverReportJson, OptionalSectionsMayBeAbsentOrNull) {
    json::object o = to_json(full_report());
    o.erase("test_action");
    o.erase("latency");
    o["prog_cost"] = nullptr;
    const ReceiverReport r = receiver_report_from_json(o);
    EXPECT_EQ(r.test_action, "drop");
    EXPECT_FALSE(r.latency.has_value());
    EXPECT_FALSE(r.prog_cost.has_value());
}

TEST(ReceiverReportJson, BadOptionalSectionsRejectedByName) {
    const json::object good = to_json(full_report());
    auto rejects = [&](const std::function<void(json::object&)>& edit, const std::string& name) {
        json::object o = good;
        edit(o);
        try {
            receiver_report_from_json(o);
            ADD_FAILURE() << "accepted: " << name;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
    };
    rejects([](json::object& o) { o["test_action"] = "reflect"; }, "test_action");
    rejects([](json::object& o) { o["latency"] = 3; }, "latency");
    rejects([](json::object& o) { o["latency"].as_object().erase("p99_ns"); }, "p99_ns");
    rejects([](json::object& o) { o["latency"].as_object()["samples"] = -1; }, "samples");
    rejects([](json::object& o) { o["latency"].as_object()["clock_offset_ns"] = "0"; }, "clock_offset_ns");
    rejects([](json::object& o) { o["prog_cost"].as_object().erase("run_cnt"); }, "run_cnt");
    rejects([](json::object& o) { o["prog_cost"].as_object()["samples"] = json::object{}; }, "samples");
    rejects([](json::object& o) { o["system"].as_object()["netdev_delta"] = json::array{1}; }, "netdev_delta");
    rejects([](json::object& o) { o["system"].as_object()["netdev_names"] = json::array{1, 2}; }, "netdev_names");
    rejects([](json::object& o) {
        o["system"].as_object()["samples"].as_array()[0].as_object()["netdev"] = json::array{10};
    }, "netdev");
    rejects([](json::object& o) {
        o["system"].as_object()["samples"].as_array()[0].as_object()["cpus"] = json::array{json::array{1, 2}};
    }, "cpus");
}

TEST(ReceiverReportJson, IntegerDrainAccepted) {
    json::object o = to_json(full_report());
    o["drain_s"] = 2;
    EXPECT_DOUBLE_EQ(receiver_report_from_json(o).drain_s, 2.0);
}

// json_text writes a whole-number double as an integer: the reader must
// take it back into every double field (and give the same report).
TEST(ReceiverReportJson, ThroughJsonTextWholeNumberDoublesReadBack) {
    ReceiverReport a = full_report();
    a.drain_s = 2.0;
    a.samples = {{1.0, 20, 200}, {2.0, 40, 400}};
    a.latency->mean_ns = 1500.0;
    a.latency->percentile_error_bound_pct = 3.0;
    a.prog_cost->ns_per_packet = 32.0;
    a.system->sample_rate_s = 1.0;
    a.system->cpus = {{0, 12.0, 20.0, 5.0, 8.0}};
    a.system->busy_window_s = 1.0;
    a.system->busy_cpu_ns_per_packet = 20202.0;
    a.system->busy_cpu_ns_per_packet_bound = 161616.0;
    a.system->receive_cpu_ns_per_packet = 10101.0;
    a.system->receive_cpu_ns_per_packet_bound = 80808.0;
    a.system->samples[0].t_s = 0.0;
    a.system->samples[1].t_s = 1.0;
    const std::string text = json_text(to_json(a));
    for (const char* want : {"\"drain_s\":2,", "\"mean_ns\":1500,", "\"sample_rate_s\":1,", "\"t_s\":1,",
                             "\"receive_cpu_ns_per_packet\":10101,"})
        EXPECT_NE(text.find(want), std::string::npos) << want;
    EXPECT_EQ(text.find('E'), std::string::npos) << "an exponent in " << text;
    const json::value parsed = json::parse(text);
    EXPECT_TRUE(parsed.at("drain_s").is_int64());
    const ReceiverReport b = receiver_report_from_json(parsed);
    EXPECT_EQ(b.drain_s, 2.0);
    EXPECT_EQ(*b.latency->mean_ns, 1500.0);
    EXPECT_EQ(b.system->sample_rate_s, 1.0);
    EXPECT_EQ(*b.system->receive_cpu_ns_per_packet, 10101.0);
    EXPECT_EQ(to_json(b), to_json(a));  // every field, exactly: whole numbers parse exactly
    // The full report with fractions too, through the text as it travels.
    expect_same_json(to_json(receiver_report_from_json(json::parse(json_text(to_json(full_report()))))),
                     to_json(full_report()));
}

TEST(ReceiverReportJson, MissingFieldsNamed) {
    const json::object good = to_json(full_report());
    for (const auto& kv : good) {
        // Added to v1 later: optional (see OptionalSectionsMayBeAbsent).
        if (kv.key() == "test_action" || kv.key() == "latency" || kv.key() == "prog_cost" ||
            kv.key() == "system" || kv.key() == "foreign")
            continue;
        json::object o = good;
        o.erase(kv.key());
        try {
            receiver_report_from_json(o);
            ADD_FAILURE() << "accepted without " << kv.key();
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(std::string(kv.key())), std::string::npos) << e.what();
        }
    }
    // Inside a flow and a sample.
    for (const char* key : {"flow_id", "packets", "bytes"}) {
        json::object o = good;
        o["flows"].as_array()[0].as_object().erase(key);
        EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument) << "flow without " << key;
    }
    for (const char* key : {"t_s", "packets", "bytes"}) {
        json::object o = good;
        o["samples"].as_array()[0].as_object().erase(key);
        EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument) << "sample without " << key;
    }
}

TEST(ReceiverReportJson, WrongTypesRejected) {
    const json::object good = to_json(full_report());
    const std::vector<std::pair<std::string, json::value>> bad{
        {"mode", 1},           {"interface", nullptr},   {"mac", json::array{}},    {"xdp_mode", true},
        {"rx_packets", "1"},   {"rx_bytes", 1.5},        {"test_packets", nullptr}, {"other_bytes", json::object{}},
        {"drain_s", "0.1"},    {"drain_s", nullptr},     {"flows", json::object{}}, {"flows", "x"},
        {"samples", 3},        {"samples", nullptr},
    };
    for (const auto& [key, value] : bad) {
        json::object o = good;
        o[key] = value;
        try {
            receiver_report_from_json(o);
            ADD_FAILURE() << key << " = " << json::serialize(value) << " accepted";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        }
    }
    json::object o = good;
    o["flows"].as_array()[0] = 5;
    EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument);
    o = good;
    o["samples"].as_array()[1] = json::array{0.5, 1, 2};
    EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument);
    o = good;
    o["samples"].as_array()[0].as_object()["t_s"] = "0";
    EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument);
}

TEST(ReceiverReportJson, NegativeCountsRejected) {
    const json::object good = to_json(full_report());
    for (const char* key : {"rx_packets", "rx_bytes", "test_packets", "test_bytes", "other_packets", "other_bytes",
                            "stale_packets", "bad_flow_packets"}) {
        json::object o = good;
        o[key] = -1;
        EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument) << key;
    }
    json::object o = good;
    o["flows"].as_array()[0].as_object()["packets"] = -5;
    EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument);
    o = good;
    o["flows"].as_array()[0].as_object()["flow_id"] = -1;
    EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument);
    o = good;
    o["samples"].as_array()[0].as_object()["bytes"] = -1;
    EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument);
}

TEST(ReceiverReportJson, FlowIdRange) {
    json::object o = to_json(full_report());
    o["flows"].as_array()[2].as_object()["flow_id"] = 65535;
    EXPECT_NO_THROW(receiver_report_from_json(o));
    o["flows"].as_array()[2].as_object()["flow_id"] = 65536;
    EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument);
    o["flows"].as_array()[2].as_object()["flow_id"] = UINT64_MAX;
    EXPECT_THROW(receiver_report_from_json(o), std::invalid_argument);
}

TEST(ReceiverReportJson, NonObjectRejected) {
    for (const json::value& v : {json::value(nullptr), json::value(json::array{}), json::value(5), json::value("x"),
                                 json::value(true)})
        EXPECT_THROW(receiver_report_from_json(v), std::invalid_argument) << json::serialize(v);
}

// ------------------------------------------------------------ results.json

TEST(ResultsJson, WithReceiver) {
    const TestRecord r = make_record(true);
    const json::object doc = results_json(r);
    EXPECT_EQ(doc.at("schema_version"), json::value(kResultsSchemaVersion));

    const auto& t = doc.at("test").as_object();
    EXPECT_EQ(t.at("name"), "Unit Test");
    EXPECT_EQ(t.at("id").to_number<int64_t>(), 4321);
    EXPECT_EQ(t.at("started_at"), "2026-11-25T22:17:11.123Z");
    EXPECT_EQ(t.at("ended_at"), "2026-11-25T22:17:13.456Z");
    EXPECT_DOUBLE_EQ(t.at("duration_s").to_number<double>(), 2.0);
    EXPECT_TRUE(t.at("preset").is_null());
    EXPECT_EQ(t.at("status"), "complete");
    EXPECT_EQ(t.at("status_reason"), "");
    EXPECT_EQ(t.at("coordinated"), true);

    EXPECT_EQ(doc.at("config"), json::value(to_json(r.config)));

    const auto& s = doc.at("summary").as_object();
    EXPECT_DOUBLE_EQ(s.at("target_pps").to_number<double>(), 500.0);
    EXPECT_DOUBLE_EQ(s.at("achieved_pps").to_number<double>(), 500.0);
    EXPECT_EQ(s.at("sent_packets").to_number<int64_t>(), 1000);
    EXPECT_EQ(s.at("received_packets").to_number<int64_t>(), 990);
    EXPECT_EQ(s.at("lost_packets").to_number<int64_t>(), 10);
    EXPECT_DOUBLE_EQ(s.at("loss_pct").to_number<double>(), 1.0);
    EXPECT_DOUBLE_EQ(s.at("mbps_l1").to_number<double>(), 6.096);
    EXPECT_DOUBLE_EQ(s.at("mbps_l2").to_number<double>(), 6.016);

    const auto& flows = doc.at("flows").as_array();
    ASSERT_EQ(flows.size(), 4u);
    const int64_t rx[] = {250, 248, 247, 245};
    for (int i = 0; i < 4; ++i) {
        const auto& f = flows[i].as_object();
        EXPECT_EQ(f.at("flow_id").to_number<int64_t>(), i);
        EXPECT_EQ(f.at("sent").to_number<int64_t>(), 250);
        EXPECT_EQ(f.at("received").to_number<int64_t>(), rx[i]);
        EXPECT_EQ(f.at("lost").to_number<int64_t>(), 250 - rx[i]);
    }

    const auto& g = doc.at("generator").as_object();
    EXPECT_EQ(g.at("port_driver"), "net_ixgbe");
    EXPECT_EQ(g.at("sent_bytes").to_number<int64_t>(), 1500000);
    EXPECT_EQ(g.at("tx_full_retries").to_number<int64_t>(), 3);
    EXPECT_DOUBLE_EQ(g.at("elapsed_s").to_number<double>(), 2.0);
    ASSERT_EQ(g.at("threads").as_array().size(), 1u);
    EXPECT_EQ(g.at("threads").as_array()[0].at("lcore").to_number<int64_t>(), 2);
    EXPECT_EQ(g.at("flows").as_array().size(), 4u);
    EXPECT_EQ(g.at("samples").as_array().size(), 3u);

    EXPECT_EQ(doc.at("receiver"), json::value(to_json(*r.receiver)));
}

TEST(ResultsJson, WithoutReceiver) {
    TestRecord r = make_record(false);
    r.status = "incomplete";
    r.status_reason = "no coordination";
    r.config.preset = "line_rate_small";
    const json::object doc = results_json(r);
    EXPECT_TRUE(doc.at("receiver").is_null());
    const auto& t = doc.at("test").as_object();
    EXPECT_EQ(t.at("preset"), "line_rate_small");
    EXPECT_EQ(t.at("status"), "incomplete");
    EXPECT_EQ(t.at("status_reason"), "no coordination");
    EXPECT_EQ(t.at("coordinated"), false);
    const auto& s = doc.at("summary").as_object();
    EXPECT_TRUE(s.at("received_packets").is_null());
    EXPECT_TRUE(s.at("lost_packets").is_null());
    EXPECT_TRUE(s.at("loss_pct").is_null());
    EXPECT_EQ(s.at("sent_packets").to_number<int64_t>(), 1000);
    for (const auto& f : doc.at("flows").as_array()) {
        EXPECT_TRUE(f.at("received").is_null());
        EXPECT_TRUE(f.at("lost").is_null());
        EXPECT_EQ(f.at("sent").to_number<int64_t>(), 250);
    }
}

// summary_json: the figures scripts read, with results.json's own values.
TEST(SummaryJson, HeadlineFiguresAsInResultsJson) {
    TestRecord r = make_record(true);
    r.generator.pacing = PacingReport{40, 5, 900, 30, 200, 12.5, 3.125, "m"};
    const json::object s = summary_json(r);
    const json::object doc = results_json(r);
    std::vector<std::string> keys;
    for (const auto& kv : s) keys.emplace_back(kv.key());
    EXPECT_EQ(keys, (std::vector<std::string>{
                        "name", "id", "status", "status_reason", "incomplete", "coordinated", "target_pps",
                        "achieved_pps", "sent_packets", "received_packets", "lost_packets", "loss_pct",
                        "duplicates", "mbps_l1", "mbps_l2", "efficiency_pct", "elapsed_s", "tx_full_retries",
                        "tx_full_dropped", "late_bursts", "latency", "round_trip", "pacing", "xdp_mode"}));
    for (const auto& kv : doc.at("summary").as_object()) EXPECT_EQ(s.at(kv.key()), kv.value()) << kv.key();
    EXPECT_EQ(s.at("name"), "Unit Test");
    EXPECT_EQ(s.at("incomplete"), false);
    EXPECT_EQ(s.at("xdp_mode"), "native");
    EXPECT_DOUBLE_EQ(s.at("efficiency_pct").to_number<double>(), 100.0);
    const auto& l = s.at("latency").as_object();
    EXPECT_EQ(l.size(), 8u);
    EXPECT_EQ(l.at("samples").to_number<int64_t>(), 3);
    EXPECT_EQ(l.at("p50_ns").to_number<int64_t>(), 1500);
    EXPECT_EQ(l.at("p99_9_ns").to_number<int64_t>(), 2100);
    EXPECT_DOUBLE_EQ(l.at("mean_ns").to_number<double>(), 1500.5);
    const auto& p = s.at("pacing").as_object();
    EXPECT_EQ(p.at("bursts").to_number<int64_t>(), 40);
    EXPECT_EQ(p.at("p99_ns").to_number<int64_t>(), 200);
    EXPECT_EQ(p.at("max_ns").to_number<int64_t>(), 900);
    EXPECT_FALSE(p.contains("p90_ns"));
    EXPECT_TRUE(s.at("round_trip").is_null());
}

TEST(SummaryJson, IncompleteWithoutReceiverHasNulls) {
    TestRecord r = make_record(false);
    r.status = "incomplete";
    r.status_reason = "no coordination";
    r.generator.round_trip = RoundTripReport{};
    r.generator.round_trip->rtt = sample_latency();
    const json::object s = summary_json(r);
    EXPECT_EQ(s.at("incomplete"), true);
    EXPECT_EQ(s.at("status_reason"), "no coordination");
    for (const char* key : {"received_packets", "lost_packets", "loss_pct", "duplicates", "latency", "pacing",
                            "xdp_mode"})
        EXPECT_TRUE(s.at(key).is_null()) << key;
    EXPECT_EQ(s.at("round_trip").at("p90_ns").to_number<int64_t>(), 2048);
    // json_text writes it as results.json's figures are written.
    EXPECT_NE(json_text(s).find("\"sent_packets\":1000,"), std::string::npos);
}

TEST(ResultsJson, RateMaxTargetZero) {
    TestRecord r = make_record(true);
    r.config.rate_max = true;
    EXPECT_DOUBLE_EQ(results_json(r).at("summary").at("target_pps").to_number<double>(), 0.0);
}

TEST(ResultsJson, TscClock) {
    TestRecord r = make_record(true);
    EXPECT_TRUE(results_json(r).at("generator").at("tsc_clock").is_null());

    r.generator.tsc_clock = sample_tsc(1.5);
    const TscClockReport& t = *r.generator.tsc_clock;
    const json::object doc = results_json(r);
    const auto& j = doc.at("generator").at("tsc_clock").as_object();
    EXPECT_EQ(j.at("nominal_hz").to_number<uint64_t>(), 2'905'000'000u);
    EXPECT_EQ(j.at("calibrated_hz").to_number<uint64_t>(), 2'900'000'000u);
    EXPECT_EQ(j.at("calibration_uncertainty_ppm").as_double(), t.calibration_uncertainty_ppm);
    EXPECT_EQ(j.at("calibration_window_s").as_double(), 0.2);
    EXPECT_EQ(j.at("nominal_error_ppm").as_double(), t.nominal_error_ppm);
    EXPECT_NEAR(j.at("nominal_error_ppm").as_double(), 5e6 / 2.9e9 * 1e6, 1e-6);
    EXPECT_EQ(j.at("reference"), "CLOCK_MONOTONIC_RAW");
    EXPECT_EQ(j.at("method"), json::value(t.method));
    EXPECT_EQ(j.at("drift_checks").to_number<uint64_t>(), 2u);
    EXPECT_EQ(j.at("drift_ppm_last").as_double(), t.drift_ppm_last);
    EXPECT_NEAR(j.at("drift_ppm_max_abs").as_double(), 1.5, 0.01);
    EXPECT_EQ(j.at("drift_warn_ppm").as_double(), 100.0);
    EXPECT_NEAR(j.at("tai_vs_raw_ppm").as_double(), 500.0 / 2e9 * 1e6, 1e-6);
    EXPECT_TRUE(j.at("warning").is_null());  // "" is written as null
    EXPECT_EQ(j.size(), 13u);

    r.generator.tsc_clock = sample_tsc(250, false);
    const json::object doc2 = results_json(r);
    const auto& w = doc2.at("generator").at("tsc_clock").as_object();
    EXPECT_TRUE(w.at("tai_vs_raw_ppm").is_null());  // too short a test to measure
    ASSERT_TRUE(w.at("warning").is_string());
    EXPECT_EQ(w.at("warning"), json::value(r.generator.tsc_clock->warning));
}

// Every Mbps key names its layer: _l1, or _l2 (frame + FCS).
TEST(ResultsJson, EveryMbpsKeyNamesItsLayer) {
    const json::object doc = results_json(make_record(true));
    int seen = 0;
    std::function<void(const json::value&, const std::string&)> walk = [&](const json::value& v, const std::string& path) {
        if (v.is_object()) {
            for (const auto& kv : v.as_object()) {
                const std::string k(kv.key());
                if (k.find("mbps") != std::string::npos) {
                    ++seen;
                    EXPECT_TRUE(k == "mbps_l1" || k == "mbps_l2") << path << "." << k;
                }
                walk(kv.value(), path + "." + k);
            }
        } else if (v.is_array()) {
            for (const auto& e : v.as_array()) walk(e, path + "[]");
        }
    };
    walk(doc.at("summary"), "summary");
    walk(doc.at("generator"), "generator");
    walk(doc.at("flows"), "flows");
    EXPECT_EQ(seen, 2 + 2 + 2 + 4 * 2);  // summary, generator, 1 thread, 4 flows
}

class SchemaTest : public TempDirTest {
protected:
    // Exit status of the jsonschema check of doc against the schema.
    int validate(const json::value& doc) {
        const fs::path file = dir_ / "doc.json";
        std::ofstream(file) << json_text(doc);  // as write_results writes it
        const std::string cmd =
            "/usr/bin/python3 -c 'import json,jsonschema,sys; jsonschema.validate(json.load(open(sys.argv[1])), "
            "json.load(open(sys.argv[2])), cls=jsonschema.Draft202012Validator)' '" +
            file.string() + "' '" + fs::absolute("schema/results.schema.json").string() + "' 2>" +
            (dir_ / "stderr.txt").string();
        const int rc = std::system(cmd.c_str());
        if (rc == -1 || !WIFEXITED(rc)) return -1;
        return WEXITSTATUS(rc);
    }
    std::string stderr_text() { return read_text(dir_ / "stderr.txt"); }

    void SetUp() override {
        TempDirTest::SetUp();
        ASSERT_TRUE(fs::exists("schema/results.schema.json")) << "run from the repo root";
        REQUIRE_OR_SKIP(std::system("/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1") == 0,
                        "python3 jsonschema not installed");
    }
};

TEST_F(SchemaTest, RecordWithReceiverValidates) {
    EXPECT_EQ(validate(results_json(make_record(true))), 0) << stderr_text();
}

TEST_F(SchemaTest, RecordWithoutReceiverValidates) {
    TestRecord r = make_record(false);
    r.status = "incomplete";
    r.status_reason = "receiver lost";
    r.config.preset = "quick";
    EXPECT_EQ(validate(results_json(r)), 0) << stderr_text();
}

TEST_F(SchemaTest, NegativeLossAndRateMaxValidate) {
    TestRecord r = make_record(true);
    r.config.rate_max = true;
    r.receiver->test_packets = 1010;
    r.receiver->flows[0].packets = 260;
    EXPECT_EQ(validate(results_json(r)), 0) << stderr_text();
}

TEST_F(SchemaTest, TscClockValidates) {
    TestRecord r = make_record(true);
    r.generator.tsc_clock = sample_tsc(1.5);
    EXPECT_EQ(validate(results_json(r)), 0) << stderr_text();
    r.generator.tsc_clock = sample_tsc(-250, false);  // warning set, no TAI rate
    ASSERT_FALSE(r.generator.tsc_clock->warning.empty());
    EXPECT_EQ(validate(results_json(r)), 0) << stderr_text();

    json::object doc = results_json(r);
    doc.at("generator").at("tsc_clock").as_object().erase("drift_ppm_max_abs");
    EXPECT_NE(validate(doc), 0);
    doc = results_json(r);
    doc.at("generator").at("tsc_clock").as_object()["warning"] = "";
    EXPECT_NE(validate(doc), 0);
    doc = results_json(r);
    doc.at("generator").as_object().erase("tsc_clock");
    EXPECT_NE(validate(doc), 0);
}

TEST_F(SchemaTest, BrokenDocumentsFail) {
    json::object doc = results_json(make_record(true));
    doc["schema_version"] = kResultsSchemaVersion + 1;
    EXPECT_NE(validate(doc), 0);

    // Version 1's summary (L2 without FCS under an unlabelled name) is gone.
    doc = results_json(make_record(true));
    doc["schema_version"] = 1;
    EXPECT_NE(validate(doc), 0);
    doc = results_json(make_record(true));
    doc.at("summary").as_object()["throughput_mbps"] = 6.0;
    EXPECT_NE(validate(doc), 0);

    doc = results_json(make_record(true));
    doc.at("summary").as_object().erase("loss_pct");
    EXPECT_NE(validate(doc), 0);

    doc = results_json(make_record(true));
    doc["extra"] = 1;
    EXPECT_NE(validate(doc), 0);
}

// ------------------------------------------------------------- results.csv

TEST(ResultsCsv, WithReceiver) {
    const auto lines = lines_of(results_csv(make_record(true)));
    ASSERT_EQ(lines.size(), 6u);
    EXPECT_EQ(lines[0], "test_name,test_id,flow_id,sent_packets,received_packets,lost_packets,loss_pct,reordered,duplicates,"
              "frame_size,sent_mbps_l1,sent_mbps_l2_incl_fcs");
    // Sent rates: the generator's per flow, and generator.rates for all.
    EXPECT_EQ(lines[1], "Unit Test,4321,0,250,250,0,0.000000,0,0,1500 B,1.524000,1.504000");
    EXPECT_EQ(lines[2], "Unit Test,4321,1,250,248,2,0.800000,0,0,1500 B,1.524000,1.504000");
    EXPECT_EQ(lines[3], "Unit Test,4321,2,250,247,3,1.200000,0,0,1500 B,1.524000,1.504000");
    EXPECT_EQ(lines[4], "Unit Test,4321,3,250,245,5,2.000000,0,0,1500 B,1.524000,1.504000");
    EXPECT_EQ(lines[5], "Unit Test,4321,all,1000,990,10,1.000000,0,0,1500 B,6.096000,6.016000");
}

TEST(ResultsCsv, WithoutReceiverEmptyColumns) {
    const auto lines = lines_of(results_csv(make_record(false)));
    ASSERT_EQ(lines.size(), 6u);
    EXPECT_EQ(lines[0], "test_name,test_id,flow_id,sent_packets,received_packets,lost_packets,loss_pct,reordered,duplicates,"
              "frame_size,sent_mbps_l1,sent_mbps_l2_incl_fcs");
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(lines[1 + i], "Unit Test,4321," + std::to_string(i) + ",250,,,,,,1500 B,1.524000,1.504000");
    EXPECT_EQ(lines[5], "Unit Test,4321,all,1000,,,,,,1500 B,6.096000,6.016000");
    for (const auto& l : lines) EXPECT_EQ(csv_fields(l).size(), 12u) << l;
}

TEST(ResultsCsv, NegativeLoss) {
    TestRecord r = make_record(true);
    r.receiver->flows[0].packets = 260;
    r.receiver->test_packets = 1000;
    const auto lines = lines_of(results_csv(r));
    EXPECT_EQ(lines[1], "Unit Test,4321,0,250,260,-10,-4.000000,0,0,1500 B,1.524000,1.504000");
}

// A test name is free text (only non-empty is required); a comma or quote
// in it must not shift the columns.
TEST(ResultsCsv, NameWithCommaAndQuoteStaysOneField) {
    TestRecord r = make_record(true);
    r.name = "rate 1,000 \"burst\"";
    const auto lines = lines_of(results_csv(r));
    ASSERT_EQ(lines.size(), 6u);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto f = csv_fields(lines[i]);
        ASSERT_EQ(f.size(), 12u) << lines[i];
        EXPECT_EQ(f[0], r.name) << lines[i];
        EXPECT_EQ(f[1], "4321") << lines[i];
    }
}

// A size mix is written as the mix and its exact mean, not packet_size
// (the largest size), one quoted field.
TEST(ResultsCsv, ImixFrameSize) {
    TestRecord r = make_record(true);
    apply_yaml_text(r.config, "traffic_config:\n  packet_size: imix\n", "test");
    const auto lines = lines_of(results_csv(r));
    ASSERT_EQ(lines.size(), 6u);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto f = csv_fields(lines[i]);
        ASSERT_EQ(f.size(), 12u) << lines[i];
        EXPECT_EQ(f[9], "imix (60:7, 566:4, 1514:1 as bytes:weight), mean 349.833 B (exactly 2099/6)");
    }
}

// Every Mbps column names its layer.
TEST(ResultsCsv, MbpsColumnsNameTheirLayer) {
    const std::vector<std::string> headers = csv_fields(lines_of(results_csv(make_record(true)))[0]);
    int seen = 0;
    for (const auto& h : headers)
        if (h.find("mbps") != std::string::npos) {
            ++seen;
            EXPECT_TRUE(h.ends_with("_l1") || h.ends_with("_l2_incl_fcs")) << h;
        }
    EXPECT_EQ(seen, 2);
}

// ------------------------------------------------------------- results.md

TEST(ResultsMarkdown, ReceiverLatencyCostAndCpuWithMethods) {
    const std::string md = results_markdown(make_record(true));
    for (const char* want : {"- One-way latency (ns): min 1000, mean 1500.5, p50 1500, p90 2048, p99 2080, p99.9 2100, max 2100",
                             "percentiles within 3.125%", "uncertainty unknown (no clock sync yet)",
                             "- XDP program cost: 32.5 ns per packet over 4 runs", "Method: bpf stats",
                             "Note (both CPU figures): ticks"})
        EXPECT_NE(md.find(want), std::string::npos) << want << "\n" << md;
}

// The receive path's own CPU first, each CPU figure with its scope, bound
// and method; the whole-host figure says it includes the generator.
TEST(ResultsMarkdown, CpuFiguresReceivePathFirstWithScope) {
    const std::string md = results_markdown(make_record(true));
    const std::string rx =
        "- CPU, receive path (softirq, all CPUs + xdp-recv): 10101 ns per received test packet, +- 80808 "
        "(10 +- 80 ms over 1.00 s)\n  Method: softirq ticks\n";
    const std::string host =
        "- CPU, whole host, incl. the generator when it shares the host: 20202 ns per received test packet, "
        "+- 161616 (20 +- 160 ms busy over 1.00 s, all CPUs)\n  Method: busy ticks\n";
    const auto a = md.find(rx), b = md.find(host);
    ASSERT_NE(a, std::string::npos) << md;
    ASSERT_NE(b, std::string::npos) << md;
    EXPECT_LT(a, b);
    EXPECT_EQ(md.find("Receiver host busy CPU"), std::string::npos);
    // Every "CPU," line names a scope.
    for (const auto& l : lines_of(md)) {
        if (l.starts_with("- CPU,")) {
            EXPECT_TRUE(l.starts_with("- CPU, receive path (softirq, all CPUs + xdp-recv):") ||
                        l.starts_with("- CPU, whole host, incl. the generator when it shares the host:"))
                << l;
        }
    }

    // Without the receive-path figure, the host one stands alone, still labelled.
    TestRecord r = make_record(true);
    r.receiver->system->receive_cpu_ns_per_packet.reset();
    const std::string md2 = results_markdown(r);
    EXPECT_EQ(md2.find("receive path (softirq"), std::string::npos);
    EXPECT_NE(md2.find(host), std::string::npos);
}

TEST(ResultsMarkdown, GeneratorClockLine) {
    TestRecord r = make_record(true);
    EXPECT_EQ(results_markdown(r).find("Generator clock"), std::string::npos);  // not calibrated: no line

    r.generator.tsc_clock = sample_tsc(1.5);
    const TscClockReport& t = *r.generator.tsc_clock;
    const std::string md = results_markdown(r);
    const auto at = md.find("- Generator clock (TSC against CLOCK_MONOTONIC_RAW): calibrated 2900000000 Hz +- ");
    ASSERT_NE(at, std::string::npos) << md;
    EXPECT_LT(at, md.find("## Summary"));  // near the top
    const std::string line = md.substr(at, md.find('\n', at) - at);
    // nominal 2.905 GHz against 2.9 GHz real: +0.1724 % (5e6 / 2.9e9).
    for (const char* want : {"nominal 2905000000 Hz, +0.1724 % off", "drift max 1.50 ppm (2 checks, last +1.50 ppm",
                             "warning above 100 ppm", "CLOCK_TAI's rate +0.25 ppm against CLOCK_MONOTONIC_RAW"})
        EXPECT_NE(line.find(want), std::string::npos) << want << "\n" << line;
    EXPECT_NE(md.find("  Method: " + t.method), std::string::npos);
    EXPECT_EQ(md.find("WARNING"), std::string::npos);
}

TEST(ResultsMarkdown, GeneratorClockWarningIsProminent) {
    TestRecord r = make_record(true);
    r.generator.tsc_clock = sample_tsc(250);
    const std::string& w = r.generator.tsc_clock->warning;
    ASSERT_FALSE(w.empty());
    const std::string md = results_markdown(r);
    const auto at = md.find("- **WARNING, generator clock: " + w + "**\n");
    ASSERT_NE(at, std::string::npos) << md;
    EXPECT_LT(at, md.find("- Test id:"));  // right under the status
}

// One definition of Mbps: the summary shows the generator's L1 and L2
// (frame + FCS) figures, and every Mbps in the report names its layer.
TEST(ResultsMarkdown, MbpsNameTheirLayerAndMatchTheGenerator) {
    TestRecord r = make_record(true);
    r.generator.rates.mbps_l1 = 98.69;
    r.generator.rates.mbps_l2 = 98.5;
    const std::string md = results_markdown(r);
    EXPECT_NE(md.find("| Mbps at L1 (frame + FCS + preamble/SFD + IFG) | 98.690 |"), std::string::npos) << md;
    EXPECT_NE(md.find("| Mbps at L2 (frame + FCS) | 98.500 |"), std::string::npos) << md;
    EXPECT_EQ(md.find("throughput"), std::string::npos);
    size_t n = 0;
    for (auto at = md.find("Mbps"); at != std::string::npos; at = md.find("Mbps", at + 1), ++n) {
        const std::string after = md.substr(at + 4, 7);
        EXPECT_TRUE(after.starts_with(" at L1") || after.starts_with(" at L2") || after.starts_with(" L1") ||
                    after.starts_with(" L2"))
            << md.substr(at, 40);
    }
    EXPECT_GE(n, 6u);
    EXPECT_NE(md.find("Mbps L2 (incl. FCS)"), std::string::npos);
}

TEST(ResultsMarkdown, ImixFrameSize) {
    TestRecord r = make_record(true);
    apply_yaml_text(r.config, "traffic_config:\n  packet_size: imix\n", "test");
    const std::string md = results_markdown(r);
    EXPECT_NE(md.find("| frame size (without FCS) | imix (60:7, 566:4, 1514:1 as bytes:weight), mean 349.833 B "
                      "(exactly 2099/6) |"),
              std::string::npos)
        << md;
    EXPECT_EQ(md.find("1514 |"), std::string::npos);
}

TEST(ResultsMarkdown, SummaryValues) {
    const std::string md = results_markdown(make_record(true));
    for (const char* want : {"# Test Unit Test", "- Status: **complete**", "- Test id: 4321",
                             "- Started: 2026-11-25T22:17:11.123Z", "- Preset: none",
                             "- Coordinated with xdp-recv: yes", "| target pps | 500 |", "| achieved pps | 500.0 |",
                             "| sent packets | 1000 |", "| received packets | 990 |", "| lost packets | 10 |",
                             "| loss % | 1.000000 |", "| Mbps at L1 (frame + FCS + preamble/SFD + IFG) | 6.096 |",
                             "| Mbps at L2 (frame + FCS) | 6.016 |",
                             "| frame size (without FCS) | 1500 B |", "| tx_full retries / dropped | 3 / 0 |",
                             "| 1 | 250 | 248 | 2 |", "| 3 | 250 | 245 | 5 |", "## Receiver", "XDP mode native"})
        EXPECT_NE(md.find(want), std::string::npos) << "missing: " << want << "\n" << md;
    EXPECT_EQ(md.find("more flows"), std::string::npos);
}

TEST(ResultsMarkdown, IncompleteWithoutReceiver) {
    TestRecord r = make_record(false);
    r.status = "incomplete";
    r.status_reason = "xdp-recv went away";
    r.config.rate_max = true;
    const std::string md = results_markdown(r);
    for (const char* want : {"- Status: **incomplete** (xdp-recv went away)", "| target pps | max |",
                             "| received packets | n/a |", "| lost packets | n/a |", "| loss % | n/a |",
                             "| 0 | 250 | n/a | n/a |", "- Coordinated with xdp-recv: no"})
        EXPECT_NE(md.find(want), std::string::npos) << "missing: " << want << "\n" << md;
    EXPECT_EQ(md.find("## Receiver"), std::string::npos);
}

TEST(ResultsMarkdown, MoreFlowsNote) {
    TestRecord r = make_record(true);
    r.generator.flows.clear();
    r.receiver->flows.clear();
    for (uint32_t i = 0; i < 70; ++i) {
        r.generator.flows.push_back({i, 10, 15000});
        r.receiver->flows.push_back({i, 9, 13500});
    }
    const std::string md = results_markdown(r);
    EXPECT_NE(md.find("(6 more flows in results.csv)"), std::string::npos) << md;
    EXPECT_NE(md.find("| 63 | 10 | 9 | 1 |"), std::string::npos);
    EXPECT_EQ(md.find("| 64 | 10 |"), std::string::npos);

    r.generator.flows.resize(64);
    EXPECT_EQ(results_markdown(r).find("more flows"), std::string::npos);
}

// ------------------------------------------------------------ directories

TEST(ResultsDirName, Formatting) {
    EXPECT_EQ(results_dir_name("2026-11-25T22:17:11.123Z", "TwoMachineTest"), "test_20261125_221711_TwoMachineTest");
    EXPECT_EQ(results_dir_name("2026-01-02T03:04:05.000Z", "a-b_c9"), "test_20260102_030405_a-b_c9");
}

TEST(ResultsDirName, Sanitising) {
    EXPECT_EQ(results_dir_name("2026-11-25T22:17:11.123Z", "my test/../x"), "test_20261125_221711_my_test____x");
    EXPECT_EQ(results_dir_name("2026-11-25T22:17:11.123Z", "a b\\c:d"), "test_20261125_221711_a_b_c_d");
    EXPECT_EQ(results_dir_name("2026-11-25T22:17:11.123Z", ""), "test_20261125_221711_test");
    const std::string n = results_dir_name("2026-11-25T22:17:11.123Z", "..");
    EXPECT_EQ(n.find('/'), std::string::npos);
    EXPECT_EQ(n, "test_20261125_221711___");
}

TEST(ResultsDirName, BadTimestamp) {
    EXPECT_EQ(results_dir_name("", "x"), "test_00000000_000000_x");
    EXPECT_EQ(results_dir_name("yesterday", "x"), "test_00000000_000000_x");
}

class ResultsFiles : public TempDirTest {};

TEST_F(ResultsFiles, CreateResultsDir) {
    const std::string base = (dir_ / "results").string();
    const std::string a = create_results_dir(base, "two_machine", "test_20261125_221711_X");
    EXPECT_EQ(fs::path(a), dir_ / "results" / "two_machine" / "test_20261125_221711_X");
    EXPECT_TRUE(fs::is_directory(fs::path(a) / "raw_data"));

    const std::string b = create_results_dir(base, "two_machine", "test_20261125_221711_X");
    EXPECT_EQ(fs::path(b), dir_ / "results" / "two_machine" / "test_20261125_221711_X_2");
    EXPECT_TRUE(fs::is_directory(fs::path(b) / "raw_data"));

    const std::string c = create_results_dir(base, "two_machine", "test_20261125_221711_X");
    EXPECT_EQ(fs::path(c), dir_ / "results" / "two_machine" / "test_20261125_221711_X_3");
}

TEST_F(ResultsFiles, CreateResultsDirUnderAFileFails) {
    std::ofstream(dir_ / "plainfile") << "x";
    EXPECT_THROW(create_results_dir((dir_ / "plainfile").string(), "two_machine", "t"), std::runtime_error);
}

TEST_F(ResultsFiles, WriteResults) {
    const TestRecord r = make_record(true);
    const std::string d = create_results_dir(dir_.string(), "two_machine", results_dir_name(r.started_at, r.name));
    write_results(d, r);
    const fs::path p(d);
    for (const char* f : {"results.json", "results.csv", "results.md", "raw_data/tx_samples.csv",
                          "raw_data/rx_samples.csv"})
        EXPECT_TRUE(fs::is_regular_file(p / f)) << f;
    EXPECT_TRUE(tmp_files().empty());

    // results.json is json_text's form: whole numbers as integers, no exponents.
    const std::string text = read_text(p / "results.json");
    EXPECT_EQ(text, json_text(results_json(r)) + "\n");
    EXPECT_NE(text.find("\"elapsed_s\":2,"), std::string::npos);
    EXPECT_NE(text.find("\"drain_s\":0.25,"), std::string::npos);
    EXPECT_EQ(text.find("E+"), std::string::npos);
    EXPECT_EQ(text.find("E-"), std::string::npos);
    expect_same_json(json::parse(text), results_json(r));
    EXPECT_EQ(read_text(p / "results.csv"), results_csv(r));
    EXPECT_EQ(read_text(p / "results.md"), results_markdown(r));

    // Interval rates at L1 (+24 B a frame) and L2 (+4 B: FCS), as RateFigures counts them.
    const auto tx = lines_of(read_text(p / "raw_data/tx_samples.csv"));
    ASSERT_EQ(tx.size(), 4u);
    EXPECT_EQ(tx[0], "t_s,packets,bytes,interval_pps,interval_mbps_l1,interval_mbps_l2_incl_fcs");
    EXPECT_EQ(tx[1], "0.000000,0,0,0.0,0.000,0.000");
    EXPECT_EQ(tx[2], "1.000000,500,750000,500.0,6.096,6.016");
    EXPECT_EQ(tx[3], "2.000000,1000,1500000,500.0,6.096,6.016");
    const auto rx = lines_of(read_text(p / "raw_data/rx_samples.csv"));
    ASSERT_EQ(rx.size(), 4u);
    EXPECT_EQ(rx[2], "1.000000,495,742500,495.0,6.035,5.956");
}

TEST_F(ResultsFiles, WriteResultsWithoutReceiver) {
    const TestRecord r = make_record(false);
    const std::string d = create_results_dir(dir_.string(), "two_machine", "t");
    write_results(d, r);
    const fs::path p(d);
    for (const char* f : {"results.json", "results.csv", "results.md", "raw_data/tx_samples.csv"})
        EXPECT_TRUE(fs::is_regular_file(p / f)) << f;
    EXPECT_FALSE(fs::exists(p / "raw_data/rx_samples.csv"));
    EXPECT_TRUE(tmp_files().empty());
    EXPECT_TRUE(json::parse(read_text(p / "results.json")).at("receiver").is_null());
}

TEST_F(ResultsFiles, WriteReceiverResults) {
    const TestRecord id = make_record(false);
    const ReceiverReport rep = full_report();
    const std::string d = create_results_dir(dir_.string(), "two_machine", "rx");
    write_receiver_results(d, id, rep);
    const fs::path p(d);
    EXPECT_TRUE(fs::is_regular_file(p / "results.json"));
    EXPECT_TRUE(fs::is_regular_file(p / "raw_data/rx_samples.csv"));
    EXPECT_TRUE(tmp_files().empty());

    const json::value doc = json::parse(read_text(p / "results.json"));
    EXPECT_EQ(doc.at("schema_version"), json::value(kResultsSchemaVersion));
    EXPECT_EQ(doc.at("test").at("name"), "Unit Test");
    EXPECT_EQ(doc.at("test").at("id").to_number<int64_t>(), 4321);
    EXPECT_EQ(doc.at("test").at("started_at"), json::value(id.started_at));
    EXPECT_EQ(doc.at("test").at("status"), "complete");
    expect_same_json(doc.at("config"), to_json(id.config));
    expect_same_json(doc.at("receiver"), to_json(rep));
    EXPECT_EQ(read_text(p / "results.json"), json_text(doc) + "\n");  // json_text's form
    // And the report read back is the same report.
    expect_same_json(to_json(receiver_report_from_json(doc.at("receiver"))), to_json(rep));

    const auto rx = lines_of(read_text(p / "raw_data/rx_samples.csv"));
    ASSERT_EQ(rx.size(), 3u);
    EXPECT_EQ(rx[1], "0.500000,20,200,0.0,0.000,0.000");
    EXPECT_EQ(rx[2], "1.500000,40,400,20.0,0.005,0.002");
}

// write_file_atomic, both ways of making the file (unnamed O_TMPFILE inode,
// the default; named .tmp, the fallback for filesystems without it).
class AtomicWrite : public TempDirTest, public ::testing::WithParamInterface<detail::TempKind> {
protected:
    void write(const fs::path& f, const std::string& text) { detail::write_file_atomic(f.string(), text, GetParam()); }

    // The names in dir_ (not recursive), sorted.
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

INSTANTIATE_TEST_SUITE_P(Kinds, AtomicWrite, ::testing::Values(detail::TempKind::Unnamed, detail::TempKind::Named),
                         [](const auto& info) {
                             return std::string(info.param == detail::TempKind::Unnamed ? "Unnamed" : "Named");
                         });

TEST_P(AtomicWrite, ReplacesTheFileNotItsContent) {
    // An overwrite in place (truncate + write) would change what a hard
    // link or an open descriptor to the old file sees, and keep its inode:
    // a replacement leaves the old inode untouched and names a new one.
    const fs::path f = dir_ / "file.txt", old_link = dir_ / "old_link";
    const std::string first = "first version, rather long\n";
    write(f, first);
    fs::create_hard_link(f, old_link);
    struct stat before {};
    ASSERT_EQ(::stat(f.c_str(), &before), 0);
    const int old_fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(old_fd, 0);

    write(f, "second\n");
    EXPECT_EQ(read_text(f), "second\n");
    struct stat after {};
    ASSERT_EQ(::stat(f.c_str(), &after), 0);
    EXPECT_NE(after.st_ino, before.st_ino) << "the name still points at the old inode: an overwrite in place";
    EXPECT_EQ(read_text(old_link), first) << "the old inode's content changed";
    std::string seen(first.size() + 8, '\0');
    const ssize_t n = ::pread(old_fd, seen.data(), seen.size(), 0);
    ::close(old_fd);
    ASSERT_GE(n, 0);
    seen.resize(static_cast<size_t>(n));
    EXPECT_EQ(seen, first) << "an open descriptor of the old file sees other bytes";

    write(f, "");
    EXPECT_EQ(read_text(f), "");
    EXPECT_EQ(fs::file_size(f), 0u);
    EXPECT_EQ(names(), (std::vector<std::string>{"file.txt", "old_link"}));   // no temporary left
}

TEST_P(AtomicWrite, NewFileIsTheOnlyNameCreated) {
    const fs::path f = dir_ / "new.csv";
    const std::string text(100000, 'x');   // more than one page
    write(f, text);
    EXPECT_EQ(read_text(f), text);
    EXPECT_EQ(names(), std::vector<std::string>{"new.csv"});
    // Created like any file: 0666 less the umask.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
}

TEST_P(AtomicWrite, FailedWriteLeavesNothingAndKeepsTheOldFile) {
    // RLIMIT_FSIZE makes the kernel refuse the write (EFBIG) without root;
    // SIGXFSZ, which it also raises, is ignored meanwhile.
    const fs::path f = dir_ / "results.json";
    write(f, "old\n");
    struct rlimit saved {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = saved;
    small.rlim_cur = 16;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    std::string what_replace, what_new;
    try {
        write(f, std::string(1000, 'y'));
    } catch (const std::runtime_error& e) {
        what_replace = e.what();
    }
    try {
        write(dir_ / "fresh.json", std::string(1000, 'y'));
    } catch (const std::runtime_error& e) {
        what_new = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, old_handler);

    EXPECT_EQ(what_replace, "cannot write " + f.string() + ": " + std::strerror(EFBIG));
    EXPECT_EQ(what_new, "cannot write " + (dir_ / "fresh.json").string() + ": " + std::strerror(EFBIG));
    EXPECT_EQ(read_text(f), "old\n");
    EXPECT_EQ(names(), std::vector<std::string>{"results.json"});   // no .tmp, no fresh.json
}

TEST_P(AtomicWrite, FailedReplaceLeavesNothing) {
    // The name is taken by a non-empty directory: the rename over it fails
    // (after the text was written and, unnamed, linked to a temporary name).
    const fs::path f = dir_ / "results.md";
    fs::create_directories(f / "inside");
    try {
        write(f, "text\n");
        ADD_FAILURE() << "replaced a directory";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot replace " + f.string() + ": "), std::string::npos) << e.what();
    }
    EXPECT_TRUE(fs::is_directory(f / "inside"));
    EXPECT_EQ(names(), std::vector<std::string>{"results.md"});
}

TEST_P(AtomicWrite, MissingDirectoryThrowsNamingThePath) {
    const fs::path f = dir_ / "no" / "such" / "file";
    try {
        write(f, "x");
        ADD_FAILURE() << "wrote into a missing directory";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "cannot write " + f.string() + ": " + std::strerror(ENOENT));
    }
    EXPECT_TRUE(names().empty());
}

// write_results' stated order (results_dir.cpp): a failure at any file leaves
// every file before it whole, and none after it; results.json is last.
// Each file in turn is made unwritable by a non-empty directory in its place.
TEST_F(ResultsFiles, WriteOrderIsAPrefixOnFailure) {
    const std::vector<std::string> order = {"raw_data/tx_samples.csv", "raw_data/rx_samples.csv",
                                            "raw_data/system_cpu.csv", "raw_data/system_mem_netdev.csv",
                                            "results.csv", "results.md", "results.json"};
    const TestRecord r = make_record(true);
    ASSERT_TRUE(r.receiver && r.receiver->system);
    const std::string whole = create_results_dir(dir_.string(), "two_machine", "whole");
    write_results(whole, r);
    for (size_t k = 0; k < order.size(); ++k) {
        SCOPED_TRACE(order[k]);
        const std::string d = create_results_dir(dir_.string(), "two_machine", "fail_" + std::to_string(k));
        fs::create_directories(fs::path(d) / order[k] / "blocker");
        try {
            write_results(d, r);
            ADD_FAILURE() << "write_results did not fail";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(order[k]), std::string::npos) << e.what();
        }
        for (size_t i = 0; i < order.size(); ++i) {
            const fs::path f = fs::path(d) / order[i];
            if (i < k) {
                EXPECT_EQ(read_text(f), read_text(fs::path(whole) / order[i])) << order[i] << " before the failure";
            } else if (i > k) {
                EXPECT_FALSE(fs::exists(f)) << order[i] << " written after the failure";
            }
        }
    }
    // And the receiver's side: rx_samples.csv, the monitor's two, results.json.
    const std::vector<std::string> rx_order = {"raw_data/rx_samples.csv", "raw_data/system_cpu.csv",
                                               "raw_data/system_mem_netdev.csv", "results.json"};
    const ReceiverReport rep = full_report();
    for (size_t k = 0; k < rx_order.size(); ++k) {
        SCOPED_TRACE("receiver " + rx_order[k]);
        const std::string d = create_results_dir(dir_.string(), "receiver", "fail_" + std::to_string(k));
        fs::create_directories(fs::path(d) / rx_order[k] / "blocker");
        EXPECT_THROW(write_receiver_results(d, make_record(false), rep), std::runtime_error);
        for (size_t i = 0; i < rx_order.size(); ++i) {
            const fs::path f = fs::path(d) / rx_order[i];
            if (i < k) {
                EXPECT_TRUE(fs::is_regular_file(f)) << rx_order[i];
            } else if (i > k) {
                EXPECT_FALSE(fs::exists(f)) << rx_order[i];
            }
        }
    }
    EXPECT_TRUE(tmp_files().empty());
}

// The receiver report names each flow's flow_id, and receiver_report_from_json
// accepts the flows in any order, so the per-flow tables must look a flow up
// by its id, not by its position in the list.  (xdp-recv itself sends them
// dense and in order, which is why the positional lookup usually works.)
TEST(ResultsFlows, ReceiverFlowsMatchedByFlowIdNotPosition) {
    TestRecord r = make_record(true);
    // Same counts as make_record, listed in another order.
    r.receiver->flows = {{3, 245, 367500}, {2, 247, 370500}, {1, 248, 372000}, {0, 250, 375000}};
    const int64_t rx[] = {250, 248, 247, 245};

    const json::object doc = results_json(r);
    const auto& flows = doc.at("flows").as_array();
    ASSERT_EQ(flows.size(), 4u);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(flows[i].at("received").to_number<int64_t>(), rx[i]) << "results.json flow " << i;
        EXPECT_EQ(flows[i].at("lost").to_number<int64_t>(), 250 - rx[i]) << "results.json flow " << i;
    }

    const auto lines = lines_of(results_csv(r));
    ASSERT_EQ(lines.size(), 6u);
    for (int i = 0; i < 4; ++i) {
        const auto f = csv_fields(lines[1 + i]);
        ASSERT_EQ(f.size(), 12u);
        EXPECT_EQ(f[2], std::to_string(i));
        EXPECT_EQ(f[4], std::to_string(rx[i])) << "results.csv flow " << i;
    }

    const std::string md = results_markdown(r);
    EXPECT_NE(md.find("| 1 | 250 | 248 | 2 |"), std::string::npos) << md;
    EXPECT_NE(md.find("| 3 | 250 | 245 | 5 |"), std::string::npos) << md;
}

// Duplicates are reported, and not counted as deliveries: received is the
// unique count, so a duplicate cannot hide a loss.
TEST(ResultsSequence, DuplicatesAndReorderAreReportedNotDelivered) {
    TestRecord r = make_record(true);
    r.receiver->flows[0] = {0, 252, 378000, 0, 1, 2, 0};  // 250 sent, 2 arrived twice
    r.receiver->test_packets += 2;
    const Summary s = summarize(r);
    ASSERT_TRUE(s.duplicates.has_value());
    EXPECT_EQ(*s.duplicates, 2u);
    EXPECT_EQ(*s.received_packets, 990u);
    EXPECT_EQ(*s.lost_packets, 10);
    const json::object doc = results_json(r);
    const auto& row = doc.at("flows").as_array().at(0).as_object();
    EXPECT_EQ(row.at("received").as_uint64(), 250u);
    EXPECT_EQ(row.at("lost").as_int64(), 0);
    EXPECT_EQ(row.at("reordered").as_uint64(), 1u);
    EXPECT_EQ(row.at("duplicates").as_uint64(), 2u);
    const auto lines = lines_of(results_csv(r));
    EXPECT_EQ(lines[1], "Unit Test,4321,0,250,250,0,0.000000,1,2,1500 B,1.524000,1.504000");
    EXPECT_EQ(lines[5], "Unit Test,4321,all,1000,990,10,1.000000,1,2,1500 B,6.096000,6.016000");
}
