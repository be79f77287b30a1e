// A whole input file as text: a path, or "-" for standard input (how
// `xdpfilter import` reads an iptables-save or nft -j dump from a pipe).
#pragma once

#include <cstddef>
#include <string>

namespace xb {

// The largest rule file read (64 MiB): a table holds at most XB_MAX_RULES
// rules, a few hundred bytes each at most in any format the
// project reads; a bigger file is a mistake (or /dev/zero) and is refused
// before it fills memory.
inline constexpr std::size_t kMaxInputFileBytes = std::size_t{64} << 20;

// Topology and profile files: a few lines each.
inline constexpr std::size_t kMaxSpecFileBytes = std::size_t{1} << 20;

// Throws RuleError "<path>: <what>: <reason>" for a file that cannot be
// opened, a directory, or one of more than `max_bytes` (also from a pipe).
std::string read_text_input(const std::string& path, const std::string& what = "rule file",
                            std::size_t max_bytes = kMaxInputFileBytes);

// The name messages give the input: "<stdin>" for "-".
std::string input_name(const std::string& path);

}  // namespace xb
