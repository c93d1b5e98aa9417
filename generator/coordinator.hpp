// dpdk-gen's side of the control protocol (common/protocol.hpp): connect to
// xdp-recv, hand it the resolved config, learn its MAC, start, stop and
// fetch its final counters.  Every wait has a deadline.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "config.hpp"
#include "protocol.hpp"
#include "results.hpp"

namespace ebt {

class ReceiverLink {
public:
    // Connects to network_config.dst_machine ip:control_port and exchanges
    // hellos.  Throws proto::ProtocolError / proto::PeerError.
    explicit ReceiverLink(const TestConfig& cfg);

    // configure -> ready: the receiver has attached its program and zeroed
    // its counters.
    proto::Ready configure(uint16_t test_id, uint64_t epoch_tai_ns);
    // start -> started: the receiver is counting; traffic may begin.
    void start();
    // stop -> results (after the receiver's drain).
    ReceiverReport stop(uint64_t sent_packets);
    // Tells the receiver the test is abandoned (best effort, never throws).
    void abort(const std::string& reason) noexcept;

private:
    TestConfig cfg_;
    uint16_t test_id_ = 0;
    boost::asio::io_context io_;
    std::optional<proto::Channel> channel_;
};

}  // namespace ebt
