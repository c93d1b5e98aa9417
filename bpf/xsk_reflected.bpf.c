// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xsk_reflected: the XDP program dpdk-gen's net_af_xdp port runs on the
 * source interface in tx mode (`--vdev net_af_xdp0,iface=IF,xdp_prog=THIS.o`).
 *
 * The af_xdp PMD's default program redirects every frame of the queue into
 * the AF_XDP socket, so the kernel of the source machine would never see
 * ARP replies or the control connection sharing that interface.  This one
 * redirects only test packets reflected by xdp-recv (our header with
 * EBT_FLAG_REFLECTED) into the socket bound to the frame's RX queue and
 * passes everything else to the kernel.  The PMD finds the map by its name,
 * xsks_map, and inserts its socket at its queue index.
 *
 * On a veth it matters also that the source end has an XDP program at all:
 * XDP_TX on the peer queues the frame on this end's XDP ring, and the kernel
 * schedules this end's NAPI for it only when this end runs a program
 * (ARCHITECTURE.md, "The RX path").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "ebpf_test_shared.h"
#include "ebt_parse.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

SEC("xdp")
int xsk_reflected(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ebt_pkt pk = {};
	struct ebt_test_hdr *th = find_test_hdr(data, data_end, &pk);

	if (!th || !(th->flags & EBT_FLAG_REFLECTED))
		return XDP_PASS;
	/* No socket on this queue: the kernel gets it (XDP_PASS). */
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
