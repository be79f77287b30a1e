/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The filter core's parser: the Ethernet, VLAN, IPv4, IPv6 and L4 headers of
 * one packet into a struct xb_packet, every read through the hook's ctx
 * layer (xb_core.h says what the includer provides). Part of the core:
 * included by xb_core.h, compiled into every BPF program and, natively,
 * into the reference model.
 */
#ifndef XB_PARSE_H
#define XB_PARSE_H

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
	/* IP well formed, its transport header cut short (xb_packet.l4 says
	 * how): malformed, or judged by the rules where the table says so */
	XB_PARSE_SHORT_L4 = 3,
};

/* What the classifier needs of a packet. Ports in host byte order. */
struct xb_packet {
	__u8 family;
	__u8 proto;
	__u8 l4;        /* what was read of the transport header: XB_L4_* */
	__u8 ct_state;  /* XB_CT_*, when the table asks (xb_meta.ct_lookup); else 0 */
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 ttl;       /* IPv4 TTL or IPv6 hop limit */
	__u16 sport;
	__u16 dport;
	__u32 src[4]; /* host-order words; IPv4: the first */
	__u32 dst[4];
	__u32 l3_end; /* where the IP packet ends in the ctx's data */
	__u32 l4_off; /* where an ICMP header starts (for the packet an error quotes) */
	__u8 rh;      /* IPv6: the first routing header, XB_KEY_RH_* >> 12; else 0 */
};

/*
 * Header fields are copied into aligned stack buffers first, so these reads
 * are one load and one byte swap each, not a load per byte.
 */
static __always_inline __u16 xb_be16(const __u8 *p)
{
	__u16 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return xb_htons(v);
}

static __always_inline __u32 xb_be32(const __u8 *p)
{
	__u32 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return xb_htonl(v);
}

/*
 * A TCP, UDP or ICMP header cut short of its whole size (off may lie past
 * end: an IPv6 extension header that claims more than the packet holds).
 * Its ports are read if their 4 bytes are there, as iptables' multiport
 * reads them. Off the hot path: whole headers never come here.
 */
static __always_inline int xb_parse_short_l4(XB_CTX ctx, __u32 off, __u32 end,
					     struct xb_packet *pkt)
{
	__u8 ports[4] __attribute__((aligned(4)));

	if (pkt->proto != XB_IPPROTO_TCP && pkt->proto != XB_IPPROTO_UDP) {
		pkt->l4 = XB_L4_SHORT;
		return XB_PARSE_SHORT_L4;
	}
	if (off + 4 > end || xb_ctx_load(ctx, off, ports, 4)) {
		pkt->l4 = XB_L4_SHORT | XB_L4_TINY;
		return XB_PARSE_SHORT_L4;
	}
	pkt->sport = xb_be16(&ports[0]);
	pkt->dport = xb_be16(&ports[2]);
	pkt->l4 = XB_L4_SHORT | XB_L4_PORTS;
	return XB_PARSE_SHORT_L4;
}

/* Parse the L4 header at [off, end). */
static __always_inline int xb_parse_l4(XB_CTX ctx, __u32 off, __u32 end,
				       struct xb_packet *pkt)
{
	__u8 l4[16] __attribute__((aligned(4)));

	if (pkt->proto == XB_IPPROTO_TCP) {
		/* the whole fixed TCP header, as iptables' tcp match reads it */
		if (off + 20 > end)
			return xb_parse_short_l4(ctx, off, end, pkt);
		if (xb_ctx_load(ctx, off, l4, 14))
			return XB_PARSE_MALFORMED;
		pkt->sport = xb_be16(&l4[0]);
		pkt->dport = xb_be16(&l4[2]);
		pkt->tcp_flags = l4[13];
		pkt->l4 = XB_L4_PORTS;
	} else if (pkt->proto == XB_IPPROTO_UDP) {
		if (off + 8 > end)
			return xb_parse_short_l4(ctx, off, end, pkt);
		if (xb_ctx_load(ctx, off, l4, 8))
			return XB_PARSE_MALFORMED;
		pkt->sport = xb_be16(&l4[0]);
		pkt->dport = xb_be16(&l4[2]);
		pkt->l4 = XB_L4_PORTS;
	} else if (pkt->proto == XB_IPPROTO_SCTP || pkt->proto == XB_IPPROTO_DCCP ||
		   pkt->proto == XB_IPPROTO_UDPLITE) {
		/* ports lead these headers too; whole: the header iptables'
		 * sctp, dccp and udp matches read (12, 12, 8 bytes). One cut
		 * short is no malformed packet here: rule sets that never
		 * named these protocols judged it by their rules before, and
		 * still do; only a rule on its ports asks for the whole */
		__u32 whole = pkt->proto == XB_IPPROTO_UDPLITE ? 8 : 12;

		if (off + 4 > end || xb_ctx_load(ctx, off, l4, 4)) {
			pkt->l4 = XB_L4_SHORT | XB_L4_TINY;
			return XB_PARSE_OK;
		}
		pkt->sport = xb_be16(&l4[0]);
		pkt->dport = xb_be16(&l4[2]);
		pkt->l4 = off + whole > end ? XB_L4_SHORT | XB_L4_PORTS : XB_L4_PORTS;
	} else if ((pkt->proto == XB_IPPROTO_ICMP && pkt->family == XB_FAMILY_V4) ||
		   (pkt->proto == XB_IPPROTO_ICMPV6 && pkt->family == XB_FAMILY_V6)) {
		if (off + 8 > end)
			return xb_parse_short_l4(ctx, off, end, pkt);
		if (xb_ctx_load(ctx, off, l4, 2))
			return XB_PARSE_MALFORMED;
		pkt->icmp_type = l4[0];
		pkt->icmp_code = l4[1];
		pkt->l4 = XB_L4_ICMP;
		pkt->l4_off = off;
	} else if (off > end) {
		return XB_PARSE_SHORT_L4; /* no header to read, but past the packet */
	}
	return XB_PARSE_OK;
}

static __always_inline int xb_parse_ipv4(XB_CTX ctx, __u32 off, struct xb_packet *pkt)
{
	__u8 ip[20] __attribute__((aligned(4)));
	__u32 ihl, total, frag;

	if (xb_ctx_load(ctx, off, ip, 20))
		return XB_PARSE_MALFORMED;
	ihl = (__u32)(ip[0] & 0x0f) * 4;
	total = xb_be16(&ip[2]);
	if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || !xb_ctx_covers(ctx, off + total))
		return XB_PARSE_MALFORMED;
	pkt->l3_end = off + total;

	pkt->family = XB_FAMILY_V4;
	pkt->proto = ip[9];
	pkt->ttl = ip[8];
	pkt->src[0] = xb_be32(&ip[12]);
	pkt->dst[0] = xb_be32(&ip[16]);
	/* only the first fragment (offset 0) carries the L4 header */
	frag = xb_be16(&ip[6]) & 0x1fff;
	if (frag) {
		/* iptables' tcp match drops TCP at offset 1 (8 bytes), which
		 * could rewrite the first fragment's flags (xt_tcpudp.c) */
		if (frag == 1 && pkt->proto == XB_IPPROTO_TCP)
			pkt->l4 = XB_L4_SHORT;
		return XB_PARSE_OK;
	}
	return xb_parse_l4(ctx, off + ihl, off + total, pkt);
}

static __always_inline int xb_parse_ipv6(XB_CTX ctx, __u32 off, struct xb_packet *pkt)
{
	__u8 ip[40] __attribute__((aligned(4)));
	__u8 ext[4] __attribute__((aligned(4)));
	__u32 end, i;
	__u8 next;

	if (xb_ctx_load(ctx, off, ip, 40))
		return XB_PARSE_MALFORMED;
	/* a jumbogram (payload length 0 + hop-by-hop option) has no L4 header
	 * within the 0-byte payload, so it comes out MALFORMED below */
	end = off + 40 + xb_be16(&ip[4]);
	if ((ip[0] >> 4) != 6 || !xb_ctx_covers(ctx, end))
		return XB_PARSE_MALFORMED;
	pkt->l3_end = end;

	pkt->family = XB_FAMILY_V6;
	pkt->ttl = ip[7];
	for (i = 0; i < 4; i++) {
		pkt->src[i] = xb_be32(&ip[8 + 4 * i]);
		pkt->dst[i] = xb_be32(&ip[24 + 4 * i]);
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
		/* the first routing header's type, as ip6t_rt finds it. No
		 * branch on what was found before, nor on the type: a branch
		 * would split the verifier's states on pkt->rh, and the rest
		 * of the program would be verified once per value */
		if (next == XB_IPPROTO_ROUTING) {
			__u32 type0 = (((__u32)ext[2] - 1) >> 8) & 1; /* 1: type 0 */
			__u32 found = (XB_KEY_RH_SEEN >> 12) | type0 << 1;

			pkt->rh = (__u8)(pkt->rh | (found & ~(0u - (pkt->rh & 1u))));
		}
		/* AH counts its length in 4-byte units, the others in 8 */
		off += next == XB_IPPROTO_AH ? ((__u32)ext[1] + 2) * 4
					      : ((__u32)ext[1] + 1) * 8;
		next = ext[0];
	}
	if (next == XB_IPPROTO_HOPOPTS || next == XB_IPPROTO_ROUTING ||
	    next == XB_IPPROTO_DSTOPTS || next == XB_IPPROTO_AH ||
	    next == XB_IPPROTO_FRAGMENT)
		return XB_PARSE_MALFORMED; /* chain longer than we walk */
	/* off past end (the last extension header claims more than there
	 * is): ip6tables reads the transport header there and finds none,
	 * a header cut short (xb_parse_l4) */
	pkt->proto = next;
	return xb_parse_l4(ctx, off, end, pkt);
}

static __always_inline int xb_parse(XB_CTX ctx, struct xb_packet *pkt)
{
	__u32 off = 0;
	__u16 ethertype;

#if XB_CTX_STARTS_AT_L2
	__u8 eth[4] __attribute__((aligned(4)));
	__u32 i;

	if (xb_ctx_load(ctx, 12, eth, 2))
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
		return xb_parse_ipv4(ctx, off, pkt);
	if (ethertype == XB_ETH_P_IPV6)
		return xb_parse_ipv6(ctx, off, pkt);
	return XB_PARSE_NON_IP;
}

#endif /* XB_PARSE_H */
