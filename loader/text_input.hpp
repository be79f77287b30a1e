// A whole input file as text: a path, or "-" for standard input (how
// `xdpfilter import` reads an iptables-save or nft -j dump from a pipe).
#pragma once

#include <string>

namespace xb {

// Throws RuleError "<path>: cannot open ...: <strerror>".
std::string read_text_input(const std::string& path);

// The name messages give the input: "<stdin>" for "-".
std::string input_name(const std::string& path);

}  // namespace xb
