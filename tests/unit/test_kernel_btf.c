// SPDX-License-Identifier: GPL-2.0
/*
 * src/kernel_btf.c: the kernel BTF it hands libbpf is byte for byte what
 * libbpf's own reader makes of /sys/kernel/btf/vmlinux, and libbpf's
 * calls reach it (the executable's definition is the one the dynamic
 * linker finds first).
 */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "tap.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

int main(void)
{
	const void *a, *b;
	struct btf *mine, *theirs;
	__u32 na = 0, nb = 0;
	Dl_info where;
	void *sym;

	if (access(VMLINUX_BTF, R_OK)) {
		printf("ok 1 # SKIP no %s: %s\n", VMLINUX_BTF, strerror(errno));
		printf("1..1\n");
		return 0;
	}
	/* where a name lookup in the global scope, as libbpf's PLT does,
	 * finds the function: in this program, not in libbpf */
	sym = dlsym(RTLD_DEFAULT, "btf__load_vmlinux_btf");
	ok(sym && dladdr(sym, &where) && where.dli_fname &&
	   !strstr(where.dli_fname, "libbpf"),
	   "libbpf's btf__load_vmlinux_btf calls resolve to vmscope's (in %s)",
	   sym && dladdr(sym, &where) ? where.dli_fname : "nothing");
	mine = btf__load_vmlinux_btf();
	theirs = btf__parse_raw(VMLINUX_BTF);
	ok(mine && theirs, "both readers parse the kernel's BTF");
	if (!mine || !theirs)
		return tap_done();
	ok(btf__type_cnt(mine) == btf__type_cnt(theirs) && btf__type_cnt(mine) > 1000,
	   "same number of types (%u, %u)", btf__type_cnt(mine), btf__type_cnt(theirs));
	a = btf__raw_data(mine, &na);
	b = btf__raw_data(theirs, &nb);
	ok(a && b && na == nb && !memcmp(a, b, na), "same %u bytes", na);
	ok(btf__find_by_name_kind(mine, "task_struct", BTF_KIND_STRUCT) ==
	   btf__find_by_name_kind(theirs, "task_struct", BTF_KIND_STRUCT) &&
	   btf__find_by_name_kind(mine, "task_struct", BTF_KIND_STRUCT) > 0,
	   "task_struct has the same id in both");
	btf__free(mine);
	btf__free(theirs);
	return tap_done();
}
