# Builds BPF C into objects and libbpf skeletons, one target per object.
#   xb_bpf_object(NAME name SOURCE file.bpf.c [DEPENDS headers...])
# makes ${name}.bpf.o and ${name}.skel.h in the build tree and an INTERFACE
# target ${name}_skel that puts the skeleton on the include path.
# (A function, not a macro: nothing leaks into the caller's scope.)

find_program(BPFTOOL_EXE bpftool PATHS /usr/sbin /sbin REQUIRED)
find_program(BPF_CLANG_EXE NAMES clang clang-14 clang-15 REQUIRED)
set(XB_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH
    "Kernel BTF that vmlinux.h is generated from")

set(XB_BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf-gen)
file(MAKE_DIRECTORY ${XB_BPF_GEN_DIR})

# vmlinux.h from the running kernel's BTF: CO-RE relocates field offsets at
# load time, so the objects still load on other kernels.
add_custom_command(
  OUTPUT ${XB_BPF_GEN_DIR}/vmlinux.h
  COMMAND ${BPFTOOL_EXE} btf dump file ${XB_VMLINUX_BTF} format c > ${XB_BPF_GEN_DIR}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${XB_VMLINUX_BTF}"
  VERBATIM)
add_custom_command(
  OUTPUT ${XB_BPF_GEN_DIR}/xb_kernel_ids.h
  COMMAND ${CMAKE_COMMAND} -DVMLINUX_H=${XB_BPF_GEN_DIR}/vmlinux.h -DOUT=${XB_BPF_GEN_DIR}/xb_kernel_ids.h
          -P ${CMAKE_CURRENT_LIST_DIR}/KernelIds.cmake
  DEPENDS ${XB_BPF_GEN_DIR}/vmlinux.h ${CMAKE_CURRENT_LIST_DIR}/KernelIds.cmake
  COMMENT "Reading attach and program type numbers from vmlinux.h"
  VERBATIM)
add_custom_target(xb_vmlinux_h DEPENDS ${XB_BPF_GEN_DIR}/vmlinux.h ${XB_BPF_GEN_DIR}/xb_kernel_ids.h)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64")
  set(XB_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64")
  set(XB_BPF_ARCH arm64)
else()
  set(XB_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(xb_bpf_object)
  # DEFINES: preprocessor symbols for this object (a variant of a source)
  cmake_parse_arguments(ARG "" "NAME;SOURCE" "DEPENDS;DEFINES" ${ARGN})
  list(TRANSFORM ARG_DEFINES PREPEND -D)
  set(obj ${XB_BPF_GEN_DIR}/${ARG_NAME}.bpf.o)
  set(skel ${XB_BPF_GEN_DIR}/${ARG_NAME}.skel.h)
  get_filename_component(src ${ARG_SOURCE} ABSOLUTE)
  get_filename_component(src_dir ${src} DIRECTORY)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG_EXE} -g -O2 -Wall -Werror -target bpf
            -D__TARGET_ARCH_${XB_BPF_ARCH} ${ARG_DEFINES}
            -I${XB_BPF_GEN_DIR} -I${src_dir} -c ${src} -o ${obj}
    DEPENDS ${src} ${ARG_DEPENDS}
    COMMENT "BPF ${ARG_NAME}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL_EXE} gen skeleton ${obj} name ${ARG_NAME} > ${skel}
    DEPENDS ${obj}
    COMMENT "Skeleton ${ARG_NAME}.skel.h"
    VERBATIM)
  add_custom_target(${ARG_NAME}_skel_gen DEPENDS ${skel})
  # a target, not a file dependency: Makefile generators only see custom
  # command outputs of the same directory
  add_dependencies(${ARG_NAME}_skel_gen xb_vmlinux_h)
  add_library(${ARG_NAME}_skel INTERFACE)
  add_dependencies(${ARG_NAME}_skel ${ARG_NAME}_skel_gen)
  target_include_directories(${ARG_NAME}_skel INTERFACE ${XB_BPF_GEN_DIR})
  target_link_libraries(${ARG_NAME}_skel INTERFACE PkgConfig::LIBBPF)
endfunction()
