// What the HTTP endpoints say, on both machines: a snapshot of the side's
// state rendered as /health (liveness + the check-only table), /status
// (JSON) and /metrics (Prometheus text).  The snapshot is copied under a
// lock by whoever owns the numbers; rendering never touches live state.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "http_endpoint.hpp"

namespace ebt {

struct StatusSnapshot {
    std::string role;              // "generator" | "receiver"
    std::string state = "idle";    // session state (session_state.hpp names)
    uint16_t test_id = 0;          // 0 when no test
    std::string test_name;
    double elapsed_s = 0;
    double duration_s = 0;
    uint64_t sent_packets = 0;     // generator
    double tx_pps = 0;
    uint64_t received_packets = 0; // receiver (or the receiver's last sample, on the generator)
    double rx_pps = 0;
    uint64_t lost = 0;             // sequence gaps open (receiver's accounting)
    // The receiver host's CPU, percent of all CPUs over the last window of at
    // least 2 s (the live sample's figures; -1 unknown): the receive path
    // (softirq of all CPUs + xdp-recv's own time) and every busy counter.
    double receive_path_cpu_pct = -1;
    double host_cpu_busy_pct = -1;
    std::string interface;
    std::string xdp_mode;
    struct Flow {
        uint32_t id;
        uint64_t packets;
    };
    std::vector<Flow> flows;       // per-flow packets (exported up to a limit)
    struct Check {
        std::string item;
        bool ok;
        std::string detail;
    };
    std::vector<Check> checks;     // the check-only table (receiver), empty elsewhere
};

// A snapshot shared between the thread that updates it and the one that
// serves HTTP.
class SharedStatus {
public:
    void update(const StatusSnapshot& s) {
        std::lock_guard lock(mutex_);
        snapshot_ = s;
    }
    template <typename F>
    void modify(F&& f) {
        std::lock_guard lock(mutex_);
        f(snapshot_);
    }
    StatusSnapshot get() const {
        std::lock_guard lock(mutex_);
        return snapshot_;
    }

private:
    mutable std::mutex mutex_;
    StatusSnapshot snapshot_;
};

std::string health_json(const StatusSnapshot& s);
std::string status_json(const StatusSnapshot& s);
// Per-flow series are exported for at most max_flow_labels flows (bounded
// label cardinality); the rest are summed in the totals only.
std::string metrics_text(const StatusSnapshot& s, std::size_t max_flow_labels);

// The handler for http::serve_one: /health, /status, /metrics, else 404.
http::Handler status_handler(const SharedStatus& status, std::size_t max_flow_labels);

}  // namespace ebt
