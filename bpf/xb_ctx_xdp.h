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

	if (off < 0x10000 && data + off + len <= data_end) {
		/* 4-byte loads, as a struct iphdr * would make: the verifier allows
		 * unaligned packet reads where the CPU does them cheaply (x86,
		 * arm64); byte-by-byte copies made parsing cost twice as much */
		__builtin_memcpy(dst, __builtin_assume_aligned(data + off, 4), len);
		return 0;
	}
	return bpf_xdp_load_bytes(ctx, off, dst, len);
}

static __always_inline __u32 xb_ctx_len(struct xdp_md *ctx)
{
	return (__u32)bpf_xdp_get_buff_len(ctx);
}

#define xb_ctx_bytes xb_ctx_len

static __always_inline int xb_ctx_verdict(struct xdp_md *ctx, __u32 verdict)
{
	return verdict == XB_DROP ? XDP_DROP : XDP_PASS;
}

#endif /* XB_CTX_XDP_H */
