/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lifecycle of the mmap-family tracer (bpf/mmap.bpf.c, bpf/exec_vmas.bpf.c):
 * open (set filters, load, attach), add processes, poll, read the lost
 * count, close.
 */
#ifndef VMSCOPE_BPF_MMAP_H
#define VMSCOPE_BPF_MMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmscope_abi.h"

struct mmtrace;

struct mmtrace_opts {
	bool system_wide;	/* else only processes added with mmtrace_add */
	bool follow_forks;
	const char *comm;	/* system-wide: only this command name */
	size_t ring_bytes;	/* ring buffer size, a power of two >= 4096 */
};

/* Called per record, as a whole event: VMAs beyond nvma are zero, and
 * MM_PATH_SET is clear when no path came. Return <0 to stop. */
typedef int (*mmtrace_cb)(const struct mm_event *ev, void *arg);

int mmtrace_open(struct mmtrace **t, const struct mmtrace_opts *o,
		 mmtrace_cb cb, void *arg, char *why, size_t whylen);
int mmtrace_add(struct mmtrace *t, pid_t pid);
/* The fd to wait on for records (epoll); records may also arrive without a
 * wake-up (batched), so call mmtrace_consume on a short timeout too. */
int mmtrace_fd(const struct mmtrace *t);
int mmtrace_consume(struct mmtrace *t);
uint64_t mmtrace_lost(const struct mmtrace *t);
/* Does the kernel report exec's VMAs itself (6.7+ task_vma iterator)? */
bool mmtrace_has_exec_vmas(const struct mmtrace *t);
void mmtrace_close(struct mmtrace *t);

#endif
