// SPDX-License-Identifier: GPL-2.0
/* The VMA model: events applied in order give the VMAs the kernel has;
 * and ELF symbolization of an address in this very binary. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs/maps.h"
#include "model/symbolize.h"
#include "tap.h"
#include "model/vma_model.h"
#include "decode/vmflags.h"

#define PID 0x3ffffff0	/* no such process: the model never reads /proc */

static struct mm_event ev(uint32_t type, uint32_t nr, int64_t ret)
{
	struct mm_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.nr = nr;
	e.pid = PID;
	e.tid = PID;
	e.ret = ret;
	return e;
}

static void add_vma(struct mm_event *e, uint64_t s, uint64_t end, uint64_t flags)
{
	e->vma_when = MM_VMAS_AFTER;
	e->vma[e->nvma].start = s;
	e->vma[e->nvma].end = end;
	e->vma[e->nvma].flags = flags;
	e->nvma++;
}

/* munmap(addr, len) returning ret, its record's VMAs as when says */
static void unmap(struct vm_model *m, uint64_t addr, uint64_t len, int64_t ret, uint32_t when)
{
	struct mm_event e = ev(MM_EV_CALL, 11, ret);

	e.args[0] = addr;
	e.args[1] = len;
	e.vma_when = when;
	vm_model_event(m, &e);
}

/* an anonymous read-write mmap that made [start, end) */
static void mapped(struct vm_model *m, uint64_t start, uint64_t end)
{
	struct mm_event e = ev(MM_EV_CALL, 9, (int64_t)start);

	add_vma(&e, start, end, VMF_READ | VMF_WRITE);
	vm_model_event(m, &e);
}

static char layout[512];

/* "start-end start-end ..." in thousands of hex, for short asserts */
static const char *show(struct vm_model *m, pid_t pid)
{
	size_t n, i, o = 0;
	const struct vm_ent *v = vm_model_vmas(m, pid, &n);

	layout[0] = '\0';
	for (i = 0; i < n && o < sizeof(layout) - 40; i++)
		o += (size_t)snprintf(layout + o, sizeof(layout) - o, "%s%" PRIx64 "-%" PRIx64,
				      i ? " " : "", v[i].start >> 12, v[i].end >> 12);
	return layout;
}

__attribute__((noinline)) int vmscope_test_target(int x)
{
	return x * 3 + 1;
}

static void test_symbols(void)
{
	struct maps_list ml = { 0 };
	struct symbolizer *s = sym_new();
	uint64_t ip = (uint64_t)(uintptr_t)&vmscope_test_target + 4;
	char buf[128], exe[4096];
	const char *r = NULL;
	ssize_t i, n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0 && !maps_read(getpid(), &ml) && (i = maps_find(&ml, ip)) >= 0) {
		struct vm_ent e = {
			.start = ml.v[i].start, .end = ml.v[i].end,
			.pgoff = ml.v[i].offset >> 12, .path = ml.v[i].path,
		};

		r = sym_user(s, getpid(), &e, ip, buf, sizeof(buf));
	}
	ok(r && !strcmp(r, "vmscope_test_target+0x4"),
	   "an ip 4 bytes into a function of this binary: %s", r ? r : "(none)");
	r = sym_kernel(s, 1, buf, sizeof(buf));
	ok(r == NULL, "an address below every kernel symbol has no name");
	maps_free(&ml);
	sym_free(s);
}

int main(void)
{
	struct vm_model *m = vm_model_new();
	const struct vm_ent *v;
	struct mm_event e;
	const char *p;

	/* exec: the model starts over from exec's VMA records */
	e = ev(MM_EV_EXEC, 0, 0);
	vm_model_event(m, &e);
	e = ev(MM_EV_EXEC_VMA, 0, 0);
	add_vma(&e, 0x400000, 0x401000, VMF_READ | VMF_EXEC);
	e.vma[0].has_file = 1;
	e.vma[0].dev = 8;
	e.vma[0].ino = 42;
	memcpy(e.path + MM_PATH_MAX - 8, "/bin/app", 8);	/* no NUL, as BPF sends it */
	e.path_off = MM_PATH_MAX - 8;
	e.path_flags = MM_PATH_SET;
	vm_model_event(m, &e);
	e = ev(MM_EV_EXEC_VMA, 0, 0);
	add_vma(&e, 0x7ff000000000, 0x7ff000021000, VMF_READ | VMF_WRITE | VMF_GROWSDOWN);
	vm_model_event(m, &e);
	ok(!strcmp(show(m, PID), "400-401 7ff000000-7ff000021"), "exec VMAs: %s", layout);
	v = vm_model_find(m, PID, 0x400800);
	ok(v && v->path && !strcmp(v->path, "/bin/app"), "the binary's VMA has its path");
	ok(v && !strcmp(v->perms, "r-xp"), "perms as maps prints them: %s", v ? v->perms : "");
	v = vm_model_find(m, PID, 0x7ff000000010);
	ok(v && v->path && !strcmp(v->path, "[stack]"), "a grows-down VMA is the stack");

	/* mmap of 16 pages, then munmap of 4 in the middle: a split */
	mapped(m, 0x10000000, 0x10010000);
	unmap(m, 0x10004000, 0x4000, 0, MM_VMAS_BEFORE);
	ok(!strcmp(show(m, PID), "400-401 10000-10004 10008-10010 7ff000000-7ff000021"),
	   "munmap in the middle splits the VMA: %s", layout);
	ok(vm_model_find(m, PID, 0x10005000) == NULL, "the hole holds nothing");

	/* a failed call changes nothing */
	unmap(m, 0x10000000, 0x10000, -22, MM_VMAS_NONE);
	ok(vm_model_find(m, PID, 0x10000000) != NULL, "a failed munmap removes nothing");

	/* mprotect of one page: the kernel's VMAs after the call replace ours */
	e = ev(MM_EV_CALL, 10, 0);
	add_vma(&e, 0x10000000, 0x10001000, VMF_READ);
	add_vma(&e, 0x10001000, 0x10004000, VMF_READ | VMF_WRITE);
	vm_model_event(m, &e);
	v = vm_model_find(m, PID, 0x10000000);
	ok(v && v->end == 0x10001000 && !strcmp(v->perms, "r--p"), "mprotect's split-off page");

	/* mremap moving 8 pages: old range gone, new VMA there */
	e = ev(MM_EV_CALL, 25, 0x20000000);
	e.args[0] = 0x10008000;
	e.args[1] = 0x8000;
	e.args[2] = 0x8000;
	add_vma(&e, 0x20000000, 0x20008000, VMF_READ | VMF_WRITE);
	vm_model_event(m, &e);
	ok(!strcmp(show(m, PID), "400-401 10000-10001 10001-10004 20000-20008 7ff000000-7ff000021"),
	   "mremap moves the VMA: %s", layout);

	/* what went is remembered: the munmapped hole, and the range mremap
	 * moved away from, by start and path; replaced ranges are not */
	{
		const struct vm_gone *g = vm_model_gone_at(m, PID, 0x10004000, NULL);

		ok(g && g->end == 0x10008000 && g->times == 1, "the munmapped hole is gone");
		g = vm_model_gone_at(m, PID, 0x10008000, NULL);
		ok(g && g->end == 0x10010000, "the range mremap moved away is gone");
		ok(!vm_model_gone_at(m, PID, 0x10000000, NULL), "mprotect's pieces replace, not unmap");
		g = vm_model_gone(m, PID, 0x10009000);
		ok(g && g->start == 0x10008000, "a page inside a gone range finds it");
	}

	/* an mmap whose record has no VMAs (mmap_lock contended): the range
	 * its arguments give, so that faults on it find it */
	e = ev(MM_EV_CALL, 9, 0x30000000);
	e.args[1] = 0x3000;
	e.args[2] = 3;		/* PROT_READ | PROT_WRITE */
	e.args[3] = 0x22;	/* MAP_PRIVATE | MAP_ANONYMOUS */
	e.vma_when = MM_VMAS_NONE;
	vm_model_event(m, &e);
	v = vm_model_find(m, PID, 0x30002fff);
	ok(v && v->start == 0x30000000 && v->end == 0x30003000 && !strcmp(v->perms, "rw-p") &&
	   !v->path, "a record without VMAs: the call's range, rw-p, anonymous");
	/* unmapped twice at one start: one entry, twice */
	unmap(m, 0x30000000, 0x3000, 0, MM_VMAS_NONE);
	mapped(m, 0x30000000, 0x30003000);
	unmap(m, 0x30000000, 0x3000, 0, MM_VMAS_NONE);
	{
		const struct vm_gone *g = vm_model_gone_at(m, PID, 0x30000000, NULL);

		ok(g && g->times == 2, "a region unmapped twice at one start: %u times",
		   g ? g->times : 0);
	}

	/* fork: the child starts with the parent's VMAs */
	e = ev(MM_EV_FORK, 0, PID + 1);
	vm_model_event(m, &e);
	ok(vm_model_find(m, PID + 1, 0x20000000) != NULL, "a forked child has the parent's VMAs");
	{
		bool first = vm_model_take_changed(m, PID + 1);
		bool again = vm_model_take_changed(m, PID + 1);

		ok(first && !again, "changes are reported once");
	}

	/* exit: kept by default (threads' last faults still come), dropped
	 * when asked (a system-wide run must not grow forever) */
	e = ev(MM_EV_EXIT, 0, 0);
	e.pid = PID + 1;
	vm_model_event(m, &e);
	ok(vm_model_find(m, PID + 1, 0x20000000) != NULL, "exit keeps the VMAs by default");
	vm_model_drop_exited(m, true);
	vm_model_event(m, &e);
	{
		size_t n;

		vm_model_vmas(m, PID + 1, &n);
		ok(n == 0 && vm_model_find(m, PID + 1, 0x20000000) == NULL,
		   "an exited process's VMAs are dropped");
		vm_model_vmas(m, PID, &n);
		ok(n == 5, "its parent's stay (%zu)", n);
	}

	p = vm_model_path(m, 8, 42);
	ok(p && !strcmp(p, "/bin/app"), "(dev, inode) -> path learned from the record");
	vm_model_free(m);
	test_symbols();
	return tap_done();
}
