/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps every filter program carries, and the table lookups the core
 * needs. The rule table is an inner array map of blocks behind a one-slot
 * ARRAY_OF_MAPS: a reload builds a whole new table and swaps the slot, so a
 * packet sees either the old table or the new one, never a mix.
 */
#ifndef XB_MAPS_BPF_H
#define XB_MAPS_BPF_H

#include "xb_abi.h"

/*
 * The slot's table type. The loader makes the slot map itself (its tables
 * are sized per filter, loader/kernel/filter_maps.cpp) and hands it to the object,
 * so this definition only names the type. No BPF_F_INNER_MAP: with one fixed
 * size for every table that takes the slot, the verifier replaces each block
 * lookup by a bounds check and a load; with the flag it has to call the
 * array's lookup function, which made a lookup several times dearer
 * (bpf/README.md, "Measured").
 */
struct xb_table_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(value_size, XB_BLOCK_SIZE);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct xb_table_map);
} xb_tables SEC(".maps");

/* two generations of counters, so a reload never mixes old and new rules */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * XB_COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, struct xb_counter);
} xb_counters SEC(".maps");

#define XB_TABLE void *

static __always_inline void *xb_active_table(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xb_tables, &zero);
}

static __always_inline const union xb_block *xb_table_block(void *table, __u32 index)
{
	if (!table)
		return NULL;
	return bpf_map_lookup_elem(table, &index);
}

static __always_inline void xb_count(const struct xb_result *res, __u32 bytes)
{
	struct xb_counter *c;
	__u32 slot = res->counter_slot;

	if (slot == XB_NO_COUNTER)
		return;
	c = bpf_map_lookup_elem(&xb_counters, &slot);
	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

#endif /* XB_MAPS_BPF_H */
