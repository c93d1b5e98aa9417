#include "trial_session.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include <boost/json.hpp>
#include <unistd.h>

#include "json_text.hpp"
#include "log.hpp"
#include "results.hpp"
#include "run_info.hpp"
#include "test_run.hpp"
#include "timestamp.hpp"

namespace ebt {

namespace {

// A trial that could not complete (the receiver lost, a signal): the
// session ends with what it has.
class SessionEnded : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

constexpr double kShortfallS = 10e-6;      // intended - sent beyond 10 us of traffic
constexpr double kAchievedShare = 0.95;    // achieved under 95% of the load

std::string pps_text(double pps) {
    return pps >= 1e6 ? fixed_text(pps / 1e6, 3) + " Mpps" : fixed_text(pps / 1e3, 3) + " kpps";
}

}  // namespace

std::string generator_limit(double load_pps, uint64_t intended, uint64_t sent, double achieved_pps,
                            uint64_t port_refused) {
    if (port_refused > 0) return "the port refused " + std::to_string(port_refused) + " frames";
    if (intended > sent && static_cast<double>(intended - sent) > load_pps * kShortfallS)
        return "sent " + std::to_string(sent) + " of " + std::to_string(intended) +
               " intended packets (short by more than 10 us of traffic)";
    if (achieved_pps < kAchievedShare * load_pps)
        return "achieved " + fixed_text(achieved_pps, 0) + " pps, under 95% of the offered " + fixed_text(load_pps, 0);
    return "";
}

TrialSession::TrialSession(RunSetup setup, Port& port, uint32_t link_mbps, std::vector<unsigned> lcores,
                           const TscCalibration& tsc_cal, bool filter_supplied)
    : setup_(std::move(setup)),
      opts_(*setup_.trials),
      port_(port),
      link_mbps_(link_mbps),
      lcores_(std::move(lcores)),
      tsc_cal_(tsc_cal),
      filter_supplied_(filter_supplied),
      next_id_(static_cast<uint16_t>(std::random_device{}())) {}

int TrialSession::execute() {
    RunSignals::install();
    summary_.kind = opts_.searching() ? "search" : "sweep";
    summary_.created_at = now_iso8601();
    fill_machine(summary_);
    summary_.port_driver = port_driver(port_.id());
    summary_.link_speed_mbps = link_mbps_;
    summary_.packet_size = setup_.cfg.packet_size;
    summary_.flows = setup_.cfg.flows;
    // The mode asked for; the receiver's report says which one it used
    // (its default when none was asked for).
    summary_.receiver_mode = setup_.cfg.dst_machine.receiver_mode;
    try {
        // A load or goal that only the link speed shows to be bad: one
        // line and exit 2 before a connection or a directory exists.
        resolve_loads();
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "dpdk-gen: error: %s\n", e.what());
        return 2;
    }
    if (!open()) return 1;
    try {
        opts_.searching() ? run_search() : run_sweep();
    } catch (const SessionEnded& e) {
        incomplete_ = e.what();
    }
    return finish();
}

bool TrialSession::open() {
    log_tsc_calibration(tsc_cal_);
    try {
        find_receiver(setup_);
        link_ = std::make_unique<ReceiverLink>(setup_.cfg, setup_.token);
        link_->set_cancel([] { return RunSignals::count.load() >= 1; });
        if (!link_->serves_trials())
            throw std::runtime_error("this xdp-recv serves one test per connection (no \"trials\" capability): "
                                     "update it to run --trials or --search");
        clock_ = link_->sync_clock();
        log_clock_offset(clock_);
        dir_ = create_results_dir(setup_.cfg.results_dir, "two_machine",
                                  results_dir_name(summary_.created_at, setup_.cfg.name + "_" + summary_.kind));
        std::filesystem::create_directory(dir_ + "/trials");
        std::filesystem::remove(dir_ + "/raw_data");  // a session's raw data is its trials'
        // /health, /status, /metrics as for a single test, for the whole
        // session (each trial shows its own id); a taken port costs the
        // endpoints, not the session.
        status_.modify([&](StatusSnapshot& st) {
            st.role = "generator";
            st.state = "configured";
            st.test_name = setup_.cfg.name;
        });
        try {
            http_.emplace("0.0.0.0", setup_.cfg.src_machine.control_port, status_, 64);
            log::info("HTTP /health /status /metrics on port " + std::to_string(http_->port()));
        } catch (const std::exception& e) {
            log::warn(std::string(e.what()) + ": no HTTP endpoints on this side");
        }

    } catch (const std::exception& e) {
        log::error(std::string("trial session: ") + e.what());
        if (link_) link_->abort(e.what());
        return false;
    }
    log::open_file(dir_ + "/dpdk-gen.log");
    log::info(summary_.kind + " of " + std::to_string(setup_.cfg.packet_size + 4) + "-byte frames (on the wire, FCS " +
              "included), " + std::to_string(setup_.cfg.flows) + " flows, results in " + dir_);
    return true;
}

TrialRow TrialSession::run_trial(double load_pps, double duration_s, const std::string& purpose) {
    if (RunSignals::first.load() != 0)
        throw SessionEnded(std::string("interrupted by ") + RunSignals::name(RunSignals::first.load()));
    TrialRow row;
    row.index = static_cast<unsigned>(summary_.trials.size()) + 1;
    row.purpose = purpose;
    row.duration_s = duration_s;
    RunSetup s = setup_;
    TestConfig& cfg = s.cfg;
    cfg.rate_max = false;
    cfg.rate_bps = cfg.rate_percent = 0;
    cfg.packet_rate = std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(load_pps)));
    cfg.duration_s = duration_s;
    row.load_pps = static_cast<double>(cfg.packet_rate);
    if (link_mbps_ > 0)
        row.load_pct_of_line = row.load_pps * static_cast<double>(frame_bits(cfg.packet_size, "l1")) /
                               (static_cast<double>(link_mbps_) * 1e6) * 100.0;
    char name[32];
    std::snprintf(name, sizeof name, "%03u_%s", row.index, purpose.c_str());
    row.dir = std::string("trials/") + name;
    std::filesystem::create_directories(dir_ + "/" + row.dir + "/raw_data");

    TxPlan plan;
    try {
        plan = plan_run(s, link_mbps_, tsc_cal_.hz);
    } catch (const ConfigError& e) {  // a load the search chose that the port cannot take
        throw SessionEnded("trial " + std::to_string(row.index) + " at " + fixed_text(row.load_pps, 0) +
                           " pps: " + e.what());
    }
    row.intended = plan.total_packets;
    if (++next_id_ == 0) ++next_id_;  // each trial its own id: stragglers are stale
    TrialContext ctx{link_.get(), &status_, clock_, next_id_, dir_ + "/" + row.dir};
    const auto wall0 = std::chrono::steady_clock::now();
    TestRun run(std::move(s), port_, std::move(plan), lcores_, tsc_cal_, filter_supplied_, &ctx);
    const int rc = run.execute();
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

    const TestRecord& rec = run.record();
    const GeneratorReport& gen = rec.generator;
    const Summary sum = summarize(rec);
    row.sent = gen.sent_packets;
    row.received = std::min<uint64_t>(sum.received_packets.value_or(0), row.sent);
    row.loss_ratio = row.sent ? static_cast<double>(row.sent - row.received) / static_cast<double>(row.sent) : 0;
    row.achieved_pps = gen.rates.achieved_pps;
    row.generator_limit_reason = generator_limit(row.load_pps, row.intended, row.sent, row.achieved_pps,
                                                 gen.tx_full_dropped);
    row.generator_limited = !row.generator_limit_reason.empty();
    if (rec.receiver) {
        summary_.receiver_mode = rec.receiver->mode;
        if (const auto& l = rec.receiver->latency; l && l->p50_ns && l->p99_ns && l->max_ns)
            row.latency = TrialLatency{*l->p50_ns, *l->p99_ns, *l->max_ns};
        if (const auto& sys = rec.receiver->system) row.receive_cpu_ns_per_packet = sys->receive_cpu_ns_per_packet;
    }
    row.traffic_s = gen.elapsed_s;
    row.overhead_s = std::max(0.0, wall_s - gen.elapsed_s);
    row.status = rc == 0 ? rec.status : "incomplete";
    summary_.trials.push_back(row);
    if (rc != 0 || run.link_lost())
        throw SessionEnded("trial " + std::to_string(row.index) + " incomplete: " +
                           (rec.status_reason.empty() ? std::string("the control connection was lost")
                                                      : rec.status_reason));
    return row;
}

void TrialSession::show(const TrialRow& row, const std::string& verdict, std::optional<double> eta_s) const {
    if (setup_.stats_json) {
        boost::json::object o{{"type", "trial"},
                              {"index", row.index},
                              {"purpose", row.purpose},
                              {"load_pps", row.load_pps},
                              {"duration_s", row.duration_s},
                              {"sent", row.sent},
                              {"received", row.received},
                              {"loss_ratio", row.loss_ratio},
                              {"generator_limited", row.generator_limited},
                              {"verdict", verdict},
                              {"overhead_s", row.overhead_s},
                              {"eta_s", eta_s ? boost::json::value(*eta_s) : boost::json::value(nullptr)}};
        std::printf("%s\n", json_text(o).c_str());
        std::fflush(stdout);
        return;
    }
    log::info("trial " + std::to_string(row.index) + " (" + row.purpose + "): " + pps_text(row.load_pps) + " for " +
              json_number_text(row.duration_s) + " s, loss " + json_number_text(row.loss_ratio) + " (" +
              std::to_string(row.sent - row.received) + " of " + std::to_string(row.sent) + "), " + verdict +
              ", overhead " + fixed_text(row.overhead_s, 3) + " s" +
              (eta_s ? ", ETA " + fixed_text(*eta_s, 0) + " s" : std::string()));
}

void TrialSession::resolve_loads() {
    const TestConfig& cfg = setup_.cfg;
    if (!opts_.searching()) {
        for (const auto& text : opts_.loads) sweep_loads_.push_back(resolve_load_pps("trials", text, cfg, link_mbps_));
        return;
    }
    search::SearchConfig& sc = search_config_;
    if (opts_.max_load)
        sc.max_load_pps = resolve_load_pps("search-max-load", *opts_.max_load, cfg, link_mbps_);
    else if (link_mbps_ > 0)
        sc.max_load_pps = resolve_load_pps("search-max-load", "100%", cfg, link_mbps_);
    else
        throw ConfigError("--search-max-load: needed, the port reports no link speed to take 100% of");
    sc.min_load_pps = opts_.min_load ? resolve_load_pps("search-min-load", *opts_.min_load, cfg, link_mbps_)
                                     : std::max(1.0, sc.max_load_pps / 1000);
    sc.goals = opts_.goals;
    sc.warmup_s = opts_.warmup_s;
    sc.time_limit_s = opts_.time_limit_s.value_or(1800);
    sc.repeats = opts_.repeats;
    sc.confirm_duration_s = opts_.confirm_s;
    try {
        search::validate(sc);
    } catch (const std::invalid_argument& e) {
        throw ConfigError(std::string("--search: ") + e.what());
    }
}

void TrialSession::run_sweep() {
    const std::vector<double>& loads = sweep_loads_;
    double overhead_sum = 0;
    for (size_t i = 0; i < loads.size(); ++i) {
        const TrialRow row = run_trial(loads[i], opts_.trial_duration_s, "sweep");
        overhead_sum += row.overhead_s;
        const double left = static_cast<double>(loads.size() - i - 1);
        show(row, row.generator_limited ? "generator-limited: " + row.generator_limit_reason : "measured",
             left * (opts_.trial_duration_s + overhead_sum / static_cast<double>(i + 1)));
    }
}

int TrialSession::finish() {
    if (link_ && incomplete_.empty()) link_->end();
    link_.reset();
    port_.close();
    summary_.status = incomplete_.empty() ? "complete" : "incomplete";
    summary_.status_reason = incomplete_;
    try {
        write_summary(dir_, summary_);
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
    if (!incomplete_.empty()) log::warn(summary_.kind + " incomplete: " + incomplete_);
    log::info("summary: " + dir_ + "/summary.md");
    if (setup_.summary_json) {
        boost::json::object o{{"type", "summary"}, {"summary_dir", dir_}};
        for (auto& kv : summary_json(summary_)) o[kv.key()] = kv.value();
        std::printf("%s\n", json_text(o).c_str());
    } else if (setup_.quiet) {
        std::printf("%s\n", dir_.c_str());
    }
    std::fflush(stdout);
    log::close_file();
    return incomplete_.empty() ? 0 : 1;
}

}  // namespace ebt
