// The results' JSON fields, each listed once: describe(v, x) names every
// field of x with its JSON key, in the order results.json writes them.  The
// JSON writer (to_json, results_json) and the strict reader of the
// receiver's report (receiver_report_from_json) both walk these lists
// (field_json.hpp), so a new results field is one line here.
//
// The visitor's vocabulary (field_json.hpp implements it both ways):
//   v.field(key, x)                 number, string or bool; std::optional<number>
//                                   is null when absent (the key is always there);
//                                   a struct is a nested object; std::optional<struct>
//                                   is a section, null when absent (a reader takes
//                                   a missing key as absent too)
//   v.field(key, vec, "a flow")     an array of objects; "a flow" names an element
//                                   in the reader's errors; further arguments go
//                                   to each element's describe
//   v.field(key, x, Below{..})      the reader refuses a value >= the limit
//   v.field(key, s, OneOf{..})      the reader refuses any other string
//   v.defaulted(key, s, OneOf{..})  a string a reader may find missing (kept)
//   v.omitted_if_absent(key, opt)   no key at all when absent
//   v.null_if_empty(key, s)         an empty string is written as null
//   describe(v, x.rates)            a struct's fields merged flat into this object
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <type_traits>

#include "ebpf_test_shared.h"
#include "results.hpp"

namespace ebt {

// describe() takes a struct const (writing) or not (reading).
template <class S, class T>
concept Is = std::same_as<std::remove_const_t<S>, T>;

// Reader-only checks.
struct Below {                     // value < limit, else "receiver report: <message>"
    uint64_t limit;
    const char* message;
};
struct OneOf {                     // else "receiver report: field '<key>' must be <text>"
    const char* text;
    std::initializer_list<std::string_view> values;
};

// A CPU's /proc/stat ticks travel as an array of eight counts, in this order.
template <Is<CpuTicks> S>
auto tick_fields(S& t) {
    return std::array{&t.user, &t.nice, &t.system, &t.idle, &t.iowait, &t.irq, &t.softirq, &t.steal};
}

template <class V, Is<RateFigures> S>
void describe(V& v, S& r) {
    v.field("target_pps", r.target_pps);
    v.field("achieved_pps", r.achieved_pps);
    v.field("efficiency_pct", r.efficiency_pct);
    v.field("mbps_l1", r.mbps_l1);
    v.field("mbps_l2", r.mbps_l2);
}

template <class V, Is<CounterSample> S>
void describe(V& v, S& s) {
    v.field("t_s", s.t_s);
    v.field("packets", s.packets);
    v.field("bytes", s.bytes);
    v.omitted_if_absent("latency_samples", s.latency_samples);
    v.omitted_if_absent("latency_mean_ns", s.latency_mean_ns);
}

template <class V, Is<ReceiverFlow> S>
void describe(V& v, S& f) {
    v.field("flow_id", f.flow_id, Below{EBT_MAX_FLOWS, "flow_id out of range"});
    v.field("packets", f.packets);
    v.field("bytes", f.bytes);
    v.field("lost", f.lost);
    v.field("reordered", f.reordered);
    v.field("duplicates", f.duplicates);
    v.field("late", f.late);
}

template <class V, Is<LatencyBucket> S>
void describe(V& v, S& b) {
    v.field("lo_ns", b.lo_ns);
    v.field("hi_ns", b.hi_ns);
    v.field("count", b.count);
}

template <class V, Is<LatencyReport> S>
void describe(V& v, S& l) {
    v.field("samples", l.samples);
    v.field("negative", l.negative);
    v.field("negative_max_ns", l.negative_max_ns);
    v.field("min_ns", l.min_ns);
    v.field("mean_ns", l.mean_ns);
    v.field("max_ns", l.max_ns);
    v.field("p50_ns", l.p50_ns);
    v.field("p90_ns", l.p90_ns);
    v.field("p99_ns", l.p99_ns);
    v.field("p99_9_ns", l.p99_9_ns);
    v.field("percentile_error_bound_pct", l.percentile_error_bound_pct);
    v.field("method", l.method);
    v.field("clock_offset_ns", l.clock_offset_ns);
    v.field("clock_offset_uncertainty", l.clock_offset_uncertainty);
    v.field("histogram", l.histogram, "a latency bucket");
}

template <class V, Is<ProgCostSample> S>
void describe(V& v, S& s) {
    v.field("t_s", s.t_s);
    v.field("run_cnt", s.run_cnt);
    v.field("run_time_ns", s.run_time_ns);
}

template <class V, Is<ProgCostReport> S>
void describe(V& v, S& c) {
    v.field("run_cnt", c.run_cnt);
    v.field("run_time_ns", c.run_time_ns);
    v.field("ns_per_packet", c.ns_per_packet);
    v.field("method", c.method);
    v.field("samples", c.samples, "a prog_cost sample");
}

template <class V, Is<CpuSummary> S>
void describe(V& v, S& c) {
    v.field("cpu", c.cpu);
    v.field("mean_busy_pct", c.mean_busy_pct);
    v.field("peak_busy_pct", c.peak_busy_pct);
    v.field("mean_softirq_pct", c.mean_softirq_pct);
    v.field("peak_softirq_pct", c.peak_softirq_pct);
}

// netdev_count: the report's netdev_names.size(), one count a name (the
// reader's check; a writer needs none).
template <class V, Is<SystemSample> S>
void describe(V& v, S& x, std::size_t netdev_count = 0) {
    v.field("t_s", x.t_s);
    v.field("cpus", x.cpus);
    v.field("mem_total_kb", x.mem_total_kb);
    v.field("mem_available_kb", x.mem_available_kb);
    v.field("rss_kb", x.rss_kb);
    v.field("netdev", x.netdev, netdev_count);
}

template <class V, Is<SystemReport> S>
void describe(V& v, S& s) {
    v.field("sample_rate_s", s.sample_rate_s);
    v.field("user_hz", s.user_hz);
    v.field("note", s.note);
    v.field("cpus", s.cpus, "a system cpu");
    v.field("mem_used_kb_mean", s.mem_used_kb_mean);
    v.field("mem_used_kb_peak", s.mem_used_kb_peak);
    v.field("rss_kb_mean", s.rss_kb_mean);
    v.field("rss_kb_peak", s.rss_kb_peak);
    v.field("netdev_names", s.netdev_names);
    v.field("netdev_delta", s.netdev_delta);
    v.field("busy_cpu_ns", s.busy_cpu_ns);
    v.field("busy_cpu_ns_bound", s.busy_cpu_ns_bound);
    v.field("busy_window_s", s.busy_window_s);
    v.field("busy_cpu_ns_per_packet", s.busy_cpu_ns_per_packet);
    v.field("busy_cpu_ns_per_packet_bound", s.busy_cpu_ns_per_packet_bound);
    v.field("receive_cpu_ns", s.receive_cpu_ns);
    v.field("receive_cpu_ns_bound", s.receive_cpu_ns_bound);
    v.field("receive_cpu_ns_per_packet", s.receive_cpu_ns_per_packet);
    v.field("receive_cpu_ns_per_packet_bound", s.receive_cpu_ns_per_packet_bound);
    v.field("receive_method", s.receive_method);
    v.field("busy_method", s.busy_method);
    v.field("samples", s.samples, "a system sample", s.netdev_names.size());
}

// The reader checks the four numbers' ranges before the rest (field_json.hpp).
template <class V, Is<ForeignTuple> S>
void describe(V& v, S& t) {
    v.field("ethertype", t.ethertype);
    v.field("proto", t.proto);
    v.field("src", t.src);
    v.field("dst", t.dst);
    v.field("sport", t.sport);
    v.field("dport", t.dport);
    v.field("packets", t.packets);
    v.field("bytes", t.bytes);
}

template <class V, Is<ForeignReport> S>
void describe(V& v, S& f) {
    v.field("action", f.action, OneOf{"pass or drop", {"pass", "drop"}});
    v.field("tuple_limit", f.tuple_limit);
    v.field("tuples", f.tuples, "a foreign tuple");
    v.field("overflow_packets", f.overflow_packets);
    v.field("overflow_bytes", f.overflow_bytes);
}

template <class V, Is<ReceiverReport> S>
void describe(V& v, S& r) {
    v.field("mode", r.mode);
    v.field("interface", r.interface);
    v.field("mac", r.mac);
    v.field("xdp_mode", r.xdp_mode);
    v.field("rx_packets", r.rx_packets);
    v.field("rx_bytes", r.rx_bytes);
    v.field("test_packets", r.test_packets);
    v.field("test_bytes", r.test_bytes);
    v.field("other_packets", r.other_packets);
    v.field("other_bytes", r.other_bytes);
    v.field("stale_packets", r.stale_packets);
    v.field("bad_flow_packets", r.bad_flow_packets);
    v.field("drain_s", r.drain_s);
    v.field("flows", r.flows, "a flow");
    v.field("samples", r.samples, "a sample");
    v.defaulted("test_action", r.test_action, OneOf{"drop, pass or tx", {"drop", "pass", "tx"}});
    v.field("latency", r.latency);
    v.field("prog_cost", r.prog_cost);
    v.field("system", r.system);
    v.field("foreign", r.foreign);
}

// The generator's side: written only.

template <class V, Is<FlowCount> S>
void describe(V& v, S& f) {
    v.field("flow_id", f.flow_id);
    v.field("packets", f.packets);
    v.field("bytes", f.bytes);
    v.field("tx_full_refused", f.tx_full_refused);
    v.field("tx_full_dropped", f.tx_full_dropped);
    describe(v, f.rates);
}

template <class V, Is<TxThreadReport> S>
void describe(V& v, S& t) {
    v.field("lcore", t.lcore);
    v.field("queue", t.queue);
    v.field("flows", t.flows);
    v.field("packets", t.packets);
    v.field("bytes", t.bytes);
    v.field("tx_full_retries", t.tx_full_retries);
    v.field("tx_full_dropped", t.tx_full_dropped);
    v.field("target_packets", t.target_packets);
    v.field("late_bursts", t.late_bursts);
    v.field("descheduled_ms", t.descheduled_ms);
    v.field("involuntary_switches", t.involuntary_switches);
    v.field("elapsed_s", t.elapsed_s);
    v.field("end", t.end);
    describe(v, t.rates);
}

template <class V, Is<ScheduleSegmentReport> S>
void describe(V& v, S& g) {
    v.field("pattern", g.pattern);
    v.field("name", g.name);
    v.field("type", g.type);
    v.field("start_s", g.start_s);
    v.field("duration_s", g.duration_s);
    v.field("packets", g.packets);
    v.field("seed", g.seed);
}

template <class V, Is<ScheduleReport> S>
void describe(V& v, S& s) {
    v.field("duration_s", s.duration_s);
    v.field("total_packets", s.total_packets);
    v.field("segments", s.segments, "a schedule segment");
}

template <class V, Is<PcapReport> S>
void describe(V& v, S& p) {
    v.field("file", p.file);
    v.field("frames_in_file", p.frames_in_file);
    v.field("bytes_in_file", p.bytes_in_file);
    v.field("stamped_frames", p.stamped_frames);
    v.field("flows", p.flows);
    v.field("stamped", p.stamped);
    v.field("unstamped", p.unstamped);
    v.field("timing", p.timing);
    v.field("loops", p.loops);
}

template <class V, Is<PacingReport> S>
void describe(V& v, S& p) {
    v.field("bursts", p.bursts);
    v.field("min_ns", p.min_ns);
    v.field("mean_ns", p.mean_ns);
    v.field("p50_ns", p.p50_ns);
    v.field("p99_ns", p.p99_ns);
    v.field("max_ns", p.max_ns);
    v.field("percentile_error_bound_pct", p.percentile_error_bound_pct);
    v.field("method", p.method);
}

template <class V, Is<ClockOffset> S>
void describe(V& v, S& c) {
    v.field("offset_ns", c.offset_ns);
    v.field("uncertainty_ns", c.uncertainty_ns);
    v.field("delay_ns", c.delay_ns);
    v.field("samples", c.samples);
}

template <class V, Is<RoundTripFlow> S>
void describe(V& v, S& f) {
    v.field("flow_id", f.flow_id);
    v.field("sent", f.sent);
    v.field("returned", f.returned);
    v.field("lost", f.lost);
    v.field("reordered", f.reordered);
    v.field("duplicates", f.duplicates);
    v.field("late", f.late);
}

template <class V, Is<RoundTripReport> S>
void describe(V& v, S& r) {
    v.field("sent", r.sent);
    v.field("returned", r.returned);
    v.field("lost", r.lost);
    v.field("duplicates", r.duplicates);
    v.field("reordered", r.reordered);
    v.field("rx_frames", r.rx_frames);
    v.field("not_test", r.not_test);
    v.field("not_returned", r.not_returned);
    v.field("bad_flow", r.bad_flow);
    v.field("checksum_errors", r.checksum_errors);
    v.field("port_imissed", r.port_imissed);
    v.field("port_ierrors", r.port_ierrors);
    v.field("port_rx_nombuf", r.port_rx_nombuf);
    v.field("drain_s", r.drain_s);
    v.field("poll", r.poll);
    v.field("rtt", r.rtt);
    v.field("flows", r.flows, "a round-trip flow");
}

template <class V, Is<TscClockReport> S>
void describe(V& v, S& t) {
    v.field("nominal_hz", t.nominal_hz);
    v.field("calibrated_hz", t.calibrated_hz);
    v.field("calibration_uncertainty_ppm", t.calibration_uncertainty_ppm);
    v.field("calibration_window_s", t.calibration_window_s);
    v.field("nominal_error_ppm", t.nominal_error_ppm);
    v.field("reference", t.reference);
    v.field("method", t.method);
    v.field("drift_checks", t.drift_checks);
    v.field("drift_ppm_last", t.drift_ppm_last);
    v.field("drift_ppm_max_abs", t.drift_ppm_max_abs);
    v.field("drift_warn_ppm", t.drift_warn_ppm);
    v.field("tai_vs_raw_ppm", t.tai_vs_raw_ppm);
    v.null_if_empty("warning", t.warning);
}

template <class V, Is<GeneratorReport> S>
void describe(V& v, S& g) {
    v.field("port_driver", g.port_driver);
    v.field("port_mac", g.port_mac);
    v.field("dst_mac", g.dst_mac);
    v.field("sent_packets", g.sent_packets);
    v.field("sent_bytes", g.sent_bytes);
    v.field("tx_full_retries", g.tx_full_retries);
    v.field("tx_full_dropped", g.tx_full_dropped);
    v.field("elapsed_s", g.elapsed_s);
    v.field("count", g.count);
    v.field("target_packets", g.target_packets);
    v.field("late_bursts", g.late_bursts);
    v.field("descheduled_ms", g.descheduled_ms);
    v.field("schedule", g.schedule);
    v.field("pcap", g.pcap);
    v.field("threads", g.threads, "a thread");
    v.field("flows", g.flows, "a flow");
    v.field("samples", g.samples, "a sample");
    v.field("pacing", g.pacing);
    v.field("clock_sync", g.clock_sync);
    v.field("round_trip", g.round_trip);
    v.field("tsc_clock", g.tsc_clock);
    describe(v, g.rates);
}

// results.json's "summary" (summarize()).
template <class V, Is<Summary> S>
void describe(V& v, S& s) {
    v.field("target_pps", s.target_pps);
    v.field("achieved_pps", s.achieved_pps);
    v.field("sent_packets", s.sent_packets);
    v.field("received_packets", s.received_packets);
    v.field("lost_packets", s.lost_packets);
    v.field("loss_pct", s.loss_pct);
    v.field("duplicates", s.duplicates);
    v.field("mbps_l1", s.mbps_l1);
    v.field("mbps_l2", s.mbps_l2);
}

}  // namespace ebt
