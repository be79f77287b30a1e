/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The body every hook's entry point shares: classify, count, map the verdict.
 * Include after a ctx layer header.
 */
#ifndef XB_FILTER_ENTRY_BPF_H
#define XB_FILTER_ENTRY_BPF_H

#include "xb_maps.bpf.h"
#include "xb_core.h"

static __always_inline int xb_filter(XB_CTX ctx)
{
	struct xb_result res;

	xb_classify(ctx, xb_active_table(), &res);
	xb_count(&res, xb_ctx_bytes(ctx));
	return xb_ctx_verdict(ctx, res.verdict);
}

#endif /* XB_FILTER_ENTRY_BPF_H */
