// dpdk-gen's trial mode (--trials, --search): one process, one control
// connection, many trials.  EAL and the port come up once (main); the
// receiver link and its clock offset once here.  Each trial is a TestRun
// that borrows them with its own test id, so the previous trial's late
// packets count as stale at the receiver, never as this trial's; and its
// own directory under trials/.  A trial's hygiene is TestRun's: the
// receiver zeroes (it reloads its program per test), the traffic runs,
// stops, the receiver drains (until all sent are counted, or quiet for
// 200 ms) and only then are both sides read.
//
// --trials runs a fixed list of loads; --search hands measure() to the
// search core (common/search), which chooses the loads.  A trial in which
// the generator did not send what was intended is marked generator-limited
// and never read as the device's loss.  The summary (trial_summary.hpp) is
// written at the end, after a failed trial too.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "options.hpp"
#include "port.hpp"
#include "receiver_link.hpp"
#include "status_server.hpp"
#include "trial_summary.hpp"
#include "tsc_calibration.hpp"

namespace ebt {

// The generator-limited rule: the generator did not send what was
// intended when it fell short by more than 10 us of traffic, achieved
// under 95% of the load, or the port refused frames.  "" when none holds.
std::string generator_limit(double load_pps, uint64_t intended, uint64_t sent, double achieved_pps,
                            uint64_t port_refused);

class TrialSession {
public:
    TrialSession(RunSetup setup, Port& port, uint32_t link_mbps, std::vector<unsigned> lcores,
                 const TscCalibration& tsc_cal, bool filter_supplied);
    // The whole session; the exit status (0 complete, 1 incomplete, 2 a
    // bad load or goal found once the port's link speed is known, before
    // anything is connected or written).
    int execute();

private:
    // The loads, or the search's configuration, in pps for this port's
    // link speed.  Throws ConfigError naming the flag.
    void resolve_loads();
    bool open();
    // Runs one trial and records its row; throws SessionEnded when the
    // trial could not complete (the session then ends).
    TrialRow run_trial(double load_pps, double duration_s, const std::string& purpose);
    void run_sweep();
    void run_search();
    void show(const TrialRow& row, const std::string& verdict, std::optional<double> eta_s) const;
    int finish();

    RunSetup setup_;
    const TrialOptions opts_;
    Port& port_;
    uint32_t link_mbps_;
    std::vector<unsigned> lcores_;
    TscCalibration tsc_cal_;
    bool filter_supplied_;
    std::vector<double> sweep_loads_;
    search::SearchConfig search_config_;
    std::unique_ptr<ReceiverLink> link_;
    SharedStatus status_;                 // each trial updates it
    std::optional<StatusServer> http_;    // /health, /status, /metrics for the session
    ClockOffset clock_;
    std::string dir_;
    uint16_t next_id_ = 0;
    SessionSummary summary_;
    std::string incomplete_;   // why the session ended early
};

}  // namespace ebt
