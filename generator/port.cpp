#include "port.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "packet.hpp"

namespace ebt {

namespace {

std::string rte_err(int rc) {
    return std::string(rte_strerror(rc < 0 ? -rc : rc));
}

[[noreturn]] void fail(uint16_t port, const std::string& what) {
    throw PortError("port " + std::to_string(port) + ": " + what);
}

// How to get more queues from a virtual device: its devarg.
std::string queue_devarg_hint(const std::string& driver, uint16_t n) {
    const std::string q = std::to_string(n);
    if (driver == "net_af_packet") return ": give the vdev qpairs=" + q + " (e.g. --vdev net_af_packet0,iface=eth0,qpairs=" + q + ")";
    if (driver == "net_af_xdp")
        return ": give the vdev queue_count=" + q + " (and start_queue=; the interface needs that many combined "
               "channels: ethtool -L IFACE combined " + q + ")";
    if (driver == "net_pcap") return ": give the vdev one tx_pcap= (or tx_iface=) per queue";
    return "";
}

// How to raise the largest frame, where it can be raised.
std::string jumbo_hint(const std::string& driver) {
    if (driver == "net_af_packet")
        return "net_af_packet in DPDK 22.11 reports a fixed 1518-byte max_rx_pktlen: use a smaller --size, "
               "net_af_xdp (frames up to about 3.5 KB), or a NIC with jumbo frames";
    if (driver == "net_af_xdp")
        return "net_af_xdp's frames are one page of its UMEM, and DPDK 22.11's PMD has no multi-buffer "
               "support: use a smaller --size or a NIC with jumbo frames";
    return "Raise the port's limit (the NIC's jumbo frame support) or use a smaller --size";
}

uint32_t data_room_for(uint32_t frame_len) {
    const uint32_t need = frame_len + RTE_PKTMBUF_HEADROOM;
    const uint32_t room = std::max<uint32_t>(RTE_MBUF_DEFAULT_BUF_SIZE, need);
    return (room + 63u) & ~63u;  // keep elements cache-line sized
}

}  // namespace

uint32_t default_mbufs_per_queue(uint32_t frame_len, uint16_t tx_queues) {
    const uint64_t elt = data_room_for(frame_len) + sizeof(struct rte_mbuf) + 64;  // + mempool header
    const uint64_t budget_total = 160ull << 20;
    const uint64_t per_queue_budget = std::min<uint64_t>(64ull << 20, budget_total / std::max<uint16_t>(tx_queues, 1));
    uint64_t n = per_queue_budget / elt;
    // Mempools are most efficient at 2^k - 1 elements.
    uint64_t p = 1;
    while (p * 2 - 1 <= n) p *= 2;
    n = p - 1;
    return static_cast<uint32_t>(std::clamp<uint64_t>(n, 2047, 8191));
}

uint16_t first_port() {
    const uint64_t id = rte_eth_find_next(0);
    if (id >= RTE_MAX_ETHPORTS) throw PortError("no DPDK port: pass a --vdev or bind a NIC");
    return static_cast<uint16_t>(id);
}

Port::Port(const PortSetup& s) {
    port_id_ = s.port_id == kAnyPort ? first_port() : s.port_id;
    if (!rte_eth_dev_is_valid_port(port_id_))
        throw PortError("no DPDK port " + std::to_string(port_id_) + ": pass a --vdev or bind a NIC");
    if (s.tx_queues == 0) fail(port_id_, "tx_queues must be >= 1");

    rte_eth_dev_info info;
    int rc = rte_eth_dev_info_get(port_id_, &info);
    if (rc != 0) fail(port_id_, "rte_eth_dev_info_get: " + rte_err(rc));
    driver_ = info.driver_name ? info.driver_name : "?";
    const std::string who = "(" + driver_ + ")";

    if (info.max_tx_queues < s.tx_queues)
        fail(port_id_, who + " has " + std::to_string(info.max_tx_queues) + " TX queue(s), " +
                           std::to_string(s.tx_queues) + " requested (one per TX thread)" +
                           queue_devarg_hint(driver_, s.tx_queues));
    const uint16_t rxq = std::max<uint16_t>(s.rx_queues, 1);
    if (info.max_rx_queues < rxq)
        fail(port_id_, who + " has " + std::to_string(info.max_rx_queues) + " RX queue(s), " +
                           std::to_string(rxq) + " requested" + queue_devarg_hint(driver_, rxq));

    // The MTU counts the bytes after the Ethernet header and the VLAN tag;
    // the port's largest frame is the smaller of its max_mtu and its
    // max_rx_pktlen less the Ethernet header and FCS (ethdev's rule).
    const uint32_t l2_hdr = kEthHdrLen + (s.vlan_tagged ? kVlanTagLen : 0);
    const uint32_t l3_len = s.frame_len > l2_hdr ? s.frame_len - l2_hdr : 0;
    const uint32_t pktlen_mtu = info.max_rx_pktlen > kEthHdrLen + 4 ? info.max_rx_pktlen - kEthHdrLen - 4 : 0;
    const uint32_t max_l3 = std::min<uint32_t>(info.max_mtu, pktlen_mtu);
    if (l3_len > max_l3) {
        const bool by_pktlen = pktlen_mtu < info.max_mtu;
        fail(port_id_, who + " takes frames of at most " + std::to_string(max_l3 + l2_hdr) + " bytes (MTU " +
                           std::to_string(max_l3) + ", its " +
                           (by_pktlen ? "max_rx_pktlen " + std::to_string(info.max_rx_pktlen) +
                                            " less 18 bytes of Ethernet header and FCS"
                                      : "max_mtu") +
                           "); a " + std::to_string(s.frame_len) + "-byte frame needs MTU " + std::to_string(l3_len) +
                           ". " + jumbo_hint(driver_));
    }
    rte_eth_conf conf;
    std::memset(&conf, 0, sizeof conf);
    if (l3_len > RTE_ETHER_MTU) conf.rxmode.mtu = l3_len;
    if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
    tx_offloads_ = conf.txmode.offloads;

    rc = rte_eth_dev_configure(port_id_, rxq, s.tx_queues, &conf);
    if (rc != 0) fail(port_id_, who + " rte_eth_dev_configure(" + std::to_string(rxq) + " rx, " +
                                    std::to_string(s.tx_queues) + " tx, mtu " +
                                    std::to_string(conf.rxmode.mtu) + "): " + rte_err(rc));
    open_ = true;  // from here on close() must run on failure

    try {
        uint16_t nb_rxd = s.rx_desc, nb_txd = s.tx_desc;
        rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id_, &nb_rxd, &nb_txd);
        if (rc != 0) fail(port_id_, "rte_eth_dev_adjust_nb_rx_tx_desc: " + rte_err(rc));

        int socket = rte_eth_dev_socket_id(port_id_);
        if (socket < 0) socket = static_cast<int>(rte_socket_id());
        const uint32_t room = data_room_for(s.frame_len);
        const uint32_t per_queue = s.mbufs_per_queue ? s.mbufs_per_queue
                                                     : default_mbufs_per_queue(s.frame_len, s.tx_queues);
        const uint32_t cache = std::min<uint32_t>(RTE_MEMPOOL_CACHE_MAX_SIZE, per_queue / 16);
        if (per_queue < nb_txd + 2u * cache + 64u)
            fail(port_id_, std::to_string(per_queue) + " mbufs per queue cannot cover " +
                               std::to_string(nb_txd) + " TX descriptors + cache " +
                               std::to_string(cache) + " + 2 bursts");
        if (room > UINT16_MAX) fail(port_id_, "mbuf data room " + std::to_string(room) + " too big");

        for (uint16_t q = 0; q < s.tx_queues; ++q) {
            char name[RTE_MEMPOOL_NAMESIZE];
            std::snprintf(name, sizeof name, "ebt_tx%u_%u", port_id_, q);
            rte_mempool* mp = rte_pktmbuf_pool_create(name, per_queue, cache, 0,
                                                      static_cast<uint16_t>(room), socket);
            if (mp == nullptr)
                fail(port_id_, "mbuf pool " + std::string(name) + " (" + std::to_string(per_queue) +
                                   " x " + std::to_string(room) + " B): " + rte_err(rte_errno) +
                                   " (more memory: -m, hugepages, or fewer threads)");
            pools_.push_back(mp);
        }
        {
            char name[RTE_MEMPOOL_NAMESIZE];
            std::snprintf(name, sizeof name, "ebt_rx%u", port_id_);
            uint32_t n = std::max<uint32_t>(2u * nb_rxd * rxq, 1023);
            // net_af_xdp makes this pool its UMEM: per queue the fill ring
            // takes 2048 mbufs at setup (ETH_AF_XDP_DFLT_NUM_DESCS), and every
            // frame sent from another pool is copied into one of these until
            // its completion (TX ring nb_rxd, completion ring 2048).
            if (driver_ == "net_af_xdp") n = std::max<uint32_t>(n, rxq * (4096u + 2u * nb_rxd) + 1024u);
            rx_pool_ = rte_pktmbuf_pool_create(name, n, 64, 0,
                                               static_cast<uint16_t>(data_room_for(s.frame_len)), socket);
            if (rx_pool_ == nullptr)
                fail(port_id_, "mbuf pool " + std::string(name) + ": " + rte_err(rte_errno));
        }

        rte_eth_txconf txconf = info.default_txconf;
        txconf.offloads = conf.txmode.offloads;
        for (uint16_t q = 0; q < s.tx_queues; ++q) {
            rc = rte_eth_tx_queue_setup(port_id_, q, nb_txd, static_cast<unsigned>(socket), &txconf);
            if (rc != 0)
                fail(port_id_, "rte_eth_tx_queue_setup(queue " + std::to_string(q) + ", " +
                                   std::to_string(nb_txd) + " desc): " + rte_err(rc));
        }
        for (uint16_t q = 0; q < rxq; ++q) {
            rc = rte_eth_rx_queue_setup(port_id_, q, nb_rxd, static_cast<unsigned>(socket), nullptr, rx_pool_);
            if (rc != 0)
                fail(port_id_, "rte_eth_rx_queue_setup(queue " + std::to_string(q) + "): " + rte_err(rc));
        }

        rx_queues_ = rxq;
        rc = rte_eth_dev_start(port_id_);
        if (rc != 0) fail(port_id_, who + " rte_eth_dev_start: " + rte_err(rc));
        started_ = true;

        rte_ether_addr addr;
        if (rte_eth_macaddr_get(port_id_, &addr) == 0) std::memcpy(mac_.data(), addr.addr_bytes, 6);

        rte_eth_link link;
        std::memset(&link, 0, sizeof link);
        if (rte_eth_link_get_nowait(port_id_, &link) == 0) {
            link_up_ = link.link_status == RTE_ETH_LINK_UP;
            link_speed_mbps_ = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
        }
    } catch (...) {
        close();
        throw;
    }
}

Port::~Port() { close(); }

bool Port::fast_free() const { return (tx_offloads_ & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) != 0; }

PortCounters Port::counters() const {
    PortCounters c;
    rte_eth_stats st;
    if (open_ && rte_eth_stats_get(port_id_, &st) == 0)
        c = {st.opackets, st.obytes, st.oerrors, st.ipackets, st.imissed, st.ierrors, st.rx_nombuf};
    return c;
}

void Port::close() {
    if (open_) {
        if (started_) rte_eth_dev_stop(port_id_);
        rte_eth_dev_close(port_id_);
        open_ = started_ = false;
    }
    for (rte_mempool* mp : pools_) rte_mempool_free(mp);
    pools_.clear();
    if (rx_pool_) rte_mempool_free(rx_pool_);
    rx_pool_ = nullptr;
}

}  // namespace ebt
