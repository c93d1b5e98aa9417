// DPDK port setup for the generator: one port (the first available unless
// told otherwise), N TX queues each with its own mbuf pool, RX queues sharing
// one pool (polled by rx_engine.hpp in tx mode; some PMDs need one anyway).  RAII: the destructor stops and
// closes the port and frees the pools.  Errors are PortError with a one-line
// message.  Requires rte_eal_init() first.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

struct rte_mempool;

namespace ebt {

class PortError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

inline constexpr uint16_t kAnyPort = 0xFFFF;

struct PortSetup {
    uint16_t port_id = kAnyPort;   // kAnyPort: the first available (rte_eth_find_next(0))
    uint16_t tx_queues = 1;
    uint16_t rx_queues = 1;
    uint32_t frame_len = 1500;     // largest frame to send (no FCS); sizes the mbuf data room
    bool vlan_tagged = false;      // frames carry an 802.1Q tag: the MTU is 4 bytes less
    uint32_t mbufs_per_queue = 0;  // 0: default_mbufs_per_queue()
    uint16_t tx_desc = 1024;       // adjusted to the PMD's limits
    uint16_t rx_desc = 512;
};

// 8191 per queue, fewer for big frames so that all pools stay within ~160 MB
// (fits --no-huge -m 256); at least 2047.
uint32_t default_mbufs_per_queue(uint32_t frame_len, uint16_t tx_queues);

// The first available port id; throws PortError "no DPDK port: ..." if none.
uint16_t first_port();

// The port's counters (rte_eth_stats) that the run reports.
struct PortCounters {
    uint64_t opackets = 0, obytes = 0, oerrors = 0;                  // TX
    uint64_t ipackets = 0, imissed = 0, ierrors = 0, rx_nombuf = 0;  // RX (tx mode)
};

class Port {
public:
    explicit Port(const PortSetup& setup);
    ~Port();
    Port(const Port&) = delete;
    Port& operator=(const Port&) = delete;

    uint16_t id() const { return port_id_; }
    const std::string& driver() const { return driver_; }
    const std::array<uint8_t, 6>& mac() const { return mac_; }
    uint32_t link_speed_mbps() const { return link_speed_mbps_; }  // 0 = unknown
    bool link_up() const { return link_up_; }
    uint16_t tx_queues() const { return static_cast<uint16_t>(pools_.size()); }
    uint16_t rx_queues() const { return rx_queues_; }
    rte_mempool* tx_pool(uint16_t queue) const { return pools_.at(queue); }
    uint64_t tx_offloads() const { return tx_offloads_; }
    bool fast_free() const;

    // Port-level counters (rte_eth_stats_get); zeros if the PMD fails.
    PortCounters counters() const;

    // Stops and closes the port and frees the pools (idempotent; the
    // destructor calls it).  net_pcap flushes its output file here.
    void close();

private:
    uint16_t port_id_ = 0;
    bool open_ = false;
    bool started_ = false;
    std::string driver_;
    std::array<uint8_t, 6> mac_{};
    uint32_t link_speed_mbps_ = 0;
    bool link_up_ = false;
    uint64_t tx_offloads_ = 0;
    std::vector<rte_mempool*> pools_;
    rte_mempool* rx_pool_ = nullptr;
    uint16_t rx_queues_ = 0;
};

}  // namespace ebt
