// See standalone.hpp.
#include "standalone.hpp"

#include <chrono>
#include <thread>

#include "log.hpp"
#include "results.hpp"
#include "system_monitor.hpp"
#include "receive_path.hpp"

namespace ebt {

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(50);
}  // namespace

int run_standalone(const StandaloneOptions& o, const std::atomic<bool>& stop) {
    TestRecord identity;
    identity.name = o.config.name;
    identity.id = 0;
    identity.coordinated = false;
    identity.config = o.config;
    if (o.duration_s) identity.config.duration_s = *o.duration_s;
    identity.started_at = now_iso8601();

    ReceivePathConfig pc;
    pc.mode = o.mode;
    pc.interface = o.interface;
    pc.xdp_mode = o.xdp_mode;
    pc.counting.test_id = 0;
    pc.counting.flows = EBT_MAX_FLOWS;
    pc.counting.action = o.action;
    pc.counting.any_test_id = true;
    pc.counting.foreign_tuples = o.foreign_tuples;
    pc.counting.foreign_drop = o.foreign_drop;
    pc.threads = o.recv_threads;

    std::unique_ptr<ReceivePath> path;
    std::string mac;
    try {
        if (pc.mode == ReceiveMode::Baseline) set_baseline_target(pc, o.config);
        path = open_receive_path(pc);
        mac = interface_mac(o.interface);
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
    log::info("standalone: " + path->description() + "; counting test packets of any test id" +
              (o.duration_s ? " for " + std::to_string(*o.duration_s) + " s" : " until SIGINT"));
    if (o.mode == ReceiveMode::Xdp && o.xdp_mode == XdpMode::Auto && path->xdp_mode_used() == "generic")
        log::warn(o.interface + " has no native XDP: generic (skb) mode measures the kernel stack too");

    const std::string dir =
        create_results_dir(o.results_dir, "receiver", results_dir_name(identity.started_at, identity.name));
    log::open_file(dir + "/xdp-recv.log");
    struct CloseLog {
        ~CloseLog() { log::close_file(); }
    } close_log;

    SystemMonitor monitor(o.interface, o.config.sample_rate);
    std::vector<CounterSample> samples;
    ReceiverReport report;
    std::string incomplete_reason;
    try {
        path->start();
        log::info("standalone: counting");
        const auto t0 = Clock::now();
        monitor.sample(0.0);
        const auto every = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.config.sample_rate));
        auto next_sample = t0 + every;
        std::optional<Clock::time_point> end;
        if (o.duration_s)
            end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*o.duration_s));
        auto since = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
        for (;;) {
            if (stop.load()) {
                if (o.duration_s) incomplete_reason = "xdp-recv interrupted by a signal before the duration";
                break;
            }
            const auto now = Clock::now();
            if (end && now >= *end) break;
            if (now >= next_sample) {
                const CpuTotals t = path->read_totals();
                samples.push_back({since(), t.test_packets, t.test_bytes});
                path->sample(samples.back().t_s);
                monitor.sample(samples.back().t_s);
                next_sample += every;
                continue;
            }
            std::this_thread::sleep_for(std::min<Clock::duration>(kPoll, next_sample - now));
        }
        const double t_end = since();
        path->sample(t_end);
        report = path->finish(mac, true);
        samples.push_back({t_end, report.test_packets, report.test_bytes});
        report.samples = std::move(samples);
        monitor.sample(report.samples.back().t_s);
        report.system = monitor.finish(report.test_packets);
    } catch (const std::exception& e) {
        incomplete_reason = e.what();
        log::error("standalone run incomplete: " + incomplete_reason);
    }
    path->release();
    log::info(o.mode == ReceiveMode::Xdp ? "XDP program detached from " + o.interface
                                         : std::string("baseline sockets closed"));
    identity.ended_at = now_iso8601();
    identity.status = incomplete_reason.empty() ? "complete" : "incomplete";
    identity.status_reason = incomplete_reason;
    write_receiver_results(dir, identity, report);
    log::info("standalone: " + std::to_string(report.test_packets) + " test packets in " +
              std::to_string(report.flows.size()) + " flows, " + std::to_string(report.other_packets) +
              " other packets; results: " + dir);
    return incomplete_reason.empty() ? 0 : 1;
}

}  // namespace ebt
