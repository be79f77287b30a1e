// What every fuzz target asserts beyond "no sanitizer report": a broken
// expectation prints what was expected and aborts, which libFuzzer records
// as a crash with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace xb::fuzz {

[[noreturn]] inline void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz expectation broken: %s\n", what.c_str());
  std::abort();
}

// Bad input gets an error that names the place: "<source>:" first.
inline void expect_error_names(const std::string& message, const std::string& source) {
  if (message.rfind(source + ":", 0) != 0) broken("error does not start with '" + source + ":': " + message);
}

}  // namespace xb::fuzz
