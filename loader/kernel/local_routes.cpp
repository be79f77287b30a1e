#include "local_routes.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "header_match.hpp"
#include "lwt_route.hpp"

namespace xb {

std::vector<LocalRoute> read_local_routes() {
  std::vector<LocalRoute> out;
  for (const int family : {AF_INET, AF_INET6})
    for (const RouteMessage& route : routes_in_table(family, RT_TABLE_LOCAL)) {
      const RoutePrefix p = prefix_of(route);
      LocalRoute r;
      r.prefix = make_prefix(family == AF_INET ? Family::V4 : Family::V6, p.address.data(), p.length);
      r.type = route.type();
      out.push_back(r);
    }
  return out;
}

}  // namespace xb
