// SPDX-License-Identifier: GPL-2.0
/*
 * src/kernel_btf.c: the kernel BTF it hands libbpf is byte for byte what
 * libbpf's own reader makes of /sys/kernel/btf/vmlinux, and libbpf's
 * calls reach it (the executable's definition is the one the dynamic
 * linker finds first). Built with -Wl,--wrap=mmap: a kernel that will not
 * map the file (before 6.16) is played by refusing the mapping, and the
 * fallback must give the same bytes. The first parse is kept and lent to
 * one loader at a time: libbpf's btf__free hands it back.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/btf.h>

#include "tap.h"
#include "tracers/kernel_btf.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/* every mmap of the objects linked in comes here (--wrap=mmap) */
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
static int refuse_mmap, mmap_calls;

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	mmap_calls++;
	if (refuse_mmap) {
		errno = ENODEV;	/* what sysfs says before 6.16 */
		return MAP_FAILED;
	}
	return __real_mmap(addr, len, prot, flags, fd, off);
}

/* both BTFs hold the same types, byte for byte */
static void same_btf(struct btf *mine, struct btf *theirs, const char *how)
{
	const void *a, *b;
	__u32 na = 0, nb = 0;

	ok(btf__type_cnt(mine) == btf__type_cnt(theirs) && btf__type_cnt(mine) > 1000,
	   "%s: same number of types (%u, %u)", how, btf__type_cnt(mine),
	   btf__type_cnt(theirs));
	a = btf__raw_data(mine, &na);
	b = btf__raw_data(theirs, &nb);
	ok(a && b && na == nb && !memcmp(a, b, na), "%s: same %u bytes", how, na);
	ok(btf__find_by_name_kind(mine, "task_struct", BTF_KIND_STRUCT) ==
	   btf__find_by_name_kind(theirs, "task_struct", BTF_KIND_STRUCT) &&
	   btf__find_by_name_kind(mine, "task_struct", BTF_KIND_STRUCT) > 0,
	   "%s: task_struct has the same id in both", how);
}

/* where a name lookup in the global scope, as libbpf's PLT does, finds
 * NAME: in this program, not in libbpf */
static void resolves_here(const char *name)
{
	void *sym = dlsym(RTLD_DEFAULT, name);
	Dl_info where;
	bool found = sym && dladdr(sym, &where) && where.dli_fname;

	ok(found && !strstr(where.dli_fname, "libbpf"),
	   "libbpf's %s calls resolve to vmscope's (in %s)", name,
	   found ? where.dli_fname : "nothing");
}

int main(void)
{
	struct btf *mine, *theirs, *fallback;

	if (access(VMLINUX_BTF, R_OK)) {
		printf("ok 1 # SKIP no %s: %s\n", VMLINUX_BTF, strerror(errno));
		printf("1..1\n");
		return 0;
	}
	resolves_here("btf__load_vmlinux_btf");
	mmap_calls = 0;
	mine = btf__load_vmlinux_btf();
	ok(mmap_calls == 1, "the file is mapped (%d mmap calls)", mmap_calls);
	theirs = btf__parse_raw(VMLINUX_BTF);
	/* a kernel that refuses the mapping: parsed as libbpf does */
	refuse_mmap = 1;
	mmap_calls = 0;
	fallback = btf__load_vmlinux_btf();
	refuse_mmap = 0;
	ok(mmap_calls == 1 && fallback,
	   "mapping refused: the fallback still parses (%d mmap calls, %s)",
	   mmap_calls, fallback ? "parsed" : strerror(errno));
	ok(mine && theirs, "both readers parse the kernel's BTF");
	if (!mine || !theirs || !fallback)
		return tap_done();
	same_btf(mine, theirs, "mapped");
	same_btf(fallback, theirs, "fallback");
	ok(fallback != mine, "a second load while the first holds the loan parses its own");
	btf__free(fallback);

	/* the loan: libbpf's btf__free reaches vmscope's, which takes the
	 * kept parse back, and the next load gets it without a parse */
	resolves_here("btf__free");
	btf__free(mine);
	mmap_calls = 0;
	fallback = btf__load_vmlinux_btf();
	ok(fallback == mine && mmap_calls == 0,
	   "after btf__free the next load gets the kept parse back (%s, %d mmap calls)",
	   fallback == mine ? "same" : "another", mmap_calls);
	same_btf(fallback, theirs, "lent again");
	btf__free(fallback);

	/* dropped: the next load parses again; dropping while lent keeps it */
	mine = btf__load_vmlinux_btf();
	kernel_btf_drop();
	fallback = btf__load_vmlinux_btf();
	ok(fallback && fallback != mine, "a drop while lent keeps it lent (a new parse now)");
	btf__free(fallback);
	btf__free(mine);
	kernel_btf_drop();
	mmap_calls = 0;
	mine = btf__load_vmlinux_btf();
	ok(mine && mmap_calls == 1, "after a drop the next load parses (%d mmap calls)",
	   mmap_calls);
	same_btf(mine, theirs, "after a drop");
	btf__free(mine);
	kernel_btf_drop();
	btf__free(theirs);
	return tap_done();
}
