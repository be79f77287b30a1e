// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The traffic generator: run with BPF_PROG_TEST_RUN in live-frames mode
 * (BPF_F_TEST_XDP_LIVE_FRAMES), it sends its template frame out of the
 * generator's interface, stamping a sequence number and the send time into
 * the payload. Packet n takes flow n % flows of its template's family: from
 * the flow table (addresses and ports, with the IPv4 checksum made anew) when
 * one is loaded, else the template with source port XB_GEN_BASE_PORT + n %
 * flows. IPv6 frames carry a zero UDP checksum: the DUT's UDP layer would
 * refuse them, but every counter the rig reads sits below it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xb_gen.h"

const volatile __u32 xb_gen_ifindex = 0;
const volatile __u32 xb_gen_flows_v4 = 1;   /* flows per family */
const volatile __u32 xb_gen_flows_v6 = 1;
const volatile __u32 xb_gen_flow_table = 0; /* 1: take flows from xb_gen_flow_map */

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

/* per family, so each cycles through its own flows evenly */
__u64 xb_gen_seq[2] = {};

/* Template frames: Ethernet, IPv4 (20 bytes) or IPv6 (40), UDP, stamp. */
SEC("xdp")
int xb_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xb_gen_stamp *stamp;
	struct xb_gen_flow *flow;
	__u8 *frame = data;
	__u16 *udp;
	__u32 index, n;
	__u64 seq;
	int v6;

	if (data + 14 + 20 + 8 + sizeof(*stamp) > data_end)
		return XDP_ABORTED;
	v6 = frame[12] == 0x86 && frame[13] == 0xdd;
	if (v6 && data + 14 + 40 + 8 + sizeof(*stamp) > data_end)
		return XDP_ABORTED;
	udp = data + (v6 ? 14 + 40 : 14 + 20);
	stamp = (void *)(udp + 4);
	if ((void *)(stamp + 1) > data_end)
		return XDP_ABORTED;
	n = v6 ? xb_gen_flows_v6 : xb_gen_flows_v4;
	if (!n)
		return XDP_ABORTED;

	seq = __sync_fetch_and_add(&xb_gen_seq[v6], 1);
	if (xb_gen_flow_table) {
		index = (v6 ? XB_GEN_V6_FLOWS : 0) + (__u32)(seq % n);
		flow = bpf_map_lookup_elem(&xb_gen_flow_map, &index);
		if (!flow)
			return XDP_ABORTED;
		if (v6) {
			__builtin_memcpy(frame + 14 + 8, flow->saddr, 16);
			__builtin_memcpy(frame + 14 + 24, flow->daddr, 16);
		} else {
			__builtin_memcpy(frame + 14 + 12, flow->saddr, 4);
			__builtin_memcpy(frame + 14 + 16, flow->daddr, 4);
			((__u16 *)(frame + 14))[5] = xb_ip_checksum((__u16 *)(frame + 14));
		}
		udp[0] = flow->sport;
		udp[1] = flow->dport;
	} else {
		udp[0] = bpf_htons((__u16)(XB_GEN_BASE_PORT + seq % n));
	}
	stamp->magic = XB_GEN_MAGIC;
	stamp->seq = (__u32)seq;
	stamp->sent_ns = bpf_ktime_get_ns();
	return bpf_redirect(xb_gen_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
