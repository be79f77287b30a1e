// One filter program, owned through its libbpf skeleton: one per program
// type (see ProgramKind). Its maps are the FilterMaps it is opened with.
#pragma once

#include <memory>

#include "filter_maps.hpp"
#include "hooks.hpp"

struct bpf_object;
struct bpf_program;

namespace xb {

// For the benchmark rig: the filter times the generator's stamps (one-way
// latency to the hook). The default, as users attach the filter, reads none:
// the verifier then removes the reader (bpf/xb_filter_entry.bpf.h).
struct LatencyProbe {
  std::uint32_t stamp_offset = 0;  // where the stamp sits from the ctx's first byte; 0: no reader
  std::uint32_t sample_shift = 0;  // time one stamp in 2^sample_shift (0: every one)
};

class FilterProgram {
 public:
  // Opens the skeleton and points its maps at `maps`; not loaded yet, so a
  // loader such as libxdp can still set the program type.
  static FilterProgram open(ProgramKind kind, FilterMaps maps, LatencyProbe probe = {});
  // Opens and loads.
  static FilterProgram load(ProgramKind kind, FilterMaps maps, LatencyProbe probe = {});

  void load();
  bpf_object* object() const { return object_; }
  bpf_program* program() const { return program_; }
  int prog_fd() const;
  std::uint32_t prog_id() const;
  const FilterMaps& maps() const { return maps_; }
  ProgramKind kind() const { return kind_; }

 private:
  using SkeletonOwner = std::unique_ptr<void, void (*)(void*)>;
  template <class Traits>
  static FilterProgram open_with(ProgramKind kind, FilterMaps maps, LatencyProbe probe);
  FilterProgram(ProgramKind kind, SkeletonOwner skel, bpf_object* obj, bpf_program* prog, FilterMaps maps)
      : kind_(kind), skeleton_(std::move(skel)), object_(obj), program_(prog), maps_(std::move(maps)) {}

  ProgramKind kind_;
  SkeletonOwner skeleton_;
  bpf_object* object_;
  bpf_program* program_;
  FilterMaps maps_;
};

}  // namespace xb
