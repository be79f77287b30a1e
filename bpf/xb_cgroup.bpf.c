// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The filter at cgroup_skb, ingress or egress (the attach type decides): the
 * packets of the sockets in a cgroup v2, from the IP header on.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xb_ctx_l3skb.h"

static __always_inline int xb_ctx_verdict(struct __sk_buff *ctx, __u32 verdict)
{
	return verdict == XB_DROP ? 0 : 1;
}

#include "xb_filter_entry.bpf.h"

SEC("cgroup/skb")
int xb_cgroup_filter(struct __sk_buff *ctx)
{
	return xb_filter(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
