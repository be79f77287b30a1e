// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The filter at XDP, native or generic: the same program serves both. Built
 * with XB_CONNTRACK, the variant that looks up connection state (xb_ct.bpf.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "xb_ctx_xdp.h"
#ifdef XB_CONNTRACK
#define XB_CT_LOOKUP bpf_xdp_ct_lookup
#include "xb_ct.bpf.h"
#endif
#include "xb_filter_entry.bpf.h"

SEC("xdp")
int xb_xdp_filter(struct xdp_md *ctx)
{
	return xb_filter(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
