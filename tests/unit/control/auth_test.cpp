// Authentication (HMAC-SHA256 challenge/response), clock-offset estimation
// and the Prometheus text format: the pure parts of the control protocol.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "auth.hpp"
#include "clock_sync.hpp"
#include "config.hpp"
#include "prometheus.hpp"
#include "require.hpp"

namespace fs = std::filesystem;

namespace {

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/ebt-sec-XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string file(const std::string& name, const std::string& text) const {
        std::string p = path_ + "/" + name;
        std::ofstream(p) << text;
        return p;
    }

private:
    std::string path_;
};

}  // namespace

TEST(Auth, ResponseIsHmacSha256OfRoleAndChallenges) {
    // Independent value: Python's hmac.new(key, b"generator|aa|bb", sha256).
    EXPECT_EQ(ebt::auth::response("0123456789abcdef-secret", "generator", "aa", "bb"),
              "0290506f703848282185156296e157071e45001ca1d7f577bcecea8644679278");
}

TEST(Auth, RoleAndOrderMatter) {
    const std::string k = "0123456789abcdef-secret";
    const auto g = ebt::auth::response(k, "generator", "aa", "bb");
    EXPECT_NE(g, ebt::auth::response(k, "receiver", "aa", "bb"));
    EXPECT_NE(g, ebt::auth::response(k, "generator", "bb", "aa"));
    EXPECT_NE(g, ebt::auth::response(k + "x", "generator", "aa", "bb"));
}

TEST(Auth, ChallengesAreFreshHex) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const std::string c = ebt::auth::new_challenge();
        ASSERT_EQ(c.size(), 64u);
        EXPECT_EQ(c.find_first_not_of("0123456789abcdef"), std::string::npos);
        EXPECT_TRUE(seen.insert(c).second);
    }
}

TEST(Auth, ConstantTimeEqual) {
    EXPECT_TRUE(ebt::auth::equal("abcd", "abcd"));
    EXPECT_FALSE(ebt::auth::equal("abcd", "abce"));
    EXPECT_FALSE(ebt::auth::equal("abcd", "abc"));
    EXPECT_FALSE(ebt::auth::equal("", "a"));
}

TEST(Auth, TokenFromFileAndEnvironment) {
    TempDir dir;
    unsetenv(ebt::auth::kTokenEnv);
    EXPECT_FALSE(ebt::auth::load_token(std::nullopt).has_value());
    EXPECT_EQ(ebt::auth::load_token(dir.file("t", "0123456789abcdef-secret\n")), "0123456789abcdef-secret");
    setenv(ebt::auth::kTokenEnv, "env-secret-0123456789", 1);
    EXPECT_EQ(ebt::auth::load_token(std::nullopt), "env-secret-0123456789");
    // The file wins over the environment.
    EXPECT_EQ(ebt::auth::load_token(dir.file("t2", "file-secret-0123456789")), "file-secret-0123456789");
    unsetenv(ebt::auth::kTokenEnv);
}

TEST(Auth, BadTokensAreConfigErrors) {
    TempDir dir;
    try {
        ebt::auth::load_token(dir.file("short", "tooshort\n"));
        FAIL() << "short token accepted";
    } catch (const ebt::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("at least 16 bytes"), std::string::npos) << e.what();
    }
    try {
        ebt::auth::load_token(std::string("/nonexistent/token"));
        FAIL() << "missing file accepted";
    } catch (const ebt::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("--token-file"), std::string::npos) << e.what();
    }
}

TEST(ClockSync, SymmetricPathGivesExactOffset) {
    // Server 1000 ns ahead, 50 ns each way, 10 ns in the server.
    const ebt::ClockOffset o = ebt::estimate_clock_offset({{0, 1050, 1060, 110}});
    EXPECT_EQ(o.offset_ns, 1000);
    EXPECT_EQ(o.delay_ns, 100);
    EXPECT_GE(o.uncertainty_ns, 50);
    EXPECT_LE(o.uncertainty_ns, 52);
}

TEST(ClockSync, LowestDelaySampleWins) {
    // True offset -500; the second sample has the shortest round trip.
    const std::vector<ebt::ClockSample> s{
        {0, -500 + 400, -500 + 410, 420},   // asymmetric: 400 out, 10 back
        {1000, 1000 - 500 + 20, 1000 - 500 + 25, 1045},
        {2000, 2000 - 500 + 5, 2000 - 500 + 10, 2300},
    };
    const ebt::ClockOffset o = ebt::estimate_clock_offset(s);
    EXPECT_EQ(o.delay_ns, 40);
    EXPECT_EQ(o.samples, 3u);
    // The truth lies within the reported bound.
    EXPECT_LE(std::llabs(o.offset_ns - (-500)), o.uncertainty_ns);
}

TEST(ClockSync, ImpossibleSamplesAreRefused) {
    EXPECT_THROW(ebt::estimate_clock_offset({}), std::invalid_argument);
    EXPECT_THROW(ebt::estimate_clock_offset({{100, 0, 10, 50}}), std::invalid_argument);  // t4 < t1
    EXPECT_THROW(ebt::estimate_clock_offset({{0, 10, 5, 50}}), std::invalid_argument);    // t3 < t2
    EXPECT_THROW(ebt::estimate_clock_offset({{0, 0, 100, 50}}), std::invalid_argument);   // negative delay
}

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
    TempDir dir;
    const std::string f = dir.file("metrics.txt", m.str());
    EXPECT_EQ(std::system(("promtool check metrics < " + f + " >/dev/null 2>&1").c_str()), 0);
    // And the check can fail: a malformed exposition is rejected.
    const std::string bad = dir.file("bad.txt", "# TYPE x counter\nx{a=\"1} 2\n");
    EXPECT_NE(std::system(("promtool check metrics < " + bad + " >/dev/null 2>&1").c_str()), 0);
}
