// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The filter at tc: cls_bpf in direct-action mode (and tcx, act_bpf). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "xb_ctx_skb.h"
#include "xb_filter_entry.bpf.h"

SEC("tc")
int xb_tc_filter(struct __sk_buff *ctx)
{
	return xb_filter(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
