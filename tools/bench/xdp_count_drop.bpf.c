// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The bare reference for tools/bench-recv.sh: the least an XDP program that
 * counts can do.  One per-CPU counter incremented per frame, then XDP_DROP.
 * Its BPF run time per packet is the floor xdp_recv's full accounting is
 * compared against (same kernel, same traffic, same stats method).
 * Built by tools/bench/meson.build with bpf/meson.build's flags.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bench_count SEC(".maps");

SEC("xdp")
int xdp_count_drop(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *c = bpf_map_lookup_elem(&bench_count, &key);

	if (c)
		(*c)++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
