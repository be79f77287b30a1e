/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The ctx layer for tc (cls_bpf, act_bpf, tcx): data starts at Ethernet,
 * and the tc verdicts are the same for all three. */
#ifndef XB_CTX_SKB_H
#define XB_CTX_SKB_H

#include "xb_abi.h"

#define XB_CTX struct __sk_buff *
#define XB_CTX_STARTS_AT_L2 1

static __always_inline int xb_ctx_load(struct __sk_buff *ctx, __u32 off,
				       void *dst, __u32 len)
{
	return bpf_skb_load_bytes(ctx, off, dst, len);
}

static __always_inline int xb_ctx_covers(struct __sk_buff *ctx, __u32 end)
{
	return end <= ctx->len;
}

static __always_inline __u32 xb_ctx_bytes(struct __sk_buff *ctx, __u32 l3_end)
{
	return ctx->len;
}

#define XB_TC_ACT_OK 0
#define XB_TC_ACT_SHOT 2


static __always_inline int xb_ctx_verdict(struct __sk_buff *ctx, __u32 verdict)
{
	return verdict == XB_DROP ? XB_TC_ACT_SHOT : XB_TC_ACT_OK;
}

#endif /* XB_CTX_SKB_H */
