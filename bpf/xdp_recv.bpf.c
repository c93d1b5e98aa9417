// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xdp_recv: the receiver's XDP program.
 *
 * Counts every frame on the interface and classifies it:
 *   - a valid test packet of this test (our header, cfg_test_id, flow id <
 *     cfg_flows): counted in totals and in its flow's state (packets, bytes,
 *     sequence accounting under the flow's spin lock), then cfg_test_action
 *     (XDP_DROP by default, XDP_PASS when user space asks for it);
 *   - our header with another test id: stale (a straggler), XDP_PASS;
 *   - our header, this test, flow id out of range: bad flow, XDP_PASS;
 *   - anything else (ARP, the TCP control connection, truncated frames,
 *     non-UDP, foreign UDP, fragments): other, XDP_PASS.
 * Nothing that is not a valid test packet of this test is ever dropped.
 *
 * Parsed: Ethernet, at most one 802.1Q/802.1AD tag, IPv4 (any IHL, non
 * fragments only) or IPv6 (fixed header, next header UDP), UDP, and the
 * 18-byte test header of ebpf_test_shared.h at the start of the UDP payload.
 *
 * Configuration lives in .rodata (const volatile) and is set by user space
 * before load, so the verifier sees constants; the per-flow map is sized to
 * the test's flow count by user space before load as well.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "ebpf_test_shared.h"

/* UAPI constants that vmlinux.h (types only) does not carry. */
#define EBT_ETH_P_IP     0x0800
#define EBT_ETH_P_IPV6   0x86DD
#define EBT_ETH_P_8021Q  0x8100
#define EBT_ETH_P_8021AD 0x88A8
#define EBT_IP_MF        0x2000
#define EBT_IP_OFFSET    0x1FFF

const volatile __u16 cfg_test_id = 0;
const volatile __u32 cfg_flows = 1;
const volatile __u32 cfg_test_action = XDP_DROP;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ebt_cpu_counters);
} ebt_cpu_stats SEC(".maps");

/*
 * One value per flow shared by all CPUs (not per-CPU): the sequence state of
 * a flow is only meaningful as a whole, and RSS may spread one flow over
 * several queues.  Updated under the value's bpf_spin_lock.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized to the flow count before load */
	__type(key, __u32);
	__type(value, struct ebt_flow_state);
} ebt_flow_stats SEC(".maps");

enum ebt_class {
	EBT_CLASS_OTHER = 0,
	EBT_CLASS_TEST,
	EBT_CLASS_STALE,
	EBT_CLASS_BAD_FLOW,
};

/*
 * Find the test header.  Returns it, or NULL when the frame is not one of
 * ours (any truncation included).
 */
static __always_inline struct ebt_test_hdr *find_test_hdr(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct udphdr *udp;
	struct ebt_test_hdr *th;
	__be16 proto;
	void *l3;

	if ((void *)(eth + 1) > data_end)
		return NULL;
	proto = eth->h_proto;
	l3 = eth + 1;

	if (proto == bpf_htons(EBT_ETH_P_8021Q) || proto == bpf_htons(EBT_ETH_P_8021AD)) {
		struct vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > data_end)
			return NULL;
		proto = vh->h_vlan_encapsulated_proto;
		l3 = vh + 1;
	}

	if (proto == bpf_htons(EBT_ETH_P_IP)) {
		struct iphdr *iph = l3;
		__u8 ver_ihl;
		__u32 ihl_bytes;

		if ((void *)(iph + 1) > data_end)
			return NULL;
		ver_ihl = *(__u8 *)iph;
		if ((ver_ihl >> 4) != 4)
			return NULL;
		ihl_bytes = (__u32)(ver_ihl & 0x0F) * 4;
		if (ihl_bytes < sizeof(*iph))
			return NULL;
		if (iph->frag_off & bpf_htons(EBT_IP_MF | EBT_IP_OFFSET))
			return NULL;
		if (iph->protocol != IPPROTO_UDP)
			return NULL;
		udp = l3 + ihl_bytes;
	} else if (proto == bpf_htons(EBT_ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return NULL;
		if ((*(__u8 *)ip6 >> 4) != 6)
			return NULL;
		if (ip6->nexthdr != IPPROTO_UDP)
			return NULL;
		udp = (void *)(ip6 + 1);
	} else {
		return NULL;
	}

	if ((void *)(udp + 1) > data_end)
		return NULL;
	/* The header must lie inside the UDP datagram, not in frame padding. */
	if (bpf_ntohs(udp->len) < sizeof(*udp) + EBT_TEST_HDR_LEN)
		return NULL;
	th = (void *)(udp + 1);
	if ((void *)th + EBT_TEST_HDR_LEN > data_end)
		return NULL;
	if (th->magic != bpf_htons(EBT_MAGIC) || th->version != EBT_VERSION)
		return NULL;
	return th;
}

/*
 * Sequence accounting of one packet, TRex's rules; called with fs->lock held
 * (pure arithmetic, no helper calls, no loops).  seq is the 32-bit wire
 * sequence.  The flow starts with next_seq = 0 and an empty window (both
 * zero in a fresh or reset map): the generator starts every flow at 0, so a
 * flow whose first packets are lost shows them in lost.
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
 * Every packet, duplicates included, is counted in packets/bytes.
 */
static __always_inline void ebt_seq_account(struct ebt_flow_state *fs, __u32 seq)
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

SEC("xdp")
int xdp_recv_prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	struct ebt_flow_state *fs = NULL;
	struct ebt_cpu_counters *cc;
	struct ebt_test_hdr *th;
	enum ebt_class cls = EBT_CLASS_OTHER;
	__u32 key = 0;

	th = find_test_hdr(data, data_end);
	if (th) {
		if (bpf_ntohs(th->test_id) != cfg_test_id) {
			cls = EBT_CLASS_STALE;
		} else {
			__u32 flow = bpf_ntohs(th->flow_id);

			if (flow < cfg_flows)
				fs = bpf_map_lookup_elem(&ebt_flow_stats, &flow);
			/* A miss can only mean the map is smaller than cfg_flows. */
			cls = fs ? EBT_CLASS_TEST : EBT_CLASS_BAD_FLOW;
		}
	}

	cc = bpf_map_lookup_elem(&ebt_cpu_stats, &key);
	if (!cc)
		return XDP_PASS;

	/* Per-CPU values: plain increments, nothing else touches this slot. */
	cc->rx_packets++;
	cc->rx_bytes += len;

	if (cls == EBT_CLASS_TEST && fs && th) {
		/* Read everything needed before the lock: no helper calls inside. */
		__u32 seq = bpf_ntohl(th->seq);
		__u64 now = bpf_ktime_get_ns();

		cc->test_packets++;
		cc->test_bytes += len;

		bpf_spin_lock(&fs->lock);
		if (fs->packets == 0)
			fs->first_ns = now;
		fs->last_ns = now;
		fs->packets++;
		fs->bytes += len;
		ebt_seq_account(fs, seq);
		bpf_spin_unlock(&fs->lock);
		return cfg_test_action == XDP_PASS ? XDP_PASS : XDP_DROP;
	}

	if (cls == EBT_CLASS_STALE)
		cc->stale_packets++;
	else if (cls == EBT_CLASS_BAD_FLOW)
		cc->bad_flow_packets++;
	cc->other_packets++;
	cc->other_bytes += len;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
