// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The filter on a route (lightweight tunnel encap "bpf"): one program per
 * place the route runs it, the three program types the kernel has for it.
 *   lwt_in:   lwtunnel_input, the route's dst input (ip_rcv_finish/ip6_rcv_finish
 *             -> dst_input), for packets received and routed by this route;
 *   lwt_out:  lwtunnel_output, the route's dst output (dst_output);
 *   lwt_xmit: lwtunnel_xmit, in ip_finish_output2/ip6_finish_output2 before
 *             the neighbour layer builds the L2 header.
 * Each sees the packet from its IP header on. The loader loads one of the
 * three (autoload off for the others): a route's encap names each by type.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define XB_CTX_DATA_AT_NETWORK_HEADER
#include "xb_ctx_l3skb.h"

static __always_inline int xb_ctx_verdict(struct __sk_buff *ctx, __u32 verdict)
{
	return verdict == XB_DROP ? BPF_DROP : BPF_OK;
}

#include "xb_filter_entry.bpf.h"

SEC("lwt_in")
int xb_lwt_in_filter(struct __sk_buff *ctx)
{
	return xb_filter(ctx);
}

SEC("lwt_out")
int xb_lwt_out_filter(struct __sk_buff *ctx)
{
	return xb_filter(ctx);
}

SEC("lwt_xmit")
int xb_lwt_xmit_filter(struct __sk_buff *ctx)
{
	return xb_filter(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
