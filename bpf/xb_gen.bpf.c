// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The traffic generator: run with BPF_PROG_TEST_RUN in live-frames mode
 * (BPF_F_TEST_XDP_LIVE_FRAMES), it sends its template frame out of the
 * generator's interface, varying the UDP source port over `flows` values and
 * stamping a sequence number and the send time into the payload.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xb_gen.h"

const volatile __u32 xb_gen_ifindex = 0;
const volatile __u32 xb_gen_flows = 1;
const volatile __u32 xb_gen_l4_offset = 0;      /* UDP header, from the frame start */
const volatile __u32 xb_gen_stamp_offset = 0;   /* struct xb_gen_stamp, from the frame start */

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
	*sport = bpf_htons((__u16)(XB_GEN_BASE_PORT + seq % xb_gen_flows));
	stamp->magic = XB_GEN_MAGIC;
	stamp->seq = seq;
	stamp->sent_ns = bpf_ktime_get_ns();
	return bpf_redirect(xb_gen_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
