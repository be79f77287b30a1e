// Which iptables matches (-m NAME) the filter reads, and why it refuses the
// ones it knows it cannot express (a match it does not know at all is
// refused by the reader with its name).
#pragma once

#include <optional>
#include <string>

namespace xb {

bool iptables_match_supported(const std::string& name);
// Why the filter cannot express match `name`; nullopt for one it reads or does not know.
std::optional<std::string> iptables_match_refusal(const std::string& name);

}  // namespace xb
