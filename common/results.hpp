// What a test produced, and the results directory it is written to:
//   <results-dir>/two_machine/test_YYYYMMDD_HHMMSS_<Name>/
//     results.json  results.csv  results.md  raw_data/  <program>.log
// results.json follows schema/results.schema.json (schema_version below).
// The receiver's report travels in the control protocol's results message
// in exactly the JSON form written here: one schema for both.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "config.hpp"
#include "timestamp.hpp"

namespace ebt {

inline constexpr int kResultsSchemaVersion = 1;

// Cumulative counters at t_s seconds after the start of traffic.
struct CounterSample {
    double t_s = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
};

struct FlowCount {
    uint32_t flow_id = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
};

// One flow as the receiver saw it.  lost/reordered/duplicates/late follow
// the sequence numbers (TRex's rules, see bpf/xdp_recv.bpf.c): lost counts
// gaps only, so packets lost after the last one received show up in the
// results' sent - received, not here.
struct ReceiverFlow {
    uint32_t flow_id = 0;
    uint64_t packets = 0;              // duplicates included
    uint64_t bytes = 0;
    uint64_t lost = 0;
    uint64_t reordered = 0;
    uint64_t duplicates = 0;
    uint64_t late = 0;                 // older than the 64-packet window
};

struct ReceiverReport {
    std::string mode = "xdp";          // xdp (baseline arrives later)
    std::string interface;
    std::string mac;
    std::string xdp_mode;              // native | generic, as the kernel reports it
    uint64_t rx_packets = 0;           // every frame the program saw
    uint64_t rx_bytes = 0;
    uint64_t test_packets = 0;         // this test's packets
    uint64_t test_bytes = 0;
    uint64_t other_packets = 0;        // passed untouched
    uint64_t other_bytes = 0;
    uint64_t stale_packets = 0;        // another test's packets
    uint64_t bad_flow_packets = 0;     // this test, flow id out of range
    double drain_s = 0;                // how long the drain after stop took
    std::vector<ReceiverFlow> flows;   // test packets per flow
    std::vector<CounterSample> samples; // test packets, once per sample_rate
};

struct TxThreadReport {
    unsigned lcore = 0;
    uint16_t queue = 0;
    uint32_t flows = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t tx_full_retries = 0;
    uint64_t tx_full_dropped = 0;
};

struct GeneratorReport {
    std::string port_driver;
    std::string port_mac;
    std::string dst_mac;
    uint64_t sent_packets = 0;
    uint64_t sent_bytes = 0;           // frame bytes without FCS
    uint64_t tx_full_retries = 0;      // bursts the port did not take at once
    uint64_t tx_full_dropped = 0;      // frames never sent (stopped while the ring was full)
    double elapsed_s = 0;              // first to last burst
    std::vector<TxThreadReport> threads;
    std::vector<FlowCount> flows;      // sent per flow
    std::vector<CounterSample> samples;
};

struct TestRecord {
    std::string name;
    uint16_t id = 0;
    std::string started_at;            // ISO 8601 UTC
    std::string ended_at;
    std::string status = "complete";   // complete | incomplete
    std::string status_reason;
    bool coordinated = true;
    TestConfig config;
    GeneratorReport generator;
    std::optional<ReceiverReport> receiver;  // absent with --no-coordination or a lost receiver
};

struct Summary {
    double target_pps = 0;             // 0 with rate "max"
    double achieved_pps = 0;
    uint64_t sent_packets = 0;
    std::optional<uint64_t> received_packets;  // unique test packets; unknown without a receiver
    std::optional<uint64_t> duplicates;
    std::optional<int64_t> lost_packets;       // sent - received (negative = more arrived than sent)
    std::optional<double> loss_pct;
    double throughput_mbps = 0;        // L2 frame bits (without FCS) per second, sender side
};

Summary summarize(const TestRecord& record);

boost::json::object to_json(const ReceiverReport& report);
// Inverse of to_json for a report from the network: validated, throws
// std::invalid_argument naming the bad field.
ReceiverReport receiver_report_from_json(const boost::json::value& v);

boost::json::object results_json(const TestRecord& record);
std::string results_csv(const TestRecord& record);
std::string results_markdown(const TestRecord& record);

// "test_YYYYMMDD_HHMMSS_<Name>" for a start time (UTC) and a test name with
// anything but [A-Za-z0-9_-] replaced by '_'.
std::string results_dir_name(const std::string& started_at_iso, const std::string& name);

// Creates <base>/<side>/<dir_name>/ and raw_data/ (refusing an existing one)
// and returns its path.
std::string create_results_dir(const std::string& base, const std::string& side,
                               const std::string& dir_name);

// Writes results.json, .csv, .md and raw_data/*.csv into dir, each to a
// temporary name first and renamed, so no reader ever sees a truncated file.
void write_results(const std::string& dir, const TestRecord& record);
// The receiver's own side: results.json holding its report and the test
// identity, plus raw_data/rx_samples.csv.
void write_receiver_results(const std::string& dir, const TestRecord& identity,
                            const ReceiverReport& report);

// Writes text to path via path.tmp + rename.  Throws std::runtime_error.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace ebt
