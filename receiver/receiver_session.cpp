#include "receiver_session.hpp"

#include <chrono>
#include <optional>
#include <thread>

#include <boost/json.hpp>

#include "log.hpp"
#include "results.hpp"

namespace ebt {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto kHandshakeTimeout = 10s;
constexpr auto kConfigureTimeout = 30s;
constexpr auto kStartTimeout = 30s;
constexpr auto kSendTimeout = 10s;
// The generator sends stop after duration; allow it this much more.
constexpr auto kStopGrace = 30s;
// After stop: packets still in flight (NIC rings, softirq backlog) are
// counted until all sent packets arrived or the count stops moving.
constexpr auto kDrainQuiet = 200ms;
constexpr auto kDrainMax = 2s;
constexpr auto kDrainPoll = 10ms;

ReceiverReport make_report(const XdpProgram& prog, const XdpAttachment& att, const std::string& mac) {
    const CpuTotals t = prog.read_totals();
    ReceiverReport r;
    r.interface = att.ifname();
    r.mac = mac;
    r.xdp_mode = att.mode_used();
    r.rx_packets = t.rx_packets;
    r.rx_bytes = t.rx_bytes;
    r.test_packets = t.test_packets;
    r.test_bytes = t.test_bytes;
    r.other_packets = t.other_packets;
    r.other_bytes = t.other_bytes;
    r.stale_packets = t.stale_packets;
    r.bad_flow_packets = t.bad_flow_packets;
    const auto flows = prog.read_flows();
    r.flows.reserve(flows.size());
    for (uint32_t i = 0; i < flows.size(); ++i) {
        const auto& f = flows[i];
        r.flows.push_back({i, f.packets, f.bytes, f.lost, f.reordered, f.duplicates, f.late});
    }
    return r;
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
    if (!ec) acceptor_.listen(4, ec);
    if (ec)
        throw std::runtime_error("cannot listen on " + options_.listen_address + ":" +
                                 std::to_string(options_.control_port) + ": " + ec.message());
    log::info("listening for dpdk-gen on " + options_.listen_address + ":" + std::to_string(options_.control_port) +
              " (interface " + options_.interface + ")");
}

void ReceiverServer::request_stop() {
    stop_requested_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (active_ != nullptr) active_->close();
}

int ReceiverServer::serve() {
    int status = 0;
    while (!stop_requested_) {
        tcp::socket socket(io_);
        boost::system::error_code result;
        bool done = false;
        acceptor_.async_accept(socket, [&](const boost::system::error_code& ec) {
            result = ec;
            done = true;
        });
        io_.restart();
        while (!done) io_.run_one();
        if (stop_requested_) break;
        if (result) {
            log::error("accept failed: " + result.message());
            return 1;
        }
        const bool complete = serve_connection(std::move(socket));
        status = complete ? 0 : 1;
        if (options_.once) break;
    }
    return status;
}

bool ReceiverServer::serve_connection(tcp::socket socket) {
    proto::Channel channel(io_, std::move(socket));
    active_ = &channel;
    struct ClearActive {
        proto::Channel*& p;
        ~ClearActive() { p = nullptr; }
    } clear_active{active_};
    const std::string peer = channel.peer_address();
    log::info("generator connected from " + peer);

    // Until configure succeeds there is no test: failures just end the session.
    proto::Configure conf;
    try {
        proto::check_hello(channel.expect("hello", kHandshakeTimeout), "generator");
        channel.send(proto::make_hello("receiver", options_.interface), kSendTimeout);
        conf = proto::parse_configure(channel.expect("configure", kConfigureTimeout));
    } catch (const std::exception& e) {
        log::error(std::string("session with ") + peer + " ended before a test: " + e.what());
        try {
            channel.send(proto::make_error("bad_request", e.what()), kSendTimeout);
        } catch (const std::exception&) {
        }
        return false;
    }

    TestRecord identity;
    identity.name = conf.test_name;
    identity.id = conf.test_id;
    identity.config = conf.config;
    identity.started_at = now_iso8601();

    // Load and attach for this test only.
    std::optional<XdpProgram> program;
    std::optional<XdpAttachment> attachment;
    std::string mac;
    try {
        program.emplace(XdpProgramConfig{conf.test_id, conf.config.flows, true});
        attachment.emplace(*program, options_.interface, options_.xdp_mode);
        mac = interface_mac(options_.interface);
    } catch (const std::exception& e) {
        log::error(e.what());
        try {
            channel.send(proto::make_error("xdp_attach_failed", e.what()), kSendTimeout);
        } catch (const std::exception&) {
        }
        return false;
    }
    log::info("test " + std::to_string(conf.test_id) + " '" + conf.test_name + "': XDP program attached to " +
              options_.interface + " in " + attachment->mode_used() + " mode (requested " +
              to_string(options_.xdp_mode) + ")");
    if (options_.xdp_mode == XdpMode::Auto && attachment->mode_used() == "generic")
        log::warn(options_.interface + " has no native XDP: generic (skb) mode measures the kernel stack too");

    const std::string dir = create_results_dir(options_.results_dir, "receiver",
                                               results_dir_name(identity.started_at, identity.name));
    log::open_file(dir + "/xdp-recv.log");
    struct CloseLog {
        ~CloseLog() { log::close_file(); }
    } close_log;

    ReceiverReport report;
    std::string incomplete_reason;
    try {
        channel.send(proto::make_ready(conf.test_id, options_.interface, mac, attachment->mode_used()), kSendTimeout);
        channel.expect("start", kStartTimeout);
        program->reset_counters();
        channel.send(proto::make_started(conf.test_id), kSendTimeout);
        const auto t0 = Clock::now();
        log::info("counting");

        // Count until stop, sampling the totals every sample_rate seconds.
        const auto sample_every = std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(conf.config.sample_rate));
        const auto stop_deadline =
            t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(conf.config.duration_s)) +
            kStopGrace;
        auto next_sample = t0 + sample_every;
        uint64_t sent_packets = 0;
        for (;;) {
            if (stop_requested_) throw std::runtime_error("xdp-recv interrupted by a signal");
            const auto now = Clock::now();
            if (now >= stop_deadline) throw std::runtime_error("no stop message from the generator in time");
            if (now >= next_sample) {
                const CpuTotals t = program->read_totals();
                report.samples.push_back({seconds_since(t0), t.test_packets, t.test_bytes});
                next_sample += sample_every;
                continue;
            }
            auto msg = channel.receive(std::min(next_sample, stop_deadline) - now);
            if (!msg) continue;
            const std::string type = proto::get_string(*msg, "type");
            if (type == "stop") {
                sent_packets = proto::get_uint(*msg, "sent_packets", UINT64_MAX);
                break;
            }
            if (type == "error") throw std::runtime_error("generator reported: " + proto::get_string(*msg, "reason"));
            throw proto::ProtocolError("unexpected '" + type + "' while running");
        }

        // Drain: wait until every sent packet arrived or the count is quiet.
        const auto drain_start = Clock::now();
        CpuTotals last = program->read_totals();
        auto last_change = drain_start;
        while (last.test_packets < sent_packets && Clock::now() - drain_start < kDrainMax &&
               Clock::now() - last_change < kDrainQuiet && !stop_requested_) {
            std::this_thread::sleep_for(kDrainPoll);
            const CpuTotals t = program->read_totals();
            if (t.test_packets != last.test_packets) last_change = Clock::now();
            last = t;
        }
        ReceiverReport final_report = make_report(*program, *attachment, mac);
        final_report.samples = std::move(report.samples);
        final_report.samples.push_back({seconds_since(t0), final_report.test_packets, final_report.test_bytes});
        final_report.drain_s = seconds_since(drain_start);
        report = std::move(final_report);
        channel.send(proto::make_results(conf.test_id, to_json(report)), kSendTimeout);
        log::info("test " + std::to_string(conf.test_id) + " done: " + std::to_string(report.test_packets) +
                  " test packets received of " + std::to_string(sent_packets) + " sent");
    } catch (const std::exception& e) {
        incomplete_reason = e.what();
        log::error("test " + std::to_string(conf.test_id) + " incomplete: " + incomplete_reason);
        try {
            auto samples = std::move(report.samples);
            report = make_report(*program, *attachment, mac);
            report.samples = std::move(samples);
        } catch (const std::exception& e2) {
            log::error(std::string("could not read the final counters: ") + e2.what());
        }
    }

    attachment.reset();  // detach before writing: the interface is free again
    log::info("XDP program detached from " + options_.interface);
    identity.ended_at = now_iso8601();
    identity.status = incomplete_reason.empty() ? "complete" : "incomplete";
    identity.status_reason = incomplete_reason;
    write_receiver_results(dir, identity, report);
    log::info("results: " + dir);
    return incomplete_reason.empty();
}

}  // namespace ebt
