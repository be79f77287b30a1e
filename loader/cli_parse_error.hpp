// CLI11's parse errors in the tools' own form: one line, "<program>: <what>",
// exit code 2, like every other bad input (CLI11 alone adds a second line).
// --help still prints the help and exits 0.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>

namespace xb {

inline int exit_on_parse_error(const CLI::App& app, const CLI::ParseError& e, const char* program) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
  std::fprintf(stderr, "%s: %s (--help lists the options)\n", program, e.what());
  return 2;
}

}  // namespace xb
