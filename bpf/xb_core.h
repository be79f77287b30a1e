/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The filter core: parse one packet (xb_parse.h) and classify it against a
 * compiled rule table. Written once, compiled twice: into every hook's BPF program and,
 * natively, into the C++ reference model (loader/compile/reference_model.cpp).
 *
 * The includer provides the hook through a small ctx layer:
 *   XB_CTX                      the context type (struct xdp_md *, ...)
 *   XB_CTX_STARTS_AT_L2         1 if packet data starts at the Ethernet header
 *   xb_ctx_load(ctx, off, dst, len)  copy len bytes at off; 0 or < 0
 *   xb_ctx_covers(ctx, end)     nonzero if the packet data has at least end
 *                               bytes (IP length checks; the loads check
 *                               their own bounds)
 *   xb_ctx_l3_ethertype(ctx)    (L3 hooks only) EtherType of the packet
 *   xb_ctx_ct_state(ctx, pkt)   (where XB_CTX_HAS_CT_STATE is defined) the
 *                               packet's connection state, XB_CT_*; where
 *                               it is not, rules naming states never match
 *                               (the loader refuses such rules there)
 * and the table through one lookup:
 *   XB_TABLE                    the table handle type
 *   xb_table_block(table, i)    const union xb_block * of block i, or NULL
 *
 * Every read goes through xb_ctx_load, which bounds-checks: a truncated
 * packet is a MALFORMED verdict (or, where the table says so, a transport
 * header cut short judged by the rules), never an out-of-bounds read.
 */
#ifndef XB_CORE_H
#define XB_CORE_H

#include "xb_abi.h"
#include "xb_parse.h"

/* The mask of a word's first bits (0-32), without a branch. */
static __always_inline __u32 xb_prefix_mask(__u32 bits)
{
	return (__u32)(0xffffffffull << (32 - bits));
}

/* The search key: what the trees cut on, as host-order words. */
struct xb_key {
	__u32 w[XB_KEY_WORDS];
	__u32 flags_ttl; /* TTL (hop limit) << 8 | TCP flags: checked in the leaf, not cut on */
};

static __always_inline void xb_make_key(const struct xb_packet *pkt, struct xb_key *key)
{
	__u32 i;

	for (i = 0; i < 4; i++) {
		key->w[XB_KEY_SRC + i] = pkt->src[i];
		key->w[XB_KEY_DST + i] = pkt->dst[i];
	}
	if (pkt->l4 & XB_L4_ICMP) {
		key->w[XB_KEY_SPORT] = pkt->icmp_type;
		key->w[XB_KEY_DPORT] = pkt->icmp_code;
	} else {
		key->w[XB_KEY_SPORT] = pkt->sport;
		key->w[XB_KEY_DPORT] = pkt->dport;
	}
	/* which headers were read, beside the protocol: so a rule on ports
	 * covers every packet in its box (not a later fragment) */
	key->w[XB_KEY_PROTO] = (__u32)pkt->rh << 12 | ((__u32)pkt->proto << XB_L4_BITS) | pkt->l4;
	key->flags_ttl = (__u32)pkt->ttl << 8 | pkt->tcp_flags;
}

/*
 * Every field is compared the same way and the differences ORed together,
 * so a record costs two branches (and one more for IPv6's other address
 * words), not one per field: faster, and far fewer paths for the verifier.
 * The first branch, after the addresses, is where most records a packet
 * meets in a leaf fail (a leaf's rules differ mostly in addresses), and it
 * skips the rest of the check.
 */
static __always_inline int xb_record_matches(const struct xb_rule_record *r,
					     const struct xb_packet *pkt,
					     const struct xb_key *key)
{
	__u64 diff;
	__u32 w;

	diff = (key->w[XB_KEY_SRC] & xb_prefix_mask(r->src_bits[0])) ^ r->src[0];
	diff |= (key->w[XB_KEY_DST] & xb_prefix_mask(r->dst_bits[0])) ^ r->dst[0];
	if (diff)
		return 0;
	/* lo <= word <= lo + span: word - lo, wrapped, is at most span; the
	 * 64-bit difference is negative otherwise */
	diff |= ((__u64)r->port_span[0] - (__u32)(key->w[XB_KEY_SPORT] - r->port_lo[0])) >> 63;
	diff |= ((__u64)r->port_span[1] - (__u32)(key->w[XB_KEY_DPORT] - r->port_lo[1])) >> 63;
	diff |= (key->w[XB_KEY_PROTO] & r->proto_mask) ^ r->proto_value;
	diff |= (key->flags_ttl & r->flags_ttl_mask) ^ r->flags_ttl_value;
	/* a rule that names states needs the packet's among them */
	diff |= (r->ct_states != 0) & ((pkt->ct_state & r->ct_states) == 0);
	/* an IPv4 address is one word: the other three are zero on both sides */
	if (pkt->family == XB_FAMILY_V6) {
		for (w = 1; w < 4; w++) {
			diff |= (key->w[XB_KEY_SRC + w] & xb_prefix_mask(r->src_bits[w])) ^ r->src[w];
			diff |= (key->w[XB_KEY_DST + w] & xb_prefix_mask(r->dst_bits[w])) ^ r->dst[w];
		}
	}
	return diff == 0;
}

struct xb_search_state {
	XB_TABLE table;
	const struct xb_meta *meta;
	const struct xb_packet *pkt;
	struct xb_key key;
	__u32 best;    /* lowest matching rule so far */
	__u32 verdict; /* its action */
};

/*
 * Check one record of a leaf; 1 ends the leaf's scan: the record matched, or
 * it (and so every later one: a leaf is in rule order) cannot beat the best
 * match so far.
 */
static __always_inline int xb_try_record(struct xb_search_state *st, __u32 block)
{
	const union xb_block *b = xb_table_block(st->table, block);

	if (!b || b->record.rule >= st->best)
		return 1;
	if (!xb_record_matches(&b->record, st->pkt, &st->key))
		return 0;
	st->best = b->record.rule;
	st->verdict = b->record.action;
	return 1;
}

/* Walk one tree to its leaf and scan it; 1 stops the search. */
static __always_inline int xb_search_tree(struct xb_search_state *st, __u32 t)
{
	const struct xb_tree_root *root;
	const union xb_block *b;
	struct xb_node node;
	__u32 d, i, slot, word;

	if (t >= XB_MAX_TREES)
		return 1;
	root = &st->meta->trees[t];
	/* trees are sorted by their lowest rule: none after this one can win */
	if (root->min_rule >= st->best)
		return 1;
	node = root->root;
	for (d = 0; d < XB_MAX_DEPTH; d++) {
		word = node.word;
		if (word >= XB_KEY_WORDS)
			break;
		slot = node.index + ((st->key.w[word] >> (node.shift & 31)) & node.arg);
		b = xb_table_block(st->table, slot / XB_NODES_PER_BLOCK);
		if (!b)
			return 0;
		node = b->nodes[slot % XB_NODES_PER_BLOCK];
	}
	if (node.word != XB_NODE_LEAF)
		return 0; /* deeper than XB_MAX_DEPTH: the compiler never builds it */
	/* the leaf's records lie in consecutive blocks, in rule order, so
	 * the first match is the leaf's best and no block lists them */
	for (i = 0; i < XB_LEAF_MAX; i++) {
		if (i >= node.arg)
			break;
		if (xb_try_record(st, node.index + i))
			break;
	}
	return 0;
}

/*
 * A few decision trees per family (bpf/README.md): each walk is one block
 * read per level and ends in a leaf of at most XB_LEAF_MAX rule records,
 * checked in rule order. The trees are sorted by their lowest rule index, so
 * once the best match so far beats a tree's lowest rule, the search stops:
 * first match wins, as in iptables. The loop over the trees is unrolled:
 * as a bpf_loop callback each tree cost a call and a return (about 8 ns a
 * tree where returns go through a thunk); unrolled, the verifier checks four
 * copies of the walk (about 370k instructions for the XDP program, of its
 * 1M limit; bpf/README.md).
 */
static __always_inline void xb_search(XB_TABLE table, const struct xb_meta *meta,
				      const struct xb_packet *pkt,
				      struct xb_result *res)
{
	struct xb_search_state st;
	__u32 n, t;

	st.table = table;
	st.meta = meta;
	st.pkt = pkt;
	xb_make_key(pkt, &st.key);
	st.best = XB_RULE_DEFAULT;
	st.verdict = meta->default_action;
	n = meta->n_trees;
	if (n > XB_MAX_TREES)
		n = XB_MAX_TREES;
	for (t = 0; t < XB_MAX_TREES; t++) {
		if (t >= n || xb_search_tree(&st, t))
			break;
	}
	res->verdict = st.verdict;
	res->rule = st.best;
	res->counter_slot = meta->counter_base + st.best;
}

#ifndef XB_CTX_HAS_CT_STATE
static __always_inline __u8 xb_ctx_ct_state(XB_CTX ctx, const struct xb_packet *pkt)
{
	return 0;
}
#endif

/*
 * Classify the packet in ctx. With no table loaded yet the packet passes:
 * the program is attached before its first table is swapped in.
 */
static __always_inline void xb_classify(XB_CTX ctx, XB_TABLE table,
					struct xb_result *res)
{
	const union xb_block *meta_block;
	const struct xb_meta *meta;
	struct xb_packet pkt;
	int status;

	res->verdict = XB_PASS;
	res->rule = XB_RULE_DEFAULT;
	res->counter_slot = XB_NO_COUNTER;
	res->l3_end = 0;
	if (!table)
		return;

	__builtin_memset(&pkt, 0, sizeof(pkt));
	status = xb_parse(ctx, &pkt);
	res->l3_end = pkt.l3_end;
	/* each family's trees sit in its own metadata block; both carry the
	 * defaults and the counter base */
	meta_block = xb_table_block(table, pkt.family == XB_FAMILY_V6 ? XB_FAMILY_V6 : XB_FAMILY_V4);
	if (!meta_block)
		return;
	meta = &meta_block->meta;
	if (status == XB_PARSE_NON_IP) {
		res->verdict = meta->non_ip_action;
		res->rule = XB_RULE_NON_IP;
		res->counter_slot = meta->counter_base + XB_RULE_NON_IP;
		return;
	}
	/* a transport header cut short is malformed unless the rules judge
	 * it (iptables' semantics: docs/rules.md) */
	if (status != XB_PARSE_OK && (status != XB_PARSE_SHORT_L4 || !meta->short_l4)) {
		res->verdict = meta->malformed_action;
		res->rule = XB_RULE_MALFORMED;
		res->counter_slot = meta->counter_base + XB_RULE_MALFORMED;
		return;
	}
	/* asked only of tables that need it: a lookup costs as much as the
	 * search (docs/rules.md "Connection state") */
	if (meta->ct_lookup)
		pkt.ct_state = xb_ctx_ct_state(ctx, &pkt);
	xb_search(table, meta, &pkt, res);
}

#endif /* XB_CORE_H */
