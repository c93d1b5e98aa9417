#include "receiver_link.hpp"

#include <chrono>
#include <stdexcept>

#include "auth.hpp"
#include "log.hpp"
#include "timeouts.hpp"

namespace ebt {

using namespace std::chrono_literals;

namespace {
// The timeouts both sides share: common/control/timeouts.hpp.
using proto::kCancelSlice, proto::kConnectTimeout, proto::kHandshakeTimeout, proto::kReadyTimeout,
    proto::kResultsTimeout, proto::kStartedTimeout, proto::kTimeReplyTimeout;
constexpr auto kSendTimeout = proto::kGeneratorSendTimeout;

std::string type_of(const boost::json::object& m) { return proto::get_string(m, "type"); }
}  // namespace

ReceiverLink::ReceiverLink(const TestConfig& cfg, std::optional<std::string> token)
    : cfg_(cfg), watch_(proto::kHeartbeatInterval, proto::kPeerLossTimeout, Clock::now()) {
    const auto& dst = cfg_.dst_machine;
    channel_.emplace(io_, proto::connect(io_, dst.ip, dst.control_port, kConnectTimeout));
    const std::string my_challenge = token ? auth::new_challenge() : std::string();
    channel_->send(proto::make_hello("generator", {}, my_challenge), kSendTimeout);
    const auto hello = proto::check_hello(channel_->expect("hello", kHandshakeTimeout), "receiver");
    serves_trials_ = hello.has_capability("trials");
    if (token) {
        // The receiver must prove it holds the secret too: a stranger
        // answering on that address is not sent our configuration.
        if (hello.challenge.empty() || hello.response.empty())
            throw proto::ProtocolError("xdp-recv at " + channel_->peer_address() +
                                       " does not authenticate (started without a token?)");
        if (!auth::equal(hello.response, auth::response(*token, "receiver", my_challenge, hello.challenge)))
            throw proto::ProtocolError("xdp-recv at " + channel_->peer_address() +
                                       " failed authentication: the shared secrets differ");
        channel_->send(proto::make_auth(auth::response(*token, "generator", hello.challenge, my_challenge)),
                       kSendTimeout);
    } else if (!hello.challenge.empty()) {
        throw proto::ProtocolError("xdp-recv at " + channel_->peer_address() +
                                   " requires authentication: pass --token-file or set $" + auth::kTokenEnv);
    }
    // The receiver proved itself (or is on a benchmarking address without a
    // secret): its results message may be large (every flow's row).
    channel_->accept_results();
    watch_.heard(Clock::now());
    log::info("connected to xdp-recv at " + channel_->peer_address() + " (" + hello.software + ", " +
              (token ? "authenticated" : "no authentication") + ")");
}

void ReceiverLink::absorb(const boost::json::object& msg) {
    watch_.heard(Clock::now());
    const std::string type = type_of(msg);
    if (type == "sample") {
        last_sample_ = proto::parse_sample(msg);
        ++samples_received_;
    } else if (type == "error") {
        throw proto::PeerError(proto::get_string(msg, "code"), proto::get_string(msg, "reason"));
    } else if (type != "heartbeat") {
        throw proto::ProtocolError("unexpected '" + type + "' from xdp-recv while running");
    }
}

boost::json::object ReceiverLink::expect(std::string_view type, Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const auto now = Clock::now();
        if (now >= deadline)
            throw proto::ProtocolError("no '" + std::string(type) + "' from xdp-recv in time");
        if (cancelled_ && cancelled_()) throw Cancelled("gave up waiting for '" + std::string(type) + "' (interrupted)");
        auto msg = channel_->receive(std::min<Clock::duration>(deadline - now, kCancelSlice));
        if (!msg) continue;
        const std::string t = type_of(*msg);
        if (t == type) {
            watch_.heard(Clock::now());
            return std::move(*msg);
        }
        absorb(*msg);
    }
}

ClockOffset ReceiverLink::sync_clock() {
    std::vector<ClockSample> samples;
    for (int i = 0; i < proto::kClockSyncExchanges; ++i) {
        ClockSample s;
        s.t1 = tai_now_ns();
        channel_->send(proto::make_time_request(s.t1), kSendTimeout);
        const auto reply = proto::parse_time_reply(expect("time_reply", kTimeReplyTimeout));
        s.t4 = tai_now_ns();
        if (reply.t1 != s.t1) throw proto::ProtocolError("time_reply answers another request");
        s.t2 = reply.t2;
        s.t3 = reply.t3;
        samples.push_back(s);
    }
    try {
        return estimate_clock_offset(samples);
    } catch (const std::invalid_argument& e) {
        throw proto::ProtocolError(e.what());
    }
}

proto::Ready ReceiverLink::configure(uint16_t test_id, uint64_t epoch_tai_ns, const std::optional<ClockOffset>& clock,
                                     const TestConfig& cfg) {
    test_id_ = test_id;
    cfg_ = cfg;
    channel_->send(proto::make_configure(test_id, cfg_.name, epoch_tai_ns, cfg_, clock ? clock->offset_ns : 0,
                                         clock ? clock->uncertainty_ns : -1),
                   kSendTimeout);
    proto::Ready ready = proto::parse_ready(expect("ready", kReadyTimeout));
    if (ready.test_id != test_id)
        throw proto::ProtocolError("ready for test " + std::to_string(ready.test_id) + ", expected " +
                                   std::to_string(test_id));
    return ready;
}

void ReceiverLink::start() {
    channel_->send(proto::make_start(test_id_), kSendTimeout);
    expect("started", kStartedTimeout);
    watch_ = PeerWatch(proto::kHeartbeatInterval, proto::kPeerLossTimeout, Clock::now());
}

void ReceiverLink::poll(Clock::duration budget) {
    const auto now = Clock::now();
    if (watch_.heartbeat_due(now)) {
        channel_->send(proto::make_heartbeat(tai_now_ns()), kSendTimeout);
        watch_.sent(now);
    }
    if (auto msg = channel_->receive(budget)) absorb(*msg);
    // Silence may be our own stall (descheduled past the budget): what
    // already waits in the socket comes first.
    while (watch_.peer_lost(Clock::now())) {
        auto msg = channel_->receive(std::chrono::milliseconds(1));
        if (!msg) break;
        absorb(*msg);
    }
    if (watch_.peer_lost(Clock::now()))
        throw PeerLost("xdp-recv silent for " +
                       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          watch_.silence(Clock::now()))
                                          .count()) +
                       " ms (peer lost)");
}

ReceiverReport ReceiverLink::stop(uint64_t sent_packets, const std::string& incomplete_reason) {
    channel_->send(proto::make_stop(test_id_, sent_packets, incomplete_reason), kSendTimeout);
    return expect_results();
}

ReceiverReport ReceiverLink::expect_results() {
    const auto msg = expect("results", kResultsTimeout);
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

void ReceiverLink::end() noexcept {
    try {
        channel_->send(proto::make_end(), kSendTimeout);
        channel_->close();
    } catch (const std::exception&) {
    }
}

ReceiverReport ReceiverLink::fetch_results(const TestConfig& cfg, const std::optional<std::string>& token,
                                           uint16_t test_id, CancelCheck cancelled) {
    ReceiverLink link(cfg, token);
    link.cancelled_ = std::move(cancelled);
    link.test_id_ = test_id;
    link.channel_->send(proto::make_fetch_results(test_id), kSendTimeout);
    return link.expect_results();
}

}  // namespace ebt
