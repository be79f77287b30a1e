#include "prog_type_number.h"

int xb_set_prog_type_number(struct bpf_program *prog, unsigned int type)
{
	return bpf_program__set_type(prog, (enum bpf_prog_type)type);
}
