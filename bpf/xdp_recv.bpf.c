// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xdp_recv: the receiver's XDP program.
 *
 * Counts every frame on the interface and classifies it:
 *   - a valid test packet of this test (our header, cfg_test_id, flow id <
 *     cfg_flows): counted in totals and in its flow's state (packets, bytes,
 *     sequence accounting under the flow's spin lock) and in the per-CPU
 *     latency histogram, then cfg_test_action: XDP_DROP (default), XDP_PASS,
 *     or XDP_TX after reflecting it (MACs, IPs and ports swapped,
 *     EBT_FLAG_REFLECTED set, UDP checksum updated incrementally);
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

#include "ebt_parse.bpf.h"

const volatile __u16 cfg_test_id = 0;
const volatile __u8 cfg_any_test_id = 0;    /* standalone: every test id counts */
const volatile __u32 cfg_flows = 1;
const volatile __u32 cfg_test_action = XDP_DROP;   /* XDP_DROP | XDP_PASS | XDP_TX */
/* Standalone: foreign packets counted per 5-tuple (0 = off) and dropped or passed. */
const volatile __u32 cfg_foreign_tuples = 0;
const volatile __u8 cfg_foreign_drop = 0;
/* Latency: 0 = no epoch known (standalone), no latency recorded. */
const volatile __u64 cfg_epoch_tai_ns = 0;
const volatile __s64 cfg_clock_offset_ns = 0;   /* receiver clock - sender clock */

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

/* Per-CPU: the histogram is written on every test packet, so no sharing. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ebt_latency);
} ebt_latency_stats SEC(".maps");

/* Per-CPU hash: no lock on the (standalone-only) foreign path; sized before load. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1);
	__type(key, struct ebt_tuple);
	__type(value, struct ebt_count);
} ebt_foreign SEC(".maps");

enum ebt_class {
	EBT_CLASS_OTHER = 0,
	EBT_CLASS_TEST,
	EBT_CLASS_STALE,
	EBT_CLASS_BAD_FLOW,
};

/* The 5-tuple of a foreign frame (see struct ebt_tuple); bounds-checked. */
static __always_inline void foreign_tuple(void *data, void *data_end, struct ebt_tuple *t)
{
	struct ethhdr *eth = data;
	void *l3, *l4 = NULL;
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return;
	proto = eth->h_proto;
	l3 = eth + 1;
	if (proto == bpf_htons(EBT_ETH_P_8021Q) || proto == bpf_htons(EBT_ETH_P_8021AD)) {
		struct vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > data_end)
			return;
		proto = vh->h_vlan_encapsulated_proto;
		l3 = vh + 1;
	}
	t->ethertype = proto;
	if (proto == bpf_htons(EBT_ETH_P_IP)) {
		struct iphdr *iph = l3;
		__u32 ihl_bytes;

		if ((void *)(iph + 1) > data_end)
			return;
		t->proto = iph->protocol;
		__builtin_memcpy(t->src, &iph->saddr, 4);
		__builtin_memcpy(t->dst, &iph->daddr, 4);
		ihl_bytes = (__u32)(*(__u8 *)iph & 0x0F) * 4;
		if (ihl_bytes >= sizeof(*iph) && !(iph->frag_off & bpf_htons(EBT_IP_MF | EBT_IP_OFFSET)))
			l4 = l3 + ihl_bytes;
	} else if (proto == bpf_htons(EBT_ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return;
		t->proto = ip6->nexthdr;
		__builtin_memcpy(t->src, &ip6->saddr, 16);
		__builtin_memcpy(t->dst, &ip6->daddr, 16);
		l4 = ip6 + 1;
	}
	/* TCP and UDP both start with the two ports. */
	if (l4 && (t->proto == IPPROTO_UDP || t->proto == IPPROTO_TCP)) {
		__be16 *ports = l4;

		if ((void *)(ports + 2) <= data_end) {
			t->sport = ports[0];
			t->dport = ports[1];
		}
	}
}

/* Count a foreign frame by tuple, or in the overflow once the map is full. */
static __always_inline void count_foreign(void *data, void *data_end, __u64 len,
					  struct ebt_cpu_counters *cc)
{
	struct ebt_tuple t = {};
	struct ebt_count *c;

	foreign_tuple(data, data_end, &t);
	c = bpf_map_lookup_elem(&ebt_foreign, &t);
	if (!c) {
		struct ebt_count fresh = { .packets = 1, .bytes = len };

		if (bpf_map_update_elem(&ebt_foreign, &t, &fresh, BPF_NOEXIST) == 0)
			return;
		/* Full (or inserted by another CPU just now): look once more. */
		c = bpf_map_lookup_elem(&ebt_foreign, &t);
		if (!c) {
			cc->foreign_overflow_packets++;
			cc->foreign_overflow_bytes += len;
			return;
		}
	}
	c->packets++;
	c->bytes += len;
}

/* One's-complement 16-bit checksum update for one changed word (RFC 1624). */
static __always_inline __u16 csum_replace16(__u16 check, __u16 old_w, __u16 new_w)
{
	__u32 sum = (__u16)~check + (__u16)~old_w + new_w;

	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (sum & 0xFFFF) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * Reflect a test packet back to its sender.  Swapping source and destination
 * addresses and ports leaves every checksum as it was (one's-complement sums
 * commute); only the flags byte changes, so the UDP checksum gets a one-word
 * incremental update (left 0 when an IPv4 sender sent none).
 */
static __always_inline void reflect(struct ebt_pkt *pk, struct ebt_test_hdr *th)
{
	unsigned char mac[6];
	__be16 port;
	__u16 old_w, new_w;

	__builtin_memcpy(mac, pk->eth->h_dest, 6);
	__builtin_memcpy(pk->eth->h_dest, pk->eth->h_source, 6);
	__builtin_memcpy(pk->eth->h_source, mac, 6);
	if (pk->ip4) {
		__be32 a = pk->ip4->saddr;

		pk->ip4->saddr = pk->ip4->daddr;
		pk->ip4->daddr = a;
	} else if (pk->ip6) {
		struct in6_addr a = pk->ip6->saddr;

		pk->ip6->saddr = pk->ip6->daddr;
		pk->ip6->daddr = a;
	}
	port = pk->udp->source;
	pk->udp->source = pk->udp->dest;
	pk->udp->dest = port;

	/* version and flags form one 16-bit word of the checksummed payload. */
	old_w = ((__u16)th->version << 8) | th->flags;
	th->flags |= EBT_FLAG_REFLECTED;
	new_w = ((__u16)th->version << 8) | th->flags;
	if (pk->udp->check != 0 || pk->ip6) {
		__u16 c = csum_replace16(bpf_ntohs(pk->udp->check), old_w, new_w);

		pk->udp->check = bpf_htons(c ? c : 0xFFFF);   /* 0 means "none" in UDP */
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
	struct ebt_pkt pk = {};
	enum ebt_class cls = EBT_CLASS_OTHER;
	__u32 key = 0;

	th = find_test_hdr(data, data_end, &pk);
	if (th) {
		if (!cfg_any_test_id && bpf_ntohs(th->test_id) != cfg_test_id) {
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
		__u64 now = bpf_ktime_get_tai_ns();

		cc->test_packets++;
		cc->test_bytes += len;

		if (cfg_epoch_tai_ns) {
			struct ebt_latency *lat = bpf_map_lookup_elem(&ebt_latency_stats, &key);
			__u64 sent = cfg_epoch_tai_ns +
				     ebt_hdr_tx_ns(bpf_ntohs(th->tx_ns_hi), bpf_ntohl(th->tx_ns_lo));

			if (lat)
				ebt_latency_account(lat, (__s64)(now - sent) - cfg_clock_offset_ns);
		}

		bpf_spin_lock(&fs->lock);
		ebt_flow_account(fs, seq, len, now);
		bpf_spin_unlock(&fs->lock);

		if (cfg_test_action == XDP_TX) {
			reflect(&pk, th);
			return XDP_TX;
		}
		return cfg_test_action == XDP_PASS ? XDP_PASS : XDP_DROP;
	}

	if (cls == EBT_CLASS_STALE)
		cc->stale_packets++;
	else if (cls == EBT_CLASS_BAD_FLOW)
		cc->bad_flow_packets++;
	cc->other_packets++;
	cc->other_bytes += len;
	if (cls == EBT_CLASS_OTHER && cfg_foreign_tuples) {
		count_foreign(data, data_end, len, cc);
		if (cfg_foreign_drop)
			return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
