// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The traffic generator: run with BPF_PROG_TEST_RUN in live-frames mode
 * (BPF_F_TEST_XDP_LIVE_FRAMES), it sends its template frame out of the
 * generator's interface, stamping a sequence number and the send time into
 * the payload. Packet n takes flow n % flows: from the flow table (addresses
 * and ports, with the IPv4 checksum made anew) when one is loaded, else the
 * template with source port XB_GEN_BASE_PORT + n % flows.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xb_gen.h"

const volatile __u32 xb_gen_ifindex = 0;
const volatile __u32 xb_gen_flows = 1;
const volatile __u32 xb_gen_l4_offset = 0;      /* UDP header, from the frame start */
const volatile __u32 xb_gen_stamp_offset = 0;   /* struct xb_gen_stamp, from the frame start */
const volatile __u32 xb_gen_flow_table = 0;     /* 1: take flows from xb_gen_flow_map */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XB_GEN_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct xb_gen_flow);
} xb_gen_flow_map SEC(".maps");

/* The IPv4 header checksum over 20 bytes without options. */
static __always_inline __u16 xb_ip_checksum(__u16 *hdr)
{
	__u32 sum = 0;
	int i;

	hdr[5] = 0;
#pragma unroll
	for (i = 0; i < 10; i++)
		sum += hdr[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

__u64 xb_gen_seq = 0;

SEC("xdp")
int xb_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l4 = xb_gen_l4_offset, stamp_off = xb_gen_stamp_offset;
	struct xb_gen_stamp *stamp;
	__u16 *sport;
	__u64 seq;

	if (l4 > 256 || stamp_off > 512)
		return XDP_ABORTED;
	sport = data + l4;
	if ((void *)(sport + 1) > data_end)
		return XDP_ABORTED;
	stamp = data + stamp_off;
	if ((void *)(stamp + 1) > data_end)
		return XDP_ABORTED;

	seq = __sync_fetch_and_add(&xb_gen_seq, 1);
	if (xb_gen_flow_table) {
		__u32 index = (__u32)(seq % xb_gen_flows);
		struct xb_gen_flow *flow = bpf_map_lookup_elem(&xb_gen_flow_map, &index);
		__u16 *ip = data + l4 - 20;

		if (!flow || (void *)ip < data || (void *)(ip + 10) > data_end)
			return XDP_ABORTED;
		__builtin_memcpy(&ip[6], &flow->saddr, 4);
		__builtin_memcpy(&ip[8], &flow->daddr, 4);
		sport[0] = flow->sport;
		if ((void *)(sport + 2) > data_end)
			return XDP_ABORTED;
		sport[1] = flow->dport;
		ip[5] = xb_ip_checksum(ip);
	} else {
		*sport = bpf_htons((__u16)(XB_GEN_BASE_PORT + seq % xb_gen_flows));
	}
	stamp->magic = XB_GEN_MAGIC;
	stamp->seq = (__u32)seq;
	stamp->sent_ns = bpf_ktime_get_ns();
	return bpf_redirect(xb_gen_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
