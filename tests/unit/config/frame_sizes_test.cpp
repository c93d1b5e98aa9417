// frame_size_text: one size, imix and weighted lists with their exact mean
// (the same value as config's mean_frame_size), and no crash on a mix no
// loader would produce.
#include "frame_sizes.hpp"

#include <string>

#include <gtest/gtest.h>

#include "config.hpp"

using namespace ebt;

namespace {

TestConfig with_size(const std::string& size) {
    TestConfig c;
    // A plain number is a YAML integer; a mix is a string.
    const bool number = size.find_first_not_of("0123456789") == std::string::npos;
    const std::string value = number ? size : "\"" + size + "\"";
    apply_yaml_text(c, "traffic_config:\n  packet_size: " + value + "\n", "test");
    return c;
}

}  // namespace

TEST(FrameSizeText, FixedSize) {
    const TestConfig c = with_size("64");
    EXPECT_EQ(frame_size_text(c), "64 B");
    const FrameSizeMean m = exact_mean_frame_size(c);
    EXPECT_EQ(m.num, 64u);
    EXPECT_EQ(m.den, 1u);
}

TEST(FrameSizeText, ImixWithExactMean) {
    const TestConfig c = with_size("imix");
    EXPECT_EQ(frame_size_text(c), "imix (60:7, 566:4, 1514:1 as bytes:weight), mean 349.833 B (exactly 2099/6)");
    const FrameSizeMean m = exact_mean_frame_size(c);
    EXPECT_EQ(m.num, 2099u);  // (7*60 + 4*566 + 1514) / 12 = 4198/12
    EXPECT_EQ(m.den, 6u);
    // The same number config's rate resolution uses (both correctly rounded).
    EXPECT_EQ(static_cast<double>(m.num) / static_cast<double>(m.den), mean_frame_size(c));
}

TEST(FrameSizeText, WeightedLists) {
    EXPECT_EQ(frame_size_text(with_size("60:1,1514:1")), "mix (60:1, 1514:1 as bytes:weight), mean 787 B");
    EXPECT_EQ(frame_size_text(with_size("60:1,61:1")), "mix (60:1, 61:1 as bytes:weight), mean 60.5 B");
    EXPECT_EQ(frame_size_text(with_size("60:7,61:1")), "mix (60:7, 61:1 as bytes:weight), mean 60.125 B");
    // 961/16 = 60.0625: rounded (half up) to 3 places, with the exact value.
    EXPECT_EQ(frame_size_text(with_size("60:15,61:1")),
              "mix (60:15, 61:1 as bytes:weight), mean 60.063 B (exactly 961/16)");
    EXPECT_EQ(frame_size_text(with_size("100:3,200:1")), "mix (100:3, 200:1 as bytes:weight), mean 125 B");
    // A list that happens to be imix's is not called imix.
    EXPECT_EQ(frame_size_text(with_size("60:7,566:4,1514:1")).substr(0, 5), "mix (");
}

TEST(FrameSizeText, ZeroWeightsDoNotCrash) {
    TestConfig c;
    c.size_mix = {{60, 0}, {100, 0}};
    EXPECT_EQ(frame_size_text(c), "mix (60:0, 100:0 as bytes:weight), mean undefined (all weights 0)");
    EXPECT_EQ(exact_mean_frame_size(c).den, 0u);
}
