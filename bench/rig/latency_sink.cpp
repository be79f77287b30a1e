#include "latency_sink.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <memory>
#include <optional>

#include "errors.hpp"
#include "xb_sink.skel.h"
#include "xdp_program_attachment.hpp"

#ifndef __always_inline
#define __always_inline inline
#endif
#include "xb_latency.h"

namespace xb::bench {

struct LatencySink::Impl {
  std::unique_ptr<xb_sink, void (*)(xb_sink*)> skel{nullptr, &xb_sink__destroy};
  std::optional<XdpProgramAttachment> attachment;  // goes before the program
  std::size_t ncpu = 1;
};

LatencySink::LatencySink(const Endpoint& sink) : impl_(std::make_unique<Impl>()) {
  impl_->ncpu = static_cast<std::size_t>(check_errno(libbpf_num_possible_cpus(), "count CPUs"));
  impl_->skel.reset(xb_sink__open_and_load());
  if (!impl_->skel) throw Error(errno_message("load the sink program", errno));
  impl_->attachment.emplace(bpf_program__fd(impl_->skel->progs.xb_sink), sink.ifindex, sink.ns, XdpMode::Native,
                            /*replace=*/true, "attach the sink program on " + sink.dev);
}

LatencySink::~LatencySink() = default;

void LatencySink::reset() {
  const std::vector<__u64> zeros(impl_->ncpu, 0);
  const int fd = bpf_map__fd(impl_->skel->maps.xb_sink_latency);
  for (__u32 b = 0; b < XB_LAT_BUCKETS; ++b)
    check_errno(bpf_map_update_elem(fd, &b, zeros.data(), BPF_ANY), "reset the latency histogram");
}

LatencyHistogram LatencySink::read() const {
  std::vector<std::uint64_t> buckets(XB_LAT_BUCKETS, 0);
  std::vector<__u64> per_cpu(impl_->ncpu);
  const int fd = bpf_map__fd(impl_->skel->maps.xb_sink_latency);
  for (__u32 b = 0; b < XB_LAT_BUCKETS; ++b)
    if (!bpf_map_lookup_elem(fd, &b, per_cpu.data()))
      for (auto v : per_cpu) buckets[b] += v;
  return LatencyHistogram(std::move(buckets));
}

}  // namespace xb::bench
