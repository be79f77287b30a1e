// The filter on a route: the route's encap becomes "bpf" with our program in
// the place the hook names (LWT_BPF_IN, _OUT or _XMIT), as `ip route replace
// ... encap bpf in|out|xmit` does, over rtnetlink. The route is replaced in
// place, never added or deleted, and what it was is kept so that detach puts
// it back exactly. Routes of another kind (not unicast, multipath, with a
// nexthop object or an encap of their own) are refused before anything changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "filter_program.hpp"
#include "hooks.hpp"
#include "lwt_route.hpp"

namespace xb {

struct LwtRouteId {
  std::string prefix;  // canonical (RoutePrefix::text)
  std::uint32_t table = kMainRouteTable;
  std::string original;      // the route before us: RouteMessage::hex
  std::string program_name;  // what our encap calls the program (LWT_BPF_PROG_NAME)
};

class LwtAttachment {
 public:
  // program: loaded, of the hook's LWT program type. In the current netns;
  // netns only names it in messages.
  LwtAttachment(FilterProgram program, Hook hook, const RoutePrefix& prefix, std::uint32_t table,
                const std::string& netns);
  LwtAttachment(LwtAttachment&& other) noexcept;
  LwtAttachment& operator=(LwtAttachment&&) = delete;
  ~LwtAttachment();

  const LwtRouteId& id() const { return id_; }
  const FilterProgram& program() const { return *program_; }
  void release() { released_ = true; }

  // Puts the route back as it was if it still carries our program; a route
  // someone else has since replaced or removed is left as it is.
  static void detach(const LwtRouteId& id, Hook hook, const std::string& where);

  // What an attach killed before its record was written left: the route
  // carrying one of `prog_ids` (that attach's programs) at the hook's place
  // is put back without the encap, as it was (a route with an encap of its
  // own is never taken).
  static void remove_left_over(const RoutePrefix& prefix, std::uint32_t table, Hook hook,
                               const std::vector<std::uint32_t>& prog_ids);

  // Empty when this kernel runs BPF on routes; otherwise why not.
  static std::string missing_kernel_support();

 private:
  std::optional<FilterProgram> program_;
  Hook hook_;
  LwtRouteId id_;
  bool attached_ = false;
  bool released_ = false;
};

// "route 198.19.0.0/24" or "route 10.0.0.0/8 table 100", for messages.
std::string route_label(const std::string& prefix, std::uint32_t table);

}  // namespace xb
