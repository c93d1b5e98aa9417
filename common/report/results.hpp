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

#include "clock_sync.hpp"
#include "config.hpp"
#include "timestamp.hpp"
#include "tsc_calibration.hpp"

namespace ebt {

inline constexpr int kResultsSchemaVersion = 2;  // 2: summary.mbps_l1/mbps_l2 replace throughput_mbps

// Cumulative counters at t_s seconds after the start of traffic.
struct CounterSample {
    CounterSample() = default;
    CounterSample(double t, uint64_t p, uint64_t b) : t_s(t), packets(p), bytes(b) {}
    double t_s = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    // Receiver only: one-way latency over the window since the previous
    // sample (exact: the histogram's count and sum differenced), so a
    // latency that grows during a test shows; absent when no latency was
    // recorded in the window or no test epoch is known.
    std::optional<uint64_t> latency_samples;
    std::optional<double> latency_mean_ns;
};

// Rates over a TX time (generator/pacing_report.hpp, rate_figures): pps,
// and Mbit/s at L1 (frame + FCS + preamble/SFD + IFG: +24 bytes a frame) and
// at L2 (frame + FCS: +4 bytes), as traffic_config.rate_layer counts them.
// These are the only Mbit/s definitions in the results: every Mbps figure
// is one of the two and says which.
struct RateFigures {
    std::optional<double> target_pps;      // absent with rate max
    double achieved_pps = 0;
    std::optional<double> efficiency_pct;  // 100 * achieved / target; absent with rate max
    double mbps_l1 = 0;
    double mbps_l2 = 0;
};

// One flow as the generator sent it.
struct FlowCount {
    uint32_t flow_id = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t tx_full_refused = 0;      // frames the full TX ring refused (each refusal; retried)
    uint64_t tx_full_dropped = 0;      // frames still unsent at stop (never sent)
    RateFigures rates{};               // over its lcore's TX time; target = its share
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

// One-way latency as the receiver measured it (see bpf/ebpf_test_shared.h,
// struct ebt_latency).  min/mean/max are exact; percentiles are the midpoint
// of the histogram bucket holding the nearest-rank sample, within
// percentile_error_bound_pct of the true value.  Values are absent (nullopt)
// while samples == 0.
struct LatencyBucket {
    uint64_t lo_ns = 0;                // [lo_ns, hi_ns)
    uint64_t hi_ns = 0;                // 0 = open-ended (the overflow bucket)
    uint64_t count = 0;
};
struct LatencyReport {
    uint64_t samples = 0;              // non-negative latencies recorded
    uint64_t negative = 0;             // arrival before send: clock offset larger than the latency
    uint64_t negative_max_ns = 0;      // largest magnitude among those
    std::optional<uint64_t> min_ns, max_ns;
    std::optional<double> mean_ns;
    std::optional<uint64_t> p50_ns, p90_ns, p99_ns, p99_9_ns;
    double percentile_error_bound_pct = 0;
    std::string method;
    int64_t clock_offset_ns = 0;       // subtracted from every latency
    std::string clock_offset_uncertainty;
    std::vector<LatencyBucket> histogram;   // non-empty buckets only
};

// Per-packet cost of the XDP program from the kernel's BPF run-time stats.
struct ProgCostSample {
    double t_s = 0;
    uint64_t run_cnt = 0;              // runs in the window ending at t_s
    uint64_t run_time_ns = 0;
};
struct ProgCostReport {
    uint64_t run_cnt = 0;              // whole test
    uint64_t run_time_ns = 0;
    std::optional<double> ns_per_packet;   // run_time_ns / run_cnt; absent when run_cnt == 0
    std::string method;
    std::vector<ProgCostSample> samples;   // one per sample_rate window
};

// The receiver host's system monitor (receiver/system_monitor.hpp): one
// sample every sample_rate s of cumulative counters, and their summary.
struct CpuTicks {                      // one core's /proc/stat line, USER_HZ ticks
    uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
};
struct SystemSample {
    double t_s = 0;
    std::vector<CpuTicks> cpus;        // index = CPU number as /proc/stat lists them
    uint64_t mem_total_kb = 0, mem_available_kb = 0, rss_kb = 0;
    std::vector<uint64_t> netdev;      // cumulative, in SystemReport::netdev_names order (the
                                       // names are kept once: a sample costs 8 bytes a counter)
};
struct CpuSummary {
    uint32_t cpu = 0;
    double mean_busy_pct = 0, peak_busy_pct = 0;         // busy = all but idle and iowait
    double mean_softirq_pct = 0, peak_softirq_pct = 0;
};
struct SystemReport {
    double sample_rate_s = 0;
    uint32_t user_hz = 0;
    std::string note;                  // the tick-sampling caveat
    std::vector<CpuSummary> cpus;      // over the windows between samples
    uint64_t mem_used_kb_mean = 0, mem_used_kb_peak = 0, rss_kb_mean = 0, rss_kb_peak = 0;
    std::vector<std::string> netdev_names;   // sysfs statistics/* and ethtool -S (prefixed "ethtool.")
    std::vector<std::pair<std::string, uint64_t>> netdev_delta;   // last - first sample
    uint64_t busy_cpu_ns = 0;          // all CPUs, first to last sample
    uint64_t busy_cpu_ns_bound = 0;    // +- error bound of busy_cpu_ns (reading resolution, busy_method)
    double busy_window_s = 0;          // first to last sample
    std::optional<double> busy_cpu_ns_per_packet;   // per test packet received
    std::optional<double> busy_cpu_ns_per_packet_bound;   // +- busy_cpu_ns_bound / test packets
    // The receive path's own share: softirq of all CPUs (where XDP and the
    // kernel's UDP receive run) + xdp-recv's own user+system time (the
    // baseline's threads), without the generator or other processes.
    uint64_t receive_cpu_ns = 0;
    uint64_t receive_cpu_ns_bound = 0;
    std::optional<double> receive_cpu_ns_per_packet;
    std::optional<double> receive_cpu_ns_per_packet_bound;
    std::string receive_method;
    std::string busy_method;
    std::vector<SystemSample> samples;
};

// Standalone receiving: packets without our test header, by 5-tuple.
struct ForeignTuple {
    uint16_t ethertype = 0;
    uint8_t proto = 0;                 // IP protocol; 0 for non-IP
    std::string src, dst;              // IP addresses as text; "" for non-IP
    uint16_t sport = 0, dport = 0;     // TCP/UDP only, else 0
    uint64_t packets = 0, bytes = 0;
};
struct ForeignReport {
    std::string action;                // pass | drop
    uint32_t tuple_limit = 0;
    std::vector<ForeignTuple> tuples;  // most packets first
    uint64_t overflow_packets = 0;     // beyond the tuple limit, summed
    uint64_t overflow_bytes = 0;
};

struct ReceiverReport {
    std::string mode = "xdp";          // xdp | baseline (userspace sockets, xdp_mode "none")
    std::string test_action = "drop";  // drop | pass | tx (baseline: pass, to its sockets)
    std::string interface;
    std::string mac;
    std::string xdp_mode;              // native | generic, as the kernel reports it; none in baseline mode
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
    std::optional<LatencyReport> latency;    // absent when no test epoch is known
    std::optional<ProgCostReport> prog_cost; // absent when BPF stats were unavailable
    std::optional<SystemReport> system;      // absent when not monitored
    std::optional<ForeignReport> foreign;    // standalone (--no-coordination) only
};

struct TxThreadReport {
    unsigned lcore = 0;
    uint16_t queue = 0;
    uint32_t flows = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t tx_full_retries = 0;
    uint64_t tx_full_dropped = 0;
    std::optional<uint64_t> target_packets = std::nullopt;  // its exact share; absent when unlimited
    uint64_t late_bursts = 0;          // bursts sent over one burst interval late (catch-up)
    double elapsed_s = 0;              // its schedule origin to the end of its loop (TSC)
    std::string end = "not_run";       // total_reached | stopped | deadline | not_run
    // Time the lcore's thread waited on a run queue while runnable (kept
    // off its CPU by other tasks) and its involuntary switches, over the
    // test (/proc/<pid>/task/<tid>/schedstat, status); absent when the
    // kernel does not provide them.  Late bursts on a shared CPU come from this.
    std::optional<double> descheduled_ms = std::nullopt;
    std::optional<uint64_t> involuntary_switches = std::nullopt;
    RateFigures rates{};
};

// The traffic schedule of traffic_config.patterns, as run.
struct ScheduleSegmentReport {
    uint32_t pattern = 0;              // index in traffic_config.patterns
    std::string name;
    std::string type;                  // constant | burst | ramp | poisson (a ramp held at `to` adds a constant)
    double start_s = 0;                // from the schedule origin
    double duration_s = 0;             // nominal
    uint64_t packets = 0;              // exact
    std::optional<uint64_t> seed;      // poisson
};
// --pcap replay (generator.pcap).  stamped/unstamped count packets sent;
// the receiver can count only the stamped ones (they carry the test header).
struct PcapReport {
    std::string file;
    uint64_t frames_in_file = 0;
    uint64_t bytes_in_file = 0;        // frame bytes without FCS
    uint64_t stamped_frames = 0;       // frames of the file given the test header (--pcap-stamp)
    uint32_t flows = 0;                // their distinct UDP 5-tuples = flow ids 0..flows-1
    uint64_t stamped = 0;              // packets sent with the test header
    uint64_t unstamped = 0;            // packets sent exactly as in the file
    std::string timing;                // "rate" | "file"
    uint64_t loops = 0;                // passes over the file begun (the last one may be partial)
};
struct ScheduleReport {
    double duration_s = 0;
    uint64_t total_packets = 0;        // the whole sequence (before --count)
    std::vector<ScheduleSegmentReport> segments;
};

// The generator's pacing precision (generator/pacing_report.hpp): per burst,
// send time minus scheduled time.  min/mean/max exact; p50/p99 within
// percentile_error_bound_pct.  Absent with rate "max" (no schedule).
struct PacingReport {
    uint64_t bursts = 0;
    std::optional<uint64_t> min_ns, max_ns, p50_ns, p99_ns;
    std::optional<double> mean_ns;
    double percentile_error_bound_pct = 0;
    std::string method;
};

// Tx mode (the receiver reflects test packets): dpdk-gen's RX side
// (generator/rx_engine.hpp).  Per flow, returned counts distinct sequence
// numbers that came back (duplicates apart) and lost = sent - returned,
// exact; reordered/duplicates/late follow the sequence numbers (the same
// TRex rules as the receiver, ebt_seq_account).  rtt is on one clock (the
// generator's TSC), so it has no clock offset.
struct RoundTripFlow {
    uint32_t flow_id = 0;
    uint64_t sent = 0;
    uint64_t returned = 0;             // distinct sequence numbers back
    uint64_t lost = 0;                 // sent - returned
    uint64_t reordered = 0;
    uint64_t duplicates = 0;
    uint64_t late = 0;
};
// What the generator's RX queues gave in tx mode, by kind (the RX engine
// counts into this; the report carries it as is).
struct RxFrameCounts {
    uint64_t rx_frames = 0;            // every frame the RX queues gave
    uint64_t not_test = 0;             // no test header (parse_test_frame failed)
    uint64_t not_returned = 0;         // a test header, but not reflected or another test id
    uint64_t bad_flow = 0;             // reflected, this test, flow id out of range
    uint64_t checksum_errors = 0;      // returned with a bad IPv4 or UDP checksum (still counted)
};
struct RoundTripReport : RxFrameCounts {
    uint64_t sent = 0;
    uint64_t returned = 0;             // all flows, duplicates apart
    uint64_t lost = 0;                 // sent - returned
    uint64_t duplicates = 0;
    uint64_t reordered = 0;
    uint64_t port_imissed = 0;         // the port's rte_eth_stats: frames the PMD could not take
    uint64_t port_ierrors = 0;
    uint64_t port_rx_nombuf = 0;
    double drain_s = 0;                // RX kept polling after the stop this long
    std::string poll;                  // where RX was polled (main lcore, every <= N ms)
    LatencyReport rtt;                 // clock_offset_ns 0: one clock
    std::vector<RoundTripFlow> flows;
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
    std::optional<uint64_t> count;     // --count N
    std::optional<uint64_t> target_packets;  // exact total planned; absent when unlimited (rate max)
    uint64_t late_bursts = 0;          // all lcores
    std::optional<double> descheduled_ms;   // all lcores' run-queue wait; absent when unknown
    RateFigures rates;                 // over elapsed_s; target = the (mean) target rate
    std::optional<ScheduleReport> schedule;  // traffic_config.patterns; absent without
    std::optional<PcapReport> pcap;    // --pcap; absent without
    std::vector<TxThreadReport> threads;
    std::vector<FlowCount> flows;      // sent per flow
    std::vector<CounterSample> samples;
    std::optional<PacingReport> pacing;
    // Clock offset to the receiver (receiver - generator) from the control
    // protocol's sync; absent without a receiver.
    std::optional<ClockOffset> clock_sync;
    // Present when the receiver reflected the test packets (test_action tx).
    std::optional<RoundTripReport> round_trip;
    // The TSC's calibrated frequency and its drift during the test
    // (common/base/tsc_calibration.hpp); absent when dpdk-gen did not calibrate.
    std::optional<TscClockReport> tsc_clock;
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

// The headline figures.  Rates are the generator's (generator.rates),
// copied, not recomputed, so the summary and the generator section agree.
struct Summary {
    double target_pps = 0;             // 0 with rate "max"
    double achieved_pps = 0;           // generator.rates.achieved_pps
    uint64_t sent_packets = 0;
    std::optional<uint64_t> received_packets;  // unique test packets; unknown without a receiver
    std::optional<uint64_t> duplicates;
    std::optional<int64_t> lost_packets;       // sent - received (negative = more arrived than sent)
    std::optional<double> loss_pct;
    double mbps_l1 = 0;                // generator.rates.mbps_l1: frame + FCS + preamble/SFD + IFG, sender side
    double mbps_l2 = 0;                // generator.rates.mbps_l2: frame + FCS, sender side
};

Summary summarize(const TestRecord& record);

// The run in one JSON object for scripts (dpdk-gen --summary-json), so that
// no script re-derives a figure from results.json.  Keys, in this order:
//   name, id, status, status_reason, incomplete (status != "complete"),
//   coordinated;
//   target_pps, achieved_pps, sent_packets, received_packets, lost_packets,
//   loss_pct, duplicates, mbps_l1, mbps_l2: results.json's summary, the same
//   values (target_pps 0 with rate max; the receiver's null without one);
//   efficiency_pct (null with rate max), elapsed_s, tx_full_retries,
//   tx_full_dropped, late_bursts: the generator's;
//   latency: the receiver's one-way latency {samples, min_ns, mean_ns,
//   p50_ns, p90_ns, p99_ns, p99_9_ns, max_ns}, null without one;
//   round_trip: the same for the round-trip time (tx mode), else null;
//   pacing: {bursts, min_ns, mean_ns, p50_ns, p99_ns, max_ns}, null with rate max;
//   xdp_mode: the receiver's (null without a receiver).
// Numbers as in results.json (json_text writes them alike).
boost::json::object summary_json(const TestRecord& record);

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

// Writes raw_data/*.csv, results.csv, results.md and results.json into dir,
// in that order (the exact list is at the definition), each with
// write_file_atomic: results.json last, so its presence means the directory
// is complete.  Throws std::runtime_error naming the file on the first
// failure (the files after it are not written).
void write_results(const std::string& dir, const TestRecord& record);
// The receiver's own side: raw_data/rx_samples.csv (and the monitor's
// CSVs), then results.json holding its report and the test identity.
void write_receiver_results(const std::string& dir, const TestRecord& identity,
                            const ReceiverReport& report);

// Writes text to path so that path names either its previous content or
// all of text, never a part, and nothing else is left in the directory
// (an unnamed O_TMPFILE inode, fsync'ed, then linked; a replaced file goes
// through a unique "<name>.<hex>.tmp" and rename).  Throws
// std::runtime_error "cannot write PATH: REASON", having removed anything
// it created.
void write_file_atomic(const std::string& path, const std::string& text);

namespace detail {
// Named: the fallback for filesystems without O_TMPFILE (a unique .tmp
// written and renamed), selectable so the unit tests cover it too.
enum class TempKind { Unnamed, Named };
void write_file_atomic(const std::string& path, const std::string& text, TempKind kind);
}  // namespace detail

}  // namespace ebt
