// One filter program, owned through its libbpf skeleton: one per program
// type (see ProgramKind). Its maps are the FilterMaps it is opened with.
#pragma once

#include <memory>

#include "filter_maps.hpp"
#include "hooks.hpp"

struct bpf_object;
struct bpf_program;

namespace xb {

class FilterProgram {
 public:
  // Opens the skeleton and points its maps at `maps`; not loaded yet, so a
  // loader such as libxdp can still set the program type. stamp_offset: for
  // the benchmark rig, where the generator's stamp sits (0: no reader).
  static FilterProgram open(ProgramKind kind, FilterMaps maps, std::uint32_t stamp_offset = 0);
  // Opens and loads.
  static FilterProgram load(ProgramKind kind, FilterMaps maps, std::uint32_t stamp_offset = 0);

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
  static FilterProgram open_with(ProgramKind kind, FilterMaps maps, std::uint32_t stamp_offset);
  FilterProgram(ProgramKind kind, SkeletonOwner skel, bpf_object* obj, bpf_program* prog, FilterMaps maps)
      : kind_(kind), skeleton_(std::move(skel)), object_(obj), program_(prog), maps_(std::move(maps)) {}

  ProgramKind kind_;
  SkeletonOwner skeleton_;
  bpf_object* object_;
  bpf_program* program_;
  FilterMaps maps_;
};

}  // namespace xb
