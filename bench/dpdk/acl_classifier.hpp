// The rule set in DPDK's own classifier, rte_acl, as DPDK users write it:
// one ACL context per address family, a rule per rule (port lists and
// protocol-less port rules spread out), first match as priority. Packet
// parsing is the application's (untagged IPv4 and IPv6, IPv6 extension
// headers walked, fragments portless as in the filter core; a transport
// header cut short is malformed, whatever [defaults] short-header says).
#pragma once

#include <cstdint>
#include <memory>

#include "reference_model.hpp"
#include "rule_set.hpp"

struct rte_acl_ctx;

namespace xb::dpdk {

class AclClassifier {
 public:
  explicit AclClassifier(const RuleSet& rules);  // throws std::runtime_error
  ~AclClassifier();
  AclClassifier(const AclClassifier&) = delete;
  AclClassifier& operator=(const AclClassifier&) = delete;

  Action classify(const std::uint8_t* p, std::uint32_t len) const;

 private:
  RuleSet rules_;
  rte_acl_ctx* v4_ = nullptr;
  rte_acl_ctx* v6_ = nullptr;
};

}  // namespace xb::dpdk
