/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The ctx layer for socket filters, cgroup_skb and the LWT hooks: __sk_buff
 * read through helpers. Loads are relative to the network header, wherever
 * skb->data points (L4 on a UDP socket, L2 on a packet socket, L3 at cgroup).
 * LWT programs may not call bpf_skb_load_bytes_relative, but there skb->data
 * is the network header at every hook (input, output, xmit: the L2 header is
 * not built yet), so an entry file defines XB_CTX_DATA_AT_NETWORK_HEADER and
 * loads from skb->data.
 */
#ifndef XB_CTX_L3SKB_H
#define XB_CTX_L3SKB_H

#include "xb_abi.h"
#include "xb_ctx_l3.h"

#define XB_CTX struct __sk_buff *

static __always_inline int xb_ctx_load(struct __sk_buff *ctx, __u32 off,
				       void *dst, __u32 len)
{
#ifdef XB_CTX_DATA_AT_NETWORK_HEADER
	return bpf_skb_load_bytes(ctx, off, dst, len);
#else
	return bpf_skb_load_bytes_relative(ctx, off, dst, len, BPF_HDR_START_NET);
#endif
}

static __always_inline int xb_ctx_covers(struct __sk_buff *ctx, __u32 end)
{
	return end <= XB_L3_LEN_UNKNOWN; /* the length is unknown: see xb_ctx_l3.h */
}

static __always_inline __u16 xb_ctx_l3_ethertype(struct __sk_buff *ctx)
{
	return bpf_ntohs((__u16)ctx->protocol);
}

static __always_inline __u32 xb_ctx_bytes(struct __sk_buff *ctx, __u32 l3_end)
{
	return ctx->len;
}

#endif /* XB_CTX_L3SKB_H */
