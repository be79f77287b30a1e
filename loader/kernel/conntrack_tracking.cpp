// nftables through libnftables: the same parser and netlink batch as the nft
// command, so the request is one atomic transaction, without a subprocess.
#include "conntrack_tracking.hpp"

#include <fmt/format.h>
#include <nftables/libnftables.h>

#include <cstdint>
#include <memory>

#include "errors.hpp"

namespace xb {
namespace {

struct NftResult {
  int rc = 0;
  std::string error;
};

NftResult run_nft(const std::string& commands) {
  const std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> ctx(nft_ctx_new(NFT_CTX_DEFAULT), nft_ctx_free);
  if (!ctx) throw Error("nftables: cannot create a libnftables context");
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  NftResult r;
  r.rc = nft_run_cmd_from_buffer(ctx.get(), commands.c_str());
  if (const char* e = nft_ctx_get_error_buffer(ctx.get())) r.error = e;
  return r;
}

}  // namespace

std::string conntrack_table_name(const std::string& key) {
  // FNV-1a: a short, stable name for any key
  std::uint64_t h = 1469598103934665603ull;
  for (const unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  return fmt::format("xdpfilter_ct_{:016x}", h);
}

void hold_conntrack(const std::string& table) {
  // add is idempotent for tables and chains; the flush keeps a repeated
  // hold at one rule
  const auto r =
      run_nft(fmt::format("add table inet {0}\nadd chain inet {0} track\nflush chain inet {0} track\n"
                          "add rule inet {0} track ct state established\n",
                          table));
  if (r.rc != 0)
    throw Error(
        fmt::format("connection tracking: nftables refused table inet {} (rules that name connection states need "
                    "CONFIG_NF_CONNTRACK and CONFIG_NFT_CT): {}",
                    table, r.error));
}

void release_conntrack(const std::string& table) { (void)run_nft(fmt::format("delete table inet {}\n", table)); }

bool conntrack_table_present(const std::string& table) {
  return run_nft(fmt::format("list table inet {}\n", table)).rc == 0;
}

}  // namespace xb
