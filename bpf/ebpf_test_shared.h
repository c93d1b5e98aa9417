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
#define EBT_TX_NS_MASK 0xFFFFFFFFFFFFull /* tx_ns is 48 bits on the wire */

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
	__u64 foreign_overflow_packets; /* standalone: foreign, beyond the tuple limit */
	__u64 foreign_overflow_bytes;
};

/*
 * Standalone receiving: a packet without our test header, by 5-tuple (map
 * ebt_foreign, per-CPU hash, up to the configured number of tuples; the
 * rest is summed in the foreign_overflow_* counters).  IPv4 addresses take
 * the first 4 bytes of src/dst; ports are 0 unless TCP/UDP (and not a
 * fragment); non-IP frames have only ethertype set.  Network byte order.
 */
struct ebt_tuple {
	__u8 src[16];
	__u8 dst[16];
	__be16 sport;
	__be16 dport;
	__be16 ethertype;
	__u8 proto;
	__u8 pad;                  /* always 0 (part of the hash key) */
};

struct ebt_count {
	__u64 packets;
	__u64 bytes;
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
 *  - first_ns/last_ns: bpf_ktime_get_tai_ns() (CLOCK_TAI, the clock the
 *    latency is measured on: one clock read per packet) at the first and the
 *    last arrival of any packet of the flow; 0 while packets == 0.
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


/*
 * Shared functions: the one definition of the sequence rules and of the
 * latency histogram's buckets, compiled into the XDP program and into C++
 * (the baseline receiver, the report).  Plain arithmetic, no loops, no
 * helper calls: the verifier accepts them and they may run under a spin lock.
 */
#ifdef __VMLINUX_H__
#define EBT_INLINE static __always_inline
#else
#define EBT_INLINE static inline
#endif

/*
 * Sequence accounting of one packet, TRex's rules (the BPF program calls it
 * with fs->lock held).  seq is the 32-bit wire sequence.  The flow starts with
 * next_seq = 0 and an empty window (both zero in a fresh or reset state): the
 * generator starts every flow at 0, so a flow whose first packets are lost
 * shows them in lost.
 *
 * ext = next_seq + (s32)(seq - (u32)next_seq): the extension picks the 64-bit
 * sequence nearest next_seq, so the 32-bit wrap is transparent as long as
 * consecutive arrivals are less than 2^31 apart.  Working on the signed
 * 32-bit delta directly avoids any 64-bit overflow near 0.
 *
 *  - delta == 0 (ext == next): in order.  next++, window shifts by 1.
 *  - delta > 0 (gap g = delta): lost += g; the g skipped sequences enter
 *    the window as missing (bits 1..g after a shift by g+1; a gap of 63 or
 *    more leaves every older bit missing); next = ext + 1.
 *  - delta < 0, d = next-1-ext = -delta-1 < 64 (inside the window): bit d
 *    set = that sequence was missing: clear it, lost--, reordered++;
 *    bit d clear = it was already received (or is before seq 0 of the flow,
 *    which is never missing): duplicates++.
 *  - d >= 64 (older than the window): late++; whether it is a duplicate or
 *    the late arrival of a lost one cannot be told any more, so, as TRex
 *    does, it is taken as a reorder while something is counted lost
 *    (lost--, reordered++), else as nothing more than late.
 * packets/bytes/first_ns/last_ns are the caller's (they need the frame).
 */
EBT_INLINE void ebt_seq_account(struct ebt_flow_state *fs, __u32 seq)
{
	__s32 delta = (__s32)(seq - (__u32)fs->next_seq);

	if (delta == 0) {
		fs->next_seq++;
		fs->missing <<= 1;
	} else if (delta > 0) {
		__u64 g = (__u64)delta;

		fs->lost += g;
		if (g >= 63)
			fs->missing = ~1ULL;
		else
			fs->missing = (fs->missing << (g + 1)) | (((1ULL << g) - 1) << 1);
		fs->next_seq += g + 1;
	} else {
		__u64 d = (__u64)(-(__s64)delta) - 1;

		if (d < 64) {
			__u64 bit = 1ULL << d;

			if (fs->missing & bit) {
				fs->missing &= ~bit;
				fs->lost--;
				fs->reordered++;
			} else {
				fs->duplicates++;
			}
		} else {
			fs->late++;
			if (fs->lost > 0) {
				fs->lost--;
				fs->reordered++;
			}
		}
	}
}

/* One received test packet of a flow: counters, arrival times, sequence. */
EBT_INLINE void ebt_flow_account(struct ebt_flow_state *fs, __u32 seq, __u64 len, __u64 now_ns)
{
	if (fs->packets == 0)
		fs->first_ns = now_ns;
	fs->last_ns = now_ns;
	fs->packets++;
	fs->bytes += len;
	ebt_seq_account(fs, seq);
}

/* tx_ns of a test header (48 bits, network order), in host order. */
EBT_INLINE __u64 ebt_hdr_tx_ns(__u16 hi_host, __u32 lo_host)
{
	return ((__u64)hi_host << 32) | lo_host;
}

/*
 * Latency histogram, log-linear: values 0..15 ns have a bucket each (exact);
 * above, every power of two [2^m, 2^(m+1)) is cut into 16 equal buckets of
 * width 2^(m-4), so a bucket [lo, lo + w) has w <= lo/16: a value reported
 * as the bucket's midpoint is within 1/32 = 3.125% of the true value (6.25%
 * if reported as an edge).  m runs 4..39 (up to 2^40 ns = 18 minutes); the
 * last bucket holds everything from 2^40 ns on (exact min/max and mean are
 * kept beside the histogram).
 */
#define EBT_LAT_SUB_BITS 4u
#define EBT_LAT_SUB (1u << EBT_LAT_SUB_BITS)
#define EBT_LAT_MAX_MSB 39u
#define EBT_LAT_BUCKETS (EBT_LAT_SUB + (EBT_LAT_MAX_MSB - EBT_LAT_SUB_BITS + 1) * EBT_LAT_SUB + 1)

EBT_INLINE __u32 ebt_lat_bucket(__u64 v)
{
	__u32 msb = 0;
	__u64 x = v;

	if (v < EBT_LAT_SUB)
		return (__u32)v;
	if (v >> (EBT_LAT_MAX_MSB + 1))
		return EBT_LAT_BUCKETS - 1;
	/* floor(log2 v) by halving: no loop, no builtin the BPF target lacks. */
	if (x >> 32) { x >>= 32; msb += 32; }
	if (x >> 16) { x >>= 16; msb += 16; }
	if (x >> 8) { x >>= 8; msb += 8; }
	if (x >> 4) { x >>= 4; msb += 4; }
	if (x >> 2) { x >>= 2; msb += 2; }
	if (x >> 1) { msb += 1; }
	return EBT_LAT_SUB + (msb - EBT_LAT_SUB_BITS) * EBT_LAT_SUB +
	       (__u32)((v >> (msb - EBT_LAT_SUB_BITS)) & (EBT_LAT_SUB - 1));
}

/* Lower edge of bucket b (b < EBT_LAT_BUCKETS). */
EBT_INLINE __u64 ebt_lat_bucket_lo(__u32 b)
{
	__u32 m, sub;

	if (b < EBT_LAT_SUB)
		return b;
	m = (b - EBT_LAT_SUB) / EBT_LAT_SUB;       /* msb - 4 */
	sub = (b - EBT_LAT_SUB) % EBT_LAT_SUB;
	return (__u64)(EBT_LAT_SUB + sub) << m;
}

/*
 * Per-CPU latency state (map ebt_latency, one entry).  One-way latency =
 * arrival (CLOCK_TAI) - (epoch_tai_ns + tx_ns) - clock offset.  A negative
 * value (clock skew larger than the latency) is counted in negative and its
 * magnitude's maximum in negative_max_ns; it never enters the histogram.
 */
struct ebt_latency {
	__u64 count;            /* non-negative samples in hist */
	__u64 sum_ns;           /* for the exact mean */
	__u64 min_ns;           /* valid when count > 0 */
	__u64 max_ns;
	__u64 negative;
	__u64 negative_max_ns;
	__u64 hist[EBT_LAT_BUCKETS];
};

EBT_INLINE void ebt_latency_account(struct ebt_latency *l, __s64 lat_ns)
{
	__u64 v;
	__u32 b;

	if (lat_ns < 0) {
		v = (__u64)(-lat_ns);
		l->negative++;
		if (v > l->negative_max_ns)
			l->negative_max_ns = v;
		return;
	}
	v = (__u64)lat_ns;
	if (l->count == 0 || v < l->min_ns)
		l->min_ns = v;
	if (v > l->max_ns)
		l->max_ns = v;
	l->count++;
	l->sum_ns += v;
	b = ebt_lat_bucket(v);
	if (b < EBT_LAT_BUCKETS)   /* always; tells the verifier */
		l->hist[b]++;
}

#endif /* EBPF_TEST_SHARED_H */
