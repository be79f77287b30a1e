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
 *
 * xb_gen_replay sends the frames of a file instead (xdpbench run --traffic):
 * packet n is frame n % count of xb_gen_frames, copied over the template as
 * it is; only a frame that carries the generator's stamp where the sink
 * looks for one (a capture of the rig's own traffic) gets a fresh one.
 *
 * A page of the live-frames pool goes back to the pool when the DUT is done
 * with the frame, and its next frame starts from whatever bytes it holds: a
 * DUT that forwarded the frame rewrote it in place (the neighbour's Ethernet
 * header, the TTL or hop limit and the IPv4 checksum: ip_forward, the
 * neighbour output), so a recycled page would carry the sink's MAC address
 * and the DUT would drop it as another host's (PACKET_OTHERHOST). xb_gen
 * therefore writes every field forwarding touches, every frame: the Ethernet
 * addresses, the TTL or hop limit, the IPv4 checksum (issue #24).
 *
 * With several generator threads (--gen-cpus), each pinned to its CPU,
 * thread t of T counts its own packets k = 0, 1, ... and sends packet
 * n = k * T + t: together they send packets 0 .. N-1 as one thread would,
 * interleaved, and no counter's cache line moves between cores.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xb_gen.h"

const volatile __u32 xb_gen_ifindex = 0;
const volatile __u32 xb_gen_flows_v4 = 1;   /* flows per family */
const volatile __u32 xb_gen_flows_v6 = 1;
const volatile __u32 xb_gen_flow_table = 0; /* 1: take flows from xb_gen_flow_map */
const volatile __u32 xb_gen_frame_count = 1; /* xb_gen_replay: frames in xb_gen_frames */
const volatile __u32 xb_gen_threads = 1;
const volatile __u8 xb_gen_thread_of_cpu[XB_GEN_MAX_CPUS] = {}; /* all 0 with one thread */
/* the destination (the generator's peer) and source (its own) MAC addresses */
const volatile __u8 xb_gen_eth_addrs[12] = {};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XB_GEN_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct xb_gen_flow);
} xb_gen_flow_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* the loader sets the replayed file's frame count */
	__type(key, __u32);
	__type(value, struct xb_gen_frame);
} xb_gen_frames SEC(".maps");

/* reset by the loader before every batch of calls it counts */
struct xb_gen_counter xb_gen_counters[XB_GEN_MAX_THREADS] = {};

/* The number of the next packet of this family (see the top). */
static __always_inline __u64 xb_gen_next(int v6)
{
	__u32 cpu = bpf_get_smp_processor_id() & (XB_GEN_MAX_CPUS - 1);
	__u32 thread = xb_gen_thread_of_cpu[cpu] & (XB_GEN_MAX_THREADS - 1);
	__u64 k = xb_gen_counters[thread].seq[v6 & 1]++;

	return k * xb_gen_threads + thread;
}

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
	int v6, i;

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

	seq = xb_gen_next(v6);
	/* what a forwarding DUT rewrote in this page's last frame (see the top) */
#pragma unroll
	for (i = 0; i < 12; i++)
		frame[i] = xb_gen_eth_addrs[i];
	if (v6)
		frame[14 + 7] = XB_GEN_TTL;
	else
		frame[14 + 8] = XB_GEN_TTL;
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
		if (!v6)
			((__u16 *)(frame + 14))[5] = xb_ip_checksum((__u16 *)(frame + 14));
	}
	stamp->magic = XB_GEN_MAGIC;
	stamp->seq = (__u32)seq;
	stamp->sent_ns = bpf_ktime_get_ns();
	return bpf_redirect(xb_gen_ifindex, 0);
}

/* A frame of the file that carries a stamp where the sink and the filter
 * look (after IPv4 + UDP, or IPv6 + UDP) gets a fresh one. */
static __always_inline void xb_gen_restamp(struct xdp_md *ctx, __u64 seq)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xb_gen_stamp *stamp = data + XB_GEN_STAMP_L2_OFFSET;

	if ((void *)(stamp + 1) > data_end)
		return;
	if (stamp->magic != XB_GEN_MAGIC) {
		stamp = data + XB_GEN_STAMP_L2_OFFSET + XB_GEN_STAMP_IPV6_EXTRA;
		if ((void *)(stamp + 1) > data_end || stamp->magic != XB_GEN_MAGIC)
			return;
	}
	stamp->seq = (__u32)seq;
	stamp->sent_ns = bpf_ktime_get_ns();
}

SEC("xdp")
int xb_gen_replay(struct xdp_md *ctx)
{
	struct xb_gen_frame *frame;
	__u32 index, len;
	__u64 seq;

	if (!xb_gen_frame_count)
		return XDP_ABORTED;
	seq = xb_gen_next(0);
	index = (__u32)(seq % xb_gen_frame_count);
	frame = bpf_map_lookup_elem(&xb_gen_frames, &index);
	if (!frame)
		return XDP_ABORTED;
	len = frame->len;
	if (len < 14 || len > XB_GEN_FRAME_MAX)
		return XDP_ABORTED;
	/* a page of the live-frames pool keeps the last frame sent from it:
	 * its length is whatever that one's was */
	if (bpf_xdp_adjust_tail(ctx, (int)len - (int)bpf_xdp_get_buff_len(ctx)))
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 0, frame->data, len))
		return XDP_ABORTED;
	xb_gen_restamp(ctx, seq);
	return bpf_redirect(xb_gen_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
