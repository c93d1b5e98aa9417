// See standalone.hpp.
#include "standalone.hpp"

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "json_text.hpp"
#include "log.hpp"
#include "results.hpp"
#include "status_pages.hpp"
#include "system_monitor.hpp"
#include "receive_path.hpp"

namespace ebt {

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(50);
// The per-flow state behind /status's lost and /metrics' flow series is
// 65,536 slots here (any flow id counts): one read costs ~37 ms of CPU on a
// 2-vCPU VM, which the receive-path CPU figure would count.  So it is read
// only when the packet count moved, and at most this often; the totals are
// live every real_time.update_interval.
constexpr auto kFlowsEvery = std::chrono::seconds(10);

Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}
}  // namespace

std::string standalone_test_name(const TestConfig& config, bool name_flag, ReceiveMode mode) {
    if (name_flag || config.name != TestConfig{}.name) return config.name;
    return std::string("standalone_") + to_string(mode);
}

int run_standalone(const StandaloneOptions& o, const std::atomic<bool>& stop, SharedStatus& status) {
    auto set_state = [&](const char* state) { status.modify([&](StatusSnapshot& st) { st.state = state; }); };
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
              (o.duration_s ? " for " + json_number_text(*o.duration_s) + " s" : " until SIGINT"));
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
    status.modify([&](StatusSnapshot& st) {
        st.test_id = 0;   // any test id counts: there is none to show
        st.test_name = identity.name;
        st.duration_s = o.duration_s.value_or(0);
        st.xdp_mode = path->xdp_mode_used();
    });
    try {
        path->start();
        log::info("standalone: counting");
        const auto t0 = Clock::now();
        monitor.sample(0.0);
        set_state("running");
        const auto every = seconds(o.config.sample_rate);
        const auto live_every = seconds(o.config.real_time.update_interval);
        auto next_sample = t0 + every;
        auto next_live = t0 + live_every;
        uint64_t live_packets = 0;
        auto live_at = t0;
        uint64_t flows_packets = 0;   // the count when the flows were last read
        std::optional<Clock::time_point> flows_at;
        std::optional<Clock::time_point> end;
        if (o.duration_s) end = t0 + seconds(*o.duration_s);
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
            if (now >= next_live) {
                // What /status and /metrics show: the coordinated receiver's
                // live figures (the flows that received packets only).
                const CpuTotals t = path->read_totals();
                const bool read_flows =
                    t.test_packets != flows_packets && (!flows_at || now - *flows_at >= kFlowsEvery);
                std::vector<ebt_flow_state> flows;
                if (read_flows) {
                    flows = path->read_flows();
                    flows_packets = t.test_packets;
                    flows_at = now;
                }
                const double dt = std::chrono::duration<double>(now - live_at).count();
                const double rx_pps = dt > 0 ? static_cast<double>(t.test_packets - live_packets) / dt : 0;
                live_packets = t.test_packets;
                live_at = now;
                status.modify([&](StatusSnapshot& st) {
                    st.elapsed_s = since();
                    st.received_packets = t.test_packets;
                    st.rx_pps = rx_pps;
                    if (read_flows) {
                        st.lost = 0;
                        st.flows.clear();
                        for (uint32_t i = 0; i < flows.size(); ++i) {
                            st.lost += flows[i].lost;
                            if (flows[i].packets > 0 && st.flows.size() < o.max_flow_labels)
                                st.flows.push_back({i, flows[i].packets});
                        }
                    }
                    st.receive_path_cpu_pct = monitor.recent_receive_path_cpu_pct().value_or(-1);
                    st.host_cpu_busy_pct = monitor.recent_host_cpu_busy_pct().value_or(-1);
                });
                next_live += live_every;
                continue;
            }
            std::this_thread::sleep_for(std::min<Clock::duration>({kPoll, next_sample - now, next_live - now}));
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
    set_state("done");
    status.modify([&](StatusSnapshot& st) {
        st.received_packets = report.test_packets;
        st.elapsed_s = report.samples.empty() ? st.elapsed_s : report.samples.back().t_s;
    });
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
