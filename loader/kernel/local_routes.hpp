// The local routing table (RT_TABLE_LOCAL) of the calling thread's network
// namespace, as the address types of rules are decided from it
// (address_type.hpp).
#pragma once

#include <vector>

#include "address_type.hpp"

namespace xb {

// Both families' routes of the local table. Throws Error if rtnetlink fails.
std::vector<LocalRoute> read_local_routes();

}  // namespace xb
