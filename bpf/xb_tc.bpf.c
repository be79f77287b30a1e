// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The filter at tc: cls_bpf in direct-action mode and tcx (act_bpf has its
 * own entry); built with XB_CONNTRACK, the variant that looks up connection
 * state (xb_ct.bpf.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "xb_ctx_skb.h"
#ifdef XB_CONNTRACK
#define XB_CT_LOOKUP bpf_skb_ct_lookup
#include "xb_ct.bpf.h"
#endif
#include "xb_filter_entry.bpf.h"

SEC("tc")
int xb_tc_filter(struct __sk_buff *ctx)
{
	return xb_filter(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
