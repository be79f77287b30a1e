// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The filter at a netfilter hook through the BPF link (Linux 6.4): the
 * apples-to-apples peer of an nftables chain. The packet is read through an
 * skb dynptr; skb->data is at the IP header at every inet hook.
 *
 * libbpf 1.1 does not know the "netfilter" section: the loader sets the
 * program type (BPF_PROG_TYPE_NETFILTER) before loading.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xb_abi.h"
#include "xb_ctx_l3.h"

#define XB_NF_DROP 0
#define XB_NF_ACCEPT 1

extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags,
			       struct bpf_dynptr *ptr__uninit) __ksym;

struct xb_nf_packet {
	struct bpf_dynptr data;
	__u64 nfct; /* skb->_nfct: conntrack's entry | its ctinfo */
	__u32 bytes;
	__u16 ethertype;
};

#define XB_CTX struct xb_nf_packet *

static __always_inline int xb_ctx_load(struct xb_nf_packet *p, __u32 off,
				       void *dst, __u32 len)
{
	return bpf_dynptr_read(dst, len, &p->data, off, 0);
}

static __always_inline int xb_ctx_covers(struct xb_nf_packet *p, __u32 end)
{
	return end <= XB_L3_LEN_UNKNOWN; /* the length is unknown: see xb_ctx_l3.h */
}

static __always_inline __u16 xb_ctx_l3_ethertype(struct xb_nf_packet *p)
{
	return p->ethertype;
}

static __always_inline __u32 xb_ctx_bytes(struct xb_nf_packet *p, __u32 l3_end)
{
	return p->bytes;
}

static __always_inline int xb_ctx_verdict(struct xb_nf_packet *p, __u32 verdict)
{
	return verdict == XB_DROP ? XB_NF_DROP : XB_NF_ACCEPT;
}

/*
 * Here conntrack has already judged the packet (at priority -200, before
 * the filter at any priority the loader allows): its answer is in the skb,
 * read as xt_conntrack reads it. No entry is INVALID, the untracked mark
 * UNTRACKED; a reply's state is its original's.
 */
#define XB_CTX_HAS_CT_STATE 1
#define XB_NFCT_INFOMASK 7UL

struct xb_packet; /* xb_parse.h, which needs the ctx layer first */

static __always_inline __u8 xb_ctx_ct_state(struct xb_nf_packet *p, const struct xb_packet *pkt)
{
	__u64 nfct = p->nfct;
	__u32 info = nfct & XB_NFCT_INFOMASK;

	if (!(nfct & ~XB_NFCT_INFOMASK))
		return info == IP_CT_UNTRACKED ? XB_CT_UNTRACKED : XB_CT_INVALID;
	if (info >= IP_CT_IS_REPLY)
		info -= IP_CT_IS_REPLY;
	if (info == IP_CT_NEW)
		return XB_CT_NEW;
	return info == IP_CT_RELATED ? XB_CT_RELATED : XB_CT_ESTABLISHED;
}

#include "xb_filter_entry.bpf.h"

SEC("netfilter")
int xb_netfilter_filter(struct bpf_nf_ctx *ctx)
{
	struct sk_buff *skb = (struct sk_buff *)ctx->skb;
	struct xb_nf_packet p;

	if (bpf_dynptr_from_skb((struct __sk_buff *)skb, 0, &p.data))
		return XB_NF_ACCEPT;
	p.nfct = skb->_nfct;
	p.bytes = skb->len;
	p.ethertype = bpf_ntohs(skb->protocol);
	return xb_filter(&p);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
