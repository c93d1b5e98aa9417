// `xdp-recv --no-coordination`: counts on its own, for traffic from any
// generator (testpmd, TRex, a hardware tester), for a duration or until
// SIGINT/SIGTERM, and writes its results directory like a coordinated run.
// Test packets of every test id count (there is no configure to name one),
// in the 65,536 flow slots by flow id; no epoch is known, so no latency.
// Packets without our header are counted per 5-tuple (up to foreign_tuples,
// the rest summed) and passed (default) or dropped.  With mode Baseline the
// userspace receiver counts instead (UDP sockets on the config's destination
// address and port; other datagrams on them are counted as other, no tuples).
// The test is named after --name (or the config's test_config.name), else
// after the mode (standalone_xdp, standalone_baseline); its results directory
// follows.  /health, /status and /metrics are served on the control port
// meanwhile (the caller's StatusServer over `status`): state "running" while
// counting, the live totals every real_time.update_interval; the per-flow
// state (lost, the flow series) at most every 10 s, and only while packets
// arrive (reading 65,536 flow slots is not free).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "measurement.hpp"
#include "status_pages.hpp"
#include "system_check.hpp"

namespace ebt {

struct StandaloneOptions : ReceiveSettings {
    std::optional<double> duration_s;   // unset: until stop
    uint32_t foreign_tuples = 1024;
    bool foreign_drop = false;
    TestConfig config;                  // name, sample_rate, and the record's config
};

// The standalone test's name: --name when given (name_flag), else the
// config's test_config.name when it is not the default, else after the mode:
// "standalone_xdp" / "standalone_baseline".
std::string standalone_test_name(const TestConfig& config, bool name_flag, ReceiveMode mode);

// Returns 0 when the run completed (duration reached, or stopped by a signal
// when no duration was given), 1 otherwise.  stop is polled (set it from a
// signal handler).  status: what /health, /status and /metrics show (the
// caller serves it); its role, interface and checks are the caller's.
int run_standalone(const StandaloneOptions& o, const std::atomic<bool>& stop, SharedStatus& status);

// `xdp-recv --no-coordination`: run_standalone with /health, /status and
// /metrics served on listen:port meanwhile (checks: the start-up checks
// /health shows), until the duration or SIGINT/SIGTERM.  Returns the exit
// status: run_standalone's, or kExitEnvironment when the port cannot be
// bound.
int serve_standalone(const StandaloneOptions& o, const std::string& listen, uint16_t port,
                     const std::vector<CheckRow>& checks);

}  // namespace ebt
