// One filter program, owned through its libbpf skeleton: one per program
// type (see ProgramKind). Its maps are the FilterMaps it is opened with.
#pragma once

#include <memory>
#include <optional>

#include "filter_maps.hpp"
#include "hooks.hpp"

struct bpf_object;
struct bpf_program;

namespace xb {

// The benchmark rig's knobs. Given one, the program is the rig's variant
// (bpf/xb_rig_probe.bpf.h): it times the generator's stamps (one-way
// latency to the hook) and can be slowed on purpose. Without, it is the
// program users attach, built without any of that.
struct RigProbe {
  std::uint32_t stamp_offset = 0;  // where the stamp sits from the ctx's first byte; 0: no reader
  std::uint32_t sample_shift = 0;  // time one stamp in 2^sample_shift (0: every one)
  std::uint32_t extra_work = 0;    // empty bpf_loop iterations a packet: a slowdown of known size
};

class FilterProgram {
 public:
  // Opens the skeleton and points its maps at `maps`; not loaded yet, so a
  // loader such as libxdp can still set the program type.
  static FilterProgram open(ProgramKind kind, FilterMaps maps, const std::optional<RigProbe>& rig = std::nullopt);
  // Opens and loads.
  static FilterProgram load(ProgramKind kind, FilterMaps maps, const std::optional<RigProbe>& rig = std::nullopt);

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
  static FilterProgram open_with(ProgramKind kind, FilterMaps maps, const std::optional<RigProbe>& rig);
  template <class Product, class Rig>
  static FilterProgram open_variant(ProgramKind kind, FilterMaps maps, const std::optional<RigProbe>& rig);
  FilterProgram(ProgramKind kind, SkeletonOwner skel, bpf_object* obj, bpf_program* prog, FilterMaps maps)
      : kind_(kind), skeleton_(std::move(skel)), object_(obj), program_(prog), maps_(std::move(maps)) {}

  ProgramKind kind_;
  SkeletonOwner skeleton_;
  bpf_object* object_;
  bpf_program* program_;
  FilterMaps maps_;
};

}  // namespace xb
