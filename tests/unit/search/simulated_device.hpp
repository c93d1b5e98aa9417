// Simulated devices and generators for the throughput search's tests: pure
// functions of the load and duration (or of a seeded RNG), so every search
// over them is deterministic.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <random>

#include "trial.hpp"

namespace ebt::search::sim {

// Packets a device forwards out of `sent`, offered at sent / duration_s.
using Device = std::function<uint64_t(uint64_t sent, double duration_s)>;

inline uint64_t packets(double rate_pps, double duration_s) {
    return static_cast<uint64_t>(std::llround(rate_pps * duration_s));
}

// Loses exactly the excess over its capacity.
inline Device step_device(double capacity_pps) {
    return [=](uint64_t sent, double d) { return std::min(sent, packets(capacity_pps, d)); };
}

// Lossless up to the knee; above it the loss ratio grows smoothly,
// 0.1 * ((load - knee) / knee)^2, so 0.5 % loss is at (1 + sqrt(0.05)) x knee.
inline Device soft_device(double knee_pps) {
    return [=](uint64_t sent, double d) {
        const double load = static_cast<double>(sent) / d;
        if (load <= knee_pps) return sent;
        const double excess = (load - knee_pps) / knee_pps;
        const double loss = std::min(1.0, 0.1 * excess * excess);
        return sent - static_cast<uint64_t>(std::llround(static_cast<double>(sent) * loss));
    };
}

// A step device whose capacity dips by `dip` in a share `dip_chance` of the
// trials, drawn from a seeded RNG shared by the copies of the function.
inline Device noisy_step_device(double capacity_pps, double dip, double dip_chance, uint64_t seed) {
    auto rng = std::make_shared<std::mt19937_64>(seed);
    return [=](uint64_t sent, double d) {
        const bool dips = std::uniform_real_distribution<double>(0, 1)(*rng) < dip_chance;
        return std::min(sent, packets(capacity_pps * (dips ? 1 - dip : 1), d));
    };
}

// A generator that sends at most cap_pps, behind the caller's rule: a trial
// is generator-limited when it sent short of the intended count by more
// than 10 us of traffic at the intended load.
inline Measure measure(Device device, double generator_cap_pps = std::numeric_limits<double>::infinity()) {
    return [=](double load_pps, double duration_s) {
        TrialMeasurement m;
        m.duration_s = duration_s;
        m.intended = packets(load_pps, duration_s);
        m.sent = std::min(m.intended, std::isinf(generator_cap_pps) ? m.intended
                                                                     : packets(generator_cap_pps, duration_s));
        if (static_cast<double>(m.intended - m.sent) > load_pps * 10e-6) {
            m.generator_limited = true;
            m.generator_limit_reason = "TX ring full";
        }
        m.received = device(m.sent, duration_s);
        return m;
    };
}

// A receiver whose counters lag the wire by drain_s: read at the end of the
// trial they miss the packets forwarded in its last drain_s.  The honest
// measure waits for the drain before it reads; the hasty one does not.
inline Measure measure_with_drain(Device device, double drain_s, bool wait_for_drain) {
    return [=](double load_pps, double duration_s) {
        TrialMeasurement m;
        m.duration_s = duration_s;
        m.intended = m.sent = packets(load_pps, duration_s);
        const uint64_t forwarded = device(m.sent, duration_s);
        const uint64_t in_flight = packets(static_cast<double>(forwarded) / duration_s, drain_s);
        m.received = wait_for_drain ? forwarded : forwarded - in_flight;
        return m;
    };
}

}  // namespace ebt::search::sim
