// The reference model for the hooks that see the Ethernet header (XDP, tc).
#include "reference_model.hpp"

#define XB_CTX_STARTS_AT_L2 1
#define XB_NATIVE_LEN(ctx) ((ctx)->len)
#include "reference_model_ctx.inc"

namespace xb {

Classification classify(const CompiledTable& table, std::span<const std::uint8_t> frame, std::uint8_t ct_state) {
  const xb_native_ctx ctx{frame.data(), static_cast<std::uint32_t>(frame.size()), 0, ct_state};
  xb_result res{};
  xb_classify(&ctx, &table, &res);
  return {static_cast<Action>(res.verdict), res.rule};
}

}  // namespace xb
