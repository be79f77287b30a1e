// How many frames the next flat-out BPF_PROG_TEST_RUN call should send.
//
// A call's time is modelled as fixed + per_packet x n: the fixed part is the
// syscall, the frame pool set-up and, where the program is not already in the
// kernel's XDP dispatcher, two RCU grace periods (1 ms on one machine, 20 ms
// on another); the per-packet part is the generator plus the DUT's softirq
// work on the same core. Both are fitted by least squares over the last
// `window` calls (recent ones weighing more), so one slow call (a preemption,
// a grace period that dragged) moves the estimate a little, not the batch;
// and a hook that is slower than the last one shows fully within a window.
//
// The next call is sized to take about `target_s` (so a trial ends on time
// however slow the hook), but never so small that the fixed cost is more than
// `max_fixed_share` of the call, and never predicted longer than `max_call_s`.
// Calls of one size cannot tell the two costs apart, so sizes alternate
// between the chosen one and 1.5 times it; until the first fit, calls double from
// `start` while they stay short.
//
// No libbpf here: unit-tested without root (tests/unit/call_size_model_test.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace xb::bench {

class CallSizeModel {
 public:
  struct Params {
    double target_s = 0.010;        // a call should take about this long
    double max_fixed_share = 0.10;  // ... but the fixed cost at most this share of it
    double max_call_s = 0.25;       // never predicted longer than this
    std::uint64_t start = 1024;     // the first call
    std::uint64_t cap = 65536;      // frames per call at most
    double decay = 0.85;            // weight kept by past calls at each new one
    double outlier_factor = 3;      // one call counts as at most this x its prediction
  };

  CallSizeModel();
  explicit CallSizeModel(const Params& params);

  // Frames for the next call (1..cap).
  std::uint64_t next() const { return next_; }
  // A call of n frames took `seconds` (wall time, around the syscall).
  void observe(std::uint64_t n, double seconds);

  // The current fit; 0 until there is one.
  double fixed_s() const { return fixed_s_; }
  double per_packet_s() const { return per_packet_s_; }
  // true once calls of different sizes let the fit separate the two costs
  bool separated() const { return separated_; }
  double predict(std::uint64_t n) const { return fixed_s_ + per_packet_s_ * static_cast<double>(n); }

 private:
  static constexpr std::size_t kWindow = 12;  // calls the fit looks at
  struct Call {
    double n = 0, seconds = 0;
  };
  void fit();
  std::uint64_t choose() const;

  Params p_;
  std::array<Call, kWindow> window_{};  // a ring: the newest at (calls_ - 1) % kWindow
  std::uint64_t calls_ = 0;
  double fixed_s_ = 0, per_packet_s_ = 0;
  bool separated_ = false;
  bool clipped_last_ = false;
  double last_seconds_ = 0;  // the last call as measured, not clipped
  int long_calls_ = 0;       // calls in a row longer than max_call_s
  std::uint64_t next_;
};

}  // namespace xb::bench
