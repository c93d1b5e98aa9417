// One test, from the receiver's handshake to the summary line, in phases:
//   coordinate      discovery (mDNS), the control connection (auth, clock
//                   sync, configure), the destination MAC       (test_run.cpp)
//   open_results    the status endpoints, the results directory and log
//   prepare         TX lcore contexts, the RX engine, the replay's stamps,
//                   the receiver's start
//   run_and_sample  launch the TX lcores; sample and show live output
//                   until they are done                          (sampling.cpp)
//   collect         the generator's report from the lcores       (run_report.cpp)
//   finish          stop the receiver and fetch its results, the round
//                   trip, results.json, the summary              (test_run.cpp)
// execute() runs them and returns the exit status.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "live_output.hpp"
#include "options.hpp"
#include "port.hpp"
#include "receiver_link.hpp"
#include "results.hpp"
#include "rx_engine.hpp"
#include "status_server.hpp"
#include "thread_sched.hpp"
#include "tsc_calibration.hpp"
#include "tx_engine.hpp"
#include "tx_plan.hpp"

namespace ebt {

// SIGINT/SIGTERM: the first stops the traffic (and ends the waits for the
// receiver before it); a second gives up waiting for the receiver after it.
struct RunSignals {
    static inline std::atomic<bool> stop{false};
    static inline std::atomic<int> first{0};  // the first signal's number
    static inline std::atomic<int> count{0};
    static void install();
    static const char* name(int signo);
};

// What a trial of a session (trial_session.hpp) borrows from it: the
// control connection and the clock offset, which stay up across trials,
// its own test id and the directory the session made for it.  A trial
// prints nothing of its own and leaves the port open.
struct TrialContext {
    ReceiverLink* link = nullptr;   // nullptr: uncoordinated
    SharedStatus* status = nullptr; // the session's /status, /metrics
    ClockOffset clock;
    uint16_t test_id = 0;
    std::string dir;
};

// mDNS discovery of xdp-recv (unless the config turns it off, the test is
// uncoordinated or --dst-ip was given): sets the config's receiver address;
// true when it looked.  Throws std::runtime_error when none answered.
bool find_receiver(RunSetup& setup);
void log_clock_offset(const ClockOffset& clock);
void log_tsc_calibration(const TscCalibration& cal);

class TestRun {
public:
    // The port is the caller's: it stays open for the next trial and is
    // closed by finish() of a single test.  trial: nullptr for a single test.
    TestRun(RunSetup setup, Port& port, TxPlan plan, std::vector<unsigned> lcores,
            const TscCalibration& tsc_cal, bool filter_supplied, const TrialContext* trial = nullptr);
    int execute();
    // After execute(): what the run recorded (results.json's content) and
    // whether the control connection broke during it.
    const TestRecord& record() const { return record_; }
    bool link_lost() const { return link_lost_; }

private:
    // Each TX lcore's scheduler statistics at its start (thread_sched.hpp):
    // how long it was kept off its CPU during the test explains late bursts.
    struct LcoreSched {
        std::optional<ThreadSchedStat> at_start;
        bool read = false;
        // Run-queue wait and involuntary switches since the start, nullopt
        // when the kernel has no schedstat.
        std::optional<ThreadSchedStat> since_start(const TxLcoreContext& c) const;
    };

    void begin();
    bool coordinate();
    bool open_results();
    void prepare();
    void run_and_sample();
    void collect();
    int finish();
    void collect_receiver();
    void collect_round_trip();
    void print_summary();

    RunSetup setup_;
    TestConfig& cfg_;
    Port& port_;
    TxPlan plan_;
    std::vector<unsigned> lcores_;
    TscCalibration tsc_cal_;
    uint64_t tsc_hz_;
    bool filter_supplied_;
    LiveMode live_mode_;
    TestRecord record_;
    TscDriftMonitor drift_;
    uint64_t epoch_tsc_ = 0, epoch_tai_ns_ = 0;
    const TrialContext* trial_;
    // The control connection: a single test's own, or the session's.
    std::unique_ptr<ReceiverLink> own_link_;
    ReceiverLink* link_ = nullptr;
    bool link_lost_ = false;
    std::array<uint8_t, 6> dst_mac_{};
    // /status's snapshot: a single test's own, or the session's (its
    // endpoints serve every trial).
    SharedStatus own_status_;
    SharedStatus& status_;
    std::optional<StatusServer> http_;
    std::string dir_;
    // TX lcore contexts (not movable: they hold atomics).
    std::vector<std::unique_ptr<TxLcoreContext>> contexts_;
    std::vector<TxLcoreContext*> views_;
    std::string incomplete_;
    std::vector<std::optional<ThreadSchedStat>> sched_total_;
    std::optional<RxEngine> rx_;
    std::chrono::steady_clock::time_point t0_;
};

}  // namespace ebt
