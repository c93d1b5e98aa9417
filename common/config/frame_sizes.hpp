// The configured frame size as people read it: one size, or the size mix
// (--size imix, --size 60:7,566:4,...) with its exact weighted mean.
//
// Why: with a mix, packet_size holds only the largest size, so printing it
// alone ("frame size 1514") misstates an IMIX run.  Sizes are Ethernet
// frames without the 4-byte FCS, as packet_size counts them.  The mean as a
// double is config's mean_frame_size(); this file adds its exact fraction.
#pragma once

#include <cstdint>
#include <string>

#include "config.hpp"

namespace ebt {

// The weighted mean frame size as a reduced fraction num/den (den >= 1):
// sum(size x weight) / sum(weight), or packet_size / 1 without a mix.
// den == 0 only for a mix whose weights are all 0 (validate() refuses that).
struct FrameSizeMean {
    uint64_t num = 0;
    uint64_t den = 1;
};
FrameSizeMean exact_mean_frame_size(const TestConfig& cfg);

// "1500 B" for one size;
// "imix (60:7, 566:4, 1514:1 as bytes:weight), mean 349.833 B (exactly 2099/6)";
// "mix (60:1, 1514:1 as bytes:weight), mean 787 B" (a mean that is an exact
// decimal of at most 3 places is written as it is, else rounded to 3 places
// and followed by the exact fraction).
std::string frame_size_text(const TestConfig& cfg);

}  // namespace ebt
