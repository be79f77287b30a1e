/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The ctx layer for XDP: data starts at the Ethernet header. */
#ifndef XB_CTX_XDP_H
#define XB_CTX_XDP_H

#include "xb_abi.h"

#define XB_CTX struct xdp_md *
#define XB_CTX_STARTS_AT_L2 1

/*
 * Headers sit in the linear part of the frame: read them there directly (a
 * bounds check and a copy). bpf_xdp_load_bytes (5.18), a helper call each
 * time, is the fallback for what lies beyond it in a multi-buffer frame.
 * The offset bound (a frame is at most 64 KiB) lets the verifier check the
 * variable-offset access.
 */
static __always_inline int xb_ctx_load(struct xdp_md *ctx, __u32 off, void *dst,
				       __u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	/* off + len within the verifier's largest packet offset (0xffff): an
	 * offset it only knows that well of (one read back from the stack)
	 * still gets the packet range checked; past it, the helper reads */
	if (off <= 0xffff - len && data + off + len <= data_end) {
		/* 4-byte loads, as a struct iphdr * would make: the verifier allows
		 * unaligned packet reads where the CPU does them cheaply (x86,
		 * arm64); byte-by-byte copies cost ~6 ns more a packet here */
		__builtin_memcpy(dst, __builtin_assume_aligned(data + off, 4), len);
		return 0;
	}
	return bpf_xdp_load_bytes(ctx, off, dst, len);
}

/*
 * Helper calls are dear where every return goes through a return thunk
 * (SRSO, retbleed mitigations): bpf_xdp_get_buff_len cost about as much as
 * parsing the whole packet. Ask it only when the linear part is too short:
 * a frame has fragments only when it does not fit in its first buffer.
 */
static __always_inline int xb_ctx_covers(struct xdp_md *ctx, __u32 end)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (end < 0x10000 && data + end <= data_end)
		return 1;
	return end <= bpf_xdp_get_buff_len(ctx);
}

/* The frame's length: the linear part's when the IP packet ends within it
 * (no fragment then holds more than the link layer's padding could), else
 * the helper's. */
static __always_inline __u32 xb_ctx_bytes(struct xdp_md *ctx, __u32 l3_end)
{
	__u32 linear = (__u32)(ctx->data_end - ctx->data);

	if (l3_end && l3_end <= linear)
		return linear;
	return (__u32)bpf_xdp_get_buff_len(ctx);
}

static __always_inline int xb_ctx_verdict(struct xdp_md *ctx, __u32 verdict)
{
	return verdict == XB_DROP ? XDP_DROP : XDP_PASS;
}

#endif /* XB_CTX_XDP_H */
