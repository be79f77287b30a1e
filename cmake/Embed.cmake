# xb_embed(target file func): compiles the file's text into `target` as
# `const std::string& xb::func()` (embedded rule sets and topologies).
set(XB_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed.cmake)
function(xb_embed target file func)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${func}.cpp)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DIN=${file} -DOUT=${out} -DFUNC=${func} -P ${XB_EMBED_SCRIPT}
    DEPENDS ${file} ${XB_EMBED_SCRIPT}
    COMMENT "Embedding ${file}")
  target_sources(${target} PRIVATE ${out})
endfunction()
