// A trial session's summary: one row per trial and, for a search, the
// goals' bounds; written as summary.json (schema/summary.schema.json),
// summary.csv and summary.md into the session's directory.  The plots
// (tools/plot/) read summary.json only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "mlr_search.hpp"

namespace ebt {

struct TrialLatency {
    uint64_t p50_ns = 0, p99_ns = 0, max_ns = 0;
};

struct TrialRow {
    unsigned index = 0;                  // from 1, in the order run
    std::string purpose;                 // warmup | search | confirm | sweep | latency
    double load_pps = 0;                 // intended
    std::optional<double> load_pct_of_line;  // at L1, of the port's link speed; unknown without one
    double duration_s = 0;               // intended
    uint64_t intended = 0, sent = 0, received = 0;
    double loss_ratio = 0;               // (sent - received) / sent: the device's
    double achieved_pps = 0;             // the generator's
    bool generator_limited = false;      // never read as the device's loss
    std::string generator_limit_reason;
    std::optional<TrialLatency> latency;
    std::optional<double> receive_cpu_ns_per_packet;
    double overhead_s = 0;               // the trial's wall time beyond its traffic
    std::string dir;                     // relative to the session directory
    std::string status = "complete";
    double traffic_s = 0;                // the generator's first to last packet (not in the files)
};

struct SearchSummary {
    std::string preset;
    search::SearchConfig config;
    search::SearchResult result;
};

struct SessionSummary {
    std::string kind;                    // search | sweep
    std::string status = "complete";     // complete | incomplete (a trial failed or a signal)
    std::string status_reason;
    std::string created_at;
    std::string hostname, kernel, cpu;
    unsigned cpus = 0;
    std::string port_driver;
    uint32_t link_speed_mbps = 0;        // 0: unknown
    uint32_t packet_size = 0;            // the frame without FCS
    uint32_t flows = 0;
    std::string receiver_mode;           // xdp | baseline; "" (null) until a receiver reported one
    std::vector<TrialRow> trials;
    std::optional<SearchSummary> search;
};

// This machine's hostname, kernel release, CPU model and CPU count.
void fill_machine(SessionSummary& s);

boost::json::object summary_json(const SessionSummary& s);
std::string summary_csv(const SessionSummary& s);
std::string summary_markdown(const SessionSummary& s);
// summary.csv, summary.md, then summary.json (its presence means complete).
void write_summary(const std::string& dir, const SessionSummary& s);

}  // namespace ebt
