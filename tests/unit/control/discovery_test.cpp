// ebt::discovery without a daemon: argument checks, and the clear error when
// avahi-daemon cannot be reached.  The daemon-backed behaviour is tested on
// the testbed (tests/integration/mdns_discovery.sh).
#include "discovery.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace ebt::discovery;

namespace {
// libavahi-client reaches the daemon over the D-Bus system bus; point it at a
// socket that does not exist, so the outcome does not depend on the machine.
class NoDaemon : public ::testing::Test {
protected:
    void SetUp() override { setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/ebt-test-no-bus", 1); }
};

template <typename F>
std::string what_of(F f) {
    try {
        f();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_F(NoDaemon, AdvertiserSaysTheDaemonIsNeeded) {
    auto msg = what_of([] { Advertiser a("ebt unit", 8080, {{"version", "2"}}); });
    EXPECT_NE(msg.find("mDNS discovery needs avahi-daemon running"), std::string::npos) << msg;
}

TEST_F(NoDaemon, BrowseSaysTheDaemonIsNeeded) {
    auto msg = what_of([] { browse(0.5); });
    EXPECT_NE(msg.find("mDNS discovery needs avahi-daemon running"), std::string::npos) << msg;
    msg = what_of([] { find_receiver(0.5); });
    EXPECT_NE(msg.find("mDNS discovery needs avahi-daemon running"), std::string::npos) << msg;
}

TEST_F(NoDaemon, BadArgumentsAreRejectedBeforeConnecting) {
    EXPECT_THROW(Advertiser("", 8080), std::invalid_argument);
    EXPECT_THROW(Advertiser(std::string(64, 'x'), 8080), std::invalid_argument);
    EXPECT_THROW(Advertiser("ok", 0), std::invalid_argument);
    EXPECT_THROW(Advertiser("ok", 8080, {{"", "v"}}), std::invalid_argument);
    EXPECT_THROW(Advertiser("ok", 8080, {{"a=b", "v"}}), std::invalid_argument);
    EXPECT_THROW(Advertiser("ok", 8080, {{"k", std::string(254, 'v')}}), std::invalid_argument);
    EXPECT_THROW(Advertiser("ok", 8080, {}, "not-a-type"), std::invalid_argument);
    EXPECT_THROW(browse(0), std::invalid_argument);
    EXPECT_THROW(browse(-1), std::invalid_argument);
    BrowseOptions o;
    o.interface = "ebt-no-such-if0";
    EXPECT_THROW(browse(1, o), std::invalid_argument);
    o = {};
    o.service_type = "bogus";
    EXPECT_THROW(browse(1, o), std::invalid_argument);
}

TEST(Discovery, DefaultInstanceNameIsAValidLabel) {
    auto n = default_instance_name();
    EXPECT_EQ(n.rfind("xdp-recv on ", 0), 0u) << n;
    EXPECT_LE(n.size(), 63u);
}
