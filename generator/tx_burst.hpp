// The TX loops' one "hand a burst to the port" step, shared by the
// synthetic loop (tx_engine.cpp) and the pcap replay loop (pcap_tx.cpp):
// frames the port refuses (TX ring full) are retried until taken or a stop
// is requested, never silently lost.  Header-only and inline: it is on the
// hot path (no syscalls, allocation or exceptions).
#pragma once

#include <cstdint>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

namespace ebt {

// Sends pkts[0, n).  Each retry adds one to `retries` and calls
// refused(i) for every frame i still unsent; stop() (checked once per
// retry) ends the retries.  Returns the frames sent; give_up is true when
// stop() ended it with frames unsent (the caller rolls them back and frees
// them).
template <class Refused, class Stop>
inline uint32_t send_burst(uint16_t port, uint16_t queue, rte_mbuf** pkts, uint32_t n, uint64_t& retries,
                           Refused&& refused, Stop&& stop, bool& give_up) {
    uint32_t sent = rte_eth_tx_burst(port, queue, pkts, static_cast<uint16_t>(n));
    give_up = false;
    while (sent < n) {
        ++retries;
        for (uint32_t i = sent; i < n; ++i) refused(i);
        if (stop()) {
            give_up = true;
            break;
        }
        rte_pause();
        sent += rte_eth_tx_burst(port, queue, pkts + sent, static_cast<uint16_t>(n - sent));
    }
    return sent;
}

}  // namespace ebt
