// receiver/options: --mode and --modes (the modes served, the default
// first), their checks and what follows from them.  On loopback, which
// every network namespace has.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "config.hpp"
#include "options.hpp"

using ebt::ReceiveMode;

namespace {

ebt::RecvCommandLine parse(std::vector<std::string> args) {
    args.insert(args.begin(), {"xdp-recv", "--interface", "lo"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    return ebt::parse_recv_options(static_cast<int>(argv.size()), argv.data());
}

std::string error_of(std::vector<std::string> args) {
    try {
        parse(std::move(args));
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

class RecvOptions : public ::testing::Test {
protected:
    void SetUp() override { unsetenv("EBT_TOKEN"); }   // no secret: parse_recv_options reads it
};

}  // namespace

TEST_F(RecvOptions, XdpAloneByDefault) {
    const auto cl = parse({});
    EXPECT_EQ(cl.server.modes, std::vector<ReceiveMode>{ReceiveMode::Xdp});
    EXPECT_EQ(cl.standalone.modes, std::vector<ReceiveMode>{ReceiveMode::Xdp});
}

TEST_F(RecvOptions, ModeIsModesOfOne) {
    EXPECT_EQ(parse({"--mode", "baseline"}).server.modes, std::vector<ReceiveMode>{ReceiveMode::Baseline});
    EXPECT_EQ(parse({"--mode", "xdp"}).server.modes, std::vector<ReceiveMode>{ReceiveMode::Xdp});
    EXPECT_EQ(parse({"--modes", "baseline"}).server.modes, std::vector<ReceiveMode>{ReceiveMode::Baseline});
}

TEST_F(RecvOptions, ModesListTheServedModesDefaultFirst) {
    const auto both = parse({"--modes", "xdp,baseline"});
    EXPECT_EQ(both.server.modes, (std::vector<ReceiveMode>{ReceiveMode::Xdp, ReceiveMode::Baseline}));
    EXPECT_EQ(both.server.default_mode(), ReceiveMode::Xdp);
    EXPECT_TRUE(both.server.serves(ReceiveMode::Baseline));
    const auto rev = parse({"--modes=baseline,xdp"});
    EXPECT_EQ(rev.server.default_mode(), ReceiveMode::Baseline);
    EXPECT_FALSE(parse({"--modes", "xdp"}).server.serves(ReceiveMode::Baseline));
}

TEST_F(RecvOptions, ModeAndModesTogetherIsAnError) {
    EXPECT_EQ(error_of({"--mode", "xdp", "--modes", "xdp,baseline"}),
              "--mode and --modes: give one (--mode M is --modes M)");
    EXPECT_EQ(error_of({"--modes", "baseline", "--mode", "baseline"}),
              "--mode and --modes: give one (--mode M is --modes M)");
}

TEST_F(RecvOptions, BadModesNameTheFlag) {
    EXPECT_EQ(error_of({"--modes", "xdp,ebpf"}),
              "--modes: expected a comma list of xdp and baseline (e.g. xdp,baseline; the first is the default), "
              "got 'xdp,ebpf'");
    EXPECT_EQ(error_of({"--mode", "both"}), "--mode: expected xdp or baseline, got 'both'");
}

TEST_F(RecvOptions, BaselineFlagsFollowTheServedModes) {
    EXPECT_EQ(parse({"--modes", "xdp,baseline", "--recv-threads", "3"}).server.recv_threads, 3u);
    EXPECT_EQ(parse({"--mode", "baseline", "--recv-threads", "2"}).server.recv_threads, 2u);
    EXPECT_EQ(error_of({"--modes", "xdp", "--recv-threads", "2"}),
              "--recv-threads: only when baseline is served (--mode baseline, or --modes listing it)");
    // The XDP program's own actions: refused when a baseline test could come.
    EXPECT_NE(error_of({"--modes", "xdp,baseline", "--test-action", "tx"}).find("--test-action: only when xdp is the only mode served"),
              std::string::npos);
    EXPECT_EQ(parse({"--modes", "xdp", "--test-action", "tx"}).server.action, ebt::TestAction::Tx);
}

TEST_F(RecvOptions, StandaloneCountsInTheFirstMode) {
    EXPECT_EQ(parse({"--modes", "baseline,xdp", "--no-coordination"}).standalone.config.name, "standalone_baseline");
    EXPECT_EQ(parse({"--modes", "xdp,baseline", "--no-coordination"}).standalone.config.name, "standalone_xdp");
}
