/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connection state at XDP and tc: the packet looked up in the kernel's own
 * conntrack table through the kfuncs (bpf_xdp_ct_lookup, bpf_skb_ct_lookup,
 * Linux 6.0), and named as iptables' conntrack match would name it. Nothing
 * is tracked here: the state is the kernel's.
 *
 * The filter runs before conntrack has seen the packet, so the state is the
 * one conntrack will give it, derived from the entry as netfilter derives it
 * (nf_conntrack_core.c resolve_normal_ct):
 *   reply direction of an entry             ESTABLISHED
 *   original direction, a reply seen        ESTABLISHED
 *   original direction, an expected flow    RELATED
 *   original direction otherwise            NEW
 *   no entry: UDP                           NEW
 *   no entry: TCP                           NEW if conntrack would open a
 *       connection with it (a SYN, or an ACK: nf_conntrack_tcp_loose's
 *       default), else INVALID (RST, FIN, SYN-ACK)
 *   TCP flags no packet has                 INVALID (tcp_error)
 *   an ICMP error quoting a TCP or UDP packet the host sent
 *                                           RELATED if conntrack tracks
 *       the quoted packet's connection, else INVALID (nf_conntrack_inet_error)
 * The kfuncs look up TCP and UDP only: the other protocols (ICMP echo, GRE,
 * ...), errors quoting them, and later fragments get 0, which no rule naming
 * states matches. docs/rules.md lists each difference from netfilter; the netfilter
 * hook reads the kernel's own answer instead (xb_netfilter.bpf.c).
 *
 * The includer defines XB_CT_LOOKUP, the hook's lookup kfunc, and XB_CTX.
 * Built only into the programs of rule sets that name states (the *_ct
 * objects): a program that references a kfunc does not load where
 * nf_conntrack is a module nobody loaded.
 */
#ifndef XB_CT_BPF_H
#define XB_CT_BPF_H

#include "xb_abi.h"
#include "xb_parse.h"

#define XB_CTX_HAS_CT_STATE 1

/* The opts size every kernel since 6.0 takes (later ones also take 16). */
#define XB_CT_OPTS_SIZE 12
#define XB_ENOENT 2

struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *ctx, struct bpf_sock_tuple *tuple, __u32 tuple__sz,
				  struct bpf_ct_opts *opts, __u32 opts__sz) __ksym;
struct nf_conn *bpf_skb_ct_lookup(struct __sk_buff *ctx, struct bpf_sock_tuple *tuple, __u32 tuple__sz,
				  struct bpf_ct_opts *opts, __u32 opts__sz) __ksym;
void bpf_ct_release(struct nf_conn *ct) __ksym;

/*
 * The flag combinations a TCP packet may carry (tcp_valid_flags in
 * nf_conntrack_proto_tcp.c), as a bitmap over flags & (URG|ACK|RST|SYN|FIN):
 * SYN, SYN|URG, SYN|ACK, RST, RST|ACK, FIN|ACK, FIN|ACK|URG, ACK, ACK|URG.
 */
#define XB_TCP_VALID_FLAGS 0x0003000400170014ull
#define XB_TCP_FIN 0x01
#define XB_TCP_SYN 0x02
#define XB_TCP_RST 0x04
#define XB_TCP_ACK 0x10

static __always_inline int xb_tcp_flags_valid(__u8 flags)
{
	return (XB_TCP_VALID_FLAGS >> (flags & 0x37)) & 1;
}

/* A TCP packet of no connection: would conntrack open one with it? */
static __always_inline __u8 xb_ct_state_without_entry(const struct xb_packet *pkt)
{
	__u8 f = pkt->tcp_flags;

	if (pkt->proto != XB_IPPROTO_TCP)
		return XB_CT_NEW;
	if (f & (XB_TCP_RST | XB_TCP_FIN))
		return XB_CT_INVALID;
	if (f & XB_TCP_SYN)
		return (f & XB_TCP_ACK) ? XB_CT_INVALID : XB_CT_NEW;
	return (f & XB_TCP_ACK) ? XB_CT_NEW : XB_CT_INVALID;
}

/* ICMP types that are errors quoting a packet (icmp_is_err, icmpv6's < 128). */
static __always_inline int xb_icmp_is_error(const struct xb_packet *pkt)
{
	__u8 t = pkt->icmp_type;

	if (pkt->family == XB_FAMILY_V4)
		return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
	return t >= 1 && t <= 4;
}

/*
 * An ICMP error: RELATED if the packet it quotes belongs to a tracked
 * connection and was sent by the error's addressee, INVALID if not (as
 * nf_conntrack_inet_error judges it; the kfuncs find a tuple in either
 * direction, as its inverted lookup does). 0 when the quoted packet is not
 * TCP or UDP, or has IPv6 extension headers.
 */
static __always_inline __u8 xb_ct_icmp_error_state(XB_CTX ctx, const struct xb_packet *pkt)
{
	__u8 ip[40] __attribute__((aligned(4)));
	__u8 ports[4] __attribute__((aligned(4)));
	struct bpf_ct_opts opts = {};
	struct bpf_sock_tuple t = {};
	__u32 off = pkt->l4_off + 8, size, i;
	struct nf_conn *ct;
	__u8 proto;

	if (pkt->family == XB_FAMILY_V4) {
		if (xb_ctx_load(ctx, off, ip, 20) || (ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5)
			return XB_CT_INVALID;
		proto = ip[9];
		__builtin_memcpy(&t.ipv4.saddr, &ip[12], 4);
		__builtin_memcpy(&t.ipv4.daddr, &ip[16], 4);
		if (xb_be32(&ip[12]) != pkt->dst[0])
			return XB_CT_INVALID; /* not sent by the error's addressee */
		off += (ip[0] & 0xf) * 4;
		size = sizeof(t.ipv4);
	} else {
		if (xb_ctx_load(ctx, off, ip, 40) || (ip[0] >> 4) != 6)
			return XB_CT_INVALID;
		proto = ip[6];
		__builtin_memcpy(t.ipv6.saddr, &ip[8], 16);
		__builtin_memcpy(t.ipv6.daddr, &ip[24], 16);
		for (i = 0; i < 4; i++)
			if (xb_be32(&ip[8 + 4 * i]) != pkt->dst[i])
				return XB_CT_INVALID;
		off += 40;
		size = sizeof(t.ipv6);
	}
	if (proto != XB_IPPROTO_TCP && proto != XB_IPPROTO_UDP)
		return 0;
	if (xb_ctx_load(ctx, off, ports, 4))
		return XB_CT_INVALID;
	if (pkt->family == XB_FAMILY_V4)
		__builtin_memcpy(&t.ipv4.sport, ports, 4);
	else
		__builtin_memcpy(&t.ipv6.sport, ports, 4);
	opts.netns_id = -1;
	opts.l4proto = proto;
	ct = XB_CT_LOOKUP(ctx, &t, size, &opts, XB_CT_OPTS_SIZE);
	if (!ct)
		return opts.error == -XB_ENOENT ? XB_CT_INVALID : 0;
	bpf_ct_release(ct);
	return XB_CT_RELATED;
}

/* Whether the tuple looked up is the entry's original direction. */
static __always_inline int xb_ct_is_original(const struct nf_conn *ct, const struct bpf_sock_tuple *t, __u8 family)
{
	const struct nf_conntrack_tuple *orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	if (family == XB_FAMILY_V4)
		return orig->src.u3.ip == t->ipv4.saddr && orig->src.u.all == t->ipv4.sport;
	return orig->src.u3.ip6[0] == t->ipv6.saddr[0] && orig->src.u3.ip6[1] == t->ipv6.saddr[1] &&
	       orig->src.u3.ip6[2] == t->ipv6.saddr[2] && orig->src.u3.ip6[3] == t->ipv6.saddr[3] &&
	       orig->src.u.all == t->ipv6.sport;
}

static __always_inline __u8 xb_ctx_ct_state(XB_CTX ctx, const struct xb_packet *pkt)
{
	struct bpf_ct_opts opts = {};
	struct bpf_sock_tuple t = {};
	struct nf_conn *ct;
	__u32 size, i;
	__u8 state;

	if (pkt->l4 == XB_L4_ICMP && xb_icmp_is_error(pkt))
		return xb_ct_icmp_error_state(ctx, pkt);
	if (pkt->proto != XB_IPPROTO_TCP && pkt->proto != XB_IPPROTO_UDP)
		return 0;
	/* a later fragment has no ports: conntrack sees it reassembled */
	if (pkt->l4 != XB_L4_PORTS)
		return 0;
	if (pkt->proto == XB_IPPROTO_TCP && !xb_tcp_flags_valid(pkt->tcp_flags))
		return XB_CT_INVALID;
	if (pkt->family == XB_FAMILY_V4) {
		t.ipv4.saddr = xb_htonl(pkt->src[0]);
		t.ipv4.daddr = xb_htonl(pkt->dst[0]);
		t.ipv4.sport = xb_htons(pkt->sport);
		t.ipv4.dport = xb_htons(pkt->dport);
		size = sizeof(t.ipv4);
	} else {
		for (i = 0; i < 4; i++) {
			t.ipv6.saddr[i] = xb_htonl(pkt->src[i]);
			t.ipv6.daddr[i] = xb_htonl(pkt->dst[i]);
		}
		t.ipv6.sport = xb_htons(pkt->sport);
		t.ipv6.dport = xb_htons(pkt->dport);
		size = sizeof(t.ipv6);
	}
	opts.netns_id = -1; /* BPF_F_CURRENT_NETNS: the device's */
	opts.l4proto = pkt->proto;
	ct = XB_CT_LOOKUP(ctx, &t, size, &opts, XB_CT_OPTS_SIZE);
	if (!ct)
		return opts.error == -XB_ENOENT ? xb_ct_state_without_entry(pkt) : 0;
	if (!xb_ct_is_original(ct, &t, pkt->family))
		state = XB_CT_ESTABLISHED;
	else if (ct->status & IPS_SEEN_REPLY)
		state = XB_CT_ESTABLISHED;
	else if (ct->status & IPS_EXPECTED)
		state = XB_CT_RELATED;
	else
		state = XB_CT_NEW;
	bpf_ct_release(ct);
	return state;
}

#endif /* XB_CT_BPF_H */
