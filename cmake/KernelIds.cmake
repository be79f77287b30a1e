# cmake -DVMLINUX_H=... -DOUT=... -P KernelIds.cmake
# The attach and program types newer than the system's UAPI headers (and
# Debian's libbpf 1.1), read from the vmlinux.h generated from this kernel's
# BTF. A name the kernel does not have becomes -1: the loader then reports
# the hook as unsupported by this kernel.
file(READ ${VMLINUX_H} text)
set(out "// Generated from ${VMLINUX_H} by cmake/KernelIds.cmake: do not edit.\n#pragma once\n\n")
foreach(name BPF_TCX_INGRESS BPF_TCX_EGRESS BPF_NETFILTER BPF_PROG_TYPE_NETFILTER)
  if(text MATCHES "[\t ]${name} = ([0-9]+),")
    string(APPEND out "#define XB_K_${name} ${CMAKE_MATCH_1}\n")
  else()
    string(APPEND out "#define XB_K_${name} (-1)\n")
  endif()
endforeach()
file(WRITE ${OUT}.tmp "${out}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
