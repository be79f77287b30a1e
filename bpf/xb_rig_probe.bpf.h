/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The benchmark rig's probe, in the rig's variant of each filter program
 * only (XB_RIG_VARIANT, xb_filter_entry.bpf.h): the one-way latency of the
 * generator's stamps to the hook, and a slowdown of known size for testing
 * the regression gate. The rig sets the knobs (read-only data) through the
 * loader's RigProbe; the programs users attach are built without this file.
 */
#ifndef XB_RIG_PROBE_BPF_H
#define XB_RIG_PROBE_BPF_H

#include "xb_gen.h"
#include "xb_latency.h"

/*
 * For the benchmark rig: where the generator's stamp sits, counted from the
 * first byte this hook's ctx layer reads (0: off). It is read-only data, so
 * with 0 the verifier removes the whole reader: the filter as users attach
 * it never pays for it.
 */
const volatile __u32 xb_stamp_offset = 0;

/*
 * The rig's latency sampling: only the stamps whose hashed sequence number
 * has its top xb_stamp_sample_shift bits zero, one packet in 2^shift, are
 * timed and counted. A timed packet costs a clock read and a counter (about
 * 30 ns where bpf_ktime_get_ns is dear, bpf/README.md): paid on every
 * packet, it would be counted as the filter's own cost against an xdp-noop
 * that pays nothing. Hashed, not seq % 2^shift: packet n takes flow
 * n % flows, so a plain stride would time only a few of the flows.
 */
const volatile __u32 xb_stamp_sample_shift = 0;

/*
 * A debug knob for testing the regression gate: this many empty bpf_loop
 * iterations per packet, a slowdown of known size (the rig sets it from
 * XDPBENCH_DEBUG_EXTRA_WORK). Read-only data: at 0 the verifier removes it.
 */
const volatile __u32 xb_debug_extra_work = 0;

static long xb_no_work(__u32 index, void *ctx)
{
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XB_LAT_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} xb_hook_latency SEC(".maps");

/* One-way latency from the generator to this hook, into a log-linear histogram. */
static __always_inline void xb_record_latency(XB_CTX ctx)
{
	struct xb_gen_stamp stamp;
	__u64 now, *n;
	__u32 bucket;

	if (!xb_stamp_offset)
		return;
	if (xb_ctx_load(ctx, xb_stamp_offset, &stamp, sizeof(stamp)) || stamp.magic != XB_GEN_MAGIC) {
		/* an IPv6 packet has its stamp 20 bytes further */
		if (xb_ctx_load(ctx, xb_stamp_offset + XB_GEN_STAMP_IPV6_EXTRA, &stamp, sizeof(stamp)) ||
		    stamp.magic != XB_GEN_MAGIC)
			return;
	}
	if (xb_stamp_sample_shift && xb_stamp_sample_shift < 32 &&
	    (stamp.seq * 2654435761u) >> (32 - xb_stamp_sample_shift))
		return;
	now = bpf_ktime_get_ns();
	bucket = xb_latency_bucket(now > stamp.sent_ns ? now - stamp.sent_ns : 0);
	n = bpf_map_lookup_elem(&xb_hook_latency, &bucket);
	if (n)
		(*n)++;
}

static __always_inline void xb_rig_before(XB_CTX ctx)
{
	if (xb_debug_extra_work)
		bpf_loop(xb_debug_extra_work, xb_no_work, NULL, 0);
}

static __always_inline void xb_rig_after(XB_CTX ctx)
{
	xb_record_latency(ctx);
}

#endif /* XB_RIG_PROBE_BPF_H */
