/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The one definition of everything that crosses the BPF/user-space boundary
 * or the wire: the test header carried in every generated packet, the map
 * value layouts, and the limits both sides agree on.  Included by the XDP
 * program (after vmlinux.h) and by C++ (after <linux/types.h>).  Fixed-width
 * types only; no padding the compiler could place differently on each side.
 */
#ifndef EBPF_TEST_SHARED_H
#define EBPF_TEST_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Test header: the first bytes of the UDP payload of every generated packet.
 * All multi-byte fields are in network byte order.  It is 18 bytes so that a
 * minimum Ethernet frame (60 bytes without FCS, 64 on the wire) of
 * Ethernet(14) + IPv4(20) + UDP(8) still carries it whole.
 *
 *  - seq is the per-flow sequence number modulo 2^32; receivers extend it to
 *    64 bits with serial-number arithmetic (RFC 1982).
 *  - tx_ns is a 48-bit nanosecond offset from the test epoch (a CLOCK_TAI
 *    instant both sides learn from the configure message): 78 hours of range.
 */
#define EBT_MAGIC 0xEB7Eu
#define EBT_VERSION 1u
#define EBT_TEST_HDR_LEN 18u
#define EBT_MAX_FLOWS 65536u

struct ebt_test_hdr {
	__be16 magic;
	__u8 version;
	__u8 flags;       /* EBT_FLAG_* */
	__be16 test_id;
	__be16 flow_id;
	__be32 seq;
	__be16 tx_ns_hi;  /* bits 47..32 of tx_ns */
	__be32 tx_ns_lo;  /* bits 31..0 of tx_ns */
} __attribute__((packed));

#define EBT_FLAG_REFLECTED 0x01u /* set by a receiver that sent the packet back */

/* Per-CPU totals kept by the XDP program (map ebt_cpu_stats, one entry). */
struct ebt_cpu_counters {
	__u64 rx_packets;       /* every frame the program saw */
	__u64 rx_bytes;
	__u64 test_packets;     /* our header, this test's id, flow in range */
	__u64 test_bytes;
	__u64 other_packets;    /* not ours: ARP, control TCP, foreign traffic */
	__u64 other_bytes;
	__u64 stale_packets;    /* our header but another test id (stragglers) */
	__u64 bad_flow_packets; /* our header, this test, flow id >= flows */
};

/* Per-flow, per-CPU counters (map ebt_flow_stats, key = flow id). */
struct ebt_flow_counters {
	__u64 packets;
	__u64 bytes;
};

#endif /* EBPF_TEST_SHARED_H */
