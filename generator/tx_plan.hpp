// TX planning: pure, header-only, no DPDK, so that the unit tests (which
// link only libebt_common) can include it directly.
//
//  - plan_tx(): splits a TestConfig across TX lcores: contiguous flow ranges,
//    rate shares and packet totals proportional to the flow counts (so every
//    flow gets the same rate), each split exact (the parts sum to the whole).
//    With traffic_config.patterns the lcores share one whole-test schedule
//    (pattern_schedule.hpp) instead of a constant rate.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "config.hpp"
#include "pattern_schedule.hpp"

namespace ebt {

inline constexpr uint32_t kMaxTxBurst = 32;

struct TxThreadPlan {
    uint16_t queue_id = 0;       // TX queue, = thread index
    uint32_t first_flow = 0;     // global flow ids [first_flow, first_flow + flow_count)
    uint32_t flow_count = 0;     // >= 1
    uint64_t target_pps = 0;     // this thread's share; 0 when rate_max
    uint64_t total_packets = 0;  // this thread's share of round(rate*duration) (or of --count, or
                                 // of the schedule); unused when unlimited
    bool unlimited = false;      // rate_max without --count: send until stop flag / deadline
    bool paced = true;           // false with rate_max: as fast as the port takes them
    uint32_t burst = kMaxTxBurst;
    const Schedule* schedule = nullptr;  // patterns: the shared schedule (owned by TxPlan)
    uint64_t schedule_limit = 0;         // patterns: global packets to send (all lcores)
};

struct TxPlan {
    bool rate_max = false;
    uint64_t total_pps = 0;       // packet_rate (0 when rate_max); with patterns the mean rate
    uint64_t total_packets = 0;   // round(packet_rate * duration_s), --count, or the schedule's
                                  // total (0 when rate_max without --count)
    std::optional<uint64_t> count;          // --count
    std::shared_ptr<const Schedule> schedule;  // patterns only
    std::vector<TxThreadPlan> threads;  // min(cfg.threads, cfg.flows) entries
};

struct PlanOptions {
    uint64_t tsc_hz = 1'000'000'000;  // ticks of the pattern schedule
    std::optional<uint64_t> count;    // --count N: exactly N packets in total
};

// Patterns other than one plain constant for the whole test (which is the
// constant-rate fast path, traffic_config.packet_rate).
inline bool has_patterns(const TestConfig& cfg) {
    if (cfg.patterns.empty()) return false;
    const PatternConfig& p = cfg.patterns[0];
    return !(cfg.patterns.size() == 1 && p.type == "constant" && p.rate == 0 && p.duration == 0);
}

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
inline TxPlan plan_tx(const TestConfig& cfg, const PlanOptions& opt = {}) {
    if (cfg.threads == 0 || cfg.flows == 0 || cfg.flows > 65536)
        throw std::invalid_argument("plan_tx: threads and flows (1..65536) must be >= 1");
    TxPlan plan;
    plan.rate_max = cfg.rate_max;
    plan.count = opt.count;
    const bool patterned = !cfg.rate_max && has_patterns(cfg);
    if (patterned) {
        auto sched = std::make_shared<Schedule>(build_schedule(cfg, opt.tsc_hz));
        plan.total_packets = opt.count ? std::min(*opt.count, sched->total) : sched->total;
        plan.total_pps = static_cast<uint64_t>(std::llround(static_cast<double>(sched->total) / sched->duration_s));
        plan.schedule = std::move(sched);
    } else if (!cfg.rate_max) {
        plan.total_pps = cfg.packet_rate;
        plan.total_packets = opt.count ? *opt.count
                                       : static_cast<uint64_t>(std::llround(static_cast<double>(cfg.packet_rate) * cfg.duration_s));
    } else if (opt.count) {
        plan.total_packets = *opt.count;
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
        t.unlimited = cfg.rate_max && !opt.count;
        t.paced = !cfg.rate_max;
        t.target_pps = proportional_share(plan.total_pps, first, hi, F);
        if (patterned) {
            // The lcore sends its own flows' packets of the global schedule.
            t.schedule = plan.schedule.get();
            t.schedule_limit = plan.total_packets;
            t.total_packets = ScheduleLane(*plan.schedule, first, t.flow_count, F, plan.total_packets).total();
        } else if (!t.unlimited) {
            t.total_packets = proportional_share(plan.total_packets, first, hi, F);
        }
        // Patterns: the lane picks each segment's burst from its peak rate.
        t.burst = patterned ? kMaxTxBurst : burst_for_rate(t.target_pps, cfg.rate_max);
        first = hi;
    }
    return plan;
}

}  // namespace ebt
