// Errors of the xdpbench library. libbpf's negative errno is turned into an
// Error once, at the boundary, carrying what was tried and where.
#pragma once

#include <stdexcept>
#include <string>

namespace xb {

// Something the user asked for cannot be done: bad input, a missing
// interface, a kernel without the feature. The CLI prints it as one line
// and exits 2.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A rule file problem; what() starts with "file:line:column: ".
class RuleError : public Error {
 public:
  using Error::Error;
};

// A foreign rule (an imported iptables or nftables rule) this filter cannot
// express; what() starts with "file:line:column: ". Importers refuse it, or
// leave the rule out when told to and list it.
class UnsupportedRule : public RuleError {
 public:
  using RuleError::RuleError;
};

// Throws Error("<what>: <strerror(-err)>") when err < 0; returns err otherwise.
int check_errno(int err, const std::string& what);

// Builds "<what>: <strerror(errnum)>".
std::string errno_message(const std::string& what, int errnum);

}  // namespace xb
