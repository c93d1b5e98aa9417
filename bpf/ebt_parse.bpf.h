/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The XDP programs' parser of a test frame: Ethernet, at most one
 * 802.1Q/802.1AD tag, IPv4 (any IHL, non-fragments only) or IPv6 (fixed
 * header, next header UDP), UDP, and the test header of ebpf_test_shared.h
 * at the start of the UDP payload.  Included after vmlinux.h,
 * <bpf/bpf_endian.h> and ebpf_test_shared.h by every XDP program that needs
 * to tell our test packets from the rest (xdp_recv.bpf.c, xsk_reflected.bpf.c; user space
 * has common/wire/packet.hpp's parse_test_frame).
 */
#ifndef EBT_PARSE_BPF_H
#define EBT_PARSE_BPF_H

/* UAPI constants that vmlinux.h (types only) does not carry. */
#define EBT_ETH_P_IP     0x0800
#define EBT_ETH_P_IPV6   0x86DD
#define EBT_ETH_P_8021Q  0x8100
#define EBT_ETH_P_8021AD 0x88A8
#define EBT_IP_MF        0x2000
#define EBT_IP_OFFSET    0x1FFF

/* Where the headers of a test packet are (for the tx action). */
struct ebt_pkt {
	struct ethhdr *eth;
	struct iphdr *ip4;      /* exactly one of ip4/ip6 is set */
	struct ipv6hdr *ip6;
	struct udphdr *udp;
};

/*
 * Find the test header.  Returns it, or NULL when the frame is not one of
 * ours (any truncation included); fills *pk on success.
 */
static __always_inline struct ebt_test_hdr *find_test_hdr(void *data, void *data_end,
							  struct ebt_pkt *pk)
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
		pk->ip4 = iph;
	} else if (proto == bpf_htons(EBT_ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return NULL;
		if ((*(__u8 *)ip6 >> 4) != 6)
			return NULL;
		if (ip6->nexthdr != IPPROTO_UDP)
			return NULL;
		udp = (void *)(ip6 + 1);
		pk->ip6 = ip6;
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
	pk->eth = eth;
	pk->udp = udp;
	return th;
}

#endif /* EBT_PARSE_BPF_H */
