// generator/seq_faults: the test-only --test-seq-faults parser.
#include <gtest/gtest.h>

#include "config.hpp"
#include "seq_faults.hpp"

using namespace ebt;

TEST(SeqFaults, ParsesAndSorts) {
    const auto v = parse_seq_faults("swap:2:7,skip:0:3,dup:0:1", 4);
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0], (SeqFault{SeqFaultKind::kDup, 0, 1}));
    EXPECT_EQ(v[1], (SeqFault{SeqFaultKind::kSkip, 0, 3}));
    EXPECT_EQ(v[2], (SeqFault{SeqFaultKind::kSwap, 2, 7}));
}

TEST(SeqFaults, SplitsPerLcore) {
    const auto v = parse_seq_faults("skip:0:3,dup:5:1,swap:7:0", 8);
    const auto hi = faults_for_flows(v, 4, 4);
    ASSERT_EQ(hi.size(), 2u);
    EXPECT_EQ(hi[0], (SeqFault{SeqFaultKind::kDup, 1, 1}));
    EXPECT_EQ(hi[1], (SeqFault{SeqFaultKind::kSwap, 3, 0}));
    EXPECT_EQ(faults_for_flows(v, 0, 4).size(), 1u);
}

TEST(SeqFaults, RejectsBadSpecs) {
    for (const char* bad : {"", "skip", "skip:1", "drop:0:1", "skip:4:1", "skip:-1:1", "skip:0:x",
                            "skip:0:4294967296", "skip:0:1,", "skip:0:1,skip:0:1", "swap:0:1,dup:0:2",
                            "swap:0:4294967295", "skip:0:1:2"}) {
        try {
            parse_seq_faults(bad, 4);
            ADD_FAILURE() << "accepted \"" << bad << "\"";
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find("--test-seq-faults"), std::string::npos) << e.what();
        }
    }
}
