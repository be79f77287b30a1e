// The reference model for the hooks that see a packet from its IP header on
// (socket filters, cgroup_skb, netfilter). Like their ctx layer, it does not
// know the IP packet's length in advance (bpf/xb_ctx_l3.h).
#include "reference_model.hpp"
#include "xb_ctx_l3.h"

#define XB_NATIVE_LEN(ctx) XB_L3_LEN_UNKNOWN
#include "reference_model_ctx.inc"

namespace xb {

Classification classify_l3(const CompiledTable& table, std::uint16_t ethertype, std::span<const std::uint8_t> packet,
                           std::uint8_t ct_state) {
  const xb_native_ctx ctx{packet.data(), static_cast<std::uint32_t>(packet.size()), ethertype, ct_state};
  xb_result res{};
  xb_classify(&ctx, &table, &res);
  return {static_cast<Action>(res.verdict), res.rule};
}

}  // namespace xb
