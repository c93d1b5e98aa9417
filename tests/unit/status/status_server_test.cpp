// common/status/status_server: the status pages served on their own thread
// (a snapshot's update seen by the next request), and a port in use.
#include <gtest/gtest.h>

#include "tcp_client.hpp"  // tests/support

#include <stdexcept>
#include <string>

#include "status_pages.hpp"
#include "status_server.hpp"

namespace {

ebt::StatusSnapshot running_receiver() {
    ebt::StatusSnapshot s;
    s.role = "receiver";
    s.state = "running";
    s.test_id = 77;
    s.received_packets = 1000;
    for (uint32_t i = 0; i < 10; ++i) s.flows.push_back({i, 100});
    return s;
}

}  // namespace

TEST(StatusServer, ServesTheSnapshotOnItsOwnThread) {
    ebt::SharedStatus shared;
    shared.update(running_receiver());
    ebt::StatusServer server("127.0.0.1", 0, shared, 8);
    auto get = [&](const std::string& path) {
        return ebt::test::tcp_exchange(server.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    };
    EXPECT_NE(get("/status").find("\"test_id\":77"), std::string::npos);
    shared.modify([](ebt::StatusSnapshot& s) { s.test_id = 78; });
    EXPECT_NE(get("/status").find("\"test_id\":78"), std::string::npos);
    EXPECT_EQ(get("/x").rfind("HTTP/1.1 404", 0), 0u);
}

TEST(StatusServer, PortInUseIsAClearError) {
    ebt::SharedStatus shared;
    ebt::StatusServer first("127.0.0.1", 0, shared, 8);
    try {
        ebt::StatusServer second("127.0.0.1", first.port(), shared, 8);
        FAIL() << "second bind succeeded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(std::to_string(first.port())), std::string::npos) << e.what();
    }
}
