/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The filter core: parse one packet and classify it against a compiled rule
 * table. Written once, compiled twice: into every hook's BPF program and,
 * natively, into the C++ reference model (loader/reference_model.cpp).
 *
 * The includer provides the hook through a small ctx layer:
 *   XB_CTX                      the context type (struct xdp_md *, ...)
 *   XB_CTX_STARTS_AT_L2         1 if packet data starts at the Ethernet header
 *   xb_ctx_load(ctx, off, dst, len)  copy len bytes at off; 0 or < 0
 *   xb_ctx_len(ctx)             bytes of packet data
 *   xb_ctx_l3_ethertype(ctx)    (L3 hooks only) EtherType of the packet
 *   XB_LOOP(n, fn, arg)         call long fn(__u32 i, void *arg) for i < n
 *                               until it returns 1 (bpf_loop's contract)
 * and the table through two lookups:
 *   XB_TABLE                    the table handle type
 *   xb_table_meta(table)        const struct xb_meta * or NULL
 *   xb_table_bucket(table, key) const struct xb_bucket * or NULL
 *
 * Every read goes through xb_ctx_load, which bounds-checks: a truncated
 * packet is a MALFORMED verdict, never an out-of-bounds read.
 */
#ifndef XB_CORE_H
#define XB_CORE_H

#include "xb_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define xb_htons(x) __builtin_bswap16(x)
#define xb_htonl(x) __builtin_bswap32(x)
#else
#define xb_htons(x) (x)
#define xb_htonl(x) (x)
#endif

#define XB_ETH_P_IP 0x0800
#define XB_ETH_P_IPV6 0x86DD
#define XB_ETH_P_8021Q 0x8100
#define XB_ETH_P_8021AD 0x88A8


enum xb_parse_status {
	XB_PARSE_OK = 0,
	XB_PARSE_NON_IP = 1,
	XB_PARSE_MALFORMED = 2,
};

/* What the classifier needs of a packet. Ports in host byte order. */
struct xb_packet {
	__u8 family;
	__u8 proto;
	__u8 has_ports; /* TCP/UDP header present (not a later fragment) */
	__u8 has_icmp;  /* ICMP (v4) or ICMPv6 header present */
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 pad;
	__u16 sport;
	__u16 dport;
	__u8 src[16];
	__u8 dst[16];
};

static __always_inline __u16 xb_be16(const __u8 *p)
{
	return (__u16)((p[0] << 8) | p[1]);
}

/* Parse the L4 header at [off, end). */
static __always_inline int xb_parse_l4(XB_CTX ctx, __u32 off, __u32 end,
				       struct xb_packet *pkt)
{
	__u8 l4[14];

	if (pkt->proto == XB_IPPROTO_TCP) {
		/* the whole fixed TCP header must be there, not just the ports */
		if (off + 20 > end || xb_ctx_load(ctx, off, l4, 14))
			return XB_PARSE_MALFORMED;
		pkt->sport = xb_be16(&l4[0]);
		pkt->dport = xb_be16(&l4[2]);
		pkt->tcp_flags = l4[13];
		pkt->has_ports = 1;
	} else if (pkt->proto == XB_IPPROTO_UDP) {
		if (off + 8 > end || xb_ctx_load(ctx, off, l4, 8))
			return XB_PARSE_MALFORMED;
		pkt->sport = xb_be16(&l4[0]);
		pkt->dport = xb_be16(&l4[2]);
		pkt->has_ports = 1;
	} else if ((pkt->proto == XB_IPPROTO_ICMP && pkt->family == XB_FAMILY_V4) ||
		   (pkt->proto == XB_IPPROTO_ICMPV6 && pkt->family == XB_FAMILY_V6)) {
		if (off + 8 > end || xb_ctx_load(ctx, off, l4, 2))
			return XB_PARSE_MALFORMED;
		pkt->icmp_type = l4[0];
		pkt->icmp_code = l4[1];
		pkt->has_icmp = 1;
	}
	return XB_PARSE_OK;
}

static __always_inline int xb_parse_ipv4(XB_CTX ctx, __u32 off, __u32 len,
					 struct xb_packet *pkt)
{
	__u8 ip[20];
	__u32 ihl, total, i;

	if (off + 20 > len || xb_ctx_load(ctx, off, ip, 20))
		return XB_PARSE_MALFORMED;
	ihl = (__u32)(ip[0] & 0x0f) * 4;
	total = xb_be16(&ip[2]);
	if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || off + total > len)
		return XB_PARSE_MALFORMED;

	pkt->family = XB_FAMILY_V4;
	pkt->proto = ip[9];
	for (i = 0; i < 4; i++) {
		pkt->src[i] = ip[12 + i];
		pkt->dst[i] = ip[16 + i];
	}
	/* only the first fragment (offset 0) carries the L4 header */
	if (xb_be16(&ip[6]) & 0x1fff)
		return XB_PARSE_OK;
	return xb_parse_l4(ctx, off + ihl, off + total, pkt);
}

static __always_inline int xb_parse_ipv6(XB_CTX ctx, __u32 off, __u32 len,
					 struct xb_packet *pkt)
{
	__u8 ip[40];
	__u8 ext[4];
	__u32 end, i;
	__u8 next;

	if (off + 40 > len || xb_ctx_load(ctx, off, ip, 40))
		return XB_PARSE_MALFORMED;
	/* a jumbogram (payload length 0 + hop-by-hop option) has no L4 header
	 * within the 0-byte payload, so it comes out MALFORMED below */
	end = off + 40 + xb_be16(&ip[4]);
	if ((ip[0] >> 4) != 6 || end > len)
		return XB_PARSE_MALFORMED;

	pkt->family = XB_FAMILY_V6;
	for (i = 0; i < 16; i++) {
		pkt->src[i] = ip[8 + i];
		pkt->dst[i] = ip[24 + i];
	}
	next = ip[6];
	off += 40;

	for (i = 0; i < XB_MAX_IPV6_EXT; i++) {
		if (next != XB_IPPROTO_HOPOPTS && next != XB_IPPROTO_ROUTING &&
		    next != XB_IPPROTO_DSTOPTS && next != XB_IPPROTO_AH &&
		    next != XB_IPPROTO_FRAGMENT)
			break;
		if (off + 8 > end || xb_ctx_load(ctx, off, ext, 4))
			return XB_PARSE_MALFORMED;
		if (next == XB_IPPROTO_FRAGMENT) {
			next = ext[0];
			off += 8;
			/* a later fragment: protocol known, no L4 header */
			if (xb_be16(&ext[2]) & 0xfff8) {
				pkt->proto = next;
				return XB_PARSE_OK;
			}
			continue;
		}
		/* AH counts its length in 4-byte units, the others in 8 */
		off += next == XB_IPPROTO_AH ? ((__u32)ext[1] + 2) * 4
					      : ((__u32)ext[1] + 1) * 8;
		next = ext[0];
	}
	if (next == XB_IPPROTO_HOPOPTS || next == XB_IPPROTO_ROUTING ||
	    next == XB_IPPROTO_DSTOPTS || next == XB_IPPROTO_AH ||
	    next == XB_IPPROTO_FRAGMENT || off > end)
		return XB_PARSE_MALFORMED; /* chain longer than we walk */
	pkt->proto = next;
	return xb_parse_l4(ctx, off, end, pkt);
}

static __always_inline int xb_parse(XB_CTX ctx, struct xb_packet *pkt)
{
	__u32 len = xb_ctx_len(ctx);
	__u32 off = 0;
	__u16 ethertype;

#if XB_CTX_STARTS_AT_L2
	__u8 eth[4];
	__u32 i;

	if (len < 14 || xb_ctx_load(ctx, 12, eth, 2))
		return XB_PARSE_MALFORMED;
	ethertype = xb_be16(eth);
	off = 14;
	for (i = 0; i < XB_MAX_VLAN; i++) {
		if (ethertype != XB_ETH_P_8021Q && ethertype != XB_ETH_P_8021AD)
			break;
		if (xb_ctx_load(ctx, off, eth, 4))
			return XB_PARSE_MALFORMED;
		ethertype = xb_be16(&eth[2]);
		off += 4;
	}
#else
	ethertype = xb_ctx_l3_ethertype(ctx);
#endif
	if (ethertype == XB_ETH_P_IP)
		return xb_parse_ipv4(ctx, off, len, pkt);
	if (ethertype == XB_ETH_P_IPV6)
		return xb_parse_ipv6(ctx, off, len, pkt);
	return XB_PARSE_NON_IP;
}

/* Copy an address masked to prefix_len bits, a 32-bit word at a time. */
static __always_inline void xb_mask_address(__u8 *dst, const __u8 *src,
					    __u32 prefix_len)
{
	__u32 w, word, bits;

	for (w = 0; w < 4; w++) {
		bits = prefix_len > w * 32 ? prefix_len - w * 32 : 0;
		__builtin_memcpy(&word, src + w * 4, 4);
		if (bits == 0)
			word = 0;
		else if (bits < 32)
			word &= xb_htonl(0xffffffffu << (32 - bits));
		__builtin_memcpy(dst + w * 4, &word, 4);
	}
}

static __always_inline int xb_entry_matches(const struct xb_chain_entry *e,
					    const struct xb_packet *pkt)
{
	__u8 m = e->match;

	if ((m & (XB_MATCH_SPORT | XB_MATCH_DPORT)) && !pkt->has_ports)
		return 0;
	if ((m & XB_MATCH_SPORT) &&
	    (pkt->sport < e->sport_lo || pkt->sport > e->sport_hi))
		return 0;
	if ((m & XB_MATCH_DPORT) &&
	    (pkt->dport < e->dport_lo || pkt->dport > e->dport_hi))
		return 0;
	if ((m & XB_MATCH_TCP_FLAGS) &&
	    (pkt->proto != XB_IPPROTO_TCP || !pkt->has_ports ||
	     (pkt->tcp_flags & e->tcp_flags_mask) != e->tcp_flags_value))
		return 0;
	if ((m & (XB_MATCH_ICMP_TYPE | XB_MATCH_ICMP_CODE)) && !pkt->has_icmp)
		return 0;
	if ((m & XB_MATCH_ICMP_TYPE) && pkt->icmp_type != e->icmp_type)
		return 0;
	if ((m & XB_MATCH_ICMP_CODE) && pkt->icmp_code != e->icmp_code)
		return 0;
	return 1;
}

struct xb_search_state {
	XB_TABLE table;
	const struct xb_meta *meta;
	const struct xb_packet *pkt;
	__u32 family;
	__u32 best;    /* lowest matching rule so far */
	__u32 verdict; /* its action */
};

/* Look the packet up in one tuple; 1 stops the search (XB_LOOP contract). */
static long xb_search_tuple(__u32 t, void *arg)
{
	struct xb_search_state *st = (struct xb_search_state *)arg;
	const struct xb_packet *pkt = st->pkt;
	const struct xb_tuple *tuple;
	const struct xb_bucket *bucket;
	const struct xb_chain_entry *e;
	struct xb_bucket_key key;
	__u32 c;

	if (t >= XB_MAX_TUPLES)
		return 1;
	/* the mask bounds the index for the verifier; family is 0 or 1 */
	tuple = &st->meta->tuples[st->family & 1][t];
	if (tuple->min_rule >= st->best)
		return 1;
	if ((tuple->flags & XB_TUPLE_DPORT) && !pkt->has_ports)
		return 0;

	__builtin_memset(&key, 0, sizeof(key));
	key.kind = XB_KEY_BUCKET;
	key.tuple_id = tuple->id;
	key.family = (__u8)st->family;
	if (tuple->flags & XB_TUPLE_PROTO)
		key.proto = pkt->proto;
	if (tuple->flags & XB_TUPLE_DPORT)
		key.dport = xb_htons(pkt->dport);
	xb_mask_address(key.src, pkt->src, tuple->src_len);
	xb_mask_address(key.dst, pkt->dst, tuple->dst_len);

	bucket = xb_table_bucket(st->table, &key);
	if (!bucket)
		return 0;
	for (c = 0; c < XB_CHAIN_LEN; c++) {
		if (c >= bucket->count)
			break;
		e = &bucket->chain[c];
		if (e->rule >= st->best)
			break;
		if (xb_entry_matches(e, pkt)) {
			st->best = e->rule;
			st->verdict = e->action;
			break;
		}
	}
	return 0;
}

/*
 * Tuple space search: one hash lookup per tuple (shape) of the packet's
 * family, never one step per rule. Tuples are sorted by their lowest rule
 * index, so once the best match so far beats a tuple's lowest rule, no later
 * tuple can win and the search stops: first match wins, as in iptables.
 * XB_LOOP is bpf_loop() in BPF: the verifier checks the body once instead of
 * once per iteration, which would not fit its instruction budget.
 */
static __always_inline void xb_search(XB_TABLE table, const struct xb_meta *meta,
				      const struct xb_packet *pkt,
				      struct xb_result *res)
{
	struct xb_search_state st;
	__u32 n;

	st.table = table;
	st.meta = meta;
	st.pkt = pkt;
	st.family = pkt->family ? XB_FAMILY_V6 : XB_FAMILY_V4;
	st.best = XB_RULE_DEFAULT;
	st.verdict = meta->default_action;
	n = meta->n_tuples[st.family];
	if (n > XB_MAX_TUPLES)
		n = XB_MAX_TUPLES;
	XB_LOOP(n, xb_search_tuple, &st);
	res->verdict = st.verdict;
	res->rule = st.best;
	res->counter_slot = meta->counter_base + st.best;
}

/*
 * Classify the packet in ctx. With no table loaded yet the packet passes:
 * the program is attached before its first table is swapped in.
 */
static __always_inline void xb_classify(XB_CTX ctx, XB_TABLE table,
					struct xb_result *res)
{
	const struct xb_meta *meta = xb_table_meta(table);
	struct xb_packet pkt;
	int status;

	res->verdict = XB_PASS;
	res->rule = XB_RULE_DEFAULT;
	res->counter_slot = XB_NO_COUNTER;
	if (!meta)
		return;

	__builtin_memset(&pkt, 0, sizeof(pkt));
	status = xb_parse(ctx, &pkt);
	if (status == XB_PARSE_NON_IP) {
		res->verdict = meta->non_ip_action;
		res->rule = XB_RULE_NON_IP;
		res->counter_slot = meta->counter_base + XB_RULE_NON_IP;
		return;
	}
	if (status != XB_PARSE_OK) {
		res->verdict = meta->malformed_action;
		res->rule = XB_RULE_MALFORMED;
		res->counter_slot = meta->counter_base + XB_RULE_MALFORMED;
		return;
	}
	xb_search(table, meta, &pkt, res);
}

#endif /* XB_CORE_H */
