#include "clock_sync.hpp"

#include <ctime>
#include <stdexcept>
#include <string>

namespace ebt {

int64_t tai_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_TAI, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

ClockOffset estimate_clock_offset(const std::vector<ClockSample>& samples) {
    if (samples.empty()) throw std::invalid_argument("clock sync: no samples");
    ClockOffset best;
    bool have = false;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const ClockSample& s = samples[i];
        const int64_t delay = (s.t4 - s.t1) - (s.t3 - s.t2);
        if (s.t4 < s.t1 || s.t3 < s.t2 || delay < 0)
            throw std::invalid_argument("clock sync: sample " + std::to_string(i) + " has impossible timestamps");
        if (have && delay >= best.delay_ns) continue;
        // Halve each difference before adding: no overflow for any clock values.
        best.offset_ns = (s.t2 - s.t1) / 2 + (s.t3 - s.t4) / 2;
        best.delay_ns = delay;
        // Round up so the interval always contains the truth.
        best.uncertainty_ns = (delay + 1) / 2 + 1;
        have = true;
    }
    best.samples = samples.size();
    return best;
}

}  // namespace ebt
