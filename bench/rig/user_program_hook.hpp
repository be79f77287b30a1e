// Bring your own program: a user's XDP or tc object, benchmarked at a hook
// of the rig's DUT like the built-in filter (rates, ns/packet from the
// kernel's run-time statistics; its verdicts are its own business, so drop
// and pass are not counted).
#pragma once

#include <memory>
#include <string>

#include "hook_under_test.hpp"

namespace xb::bench {

struct UserProgram {
  std::string path;     // FILE.bpf.o
  std::string section;  // SEC() name or program name; empty: the object's first program
  std::string label() const { return section.empty() ? path : path + ":" + section; }
};

// Hooks a user program can be measured at.
bool user_program_fits(const std::string& hook);
// Loads and attaches; throws xb::Error with the verifier's reason when the
// kernel refuses it, or when its type does not fit the hook.
std::unique_ptr<HookUnderTest> make_user_program_hook(const UserProgram& program, const std::string& hook,
                                                      const Topology& topo);
// Opens, checks the type and loads without attaching: --prog is refused
// before any namespace is made.
void check_user_program(const UserProgram& program, const std::string& hook);

}  // namespace xb::bench
