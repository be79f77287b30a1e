#include "imported_rules.hpp"

#include <fmt/format.h>

namespace xb {

std::string import_comment(const ImportedRules& imported, const std::string& what) {
  std::string out = fmt::format("# {}: {} rules\n", what, imported.rules.rules.size());
  for (const auto& n : imported.notes) out += "# note: " + n + "\n";
  for (const auto& s : imported.skipped) out += "# skipped: " + s + "\n";
  return out;
}

}  // namespace xb
