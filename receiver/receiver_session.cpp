// See receiver_session.hpp.
#include "receiver_session.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>

#include "auth.hpp"
#include "log.hpp"
#include "receive_modes.hpp"
#include "results.hpp"
#include "timestamp.hpp"

namespace ebt {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Without a shared secret only these may drive the receiver: loopback and
// the RFC 2544 benchmarking range the testbed uses.
bool trusted_without_token(const std::string& peer) {
    const auto colon = peer.rfind(':');
    boost::system::error_code ec;
    const auto a = asio::ip::make_address(peer.substr(0, colon), ec);
    if (ec) return false;
    if (a.is_loopback()) return true;
    if (!a.is_v4()) return false;
    const uint32_t v = a.to_v4().to_uint();
    return (v & 0xFFFE0000u) == 0xC6120000u;  // 198.18.0.0/15
}

// Channel::receive's ProtocolError for a connection the peer closed or
// reset (rather than a malformed frame).
bool connection_broke(const proto::ProtocolError& e) {
    const std::string_view what = e.what();
    return what.starts_with("connection closed") || what.starts_with("receive from");
}

// Milliseconds with one decimal.
std::string ms_text(std::chrono::steady_clock::duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", std::chrono::duration<double, std::milli>(d).count());
    return buf;
}

}  // namespace

ReceiverSession::ReceiverSession(proto::Channel& channel, Shared shared)
    : channel_(channel),
      shared_(shared),
      peer_(channel.peer_address()),
      // The session's states and their deadlines (session_state.hpp); /status
      // shows the state.
      machine_(SessionMachine::Timeouts{}, Clock::now()) {}

void ReceiverSession::set_state(const std::string& state) {
    shared_.status.modify([&](StatusSnapshot& st) { st.state = state; });
}

void ReceiverSession::enter(SessionState to) {
    machine_.advance(to, Clock::now());
    set_state(to_string(to));
}

ReceiverSession::Clock::duration ReceiverSession::time_left() const {
    return std::max<Clock::duration>(machine_.deadline() - Clock::now(), Clock::duration::zero());
}

SessionOutcome ReceiverSession::refuse(std::string_view code, const std::string& reason) {
    log::warn("refused " + peer_ + ": " + reason);
    try {
        channel_.send(proto::make_error(code, reason), proto::kReceiverSendTimeout);
    } catch (const std::exception&) {
    }
    return SessionOutcome::NoTest;
}

// Every authentication failure: one log line with the peer and the cause,
// and an error to the peer (lost if it already closed).
SessionOutcome ReceiverSession::refuse_auth(std::string_view code, const std::string& cause) {
    log::warn("authentication failed for " + peer_ + ": " + cause);
    try {
        channel_.send(proto::make_error(code, "authentication failed: " + cause), proto::kReceiverSendTimeout);
    } catch (const std::exception&) {
    }
    return SessionOutcome::NoTest;
}

SessionOutcome ReceiverSession::run() {
    log::info("controller connected from " + peer_);
    std::optional<proto::Configure> conf;
    try {
        if (const auto refused = handshake()) return *refused;
        conf = await_configure();
        if (!conf) return SessionOutcome::NoTest;
    } catch (const std::exception& e) {
        return refuse("bad_request", std::string("session ended before a test: ") + e.what());
    }
    // Trial after trial while each completes; a failed one ends the session.
    for (;;) {
        if (run_test(*conf) != SessionOutcome::Complete) return SessionOutcome::Incomplete;
        conf = await_next_trial(conf->test_id);
        if (!conf) return SessionOutcome::Complete;
    }
}

// Versions, then the HMAC challenge/response both ways (or, without a
// secret, the address rule).
std::optional<SessionOutcome> ReceiverSession::handshake() {
    proto::Hello hello;
    try {
        hello = proto::check_hello(channel_.expect("hello", proto::kHandshakeTimeout), "generator");
    } catch (const proto::ProtocolError& e) {
        const std::string what = e.what();
        return refuse(what.find("version mismatch") != std::string::npos ? "version_mismatch" : "bad_request", what);
    }
    if (shared_.token) return authenticate(hello);
    if (!trusted_without_token(peer_))
        return refuse_auth("auth_required", "this receiver has no shared secret and accepts only loopback "
                                            "and 198.18.0.0/15 without one");
    channel_.send(proto::make_hello("receiver", shared_.settings.interface), proto::kReceiverSendTimeout);
    if (!hello.challenge.empty()) {
        // A generator with a secret refuses a receiver that cannot prove it
        // holds one: it closes the connection now.
        try {
            early_ = channel_.expect_any(time_left());
        } catch (const proto::ProtocolError& e) {
            if (!connection_broke(e)) throw;
            return refuse_auth("auth_required", "the generator has a shared secret and this receiver has "
                                                "none (it closed the connection)");
        }
    }
    return std::nullopt;
}

std::optional<SessionOutcome> ReceiverSession::authenticate(const proto::Hello& hello) {
    const std::string& token = *shared_.token;
    const std::string challenge = auth::new_challenge();
    const std::string response =
        hello.challenge.empty() ? std::string() : auth::response(token, "receiver", hello.challenge, challenge);
    channel_.send(proto::make_hello("receiver", shared_.settings.interface, challenge, response), proto::kReceiverSendTimeout);
    // dpdk-gen checks our response first and, when it cannot accept it (its
    // secret differs) or has no secret and sees our challenge, closes the
    // connection: that is the usual failure seen here.
    std::optional<json::object> msg;
    try {
        msg = channel_.receive(proto::kAuthTimeout);
    } catch (const proto::ProtocolError& e) {
        if (!connection_broke(e)) return refuse_auth("auth_failed", std::string("bad 'auth' message: ") + e.what());
        return refuse_auth("auth_failed",
                           hello.challenge.empty()
                               ? "the generator has no shared secret (its hello carried no challenge) and "
                                 "closed the connection"
                               : "the generator closed the connection during authentication (its shared "
                                 "secret differs from this receiver's)");
    }
    if (!msg)
        return refuse_auth("auth_failed", "no 'auth' message within " +
                                              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                                 proto::kAuthTimeout).count()) + " s");
    const std::string type = proto::get_string(*msg, "type");
    if (type == "error") {
        const auto* reason = msg->if_contains("reason");
        return refuse_auth("auth_failed", "the generator refused this receiver: " +
                                              (reason && reason->is_string() ? std::string(reason->as_string())
                                                                             : std::string("no reason given")));
    }
    if (type != "auth") return refuse_auth("auth_failed", "expected 'auth', got '" + type + "'");
    if (hello.challenge.empty())
        return refuse_auth("auth_failed", "the generator's hello carried no challenge (it has no shared "
                                          "secret) and this receiver has one");
    const std::string got = proto::get_string(*msg, "response");
    if (!auth::equal(got, auth::response(token, "generator", challenge, hello.challenge)))
        return refuse_auth("auth_failed", "wrong HMAC response in 'auth' (the shared secrets differ)");
    return std::nullopt;
}

// Before configure: clock-sync exchanges, or a fetch of the last results.
std::optional<proto::Configure> ReceiverSession::await_configure() {
    for (;;) {
        auto msg = early_ ? std::move(*early_) : channel_.expect_any(time_left());
        early_.reset();
        const int64_t t2 = tai_now_ns();
        const std::string type = proto::get_string(msg, "type");
        if (type == "time_request") {
            channel_.send(proto::make_time_reply(proto::parse_time_request(msg), t2, tai_now_ns()), proto::kReceiverSendTimeout);
        } else if (type == "fetch_results") {
            const auto id = static_cast<uint16_t>(proto::get_uint(msg, "test_id", UINT16_MAX));
            const auto& kept = shared_.last_results;
            if (kept && kept->test_id == id)
                channel_.send(proto::make_results(id, kept->report), proto::kReceiverSendTimeout);
            else
                channel_.send(proto::make_error("not_found", "no results kept for test " + std::to_string(id)),
                              proto::kReceiverSendTimeout);
            return std::nullopt;
        } else if (type == "configure") {
            configure_received_ = Clock::now();
            return proto::parse_configure(msg);
        } else if (type != "heartbeat") {
            throw proto::ProtocolError("unexpected '" + type + "' before configure");
        }
    }
}

// Between trials: clock-sync exchanges and heartbeats are answered or
// ignored; configure starts the next trial, anything else ends the session.
// The deadline runs from the previous results (heartbeats do not extend it).
std::optional<proto::Configure> ReceiverSession::await_next_trial(uint16_t previous_test_id) {
    enter(SessionState::BetweenTrials);
    const std::string after = "after test " + std::to_string(previous_test_id) + ": ";
    try {
        for (;;) {
            if (shared_.stop_requested) {
                log::info(after + "session ended by a signal");
                break;
            }
            auto msg = channel_.receive(time_left());
            if (shared_.stop_requested) continue;
            if (!msg) {
                log::info(after + "no next trial within " +
                          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                             proto::kBetweenTrialsTimeout).count()) +
                          " s: session ended");
                break;
            }
            const int64_t t2 = tai_now_ns();
            const std::string type = proto::get_string(*msg, "type");
            if (type == "configure") {
                configure_received_ = Clock::now();
                proto::Configure next = proto::parse_configure(*msg);
                if (next.test_id == previous_test_id) {
                    // Its late packets would count as this trial's, not as stale.
                    refuse("bad_request", "configure: test_id " + std::to_string(next.test_id) +
                                              " repeats the previous test's id " + std::to_string(previous_test_id) +
                                              " (each trial needs a new test id)");
                    break;
                }
                return next;
            }
            if (type == "end") {
                log::info(after + "the generator ended the session");
                break;
            }
            if (type == "time_request") {
                channel_.send(proto::make_time_reply(proto::parse_time_request(*msg), t2, tai_now_ns()),
                              proto::kReceiverSendTimeout);
            } else if (type == "error") {
                const auto* reason = msg->if_contains("reason");
                log::warn(after + "the generator reported: " +
                          (reason && reason->is_string() ? std::string(reason->as_string()) : "no reason given"));
                break;
            } else if (type != "heartbeat") {
                throw proto::ProtocolError("unexpected '" + type + "' between trials");
            }
        }
    } catch (const proto::ProtocolError& e) {
        if (shared_.stop_requested)
            log::info(after + "session ended by a signal");
        else if (connection_broke(e))
            log::info(after + "the generator closed the connection");
        else
            refuse("bad_request", after + e.what());
    }
    enter(SessionState::Done);
    return std::nullopt;
}

SessionOutcome ReceiverSession::run_test(const proto::Configure& conf) {
    const ReceiveSettings& settings = shared_.settings;
    // The mode this test asked for (network_config.dst_machine.receiver_mode),
    // else ours; one we do not serve is refused before anything is opened or
    // shown.
    const ModeSelection mode = select_receive_mode(settings.modes, conf.config.dst_machine.receiver_mode);
    if (!mode.mode) {
        refuse("bad_request", "test " + std::to_string(conf.test_id) + ": " + mode.refusal);  // logs it too
        return SessionOutcome::Incomplete;
    }

    shared_.running_test_id = conf.test_id == 0 ? 1 : conf.test_id;
    shared_.status.modify([&](StatusSnapshot& st) {
        st.test_id = conf.test_id;
        st.test_name = conf.test_name;
        st.duration_s = conf.config.duration_s;
        st.elapsed_s = 0;
        st.received_packets = 0;
        st.rx_pps = 0;
        st.lost = 0;
        st.receive_path_cpu_pct = -1;
        st.host_cpu_busy_pct = -1;
        st.flows.clear();
    });
    if (conf.clock_uncertainty_ns >= 0)
        log::info("clock offset from the generator: " + std::to_string(conf.clock_offset_ns) + " ns +- " +
                  std::to_string(conf.clock_uncertainty_ns) + " ns");

    TestRecord identity;
    identity.name = conf.test_name;
    identity.id = conf.test_id;
    identity.config = conf.config;
    identity.started_at = now_iso8601();

    // Load and attach (or, in baseline mode, bind the sockets) for this test only.
    std::optional<Measurement> m;
    try {
        ReceivePathConfig pc = receive_path_config(settings, *mode.mode);
        pc.counting.test_id = conf.test_id;
        pc.counting.flows = conf.config.flows;
        pc.counting.epoch_tai_ns = conf.epoch_tai_ns;
        pc.counting.clock_offset_ns = conf.clock_offset_ns;
        pc.counting.clock_uncertainty_ns = conf.clock_uncertainty_ns;
        m.emplace(pc, conf.config);
    } catch (const std::exception& e) {
        log::error(e.what());
        try {
            channel_.send(proto::make_error("xdp_attach_failed", e.what()), proto::kReceiverSendTimeout);
        } catch (const std::exception&) {
        }
        return SessionOutcome::Incomplete;
    }
    m->announce("test " + std::to_string(conf.test_id) + " '" + conf.test_name + "': ",
                std::string(" (receive mode ") + to_string(*mode.mode) +
                    (mode.requested ? ", as the generator asked)" : ", this receiver's default)"));
    const ReceiverResultsDir dir(settings.results_dir, identity);

    ReceiverReport report;
    std::string incomplete_reason;
    try {
        enter(SessionState::Configured);
        channel_.send(proto::make_ready(conf.test_id, settings.interface, m->mac(), m->path().xdp_mode_used()),
                      proto::kReceiverSendTimeout);
        // What each trial pays for its own program (the test id is a
        // constant in it): load, verify, attach, counters zeroed.
        log::info("test " + std::to_string(conf.test_id) + ": ready " + ms_text(Clock::now() - configure_received_) +
                  " ms after configure (receive path set up)");
        await_start();
        enter(SessionState::Armed);
        // Run-time stats (XDP) on from here for this test only (RAII).
        m->start([&] { channel_.send(proto::make_started(conf.test_id), proto::kReceiverSendTimeout); });
        // Running ends with stop: due after the duration, with a grace.
        machine_.set_running_timeout(seconds_duration(conf.config.duration_s) + proto::kStopGrace);
        enter(SessionState::Running);
        log::info("counting");
        const proto::Stop stop = count_until_stop(*m, conf);
        enter(SessionState::Draining);
        report = m->finish(false, drain(m->path(), stop.sent_packets));
        channel_.send(proto::make_results(conf.test_id, to_json(report)), proto::kReceiverSendTimeout);
        log::info("test " + std::to_string(conf.test_id) + " done: " + std::to_string(report.test_packets) +
                  " test packets received of " + std::to_string(stop.sent_packets) + " sent");
        // An interrupted generator still wants this side's counts: drained
        // and answered, but the test is incomplete.
        if (!stop.incomplete_reason.empty()) {
            incomplete_reason = "generator: " + stop.incomplete_reason;
            log::warn("test " + std::to_string(conf.test_id) + " incomplete: " + incomplete_reason);
        }
    } catch (const std::exception& e) {
        incomplete_reason = e.what();
        log::error("test " + std::to_string(conf.test_id) + " incomplete: " + incomplete_reason);
        try {
            report = m->salvage();
        } catch (const std::exception& e2) {
            log::error(std::string("could not read the final counters: ") + e2.what());
        }
    }

    enter(SessionState::Done);
    m->release();  // before writing: the interface is free again
    dir.write(identity, incomplete_reason, report);
    log::info("results: " + dir.path());
    shared_.last_results = KeptResults{conf.test_id, to_json(report)};
    return incomplete_reason.empty() ? SessionOutcome::Complete : SessionOutcome::Incomplete;
}

void ReceiverSession::await_start() {
    for (;;) {  // heartbeats may come before start
        auto msg = channel_.expect_any(time_left());
        const std::string type = proto::get_string(msg, "type");
        if (type == "start") return;
        if (type != "heartbeat") throw proto::ProtocolError("unexpected '" + type + "' before start");
    }
}

// Count until stop: sample the totals every sample_rate seconds, stream live
// samples every real_time.update_interval, heartbeat every second, and give
// up on a generator silent for 3 s.
proto::Stop ReceiverSession::count_until_stop(Measurement& m, const proto::Configure& conf) {
    const auto stop_deadline = machine_.deadline();
    PeerWatch watch(proto::kHeartbeatInterval, proto::kPeerLossTimeout, m.started());
    auto show = [&](const Measurement::Live& at) {
        const auto flows = m.path().read_flows();
        proto::LiveSample live;
        live.t_s = at.t_s;
        live.test_packets = at.totals.test_packets;
        live.rx_pps = at.rx_pps;
        for (const auto& f : flows) live.lost += f.lost;
        // Over the last >= 2 s of monitor samples; -1 until then.
        live.receive_path_cpu_pct = m.monitor().recent_receive_path_cpu_pct().value_or(-1);
        live.host_cpu_busy_pct = m.monitor().recent_host_cpu_busy_pct().value_or(-1);
        if (conf.config.real_time.enabled) channel_.send(proto::make_sample(live), proto::kReceiverSendTimeout);
        shared_.status.modify([&](StatusSnapshot& st) {
            st.elapsed_s = live.t_s;
            st.received_packets = live.test_packets;
            st.rx_pps = live.rx_pps;
            st.lost = live.lost;
            st.receive_path_cpu_pct = live.receive_path_cpu_pct;
            st.host_cpu_busy_pct = live.host_cpu_busy_pct;
            st.xdp_mode = m.path().xdp_mode_used();
            st.flows.clear();
            for (uint32_t i = 0; i < flows.size() && i < shared_.settings.max_flow_labels; ++i)
                st.flows.push_back({i, flows[i].packets});
        });
    };
    for (;;) {
        if (shared_.stop_requested) throw std::runtime_error("xdp-recv interrupted by a signal");
        const auto now = Clock::now();
        if (now >= stop_deadline) throw std::runtime_error("no stop message from the generator in time");
        std::optional<json::object> msg;
        if (watch.peer_lost(now)) {
            // Silence may be our own stall (this process descheduled): what
            // already waits in the socket comes first.
            msg = channel_.receive(proto::kSilenceRecheck);
            if (!msg)
                throw std::runtime_error("peer lost: no message from the generator for " +
                                         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                            watch.silence(now)).count()) + " ms");
        }
        if (!msg && watch.heartbeat_due(now)) {
            channel_.send(proto::make_heartbeat(tai_now_ns()), proto::kReceiverSendTimeout);
            watch.sent(now);
        }
        if (!msg && m.poll(now, show)) continue;
        if (!msg) msg = channel_.receive(std::min({m.next_due(), stop_deadline, watch.next_event()}) - now);
        if (!msg) continue;
        watch.heard(Clock::now());
        const std::string type = proto::get_string(*msg, "type");
        if (type == "stop") return proto::parse_stop(*msg);
        if (type == "heartbeat") continue;
        if (type == "error") throw std::runtime_error("generator reported: " + proto::get_string(*msg, "reason"));
        throw proto::ProtocolError("unexpected '" + type + "' while running");
    }
}

ReceiverSession::Clock::time_point ReceiverSession::drain(const ReceivePath& path, uint64_t sent_packets) const {
    const auto drain_start = Clock::now();
    CpuTotals last = path.read_totals();
    auto last_change = drain_start;
    while (last.test_packets < sent_packets && Clock::now() - drain_start < proto::kDrainMax &&
           Clock::now() - last_change < proto::kDrainQuiet && !shared_.stop_requested) {
        std::this_thread::sleep_for(proto::kDrainPoll);
        const CpuTotals t = path.read_totals();
        if (t.test_packets != last.test_packets) last_change = Clock::now();
        last = t;
    }
    return drain_start;
}

}  // namespace ebt
