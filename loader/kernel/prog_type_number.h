// Sets a BPF program's type by the kernel's number, for types newer than the
// headers libbpf was built with (Debian's linux/bpf.h ends enum bpf_prog_type
// at BPF_PROG_TYPE_SYSCALL = 31; netfilter is 32 from the running kernel's
// BTF, xb_kernel_ids.h). In C++ an enum without a fixed underlying type holds
// only the values its enumerators span (0..31 here), so converting 32 to it is
// undefined; C's enum is an integer type that holds it: the conversion is done
// here, in C.
#pragma once

#include <bpf/libbpf.h>

#ifdef __cplusplus
extern "C" {
#endif

// libbpf's bpf_program__set_type(): 0 or a negative errno.
int xb_set_prog_type_number(struct bpf_program *prog, unsigned int type);

#ifdef __cplusplus
}
#endif
