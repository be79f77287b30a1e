#include "import_command.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "errors.hpp"
#include "synthetic_rules.hpp"
#include "text_input.hpp"

namespace xb {

void run_import(const ImportCommand& command) {
  ImportedRules imported;
  if (command.from == "iptables") {
    IptablesImportOptions options = command.iptables;
    options.chain = command.chain;
    if (command.family == "ipv4") options.family = Family::V4;
    if (command.family == "ipv6") options.family = Family::V6;
    imported = import_iptables_file(command.input, options);
  } else if (command.from == "nft" || command.from == "nftables") {
    if (!command.iptables.table.empty() || !command.family.empty())
      throw Error("--table and --family are iptables' options: name an nftables chain with --chain=FAMILY:TABLE:CHAIN");
    imported = import_nft_file(command.input, {command.chain, command.iptables.skip_unsupported});
  } else {
    throw Error(fmt::format("--from={}: expected iptables or nft", command.from));
  }
  const std::string what =
      fmt::format("imported from {} by xdpfilter import --from={}", input_name(command.input), command.from);
  const std::string text = import_comment(imported, what) + "\n" + to_toml(imported.rules);
  if (command.out.empty()) {
    fmt::print("{}", text);
  } else {
    std::ofstream out(command.out, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush()) throw Error(errno_message(command.out + ": cannot write", errno));
  }
  for (const auto& n : imported.notes) fmt::print(stderr, "note: {}\n", n);
  for (const auto& s : imported.skipped) fmt::print(stderr, "skipped: {}\n", s);
  fmt::print(stderr, "{} rules imported{}\n", imported.rules.rules.size(),
             imported.skipped.empty() ? "" : fmt::format(", {} rules skipped", imported.skipped.size()));
}

}  // namespace xb
