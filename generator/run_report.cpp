// The collect phase: the generator's report (results.json's "generator")
// from the TX lcores' counters, the plan, the pattern schedule and the
// replay.
#include <algorithm>
#include <chrono>

#include <rte_cycles.h>

#include "log.hpp"
#include "pacing_report.hpp"
#include "run_info.hpp"
#include "test_run.hpp"

namespace ebt {

namespace {
// results.json's name for why a TX lcore's loop ended.
const char* end_name(TxEndReason why) {
    switch (why) {
        case TxEndReason::kTotalReached: return "total_reached";
        case TxEndReason::kStopFlag: return "stopped";
        case TxEndReason::kDeadline: return "deadline";
        case TxEndReason::kNotRun: break;
    }
    return "not_run";
}
}  // namespace

void TestRun::collect() {
    GeneratorReport& gen = record_.generator;
    uint64_t first_start = UINT64_MAX, last_end = 0;
    const double hz = static_cast<double>(tsc_hz_);
    for (size_t i = 0; i < contexts_.size(); ++i) {
        const auto& c = *contexts_[i];
        TxThreadReport t;
        t.lcore = lcores_[i];
        t.queue = c.plan.queue_id;
        t.flows = c.plan.flow_count;
        t.packets = c.stats.packets.load();
        t.bytes = c.stats.bytes.load();
        t.tx_full_retries = c.stats.tx_full_retries.load();
        t.tx_full_dropped = c.stats.tx_full_dropped.load();
        t.late_bursts = c.stats.late_bursts.load();
        if (const auto& d = sched_total_[i]) {
            t.descheduled_ms = static_cast<double>(d->runqueue_wait_ns) / 1e6;
            t.involuntary_switches = d->involuntary_switches;
            gen.descheduled_ms = gen.descheduled_ms.value_or(0) + *t.descheduled_ms;
        }
        if (!c.plan.unlimited) t.target_packets = c.plan.total_packets;
        const uint64_t t_start = c.stats.start_tsc.load(), t_end = c.stats.end_tsc.load();
        if (t_end > t_start) t.elapsed_s = static_cast<double>(t_end - t_start) / hz;
        t.end = end_name(c.end_reason);
        // Targets: the lcore's share of the (mean) rate, each flow's share of it.
        const std::optional<double> target =
            cfg_.rate_max ? std::nullopt : std::optional<double>(static_cast<double>(c.plan.target_pps));
        t.rates = rate_figures(t.packets, t.bytes, t.elapsed_s, target);
        gen.threads.push_back(t);
        gen.sent_packets += t.packets;
        gen.sent_bytes += t.bytes;
        gen.tx_full_retries += t.tx_full_retries;
        gen.tx_full_dropped += t.tx_full_dropped;
        gen.late_bursts += t.late_bursts;
        for (uint32_t f = 0; f < c.plan.flow_count; ++f) {
            FlowCount fc;
            fc.flow_id = c.plan.first_flow + f;
            fc.packets = c.flow_sent[f];
            fc.bytes = c.flow_bytes[f];
            fc.tx_full_refused = c.flow_refused[f];
            fc.tx_full_dropped = c.flow_dropped[f];
            // A replay's flows have the file's shares, not equal ones: no per-flow target.
            fc.rates = rate_figures(
                fc.packets, fc.bytes, t.elapsed_s,
                target && !setup_.replay ? std::optional<double>(*target / c.plan.flow_count) : std::nullopt);
            gen.flows.push_back(fc);
        }
        if (t_end != 0) {
            first_start = std::min(first_start, t_start);
            last_end = std::max(last_end, t_end);
        }
    }
    if (!cfg_.rate_max) {
        std::vector<const ebt_latency*> parts;
        for (const auto& c : contexts_) parts.push_back(&c->pacing);
        gen.pacing = summarize_pacing(merge_pacing(parts));
    }
    if (last_end > first_start) gen.elapsed_s = static_cast<double>(last_end - first_start) / hz;
    gen.count = plan_.count;
    if (!plan_.rate_max || plan_.count) gen.target_packets = plan_.total_packets;
    gen.rates =
        rate_figures(gen.sent_packets, gen.sent_bytes, gen.elapsed_s,
                     cfg_.rate_max ? std::nullopt : std::optional<double>(static_cast<double>(plan_.total_pps)));
    if (plan_.schedule) {
        ScheduleReport sr;
        sr.duration_s = plan_.schedule->duration_s;
        sr.total_packets = plan_.schedule->total;
        for (const auto& g : plan_.schedule->segments) {
            const auto& p = cfg_.patterns.at(g.pattern);
            ScheduleSegmentReport r;
            r.pattern = g.pattern;
            r.name = p.name;
            r.type = g.kind == SegmentKind::kConstant ? "constant"
                     : g.kind == SegmentKind::kBurst  ? "burst"
                     : g.kind == SegmentKind::kRamp   ? "ramp"
                                                      : "poisson";
            r.start_s = static_cast<double>(g.start) / hz;
            r.duration_s = static_cast<double>(g.length) / hz;
            r.packets = g.count;
            if (g.kind == SegmentKind::kPoisson) r.seed = g.seed;
            sr.segments.push_back(r);
        }
        gen.schedule = sr;
    }
    if (const auto& r = setup_.replay) {
        PcapReport pr;
        pr.file = r->file;
        pr.frames_in_file = r->frames.size();
        pr.bytes_in_file = r->bytes;
        pr.stamped_frames = r->stamped_frames;
        pr.flows = r->flows;
        for (const auto& c : contexts_) {
            pr.stamped += c->replay_stamped;
            pr.unstamped += c->replay_unstamped;
        }
        pr.timing = setup_.pcap_file_timing ? "file" : "rate";
        pr.loops = (gen.sent_packets + pr.frames_in_file - 1) / pr.frames_in_file;
        gen.pcap = pr;
    }
    gen.samples.push_back({std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(),
                           gen.sent_packets, gen.sent_bytes});
    gen.tsc_clock = drift_.report(rte_get_tsc_hz());
    if (!gen.tsc_clock->warning.empty()) log::warn(gen.tsc_clock->warning);
    gen.port_driver = port_driver(port_.id());
    gen.port_mac = mac_text(port_.mac());
    gen.dst_mac = mac_text(dst_mac_);
}

}  // namespace ebt
