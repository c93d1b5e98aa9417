// TX planning and pacing math: pure, header-only, no DPDK, so that the unit
// tests (which link only libebt_common) can include it directly.
//
//  - plan_tx(): splits a TestConfig across TX lcores: contiguous flow ranges,
//    rate shares and packet totals proportional to the flow counts (so every
//    flow gets the same rate), each split exact (the parts sum to the whole).
//  - Pacer: integer TSC schedule "packet k is due at base + ceil(k*hz/pps)".
//  - TscToNs: exact ticks -> ns conversion without floating point.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "config.hpp"

namespace ebt {

inline constexpr uint32_t kMaxTxBurst = 32;

struct TxThreadPlan {
    uint16_t queue_id = 0;       // TX queue, = thread index
    uint32_t first_flow = 0;     // global flow ids [first_flow, first_flow + flow_count)
    uint32_t flow_count = 0;     // >= 1
    uint64_t target_pps = 0;     // this thread's share; 0 when rate_max
    uint64_t total_packets = 0;  // this thread's share of round(rate*duration); unused when unlimited
    bool unlimited = false;      // rate_max: send until stop flag / deadline
    uint32_t burst = kMaxTxBurst;
};

struct TxPlan {
    bool rate_max = false;
    uint64_t total_pps = 0;       // packet_rate (0 when rate_max)
    uint64_t total_packets = 0;   // round(packet_rate * duration_s) (0 when rate_max)
    std::vector<TxThreadPlan> threads;  // min(cfg.threads, cfg.flows) entries
};

// floor(total * num / den) without overflow (num <= den).
inline uint64_t mul_div_floor(uint64_t total, uint64_t num, uint64_t den) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(total) * num / den);
}

// Part i of `total` split over parts proportional to weights cum[i+1]-cum[i]
// (cum[0] = 0, cum.back() = den): floor(total*cum[i+1]/den) - floor(total*cum[i]/den).
// The parts sum exactly to total.
inline uint64_t proportional_share(uint64_t total, uint64_t cum_lo, uint64_t cum_hi, uint64_t den) {
    return mul_div_floor(total, cum_hi, den) - mul_div_floor(total, cum_lo, den);
}

inline uint32_t burst_for_rate(uint64_t pps_share, bool rate_max) {
    if (rate_max) return kMaxTxBurst;
    return static_cast<uint32_t>(std::clamp<uint64_t>(pps_share / 1000, 1, kMaxTxBurst));
}

// Threads beyond the flow count would have nothing to send: the plan uses
// min(cfg.threads, cfg.flows) threads.  Throws std::invalid_argument on
// threads == 0, flows == 0 or flows > EBT_MAX_FLOWS (validate() already
// rejects those).
inline TxPlan plan_tx(const TestConfig& cfg) {
    if (cfg.threads == 0 || cfg.flows == 0 || cfg.flows > 65536)
        throw std::invalid_argument("plan_tx: threads and flows (1..65536) must be >= 1");
    TxPlan plan;
    plan.rate_max = cfg.rate_max;
    if (!cfg.rate_max) {
        plan.total_pps = cfg.packet_rate;
        plan.total_packets = static_cast<uint64_t>(std::llround(static_cast<double>(cfg.packet_rate) * cfg.duration_s));
    }
    const uint32_t n = std::min(cfg.threads, cfg.flows);
    const uint32_t F = cfg.flows;
    plan.threads.resize(n);
    uint32_t first = 0;
    for (uint32_t i = 0; i < n; ++i) {
        TxThreadPlan& t = plan.threads[i];
        t.queue_id = static_cast<uint16_t>(i);
        t.first_flow = first;
        t.flow_count = F / n + (i < F % n ? 1 : 0);
        const uint32_t hi = first + t.flow_count;
        t.unlimited = cfg.rate_max;
        if (!cfg.rate_max) {
            t.target_pps = proportional_share(plan.total_pps, first, hi, F);
            t.total_packets = proportional_share(plan.total_packets, first, hi, F);
        }
        t.burst = burst_for_rate(t.target_pps, cfg.rate_max);
        first = hi;
    }
    return plan;
}

// Exact conversion of TSC ticks to nanoseconds: two 64-bit divisions, no
// floating point (valid for hz < 1.8e10).  Use per burst, not per packet.
struct TscToNs {
    uint64_t hz = 1;
    uint64_t operator()(uint64_t ticks) const {
        const uint64_t s = ticks / hz;
        const uint64_t r = ticks % hz;
        return s * 1000000000ull + r * 1000000000ull / hz;
    }
};

// TSC schedule for a constant rate.  Packet index k (0-based, counted from
// base_index) is due at base_tsc + ceil((k - base_index) * hz / pps).
// Integer only; no overflow for rates < ~6e9 pps.
class Pacer {
public:
    Pacer() = default;
    Pacer(uint64_t tsc_hz, uint64_t pps, uint64_t start_tsc)
        : hz_(tsc_hz), pps_(pps), base_tsc_(start_tsc), base_index_(0) {}

    uint64_t pps() const { return pps_; }

    // TSC at which packet `index` is due.
    uint64_t due_tsc(uint64_t index) const {
        const uint64_t k = index - base_index_;
        const uint64_t q = k / pps_, r = k % pps_;
        return base_tsc_ + q * hz_ + (r * hz_ + pps_ - 1) / pps_;
    }

    // Number of packet indexes due by `now` (i.e. the first index not yet due).
    uint64_t due_count(uint64_t now) const {
        if (now < base_tsc_) return base_index_;
        const uint64_t e = now - base_tsc_;
        const uint64_t s = e / hz_, r = e % hz_;
        return base_index_ + s * pps_ + r * pps_ / hz_ + 1;
    }

private:
    uint64_t hz_ = 1, pps_ = 1, base_tsc_ = 0, base_index_ = 0;
};

}  // namespace ebt
