/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the generator writes into each packet's UDP payload. */
#ifndef XB_GEN_H
#define XB_GEN_H

#define XB_GEN_MAGIC 0x78627374u /* "xbst" */
#define XB_GEN_BASE_PORT 32768

struct xb_gen_stamp {
	__u32 magic;
	__u32 pad;
	__u64 seq;
	__u64 sent_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

#endif /* XB_GEN_H */
