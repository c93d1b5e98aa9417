// generator/pattern_schedule.hpp and the catch-up rule (pacer.hpp) against
// a fake clock: burst, ramp, poisson and sequence schedules, exact totals
// across lcores, and the catch-up bound after a simulated stall.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "pacer.hpp"
#include "tx_plan.hpp"
#include "pattern_schedule.hpp"

using namespace ebt;

namespace {

constexpr uint64_t kHz = 2'400'000'017ull;  // awkward frequency

PatternConfig constant(uint64_t rate, double duration) {
    PatternConfig p;
    p.type = "constant";
    p.rate = rate;
    p.duration = duration;
    return p;
}
PatternConfig burst(uint64_t rate, double on, double gap, double duration) {
    PatternConfig p;
    p.type = "burst";
    p.burst_rate = rate;
    p.burst_duration = on;
    p.inter_burst_gap = gap;
    p.duration = duration;
    return p;
}
PatternConfig ramp(uint64_t from, uint64_t to, double over, double duration = 0) {
    PatternConfig p;
    p.type = "ramp";
    p.from = from;
    p.to = to;
    p.over = over;
    p.duration = duration;
    return p;
}
PatternConfig poisson(uint64_t rate, double duration, uint64_t seed) {
    PatternConfig p;
    p.type = "poisson";
    p.rate = rate;
    p.duration = duration;
    p.seed = seed;
    return p;
}

TestConfig with(std::vector<PatternConfig> patterns, double duration_s) {
    TestConfig c;
    c.patterns = std::move(patterns);
    c.duration_s = duration_s;
    validate(c);
    return c;
}

// Every global packet's due time, through one lane holding all flows.
std::vector<uint64_t> global_dues(const Schedule& s) {
    ScheduleLane lane(s, 0, 1, 1, s.total);
    std::vector<uint64_t> d(lane.total());
    for (uint64_t j = 0; j < d.size(); ++j) d[j] = lane.due(j);
    return d;
}

}  // namespace

TEST(Schedule, ConstantMatchesPacer) {
    const Schedule s = build_schedule(with({constant(14'880'952, 0.25)}, 1), kHz);
    ASSERT_EQ(s.segments.size(), 1u);
    EXPECT_EQ(s.total, 3'720'238u);  // round(14880952 * 0.25)
    Pacer pacer(kHz, 14'880'952, 0);
    ScheduleLane lane(s, 0, 1, 1, s.total);
    for (uint64_t k : {0ull, 1ull, 31ull, 1'000'000ull, 3'720'237ull}) EXPECT_EQ(lane.due(k), pacer.due_tsc(k));
}

TEST(Schedule, BurstShape) {
    // 1000 pps for 0.1 s (100 packets) every 0.3 s, for 1 s: 3 whole cycles
    // and a last 0.1 s that holds one more whole burst.
    const Schedule s = build_schedule(with({burst(1000, 0.1, 0.2, 1.0)}, 1), kHz);
    EXPECT_EQ(s.total, 400u);
    const auto d = global_dues(s);
    const uint64_t period = static_cast<uint64_t>(std::llround(0.3L * kHz));
    const uint64_t on = static_cast<uint64_t>(std::llround(0.1L * kHz));
    std::map<uint64_t, uint64_t> per_cycle;
    for (size_t k = 0; k < d.size(); ++k) {
        EXPECT_LT(d[k] % period, on) << "packet " << k << " in a gap";  // nothing in the gaps
        ++per_cycle[d[k] / period];
        if (k > 0) {
            EXPECT_GE(d[k], d[k - 1]);
        }
    }
    ASSERT_EQ(per_cycle.size(), 4u);
    for (const auto& [cycle, n] : per_cycle) EXPECT_EQ(n, 100u) << "cycle " << cycle;
    // A partial last burst: 0.95 s holds 3 cycles and 0.05 s of bursting.
    EXPECT_EQ(build_schedule(with({burst(1000, 0.1, 0.2, 0.95)}, 1), kHz).total, 350u);
}

TEST(Schedule, RampFollowsTheIntegral) {
    for (auto [a, b] : std::vector<std::pair<uint64_t, uint64_t>>{{1000, 101000}, {50000, 0}, {0, 7}, {3000, 3000}}) {
        const double T = 2.0;
        const Schedule s = build_schedule(with({ramp(a, b, T)}, T), kHz);
        EXPECT_EQ(s.total, static_cast<uint64_t>(std::llround((a + b) / 2.0 * T))) << a << "->" << b;
        const auto d = global_dues(s);
        for (size_t k = 1; k < d.size(); ++k) ASSERT_GE(d[k], d[k - 1]);
        // Packets due by t against the rate's integral, at many t.
        const long double Tt = static_cast<long double>(s.segments[0].length);
        for (int step = 0; step <= 1000; ++step) {
            const uint64_t t = static_cast<uint64_t>(Tt * step / 1000);
            const auto due_by_t = static_cast<long double>(std::upper_bound(d.begin(), d.end(), t) - d.begin());
            const long double x = t / static_cast<long double>(kHz);
            const long double integral = a * x + (static_cast<long double>(b) - a) * x * x / (2 * T);
            EXPECT_LE(std::fabs(due_by_t - integral), 1.0L) << a << "->" << b << " t=" << x;
        }
    }
}

TEST(Schedule, RampHoldsItsEndRate) {
    const Schedule s = build_schedule(with({ramp(0, 1000, 1, 3)}, 3), kHz);
    ASSERT_EQ(s.segments.size(), 2u);
    EXPECT_EQ(s.total, 500u + 2000u);
    EXPECT_EQ(s.segments[1].kind, SegmentKind::kConstant);
    EXPECT_EQ(s.segments[1].start, s.segments[0].length);
}

TEST(Schedule, PoissonMeanAndReproducibility) {
    const uint64_t rate = 100'000;
    const Schedule s = build_schedule(with({poisson(rate, 1, 42)}, 1), kHz);
    EXPECT_EQ(s.total, rate);
    const auto d = global_dues(s);
    // Gaps: exponential with mean hz / rate (sd of the mean 1/sqrt(n) = 0.3%),
    // coefficient of variation 1.
    double sum = 0, sq = 0;
    for (size_t k = 1; k < d.size(); ++k) {
        const double g = static_cast<double>(d[k] - d[k - 1]);
        sum += g;
        sq += g * g;
    }
    const double n = static_cast<double>(d.size() - 1);
    const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
    const double expect = static_cast<double>(kHz) / rate;
    EXPECT_NEAR(mean / expect, 1.0, 0.015);
    EXPECT_NEAR(sd / mean, 1.0, 0.03);
    // The same seed gives the same arrivals; another seed others.
    EXPECT_EQ(global_dues(build_schedule(with({poisson(rate, 1, 42)}, 1), kHz)), d);
    EXPECT_NE(global_dues(build_schedule(with({poisson(rate, 1, 43)}, 1), kHz)), d);
}

TEST(Schedule, LanesSplitTheGlobalScheduleExactly) {
    std::mt19937 rng(7);
    for (int iter = 0; iter < 40; ++iter) {
        const uint32_t F = 1 + rng() % 9;
        const uint32_t threads = 1 + rng() % std::min<uint32_t>(F, 4);
        const TestConfig cfg = with({constant(1000 + rng() % 5000, 0.5), burst(3000, 0.05, 0.1, 0.4),
                                     ramp(rng() % 4000, rng() % 4000 + 1, 0.3), poisson(2000, 0.2, rng())},
                                    2);
        const Schedule s = build_schedule(cfg, kHz);
        const auto global = global_dues(s);
        const uint64_t limit = iter % 3 == 0 ? rng() % (s.total + 1) : s.total;  // --count
        uint64_t sum = 0;
        std::vector<uint64_t> flow(F, 0);
        uint32_t lo = 0;
        for (uint32_t t = 0; t < threads; ++t) {
            const uint32_t f = F / threads + (t < F % threads ? 1 : 0);
            ScheduleLane lane(s, lo, f, F, limit);
            for (uint64_t j = 0; j < lane.total(); ++j) {
                const uint64_t g = lane.global_index(j);
                ASSERT_LT(g, limit);
                ASSERT_EQ(lane.due(j), global[g]) << "lane " << t << " packet " << j;
                ++flow[g % F];
            }
            // Bursts never cross a segment and never exceed the limit.
            ScheduleLane walk(s, lo, f, F, limit);
            for (uint64_t j = 0; j < walk.total();) {
                const uint32_t n = walk.burst_len(j, 32);
                ASSERT_GE(n, 1u);
                const size_t seg = walk.segment();
                walk.due(j + n - 1);
                ASSERT_EQ(walk.segment(), seg);
                j += n;
            }
            sum += lane.total();
            lo += f;
        }
        EXPECT_EQ(sum, limit);  // exact total, split over lcores
        for (uint32_t i = 0; i < F; ++i) EXPECT_LE(flow[0] - flow[i], 1u);  // round robin shares
    }
}

TEST(Schedule, SequenceStartsWhereThePreviousEnds) {
    const Schedule s = build_schedule(with({constant(1000, 1), burst(2000, 0.5, 0.5, 2), ramp(100, 200, 1), constant(10, 0)}, 5), kHz);
    ASSERT_EQ(s.segments.size(), 4u);
    EXPECT_EQ(s.segments[1].start, kHz);
    EXPECT_EQ(s.segments[2].start, 3 * kHz);
    EXPECT_EQ(s.segments[3].start, 4 * kHz);
    EXPECT_EQ(s.total, 1000u + 2000u + 150u + 10u);  // the last takes the rest: 1 s
    EXPECT_DOUBLE_EQ(s.duration_s, 5.0);
    uint64_t first = 0;
    for (const auto& seg : s.segments) {
        EXPECT_EQ(seg.first, first);
        first += seg.count;
    }
    const auto d = global_dues(s);
    for (const auto& seg : s.segments)  // every segment's packets due inside it
        for (uint64_t i = 0; i < seg.count; ++i) {
            EXPECT_GE(d[seg.first + i], seg.start);
            EXPECT_LE(d[seg.first + i], seg.start + seg.length);
        }
}

// The TX loop's pacing decisions (tx_engine.cpp) against a fake clock: a
// burst leaves when its last packet is due, through CatchUpGate.
struct SentBurst {
    uint64_t t, n;
};

std::vector<SentBurst> simulate(ScheduleLane lane, uint64_t stall_at, uint64_t stall_ticks, uint64_t step) {
    std::vector<SentBurst> out;
    CatchUpGate gate;
    uint64_t now = 0, queued = 0;
    bool stalled = false;
    while (queued < lane.total()) {
        const uint32_t n = lane.burst_len(queued, kMaxTxBurst);
        const uint64_t due = lane.due(queued + n - 1);
        const uint64_t span = lane.interval(queued, queued + n - 1);
        bool late = false;
        if (!gate.ready(now, due, span, late)) {
            now += step;
            continue;
        }
        if (!stalled && now >= stall_at) {  // the lcore descheduled
            stalled = true;
            now += stall_ticks;
            continue;
        }
        out.push_back({now, n});
        queued += n;
        now += step;
    }
    return out;
}

TEST(CatchUp, BoundedAfterAStall) {
    for (const TestConfig& cfg : {with({constant(100'000, 1)}, 1), with({ramp(20'000, 200'000, 1)}, 1),
                                  with({burst(200'000, 0.1, 0.1, 1)}, 1)}) {
        const Schedule s = build_schedule(cfg, kHz);
        ScheduleLane lane(s, 0, 1, 1, s.total);
        const uint64_t stall = kHz / 20;  // 50 ms
        const auto sent = simulate(lane, kHz / 4, stall, 200);
        uint64_t total = 0;
        for (const auto& b : sent) {
            EXPECT_LE(b.n, kMaxTxBurst);  // never a micro-burst bigger than one burst
            total += b.n;
        }
        EXPECT_EQ(total, s.total);  // exact total despite the stall
        // After a late burst (over one interval behind) the next leaves no
        // sooner than half the late one's schedule span: its n packets at no
        // more than twice the scheduled rate there.  And there was a stall.
        ScheduleLane check(s, 0, 1, 1, s.total);
        uint64_t idx = 0, late_bursts = 0;
        for (size_t k = 0; k < sent.size(); ++k) {
            const uint64_t last = idx + sent[k].n - 1;
            const uint64_t due = check.due(last);
            const uint64_t span = check.interval(idx, last);
            EXPECT_GE(sent[k].t, due);  // never early
            if (sent[k].t - due > span) {
                ++late_bursts;
                if (k + 1 < sent.size()) {
                    EXPECT_GE(sent[k + 1].t - sent[k].t, span / 2) << "burst " << k;
                }
            }
            idx += sent[k].n;
        }
        EXPECT_GT(late_bursts, 1u);
        EXPECT_GT(sent.back().t, 0u);
    }
}

TEST(Schedule, CountLimitsTheTotal) {
    const TestConfig cfg = with({constant(1000, 1), constant(2000, 1)}, 2);
    TestConfig c = cfg;
    c.flows = 3;
    c.threads = 2;
    PlanOptions o;
    o.tsc_hz = kHz;
    o.count = 1500;
    const TxPlan p = plan_tx(c, o);
    EXPECT_EQ(p.total_packets, 1500u);
    EXPECT_EQ(p.threads[0].total_packets + p.threads[1].total_packets, 1500u);
    EXPECT_EQ(p.threads[0].total_packets, 1000u);  // flows 0, 1 of 3
    o.count.reset();
    EXPECT_EQ(plan_tx(c, o).total_packets, 3000u);
}

TEST(Schedule, PlainConstantIsTheFastPath) {
    TestConfig c;
    c.patterns = {PatternConfig{}};
    EXPECT_FALSE(has_patterns(c));
    EXPECT_EQ(plan_tx(c).schedule, nullptr);
    c.patterns[0].duration = 5;
    EXPECT_TRUE(has_patterns(c));
}

TEST(Schedule, OutOfRangeIsAnError) {
    // 1e18 pps for 1000 s: no port sends that, and the count would not fit.
    EXPECT_THROW(build_schedule(with({constant(1'000'000'000'000'000'000ull, 1000)}, 1000), kHz), std::invalid_argument);
    EXPECT_THROW(build_schedule(with({burst(1'000'000'000'000'000'000ull, 1, 0, 100)}, 100), kHz), std::invalid_argument);
    // The last pattern taking "the rest" when nothing is left.
    EXPECT_THROW(build_schedule(with({constant(10, 1), constant(10, 0)}, 1), kHz), std::invalid_argument);
}

TEST(Schedule, CatchUpSpanIsTheRateNotTheGap) {
    const Schedule s = build_schedule(with({burst(1000, 0.1, 0.2, 1), constant(10, 1)}, 2), kHz);
    ScheduleLane lane(s, 0, 1, 1, s.total);
    const uint64_t one = ticks_for(1, 1000, kHz);
    EXPECT_NEAR(lane.interval(0, 0), one, 2);      // the first packet: one interval at the peak rate
    EXPECT_NEAR(lane.interval(100, 100), one, 2);  // first of the second burst: the gap is not counted
    EXPECT_NEAR(lane.interval(101, 104), ticks_for(4, 1000, kHz), 2);
    EXPECT_NEAR(lane.interval(400, 400), ticks_for(1, 10, kHz), 2);  // first of the next pattern
    EXPECT_NEAR(lane.interval(401, 402), ticks_for(2, 10, kHz), 2);  // (ceil: +-1 tick)
}

// The live output's current target: scheduled_packets_by() against the
// packets actually due (every deterministic kind within one packet per
// segment; poisson within a few standard deviations of its mean).
TEST(Schedule, ScheduledPacketsByMatchesTheDueTimes) {
    const Schedule s = build_schedule(
        with({constant(2000, 0.5), burst(4000, 0.05, 0.05, 0.5), ramp(1000, 9000, 0.5), constant(500, 0.5)}, 2), kHz);
    const auto d = global_dues(s);
    const uint64_t end = s.segments.back().start + s.segments.back().length;
    for (int step = 0; step <= 400; ++step) {
        const uint64_t t = end * static_cast<uint64_t>(step) / 400;
        const double due = static_cast<double>(std::upper_bound(d.begin(), d.end(), t) - d.begin());
        EXPECT_NEAR(scheduled_packets_by(s, t), due, static_cast<double>(s.segments.size()) + 1) << "t=" << t;
    }
    EXPECT_DOUBLE_EQ(scheduled_packets_by(s, 0), 0);
    EXPECT_DOUBLE_EQ(scheduled_packets_by(s, end + kHz), static_cast<double>(s.total));
    // A rate over a window: 1 s into the burst-then-ramp, the burst's on
    // time at 4000 pps is half of each 0.1 s cycle, so 2000 pps on average.
    const uint64_t b0 = s.segments[1].start, b1 = b0 + s.segments[1].length;
    EXPECT_NEAR((scheduled_packets_by(s, b1) - scheduled_packets_by(s, b0)) /
                    (static_cast<double>(b1 - b0) / static_cast<double>(kHz)),
                2000.0, 1.0);
    const Schedule p = build_schedule(with({poisson(10000, 1.0, 42)}, 1), kHz);
    const auto pd = global_dues(p);
    const uint64_t half = p.segments[0].length / 2;
    const double due = static_cast<double>(std::upper_bound(pd.begin(), pd.end(), half) - pd.begin());
    EXPECT_NEAR(scheduled_packets_by(p, half), due, 5 * std::sqrt(5000.0));
}
