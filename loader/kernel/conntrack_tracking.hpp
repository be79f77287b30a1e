// Connection tracking turned on in a network namespace for as long as a
// filter asks the kernel for connection states.
//
// Since Linux 4.10 conntrack runs in a namespace only while something there
// needs it (nf_ct_netns_get): an iptables conntrack match, an nftables ct
// expression, NAT. The conntrack kfuncs and the netfilter hook's skb only
// see the connections conntrack tracks, so a filter whose rules name states
// asks for it the way nftables does: a table of its own per filter,
// inet xdpfilter_ct_<hash>, holding one regular (never hooked) chain with one
// rule, `ct state established`, whose only effect is that request. It changes
// no verdict. The kernel counts the requests (per namespace), so each filter
// takes its own table off without asking about the others.
#pragma once

#include <string>

namespace xb {

// The table's name for a filter, from a key unique to it (its pin directory).
std::string conntrack_table_name(const std::string& key);

// In the current namespace: conntrack on while `table` exists. Idempotent.
// Throws Error when nftables refuses (no CONFIG_NF_CONNTRACK / NFT_CT).
void hold_conntrack(const std::string& table);

// In the current namespace: the table removed. Never throws: a table
// already gone is fine.
void release_conntrack(const std::string& table);

// Whether the current namespace holds the table (tests).
bool conntrack_table_present(const std::string& table);

}  // namespace xb
