#include "call_size_model.hpp"

#include <algorithm>
#include <cmath>

namespace xb::bench {

CallSizeModel::CallSizeModel() : CallSizeModel(Params{}) {}

CallSizeModel::CallSizeModel(const Params& params)
    : p_(params), next_(std::clamp<std::uint64_t>(p_.start, 1, p_.cap)) {}

void CallSizeModel::observe(std::uint64_t n, double seconds) {
  if (n == 0 || !(seconds >= 0)) return;
  // one call stalled by something else (preemption, a slow grace period)
  // counts as a few times its prediction at most; a second in a row is a
  // real change in cost (the next hook is slower) and counts in full
  const bool outlier = separated_ && seconds > p_.outlier_factor * predict(n);
  last_seconds_ = std::max(seconds, 1e-9);
  long_calls_ = seconds > p_.max_call_s ? long_calls_ + 1 : 0;
  if (outlier && !clipped_last_) seconds = p_.outlier_factor * predict(n);
  if (outlier && clipped_last_) {
    // the costs changed: what the fit knew is of the old ones
    calls_ = 0;
    separated_ = false;
  }
  clipped_last_ = outlier && !clipped_last_;
  window_[calls_ % kWindow] = {static_cast<double>(n), seconds};
  ++calls_;
  fit();
  next_ = choose();
}

void CallSizeModel::fit() {
  double w = 0, sn = 0, st = 0, snn = 0, snt = 0, weight = 1;
  for (std::size_t age = 0; age < std::min<std::uint64_t>(calls_, kWindow); ++age) {
    const Call& c = window_[(calls_ - 1 - age) % kWindow];
    w += weight;
    sn += weight * c.n;
    st += weight * c.seconds;
    snn += weight * c.n * c.n;
    snt += weight * c.n * c.seconds;
    weight *= p_.decay;  // older calls count less
  }
  const double mean_n = sn / w, mean_t = st / w;
  const double var = snn / w - mean_n * mean_n;
  const double cov = snt / w - mean_n * mean_t;
  // sizes spread by more than 5% of their mean: the two costs separate
  if (var > 0.0025 * mean_n * mean_n) {
    separated_ = true;
    const double b = cov / var, a = mean_t - b * mean_n;
    if (b > 0 && a >= 0) {
      fixed_s_ = a;
      per_packet_s_ = b;
    } else if (b > 0) {
      // calls cost less than their size says: no fixed part to speak of
      fixed_s_ = 0;
      per_packet_s_ = snt / snn;
    } else {
      // time does not grow with size (noise over a large fixed cost): no
      // news of the per-packet cost, the fixed cost is the rest
      if (per_packet_s_ <= 0) per_packet_s_ = snt / snn;
      fixed_s_ = std::max(mean_t - per_packet_s_ * mean_n, 0.0);
    }
    return;
  }
  // calls of one size (all at the cap, or shortened to one packet budget):
  // keep the fixed cost the spread once showed, the per-packet cost follows
  if (!separated_) fixed_s_ = 0;
  fixed_s_ = std::min(fixed_s_, 0.9 * mean_t);
  per_packet_s_ = std::max((mean_t - fixed_s_) / mean_n, 1e-12);
}

std::uint64_t CallSizeModel::choose() const {
  const Call& last = window_[(calls_ - 1) % kWindow];
  double n;
  if (!separated_) {
    // one size seen: twice as many if that stays short, else half
    n = 2 * last_seconds_ <= p_.max_call_s ? 2 * last.n : last.n / 2;
  } else {
    const double a = fixed_s_, b = per_packet_s_;
    const double for_target = (p_.target_s - a) / b;
    const double for_share = a * (1 - p_.max_fixed_share) / (p_.max_fixed_share * b);
    const double longest = std::max((p_.max_call_s - a) / b, 1.0);
    n = std::max(for_target, for_share);
    // sizes alternate between the choice and 1.5 times it, so the fit keeps
    // seeing the two costs apart (at the cap: the cap and 2/3 of it)
    const double high = std::min({1.5 * n, longest, static_cast<double>(p_.cap)});
    n = calls_ % 2 == 0 ? high / 1.5 : high;
  }
  // calls too long twice in a row: the fit has not caught up with a slower
  // hook yet; halving is safe whatever the split of the costs
  if (long_calls_ >= 2) n = std::min(n, last.n / 2);
  // Model-free bounds on growth: a call at most 4 times the last, and no
  // longer than max_call_s if time grows at most in proportion to size
  // (true of fixed + per-packet cost): a fit may be wrong, this is not.
  if (n > last.n) n = std::min({n, 4 * last.n, std::max(last.n, last.n * p_.max_call_s / last_seconds_)});
  if (!(n >= 1)) return 1;
  return std::min<std::uint64_t>(static_cast<std::uint64_t>(std::llround(n)), p_.cap);
}

}  // namespace xb::bench
