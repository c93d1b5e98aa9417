#include "frame_sizes.hpp"

#include <numeric>

namespace ebt {

FrameSizeMean exact_mean_frame_size(const TestConfig& cfg) {
    if (cfg.size_mix.empty()) return {cfg.packet_size, 1};
    // Sizes <= 9000 and weights <= 1000 (validate): no overflow in 64 bits
    // for any mix that fits in memory.
    uint64_t sum = 0, weights = 0;
    for (const auto& m : cfg.size_mix) {
        sum += uint64_t{m.size} * m.weight;
        weights += m.weight;
    }
    if (weights == 0) return {0, 0};
    const uint64_t g = std::gcd(sum, weights);
    return {sum / g, weights / g};
}

namespace {

// num/den in decimal with 3 places, rounded half up; exact tells whether
// that is the value itself.
std::string decimal3(uint64_t num, uint64_t den, bool& exact) {
    const unsigned __int128 scaled = static_cast<unsigned __int128>(num) * 1000u;
    const auto q = static_cast<uint64_t>(scaled / den);
    const auto rem = static_cast<uint64_t>(scaled % den);
    exact = rem == 0;
    const uint64_t r = q + (rem * 2 >= den ? 1u : 0u);
    std::string out = std::to_string(r / 1000);
    uint64_t frac = r % 1000;
    if (frac == 0) return out;
    std::string digits = std::to_string(frac);
    digits.insert(0, 3 - digits.size(), '0');
    if (exact)  // an exact value needs no trailing zeros
        while (digits.back() == '0') digits.pop_back();
    return out + "." + digits;
}

}  // namespace

std::string frame_size_text(const TestConfig& cfg) {
    if (cfg.size_mix.empty()) return std::to_string(cfg.packet_size) + " B";
    std::string out = cfg.size_imix ? "imix (" : "mix (";
    bool first = true;
    for (const auto& m : cfg.size_mix) {
        out += (first ? "" : ", ") + std::to_string(m.size) + ":" + std::to_string(m.weight);
        first = false;
    }
    out += " as bytes:weight), mean ";
    const FrameSizeMean mean = exact_mean_frame_size(cfg);
    if (mean.den == 0) return out + "undefined (all weights 0)";
    bool exact = false;
    out += decimal3(mean.num, mean.den, exact) + " B";
    if (!exact) out += " (exactly " + std::to_string(mean.num) + "/" + std::to_string(mean.den) + ")";
    return out;
}

}  // namespace ebt
