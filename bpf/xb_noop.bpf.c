// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The reference point of every measurement: an XDP program that does nothing
 * but return a fixed verdict, so a rate can be read against the machine's limit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile __u32 xb_noop_action = XDP_PASS;

SEC("xdp")
int xb_xdp_noop(struct xdp_md *ctx)
{
	return xb_noop_action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
