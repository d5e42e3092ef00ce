# paraat_embed(TARGET target NAME function FILES file...)
#
# Embeds files in a binary at build time: generates a C++ source that defines
#   const std::vector<paraat::EmbeddedFile>& <function>();
# (common/embedded.h) with each file's base name and bytes, and adds it to `target`. Editing a
# file regenerates the source. The collector stays one file: its templates, style sheet and
# message catalogues are in it.
set(PARAAT_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/paraat_embed_generate.cmake)

function(paraat_embed)
  cmake_parse_arguments(E "" "TARGET;NAME" "FILES" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/generated/${E_NAME}.cc)
  set(abs_files)
  foreach(f ${E_FILES})
    get_filename_component(a ${f} ABSOLUTE)
    list(APPEND abs_files ${a})
  endforeach()
  string(REPLACE ";" "|" joined "${abs_files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAME=${E_NAME} "-DFILES=${joined}" -P ${PARAAT_EMBED_SCRIPT}
    DEPENDS ${abs_files} ${PARAAT_EMBED_SCRIPT}
    COMMENT "Embedding ${E_NAME}"
    VERBATIM)
  target_sources(${E_TARGET} PRIVATE ${out})
endfunction()
