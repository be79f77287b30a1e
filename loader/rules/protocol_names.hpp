// Protocol names as iptables reads them: the system's protocol database
// (/etc/protocols through getprotobyname_r), then the few names iptables
// knows itself for systems without the database.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace xb {

// The IP protocol number a name or a decimal number 0-255 stands for;
// nullopt if it is neither. Case-insensitive, as iptables is. "all" is not a
// protocol here: the importers say what it means themselves.
std::optional<std::uint8_t> protocol_number(std::string_view name);

}  // namespace xb
