// Is a hook's rate its own, or the generator's? Every `xdpbench run`
// measures the generator's ceiling beside the hooks: the same traffic into an
// XDP program at the DUT that drops every frame at once (kCeilingHook), the
// least work any hook can add. xdp-noop is not that ceiling: it passes every
// frame up the DUT's stack, which costs more than most filters' drops (a
// filter dropping everything at XDP has run at twice xdp-noop's rate here).
//
// A hook is generator-bound when
//  * its rx rate reaches the ceiling's band: its fastest trial at or above
//    the ceiling's slowest, the band widened to kRateNoise below the
//    ceiling's median (one repetition has no spread of its own); nothing
//    faster could show, so its rate says "at least this", not what it costs;
//  * or, with the generator and the DUT on cores of their own (--cpu), it
//    was offered less than kFarBelow of what the generator reached in the
//    same run, and took all of it: the generator was held back, the hook
//    was not the limit. Without --cpu the generator's core also does the
//    DUT's receive work, so a slow hook lowers what is offered; that is the
//    hook's cost, and this rule does not apply.
// Either way, compare its per-packet costs (prog ns/pkt, DUT CPU ns/pkt),
// not its rate. Used by `run` on its trials and by `gate` on result files,
// so both say the same about the same trials. No libbpf: unit-tested
// without root.
#pragma once

#include <string>
#include <vector>

namespace xb::bench {

// The pseudo-hook of the ceiling trials: xb_noop with XDP_DROP at the DUT.
inline constexpr const char* kCeilingHook = "xdp-drop";

// Run-to-run noise of a rate a band must allow for (the gate's default
// threshold too: a change smaller than this is not judged either).
inline constexpr double kRateNoise = 0.05;
// "far below" what the generator reached: less than this share of it.
inline constexpr double kFarBelow = 0.5;

// One hook's (or the ceiling's) trials: Mpps offered and received, per trial.
struct RateSamples {
  std::vector<double> offered_mpps, rx_mpps;
};

struct GeneratorBound {
  bool bound = false;
  std::string why;  // empty when not bound
};

// pinned: the run had --cpu=GEN,DUT.
GeneratorBound generator_bound(const RateSamples& hook, const RateSamples& ceiling, bool pinned);

}  // namespace xb::bench
