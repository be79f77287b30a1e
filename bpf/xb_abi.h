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
#define XB_MAX_RULES 131072   /* rule indices and counter slots */
#define XB_MAX_TREES 4        /* decision trees per address family */
#define XB_MAX_DEPTH 24       /* levels of one tree, root included */
#define XB_LEAF_MAX 16        /* rule records one leaf holds */
#define XB_MAX_BLOCKS (1u << 20) /* 64-byte blocks of one table: 64 MiB */
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
#define XB_IPPROTO_DCCP 33
#define XB_IPPROTO_SCTP 132
#define XB_IPPROTO_UDPLITE 136
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

/*
 * The compiled table is one array of 64-byte blocks (one cache line each):
 * block XB_FAMILY_V4 and XB_FAMILY_V6 hold each family's metadata and tree
 * roots; the rest hold tree nodes (8 a block) and leaves: a leaf is up to 16
 * rule records (one a block) in consecutive blocks. See bpf/README.md.
 */
#define XB_BLOCK_SIZE 64
#define XB_NODES_PER_BLOCK 8

/* The words of the packet's search key, host byte order. An address takes
 * four words (IPv4: the first, the rest zero). For ICMP packets the port
 * words carry the ICMP type and code, so rules on them are cut on too. */
enum xb_key_word {
	XB_KEY_SRC = 0,   /* 0-3 */
	XB_KEY_DST = 4,   /* 4-7 */
	XB_KEY_SPORT = 8, /* or ICMP type */
	XB_KEY_DPORT = 9, /* or ICMP code */
	XB_KEY_PROTO = 10, /* protocol << XB_L4_BITS | what was read of its header (XB_L4_*),
			      IPv6's routing header above (XB_KEY_RH_*) */
	XB_KEY_WORDS = 11,
};

/*
 * What the parser read of the transport header: the low bits of the key's
 * protocol word, so a rule's box says which headers its fields are read
 * from. A whole TCP, UDP, UDP-Lite, SCTP or DCCP header is PORTS, a whole
 * ICMP header ICMP, a later fragment or another protocol nothing. SHORT and
 * TINY are what iptables' own matches cannot read and drop on the spot
 * ("hotdrop", docs/rules.md): only rule sets that ask for it
 * (xb_meta.short_l4) judge such TCP, UDP and ICMP packets by their rules;
 * the others call them malformed. UDP-Lite, SCTP and DCCP cut short always
 * go to the rules (they did before their ports were read).
 */
#define XB_L4_PORTS 1 /* source and destination port read (the first 4 bytes) */
#define XB_L4_ICMP 2  /* ICMP type and code, from a whole ICMP header (8 bytes) */
#define XB_L4_SHORT 4 /* cut short of its whole size (TCP 20, UDP and UDP-Lite 8,
			 SCTP and DCCP 12, ICMP 8 bytes), or TCP in an IPv4
			 fragment at offset 1 (8 bytes) */
#define XB_L4_TINY 8  /* a header with ports cut short of them (under 4 bytes) */
#define XB_L4_BITS 4

/*
 * IPv6's first routing header, above the 12 bits the trees cut of the
 * protocol word: only a rule that asks (ip6tables' -m rt --rt-type 0,
 * nft's rt type 0) has them in its proto mask, so they cost nothing else.
 * Type 0, the source route RFC 5095 deprecates, is what firewalls drop.
 */
#define XB_KEY_RH_SEEN (1u << 12)  /* the packet has a routing header */
#define XB_KEY_RH_TYPE0 (1u << 13) /* the first one is of type 0 */

/*
 * A packet's connection state, as iptables' conntrack match and nftables'
 * ct state name it (docs/rules.md "Connection state"): one bit a state, so a
 * rule's set of states is a mask. 0 is "not known here": the hook could not
 * ask the kernel's conntrack table (bpf/xb_ct.bpf.h says when), and no rule
 * that names states matches it.
 */
#define XB_CT_NEW 0x01
#define XB_CT_ESTABLISHED 0x02
#define XB_CT_RELATED 0x04
#define XB_CT_INVALID 0x08
#define XB_CT_UNTRACKED 0x10
#define XB_CT_ALL 0x1f

/* xb_node.word of a leaf: its arg records sit in blocks index, index + 1, ... */
#define XB_NODE_LEAF 0xff

/*
 * A tree node. An inner node cuts one key word: the child for key k is node
 * slot index + ((k.w[word] >> shift) & arg), slot s living in block s / 8 at
 * s % 8. A leaf (word XB_NODE_LEAF) is arg records from block index on.
 */
struct xb_node {
	__u8 word;  /* enum xb_key_word or XB_NODE_LEAF */
	__u8 shift;
	__u16 arg;  /* inner: child mask (children - 1); leaf: record count */
	__u32 index;
};

struct xb_tree_root {
	struct xb_node root;
	__u32 min_rule; /* lowest rule index in this tree: enables early exit */
};

/* Blocks XB_FAMILY_V4 and XB_FAMILY_V6: one per family. */
struct xb_meta {
	__u32 counter_base;  /* generation's first slot in the counters map */
	__u32 rule_count;    /* rules in this table (for reading its counters) */
	__u8 default_action; /* enum xb_verdict when no rule matches */
	__u8 non_ip_action;
	__u8 malformed_action;
	__u8 n_trees;        /* of this family, sorted by min_rule */
	__u8 short_l4;       /* 1: a transport header cut short goes to the rules, not malformed */
	__u8 ct_lookup;      /* 1: some rule names connection states: look the packet up */
	__u8 pad[2];
	struct xb_tree_root trees[XB_MAX_TREES];
};

/*
 * One rule of one family (a port list makes one record per range pair):
 * everything the leaf scan checks, said the same way for every field so the
 * check is one comparison per key word and a single branch (bpf/README.md,
 * "The leaf scan"). A field the rule leaves open matches everything: prefix
 * bits 0, the full port range, mask 0.
 */
struct xb_rule_record {
	__u32 src[4];          /* key words 0-3, host bits zero */
	__u32 dst[4];          /* key words 4-7 */
	__u32 rule;
	__u16 port_lo[2];      /* key words 8 and 9: ports, or ICMP type and code */
	__u16 port_span[2];    /* matches lo <= word <= lo + span */
	__u16 proto_mask;      /* key word 10: (word & mask) == value; its XB_L4_* */
	__u16 proto_value;     /* bits: which headers the rule's fields are read from */
	__u8 src_bits[4];      /* prefix bits in each address word, 0-32 */
	__u8 dst_bits[4];
	/* TCP flags in the low byte, the TTL (hop limit) in the high one, as
	 * the key's flags_ttl: (flags_ttl & mask) == value. TCP flags make the
	 * proto word ask for a TCP header; a TTL range is one record per
	 * aligned block of it (a rule's port pairs multiply the same way), so
	 * the TTL costs no operation of its own */
	__u16 flags_ttl_mask;
	__u16 flags_ttl_value;
	__u8 action;           /* enum xb_verdict */
	__u8 ct_states;        /* XB_CT_* the rule accepts; 0: any, not looked at */
	__u8 pad[2];
};

union xb_block {
	struct xb_meta meta;
	struct xb_node nodes[XB_NODES_PER_BLOCK];
	struct xb_rule_record record;
	__u8 bytes[XB_BLOCK_SIZE];
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
	__u32 l3_end;       /* where the IP packet ends in the packet data (0: not parsed) */
};
#define XB_NO_COUNTER 0xffffffffu

#endif /* XB_ABI_H */
