/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Shared by the hooks that see a packet from its IP header on (socket
 * filters, cgroup_skb, netfilter, LWT): the EtherType comes from the skb, not the
 * packet, and the length of the IP packet is not known in advance (a UDP
 * socket's filter runs with skb->data at the UDP header), so truncation shows
 * as a failed load. The stack has already checked and trimmed IP lengths
 * before these hooks run.
 */
#ifndef XB_CTX_L3_H
#define XB_CTX_L3_H

#define XB_CTX_STARTS_AT_L2 0
#define XB_L3_LEN_UNKNOWN 0xffffu

#endif /* XB_CTX_L3_H */
