#include "results.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <boost/json.hpp>

#include "ebpf_test_shared.h"
#include "frame_sizes.hpp"
#include "json_text.hpp"
#include "unique_fd.hpp"

namespace ebt {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

json::array samples_json(const std::vector<CounterSample>& samples) {
    json::array a;
    a.reserve(samples.size());
    for (const auto& s : samples) {
        json::object o{{"t_s", s.t_s}, {"packets", s.packets}, {"bytes", s.bytes}};
        if (s.latency_samples) o["latency_samples"] = *s.latency_samples;
        if (s.latency_mean_ns) o["latency_mean_ns"] = *s.latency_mean_ns;
        a.push_back(std::move(o));
    }
    return a;
}


json::array receiver_flows_json(const std::vector<ReceiverFlow>& flows) {
    json::array a;
    a.reserve(flows.size());
    for (const auto& f : flows)
        a.push_back(json::object{{"flow_id", f.flow_id},
                                 {"packets", f.packets},
                                 {"bytes", f.bytes},
                                 {"lost", f.lost},
                                 {"reordered", f.reordered},
                                 {"duplicates", f.duplicates},
                                 {"late", f.late}});
    return a;
}

json::value opt_json(const std::optional<uint64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }
json::value opt_json(const std::optional<double>& v) { return v ? json::value(*v) : json::value(nullptr); }

json::value latency_json(const std::optional<LatencyReport>& l) {
    if (!l) return nullptr;
    json::array hist;
    hist.reserve(l->histogram.size());
    for (const auto& b : l->histogram)
        hist.push_back(json::object{{"lo_ns", b.lo_ns}, {"hi_ns", b.hi_ns}, {"count", b.count}});
    return json::object{{"samples", l->samples},
                        {"negative", l->negative},
                        {"negative_max_ns", l->negative_max_ns},
                        {"min_ns", opt_json(l->min_ns)},
                        {"mean_ns", opt_json(l->mean_ns)},
                        {"max_ns", opt_json(l->max_ns)},
                        {"p50_ns", opt_json(l->p50_ns)},
                        {"p90_ns", opt_json(l->p90_ns)},
                        {"p99_ns", opt_json(l->p99_ns)},
                        {"p99_9_ns", opt_json(l->p99_9_ns)},
                        {"percentile_error_bound_pct", l->percentile_error_bound_pct},
                        {"method", l->method},
                        {"clock_offset_ns", l->clock_offset_ns},
                        {"clock_offset_uncertainty", l->clock_offset_uncertainty},
                        {"histogram", std::move(hist)}};
}

json::value prog_cost_json(const std::optional<ProgCostReport>& c) {
    if (!c) return nullptr;
    json::array samples;
    samples.reserve(c->samples.size());
    for (const auto& s : c->samples)
        samples.push_back(json::object{{"t_s", s.t_s}, {"run_cnt", s.run_cnt}, {"run_time_ns", s.run_time_ns}});
    return json::object{{"run_cnt", c->run_cnt},
                        {"run_time_ns", c->run_time_ns},
                        {"ns_per_packet", opt_json(c->ns_per_packet)},
                        {"method", c->method},
                        {"samples", std::move(samples)}};
}

json::array pairs_json(const std::vector<std::pair<std::string, uint64_t>>& v) {
    json::array a;
    a.reserve(v.size());
    for (const auto& [k, n] : v) a.push_back(json::array{json::value(k), json::value(n)});
    return a;
}

json::value system_json(const std::optional<SystemReport>& s) {
    if (!s) return nullptr;
    json::array cpus, samples;
    for (const auto& c : s->cpus)
        cpus.push_back(json::object{{"cpu", c.cpu},
                                    {"mean_busy_pct", c.mean_busy_pct},
                                    {"peak_busy_pct", c.peak_busy_pct},
                                    {"mean_softirq_pct", c.mean_softirq_pct},
                                    {"peak_softirq_pct", c.peak_softirq_pct}});
    for (const auto& x : s->samples) {
        json::array ticks;
        for (const auto& t : x.cpus)
            ticks.push_back(json::array{t.user, t.nice, t.system, t.idle, t.iowait, t.irq, t.softirq, t.steal});
        samples.push_back(json::object{{"t_s", x.t_s},
                                       {"cpus", std::move(ticks)},
                                       {"mem_total_kb", x.mem_total_kb},
                                       {"mem_available_kb", x.mem_available_kb},
                                       {"rss_kb", x.rss_kb},
                                       {"netdev", json::array(x.netdev.begin(), x.netdev.end())}});
    }
    return json::object{{"sample_rate_s", s->sample_rate_s},
                        {"user_hz", s->user_hz},
                        {"note", s->note},
                        {"cpus", std::move(cpus)},
                        {"mem_used_kb_mean", s->mem_used_kb_mean},
                        {"mem_used_kb_peak", s->mem_used_kb_peak},
                        {"rss_kb_mean", s->rss_kb_mean},
                        {"rss_kb_peak", s->rss_kb_peak},
                        {"netdev_names", json::array(s->netdev_names.begin(), s->netdev_names.end())},
                        {"netdev_delta", pairs_json(s->netdev_delta)},
                        {"busy_cpu_ns", s->busy_cpu_ns},
                        {"busy_cpu_ns_bound", s->busy_cpu_ns_bound},
                        {"busy_window_s", s->busy_window_s},
                        {"busy_cpu_ns_per_packet", opt_json(s->busy_cpu_ns_per_packet)},
                        {"busy_cpu_ns_per_packet_bound", opt_json(s->busy_cpu_ns_per_packet_bound)},
                        {"receive_cpu_ns", s->receive_cpu_ns},
                        {"receive_cpu_ns_bound", s->receive_cpu_ns_bound},
                        {"receive_cpu_ns_per_packet", opt_json(s->receive_cpu_ns_per_packet)},
                        {"receive_cpu_ns_per_packet_bound", opt_json(s->receive_cpu_ns_per_packet_bound)},
                        {"receive_method", s->receive_method},
                        {"busy_method", s->busy_method},
                        {"samples", std::move(samples)}};
}

json::value foreign_json(const std::optional<ForeignReport>& f) {
    if (!f) return nullptr;
    json::array tuples;
    for (const auto& t : f->tuples)
        tuples.push_back(json::object{{"ethertype", t.ethertype}, {"proto", t.proto}, {"src", t.src},
                                      {"dst", t.dst}, {"sport", t.sport}, {"dport", t.dport},
                                      {"packets", t.packets}, {"bytes", t.bytes}});
    return json::object{{"action", f->action},
                        {"tuple_limit", f->tuple_limit},
                        {"tuples", std::move(tuples)},
                        {"overflow_packets", f->overflow_packets},
                        {"overflow_bytes", f->overflow_bytes}};
}

// The generator's rate figures, merged into an object (flat keys).
void put_rates(json::object& o, const RateFigures& r) {
    o["target_pps"] = opt_json(r.target_pps);
    o["achieved_pps"] = r.achieved_pps;
    o["efficiency_pct"] = opt_json(r.efficiency_pct);
    o["mbps_l1"] = r.mbps_l1;
    o["mbps_l2"] = r.mbps_l2;
}

json::array generator_flows_json(const std::vector<FlowCount>& flows) {
    json::array a;
    a.reserve(flows.size());
    for (const auto& f : flows) {
        json::object o{{"flow_id", f.flow_id}, {"packets", f.packets}, {"bytes", f.bytes},
                       {"tx_full_refused", f.tx_full_refused}, {"tx_full_dropped", f.tx_full_dropped}};
        put_rates(o, f.rates);
        a.push_back(std::move(o));
    }
    return a;
}

json::value schedule_json(const std::optional<ScheduleReport>& s) {
    if (!s) return nullptr;
    json::array segs;
    for (const auto& g : s->segments)
        segs.push_back(json::object{{"pattern", g.pattern}, {"name", g.name}, {"type", g.type},
                                    {"start_s", g.start_s}, {"duration_s", g.duration_s},
                                    {"packets", g.packets}, {"seed", opt_json(g.seed)}});
    return json::object{{"duration_s", s->duration_s}, {"total_packets", s->total_packets}, {"segments", std::move(segs)}};
}

json::value round_trip_json(const std::optional<RoundTripReport>& r) {
    if (!r) return nullptr;
    json::array flows;
    flows.reserve(r->flows.size());
    for (const auto& f : r->flows)
        flows.push_back(json::object{{"flow_id", f.flow_id}, {"sent", f.sent}, {"returned", f.returned},
                                     {"lost", f.lost}, {"reordered", f.reordered},
                                     {"duplicates", f.duplicates}, {"late", f.late}});
    return json::object{{"sent", r->sent},
                        {"returned", r->returned},
                        {"lost", r->lost},
                        {"duplicates", r->duplicates},
                        {"reordered", r->reordered},
                        {"rx_frames", r->rx_frames},
                        {"not_test", r->not_test},
                        {"not_returned", r->not_returned},
                        {"bad_flow", r->bad_flow},
                        {"checksum_errors", r->checksum_errors},
                        {"port_imissed", r->port_imissed},
                        {"port_ierrors", r->port_ierrors},
                        {"port_rx_nombuf", r->port_rx_nombuf},
                        {"drain_s", r->drain_s},
                        {"poll", r->poll},
                        {"rtt", latency_json(r->rtt)},
                        {"flows", std::move(flows)}};
}

json::value tsc_clock_json(const std::optional<TscClockReport>& t) {
    if (!t) return nullptr;
    return json::object{{"nominal_hz", t->nominal_hz},
                        {"calibrated_hz", t->calibrated_hz},
                        {"calibration_uncertainty_ppm", t->calibration_uncertainty_ppm},
                        {"calibration_window_s", t->calibration_window_s},
                        {"nominal_error_ppm", t->nominal_error_ppm},
                        {"reference", t->reference},
                        {"method", t->method},
                        {"drift_checks", t->drift_checks},
                        {"drift_ppm_last", t->drift_ppm_last},
                        {"drift_ppm_max_abs", t->drift_ppm_max_abs},
                        {"drift_warn_ppm", t->drift_warn_ppm},
                        {"tai_vs_raw_ppm", opt_json(t->tai_vs_raw_ppm)},
                        {"warning", t->warning.empty() ? json::value(nullptr) : json::value(t->warning)}};
}

json::object generator_json(const GeneratorReport& g) {
    json::array threads;
    for (const auto& t : g.threads) {
        json::object o{{"lcore", t.lcore},
                       {"queue", t.queue},
                       {"flows", t.flows},
                       {"packets", t.packets},
                       {"bytes", t.bytes},
                       {"tx_full_retries", t.tx_full_retries},
                       {"tx_full_dropped", t.tx_full_dropped},
                       {"target_packets", opt_json(t.target_packets)},
                       {"late_bursts", t.late_bursts},
                       {"descheduled_ms", opt_json(t.descheduled_ms)},
                       {"involuntary_switches", opt_json(t.involuntary_switches)},
                       {"elapsed_s", t.elapsed_s},
                       {"end", t.end}};
        put_rates(o, t.rates);
        threads.push_back(std::move(o));
    }
    json::object o{{"port_driver", g.port_driver},
            {"port_mac", g.port_mac},
            {"dst_mac", g.dst_mac},
            {"sent_packets", g.sent_packets},
            {"sent_bytes", g.sent_bytes},
            {"tx_full_retries", g.tx_full_retries},
            {"tx_full_dropped", g.tx_full_dropped},
            {"elapsed_s", g.elapsed_s},
            {"count", opt_json(g.count)},
            {"target_packets", opt_json(g.target_packets)},
            {"late_bursts", g.late_bursts},
            {"descheduled_ms", opt_json(g.descheduled_ms)},
            {"schedule", schedule_json(g.schedule)},
            {"pcap", g.pcap ? json::value(json::object{{"file", g.pcap->file},
                                                       {"frames_in_file", g.pcap->frames_in_file},
                                                       {"bytes_in_file", g.pcap->bytes_in_file},
                                                       {"stamped_frames", g.pcap->stamped_frames},
                                                       {"flows", g.pcap->flows},
                                                       {"stamped", g.pcap->stamped},
                                                       {"unstamped", g.pcap->unstamped},
                                                       {"timing", g.pcap->timing},
                                                       {"loops", g.pcap->loops}})
                            : json::value(nullptr)},
            {"threads", std::move(threads)},
            {"flows", generator_flows_json(g.flows)},
            {"samples", samples_json(g.samples)},
            {"pacing", g.pacing ? json::value(json::object{
                                      {"bursts", g.pacing->bursts},
                                      {"min_ns", opt_json(g.pacing->min_ns)},
                                      {"mean_ns", opt_json(g.pacing->mean_ns)},
                                      {"p50_ns", opt_json(g.pacing->p50_ns)},
                                      {"p99_ns", opt_json(g.pacing->p99_ns)},
                                      {"max_ns", opt_json(g.pacing->max_ns)},
                                      {"percentile_error_bound_pct", g.pacing->percentile_error_bound_pct},
                                      {"method", g.pacing->method}})
                                : json::value(nullptr)},
            {"clock_sync", g.clock_sync ? json::value(json::object{{"offset_ns", g.clock_sync->offset_ns},
                                                                  {"uncertainty_ns", g.clock_sync->uncertainty_ns},
                                                                  {"delay_ns", g.clock_sync->delay_ns},
                                                                  {"samples", g.clock_sync->samples}})
                                        : json::value(nullptr)},
            {"round_trip", round_trip_json(g.round_trip)},
            {"tsc_clock", tsc_clock_json(g.tsc_clock)}};
    put_rates(o, g.rates);
    return o;
}

// Strict readers for a report that came over the network.
const json::value& field(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) throw std::invalid_argument(std::string("receiver report: missing field '") + key + "'");
    return *v;
}

uint64_t read_u64(const json::object& o, const char* key) {
    const auto& v = field(o, key);
    if (v.is_uint64()) return v.as_uint64();
    if (v.is_int64() && v.as_int64() >= 0) return static_cast<uint64_t>(v.as_int64());
    throw std::invalid_argument(std::string("receiver report: field '") + key + "' must be a non-negative integer");
}

double read_double(const json::object& o, const char* key) {
    const auto& v = field(o, key);
    if (v.is_double()) return v.as_double();
    if (v.is_int64()) return static_cast<double>(v.as_int64());
    if (v.is_uint64()) return static_cast<double>(v.as_uint64());
    throw std::invalid_argument(std::string("receiver report: field '") + key + "' must be a number");
}

std::string read_string(const json::object& o, const char* key) {
    const auto& v = field(o, key);
    if (!v.is_string()) throw std::invalid_argument(std::string("receiver report: field '") + key + "' must be a string");
    return std::string(v.as_string());
}

const json::array& read_array(const json::object& o, const char* key) {
    const auto& v = field(o, key);
    if (!v.is_array()) throw std::invalid_argument(std::string("receiver report: field '") + key + "' must be an array");
    return v.as_array();
}

const json::object& as_object(const json::value& v, const char* what) {
    if (!v.is_object()) throw std::invalid_argument(std::string("receiver report: ") + what + " must be an object");
    return v.as_object();
}

int64_t read_i64(const json::object& o, const char* key) {
    const auto& v = field(o, key);
    if (v.is_int64()) return v.as_int64();
    if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(v.as_uint64());
    throw std::invalid_argument(std::string("receiver report: field '") + key + "' must be an integer");
}

std::optional<uint64_t> read_opt_u64(const json::object& o, const char* key) {
    if (field(o, key).is_null()) return std::nullopt;
    return read_u64(o, key);
}

std::optional<double> read_opt_double(const json::object& o, const char* key) {
    if (field(o, key).is_null()) return std::nullopt;
    return read_double(o, key);
}

// Optional sections (added after v1's first reports): absent or null = none.
std::optional<LatencyReport> read_latency(const json::object& r) {
    const auto* v = r.if_contains("latency");
    if (v == nullptr || v->is_null()) return std::nullopt;
    const auto& o = as_object(*v, "latency");
    LatencyReport l;
    l.samples = read_u64(o, "samples");
    l.negative = read_u64(o, "negative");
    l.negative_max_ns = read_u64(o, "negative_max_ns");
    l.min_ns = read_opt_u64(o, "min_ns");
    l.mean_ns = read_opt_double(o, "mean_ns");
    l.max_ns = read_opt_u64(o, "max_ns");
    l.p50_ns = read_opt_u64(o, "p50_ns");
    l.p90_ns = read_opt_u64(o, "p90_ns");
    l.p99_ns = read_opt_u64(o, "p99_ns");
    l.p99_9_ns = read_opt_u64(o, "p99_9_ns");
    l.percentile_error_bound_pct = read_double(o, "percentile_error_bound_pct");
    l.method = read_string(o, "method");
    l.clock_offset_ns = read_i64(o, "clock_offset_ns");
    l.clock_offset_uncertainty = read_string(o, "clock_offset_uncertainty");
    for (const auto& b : read_array(o, "histogram")) {
        const auto& bo = as_object(b, "a latency bucket");
        l.histogram.push_back({read_u64(bo, "lo_ns"), read_u64(bo, "hi_ns"), read_u64(bo, "count")});
    }
    return l;
}

std::vector<std::pair<std::string, uint64_t>> read_pairs(const json::object& o, const char* key) {
    std::vector<std::pair<std::string, uint64_t>> out;
    for (const auto& e : read_array(o, key)) {
        if (!e.is_array() || e.as_array().size() != 2 || !e.as_array()[0].is_string())
            throw std::invalid_argument(std::string("receiver report: field '") + key + "' must hold [name, count] pairs");
        const json::object tmp{{"v", e.as_array()[1]}};
        out.emplace_back(std::string(e.as_array()[0].as_string()), read_u64(tmp, "v"));
    }
    return out;
}

std::optional<SystemReport> read_system(const json::object& r) {
    const auto* v = r.if_contains("system");
    if (v == nullptr || v->is_null()) return std::nullopt;
    const auto& o = as_object(*v, "system");
    SystemReport s;
    s.sample_rate_s = read_double(o, "sample_rate_s");
    s.user_hz = static_cast<uint32_t>(read_u64(o, "user_hz"));
    s.note = read_string(o, "note");
    for (const auto& c : read_array(o, "cpus")) {
        const auto& co = as_object(c, "a system cpu");
        s.cpus.push_back({static_cast<uint32_t>(read_u64(co, "cpu")), read_double(co, "mean_busy_pct"),
                          read_double(co, "peak_busy_pct"), read_double(co, "mean_softirq_pct"),
                          read_double(co, "peak_softirq_pct")});
    }
    s.mem_used_kb_mean = read_u64(o, "mem_used_kb_mean");
    s.mem_used_kb_peak = read_u64(o, "mem_used_kb_peak");
    s.rss_kb_mean = read_u64(o, "rss_kb_mean");
    s.rss_kb_peak = read_u64(o, "rss_kb_peak");
    for (const auto& n : read_array(o, "netdev_names")) {
        if (!n.is_string()) throw std::invalid_argument("receiver report: field 'netdev_names' must hold strings");
        s.netdev_names.emplace_back(n.as_string());
    }
    s.netdev_delta = read_pairs(o, "netdev_delta");
    s.busy_cpu_ns = read_u64(o, "busy_cpu_ns");
    s.busy_cpu_ns_bound = read_u64(o, "busy_cpu_ns_bound");
    s.busy_window_s = read_double(o, "busy_window_s");
    s.busy_cpu_ns_per_packet = read_opt_double(o, "busy_cpu_ns_per_packet");
    s.busy_cpu_ns_per_packet_bound = read_opt_double(o, "busy_cpu_ns_per_packet_bound");
    s.receive_cpu_ns = read_u64(o, "receive_cpu_ns");
    s.receive_cpu_ns_bound = read_u64(o, "receive_cpu_ns_bound");
    s.receive_cpu_ns_per_packet = read_opt_double(o, "receive_cpu_ns_per_packet");
    s.receive_cpu_ns_per_packet_bound = read_opt_double(o, "receive_cpu_ns_per_packet_bound");
    s.receive_method = read_string(o, "receive_method");
    s.busy_method = read_string(o, "busy_method");
    for (const auto& x : read_array(o, "samples")) {
        const auto& xo = as_object(x, "a system sample");
        SystemSample ss;
        ss.t_s = read_double(xo, "t_s");
        for (const auto& t : read_array(xo, "cpus")) {
            if (!t.is_array() || t.as_array().size() != 8)
                throw std::invalid_argument("receiver report: field 'cpus' must hold 8 tick counts per CPU");
            uint64_t n[8];
            for (size_t i = 0; i < 8; ++i) n[i] = read_u64(json::object{{"cpus", t.as_array()[i]}}, "cpus");
            ss.cpus.push_back({n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]});
        }
        ss.mem_total_kb = read_u64(xo, "mem_total_kb");
        ss.mem_available_kb = read_u64(xo, "mem_available_kb");
        ss.rss_kb = read_u64(xo, "rss_kb");
        const auto& nd = read_array(xo, "netdev");
        if (nd.size() != s.netdev_names.size())
            throw std::invalid_argument("receiver report: a system sample's 'netdev' must hold one count per netdev_names entry");
        for (const auto& n : nd) ss.netdev.push_back(read_u64(json::object{{"netdev", n}}, "netdev"));
        s.samples.push_back(std::move(ss));
    }
    return s;
}

std::optional<ForeignReport> read_foreign(const json::object& r) {
    const auto* v = r.if_contains("foreign");
    if (v == nullptr || v->is_null()) return std::nullopt;
    const auto& o = as_object(*v, "foreign");
    ForeignReport f;
    f.action = read_string(o, "action");
    if (f.action != "pass" && f.action != "drop")
        throw std::invalid_argument("receiver report: field 'action' must be pass or drop");
    f.tuple_limit = static_cast<uint32_t>(read_u64(o, "tuple_limit"));
    for (const auto& t : read_array(o, "tuples")) {
        const auto& to = as_object(t, "a foreign tuple");
        ForeignTuple x;
        const uint64_t et = read_u64(to, "ethertype"), pr = read_u64(to, "proto");
        const uint64_t sp = read_u64(to, "sport"), dp = read_u64(to, "dport");
        if (et > 0xFFFF || pr > 0xFF || sp > 0xFFFF || dp > 0xFFFF)
            throw std::invalid_argument("receiver report: a foreign tuple field is out of range");
        x.ethertype = static_cast<uint16_t>(et);
        x.proto = static_cast<uint8_t>(pr);
        x.src = read_string(to, "src");
        x.dst = read_string(to, "dst");
        x.sport = static_cast<uint16_t>(sp);
        x.dport = static_cast<uint16_t>(dp);
        x.packets = read_u64(to, "packets");
        x.bytes = read_u64(to, "bytes");
        f.tuples.push_back(std::move(x));
    }
    f.overflow_packets = read_u64(o, "overflow_packets");
    f.overflow_bytes = read_u64(o, "overflow_bytes");
    return f;
}

std::optional<ProgCostReport> read_prog_cost(const json::object& r) {
    const auto* v = r.if_contains("prog_cost");
    if (v == nullptr || v->is_null()) return std::nullopt;
    const auto& o = as_object(*v, "prog_cost");
    ProgCostReport c;
    c.run_cnt = read_u64(o, "run_cnt");
    c.run_time_ns = read_u64(o, "run_time_ns");
    c.ns_per_packet = read_opt_double(o, "ns_per_packet");
    c.method = read_string(o, "method");
    for (const auto& s : read_array(o, "samples")) {
        const auto& so = as_object(s, "a prog_cost sample");
        c.samples.push_back({read_double(so, "t_s"), read_u64(so, "run_cnt"), read_u64(so, "run_time_ns")});
    }
    return c;
}

std::string fmt(double v, int decimals) {
    char buf[512];  // %f of the largest double is 309 digits
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string fmt_signed(double v, int decimals) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%+.*f", decimals, v);
    return buf;
}

// results.md's generator clock line: the TSC frequency everything on the
// generator is measured with, how far DPDK's nominal one was off, and how
// much the TSC drifted from the reference during the test.
std::string tsc_clock_markdown(const TscClockReport& t) {
    std::string out = "- Generator clock (TSC against " + t.reference + "): calibrated " +
                      std::to_string(t.calibrated_hz) + " Hz +- " + fmt(t.calibration_uncertainty_ppm, 3) +
                      " ppm (over " + fmt(t.calibration_window_s, 3) + " s); nominal " + std::to_string(t.nominal_hz) +
                      " Hz, " + fmt_signed(t.nominal_error_ppm / 1e4, 4) + " % off; ";
    if (t.drift_checks == 0)
        out += "drift not checked";
    else
        out += "drift max " + fmt(t.drift_ppm_max_abs, 2) + " ppm (" + std::to_string(t.drift_checks) +
               " checks, last " + fmt_signed(t.drift_ppm_last, 2) + " ppm, warning above " + fmt(t.drift_warn_ppm, 0) +
               " ppm)";
    if (t.tai_vs_raw_ppm) out += "; CLOCK_TAI's rate " + fmt_signed(*t.tai_vs_raw_ppm, 2) + " ppm against " + t.reference;
    return out + "\n  Method: " + t.method + "\n";
}

// The receiver's two CPU figures, each with its scope, the receive path's
// own first: on a shared testbed the whole-host figure includes the
// generator's polling lcore.
std::string cpu_markdown(const SystemReport& s) {
    auto ms = [](uint64_t ns) { return fmt(static_cast<double>(ns) / 1e6, 0); };
    const std::string window = " over " + fmt(s.busy_window_s, 2) + " s";
    std::string out;
    if (s.receive_cpu_ns_per_packet)
        out += "- CPU, receive path (softirq, all CPUs + xdp-recv): " + fmt(*s.receive_cpu_ns_per_packet, 0) +
               " ns per received test packet, +- " + fmt(s.receive_cpu_ns_per_packet_bound.value_or(0), 0) + " (" +
               ms(s.receive_cpu_ns) + " +- " + ms(s.receive_cpu_ns_bound) + " ms" + window + ")\n  Method: " +
               s.receive_method + "\n";
    if (s.busy_cpu_ns_per_packet)
        out += "- CPU, whole host, incl. the generator when it shares the host: " + fmt(*s.busy_cpu_ns_per_packet, 0) +
               " ns per received test packet, +- " + fmt(s.busy_cpu_ns_per_packet_bound.value_or(0), 0) + " (" +
               ms(s.busy_cpu_ns) + " +- " + ms(s.busy_cpu_ns_bound) + " ms busy" + window + ", all CPUs)\n  Method: " +
               s.busy_method + "\n";
    if (!out.empty()) out += "  Note (both CPU figures): " + s.note + "\n";
    return out;
}

// raw_data/system_cpu.csv: per sample and CPU, the window's shares in %.
std::string system_cpu_csv(const SystemReport& s) {
    std::string out = "t_s,cpu,user_pct,nice_pct,system_pct,idle_pct,iowait_pct,irq_pct,softirq_pct,steal_pct\n";
    for (size_t i = 1; i < s.samples.size(); ++i) {
        const auto& a = s.samples[i - 1];
        const auto& b = s.samples[i];
        for (size_t c = 0; c < std::min(a.cpus.size(), b.cpus.size()); ++c) {
            const auto& x = a.cpus[c];
            const auto& y = b.cpus[c];
            const uint64_t d[8] = {y.user - x.user, y.nice - x.nice, y.system - x.system, y.idle - x.idle,
                                   y.iowait - x.iowait, y.irq - x.irq, y.softirq - x.softirq, y.steal - x.steal};
            uint64_t total = 0;
            for (uint64_t v : d) total += v;
            out += fmt(b.t_s, 6) + "," + std::to_string(c);
            for (uint64_t v : d) out += "," + fmt(total ? 100.0 * static_cast<double>(v) / static_cast<double>(total) : 0.0, 2);
            out += "\n";
        }
    }
    return out;
}

// raw_data/system_mem_netdev.csv: memory and every interface counter, cumulative.
std::string system_mem_netdev_csv(const SystemReport& s) {
    std::string out = "t_s,mem_total_kb,mem_available_kb,rss_kb";
    for (const auto& k : s.netdev_names) out += "," + k;
    out += "\n";
    for (const auto& x : s.samples) {
        out += fmt(x.t_s, 6) + "," + std::to_string(x.mem_total_kb) + "," + std::to_string(x.mem_available_kb) + "," +
               std::to_string(x.rss_kb);
        for (const uint64_t v : x.netdev) out += "," + std::to_string(v);
        out += "\n";
    }
    return out;
}

void write_system_csvs(const std::filesystem::path& d, const std::optional<SystemReport>& s) {
    if (!s) return;
    write_file_atomic((d / "raw_data" / "system_cpu.csv").string(), system_cpu_csv(*s));
    write_file_atomic((d / "raw_data" / "system_mem_netdev.csv").string(), system_mem_netdev_csv(*s));
}

// The interval rates between samples.  Mbit/s at L1 and at L2 including
// the FCS, as RateFigures counts them: bytes are frames without FCS, and
// config's frame_bits(0, layer) is the per-frame overhead of each layer.
std::string samples_csv(const std::vector<CounterSample>& samples) {
    std::string out = "t_s,packets,bytes,interval_pps,interval_mbps_l1,interval_mbps_l2_incl_fcs\n";
    const double l1_bits = static_cast<double>(frame_bits(0, "l1")), l2_bits = static_cast<double>(frame_bits(0, "l2"));
    const CounterSample* prev = nullptr;
    for (const auto& s : samples) {
        double pps = 0, mbps_l1 = 0, mbps_l2 = 0;
        // Counters are cumulative; a sample that went backwards (bad input) gives 0, not a wrapped figure.
        if (prev != nullptr && s.t_s > prev->t_s && s.packets >= prev->packets && s.bytes >= prev->bytes) {
            const double dt = s.t_s - prev->t_s;
            const double p = static_cast<double>(s.packets - prev->packets);
            const double bits = static_cast<double>(s.bytes - prev->bytes) * 8.0;
            pps = p / dt;
            mbps_l1 = (bits + p * l1_bits) / dt / 1e6;
            mbps_l2 = (bits + p * l2_bits) / dt / 1e6;
        }
        out += fmt(s.t_s, 6) + "," + std::to_string(s.packets) + "," + std::to_string(s.bytes) + "," +
               fmt(pps, 1) + "," + fmt(mbps_l1, 3) + "," + fmt(mbps_l2, 3) + "\n";
        prev = &s;
    }
    return out;
}

using FlowIndex = std::unordered_map<uint32_t, const ReceiverFlow*>;

// The receiver's flows by id, whatever order (or gaps) the report has.
FlowIndex index_flows(const std::optional<ReceiverReport>& rx) {
    FlowIndex m;
    if (!rx) return m;
    m.reserve(rx->flows.size());
    for (const auto& f : rx->flows) m[f.flow_id] = &f;
    return m;
}

const ReceiverFlow& lookup(const FlowIndex& m, uint32_t flow_id) {
    static const ReceiverFlow kNone{};
    const auto it = m.find(flow_id);
    return it == m.end() ? kNone : *it->second;
}

// Unique packets: a duplicate arrived but is not a second delivery.
uint64_t unique_received(const ReceiverFlow& f) { return f.packets - std::min(f.packets, f.duplicates); }

// RFC 4180: quote a field holding a comma, quote or line break.
std::string csv_field(const std::string& v) {
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out = "\"";
    for (char c : v) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string sanitize(const std::string& name) {
    std::string out;
    for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
    return out.empty() ? std::string("test") : out;
}

}  // namespace

Summary summarize(const TestRecord& r) {
    Summary s;
    const auto& g = r.generator;
    // Patterns: the schedule's mean rate (generator.rates.target_pps).
    s.target_pps = r.config.rate_max ? 0.0 : g.rates.target_pps.value_or(static_cast<double>(r.config.packet_rate));
    s.sent_packets = g.sent_packets;
    // The generator's figures (rate_figures over sent packets and bytes and
    // elapsed_s): taken, not recomputed, so there is one definition of each.
    s.achieved_pps = g.rates.achieved_pps;
    s.mbps_l1 = g.rates.mbps_l1;
    s.mbps_l2 = g.rates.mbps_l2;
    if (r.receiver) {
        uint64_t duplicates = 0;
        for (const auto& f : r.receiver->flows) duplicates += f.duplicates;
        s.duplicates = duplicates;
        s.received_packets = r.receiver->test_packets - std::min(r.receiver->test_packets, duplicates);
        // --pcap: only stamped packets carry the test header the receiver counts.
        const uint64_t test_sent = g.pcap ? g.pcap->stamped : g.sent_packets;
        s.lost_packets = static_cast<int64_t>(test_sent) - static_cast<int64_t>(*s.received_packets);
        s.loss_pct = test_sent == 0 ? 0.0
                                    : 100.0 * static_cast<double>(*s.lost_packets) / static_cast<double>(test_sent);
    }
    return s;
}

json::object to_json(const ReceiverReport& r) {
    return {{"mode", r.mode},
            {"interface", r.interface},
            {"mac", r.mac},
            {"xdp_mode", r.xdp_mode},
            {"rx_packets", r.rx_packets},
            {"rx_bytes", r.rx_bytes},
            {"test_packets", r.test_packets},
            {"test_bytes", r.test_bytes},
            {"other_packets", r.other_packets},
            {"other_bytes", r.other_bytes},
            {"stale_packets", r.stale_packets},
            {"bad_flow_packets", r.bad_flow_packets},
            {"drain_s", r.drain_s},
            {"flows", receiver_flows_json(r.flows)},
            {"samples", samples_json(r.samples)},
            {"test_action", r.test_action},
            {"latency", latency_json(r.latency)},
            {"prog_cost", prog_cost_json(r.prog_cost)},
            {"system", system_json(r.system)},
            {"foreign", foreign_json(r.foreign)}};
}

ReceiverReport receiver_report_from_json(const json::value& v) {
    const auto& o = as_object(v, "the report");
    ReceiverReport r;
    r.mode = read_string(o, "mode");
    r.interface = read_string(o, "interface");
    r.mac = read_string(o, "mac");
    r.xdp_mode = read_string(o, "xdp_mode");
    r.rx_packets = read_u64(o, "rx_packets");
    r.rx_bytes = read_u64(o, "rx_bytes");
    r.test_packets = read_u64(o, "test_packets");
    r.test_bytes = read_u64(o, "test_bytes");
    r.other_packets = read_u64(o, "other_packets");
    r.other_bytes = read_u64(o, "other_bytes");
    r.stale_packets = read_u64(o, "stale_packets");
    r.bad_flow_packets = read_u64(o, "bad_flow_packets");
    r.drain_s = read_double(o, "drain_s");
    for (const auto& f : read_array(o, "flows")) {
        const auto& fo = as_object(f, "a flow");
        const uint64_t id = read_u64(fo, "flow_id");
        if (id >= EBT_MAX_FLOWS) throw std::invalid_argument("receiver report: flow_id out of range");
        r.flows.push_back({static_cast<uint32_t>(id), read_u64(fo, "packets"), read_u64(fo, "bytes"),
                           read_u64(fo, "lost"), read_u64(fo, "reordered"), read_u64(fo, "duplicates"),
                           read_u64(fo, "late")});
    }
    for (const auto& s : read_array(o, "samples")) {
        const auto& so = as_object(s, "a sample");
        CounterSample cs{read_double(so, "t_s"), read_u64(so, "packets"), read_u64(so, "bytes")};
        if (so.contains("latency_samples")) cs.latency_samples = read_u64(so, "latency_samples");
        if (so.contains("latency_mean_ns")) cs.latency_mean_ns = read_double(so, "latency_mean_ns");
        r.samples.push_back(cs);
    }
    if (const auto* a = o.if_contains("test_action")) {
        if (!a->is_string()) throw std::invalid_argument("receiver report: field 'test_action' must be a string");
        r.test_action = std::string(a->as_string());
        if (r.test_action != "drop" && r.test_action != "pass" && r.test_action != "tx")
            throw std::invalid_argument("receiver report: field 'test_action' must be drop, pass or tx");
    }
    r.latency = read_latency(o);
    r.prog_cost = read_prog_cost(o);
    r.system = read_system(o);
    r.foreign = read_foreign(o);
    return r;
}

json::object results_json(const TestRecord& r) {
    const Summary s = summarize(r);
    json::object summary{{"target_pps", s.target_pps},
                         {"achieved_pps", s.achieved_pps},
                         {"sent_packets", s.sent_packets},
                         {"received_packets", s.received_packets ? json::value(*s.received_packets) : json::value(nullptr)},
                         {"lost_packets", s.lost_packets ? json::value(*s.lost_packets) : json::value(nullptr)},
                         {"loss_pct", s.loss_pct ? json::value(*s.loss_pct) : json::value(nullptr)},
                         {"duplicates", s.duplicates ? json::value(*s.duplicates) : json::value(nullptr)},
                         {"mbps_l1", s.mbps_l1},
                         {"mbps_l2", s.mbps_l2}};

    json::array flows;
    const FlowIndex rx_flows = index_flows(r.receiver);
    for (const auto& f : r.generator.flows) {
        json::object row{{"flow_id", f.flow_id}, {"sent", f.packets}};
        if (r.receiver) {
            const ReceiverFlow& rf = lookup(rx_flows, f.flow_id);
            const uint64_t received = unique_received(rf);
            row["received"] = received;
            row["lost"] = static_cast<int64_t>(f.packets) - static_cast<int64_t>(received);
            row["reordered"] = rf.reordered;
            row["duplicates"] = rf.duplicates;
        } else {
            row["received"] = nullptr;
            row["lost"] = nullptr;
            row["reordered"] = nullptr;
            row["duplicates"] = nullptr;
        }
        flows.push_back(std::move(row));
    }

    return {{"schema_version", kResultsSchemaVersion},
            {"test",
             {{"name", r.name},
              {"id", r.id},
              {"started_at", r.started_at},
              {"ended_at", r.ended_at},
              {"duration_s", r.config.duration_s},
              {"preset", r.config.preset.empty() ? json::value(nullptr) : json::value(r.config.preset)},
              {"status", r.status},
              {"status_reason", r.status_reason},
              {"coordinated", r.coordinated}}},
            {"config", to_json(r.config)},
            {"summary", std::move(summary)},
            {"flows", std::move(flows)},
            {"generator", generator_json(r.generator)},
            {"receiver", r.receiver ? json::value(to_json(*r.receiver)) : json::value(nullptr)}};
}

std::string results_csv(const TestRecord& r) {
    // One row per flow, then an "all" row: the table analysts load.  The
    // sent rates are the generator's (per flow, and generator.rates for all:
    // with --pcap that counts every frame sent, unstamped ones too).
    std::string out =
        "test_name,test_id,flow_id,sent_packets,received_packets,lost_packets,loss_pct,reordered,duplicates,"
        "frame_size,sent_mbps_l1,sent_mbps_l2_incl_fcs\n";
    const bool have_rx = r.receiver.has_value();
    const std::string size_text = csv_field(frame_size_text(r.config));
    auto row = [&](const std::string& flow, uint64_t sent, uint64_t received, uint64_t reordered,
                   uint64_t duplicates, const RateFigures& rates) {
        out += csv_field(r.name) + "," + std::to_string(r.id) + "," + flow + "," + std::to_string(sent) + ",";
        if (!have_rx) {
            out += ",,,,";
        } else {
            const int64_t lost = static_cast<int64_t>(sent) - static_cast<int64_t>(received);
            out += std::to_string(received) + "," + std::to_string(lost) + "," +
                   fmt(sent == 0 ? 0.0 : 100.0 * static_cast<double>(lost) / static_cast<double>(sent), 6) + "," +
                   std::to_string(reordered) + "," + std::to_string(duplicates);
        }
        out += "," + size_text + "," + fmt(rates.mbps_l1, 6) + "," + fmt(rates.mbps_l2, 6) + "\n";
    };
    const FlowIndex rx_flows = index_flows(r.receiver);
    uint64_t total_reordered = 0, total_duplicates = 0;
    for (const auto& f : r.generator.flows) {
        const ReceiverFlow& rf = lookup(rx_flows, f.flow_id);
        total_reordered += rf.reordered;
        total_duplicates += rf.duplicates;
        row(std::to_string(f.flow_id), f.packets, unique_received(rf), rf.reordered, rf.duplicates, f.rates);
    }
    const Summary s = summarize(r);
    // --pcap: the test packets are the stamped ones (as in the summary's loss).
    row("all", r.generator.pcap ? r.generator.pcap->stamped : r.generator.sent_packets, s.received_packets.value_or(0),
        total_reordered, total_duplicates, r.generator.rates);
    return out;
}

std::string results_markdown(const TestRecord& r) {
    const Summary s = summarize(r);
    std::ostringstream md;
    md << "# Test " << r.name << "\n\n";
    md << "- Status: **" << r.status << "**" << (r.status_reason.empty() ? "" : " (" + r.status_reason + ")") << "\n";
    const auto& tsc = r.generator.tsc_clock;
    if (tsc && !tsc->warning.empty()) md << "- **WARNING, generator clock: " << tsc->warning << "**\n";
    md << "- Test id: " << r.id << "\n- Started: " << r.started_at << "\n- Ended: " << r.ended_at << "\n";
    md << "- Preset: " << (r.config.preset.empty() ? "none" : r.config.preset) << "\n";
    md << "- Coordinated with xdp-recv: " << (r.coordinated ? "yes" : "no") << "\n";
    if (tsc) md << tsc_clock_markdown(*tsc);
    md << "\n";
    md << "## Summary\n\n| metric | value |\n|---|---|\n";
    md << "| target pps | " << (r.config.rate_max ? std::string("max") : fmt(s.target_pps, 0)) << " |\n";
    md << "| achieved pps | " << fmt(s.achieved_pps, 1) << " |\n";
    md << "| sent packets | " << s.sent_packets << " |\n";
    md << "| received packets | " << (s.received_packets ? std::to_string(*s.received_packets) : "n/a") << " |\n";
    md << "| lost packets | " << (s.lost_packets ? std::to_string(*s.lost_packets) : "n/a") << " |\n";
    if (const auto& p = r.generator.pcap)
        md << "| replayed | " << p->file << ": " << p->frames_in_file << " frames x " << p->loops << " passes, "
           << p->stamped << " stamped (counted by the receiver), " << p->unstamped << " unstamped, " << p->timing
           << " timing |\n";
    md << "| loss % | " << (s.loss_pct ? fmt(*s.loss_pct, 6) : "n/a") << " |\n";
    md << "| duplicates | " << (s.duplicates ? std::to_string(*s.duplicates) : "n/a") << " |\n";
    md << "| Mbps at L1 (frame + FCS + preamble/SFD + IFG) | " << fmt(s.mbps_l1, 3) << " |\n";
    md << "| Mbps at L2 (frame + FCS) | " << fmt(s.mbps_l2, 3) << " |\n";
    md << "| frame size (without FCS) | " << frame_size_text(r.config) << " |\n";
    md << "| tx_full retries / dropped | " << r.generator.tx_full_retries << " / " << r.generator.tx_full_dropped
       << " |\n\n";
    md << "achieved pps = sent packets / TX time (TSC, first burst to end of last burst); Mbps at L1 = (frame + 24 "
          "bytes: FCS 4, preamble/SFD 8, IFG 12) x 8 x packets / TX time; Mbps at L2 = (frame + FCS 4 bytes) x 8 x "
          "packets / TX time.\n\n";
    {
        const GeneratorReport& g = r.generator;
        auto pct = [&](const RateFigures& x) { return x.efficiency_pct ? fmt(*x.efficiency_pct, 2) + " %" : std::string("n/a"); };
        md << "## Generator\n\n- Efficiency (achieved / target): " << pct(g.rates) << "\n";
        if (g.count) md << "- --count " << *g.count << "\n";
        md << "- Late bursts (over one burst interval behind, caught up at <= 2x the rate): " << g.late_bursts;
        if (g.descheduled_ms)
            md << "; the TX lcore(s) waited " << fmt(*g.descheduled_ms, 1)
               << " ms on a run queue during the test (kept off their CPU by other tasks: the usual cause of late "
                  "bursts on a shared CPU; /proc schedstat)";
        md << "\n";
        if (g.schedule) {
            md << "\n| pattern | type | start s | duration s | packets | seed |\n|---|---|---|---|---|---|\n";
            for (const auto& sg : g.schedule->segments)
                md << "| " << sg.pattern << (sg.name.empty() ? "" : " " + sg.name) << " | " << sg.type << " | "
                   << fmt(sg.start_s, 3) << " | " << fmt(sg.duration_s, 3) << " | " << sg.packets << " | "
                   << (sg.seed ? std::to_string(*sg.seed) : "") << " |\n";
        }
        md << "\n| lcore | queue | flows | sent | target | tx_full retries / dropped | pps | efficiency | Mbps L1 | Mbps L2 (incl. FCS) | end |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|\n";
        for (const auto& t : g.threads)
            md << "| " << t.lcore << " | " << t.queue << " | " << t.flows << " | " << t.packets << " | "
               << (t.target_packets ? std::to_string(*t.target_packets) : "-") << " | " << t.tx_full_retries << " / "
               << t.tx_full_dropped << " | " << fmt(t.rates.achieved_pps, 1) << " | " << pct(t.rates) << " | "
               << fmt(t.rates.mbps_l1, 3) << " | " << fmt(t.rates.mbps_l2, 3) << " | " << t.end << " |\n";
        md << "\n";
    }
    md << "## Flows\n\n| flow | sent | received | lost | reordered | duplicates |\n|---|---|---|---|---|---|\n";
    constexpr size_t kMaxRows = 64;
    size_t shown = 0;
    const FlowIndex rx_flows = index_flows(r.receiver);
    for (const auto& f : r.generator.flows) {
        if (shown++ == kMaxRows) {
            md << "\n(" << r.generator.flows.size() - kMaxRows << " more flows in results.csv)\n";
            break;
        }
        md << "| " << f.flow_id << " | " << f.packets << " | ";
        if (r.receiver) {
            const ReceiverFlow& rf = lookup(rx_flows, f.flow_id);
            const uint64_t rx = unique_received(rf);
            md << rx << " | " << static_cast<int64_t>(f.packets) - static_cast<int64_t>(rx) << " | " << rf.reordered
               << " | " << rf.duplicates << " |\n";
        } else {
            md << "n/a | n/a | n/a | n/a |\n";
        }
    }
    if (r.receiver) {
        const auto& rx = *r.receiver;
        md << "\n## Receiver\n\n- Mode: " << rx.mode
           << (rx.mode == "baseline" ? " (no XDP: userspace recvmmsg on UDP sockets, the same accounting)" : "")
           << "\n- Interface: " << rx.interface << " (" << rx.mac << "), XDP mode " << rx.xdp_mode
           << "\n- " << (rx.mode == "baseline" ? "Datagrams on the sockets: " : "Frames seen by XDP: ") << rx.rx_packets << ", test packets " << rx.test_packets
           << ", other (passed) " << rx.other_packets << ", stale " << rx.stale_packets << ", bad flow id "
           << rx.bad_flow_packets << "\n";
        md << "- Test action: " << rx.test_action << "\n";
        if (rx.latency && rx.latency->min_ns) {
            const auto& l = *rx.latency;
            md << "- One-way latency (ns): min " << *l.min_ns << ", mean " << fmt(*l.mean_ns, 1) << ", p50 "
               << *l.p50_ns << ", p90 " << *l.p90_ns << ", p99 " << *l.p99_ns << ", p99.9 " << *l.p99_9_ns
               << ", max " << *l.max_ns << " (" << l.samples << " samples, " << l.negative
               << " negative; percentiles within " << fmt(l.percentile_error_bound_pct, 3)
               << "%, min/mean/max exact; clock offset " << l.clock_offset_ns << " ns, uncertainty "
               << l.clock_offset_uncertainty << ")\n  Method: " << l.method << "\n";
        }
        if (rx.prog_cost && rx.prog_cost->ns_per_packet)
            md << "- XDP program cost: " << fmt(*rx.prog_cost->ns_per_packet, 1) << " ns per packet over "
               << rx.prog_cost->run_cnt << " runs\n  Method: " << rx.prog_cost->method << "\n";
        if (rx.system) md << cpu_markdown(*rx.system);
    }
    if (const auto& rt = r.generator.round_trip) {
        md << "\n## Round trip (tx mode: the receiver reflected the test packets)\n\n- Returned " << rt->returned
           << " of " << rt->sent << " sent, lost " << rt->lost << ", reordered " << rt->reordered << ", duplicates "
           << rt->duplicates << "; RX frames " << rt->rx_frames << " (not test " << rt->not_test
           << ", not returned " << rt->not_returned << ", bad flow " << rt->bad_flow << "), checksum errors "
           << rt->checksum_errors << "; port imissed " << rt->port_imissed << ", ierrors " << rt->port_ierrors
           << ", rx_nombuf " << rt->port_rx_nombuf << "; RX drain " << fmt(rt->drain_s, 3) << " s, " << rt->poll
           << "\n";
        const LatencyReport& l = rt->rtt;
        if (l.min_ns)
            md << "- Round-trip time (ns): min " << *l.min_ns << ", mean " << fmt(*l.mean_ns, 1) << ", p50 " << *l.p50_ns
               << ", p90 " << *l.p90_ns << ", p99 " << *l.p99_ns << ", p99.9 " << *l.p99_9_ns << ", max " << *l.max_ns
               << " (" << l.samples << " samples; percentiles within " << fmt(l.percentile_error_bound_pct, 3)
               << "%, min/mean/max exact)\n  Method: " << l.method << "\n";
        md << "\n| flow | sent | returned | lost | reordered | duplicates | late |\n|---|---|---|---|---|---|---|\n";
        size_t rows = 0;
        for (const auto& f : rt->flows) {
            if (rows++ == 64) {
                md << "\n(" << rt->flows.size() - 64 << " more flows in results.json)\n";
                break;
            }
            md << "| " << f.flow_id << " | " << f.sent << " | " << f.returned << " | " << f.lost << " | " << f.reordered
               << " | " << f.duplicates << " | " << f.late << " |\n";
        }
    }
    return md.str();
}

std::string results_dir_name(const std::string& started_at_iso, const std::string& name) {
    // 2026-11-25T22:17:11.123Z -> 20261125_221711
    std::string digits;
    for (char c : started_at_iso.substr(0, 19))
        if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
    if (digits.size() != 14) digits = "00000000000000";
    return "test_" + digits.substr(0, 8) + "_" + digits.substr(8, 6) + "_" + sanitize(name);
}

std::string create_results_dir(const std::string& base, const std::string& side, const std::string& dir_name) {
    const fs::path parent = fs::path(base) / side;
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw std::runtime_error("cannot create results directory " + parent.string() + ": " + ec.message());
    // Two tests started in the same second with the same name get _2, _3...
    fs::path dir = parent / dir_name;
    for (int n = 2; ::mkdir(dir.c_str(), 0755) != 0; ++n) {
        if (errno != EEXIST || n > 1000)
            throw std::runtime_error("cannot create results directory " + dir.string() + ": " + std::strerror(errno));
        dir = parent / (dir_name + "_" + std::to_string(n));
    }
    fs::create_directories(dir / "raw_data", ec);
    if (ec) throw std::runtime_error("cannot create " + (dir / "raw_data").string() + ": " + ec.message());
    return dir.string();
}

namespace {

[[noreturn]] void fail_write(const std::string& what, const std::string& path, int err) {
    throw std::runtime_error("cannot " + what + " " + path + ": " + std::strerror(err));
}

// "<name>.<12 hex digits>.tmp": unique, so two writers never share a
// temporary (the old fixed "<name>.tmp" was clobbered by a second writer).
std::string temp_name(const std::string& name) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char hex[13];
    std::snprintf(hex, sizeof hex, "%012llx", static_cast<unsigned long long>(rng() & 0xFFFFFFFFFFFFull));
    return name + "." + hex + ".tmp";
}

// All of text at fd (pwrite: the unnamed file has no other writer, and a
// short write or EINTR is carried on from where it stopped).
int write_all(int fd, const std::string& text) {
    for (size_t off = 0; off < text.size();) {
        const ssize_t n = ::pwrite(fd, text.data() + off, text.size() - off, static_cast<off_t>(off));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? errno : EIO;
        off += static_cast<size_t>(n);
    }
    return 0;
}

}  // namespace

namespace detail {

// How it works, and what a kill at any point leaves (the SIGKILL loop in
// tests/integration/atomic_results.sh checks it on dpdk-gen):
//  1. Unnamed: the text goes into an O_TMPFILE inode of the target's
//     directory, fsync'ed, then linkat() gives it the target name, which
//     fails if the name exists.  Killed before the link: nothing (the kernel
//     frees the unnamed inode).  Results directories are new, so this is the
//     path write_results() takes for every file.
//     Replacing an existing file: linkat() to a unique "<name>.<hex>.tmp",
//     renameat() over the target (atomic).  Killed between those two: that
//     .tmp is left, the target still the old file (the one window).
//  2. Named (a filesystem without O_TMPFILE): the text goes into a new
//     "<name>.<hex>.tmp" (O_EXCL), fsync'ed, renamed over the target.  Killed
//     before the rename: that .tmp is left, never a partial target.
// Every failure removes what this call created, and the error names the
// file and the reason.  The directory is fsync'ed last, so after a crash
// the name holds either the old or the whole new content.
void write_file_atomic(const std::string& path, const std::string& text, TempKind kind) {
    const fs::path p(path);
    const std::string dir = p.has_parent_path() ? p.parent_path().string() : std::string(".");
    const std::string name = p.filename().string();
    if (name.empty() || name == "." || name == "..") fail_write("write", path, EISDIR);
    const UniqueFd dfd(::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (dfd.get() < 0) fail_write("write", path, errno);

    std::string temp;   // a name this call created, removed on failure
    int fd = -1;
    if (kind == TempKind::Unnamed) {
        fd = ::openat(dfd.get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
        // No O_TMPFILE on this filesystem: the named way.
        if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) kind = TempKind::Named;
        else if (fd < 0) fail_write("write", path, errno);
    }
    if (kind == TempKind::Named) {
        for (int tries = 0; fd < 0; ++tries) {
            temp = temp_name(name);
            fd = ::openat(dfd.get(), temp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
            if (fd < 0 && (errno != EEXIST || tries >= 100)) fail_write("write", path, errno);
        }
    }
    const UniqueFd file(fd);
    auto fail = [&](const char* what, int err) {
        if (!temp.empty()) ::unlinkat(dfd.get(), temp.c_str(), 0);
        fail_write(what, path, err);
    };
    if (const int err = write_all(file.get(), text)) fail("write", err);
    if (::fsync(file.get()) != 0) fail("write", errno);

    if (kind == TempKind::Unnamed) {
        // linkat through /proc/self/fd: AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH.
        const std::string self = "/proc/self/fd/" + std::to_string(file.get());
        if (::linkat(AT_FDCWD, self.c_str(), dfd.get(), name.c_str(), AT_SYMLINK_FOLLOW) != 0) {
            if (errno != EEXIST) fail("write", errno);
            for (int tries = 0;; ++tries) {
                temp = temp_name(name);
                if (::linkat(AT_FDCWD, self.c_str(), dfd.get(), temp.c_str(), AT_SYMLINK_FOLLOW) == 0) break;
                if (errno != EEXIST || tries >= 100) {
                    const int err = errno;
                    temp.clear();   // not created
                    fail("write", err);
                }
            }
        }
    }
    if (!temp.empty()) {
        if (::renameat(dfd.get(), temp.c_str(), dfd.get(), name.c_str()) != 0) fail("replace", errno);
        temp.clear();
    }
    // The name is in place; make it durable.  EINVAL/ENOTSUP: a filesystem
    // that cannot sync a directory (nothing to do).
    if (::fsync(dfd.get()) != 0 && errno != EINVAL && errno != ENOTSUP) fail_write("sync the directory of", path, errno);
}

}  // namespace detail

void write_file_atomic(const std::string& path, const std::string& text) {
    detail::write_file_atomic(path, text, detail::TempKind::Unnamed);
}

// The write order, each file whole (write_file_atomic) before the next is
// begun, so a kill or a failure at any point leaves a prefix of this list:
//   raw_data/tx_samples.csv, [receiver:] raw_data/rx_samples.csv,
//   [its system monitor:] raw_data/system_cpu.csv, raw_data/system_mem_netdev.csv,
//   results.csv, results.md, results.json.
// results.json last: its presence means every other file is complete (tests:
// results ResultsFiles.WriteOrderIsAPrefixOnFailure, atomic_results.sh).
void write_results(const std::string& dir, const TestRecord& r) {
    const fs::path d(dir);
    write_file_atomic((d / "raw_data" / "tx_samples.csv").string(), samples_csv(r.generator.samples));
    if (r.receiver) write_file_atomic((d / "raw_data" / "rx_samples.csv").string(), samples_csv(r.receiver->samples));
    if (r.receiver) write_system_csvs(d, r.receiver->system);
    write_file_atomic((d / "results.csv").string(), results_csv(r));
    write_file_atomic((d / "results.md").string(), results_markdown(r));
    write_file_atomic((d / "results.json").string(), json_text(results_json(r)) + "\n");
}

// The receiver's order: raw_data/rx_samples.csv, [monitor:] raw_data/system_cpu.csv,
// raw_data/system_mem_netdev.csv, results.json last (as above).
void write_receiver_results(const std::string& dir, const TestRecord& id, const ReceiverReport& report) {
    const fs::path d(dir);
    write_file_atomic((d / "raw_data" / "rx_samples.csv").string(), samples_csv(report.samples));
    write_system_csvs(d, report.system);
    json::object doc{{"schema_version", kResultsSchemaVersion},
                     {"test",
                      {{"name", id.name},
                       {"id", id.id},
                       {"started_at", id.started_at},
                       {"ended_at", id.ended_at},
                       {"status", id.status},
                       {"status_reason", id.status_reason},
                       {"coordinated", id.coordinated}}},
                     {"config", to_json(id.config)},
                     {"receiver", to_json(report)}};
    write_file_atomic((d / "results.json").string(), json_text(doc) + "\n");
}

}  // namespace ebt
