// xdpfilter check, gen-rules and import: rule files read, compiled, made
// and translated, with nothing attached or changed.
#include <fmt/format.h>

#include <memory>

#include "cli_common.hpp"
#include "command.hpp"
#include "import_command.hpp"
#include "synthetic_rules.hpp"

namespace xb::cli {

RunCommand define_check(CLI::App& cmd) {
  auto rules_option = std::make_shared<RulesOption>();
  add_rules_option(&cmd, *rules_option, false);
  return [rules_option] {
    const RuleSet rules = rules_from(*rules_option);
    const CompiledTable table = compile_rules(rules);
    const TableStats& st = table.stats;
    fmt::print(
        "{}: {} rules, {} records in {} IPv4 and {} IPv6 trees, depth {}, leaves of at most {} records; "
        "table {:.1f} KiB, built in {:.1f} ms\n",
        rules.source, rules.rules.size(), st.records, st.trees[XB_FAMILY_V4], st.trees[XB_FAMILY_V6], st.max_depth,
        st.max_leaf, static_cast<double>(table.bytes()) / 1024, st.build_ms);
    return 0;
  };
}

RunCommand define_gen_rules(CLI::App& cmd) {
  auto o = std::make_shared<SyntheticRuleOptions>();
  cmd.add_option("--count", o->count, "number of rules")->check(CLI::Range(1u, unsigned(XB_MAX_RULES)));
  cmd.add_option("--seed", o->seed, "random seed");
  return [o] {
    fmt::print("{}", to_toml(synthetic_rules(*o)));
    return 0;
  };
}

RunCommand define_import(CLI::App& cmd) {
  auto o = std::make_shared<ImportCommand>();
  cmd.add_option("--from", o->from,
                 "iptables (iptables-save / ip6tables-save, with ipset save lines) | nft (nft -j list ruleset)")
      ->required()
      ->check(CLI::IsMember({"iptables", "nft", "nftables"}));
  cmd.add_option("input", o->input, "the rule set's file, or - for standard input")->required();
  cmd.add_option("--out", o->out, "write the rules to this file (default: standard output)");
  cmd.add_option("--table", o->iptables.table,
                 "iptables table (default: raw if PREROUTING has rules, "
                 "else filter)");
  cmd.add_option("--chain", o->chain,
                 "iptables: a built-in chain (default: PREROUTING in raw, INPUT in filter); nft: "
                 "FAMILY:TABLE:CHAIN or a base chain's name (default: the filter chain at prerouting, input or "
                 "ingress)");
  cmd.add_option("--family", o->family, "ipv4 | ipv6: tables the file does not say (default: guessed)")
      ->check(CLI::IsMember({"ipv4", "ipv6"}));
  cmd.add_flag("--skip-unsupported", o->iptables.skip_unsupported,
               "leave out rules the filter cannot express, and list them, instead of refusing the rule set");
  return [o] {
    run_import(*o);
    return 0;
  };
}

}  // namespace xb::cli
