/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the generator writes into each packet's UDP payload. */
#ifndef XB_GEN_H
#define XB_GEN_H

#define XB_GEN_MAGIC 0x78627374u /* "xbst" */
/* where the stamp sits: after the IP (IPv4 without options, or IPv6 without
 * extension headers) and UDP headers, and after Ethernet for the hooks that
 * see it; IPv6 puts it 20 bytes further */
#define XB_GEN_STAMP_L3_OFFSET (20 + 8)
#define XB_GEN_STAMP_L2_OFFSET (14 + XB_GEN_STAMP_L3_OFFSET)
#define XB_GEN_STAMP_IPV6_EXTRA 20
#define XB_GEN_BASE_PORT 32768
/* the TTL (IPv4) and hop limit (IPv6) of every template frame */
#define XB_GEN_TTL 64

/* 16 bytes: with Ethernet, IPv4 and UDP headers it fits a minimum frame. */
struct xb_gen_stamp {
	__u32 magic;
	__u32 seq;
	__u64 sent_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

/* One flow of the generator's flow table: the addresses and ports it writes
 * into the template frame, in network byte order (IPv4: the first 4 bytes). */
struct xb_gen_flow {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
};

/* IPv4 flows from index 0, IPv6 flows from XB_GEN_V6_FLOWS */
#define XB_GEN_MAX_FLOWS 4096
#define XB_GEN_V6_FLOWS 2048

/* One frame of a replayed file (xdpbench run --traffic): Ethernet, no FCS.
 * The longest a veth of MTU 1500 takes: 1500 + 14 + one VLAN tag. */
#define XB_GEN_FRAME_MAX 1518
struct xb_gen_frame {
	__u32 len;
	__u8 data[XB_GEN_FRAME_MAX];
};
/* frames a replay cycles through at most (about 50 MB of map at the limit) */
#define XB_GEN_MAX_FRAMES 32768

/* Generator threads (--gen-cpus), each on a CPU of its own, each with its
 * own packet counter: thread t of T sends packets t, t + T, t + 2T, ... */
#define XB_GEN_MAX_THREADS 64
#define XB_GEN_MAX_CPUS 1024 /* a power of two: CPU ids are masked with it */
struct xb_gen_counter {
	__u64 seq[2]; /* per family (IPv4, IPv6) */
	__u64 pad[6]; /* a cache line each: no thread writes another's */
};

#endif /* XB_GEN_H */
