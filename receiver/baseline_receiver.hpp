// `xdp-recv --mode baseline`: the same measurement without XDP, for
// comparison.  A userspace receiver: one UDP socket per receive thread, all
// bound with SO_REUSEPORT to the test's destination address and port, each
// drained with recvmmsg.  Every datagram is accounted exactly as the XDP
// program accounts a frame: the header decoded by parse_test_header
// (common/wire/packet.hpp), the per-flow state updated by ebt_flow_account under
// the flow's lock, the latency by ebt_latency_account (bpf/ebpf_test_shared.h),
// so the two modes' reports compare field for field.
//
// Differences that cannot be avoided, stated in the report:
//  - only datagrams the kernel delivers to the sockets are seen (the XDP
//    program sees every frame on the interface): rx_packets/other_packets
//    count what reached the sockets;
//  - bytes are the frame length reconstructed from the datagram (Ethernet
//    14 + the test's VLAN tag 4 if any + IP header 20/40 + UDP 8 + payload;
//    no IP options), the frame length of every packet dpdk-gen builds;
//  - arrival time is the kernel's software RX timestamp (SO_TIMESTAMPNS,
//    CLOCK_REALTIME) mapped to CLOCK_TAI by the kernel's TAI offset (whole
//    seconds, exact), else CLOCK_TAI read after recvmmsg (counted).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <linux/types.h>

#include "ebpf_test_shared.h"
#include "xdp_program.hpp"   // UniqueFd, CpuTotals, LatencyTotals

namespace ebt {

class BaselineError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct BaselineConfig {
    uint16_t test_id = 0;
    uint32_t flows = 1;               // 1..EBT_MAX_FLOWS
    bool any_test_id = false;         // standalone: every test id counts
    uint64_t epoch_tai_ns = 0;        // 0 = unknown: no latency
    int64_t clock_offset_ns = 0;      // receiver clock - generator clock
    int64_t clock_uncertainty_ns = -1;   // reported only
    std::string address;              // destination IP the sockets bind to (IPv4 or IPv6 text)
    uint16_t port = 9;                // destination UDP port
    uint32_t vlan_bytes = 0;          // 4 when the test's frames carry an 802.1Q tag (the kernel strips it)
    unsigned threads = 1;             // receive threads = sockets, 1..kMaxBaselineThreads
};

inline constexpr unsigned kMaxBaselineThreads = 256;

// Counting state that only the receive threads write; read with relaxed
// atomics while they run (totals), or after stop() (latency).
struct BaselineStats {
    uint64_t kernel_timestamps = 0;   // datagrams timed by SO_TIMESTAMPNS
    uint64_t user_timestamps = 0;     // datagrams timed by clock_gettime after recvmmsg
    uint64_t socket_drops = 0;        // SO_RXQ_OVFL: datagrams the socket queues dropped (all sockets)
};

class BaselineReceiver {
public:
    // Opens and binds the sockets (SO_REUSEPORT, SO_TIMESTAMPNS, SO_RXQ_OVFL,
    // a large receive buffer) and sizes the flow table.  Throws BaselineError
    // naming the address, port and errno (address not on this host, port
    // taken without SO_REUSEPORT, ...).
    explicit BaselineReceiver(const BaselineConfig& cfg);
    ~BaselineReceiver();
    BaselineReceiver(const BaselineReceiver&) = delete;
    BaselineReceiver& operator=(const BaselineReceiver&) = delete;

    // Discards what queued on the sockets since they were bound, zeroes every
    // counter and starts the receive threads.  Once only.
    void start();
    // Stops and joins the receive threads (idempotent; the destructor too).
    // Datagrams still queued are not counted (as the XDP path's final read).
    void stop();
    bool running() const { return !threads_.empty(); }

    const BaselineConfig& config() const { return cfg_; }
    // The totals summed over threads: same fields as the XDP program's
    // per-CPU counters.  Safe while running.
    CpuTotals read_totals() const;
    // Per-flow state, index = flow id, lock 0.  Each flow copied under its
    // lock.  Safe while running.
    std::vector<ebt_flow_state> read_flows() const;
    // The merged latency histogram.  Call after stop().
    LatencyTotals read_latency() const;
    // The latency count and sum so far, any time (each read atomically;
    // a packet being accounted at that moment may be in one and not yet in
    // the other).
    std::pair<uint64_t, uint64_t> latency_count_sum() const;
    BaselineStats read_stats() const;
    // TAI - UTC (s) used to map kernel timestamps; -1 when the kernel's offset
    // could not be confirmed (then every packet is timed in user space).
    int tai_offset_s() const { return tai_offset_s_; }

private:
    struct alignas(64) Thread {
        ebt_cpu_counters counters{};
        ebt_latency latency{};
        BaselineStats stats{};
        uint32_t last_drops = 0;      // SO_RXQ_OVFL is cumulative per socket
    };

    void run(unsigned idx);
    void account(Thread& t, const uint8_t* payload, size_t got, uint64_t datagram_len, uint64_t now_tai);

    BaselineConfig cfg_;
    int ip_header_len_ = 20;          // 20 (IPv4) or 40 (IPv6): frame length reconstruction
    int tai_offset_s_ = -1;
    std::vector<UniqueFd> sockets_;
    std::vector<ebt_flow_state> flows_;
    std::vector<std::unique_ptr<Thread>> state_;
    UniqueFd stop_fd_;                // eventfd: wakes threads blocked in poll
    std::atomic<bool> stop_{false};
    std::vector<std::thread> threads_;
    bool started_ = false;
};

// The CPU count the baseline uses by default (online CPUs, at least 1).
unsigned default_baseline_threads();

}  // namespace ebt
