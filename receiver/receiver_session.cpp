#include "receiver_session.hpp"

#include <chrono>
#include <optional>
#include <thread>

#include <boost/json.hpp>

#include <algorithm>
#include <memory>

#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "auth.hpp"
#include "clock_sync.hpp"
#include "http_endpoint.hpp"
#include "session_state.hpp"
#include "receive_path.hpp"
#include "log.hpp"
#include "results.hpp"
#include "system_monitor.hpp"

namespace ebt {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto kHandshakeTimeout = 10s;
constexpr auto kSendTimeout = 10s;
// The generator sends stop after duration; allow it this much more.
constexpr auto kStopGrace = 30s;
// After stop: packets still in flight (NIC rings, softirq backlog) are
// counted until all sent packets arrived or the count stops moving.
constexpr auto kDrainQuiet = 200ms;
constexpr auto kDrainMax = 2s;
constexpr auto kDrainPoll = 10ms;
constexpr auto kClassifyTimeout = 5s;
constexpr auto kHttpTimeout = 5s;
constexpr auto kAuthTimeout = 10s;
// Before declaring the peer lost: one more look at the socket.
constexpr auto kSilenceRecheck = 1ms;

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

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

ReceiverServer::ReceiverServer(asio::io_context& io, const ReceiverOptions& options)
    : io_(io), options_(options), acceptor_(io) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.listen_address, ec);
    if (ec) throw std::runtime_error("--listen: '" + options_.listen_address + "' is not an IP address");
    const tcp::endpoint ep(address, options_.control_port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(8, ec);
    if (ec)
        throw std::runtime_error("cannot listen on " + options_.listen_address + ":" +
                                 std::to_string(options_.control_port) + ": " + ec.message());
    status_.modify([&](StatusSnapshot& st) {
        st.role = "receiver";
        st.interface = options_.interface;
        for (const auto& c : options_.checks) st.checks.push_back({c.item, c.ok, c.detail});
    });
    log::info("listening for dpdk-gen on " + options_.listen_address + ":" + std::to_string(options_.control_port) +
              " (interface " + options_.interface + "; HTTP /health /status /metrics on the same port)");
    if (options_.token)
        log::info("control connections must authenticate (HMAC-SHA256 with the shared secret)");
    else
        log::warn("no shared secret (--token-file or $EBT_TOKEN): accepting control connections only from "
                  "loopback and 198.18.0.0/15 (the RFC 2544 testbed range)");
    arm_accept();
}

void ReceiverServer::request_stop() {
    stop_requested_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (active_ != nullptr) active_->close();
}

void ReceiverServer::set_state(const std::string& state) {
    status_.modify([&](StatusSnapshot& st) { st.state = state; });
}

void ReceiverServer::arm_accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec) {
            if (ec != asio::error::operation_aborted && !stop_requested_) {
                log::warn("accept failed: " + ec.message());
                arm_accept();
            }
            return;
        }
        classify(std::move(socket));
        arm_accept();
    });
}

// Reads the first four bytes (under a deadline) to tell an HTTP request
// line from a control frame's length prefix, whose first byte is always 0.
void ReceiverServer::classify(tcp::socket socket) {
    struct Peek {
        tcp::socket socket;
        asio::steady_timer timer;
        std::string bytes = std::string(4, '\0');
    };
    auto peek = std::make_shared<Peek>(Peek{std::move(socket), asio::steady_timer(io_)});
    peek->timer.expires_after(kClassifyTimeout);
    peek->timer.async_wait([peek](const boost::system::error_code& ec) {
        boost::system::error_code ignored;
        if (!ec) peek->socket.close(ignored);
    });
    asio::async_read(peek->socket, asio::buffer(peek->bytes), [this, peek](const boost::system::error_code& ec, std::size_t) {
        peek->timer.cancel();
        if (ec) return;  // closed or silent: nothing to answer
        if (http::looks_like_http(peek->bytes)) {
            http::start_serving(std::move(peek->socket), peek->bytes, status_handler(status_, options_.max_flow_labels),
                                kHttpTimeout);
            return;
        }
        if (running_test_id_ != 0 || pending_ || active_ != nullptr) {
            // One test at a time: tell the second controller who is busy.
            auto frame = std::make_shared<std::string>(proto::encode_frame(proto::make_busy(running_test_id_)));
            auto sock = std::make_shared<tcp::socket>(std::move(peek->socket));
            asio::async_write(*sock, asio::buffer(*frame), [frame, sock](const boost::system::error_code&, std::size_t) {
                boost::system::error_code ignored;
                sock->shutdown(tcp::socket::shutdown_both, ignored);
                sock->close(ignored);
            });
            log::warn("refused a second controller: busy with test " + std::to_string(running_test_id_));
            return;
        }
        pending_.emplace(PendingControl{std::move(peek->socket), peek->bytes});
    });
}

int ReceiverServer::serve() {
    int status = 0;
    while (!stop_requested_) {
        io_.restart();
        while (!pending_ && !stop_requested_) io_.run_one();
        if (stop_requested_) break;
        PendingControl control = std::move(*pending_);
        pending_.reset();
        const Outcome outcome = serve_connection(std::move(control.socket), std::move(control.initial));
        set_state("idle");
        if (outcome == Outcome::NoTest) continue;  // refused, fetched or bad: not a test
        status = outcome == Outcome::Complete ? 0 : 1;
        if (options_.once) break;
    }
    return status;
}

ReceiverServer::Outcome ReceiverServer::serve_connection(tcp::socket socket, std::string initial) {
    proto::Channel channel(io_, std::move(socket), std::move(initial));
    active_ = &channel;
    struct ClearActive {
        proto::Channel*& p;
        uint16_t& id;
        ~ClearActive() {
            p = nullptr;
            id = 0;
        }
    } clear_active{active_, running_test_id_};
    const std::string peer = channel.peer_address();
    log::info("controller connected from " + peer);
    // The session's states and their deadlines (session_state.hpp); /status
    // shows the state.
    SessionMachine machine(SessionMachine::Timeouts{}, Clock::now());
    auto enter = [&](SessionState to) {
        machine.advance(to, Clock::now());
        set_state(to_string(to));
    };
    auto time_left = [&] { return std::max<Clock::duration>(machine.deadline() - Clock::now(), Clock::duration::zero()); };
    auto refuse = [&](std::string_view code, const std::string& reason) {
        log::warn("refused " + peer + ": " + reason);
        try {
            channel.send(proto::make_error(code, reason), kSendTimeout);
        } catch (const std::exception&) {
        }
        return Outcome::NoTest;
    };

    // Every authentication failure: one log line with the peer and the
    // cause, and an error to the peer (lost if it already closed).
    auto refuse_auth = [&](std::string_view code, const std::string& cause) {
        log::warn("authentication failed for " + peer + ": " + cause);
        try {
            channel.send(proto::make_error(code, "authentication failed: " + cause), kSendTimeout);
        } catch (const std::exception&) {
        }
        return Outcome::NoTest;
    };

    // Handshake: versions, then the HMAC challenge/response both ways.
    proto::Configure conf;
    std::optional<json::object> early;   // the first message after hello, when already read
    try {
        proto::Hello hello;
        try {
            hello = proto::check_hello(channel.expect("hello", kHandshakeTimeout), "generator");
        } catch (const proto::ProtocolError& e) {
            const std::string what = e.what();
            return refuse(what.find("version mismatch") != std::string::npos ? "version_mismatch" : "bad_request", what);
        }
        if (options_.token) {
            const std::string challenge = auth::new_challenge();
            const std::string response =
                hello.challenge.empty() ? std::string() : auth::response(*options_.token, "receiver", hello.challenge, challenge);
            channel.send(proto::make_hello("receiver", options_.interface, challenge, response), kSendTimeout);
            // dpdk-gen checks our response first and, when it cannot accept
            // it (its secret differs) or has no secret and sees our challenge,
            // closes the connection: that is the usual failure seen here.
            std::optional<json::object> msg;
            try {
                msg = channel.receive(kAuthTimeout);
            } catch (const proto::ProtocolError& e) {
                if (!connection_broke(e))
                    return refuse_auth("auth_failed", std::string("bad 'auth' message: ") + e.what());
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
                                                                         kAuthTimeout).count()) + " s");
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
            if (!auth::equal(got, auth::response(*options_.token, "generator", challenge, hello.challenge)))
                return refuse_auth("auth_failed", "wrong HMAC response in 'auth' (the shared secrets differ)");
        } else {
            if (!trusted_without_token(peer))
                return refuse_auth("auth_required", "this receiver has no shared secret and accepts only loopback "
                                                    "and 198.18.0.0/15 without one");
            channel.send(proto::make_hello("receiver", options_.interface), kSendTimeout);
            if (!hello.challenge.empty()) {
                // A generator with a secret refuses a receiver that cannot
                // prove it holds one: it closes the connection now.
                try {
                    early = channel.expect_any(time_left());
                } catch (const proto::ProtocolError& e) {
                    if (!connection_broke(e)) throw;
                    return refuse_auth("auth_required", "the generator has a shared secret and this receiver has "
                                                        "none (it closed the connection)");
                }
            }
        }

        // Before configure: clock-sync exchanges, or a fetch of the last results.
        for (;;) {
            auto msg = early ? std::move(*early) : channel.expect_any(time_left());
            early.reset();
            const int64_t t2 = tai_now_ns();
            const std::string type = proto::get_string(msg, "type");
            if (type == "time_request") {
                channel.send(proto::make_time_reply(proto::parse_time_request(msg), t2, tai_now_ns()), kSendTimeout);
            } else if (type == "fetch_results") {
                const auto id = static_cast<uint16_t>(proto::get_uint(msg, "test_id", UINT16_MAX));
                if (last_results_ && last_results_->test_id == id)
                    channel.send(proto::make_results(id, last_results_->report), kSendTimeout);
                else
                    channel.send(proto::make_error("not_found", "no results kept for test " + std::to_string(id)),
                                 kSendTimeout);
                return Outcome::NoTest;
            } else if (type == "configure") {
                conf = proto::parse_configure(msg);
                break;
            } else if (type != "heartbeat") {
                throw proto::ProtocolError("unexpected '" + type + "' before configure");
            }
        }
    } catch (const std::exception& e) {
        return refuse("bad_request", std::string("session ended before a test: ") + e.what());
    }
    running_test_id_ = conf.test_id == 0 ? 1 : conf.test_id;
    status_.modify([&](StatusSnapshot& st) {
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
    std::unique_ptr<ReceivePath> path;
    std::string mac;
    try {
        ReceivePathConfig pc;
        pc.mode = options_.mode;
        pc.interface = options_.interface;
        pc.xdp_mode = options_.xdp_mode;
        pc.counting.test_id = conf.test_id;
        pc.counting.flows = conf.config.flows;
        pc.counting.action = options_.action;
        pc.counting.epoch_tai_ns = conf.epoch_tai_ns;
        pc.counting.clock_offset_ns = conf.clock_offset_ns;
        pc.counting.clock_uncertainty_ns = conf.clock_uncertainty_ns;
        pc.threads = options_.recv_threads;
        if (pc.mode == ReceiveMode::Baseline) set_baseline_target(pc, conf.config);
        path = open_receive_path(pc);
        mac = interface_mac(options_.interface);
    } catch (const std::exception& e) {
        log::error(e.what());
        try {
            channel.send(proto::make_error("xdp_attach_failed", e.what()), kSendTimeout);
        } catch (const std::exception&) {
        }
        return Outcome::Incomplete;
    }
    log::info("test " + std::to_string(conf.test_id) + " '" + conf.test_name + "': " + path->description());
    if (options_.mode == ReceiveMode::Xdp && options_.xdp_mode == XdpMode::Auto && path->xdp_mode_used() == "generic")
        log::warn(options_.interface + " has no native XDP: generic (skb) mode measures the kernel stack too");

    const std::string dir = create_results_dir(options_.results_dir, "receiver",
                                               results_dir_name(identity.started_at, identity.name));
    log::open_file(dir + "/xdp-recv.log");
    struct CloseLog {
        ~CloseLog() { log::close_file(); }
    } close_log;

    SystemMonitor monitor(options_.interface, conf.config.sample_rate);

    ReceiverReport report;
    std::string incomplete_reason;
    try {
        enter(SessionState::Configured);
        channel.send(proto::make_ready(conf.test_id, options_.interface, mac, path->xdp_mode_used()), kSendTimeout);
        for (;;) {  // heartbeats may come before start
            auto msg = channel.expect_any(time_left());
            const std::string type = proto::get_string(msg, "type");
            if (type == "start") break;
            if (type != "heartbeat") throw proto::ProtocolError("unexpected '" + type + "' before start");
        }
        enter(SessionState::Armed);
        // Run-time stats (XDP) on from here for this test only (RAII).
        path->start();
        channel.send(proto::make_started(conf.test_id), kSendTimeout);
        const auto t0 = Clock::now();
        monitor.sample(0.0);
        // Running ends with stop: due after the duration, with a grace.
        machine.set_running_timeout(
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(conf.config.duration_s)) +
            kStopGrace);
        enter(SessionState::Running);
        log::info("counting");

        // Count until stop: sample the totals every sample_rate seconds,
        // stream live samples every real_time.update_interval, heartbeat
        // every second, and give up on a generator silent for 3 s.
        const auto sample_every = std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(conf.config.sample_rate));
        const auto live_every = std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(conf.config.real_time.update_interval));
        const auto stop_deadline = machine.deadline();
        auto next_sample = t0 + sample_every;
        auto next_live = t0 + live_every;
        uint64_t live_packets = 0;
        auto live_at = t0;
        PeerWatch watch(proto::kHeartbeatInterval, proto::kPeerLossTimeout, t0);
        ReceiverSampler sampler;
        uint64_t sent_packets = 0;
        std::string stopped_early;
        for (;;) {
            if (stop_requested_) throw std::runtime_error("xdp-recv interrupted by a signal");
            const auto now = Clock::now();
            if (now >= stop_deadline) throw std::runtime_error("no stop message from the generator in time");
            std::optional<json::object> msg;
            if (watch.peer_lost(now)) {
                // Silence may be our own stall (this process descheduled):
                // what already waits in the socket comes first.
                msg = channel.receive(kSilenceRecheck);
                if (!msg)
                    throw std::runtime_error("peer lost: no message from the generator for " +
                                             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                watch.silence(now)).count()) + " ms");
            }
            if (!msg && watch.heartbeat_due(now)) {
                channel.send(proto::make_heartbeat(tai_now_ns()), kSendTimeout);
                watch.sent(now);
            }
            if (!msg && now >= next_sample) {
                const CpuTotals t = path->read_totals();
                report.samples.push_back(sampler.take(*path, seconds_since(t0), t));
                path->sample(report.samples.back().t_s);
                monitor.sample(report.samples.back().t_s);
                next_sample += sample_every;
                continue;
            }
            if (!msg && now >= next_live) {
                const CpuTotals t = path->read_totals();
                const auto flows = path->read_flows();
                proto::LiveSample live;
                live.t_s = seconds_since(t0);
                live.test_packets = t.test_packets;
                const double dt = std::chrono::duration<double>(now - live_at).count();
                live.rx_pps = dt > 0 ? static_cast<double>(t.test_packets - live_packets) / dt : 0;
                for (const auto& f : flows) live.lost += f.lost;
                // Over the last >= 2 s of monitor samples; -1 until then.
                live.receive_path_cpu_pct = monitor.recent_receive_path_cpu_pct().value_or(-1);
                live.host_cpu_busy_pct = monitor.recent_host_cpu_busy_pct().value_or(-1);
                live_packets = t.test_packets;
                live_at = now;
                if (conf.config.real_time.enabled) channel.send(proto::make_sample(live), kSendTimeout);
                status_.modify([&](StatusSnapshot& st) {
                    st.elapsed_s = live.t_s;
                    st.received_packets = live.test_packets;
                    st.rx_pps = live.rx_pps;
                    st.lost = live.lost;
                    st.receive_path_cpu_pct = live.receive_path_cpu_pct;
                    st.host_cpu_busy_pct = live.host_cpu_busy_pct;
                    st.xdp_mode = path->xdp_mode_used();
                    st.flows.clear();
                    for (uint32_t i = 0; i < flows.size() && i < options_.max_flow_labels; ++i)
                        st.flows.push_back({i, flows[i].packets});
                });
                next_live += live_every;
                continue;
            }
            if (!msg) msg = channel.receive(std::min({next_sample, next_live, stop_deadline, watch.next_event()}) - now);
            if (!msg) continue;
            watch.heard(Clock::now());
            const std::string type = proto::get_string(*msg, "type");
            if (type == "stop") {
                const proto::Stop stop = proto::parse_stop(*msg);
                sent_packets = stop.sent_packets;
                // An interrupted generator still wants this side's counts:
                // drain and answer, but the test is incomplete.
                stopped_early = stop.incomplete_reason;
                break;
            }
            if (type == "heartbeat") continue;
            if (type == "error") throw std::runtime_error("generator reported: " + proto::get_string(*msg, "reason"));
            throw proto::ProtocolError("unexpected '" + type + "' while running");
        }
        enter(SessionState::Draining);

        // Drain: wait until every sent packet arrived or the count is quiet.
        const auto drain_start = Clock::now();
        CpuTotals last = path->read_totals();
        auto last_change = drain_start;
        while (last.test_packets < sent_packets && Clock::now() - drain_start < kDrainMax &&
               Clock::now() - last_change < kDrainQuiet && !stop_requested_) {
            std::this_thread::sleep_for(kDrainPoll);
            const CpuTotals t = path->read_totals();
            if (t.test_packets != last.test_packets) last_change = Clock::now();
            last = t;
        }
        const double t_end = seconds_since(t0);
        path->sample(t_end);
        ReceiverReport final_report = path->finish(mac, false);
        final_report.samples = std::move(report.samples);
        CpuTotals at_end{};  // the report's own totals: the last sample equals them
        at_end.test_packets = final_report.test_packets;
        at_end.test_bytes = final_report.test_bytes;
        final_report.samples.push_back(sampler.take(*path, t_end, at_end));
        final_report.drain_s = seconds_since(drain_start);
        monitor.sample(final_report.samples.back().t_s);
        final_report.system = monitor.finish(final_report.test_packets);
        report = std::move(final_report);
        channel.send(proto::make_results(conf.test_id, to_json(report)), kSendTimeout);
        log::info("test " + std::to_string(conf.test_id) + " done: " + std::to_string(report.test_packets) +
                  " test packets received of " + std::to_string(sent_packets) + " sent");
        if (!stopped_early.empty()) {
            incomplete_reason = "generator: " + stopped_early;
            log::warn("test " + std::to_string(conf.test_id) + " incomplete: " + incomplete_reason);
        }
    } catch (const std::exception& e) {
        incomplete_reason = e.what();
        log::error("test " + std::to_string(conf.test_id) + " incomplete: " + incomplete_reason);
        try {
            auto samples = std::move(report.samples);
            report = path->finish(mac, false);
            report.samples = std::move(samples);
            report.system = monitor.finish(report.test_packets);
        } catch (const std::exception& e2) {
            log::error(std::string("could not read the final counters: ") + e2.what());
        }
    }

    enter(SessionState::Done);
    path->release();  // detach (or close the sockets) before writing: the interface is free again
    log::info(options_.mode == ReceiveMode::Xdp ? "XDP program detached from " + options_.interface
                                                : std::string("baseline sockets closed"));
    identity.ended_at = now_iso8601();
    identity.status = incomplete_reason.empty() ? "complete" : "incomplete";
    identity.status_reason = incomplete_reason;
    write_receiver_results(dir, identity, report);
    log::info("results: " + dir);
    last_results_ = LastResults{conf.test_id, to_json(report)};
    return incomplete_reason.empty() ? Outcome::Complete : Outcome::Incomplete;
}

}  // namespace ebt
