// One test's measurement on the receiving side, the same for the coordinated
// session (receiver_session) and standalone receiving (standalone): open the
// receive path (load and attach the XDP program, or bind the baseline's
// sockets), start the window (counters zeroed), take the counter samples
// every sample_rate and the live figures every real_time.update_interval,
// stop (the report: counters, flows, latency, program cost, the samples,
// the system summary) and release the interface.  Its results directory,
// with xdp-recv.log in it, is ReceiverResultsDir.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "receive_path.hpp"
#include "results.hpp"
#include "system_monitor.hpp"
#include "xdp_program.hpp"

namespace ebt {

// What both ways of receiving take from the command line.
struct ReceiveSettings {
    std::string interface;
    XdpMode xdp_mode = XdpMode::Auto;
    std::string results_dir = "./results";
    TestAction action = TestAction::Drop;   // --test-action
    // --modes (or --mode): the modes served, the default first; a test asks
    // for one (receive_modes.hpp).  baseline: UDP sockets on dst_machine.ip:dst_port
    std::vector<ReceiveMode> modes{ReceiveMode::Xdp};
    unsigned recv_threads = 1;              // --recv-threads (baseline)
    std::size_t max_flow_labels = 64;       // /metrics per-flow series

    ReceiveMode default_mode() const { return modes.front(); }
    bool serves(ReceiveMode m) const { return std::find(modes.begin(), modes.end(), m) != modes.end(); }
};

// The receive path's settings from them, in `mode` (one of s.modes); the
// caller adds what is counted (test id, flows, epoch, clock offset, foreign
// packets).
ReceivePathConfig receive_path_config(const ReceiveSettings& s, ReceiveMode mode);

// Seconds as a steady-clock duration.
inline std::chrono::steady_clock::duration seconds_duration(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

class Measurement {
public:
    using Clock = std::chrono::steady_clock;

    // The totals at a live update: what /status, /metrics and the live
    // sample message show.
    struct Live {
        Clock::time_point now;
        double t_s = 0;       // since start()
        CpuTotals totals;
        double rx_pps = 0;    // since the previous live update
    };

    // Opens the receive path (baseline: on config's destination address
    // and port) and reads the interface's MAC.  config: sample_rate and
    // real_time.update_interval.  Throws with one line naming what failed.
    Measurement(ReceivePathConfig pc, const TestConfig& config);

    ReceivePath& path() { return *path_; }
    const std::string& mac() const { return mac_; }
    const SystemMonitor& monitor() const { return monitor_; }

    // One log line prefix + the path's description + suffix, and a warning
    // when auto mode got generic XDP.
    void announce(const std::string& prefix, const std::string& suffix) const;

    // Zeroes the counters and begins the window (the first system sample);
    // counting_started runs between the two (the session's started message).
    void start(const std::function<void()>& counting_started = nullptr);
    Clock::time_point started() const { return t0_; }
    double elapsed_s() const;

    // Whatever is due at now: a counter sample (taken here), else a live
    // update (handed to on_live).  False when nothing was due.
    template <typename OnLive>
    bool poll(Clock::time_point now, OnLive&& on_live) {
        if (now >= next_sample_) {
            take_sample();
            return true;
        }
        if (now >= next_live_) {
            on_live(take_live(now));
            return true;
        }
        return false;
    }
    // When poll() next has something to do.
    Clock::time_point next_due() const { return std::min(next_sample_, next_live_); }

    // Ends the window: the last program-cost window, the path's report
    // (only_active_flows: standalone), the samples with one at the end equal
    // to the report's totals, the system summary.  drain_started: when the
    // coordinated drain began (the report's drain_s).  Throws.
    ReceiverReport finish(bool only_active_flows, std::optional<Clock::time_point> drain_started = std::nullopt);
    // After a failure: the final counters with the samples taken so far.
    // Throws when even the counters cannot be read.
    ReceiverReport salvage();

    // Detaches the program (or closes the sockets) and says so: the
    // interface is free again.
    void release();

private:
    void take_sample();
    Live take_live(Clock::time_point now);

    ReceivePathConfig pc_;
    std::unique_ptr<ReceivePath> path_;
    std::string mac_;
    SystemMonitor monitor_;
    ReceiverSampler sampler_;
    std::vector<CounterSample> samples_;
    Clock::duration sample_every_, live_every_;
    Clock::time_point t0_{}, next_sample_ = Clock::time_point::max(), next_live_ = Clock::time_point::max();
    uint64_t live_packets_ = 0;
    Clock::time_point live_at_{};
};

// The receiver's results directory for one test (ROOT/receiver/
// <started_at>_<name>/), with xdp-recv.log open in it while this lives.
class ReceiverResultsDir {
public:
    ReceiverResultsDir(const std::string& root, const TestRecord& identity);
    ~ReceiverResultsDir();
    ReceiverResultsDir(const ReceiverResultsDir&) = delete;
    ReceiverResultsDir& operator=(const ReceiverResultsDir&) = delete;

    const std::string& path() const { return dir_; }
    // Stamps the end and the status (complete, or incomplete with the
    // reason) and writes the receiver's results files.
    void write(TestRecord& identity, const std::string& incomplete_reason, const ReceiverReport& report) const;

private:
    std::string dir_;
};

}  // namespace ebt
