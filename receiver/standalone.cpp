// See standalone.hpp.
#include "standalone.hpp"

#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include "json_text.hpp"
#include "log.hpp"
#include "status_server.hpp"
#include "timestamp.hpp"

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

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }
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

    // No generator asks for a mode here: the default (first) one counts.
    ReceivePathConfig pc = receive_path_config(o, o.default_mode());
    pc.counting.test_id = 0;
    pc.counting.flows = EBT_MAX_FLOWS;
    pc.counting.any_test_id = true;
    pc.counting.foreign_tuples = o.foreign_tuples;
    pc.counting.foreign_drop = o.foreign_drop;
    std::optional<Measurement> m;
    try {
        m.emplace(pc, o.config);
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
    m->announce("standalone: ", "; counting test packets of any test id" +
                                    (o.duration_s ? " for " + json_number_text(*o.duration_s) + " s" : " until SIGINT"));
    const ReceiverResultsDir dir(o.results_dir, identity);

    ReceiverReport report;
    std::string incomplete_reason;
    status.modify([&](StatusSnapshot& st) {
        st.test_id = 0;   // any test id counts: there is none to show
        st.test_name = identity.name;
        st.duration_s = o.duration_s.value_or(0);
        st.xdp_mode = m->path().xdp_mode_used();
    });
    try {
        m->start([] { log::info("standalone: counting"); });
        set_state("running");
        uint64_t flows_packets = 0;   // the count when the flows were last read
        std::optional<Clock::time_point> flows_at;
        std::optional<Clock::time_point> end;
        if (o.duration_s) end = m->started() + seconds_duration(*o.duration_s);
        // What /status and /metrics show: the coordinated receiver's live
        // figures (the flows that received packets only).
        auto show = [&](const Measurement::Live& live) {
            const bool read_flows = live.totals.test_packets != flows_packets &&
                                    (!flows_at || live.now - *flows_at >= kFlowsEvery);
            std::vector<ebt_flow_state> flows;
            if (read_flows) {
                flows = m->path().read_flows();
                flows_packets = live.totals.test_packets;
                flows_at = live.now;
            }
            status.modify([&](StatusSnapshot& st) {
                st.elapsed_s = m->elapsed_s();
                st.received_packets = live.totals.test_packets;
                st.rx_pps = live.rx_pps;
                if (read_flows) {
                    st.lost = 0;
                    st.flows.clear();
                    for (uint32_t i = 0; i < flows.size(); ++i) {
                        st.lost += flows[i].lost;
                        if (flows[i].packets > 0 && st.flows.size() < o.max_flow_labels)
                            st.flows.push_back({i, flows[i].packets});
                    }
                }
                st.receive_path_cpu_pct = m->monitor().recent_receive_path_cpu_pct().value_or(-1);
                st.host_cpu_busy_pct = m->monitor().recent_host_cpu_busy_pct().value_or(-1);
            });
        };
        for (;;) {
            if (stop.load()) {
                if (o.duration_s) incomplete_reason = "xdp-recv interrupted by a signal before the duration";
                break;
            }
            const auto now = Clock::now();
            if (end && now >= *end) break;
            if (m->poll(now, show)) continue;
            std::this_thread::sleep_for(std::min<Clock::duration>(kPoll, m->next_due() - now));
        }
        report = m->finish(true);
    } catch (const std::exception& e) {
        incomplete_reason = e.what();
        log::error("standalone run incomplete: " + incomplete_reason);
    }
    set_state("done");
    status.modify([&](StatusSnapshot& st) {
        st.received_packets = report.test_packets;
        st.elapsed_s = report.samples.empty() ? st.elapsed_s : report.samples.back().t_s;
    });
    m->release();
    dir.write(identity, incomplete_reason, report);
    log::info("standalone: " + std::to_string(report.test_packets) + " test packets in " +
              std::to_string(report.flows.size()) + " flows, " + std::to_string(report.other_packets) +
              " other packets; results: " + dir.path());
    return incomplete_reason.empty() ? 0 : 1;
}

int serve_standalone(const StandaloneOptions& o, const std::string& listen, uint16_t port,
                     const std::vector<CheckRow>& checks) {
    // /health, /status, /metrics on the control port while counting.
    SharedStatus status;
    status.modify([&](StatusSnapshot& st) {
        st.role = "receiver";
        st.interface = o.interface;
        for (const auto& c : checks) st.checks.push_back({c.item, c.ok, c.detail});
    });
    std::optional<StatusServer> http;
    try {
        http.emplace(listen, port, status, o.max_flow_labels);
    } catch (const std::exception& e) {
        std::cerr << "xdp-recv: error: control port: " << e.what() << "\n";
        return kExitEnvironment;
    }
    log::info("HTTP /health /status /metrics on " + listen + ":" + std::to_string(port));
    struct sigaction sa{};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    try {
        return run_standalone(o, g_stop, status);
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
}

}  // namespace ebt
