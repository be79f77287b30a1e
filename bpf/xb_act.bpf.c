// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The filter as a tc action (act_bpf), behind a matchall classifier. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "xb_ctx_skb.h"
#include "xb_filter_entry.bpf.h"

SEC("action")
int xb_act_filter(struct __sk_buff *ctx)
{
	return xb_filter(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
