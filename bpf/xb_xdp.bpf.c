// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The filter at XDP, native or generic: the same program serves both. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "xb_ctx_xdp.h"
#include "xb_filter_entry.bpf.h"

SEC("xdp")
int xb_xdp_filter(struct xdp_md *ctx)
{
	return xb_filter(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
