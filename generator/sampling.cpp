// The run phase: the TX lcores launched on one schedule origin, then the
// main lcore serves the control connection, polls the RX ring (tx mode),
// records samples and shows live output until every lcore is done.
#include <chrono>
#include <thread>

#include <rte_cycles.h>
#include <rte_launch.h>

#include "frame_sizes.hpp"
#include "json_text.hpp"
#include "log.hpp"
#include "pacing_report.hpp"
#include "run_info.hpp"
#include "test_run.hpp"
#include "tsc_clock.hpp"

namespace ebt {

std::optional<ThreadSchedStat> TestRun::LcoreSched::since_start(const TxLcoreContext& c) const {
    if (!at_start) return std::nullopt;
    const auto now = read_thread_sched(c.stats.tid.load());
    if (!now) return std::nullopt;
    ThreadSchedStat d;
    d.on_cpu_ns = now->on_cpu_ns - at_start->on_cpu_ns;
    d.runqueue_wait_ns = now->runqueue_wait_ns - at_start->runqueue_wait_ns;
    d.timeslices = now->timeslices - at_start->timeslices;
    d.involuntary_switches = now->involuntary_switches - at_start->involuntary_switches;
    return d;
}

void TestRun::run_and_sample() {
    GeneratorReport& gen = record_.generator;
    // All lcores share one schedule origin shortly after launch.  A paced
    // run ends at its exact packet total (due before the duration); the
    // deadline only bounds a port too slow for the rate, with room for
    // catching up after a stall: duration + 10% + 0.5 s.  rate max ends
    // at the duration.
    const uint64_t start_tsc = rte_rdtsc() + tsc_hz_ / 1000;
    // Patterns: the schedule's own length (their durations' sum).
    const double run_s = plan_.schedule ? plan_.schedule->duration_s : cfg_.duration_s;
    const double limit_s = cfg_.rate_max ? run_s : run_s * 1.1 + 0.5;
    const uint64_t deadline_tsc = start_tsc + static_cast<uint64_t>(limit_s * static_cast<double>(tsc_hz_));
    for (size_t i = 0; i < contexts_.size(); ++i) {
        contexts_[i]->start_tsc = start_tsc;
        contexts_[i]->deadline_tsc = deadline_tsc;
        rte_eal_remote_launch(setup_.replay ? pcap_tx_lcore_main : tx_lcore_main, contexts_[i].get(), lcores_[i]);
    }
    if (const auto& r = setup_.replay) {
        log::info("replaying " + r->file + ": " + std::to_string(r->frames.size()) + " frames (" +
                  std::to_string(r->bytes) + " bytes), " + std::to_string(plan_.total_packets) + " packets at " +
                  (setup_.pcap_file_timing ? "the file's timing (mean " + std::to_string(cfg_.packet_rate) + " pps)"
                   : cfg_.rate_max         ? std::string("max rate")
                                           : std::to_string(cfg_.packet_rate) + " pps") +
                  (r->stamp ? ", " + std::to_string(r->stamped_frames) + " frames stamped in " +
                                  std::to_string(r->flows) + " flows"
                            : std::string(", unstamped")) +
                  ", 1 TX lcore, port " + port_driver(port_.id()));
    } else {
        log::info("sending: " +
                  std::string(cfg_.rate_max    ? "max"
                              : plan_.schedule ? std::to_string(cfg_.patterns.size()) + " pattern(s), " +
                                                     std::to_string(plan_.total_packets) + " packets, mean " +
                                                     std::to_string(plan_.total_pps)
                                               : std::to_string(cfg_.packet_rate)) +
                  " pps for " + json_number_text(run_s) + " s" +
                  (plan_.count ? ", --count " + std::to_string(*plan_.count) : std::string()) + ", " +
                  std::to_string(cfg_.flows) + " flows, frames " + frame_size_text(cfg_) + ", " +
                  std::to_string(plan_.threads.size()) + " TX lcore(s), port " + port_driver(port_.id()));
    }

    // The main lcore samples the TX counters until every lcore is done.
    const auto period = std::chrono::duration<double>(cfg_.sample_rate);
    auto next = t0_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
    auto all_finished = [&] {
        for (const auto* c : views_)
            if (!c->stats.finished.load()) return false;
        return true;
    };
    status_.modify([](StatusSnapshot& st) { st.state = "running"; });
    // Samples (results) every sample_rate s; live output every
    // real_time.update_interval s, each over its own last interval.
    using Dur = std::chrono::steady_clock::duration;
    const auto live_period =
        std::chrono::duration_cast<Dur>(std::chrono::duration<double>(cfg_.real_time.update_interval));
    auto next_live = t0_ + live_period;
    uint64_t prev_packets = 0, live_packets = 0, live_bytes = 0;
    double prev_t = 0, live_t = 0;
    LiveSnapshot snap;
    if (!plan_.rate_max || plan_.count) snap.target_packets = plan_.total_packets;
    if (!plan_.rate_max) snap.target_pps = static_cast<double>(plan_.total_pps);
    snap.duration_s = run_s;
    uint64_t rx_samples_seen = 0;
    std::vector<LcoreSched> sched(contexts_.size());
    // Patterns: the live target is the schedule's own rate over each
    // interval, not the mean (ticks from the schedule origin).
    uint64_t live_ticks = 0;
    while (!all_finished()) {
        // The control connection is served between samples: heartbeats
        // out, receiver samples in, a lost receiver stops the traffic.
        if (link_) {
            try {
                link_->poll(std::chrono::milliseconds(rx_ ? 1 : 5));
            } catch (const std::exception& e) {
                live_finish(live_mode_);
                incomplete_ = std::string("receiver lost during the test: ") + e.what();
                log::error(incomplete_);
                link_ = nullptr;
                link_lost_ = true;
                own_link_.reset();
                RunSignals::stop.store(true);
            }
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        if (rx_) rx_->poll();
        for (size_t i = 0; i < contexts_.size(); ++i)
            if (!sched[i].read && contexts_[i]->stats.running.load(std::memory_order_acquire)) {
                sched[i].at_start = read_thread_sched(contexts_[i]->stats.tid.load());
                sched[i].read = true;
            }
        const auto now = std::chrono::steady_clock::now();
        const bool sample_due = now >= next, live_due = now >= next_live;
        if (!sample_due && !live_due) continue;
        const auto totals = sum_tx_stats(views_);
        const double t = std::chrono::duration<double>(now - t0_).count();
        proto::LiveSample rx_sample{};
        const bool have_rx = link_ && link_->last_sample().has_value();
        if (have_rx) rx_sample = *link_->last_sample();
        if (sample_due) {
            gen.samples.push_back({t, totals.packets, totals.bytes});
            // The calibration, checked against the kernel's clock.
            const ClockPair raw = read_tsc_raw_pair();
            drift_.check(raw, clock_now_ns(CLOCK_TAI));
            const double tx_pps = t > prev_t ? static_cast<double>(totals.packets - prev_packets) / (t - prev_t) : 0;
            prev_packets = totals.packets;
            prev_t = t;
            status_.modify([&](StatusSnapshot& st) {
                st.elapsed_s = t;
                st.sent_packets = totals.packets;
                st.tx_pps = tx_pps;
                if (have_rx) {
                    st.received_packets = rx_sample.test_packets;
                    st.rx_pps = rx_sample.rx_pps;
                    st.lost = rx_sample.lost;
                }
            });
            next += std::chrono::duration_cast<Dur>(period);
        }
        if (live_due) {
            const double dt = t - live_t;
            const RateFigures r =
                rate_figures(totals.packets - live_packets, totals.bytes - live_bytes, dt, std::nullopt);
            snap.t_s = t;
            snap.packets = totals.packets;
            snap.bytes = totals.bytes;
            snap.tx_full_retries = totals.tx_full_retries;
            snap.tx_full_dropped = totals.tx_full_dropped;
            snap.late_bursts = totals.late_bursts;
            snap.descheduled_ms.reset();
            for (size_t i = 0; i < contexts_.size(); ++i)
                if (const auto d = sched[i].since_start(*contexts_[i]))
                    snap.descheduled_ms =
                        snap.descheduled_ms.value_or(0) + static_cast<double>(d->runqueue_wait_ns) / 1e6;
            snap.pps = r.achieved_pps;
            snap.mbps_l1 = r.mbps_l1;
            snap.mbps_l2 = r.mbps_l2;
            if (plan_.schedule) {
                const uint64_t now_tsc = rte_rdtsc();
                const uint64_t ticks = now_tsc > start_tsc ? now_tsc - start_tsc : 0;
                if (ticks > live_ticks)
                    snap.target_pps = (scheduled_packets_by(*plan_.schedule, ticks) -
                                       scheduled_packets_by(*plan_.schedule, live_ticks)) *
                                      static_cast<double>(tsc_hz_) / static_cast<double>(ticks - live_ticks);
                live_ticks = ticks;
            }
            if (have_rx) {
                snap.rx_packets = rx_sample.test_packets;
                snap.rx_pps = rx_sample.rx_pps;
                snap.rx_lost = rx_sample.lost;
                snap.rx_t_s = rx_sample.t_s;
                snap.rx_new = link_->samples_received() != rx_samples_seen;
                rx_samples_seen = link_->samples_received();
                auto known = [](double v) { return v >= 0 ? std::optional<double>(v) : std::nullopt; };
                snap.rx_path_cpu_pct = known(rx_sample.receive_path_cpu_pct);
                snap.rx_host_cpu_pct = known(rx_sample.host_cpu_busy_pct);
            }
            snap.tsc_drift_ppm = drift_.checks() > 0 ? std::optional<double>(drift_.last_ppm()) : std::nullopt;
            snap.tsc_drift_warning = drift_.over_threshold();
            live_emit(live_mode_, snap);
            live_packets = totals.packets;
            live_bytes = totals.bytes;
            live_t = t;
            next_live += live_period;
            if (next_live < now) next_live = now + live_period;  // no burst of catch-up lines
        }
    }
    live_finish(live_mode_);
    rte_eal_mp_wait_lcore();
    // The lcore threads outlive their loops: their statistics now cover
    // the whole test.
    for (size_t i = 0; i < contexts_.size(); ++i) sched_total_[i] = sched[i].since_start(*contexts_[i]);
    drift_.check(read_tsc_raw_pair(), clock_now_ns(CLOCK_TAI));
    if (RunSignals::first.load() != 0)
        incomplete_ = std::string("interrupted by ") + RunSignals::name(RunSignals::first.load());
    status_.modify([](StatusSnapshot& st) { st.state = "draining"; });
}

}  // namespace ebt
