// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The sink: on the sink's interface, counts the generator's packets that
 * made it through the DUT and files each one's one-way latency (send stamp
 * to now, both bpf_ktime_get_ns, CLOCK_MONOTONIC of this one machine) into a
 * log-linear histogram. It drops them: the sink is where traffic ends.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xb_gen.h"
#include "xb_latency.h"


struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XB_LAT_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} xb_sink_latency SEC(".maps");

SEC("xdp")
int xb_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xb_gen_stamp *stamp = data + XB_GEN_STAMP_L2_OFFSET;
	__u64 now, *count;
	__u32 bucket;

	if ((void *)(stamp + 1) > data_end)
		return XDP_PASS;
	if (stamp->magic != XB_GEN_MAGIC) {
		stamp = data + XB_GEN_STAMP_L2_OFFSET + XB_GEN_STAMP_IPV6_EXTRA; /* an IPv6 frame? */
		if ((void *)(stamp + 1) > data_end || stamp->magic != XB_GEN_MAGIC)
			return XDP_PASS; /* not ours: ARP, ND, ... */
	}
	now = bpf_ktime_get_ns();
	bucket = xb_latency_bucket(now > stamp->sent_ns ? now - stamp->sent_ns : 0);
	count = bpf_map_lookup_elem(&xb_sink_latency, &bucket);
	if (count)
		(*count)++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
