// results.md: the report for a person, with each figure's method.
#include <cstdint>
#include <sstream>
#include <string>

#include "frame_sizes.hpp"
#include "report_detail.hpp"
#include "results.hpp"

namespace ebt {

using namespace report_detail;

namespace {

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

}  // namespace

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

}  // namespace ebt
