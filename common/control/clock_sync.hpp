// Clock offset between the two machines from NTP-style four-timestamp
// exchanges (RFC 5905 on-wire calculation).  Per exchange, with the client's
// clock for t1/t4 and the server's for t2/t3:
//   offset = ((t2 - t1) + (t3 - t4)) / 2      server clock - client clock
//   delay  = (t4 - t1) - (t3 - t2)            round trip minus server time
// The true offset lies within offset +- delay/2 (any split of the path delay
// between the two directions), so the sample with the lowest delay gives the
// estimate with the smallest uncertainty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ebt {

struct ClockSample {
    int64_t t1 = 0;  // client send (client clock, ns)
    int64_t t2 = 0;  // server receive (server clock, ns)
    int64_t t3 = 0;  // server send (server clock, ns)
    int64_t t4 = 0;  // client receive (client clock, ns)
};

struct ClockOffset {
    int64_t offset_ns = 0;       // server - client
    int64_t uncertainty_ns = 0;  // half the chosen sample's delay
    int64_t delay_ns = 0;
    std::size_t samples = 0;     // exchanges used
};

// CLOCK_TAI now, in ns: the clock both sides stamp and sync (the XDP
// program reads the same clock with bpf_ktime_get_tai_ns).
int64_t tai_now_ns();

// Throws std::invalid_argument when there are no samples or a sample is
// impossible (t4 < t1, t3 < t2, or a negative delay).
ClockOffset estimate_clock_offset(const std::vector<ClockSample>& samples);

}  // namespace ebt
