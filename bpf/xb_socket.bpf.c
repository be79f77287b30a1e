// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The filter as a socket filter (SO_ATTACH_BPF). Its verdict is a length:
 * the whole packet to keep it, 0 to drop it. A drop here hides the packet
 * from this one socket; the stack has already received and processed it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xb_ctx_l3skb.h"

static __always_inline int xb_ctx_verdict(struct __sk_buff *ctx, __u32 verdict)
{
	return verdict == XB_DROP ? 0 : (int)ctx->len;
}

#include "xb_filter_entry.bpf.h"

SEC("socket")
int xb_socket_filter(struct __sk_buff *ctx)
{
	return xb_filter(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
