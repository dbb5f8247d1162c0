/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lifecycle of the mmap-family tracer (bpf/mmap.bpf.c, bpf/exec_vmas.bpf.c,
 * bpf/mmap_region.bpf.c): open on a session's ring (set filters, load,
 * attach; its records, decoded, go to the callback), read the lost count,
 * close. Processes are added to the ring's traced set.
 */
#ifndef VMSCOPE_BPF_MMAP_H
#define VMSCOPE_BPF_MMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracers/feature.h"
#include "vmscope_abi.h"

struct mmtrace;

struct mmtrace_opts {
	bool system_wide;	/* else only processes in the traced set */
	bool follow_forks;
	const char *comm;	/* system-wide: only this command name */
	size_t ring_bytes;	/* ring buffer size, a power of two >= 4096 */
	bool wake_each;		/* wake user space for every record (rare
				 * records that must be acted on at once) */
};

/* Called per record, as a whole event: VMAs beyond nvma are zero, and
 * MM_PATH_SET is clear when no path came. Return <0 to stop. */
typedef int (*mmtrace_cb)(const struct mm_event *ev, void *arg);

/* Every object that includes bpf/mm_common.bpf.h takes the same filter
 * (its rodata has the same fields); needs mmcalls.h and unistd.h. */
#define MMTRACE_SET_FILTER(rodata, o) do { \
	size_t _i, _n; \
	const struct mm_call *_c = mm_calls(&_n); \
	for (_i = 0; _i < _n; _i++) { \
		(rodata)->watch_nr[_c[_i].nr] = 1; \
		(rodata)->vmas_of_nr[_c[_i].nr] = _c[_i].vmas; \
	} \
	(rodata)->system_wide = (o)->system_wide; \
	(rodata)->follow_forks = (o)->follow_forks; \
	(rodata)->self_tgid = getpid(); \
	(rodata)->wakeup_bytes = (o)->wake_each ? 0 : (o)->ring_bytes / 8; \
	if ((o)->comm) \
		strncpy((char *)(rodata)->comm_filter, (o)->comm, 15); \
} while (0)

struct trace_ring;

/* Load and attach beside the ring; record types below MM_EV_FOREIGN are
 * this tracer's. -errno with why set on failure. */
int mmtrace_open(struct mmtrace **t, struct trace_ring *ring, const struct mmtrace_opts *o,
		 mmtrace_cb cb, void *arg, char *why, size_t whylen);
uint64_t mmtrace_lost(const struct mmtrace *t);
/* What mmtrace_open_regions set up */
struct mmtrace_regions {
	enum mech mech;		/* mmap_region: fentry or kprobe, else
				 * tracepoint (nothing loaded) */
	enum mech vma_mech;	/* vma_set_page_prot, MECH_NONE without: the
				 * records then lack the VMA */
};

/*
 * Also send an MM_EV_REGION record per mmap_region(), the VMA as the
 * kernel made it (bpf/mmap_region.bpf.c), by the mechanism feature.c
 * chooses under request. Without fentry or kprobe (lockdown) nothing is
 * loaded and res->mech says which fallback the caller is on. Returns
 * -EOPNOTSUPP when a forced mode is unavailable, or -errno, with why set.
 */
int mmtrace_open_regions(struct mmtrace *t, const struct mmtrace_opts *o,
			 enum mech request, struct mmtrace_regions *res,
			 char *why, size_t whylen);
/* Does the kernel report exec's VMAs itself (6.7+ task_vma iterator)? */
bool mmtrace_has_exec_vmas(const struct mmtrace *t);
void mmtrace_close(struct mmtrace *t);

#endif
