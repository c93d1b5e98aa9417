// What a test counts with: the XDP program on the interface (`--mode xdp`,
// the default) or the userspace baseline on UDP sockets (`--mode baseline`).
// The coordinated session and standalone receiving drive both through this
// one interface, so they start, sample, stop and report the two modes the
// same way and the reports compare field for field.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "results.hpp"
#include "xdp_program.hpp"

namespace ebt {

enum class ReceiveMode { Xdp, Baseline };
const char* to_string(ReceiveMode m);   // "xdp" / "baseline"

struct ReceivePathConfig {
    ReceiveMode mode = ReceiveMode::Xdp;
    std::string interface;            // XDP: attached to; both: the MAC and the system monitor
    XdpMode xdp_mode = XdpMode::Auto;
    XdpProgramConfig counting;        // test id, flows, action, epoch, offset, foreign (XDP only)
    std::string address;              // baseline: the sockets' address (the test's dst_machine.ip)
    uint16_t port = 9;                // baseline: traffic_config.dst_port
    unsigned threads = 1;             // baseline: receive threads
    uint32_t vlan_bytes = 0;          // baseline: 4 when the test's frames are VLAN-tagged
};

// The baseline's sockets for a test: the destination address (ip, or ipv6
// with ip_version 6) and port, and the VLAN tag's 4 bytes.  Throws
// ConfigError when the test sends to more than one destination address or
// port (traffic_config.flow_spec ranges): the baseline binds one of each.
void set_baseline_target(ReceivePathConfig& pc, const TestConfig& cfg);

class ReceivePath {
public:
    virtual ~ReceivePath() = default;
    // The ready message's and the report's xdp_mode: native/generic/offload
    // as the kernel attached the program, "none" for the baseline.
    virtual std::string xdp_mode_used() const = 0;
    // One log line: what counts and where.
    virtual std::string description() const = 0;
    // Zeroes the counters and begins the measured window (before traffic).
    virtual void start() = 0;
    virtual CpuTotals read_totals() const = 0;
    // One-way latencies recorded so far and their sum (ns), while counting
    // runs; nullopt without a test epoch.
    struct LatencyCountSum {
        uint64_t count = 0, sum_ns = 0;
    };
    virtual std::optional<LatencyCountSum> read_latency_count_sum() const = 0;
    virtual std::vector<ebt_flow_state> read_flows() const = 0;
    // A sample_rate window ended at t_s (XDP: the program cost's windows).
    virtual void sample(double t_s) = 0;
    // Ends counting and builds the report (counters, flows, latency, program
    // cost, foreign tuples).  only_active_flows: standalone.  Throws.
    virtual ReceiverReport finish(const std::string& mac, bool only_active_flows) = 0;
    // Frees the interface (detach) or the sockets; idempotent.
    virtual void release() = 0;
};

// The receiver's samples: totals at t_s, and the one-way latency over the
// window since the previous sample (the histogram's count and sum
// differenced: exact), so a latency that drifts during a test shows.
class ReceiverSampler {
public:
    CounterSample take(const ReceivePath& path, double t_s, const CpuTotals& totals);

private:
    uint64_t count_ = 0, sum_ns_ = 0;
};

// Loads and attaches the program, or binds the baseline's sockets.  Throws
// (XdpError, BaselineError) with one line naming what failed.
std::unique_ptr<ReceivePath> open_receive_path(const ReceivePathConfig& cfg);

}  // namespace ebt
