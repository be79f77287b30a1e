/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one ABI shared by the BPF programs and the C++ loader: map layouts,
 * keys, values, verdicts and limits. Fixed-width types only; addresses and
 * ports are kept in network byte order exactly as they sit in the packet,
 * so the BPF side never byte-swaps on the per-packet path.
 */
#ifndef XB_ABI_H
#define XB_ABI_H

#ifdef __bpf__
/* vmlinux.h already defines the __uN types. */
#else
#include <linux/types.h>
#endif

/* Limits. See bpf/README.md for why each is what it is. */
#define XB_MAX_RULES 131072  /* rule indices and counter slots */
#define XB_MAX_BUCKETS 262144 /* distinct (tuple, masked key) buckets */
#define XB_MAX_TUPLES 32      /* distinct shapes per address family */
#define XB_CHAIN_LEN 16       /* rules sharing one bucket */
#define XB_MAX_IPV6_EXT 8     /* IPv6 extension headers walked */
#define XB_MAX_VLAN 2         /* 802.1Q / 802.1ad tags parsed */

enum xb_verdict {
	XB_PASS = 0,
	XB_DROP = 1,
};

/* rule index values that are not a user rule: counter slots after the rules */
#define XB_RULE_DEFAULT (XB_MAX_RULES + 0)   /* no rule matched */
#define XB_RULE_NON_IP (XB_MAX_RULES + 1)    /* neither IPv4 nor IPv6 */
#define XB_RULE_MALFORMED (XB_MAX_RULES + 2) /* truncated / malformed IP */
#define XB_COUNTER_SLOTS (XB_MAX_RULES + 4)  /* per generation */

/* IP protocol numbers the rules and the core name */
#define XB_IPPROTO_ICMP 1
#define XB_IPPROTO_TCP 6
#define XB_IPPROTO_UDP 17
#define XB_IPPROTO_ICMPV6 58
/* IPv6 extension headers the parser walks */
#define XB_IPPROTO_HOPOPTS 0
#define XB_IPPROTO_ROUTING 43
#define XB_IPPROTO_FRAGMENT 44
#define XB_IPPROTO_AH 51
#define XB_IPPROTO_DSTOPTS 60

enum xb_family {
	XB_FAMILY_V4 = 0,
	XB_FAMILY_V6 = 1,
	XB_FAMILIES = 2,
};

/* The shape of a bucket key. A packet is looked up once per tuple. */
enum xb_tuple_flags {
	XB_TUPLE_PROTO = 1 << 0, /* key holds the L4 protocol */
	XB_TUPLE_DPORT = 1 << 1, /* key holds an exact destination port */
};

struct xb_tuple {
	__u8 src_len;  /* prefix lengths, in bits */
	__u8 dst_len;
	__u8 flags;    /* enum xb_tuple_flags */
	__u8 id;       /* distinguishes keys of different tuples */
	__u32 min_rule; /* lowest rule index in this tuple: enables early exit */
};

/* Bucket key: the packet's fields masked to one tuple's shape. */
struct xb_bucket_key {
	__u8 tuple_id;
	__u8 family;
	__u8 proto;
	__u8 kind; /* XB_KEY_BUCKET or XB_KEY_META */
	__be16 dport;
	__u16 pad;
	__u8 src[16];
	__u8 dst[16];
};

enum xb_key_kind {
	XB_KEY_BUCKET = 0,
	XB_KEY_META = 1, /* the table's one metadata entry */
};

/* Which L4 fields a chain entry constrains. */
enum xb_match_flags {
	XB_MATCH_SPORT = 1 << 0,
	XB_MATCH_DPORT = 1 << 1,
	XB_MATCH_TCP_FLAGS = 1 << 2,
	XB_MATCH_ICMP_TYPE = 1 << 3,
	XB_MATCH_ICMP_CODE = 1 << 4,
};

/* One rule's residual match inside a bucket. Ports in host byte order. */
struct xb_chain_entry {
	__u32 rule;
	__u16 sport_lo, sport_hi;
	__u16 dport_lo, dport_hi;
	__u8 tcp_flags_mask, tcp_flags_value;
	__u8 icmp_type, icmp_code;
	__u8 match; /* enum xb_match_flags */
	__u8 action; /* enum xb_verdict */
	__u16 pad;
};

/*
 * A bucket holds its whole chain inline, so one hash lookup gives every
 * candidate rule and there is no second map to keep consistent on reload.
 * Entries are sorted by rule index: the first match is the bucket's best.
 */
struct xb_bucket {
	__u32 count;
	__u32 pad;
	struct xb_chain_entry chain[XB_CHAIN_LEN];
};

/* The table's metadata, stored under the XB_KEY_META key of the same map. */
struct xb_meta {
	__u32 n_tuples[XB_FAMILIES];
	__u32 counter_base;  /* generation's first slot in the counters map */
	__u32 rule_count;    /* rules in this table (for reading its counters) */
	__u8 default_action; /* enum xb_verdict when no rule matches */
	__u8 non_ip_action;
	__u8 malformed_action;
	__u8 pad;
	struct xb_tuple tuples[XB_FAMILIES][XB_MAX_TUPLES];
};

/* The value of the bucket hash map must fit both shapes. */
union xb_table_value {
	struct xb_bucket bucket;
	struct xb_meta meta;
};

struct xb_counter {
	__u64 packets;
	__u64 bytes;
};

/* Result of classifying one packet. */
struct xb_result {
	__u32 verdict;      /* enum xb_verdict */
	__u32 rule;         /* user rule index, or XB_RULE_* */
	__u32 counter_slot; /* where to count it, or XB_NO_COUNTER */
};
#define XB_NO_COUNTER 0xffffffffu

#endif /* XB_ABI_H */
