// Traffic patterns (traffic_config.patterns) as one whole-test TSC schedule:
// pure, header-only, no DPDK, so the unit tests drive it with a fake clock.
//
//  - build_schedule(): the patterns in sequence become segments on one
//    global packet index g (0, 1, 2, ... over the whole test, all lcores),
//    each with an exact packet count fixed in advance (integral of its rate,
//    rounded once per segment) and a due-time function g -> TSC ticks.
//  - ScheduleLane: one TX lcore's view.  Packets go round robin over the
//    flows (global packet g belongs to flow g mod F), so the lcore owning
//    flows [lo, lo+f) sends exactly the global packets whose flow is its own:
//    its local packet j is global (j / f) * F + lo + j % f.  The lcores
//    together send exactly the global schedule, packet for packet, and each
//    flow gets the share one sender doing round robin would give it.
//
// Due times (ticks from the schedule origin; i = index within the segment):
//   constant R:     start + ceil(i * hz / R)
//   burst B,m,P:    start + (i / m) * P + ceil((i % m) * hz / B)
//                   (m = round(B * burst_duration) packets per cycle of P ticks)
//   ramp a -> b:    start + ceil(t), t the root of a t + (b - a) t^2 / (2 T) = i
//                   (the inverse of the rate's integral, long double, per burst)
//   poisson R:      start + sum of i + 1 exponential gaps of mean hz / R, from a
//                   splitmix64 stream seeded per segment (the same on every
//                   lcore, so together they send one Poisson process)
// Integer arithmetic except ramp (sqrt) and poisson (log); every lcore calls
// due() once per TX burst, for the burst's last packet, with non-decreasing j.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "config.hpp"

namespace ebt {

enum class SegmentKind : uint8_t { kConstant, kBurst, kRamp, kPoisson };

struct ScheduleSegment {
    SegmentKind kind = SegmentKind::kConstant;
    uint32_t pattern = 0;        // index in traffic_config.patterns
    uint64_t first = 0;          // global index of the segment's first packet
    uint64_t count = 0;          // packets in the segment (exact)
    uint64_t start = 0;          // ticks from the schedule origin
    uint64_t length = 0;         // nominal length, ticks
    uint64_t rate = 0;           // pps: constant, poisson mean, burst while on
    uint64_t on_packets = 0;     // burst: packets per cycle
    uint64_t period = 0;         // burst: ticks per cycle (on + gap)
    long double ramp_a = 0;      // ramp: packets per tick at the start
    long double ramp_s = 0;      // ramp: (b - a) / T, packets per tick^2
    uint64_t peak_pps = 0;       // highest rate in the segment (TX burst size)
    uint64_t seed = 0;           // poisson
};

struct Schedule {
    uint64_t hz = 1;
    std::vector<ScheduleSegment> segments;
    uint64_t total = 0;          // packets over the whole sequence
    double duration_s = 0;       // sum of the patterns' durations
};

// ceil(k * hz / pps) without overflow for k * hz up to ~2^64 * pps.
inline uint64_t ticks_for(uint64_t k, uint64_t pps, uint64_t hz) {
    const uint64_t q = k / pps, r = k % pps;
    return q * hz + static_cast<uint64_t>((static_cast<unsigned __int128>(r) * hz + pps - 1) / pps);
}

// The seconds a pattern lasts (its `duration`, a ramp's `over` without one,
// or the rest of the test for a last pattern without one).
inline double pattern_seconds(const PatternConfig& p, double rest_s) {
    if (p.duration > 0) return p.duration;
    if (p.type == "ramp") return p.over;
    return rest_s;
}

// The schedule of cfg.patterns (validated: config.cpp).  default_pps is the
// resolved traffic_config.packet_rate (constant and poisson patterns without
// a rate use it); seeds are the patterns' (nullopt seeds must have been
// filled in by the caller).  Throws std::invalid_argument.
inline Schedule build_schedule(const TestConfig& cfg, uint64_t hz) {
    if (hz == 0) throw std::invalid_argument("build_schedule: hz must be > 0");
    Schedule s;
    s.hz = hz;
    const long double dhz = static_cast<long double>(hz);
    double used_s = 0;
    uint64_t g = 0, start = 0;
    // Counts and tick lengths rounded once, refused beyond 2^62 (a rate and
    // duration no port could send; the conversion would not be defined).
    std::string key;
    auto whole = [&](long double x) {
        if (!(x >= 0 && x < 0x1p62L))
            throw std::invalid_argument(key + ": the pattern's packets or length are out of range");
        return static_cast<uint64_t>(std::llround(x));
    };
    auto tick_len = [&](double sec) { return whole(static_cast<long double>(sec) * dhz); };
    for (size_t i = 0; i < cfg.patterns.size(); ++i) {
        const PatternConfig& p = cfg.patterns[i];
        key = "traffic_config.patterns[" + std::to_string(i) + "]";
        const double d = pattern_seconds(p, cfg.duration_s - used_s);
        if (!(d > 0)) throw std::invalid_argument(key + ": no time left in the test duration for this pattern");
        ScheduleSegment seg;
        seg.pattern = static_cast<uint32_t>(i);
        seg.first = g;
        seg.start = start;
        seg.length = tick_len(d);
        auto push = [&](ScheduleSegment sg) {
            g += sg.count;
            s.segments.push_back(sg);
        };
        if (p.type == "constant" || p.type == "poisson") {
            seg.kind = p.type == "constant" ? SegmentKind::kConstant : SegmentKind::kPoisson;
            seg.rate = p.rate != 0 ? p.rate : cfg.packet_rate;
            if (seg.rate == 0) throw std::invalid_argument(key + ": no rate");
            seg.peak_pps = seg.rate;
            seg.count = whole(static_cast<long double>(seg.rate) * d);
            seg.seed = p.seed.value_or(0);
            push(seg);
        } else if (p.type == "burst") {
            seg.kind = SegmentKind::kBurst;
            seg.rate = seg.peak_pps = p.burst_rate;
            seg.on_packets = whole(static_cast<long double>(p.burst_rate) * p.burst_duration);
            if (seg.rate == 0 || seg.on_packets == 0)
                throw std::invalid_argument(key + ": burst_rate x burst_duration is less than one packet");
            const double cycle = p.burst_duration + p.inter_burst_gap;
            seg.period = tick_len(cycle);
            const uint64_t full = whole(std::floor(static_cast<long double>(d) / cycle * (1 + 1e-12L)));
            const double rem = std::max(0.0, d - static_cast<double>(full) * cycle);
            const uint64_t partial =
                std::min<uint64_t>(seg.on_packets, whole(static_cast<long double>(p.burst_rate) * std::min(rem, p.burst_duration)));
            seg.count = whole(static_cast<long double>(full) * static_cast<long double>(seg.on_packets)) + partial;
            push(seg);
        } else if (p.type == "ramp") {
            seg.kind = SegmentKind::kRamp;
            const uint64_t over = tick_len(p.over);
            seg.length = over;
            seg.ramp_a = static_cast<long double>(p.from) / dhz;
            seg.ramp_s = (static_cast<long double>(p.to) - static_cast<long double>(p.from)) / dhz /
                         static_cast<long double>(over);
            seg.peak_pps = std::max(p.from, p.to);
            // The integral over the ramp, rounded once.
            seg.count = whole((static_cast<long double>(p.from) + static_cast<long double>(p.to)) / 2 * p.over);
            push(seg);
            if (d > p.over && p.to > 0) {  // then held at `to` for the rest of its duration
                ScheduleSegment hold;
                hold.kind = SegmentKind::kConstant;
                hold.pattern = seg.pattern;
                hold.first = g;
                hold.start = start + over;
                hold.length = tick_len(d) - over;
                hold.rate = hold.peak_pps = p.to;
                hold.count = whole(static_cast<long double>(p.to) * (d - p.over));
                push(hold);
            }
        } else {
            throw std::invalid_argument(key + ": unknown pattern type " + p.type);
        }
        used_s += d;
        start += tick_len(d);
        if (g >= (uint64_t{1} << 62) || start >= (uint64_t{1} << 62))
            throw std::invalid_argument(key + ": the patterns' packets or length are out of range");
    }
    s.total = g;
    s.duration_s = used_s;
    return s;
}

// Segment-relative due time (ticks after seg.start) for the deterministic
// kinds; poisson is sequential and lives in the lane.
inline uint64_t segment_due(const ScheduleSegment& s, uint64_t i, uint64_t hz) {
    switch (s.kind) {
    case SegmentKind::kConstant: return ticks_for(i, s.rate, hz);
    case SegmentKind::kBurst: return (i / s.on_packets) * s.period + ticks_for(i % s.on_packets, s.rate, hz);
    case SegmentKind::kRamp: {
        if (i == 0) return 0;
        const long double k = static_cast<long double>(i);
        const long double disc = std::max<long double>(0, s.ramp_a * s.ramp_a + 2 * k * s.ramp_s);
        const long double den = s.ramp_a + std::sqrt(disc);
        if (!(den > 0)) return s.length;
        return static_cast<uint64_t>(std::ceil(2 * k / den));
    }
    case SegmentKind::kPoisson: break;
    }
    return 0;
}

// Packets of the whole schedule due by `t` ticks after its origin, as a
// rate integral (poisson at its mean): what the live output shows as the
// current target, (due(t1) - due(t0)) / (t1 - t0).  Main lcore, per line.
inline double scheduled_packets_by(const Schedule& sch, uint64_t t) {
    double n = 0;
    const long double hz = static_cast<long double>(sch.hz);
    for (const ScheduleSegment& s : sch.segments) {
        if (t <= s.start) break;
        const uint64_t e = std::min(t - s.start, s.length);
        long double k = 0;
        switch (s.kind) {
        case SegmentKind::kConstant:
        case SegmentKind::kPoisson: k = static_cast<long double>(e) * static_cast<long double>(s.rate) / hz; break;
        case SegmentKind::kBurst: {
            const uint64_t cycles = s.period ? e / s.period : 0, rem = s.period ? e % s.period : e;
            k = static_cast<long double>(cycles * s.on_packets) +
                std::min<long double>(static_cast<long double>(rem) * static_cast<long double>(s.rate) / hz,
                                      static_cast<long double>(s.on_packets));
            break;
        }
        case SegmentKind::kRamp: {
            const long double x = static_cast<long double>(e);
            k = s.ramp_a * x + s.ramp_s * x * x / 2;
            break;
        }
        }
        n += static_cast<double>(std::clamp<long double>(k, 0, static_cast<long double>(s.count)));
    }
    return n;
}

// splitmix64: small, fast, and the same stream on every lcore.
struct SplitMix64 {
    uint64_t x = 0;
    uint64_t next() {
        uint64_t z = (x += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Exponential(1): -log(u), u uniform in (0, 1].
    long double exp1() { return -std::log(static_cast<long double>((next() >> 11) + 1) * 0x1p-53L); }
};

// One TX lcore's walk through the schedule (no allocation; copyable).
class ScheduleLane {
public:
    ScheduleLane() = default;
    // Flows [lo, lo + f) of F; limit: global packets to send (<= schedule total).
    ScheduleLane(const Schedule& s, uint32_t lo, uint32_t f, uint32_t F, uint64_t limit)
        : segs_(s.segments.data()), nsegs_(s.segments.size()), hz_(s.hz), lo_(lo), f_(f), F_(F),
          global_(std::min(limit, s.total)) {
        total_ = local_below(global_);
        if (nsegs_ > 0) enter(0);
    }

    uint64_t total() const { return total_; }   // this lane's packets
    uint64_t global_total() const { return global_; }

    // Local packets whose global index is below x.
    uint64_t local_below(uint64_t x) const {
        const uint64_t m = x % F_;
        return (x / F_) * f_ + (m > lo_ ? std::min<uint64_t>(m - lo_, f_) : 0);
    }
    uint64_t global_index(uint64_t j) const { return (j / f_) * F_ + lo_ + j % f_; }

    // How many packets from local index j (< total()) one burst may take:
    // at most max_burst, never crossing a segment boundary.
    uint32_t burst_len(uint64_t j, uint32_t max_burst) {
        seek(global_index(j));
        const ScheduleSegment& s = segs_[cur_];
        const uint64_t end = std::min(total_, local_below(s.first + s.count));
        return static_cast<uint32_t>(std::min<uint64_t>({burst_, max_burst, end - j}));
    }

    // Ticks after the origin at which local packet j is due (j non-decreasing).
    uint64_t due(uint64_t j) {
        const uint64_t g = global_index(j);
        seek(g);
        const ScheduleSegment& s = segs_[cur_];
        const uint64_t i = g - s.first;
        if (s.kind != SegmentKind::kPoisson) return s.start + segment_due(s, i, hz_);
        while (next_ <= i) {  // one exponential gap per global packet
            acc_ += rng_.exp1() * mean_;
            ++next_;
        }
        return s.start + static_cast<uint64_t>(std::ceil(acc_));
    }

    // One burst interval at the segment's current rate for the burst of
    // local packets j_first..j_last (the catch-up spacing): the schedule's
    // own span from the lane's previous packet to the burst's last, but for
    // a burst pattern its on-time only (a gap is not a rate) and for poisson
    // the mean span.  The first burst of the lane or of a segment (no
    // previous packet in it) spans its packets at the segment's peak rate.
    uint64_t interval(uint64_t j_first, uint64_t j_last) {
        const uint64_t g1 = global_index(j_last);
        seek(g1);
        const ScheduleSegment& s = segs_[cur_];
        const uint64_t gp = j_first > 0 ? global_index(j_first - 1) : 0;
        if (j_first == 0 || gp < s.first) return ticks_for(g1 - global_index(j_first) + 1, s.peak_pps, hz_);
        const uint64_t i0 = gp - s.first, i1 = g1 - s.first;
        switch (s.kind) {
        case SegmentKind::kBurst: {
            const uint64_t on = ticks_for(s.on_packets, s.rate, hz_);
            auto active = [&](uint64_t i) { return (i / s.on_packets) * on + ticks_for(i % s.on_packets, s.rate, hz_); };
            return active(i1) - active(i0);
        }
        case SegmentKind::kPoisson: return ticks_for(i1 - i0, s.rate, hz_);
        default: return segment_due(s, i1, hz_) - segment_due(s, i0, hz_);
        }
    }

    size_t segment() const { return cur_; }

private:
    void seek(uint64_t g) {
        while (cur_ + 1 < nsegs_ && g >= segs_[cur_].first + segs_[cur_].count) enter(cur_ + 1);
    }
    void enter(size_t k) {
        cur_ = k;
        const ScheduleSegment& s = segs_[k];
        const uint64_t lane_peak = s.peak_pps * f_ / F_;
        burst_ = static_cast<uint32_t>(std::clamp<uint64_t>(lane_peak / 1000, 1, 32));
        if (s.kind == SegmentKind::kPoisson) {
            rng_.x = s.seed;
            next_ = 0;
            acc_ = 0;
            mean_ = static_cast<long double>(hz_) / static_cast<long double>(s.rate);
        }
    }

    const ScheduleSegment* segs_ = nullptr;
    size_t nsegs_ = 0, cur_ = 0;
    uint64_t hz_ = 1;
    uint64_t lo_ = 0, f_ = 1, F_ = 1;
    uint64_t global_ = 0, total_ = 0;
    uint32_t burst_ = 1;
    // poisson
    SplitMix64 rng_;
    uint64_t next_ = 0;
    long double acc_ = 0, mean_ = 0;
};

}  // namespace ebt
