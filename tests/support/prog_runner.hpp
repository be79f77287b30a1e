// Runs one hook's filter program on a frame with BPF_PROG_TEST_RUN and
// reports its verdict and the rule it counted the packet against.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "filter_program.hpp"
#include "reference_model.hpp"

namespace xb::testing {

class ProgRunner {
 public:
  ProgRunner(ProgramKind kind, const CompiledTable& table);

  // `expected` (the reference model's answer) lets the common case check
  // one counter; a mismatch is resolved by reading them all. nullopt: the
  // kernel refused to run the frame (shorter than an Ethernet header; at tc
  // also an IPv4/IPv6 EtherType with less than a whole IP header).
  std::optional<Classification> run(std::span<const std::uint8_t> frame, const Classification& expected);

  // Raw prog-run: returns the program's return code, or -EINVAL when the
  // kernel refuses the frame.
  int run_raw(std::span<const std::uint8_t> frame, std::uint32_t repeat = 1, std::uint32_t* duration_ns = nullptr);

  const FilterMaps& maps() const { return program_.maps(); }

 private:
  Action action_of(int retval) const;
  ProgramKind kind_;
  FilterProgram program_;
};

}  // namespace xb::testing
