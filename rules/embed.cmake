# cmake -DIN=file -DOUT=file.cpp -P embed.cmake
file(READ ${IN} text)
file(WRITE ${OUT} "// Generated from ${IN}: do not edit.\n#include \"rule_set.hpp\"\n\n"
  "namespace xb {\nconst std::string& default_rules_text() {\n"
  "  static const std::string text = R\"XBRULES(${text})XBRULES\";\n  return text;\n}\n}  // namespace xb\n")
