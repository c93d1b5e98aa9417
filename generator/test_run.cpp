#include "test_run.hpp"

#include <csignal>
#include <cstdio>
#include <random>

#include <unistd.h>

#include <boost/json.hpp>
#include <rte_cycles.h>

#include "discovery.hpp"
#include "eal_args.hpp"
#include "eal_session.hpp"
#include "frame_spec.hpp"
#include "json_text.hpp"
#include "log.hpp"
#include "run_info.hpp"
#include "timestamp.hpp"
#include "tsc_clock.hpp"

namespace ebt {

namespace {
extern "C" void on_signal(int signo) {
    int expected = 0;
    RunSignals::first.compare_exchange_strong(expected, signo);
    RunSignals::count.fetch_add(1);
    RunSignals::stop.store(true);
}
}  // namespace

void RunSignals::install() {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
}

const char* RunSignals::name(int signo) {
    return signo == SIGINT ? "SIGINT" : signo == SIGTERM ? "SIGTERM" : "a signal";
}

// mDNS, unless the config turns it off or --dst-ip was given.
bool find_receiver(RunSetup& setup) {
    TestConfig& cfg = setup.cfg;
    if (!setup.coordinated || !cfg.discovery.enabled || setup.dst_ip_given) return false;
    log::info("looking for xdp-recv with mDNS (" + std::string(discovery::kServiceType) + ", up to " +
              json_number_text(cfg.discovery.timeout) + " s)");
    const auto found = discovery::find_receiver(cfg.discovery.timeout, "", &RunSignals::stop);
    if (!found)
        throw std::runtime_error("no xdp-recv advertised " + std::string(discovery::kServiceType) + " within " +
                                 json_number_text(cfg.discovery.timeout) + " s: give --dst-ip");
    const auto v = found->txt.find("version");
    if (v != found->txt.end() && v->second != std::to_string(proto::kProtocolVersion))
        throw std::runtime_error("xdp-recv '" + found->name + "' speaks protocol v" + v->second +
                                 ", this dpdk-gen v" + std::to_string(proto::kProtocolVersion));
    cfg.dst_machine.ip = found->address;
    cfg.dst_machine.control_port = found->port;
    log::info("found '" + found->name + "' at " + found->address + ":" + std::to_string(found->port));
    return true;
}

void log_tsc_calibration(const TscCalibration& cal) {
    const double err_ppm =
        (static_cast<double>(rte_get_tsc_hz()) - static_cast<double>(cal.hz)) / static_cast<double>(cal.hz) * 1e6;
    log::info("TSC " + std::to_string(cal.hz) + " Hz, calibrated against CLOCK_MONOTONIC_RAW (+-" +
              fixed_text(cal.uncertainty_ppm, 2) + " ppm); DPDK's nominal " + std::to_string(rte_get_tsc_hz()) +
              " Hz is " + fixed_text(err_ppm, 0) + " ppm off");
}

void log_clock_offset(const ClockOffset& clock) {
    log::info("clock offset to the receiver: " + std::to_string(clock.offset_ns) + " ns +- " +
              std::to_string(clock.uncertainty_ns) + " ns (" + std::to_string(clock.samples) +
              " exchanges, best round trip " + std::to_string(clock.delay_ns) + " ns)");
}

TestRun::TestRun(RunSetup setup, Port& port, TxPlan plan, std::vector<unsigned> lcores,
                 const TscCalibration& tsc_cal, bool filter_supplied, const TrialContext* trial)
    : setup_(std::move(setup)),
      cfg_(setup_.cfg),
      port_(port),
      plan_(std::move(plan)),
      lcores_(std::move(lcores)),
      tsc_cal_(tsc_cal),
      tsc_hz_(tsc_cal.hz),
      filter_supplied_(filter_supplied),
      // Live output: --stats-json, else --quiet (or real_time disabled), else
      // a refreshed line on a terminal, else a log line per interval.
      // A trial's progress is its session's to show.
      live_mode_(trial                                     ? LiveMode::kQuiet
                 : setup_.stats_json                       ? LiveMode::kJson
                 : setup_.quiet || !cfg_.real_time.enabled ? LiveMode::kQuiet
                 : isatty(STDOUT_FILENO)                   ? LiveMode::kTty
                                                           : LiveMode::kLines),
      drift_(tsc_cal),
      trial_(trial),
      status_(trial && trial->status ? *trial->status : own_status_),
      sched_total_(plan_.threads.size()) {}

int TestRun::execute() {
    RunSignals::install();
    begin();
    if (!coordinate() || !open_results()) {
        record_.status = "incomplete";  // what a session records for this trial
        record_.status_reason = incomplete_;
        return 1;
    }
    prepare();
    if (incomplete_.empty()) run_and_sample();
    collect();
    return finish();
}

void TestRun::begin() {
    record_.name = cfg_.name;
    record_.config = cfg_;
    record_.coordinated = setup_.coordinated;
    record_.id = trial_ ? trial_->test_id : static_cast<uint16_t>(std::random_device{}());
    if (!trial_) log_tsc_calibration(tsc_cal_);  // a session logs it once
    // The test epoch: one instant read on both clocks (a CLOCK_TAI read
    // bracketed by two TSC reads).  tx_ns in every packet is TSC time since
    // epoch_tsc; the receiver learns epoch_tai_ns.
    const ClockPair epoch = read_tsc_tai_pair();
    epoch_tsc_ = epoch.tsc;
    epoch_tai_ns_ = epoch.ns;
}

bool TestRun::coordinate() {
    try {
        std::optional<ClockOffset> clock;
        if (trial_) {
            link_ = trial_->link;
            if (link_) clock = trial_->clock;
        } else if (setup_.coordinated) {
            if (find_receiver(setup_)) record_.config = cfg_;
            own_link_ = std::make_unique<ReceiverLink>(cfg_, setup_.token);
            link_ = own_link_.get();
            // A signal before the traffic ends the waits for the receiver.
            link_->set_cancel([] { return RunSignals::count.load() >= 1; });
            clock = link_->sync_clock();
            log_clock_offset(*clock);
        }
        if (link_) {
            record_.generator.clock_sync = clock;
            const auto ready = link_->configure(record_.id, epoch_tai_ns_, clock, cfg_);
            log::info("receiver ready: " + ready.interface + " " + ready.mac + ", XDP " + ready.xdp_mode);
            if (!setup_.dst_mac) parse_mac(ready.mac, dst_mac_.data());
        }
        if (setup_.dst_mac) dst_mac_ = *setup_.dst_mac;
    } catch (const std::exception& e) {
        incomplete_ = std::string("coordination failed: ") + e.what();
        log::error(incomplete_);
        link_lost_ = true;
        if (port_driver(port_.id()) == "net_af_xdp" && !filter_supplied_)
            log::error(
                "hint: the XDP program net_af_xdp attached may be taking the control connection's frames (the "
                "PMD's default program redirects every frame of its queue to the AF_XDP socket, TCP and ARP "
                "included): give the vdev xdp_prog=" +
                find_xsk_filter(exe_dir()).value_or(std::string("<build>/bpf/") + kXskFilterName) +
                ", or a program of yours that passes them to the kernel");
        return false;
    }
    return true;
}

bool TestRun::open_results() {
    record_.started_at = now_iso8601();
    status_.modify([&](StatusSnapshot& st) {
        st.role = "generator";
        st.state = "configured";
        st.test_id = record_.id;
        st.test_name = record_.name;
        st.duration_s = plan_.schedule ? plan_.schedule->duration_s : cfg_.duration_s;
    });
    if (trial_) {  // the session's endpoints, directory and log
        dir_ = trial_->dir;
        return true;
    }
    // /health, /status, /metrics on this machine too, as on the destination;
    // a taken port costs the endpoints, not the test.
    try {
        http_.emplace("0.0.0.0", cfg_.src_machine.control_port, status_, 64);
        log::info("HTTP /health /status /metrics on port " + std::to_string(http_->port()));
    } catch (const std::exception& e) {
        log::warn(std::string(e.what()) + ": no HTTP endpoints on this side");
    }

    try {
        dir_ = create_results_dir(cfg_.results_dir, "two_machine", results_dir_name(record_.started_at, record_.name));
    } catch (const std::exception& e) {
        incomplete_ = e.what();
        log::error(incomplete_);
        if (link_) link_->abort(e.what());
        link_lost_ = true;
        return false;
    }
    log::open_file(dir_ + "/dpdk-gen.log");
    log::info("test " + std::to_string(record_.id) + " '" + record_.name + "', results in " + dir_);
    log::debug("resolved config: " + json_text(to_json(cfg_)));
    log::debug("TX plan: " + json_text(plan_json(plan_, lcores_)));
    return true;
}

void TestRun::prepare() {
    const FrameSpec spec = make_frame_spec(cfg_, port_.mac(), dst_mac_, record_.id);
    // Tx mode: the main lcore polls the RX queue(s) between its waits on the
    // control connection; round_trip is reported if the receiver's results
    // say it reflected (test_action tx).  Allocated here, not in the loop.
    if (link_ && port_.rx_queues() > 0)
        rx_.emplace(port_.id(), port_.rx_queues(), record_.id, cfg_.flows, tsc_hz_, epoch_tsc_);
    if (setup_.replay && setup_.replay->stamp) stamp_replay(*setup_.replay, record_.id);
    for (const auto& t : plan_.threads) {
        auto c = std::make_unique<TxLcoreContext>();
        c->port_id = port_.id();
        c->pool = port_.tx_pool(t.queue_id);
        c->plan = t;
        c->spec = spec;
        c->tsc_hz = tsc_hz_;
        c->epoch_tsc = epoch_tsc_;
        c->stop = &RunSignals::stop;
        c->faults = faults_for_flows(setup_.seq_faults, t.first_flow, t.flow_count);
        c->size_mix = cfg_.size_mix;
        if (setup_.replay) {
            c->replay = &*setup_.replay;
            c->replay_file_timing = setup_.pcap_file_timing;
        }
        views_.push_back(c.get());
        contexts_.push_back(std::move(c));
    }
    try {
        for (auto& c : contexts_) setup_.replay ? prepare_pcap_lcore(*c) : prepare_tx_lcore(*c);
        if (link_) link_->start();
    } catch (const std::exception& e) {
        incomplete_ = std::string("test did not start: ") + e.what();
    }
    // Sample times count from the launch of the TX lcores, on one clock.
    t0_ = std::chrono::steady_clock::now();
}

// An interrupted test still gets the receiver's counts of what was sent
// (stop with the reason; the receiver drains and answers); a second signal
// gives up waiting for them.
void TestRun::collect_receiver() {
    const GeneratorReport& gen = record_.generator;
    if (link_) {
        const bool interrupted = RunSignals::first.load() != 0;
        const auto second_signal = [] { return RunSignals::count.load() >= 2; };
        const std::string not_collected = "; the receiver's counts were not collected (interrupted again)";
        link_->set_cancel(second_signal);
        try {
            if (incomplete_.empty() || interrupted) {
                if (interrupted)
                    log::warn(incomplete_ + ": collecting the receiver's counts (interrupt again to skip)");
                // The receiver waits for the test packets: a replay's stamped ones.
                record_.receiver = link_->stop(gen.pcap ? gen.pcap->stamped : gen.sent_packets, incomplete_);
            } else {
                link_->abort(incomplete_);
                link_lost_ = true;
            }
        } catch (const Cancelled&) {
            incomplete_ += not_collected;
            link_->abort(incomplete_);
            link_lost_ = true;
        } catch (const std::exception& e) {
            link_lost_ = true;
            // The connection broke after the traffic: the receiver keeps its
            // last results, so ask again on a new connection once.
            log::warn(std::string("no results on the control connection: ") + e.what() + "; reconnecting");
            try {
                record_.receiver = ReceiverLink::fetch_results(cfg_, setup_.token, record_.id, second_signal);
                log::info("fetched the receiver's results on a new connection");
            } catch (const Cancelled&) {
                incomplete_ += not_collected;
            } catch (const std::exception& e2) {
                const std::string why = std::string("no results from the receiver: ") + e.what();
                incomplete_ = incomplete_.empty() ? why : incomplete_ + "; " + why;
            }
        }
    }
}

// Every packet the receiver counted was reflected then: take the rest from
// the RX ring (until all sent are back, or quiet).
void TestRun::collect_round_trip() {
    GeneratorReport& gen = record_.generator;
    if (rx_ && record_.receiver && record_.receiver->test_action == "tx") {
        const double drain_s = rx_->drain(gen.sent_packets);
        gen.round_trip = rx_->report(gen.flows);
        const PortCounters pc = port_.counters();
        gen.round_trip->port_imissed = pc.imissed;
        gen.round_trip->port_ierrors = pc.ierrors;
        gen.round_trip->port_rx_nombuf = pc.rx_nombuf;
        gen.round_trip->drain_s = drain_s;
        gen.round_trip->poll = "main lcore, between waits of at most 1 ms on the control connection";
        const auto& rt = *gen.round_trip;
        log::info("round trip: " + std::to_string(rt.returned) + " of " + std::to_string(rt.sent) + " returned, " +
                  std::to_string(rt.lost) + " lost" +
                  (rt.rtt.p50_ns ? ", RTT p50 " + std::to_string(*rt.rtt.p50_ns) + " ns, p99 " +
                                       std::to_string(*rt.rtt.p99_ns) + " ns"
                                 : std::string()));
    }
}

int TestRun::finish() {
    collect_receiver();
    collect_round_trip();
    status_.modify([](StatusSnapshot& st) { st.state = "done"; });
    if (!trial_) port_.close();

    record_.ended_at = now_iso8601();
    record_.status = incomplete_.empty() ? "complete" : "incomplete";
    record_.status_reason = incomplete_;
    try {
        write_results(dir_, record_);
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
    if (!trial_) {
        print_summary();
        std::fflush(stdout);
        log::close_file();
    }
    return incomplete_.empty() ? 0 : 1;
}

void TestRun::print_summary() {
    const GeneratorReport& gen = record_.generator;
    const Summary s = summarize(record_);
    char line[512];
    std::snprintf(
        line, sizeof line,
        "sent %llu, received %s, lost %s (%s%%), achieved %.1f pps of %s target, %.3f Mbps at L2 (frames + FCS)",
        static_cast<unsigned long long>(s.sent_packets),
        s.received_packets ? std::to_string(*s.received_packets).c_str() : "n/a",
        s.lost_packets ? std::to_string(*s.lost_packets).c_str() : "n/a",
        s.loss_pct ? std::to_string(*s.loss_pct).c_str() : "n/a", s.achieved_pps,
        cfg_.rate_max ? "max" : std::to_string(static_cast<uint64_t>(s.target_pps)).c_str(), s.mbps_l2);
    log::info(line);
    if (!incomplete_.empty()) log::warn("test incomplete: " + incomplete_);
    log::info("results: " + dir_);
    if (live_mode_ == LiveMode::kJson) {
        // The last JSON line: the totals exactly as results.json has them.
        boost::json::object fin{{"type", "final"},
                                {"status", record_.status},
                                {"packets", gen.sent_packets},
                                {"bytes", gen.sent_bytes},
                                {"tx_full_retries", gen.tx_full_retries},
                                {"tx_full_dropped", gen.tx_full_dropped},
                                {"late_bursts", gen.late_bursts},
                                {"elapsed_s", gen.elapsed_s},
                                {"achieved_pps", gen.rates.achieved_pps},
                                {"results_dir", dir_}};
        std::printf("%s\n", json_text(fin).c_str());
    }
    if (setup_.summary_json) {
        boost::json::object sum = summary_json(record_);
        sum["results_dir"] = dir_;
        std::printf("%s\n", json_text(sum).c_str());
    } else if (setup_.quiet && live_mode_ != LiveMode::kJson) {
        std::printf("%s\n", dir_.c_str());  // the one thing --quiet prints
    }
}

}  // namespace ebt
