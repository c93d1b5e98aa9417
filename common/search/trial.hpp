// One trial of the throughput search: what the caller measured and what the
// search recorded.  Loads are in packets per second.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace ebt::search {

struct TrialMeasurement {
    uint64_t intended = 0;  // packets the generator was asked to send (load x duration)
    uint64_t sent = 0;      // packets it actually sent (offered to the device)
    uint64_t received = 0;  // packets the device forwarded
    double duration_s = 0;  // effective duration of the trial
    // Set by the caller when the generator did not send what was intended;
    // such a trial says nothing about the device.
    bool generator_limited = false;
    std::string generator_limit_reason;
};

// Runs one trial at load_pps for duration_s and returns once the device's
// counters are final (in-flight packets drained).
using Measure = std::function<TrialMeasurement(double load_pps, double duration_s)>;

// The device's loss ratio: (sent - received) / sent, never below 0
// (duplicates do not make up for loss elsewhere); 0 packets sent reads as 0.
inline double device_loss_ratio(const TrialMeasurement& m) {
    if (m.sent == 0 || m.received >= m.sent) return 0.0;
    return static_cast<double>(m.sent - m.received) / static_cast<double>(m.sent);
}

struct TrialRecord {
    unsigned index = 0;   // 0-based over the whole run, warm-up included
    unsigned repeat = 0;  // which search of SearchConfig::repeats
    std::string purpose;  // "warmup", "search" or "confirm"
    double load_pps = 0;
    double duration_s = 0;  // as asked for
    TrialMeasurement m;
    double loss_ratio = 0;  // device_loss_ratio(m)
};

}  // namespace ebt::search
