#include "status_pages.hpp"

#include <boost/json.hpp>

#include "json_text.hpp"
#include "prometheus.hpp"

namespace ebt {

namespace json = boost::json;
using Type = PrometheusText::Type;

std::string health_json(const StatusSnapshot& s) {
    bool ok = true;
    json::array checks;
    for (const auto& c : s.checks) {
        ok = ok && c.ok;
        checks.push_back({{"item", c.item}, {"ok", c.ok}, {"detail", c.detail}});
    }
    return json_text(json::object{{"status", ok ? "ok" : "degraded"},
                                        {"role", s.role},
                                        {"state", s.state},
                                        {"checks", std::move(checks)}}) +
           "\n";
}

std::string status_json(const StatusSnapshot& s) {
    json::object o{{"role", s.role},
                   {"state", s.state},
                   {"test_id", s.test_id == 0 ? json::value(nullptr) : json::value(s.test_id)},
                   {"test_name", s.test_name},
                   {"elapsed_s", s.elapsed_s},
                   {"duration_s", s.duration_s}};
    if (s.role == "generator") {
        o["sent_packets"] = s.sent_packets;
        o["tx_pps"] = s.tx_pps;
    }
    o["received_packets"] = s.received_packets;
    o["rx_pps"] = s.rx_pps;
    o["lost"] = s.lost;
    o["receive_path_cpu_pct"] = s.receive_path_cpu_pct;
    o["host_cpu_busy_pct"] = s.host_cpu_busy_pct;
    if (!s.interface.empty()) o["interface"] = s.interface;
    if (!s.xdp_mode.empty()) o["xdp_mode"] = s.xdp_mode;
    return json_text(o) + "\n";
}

std::string metrics_text(const StatusSnapshot& s, std::size_t max_flow_labels) {
    PrometheusText m(max_flow_labels + 1);
    const PrometheusText::Labels side{{"role", s.role}};
    m.family("ebt_up", Type::Gauge, "1 while the program runs.");
    m.sample("ebt_up", 1, side);
    m.family("ebt_test_running", Type::Gauge, "1 while a test is running.");
    m.sample("ebt_test_running", s.state == "running" ? 1 : 0, side);
    m.family("ebt_test_elapsed_seconds", Type::Gauge, "Seconds since the current test started.");
    m.sample("ebt_test_elapsed_seconds", s.elapsed_s, side);
    if (s.role == "generator") {
        m.family("ebt_tx_packets_total", Type::Counter, "Test packets sent in the current test.");
        m.sample("ebt_tx_packets_total", static_cast<double>(s.sent_packets), side);
        m.family("ebt_tx_pps", Type::Gauge, "Send rate over the last sample interval, packets per second.");
        m.sample("ebt_tx_pps", s.tx_pps, side);
    }
    m.family("ebt_rx_packets_total", Type::Counter, "Test packets received in the current test.");
    m.sample("ebt_rx_packets_total", static_cast<double>(s.received_packets), side);
    m.family("ebt_rx_pps", Type::Gauge, "Receive rate over the last sample interval, packets per second.");
    m.sample("ebt_rx_pps", s.rx_pps, side);
    m.family("ebt_rx_lost_packets", Type::Gauge, "Sequence gaps open now, all flows.");
    m.sample("ebt_rx_lost_packets", static_cast<double>(s.lost), side);
    // Unknown (-1) CPU figures are left out rather than exported as -1.
    if (s.receive_path_cpu_pct >= 0) {
        m.family("ebt_receive_path_cpu_percent", Type::Gauge,
                 "Receiver host: softirq of all CPUs + xdp-recv's own CPU time, percent of all CPUs, "
                 "last window of at least 2 s (tick-sampled).");
        m.sample("ebt_receive_path_cpu_percent", s.receive_path_cpu_pct, side);
    }
    if (s.host_cpu_busy_pct >= 0) {
        m.family("ebt_host_cpu_busy_percent", Type::Gauge,
                 "Receiver host: every busy CPU counter (all processes, softirq included), percent of all "
                 "CPUs, last window of at least 2 s (tick-sampled).");
        m.sample("ebt_host_cpu_busy_percent", s.host_cpu_busy_pct, side);
    }
    if (!s.flows.empty()) {
        m.family("ebt_flow_rx_packets_total", Type::Counter,
                 "Test packets received per flow (first flows only: bounded label cardinality).");
        for (std::size_t i = 0; i < s.flows.size() && i < max_flow_labels; ++i)
            m.sample("ebt_flow_rx_packets_total", static_cast<double>(s.flows[i].packets),
                     {{"role", s.role}, {"flow", std::to_string(s.flows[i].id)}});
    }
    return m.str();
}

http::Handler status_handler(const SharedStatus& status, std::size_t max_flow_labels) {
    return [&status, max_flow_labels](std::string_view target) -> http::Response {
        const StatusSnapshot s = status.get();
        if (target == "/health") return {200, "application/json", health_json(s)};
        if (target == "/status") return {200, "application/json", status_json(s)};
        if (target == "/metrics") return {200, "text/plain; version=0.0.4", metrics_text(s, max_flow_labels)};
        return {404, "text/plain", "unknown endpoint: use /health, /status or /metrics\n"};
    };
}

}  // namespace ebt
