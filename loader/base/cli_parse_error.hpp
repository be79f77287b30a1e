// CLI11's parse errors in the tools' own form: one line, "<program>: <what>",
// exit code 2, like every other bad input (CLI11 alone adds a second line).
// --help still prints the help and exits 0.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string_view>

namespace xb {

inline int exit_on_parse_error(const CLI::App& app, const CLI::ParseError& e, const char* program) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
  std::fprintf(stderr, "%s: %s (--help lists the options)\n", program, e.what());
  return 2;
}

// --check-args: parse the command line as always, then exit 0 having done
// nothing (a parse error still exits 2). The docs test runs every command
// the docs show with it, so they cannot show one the tools no longer take;
// checks done after parsing (a hook's name, a rule file) are not reached.
// It is taken out of argv before CLI11 sees it, wherever it stands: CLI11
// matches the app's own options only before the subcommand, and taking it
// out leaves how everything else parses exactly as it is. Not in --help:
// it is for tests. Returns whether it was there.
inline bool take_check_args(int& argc, char** argv) {
  int kept = 1;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) != "--check-args") argv[kept++] = argv[i];
  const bool found = kept != argc;
  argc = kept;
  argv[argc] = nullptr;
  return found;
}

}  // namespace xb
