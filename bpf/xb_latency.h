/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Log-linear latency buckets, HDR-style: one bucket per nanosecond below 16
 * ns, then 16 buckets per power of two (at most 1/16 = 6.25% wide). Shared
 * by the sink program, which fills them, and the C++ histogram that reads them.
 */
#ifndef XB_LATENCY_H
#define XB_LATENCY_H

#define XB_LAT_SUB_BITS 4
#define XB_LAT_BUCKETS 640 /* up to 2^40 ns (18 minutes) */

static __always_inline __u32 xb_latency_bucket(__u64 ns)
{
	__u64 x = ns;
	__u32 msb = 0, bucket;

	if (ns < 16)
		return (__u32)ns;
	/* the highest set bit, by halving: BPF has no count-leading-zeros */
	if (x >> 32) { x >>= 32; msb += 32; }
	if (x >> 16) { x >>= 16; msb += 16; }
	if (x >> 8) { x >>= 8; msb += 8; }
	if (x >> 4) { x >>= 4; msb += 4; }
	if (x >> 2) { x >>= 2; msb += 2; }
	if (x >> 1) msb += 1;
	bucket = (msb - 3) * 16 + (__u32)((ns >> (msb - XB_LAT_SUB_BITS)) & 15);
	return bucket < XB_LAT_BUCKETS ? bucket : XB_LAT_BUCKETS - 1;
}

#endif /* XB_LATENCY_H */
