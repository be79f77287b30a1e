/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The body every hook's entry point shares: classify, count, map the verdict.
 * Include after a ctx layer header, which besides what xb_core.h needs gives
 *   xb_ctx_bytes(ctx, l3_end)   the bytes to count (l3_end: where the parsed
 *                               IP packet ends, 0 if it was not parsed)
 *   xb_ctx_verdict(ctx, v)      the hook's return value for enum xb_verdict v
 */
#ifndef XB_FILTER_ENTRY_BPF_H
#define XB_FILTER_ENTRY_BPF_H

#include "xb_maps.bpf.h"
#include "xb_core.h"

/*
 * The benchmark rig's variant of each program (built with XB_RIG_VARIANT,
 * loaded only by the rig) times the generator's stamps and can be slowed on
 * purpose (xb_rig_probe.bpf.h); the program users attach has none of it.
 */
#ifdef XB_RIG_VARIANT
#include "xb_rig_probe.bpf.h"
#else
static __always_inline void xb_rig_before(XB_CTX ctx) {}
static __always_inline void xb_rig_after(XB_CTX ctx) {}
#endif

static __always_inline int xb_filter(XB_CTX ctx)
{
	struct xb_result res;

	xb_rig_before(ctx);
	xb_classify(ctx, xb_active_table(), &res);
	xb_count(&res, xb_ctx_bytes(ctx, res.l3_end));
	xb_rig_after(ctx);
	return xb_ctx_verdict(ctx, res.verdict);
}

#endif /* XB_FILTER_ENTRY_BPF_H */
