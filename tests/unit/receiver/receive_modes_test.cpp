// receiver/receive_modes: --modes lists and the mode each test gets from the
// generator's network_config.dst_machine.receiver_mode.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config.hpp"
#include "receive_modes.hpp"

using ebt::ReceiveMode;

namespace {

const std::vector<ReceiveMode> kXdp{ReceiveMode::Xdp};
const std::vector<ReceiveMode> kBoth{ReceiveMode::Xdp, ReceiveMode::Baseline};
const std::vector<ReceiveMode> kBaselineFirst{ReceiveMode::Baseline, ReceiveMode::Xdp};

std::string parse_error(const std::string& text) {
    try {
        ebt::parse_receive_modes("modes", text);
    } catch (const ebt::ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(ReceiveModes, ListsInOrder) {
    EXPECT_EQ(ebt::parse_receive_modes("modes", "xdp"), kXdp);
    EXPECT_EQ(ebt::parse_receive_modes("modes", "xdp,baseline"), kBoth);
    EXPECT_EQ(ebt::parse_receive_modes("modes", "baseline,xdp"), kBaselineFirst);
    EXPECT_EQ(ebt::modes_text(kBaselineFirst), "baseline,xdp");
    EXPECT_EQ(ebt::modes_text(kXdp), "xdp");
}

TEST(ReceiveModes, BadListsAreOneLineNamingTheFlagAndTheModes) {
    EXPECT_EQ(parse_error("ebpf"),
              "--modes: expected a comma list of xdp and baseline (e.g. xdp,baseline; the first is the default), "
              "got 'ebpf'");
    for (const std::string bad : {"", ",", "xdp,", ",xdp", "xdp,,baseline", "XDP", "xdp baseline", "xdp,xdp",
                                  "baseline,xdp,baseline"}) {
        const std::string msg = parse_error(bad);
        ASSERT_FALSE(msg.empty()) << "'" << bad << "' was accepted";
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        EXPECT_EQ(msg.rfind("--modes: ", 0), 0u) << msg;
        EXPECT_NE(msg.find("xdp and baseline"), std::string::npos) << msg;
        EXPECT_NE(msg.find("got '" + bad + "'"), std::string::npos) << msg;
    }
    EXPECT_NE(parse_error("xdp,xdp").find("each once"), std::string::npos);
}

TEST(ReceiveModes, NoRequestTakesTheFirstServed) {
    for (const auto& served : {kXdp, kBoth, kBaselineFirst}) {
        const auto s = ebt::select_receive_mode(served, "");
        ASSERT_TRUE(s.mode);
        EXPECT_EQ(*s.mode, served.front());
        EXPECT_FALSE(s.requested);
        EXPECT_EQ(s.refusal, "");
    }
}

TEST(ReceiveModes, ARequestForAServedModeGetsIt) {
    for (const auto& served : {kBoth, kBaselineFirst}) {
        const auto x = ebt::select_receive_mode(served, "xdp");
        const auto b = ebt::select_receive_mode(served, "baseline");
        ASSERT_TRUE(x.mode && b.mode);
        EXPECT_EQ(*x.mode, ReceiveMode::Xdp);
        EXPECT_EQ(*b.mode, ReceiveMode::Baseline);
        EXPECT_TRUE(x.requested && b.requested);
    }
}

TEST(ReceiveModes, ARequestForAnotherModeIsRefusedNamingItAndTheServedList) {
    const auto s = ebt::select_receive_mode(kXdp, "baseline");
    EXPECT_FALSE(s.mode);
    EXPECT_EQ(s.refusal,
              "network_config.dst_machine.receiver_mode: baseline is not served by this receiver (it serves xdp; "
              "start xdp-recv with --modes naming baseline)");
    const auto t = ebt::select_receive_mode({ReceiveMode::Baseline}, "xdp");
    EXPECT_FALSE(t.mode);
    EXPECT_NE(t.refusal.find("xdp is not served"), std::string::npos);
    EXPECT_NE(t.refusal.find("it serves baseline"), std::string::npos);
    // Never a silent fallback, even for a name no receiver knows.
    EXPECT_FALSE(ebt::select_receive_mode(kBoth, "afxdp").mode);
}
