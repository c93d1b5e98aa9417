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
 * The spin lock of a map value.  The BPF side must name struct bpf_spin_lock
 * itself (the verifier finds the lock by that BTF name; vmlinux.h has it).
 * User space uses a private struct of the same layout instead of
 * <linux/bpf.h>'s, because <linux/bpf.h> cannot share a translation unit
 * with <pcap/bpf.h> (both define struct bpf_insn) and this header is included
 * next to pcap; xdp_program.cpp static_asserts the layouts match.
 */
#ifdef __VMLINUX_H__
#define EBT_SPIN_LOCK_T struct bpf_spin_lock
#else
struct ebt_user_spin_lock {
	__u32 val;
};
#define EBT_SPIN_LOCK_T struct ebt_user_spin_lock
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

/*
 * Per-flow state (map ebt_flow_stats, a plain BPF_MAP_TYPE_ARRAY, key = flow
 * id): one value per flow shared by all CPUs, updated by the XDP program
 * under `lock`, so a flow spread over several RX queues/CPUs is still
 * accounted as one sequence.  User space reads and writes it with BPF_F_LOCK
 * (the copy it gets has lock zeroed).
 *
 * Sequence accounting (TRex's rules; xdp_recv.bpf.c has the details):
 *  - next_seq starts at 0 for every flow, because the generator starts every
 *    flow at seq 0: a lost first packet is counted in lost like any other.
 *  - the 32-bit wire seq is extended to 64 bits around next_seq (RFC 1982):
 *    ext = next_seq + (s64)(s32)(seq - (u32)next_seq).
 *  - lost is the current count of sequences below next_seq not yet received
 *    (a gap adds to it, a late arrival of a missing one takes it back);
 *    reordered counts those late arrivals; duplicates counts a sequence
 *    received again (still counted in packets/bytes); late counts packets
 *    older than the 64-sequence window (reorder and duplicate cannot be told
 *    apart there: taken as a reorder while lost > 0, see the program).
 *  - missing is the window: bit i set = sequence next_seq-1-i was skipped
 *    and is still counted in lost.  (Stored as "missing" rather than
 *    "received" so the all-zero initial value is right: nothing before seq 0
 *    is ever missing.)
 *  - first_ns/last_ns: bpf_ktime_get_ns() (CLOCK_MONOTONIC) at the first and
 *    the last arrival of any packet of the flow; 0 while packets == 0.
 */
struct ebt_flow_state {
	EBT_SPIN_LOCK_T lock;      /* struct bpf_spin_lock; BPF program use only */
	__u32 pad;                 /* explicit, always 0 */
	__u64 packets;             /* every valid test packet, duplicates included */
	__u64 bytes;               /* frame bytes of those packets */
	__u64 next_seq;            /* extended sequence expected next */
	__u64 lost;
	__u64 reordered;
	__u64 duplicates;
	__u64 late;
	__u64 missing;             /* window, see above */
	__u64 first_ns;
	__u64 last_ns;
};

#endif /* EBPF_TEST_SHARED_H */
