// See standalone.hpp.
#include "standalone.hpp"

#include <chrono>
#include <thread>

#include "bpf_stats.hpp"
#include "log.hpp"
#include "results.hpp"
#include "system_monitor.hpp"
#include "xdp_report.hpp"

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

    XdpProgramConfig pc;
    pc.test_id = 0;
    pc.flows = EBT_MAX_FLOWS;
    pc.action = o.action;
    pc.any_test_id = true;
    pc.foreign_tuples = o.foreign_tuples;
    pc.foreign_drop = o.foreign_drop;

    std::optional<XdpProgram> program;
    std::optional<XdpAttachment> attachment;
    std::string mac;
    try {
        program.emplace(pc);
        attachment.emplace(*program, o.interface, o.xdp_mode);
        mac = interface_mac(o.interface);
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
    log::info("standalone: XDP program attached to " + o.interface + " in " + attachment->mode_used() +
              " mode (requested " + to_string(o.xdp_mode) + "); counting test packets of any test id" +
              (o.duration_s ? " for " + std::to_string(*o.duration_s) + " s" : " until SIGINT"));
    if (o.xdp_mode == XdpMode::Auto && attachment->mode_used() == "generic")
        log::warn(o.interface + " has no native XDP: generic (skb) mode measures the kernel stack too");

    const std::string dir =
        create_results_dir(o.results_dir, "receiver", results_dir_name(identity.started_at, identity.name));
    log::open_file(dir + "/xdp-recv.log");
    struct CloseLog {
        ~CloseLog() { log::close_file(); }
    } close_log;

    BpfStatsEnabler stats;
    if (!stats.ok()) log::warn(stats.error() + ": per-packet program cost not reported");
    ProgCostTracker cost;
    SystemMonitor monitor(o.interface, o.config.sample_rate);
    std::vector<CounterSample> samples;
    ReceiverReport report;
    std::string incomplete_reason;
    try {
        program->reset_counters();
        cost.start(*program, stats.ok());
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
                const CpuTotals t = program->read_totals();
                samples.push_back({since(), t.test_packets, t.test_bytes});
                cost.sample(*program, samples.back().t_s);
                monitor.sample(samples.back().t_s);
                next_sample += every;
                continue;
            }
            std::this_thread::sleep_for(std::min<Clock::duration>(kPoll, next_sample - now));
        }
        report = make_report(*program, *attachment, mac, true);
        samples.push_back({since(), report.test_packets, report.test_bytes});
        report.samples = std::move(samples);
        report.prog_cost = cost.finish(*program);
        monitor.sample(report.samples.back().t_s);
        report.system = monitor.finish(report.test_packets);
    } catch (const std::exception& e) {
        incomplete_reason = e.what();
        log::error("standalone run incomplete: " + incomplete_reason);
    }
    attachment.reset();
    log::info("XDP program detached from " + o.interface);
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
