// The native ctx layer for the filter core. Loads are bounds-checked copies,
// the table is the compiled C++ table, and XB_LOOP is a plain loop.
#include "reference_model.hpp"

#include <cstring>

namespace {

struct xb_native_ctx {
  const std::uint8_t* data;
  std::uint32_t len;
};

inline int xb_ctx_load(const xb_native_ctx* ctx, __u32 off, void* dst, __u32 len) {
  if (off > ctx->len || len > ctx->len - off) return -1;
  std::memcpy(dst, ctx->data + off, len);
  return 0;
}

inline __u32 xb_ctx_len(const xb_native_ctx* ctx) { return ctx->len; }

inline const xb_meta* xb_table_meta(const xb::CompiledTable* table) { return &table->meta; }

inline const xb_bucket* xb_table_bucket(const xb::CompiledTable* table, const xb_bucket_key* key) {
  auto it = table->buckets.find(xb::CompiledTable::key_bytes(*key));
  return it == table->buckets.end() ? nullptr : &it->second;
}

}  // namespace

#define XB_CTX const xb_native_ctx*
#define XB_CTX_STARTS_AT_L2 1
#define XB_TABLE const xb::CompiledTable*
#define XB_LOOP(n, fn, arg)                      \
  do {                                           \
    for (__u32 xb_i = 0; xb_i < (n); ++xb_i)     \
      if (fn(xb_i, arg)) break;                  \
  } while (0)

#include "xb_core.h"

namespace xb {

Classification classify(const CompiledTable& table, std::span<const std::uint8_t> frame) {
  const xb_native_ctx ctx{frame.data(), static_cast<std::uint32_t>(frame.size())};
  xb_result res{};
  xb_classify(&ctx, &table, &res);
  return {static_cast<Action>(res.verdict), res.rule};
}

}  // namespace xb
