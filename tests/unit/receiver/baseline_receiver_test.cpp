// receiver/baseline_receiver on loopback (no root): crafted datagrams with
// sequence gaps, a duplicate, a reorder, another test id, a flow out of
// range and garbage; the counters, the flows and the latency samples are
// asserted exactly, the flows against constants worked out by hand (not
// against ebt_flow_account, the code under test).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "baseline_receiver.hpp"
#include "clock_sync.hpp"
#include "packet.hpp"

namespace {

constexpr uint16_t kTestId = 77;

uint16_t test_port() { return static_cast<uint16_t>(40000 + getpid() % 20000); }

// The UDP payload of a test packet (header + padding to a 60-byte frame).
std::vector<uint8_t> payload(uint16_t test_id, uint16_t flow, uint32_t seq, uint64_t tx_ns) {
    ebt::FrameSpec spec;
    spec.test_id = test_id;
    spec.flows = 65536;
    std::vector<uint8_t> frame(ebt::kMinFrameLen);
    ebt::build_frame(frame.data(), spec, flow);
    ebt::stamp_frame(frame.data(), seq, tx_ns);
    return {frame.begin() + ebt::kTestHdrOffset, frame.end()};
}

class Sender {
public:
    explicit Sender(uint16_t port) : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
        to_.sin_family = AF_INET;
        to_.sin_port = htons(port);
        to_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    ~Sender() { close(fd_); }
    void send(const std::vector<uint8_t>& d) {
        ASSERT_EQ(sendto(fd_, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&to_), sizeof to_),
                  static_cast<ssize_t>(d.size()));
    }

private:
    int fd_;
    sockaddr_in to_{};
};

TEST(BaselineReceiver, CountsExactlyAsTheSharedAccounting) {
    ebt::BaselineConfig cfg;
    cfg.test_id = kTestId;
    cfg.flows = 3;
    cfg.address = "127.0.0.1";
    cfg.port = test_port();
    cfg.threads = 2;
    cfg.epoch_tai_ns = static_cast<uint64_t>(ebt::tai_now_ns());
    ebt::BaselineReceiver rx(cfg);
    Sender tx(cfg.port);
    tx.send(payload(kTestId, 0, 0, 0));   // before start(): discarded
    rx.start();

    // One socket per flow on loopback (same 4-tuple), so per-flow order is kept.
    struct Pkt {
        uint16_t flow;
        uint32_t seq;
    };
    const std::vector<Pkt> order = {{0, 0}, {0, 1}, {0, 4}, {0, 2},            // gap 2..3, 2 late
                                    {1, 0}, {1, 1}, {1, 1}, {1, 2},            // duplicate
                                    {2, 5}};                                   // first 5 lost
    uint64_t tx_ns = 1000;
    const auto sent_from = static_cast<uint64_t>(ebt::tai_now_ns());
    for (const auto& p : order) tx.send(payload(kTestId, p.flow, p.seq, tx_ns += 1000));
    tx.send(payload(kTestId + 1, 0, 9, 0));   // another test: stale
    tx.send(payload(kTestId, 3, 0, 0));       // flow out of range: bad flow
    tx.send({});                              // garbage: empty, short, wrong magic
    tx.send({0xEB});
    tx.send(std::vector<uint8_t>(32, 0));
    const uint64_t total = order.size() + 5;

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (rx.read_totals().rx_packets < total && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    rx.stop();
    const auto received_by = static_cast<uint64_t>(ebt::tai_now_ns());

    const ebt::CpuTotals t = rx.read_totals();
    EXPECT_EQ(t.rx_packets, total);
    EXPECT_EQ(t.test_packets, order.size());
    EXPECT_EQ(t.test_bytes, order.size() * ebt::kMinFrameLen);   // frame length rebuilt: 60
    EXPECT_EQ(t.stale_packets, 1u);
    EXPECT_EQ(t.bad_flow_packets, 1u);
    EXPECT_EQ(t.other_packets, 5u);   // stale + bad flow + 3 garbage

    // Expected per flow, worked out by hand from the sequence rules
    // (ebpf_test_shared.h), not by running the code under test:
    //  flow 0: 0, 1 in order (next 2); 4: gap of 2 (lost 2, next 5, window
    //          bits 1..2 = 0b110); 2: d = 5-1-2 = 2, bit 2 set: reordered,
    //          lost 1, window 0b010.
    //  flow 1: 0, 1 (next 2); 1 again: d = 0, bit 0 clear: duplicate; 2 in
    //          order (next 3, window 0).
    //  flow 2: 5 first: lost 0..4 (5), next 6, window bits 1..5 = 0b111110.
    struct Want {
        uint64_t packets, bytes, next_seq, lost, reordered, duplicates, late, missing;
    };
    const Want want[3] = {{4, 4 * 60, 5, 1, 1, 0, 0, 0b010},
                          {4, 4 * 60, 3, 0, 0, 1, 0, 0},
                          {1, 1 * 60, 6, 5, 0, 0, 0, 0b111110}};
    const auto got = rx.read_flows();
    ASSERT_EQ(got.size(), 3u);
    for (size_t f = 0; f < 3; ++f) {
        SCOPED_TRACE(f);
        EXPECT_EQ(got[f].packets, want[f].packets);
        EXPECT_EQ(got[f].bytes, want[f].bytes);
        EXPECT_EQ(got[f].next_seq, want[f].next_seq);
        EXPECT_EQ(got[f].lost, want[f].lost);
        EXPECT_EQ(got[f].reordered, want[f].reordered);
        EXPECT_EQ(got[f].duplicates, want[f].duplicates);
        EXPECT_EQ(got[f].late, want[f].late);
        EXPECT_EQ(got[f].missing, want[f].missing);
        // Arrival times are CLOCK_TAI readings taken while the test sent.
        EXPECT_GE(got[f].first_ns, sent_from);
        EXPECT_LE(got[f].first_ns, got[f].last_ns);
        EXPECT_LE(got[f].last_ns, received_by);
        EXPECT_EQ(got[f].lock.val, 0u);
    }
    EXPECT_EQ(got[2].first_ns, got[2].last_ns);   // one packet

    // One latency sample per test packet (negative ones counted apart).
    const ebt::LatencyTotals l = rx.read_latency();
    EXPECT_EQ(l.count + l.negative, order.size());
    const auto st = rx.read_stats();
    EXPECT_EQ(st.kernel_timestamps + st.user_timestamps, total);
}

TEST(BaselineReceiver, LatencyReadWhileRunningThrows) {
    ebt::BaselineConfig cfg;
    cfg.address = "127.0.0.1";
    cfg.port = static_cast<uint16_t>(test_port() + 1);
    ebt::BaselineReceiver rx(cfg);
    rx.start();
    EXPECT_THROW(rx.read_latency(), ebt::BaselineError);
    rx.stop();
    EXPECT_NO_THROW(rx.read_latency());
}

TEST(BaselineReceiver, BadAddressOrCountsAreErrors) {
    ebt::BaselineConfig cfg;
    cfg.address = "not-an-address";
    EXPECT_THROW(ebt::BaselineReceiver{cfg}, ebt::BaselineError);
    cfg.address = "198.51.100.7";   // not on this host: bind fails, naming it
    try {
        ebt::BaselineReceiver rx(cfg);
        ADD_FAILURE() << "bound an address this host does not have";
    } catch (const ebt::BaselineError& e) {
        EXPECT_NE(std::string(e.what()).find("198.51.100.7:9"), std::string::npos) << e.what();
    }
    cfg.address = "127.0.0.1";
    cfg.flows = 0;
    EXPECT_THROW(ebt::BaselineReceiver{cfg}, ebt::BaselineError);
    cfg.flows = 1;
    cfg.threads = 0;
    EXPECT_THROW(ebt::BaselineReceiver{cfg}, ebt::BaselineError);
}

}  // namespace
