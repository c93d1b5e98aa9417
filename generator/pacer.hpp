// TX timing: pure, header-only, no DPDK, so that the unit tests can include
// it directly.
//
//  - CatchUpGate: when a burst may leave, and whether it was late.
//  - Pacer: integer TSC schedule "packet k is due at base + ceil(k*hz/pps)".
//  - TscToNs: exact ticks -> ns conversion without floating point.
#pragma once

#include <cstdint>

namespace ebt {

// The catch-up rule, shared by the constant and the pattern paths: a burst
// leaves once it is due; one more than `interval` (one burst's span on the
// schedule) behind is late, and after a late one the next may leave only
// interval / 2 later, so a stall is caught up at no more than twice the
// current rate, one burst at a time (the schedule itself is kept, so the
// total stays exact).
struct CatchUpGate {
    uint64_t next_allowed = 0;
    // True when the burst may leave at `now`; `late` then says whether it
    // was over one interval behind.
    bool ready(uint64_t now, uint64_t due, uint64_t interval, bool& late) {
        if (now < due || now < next_allowed) return false;
        late = now - due > interval;
        if (late) next_allowed = now + interval / 2;
        return true;
    }
};

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
