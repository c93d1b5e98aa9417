// common/wire/pcap_reader: files written with libpcap's pcap_dump API and raw
// bytes.
#include <gtest/gtest.h>

#include "frames.hpp"  // tests/support
#include "pcap_file.hpp"
#include "temp_dir.hpp"

#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "packet.hpp"
#include "pcap_reader.hpp"

using namespace ebt;

namespace {

using ebt::test::arp_frame;
using Rec = ebt::test::PcapRecord;
using ebt::test::TempDir;
using ebt::test::test_frame;
using ebt::test::write_pcap;

std::string error_of(const std::string& path, const PcapLimits& lim = {}) {
    try {
        (void)read_pcap(path, lim);
    } catch (const PcapError& e) {
        return e.what();
    }
    return "";
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(PcapReader, ReadsFramesLengthsAndMicrosecondTimestamps) {
    TempDir dir("ebt_pcap_reader_");
    const std::string p = dir.str() + "/a.pcap";
    const std::vector<Rec> recs = {{test_frame(60, 0), 1'700'000'000'000'001'000ull},
                                   {test_frame(1514, 1), 1'700'000'000'000'251'000ull},
                                   {arp_frame(), 1'700'000'001'000'000'000ull}};
    write_pcap(p, recs);
    const PcapCapture c = read_pcap(p);
    EXPECT_EQ(c.name, p);
    ASSERT_EQ(c.records.size(), 3u);
    EXPECT_EQ(c.bytes, 60u + 1514u + 60u);
    EXPECT_EQ(c.max_len, 1514u);
    for (size_t i = 0; i < recs.size(); ++i) {
        EXPECT_EQ(c.records[i].len, recs[i].bytes.size());
        EXPECT_EQ(c.records[i].ts_ns, recs[i].ts_ns);
        EXPECT_EQ(std::memcmp(c.frame(i), recs[i].bytes.data(), recs[i].bytes.size()), 0) << i;
    }
}

TEST(PcapReader, NanosecondFilesKeepNanoseconds) {
    TempDir dir("ebt_pcap_reader_");
    const std::string p = dir.str() + "/ns.pcap";
    write_pcap(p, {{test_frame(60, 0), 5'000'000'123ull}, {test_frame(60, 0), 5'000'000'124ull}}, DLT_EN10MB, true);
    const PcapCapture c = read_pcap(p);
    ASSERT_EQ(c.records.size(), 2u);
    EXPECT_EQ(c.records[0].ts_ns, 5'000'000'123ull);
    EXPECT_EQ(c.records[1].ts_ns, 5'000'000'124ull);
}

TEST(PcapReader, BytesInMemoryReadLikeTheFile) {
    TempDir dir("ebt_pcap_reader_");
    const std::string p = dir.str() + "/m.pcap";
    write_pcap(p, {{test_frame(100, 3), 1000}, {arp_frame(), 2000}});
    std::ifstream in(p, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const PcapCapture a = read_pcap(p), b = read_pcap_bytes(bytes.data(), bytes.size(), "mem");
    EXPECT_EQ(a.data, b.data);
    ASSERT_EQ(b.records.size(), 2u);
    EXPECT_EQ(b.records[1].ts_ns, a.records[1].ts_ns);
    EXPECT_TRUE(has(error_of(dir.str() + "/none"), dir.str() + "/none"));
    try {
        (void)read_pcap_bytes(bytes.data(), 30, "mem");  // header plus part of a record header
        ADD_FAILURE() << "a cut file was accepted";
    } catch (const PcapError& e) {
        EXPECT_TRUE(has(e.what(), "mem: ")) << e.what();
    }
}

TEST(PcapReader, BadFilesAreRefusedNamingFileAndCause) {
    TempDir dir("ebt_pcap_reader_");
    const std::string d = dir.str();
    // Missing.
    EXPECT_TRUE(has(error_of(d + "/missing.pcap"), d + "/missing.pcap: "));
    // Not a pcap file.
    {
        std::ofstream(d + "/text.pcap") << "this is not a capture file, just some text\n";
        const std::string e = error_of(d + "/text.pcap");
        EXPECT_TRUE(has(e, d + "/text.pcap: ")) << e;
    }
    // Another link type.
    {
        write_pcap(d + "/raw.pcap", {{std::vector<uint8_t>(40, 0x45), 0}}, DLT_RAW);
        const std::string e = error_of(d + "/raw.pcap");
        EXPECT_TRUE(has(e, d + "/raw.pcap: link type")) << e;
        EXPECT_TRUE(has(e, "RAW")) << e;
        EXPECT_TRUE(has(e, "expected Ethernet")) << e;
    }
    // No records.
    write_pcap(d + "/empty.pcap", {});
    EXPECT_TRUE(has(error_of(d + "/empty.pcap"), "no records")) << error_of(d + "/empty.pcap");
    // A truncated record (snaplen shorter than the frame).
    write_pcap(d + "/snap.pcap", {{test_frame(60, 0), 0}, {std::vector<uint8_t>(64, 1), 1, 1514}});
    EXPECT_TRUE(has(error_of(d + "/snap.pcap"), "record 2: truncated (64 of 1514 bytes captured)"))
        << error_of(d + "/snap.pcap");
    // Captured over the original length: no valid record.
    write_pcap(d + "/over.pcap", {{test_frame(60, 0), 0}, {std::vector<uint8_t>(64, 1), 1, 60}});
    EXPECT_TRUE(has(error_of(d + "/over.pcap"), "record 2: 64 bytes captured of a 60-byte frame: not a valid record"))
        << error_of(d + "/over.pcap");
    // Too short and too long.
    write_pcap(d + "/short.pcap", {{std::vector<uint8_t>(13, 0), 0}});
    EXPECT_TRUE(has(error_of(d + "/short.pcap"), "record 1: 13-byte frame, expected 14..9000"))
        << error_of(d + "/short.pcap");
    write_pcap(d + "/long.pcap", {{test_frame(60, 0), 0}, {test_frame(60, 0), 1}, {std::vector<uint8_t>(9001, 0), 2}});
    EXPECT_TRUE(has(error_of(d + "/long.pcap"), "record 3: 9001-byte frame")) << error_of(d + "/long.pcap");
    // Cut in the middle of a record.
    {
        write_pcap(d + "/cut.pcap", {{test_frame(60, 0), 0}, {test_frame(200, 0), 1}});
        std::filesystem::resize_file(d + "/cut.pcap", std::filesystem::file_size(d + "/cut.pcap") - 50);
        const std::string e = error_of(d + "/cut.pcap");
        EXPECT_TRUE(has(e, d + "/cut.pcap: record 2: ")) << e;
    }
    // The limits.
    write_pcap(d + "/three.pcap", {{test_frame(60, 0), 0}, {test_frame(60, 0), 1}, {test_frame(60, 0), 2}});
    EXPECT_TRUE(has(error_of(d + "/three.pcap", {2, 1 << 20}), "more than 2 records")) << error_of(d + "/three.pcap", {2, 1 << 20});
    EXPECT_TRUE(has(error_of(d + "/three.pcap", {10, 150}), "more than 150 bytes of frames (the replay limit) at record 3"))
        << error_of(d + "/three.pcap", {10, 150});
    EXPECT_EQ(error_of(d + "/three.pcap", {3, 180}), "");
}

// The format's seconds are unsigned 32-bit: after 2038-01-19 (top bit set)
// they stay in order and 1 us apart, not wrapped.
TEST(PcapReader, TimestampsAfter2038) {
    TempDir t("ebt_pcap_reader_");
    const std::string f = t.str() + "/y2038.pcap";
    const uint64_t s0 = 0x7FFFFFFFull;  // the last second before the sign bit
    write_pcap(f, {{test_frame(60, 0), s0 * 1000000000u + 999999000u}, {test_frame(60, 0), (s0 + 1) * 1000000000u}});
    const PcapCapture c = read_pcap(f);
    ASSERT_EQ(c.records.size(), 2u);
    EXPECT_EQ(c.records[0].ts_ns, s0 * 1000000000u + 999999000u);
    EXPECT_EQ(c.records[1].ts_ns, (s0 + 1) * 1000000000u);
    EXPECT_EQ(c.records[1].ts_ns - c.records[0].ts_ns, 1000u);
}
