// ClassBench filter files (Taylor & Turner's packet classification
// benchmark) read into a RuleSet, so the standard rule sets load as they are:
//
//   @SRC/LEN  DST/LEN  SPORT_LO : SPORT_HI  DPORT_LO : DPORT_HI  PROTO/MASK  FLAGS/MASK
//
// ClassBench has no actions: every rule gets `action`. Rule N (1-based, in
// file order) is named "cb<N>" (ClassBench's traces call it N-1). How its
// fields map onto the filter's is in docs/rules.md ("ClassBench rule files").
#pragma once

#include <string>

#include "rule_set.hpp"

namespace xb {

// Throws RuleError naming source_name:line:column and what was expected.
RuleSet parse_classbench(const std::string& text, const std::string& source_name, Action action);
RuleSet load_classbench_file(const std::string& path, Action action);

}  // namespace xb
