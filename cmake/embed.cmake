# cmake -DIN=file -DOUT=file.cpp -DFUNC=name -P embed.cmake
# Writes a C++ function `const std::string& xb::FUNC()` returning the file's text.
file(READ ${IN} text)
file(WRITE ${OUT} "// Generated from ${IN}: do not edit.\n#include <string>\n\n"
  "namespace xb {\nconst std::string& ${FUNC}() {\n"
  "  static const std::string text = R\"XBEMBED(${text})XBEMBED\";\n  return text;\n}\n}  // namespace xb\n")
