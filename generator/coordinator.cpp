#include "coordinator.hpp"

#include <chrono>
#include <stdexcept>

#include "log.hpp"

namespace ebt {

using namespace std::chrono_literals;

namespace {
constexpr auto kConnectTimeout = 10s;
constexpr auto kHandshakeTimeout = 10s;
// Loading and attaching the XDP program takes well under a second; a slow
// verifier on a big program gets this much.
constexpr auto kReadyTimeout = 30s;
constexpr auto kStartedTimeout = 10s;
constexpr auto kSendTimeout = 10s;
// The receiver drains for at most 2 s before it answers.
constexpr auto kResultsTimeout = 20s;
}  // namespace

ReceiverLink::ReceiverLink(const TestConfig& cfg) : cfg_(cfg) {
    const auto& dst = cfg_.dst_machine;
    channel_.emplace(io_, proto::connect(io_, dst.ip, dst.control_port, kConnectTimeout));
    channel_->send(proto::make_hello("generator"), kSendTimeout);
    const auto hello = channel_->expect("hello", kHandshakeTimeout);
    proto::check_hello(hello, "receiver");
    log::info("connected to xdp-recv at " + channel_->peer_address());
}

proto::Ready ReceiverLink::configure(uint16_t test_id, uint64_t epoch_tai_ns) {
    test_id_ = test_id;
    channel_->send(proto::make_configure(test_id, cfg_.name, epoch_tai_ns, cfg_), kSendTimeout);
    proto::Ready ready = proto::parse_ready(channel_->expect("ready", kReadyTimeout));
    if (ready.test_id != test_id)
        throw proto::ProtocolError("ready for test " + std::to_string(ready.test_id) + ", expected " +
                                   std::to_string(test_id));
    return ready;
}

void ReceiverLink::start() {
    channel_->send(proto::make_start(test_id_), kSendTimeout);
    channel_->expect("started", kStartedTimeout);
}

ReceiverReport ReceiverLink::stop(uint64_t sent_packets) {
    channel_->send(proto::make_stop(test_id_, sent_packets), kSendTimeout);
    const auto msg = channel_->expect("results", kResultsTimeout);
    if (proto::get_uint(msg, "test_id", UINT16_MAX) != test_id_)
        throw proto::ProtocolError("results for another test");
    try {
        return receiver_report_from_json(proto::get_object(msg, "receiver"));
    } catch (const std::invalid_argument& e) {
        throw proto::ProtocolError(e.what());
    }
}

void ReceiverLink::abort(const std::string& reason) noexcept {
    try {
        channel_->send(proto::make_error("aborted", reason), 2s);
        channel_->close();
    } catch (const std::exception&) {
    }
}

}  // namespace ebt
