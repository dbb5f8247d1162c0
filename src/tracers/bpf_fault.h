/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lifecycle of the fault tracer (bpf/fault.bpf.c): load it on a session's
 * ring (sharing its ring buffer and traced set), attach the fault
 * tracepoints and one PAGE_FAULTS_MIN/MAJ perf event per CPU, or
 * handle_mm_fault's exit (fexit or kretprobe) where the kernel allows.
 * Its records reach the callback decoded; --summary's counting maps are
 * read and fed through the functions below, never by fd.
 */
#ifndef VMSCOPE_BPF_FAULT_H
#define VMSCOPE_BPF_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracers/bpf_mmap.h"
#include "tracers/feature.h"

struct fltrace;

struct fltrace_opts {
	const struct mmtrace_opts *mm;	/* the filter the mmap tracer got */
	bool summary;			/* count in the kernel, send nothing */
	bool exact;			/* PAGE_FAULTS_MIN too: latency of
					 * every fault, ~25% slower faults */
	enum mech outcome;		/* MECH_FENTRY (fexit) or MECH_KPROBE
					 * (kretprobe): outcomes from
					 * handle_mm_fault; else the perf
					 * events and signals */
	uint32_t access_mask;		/* 1 << enum flt_access */
	uint32_t result_mask;		/* 1 << enum flt_result */
	uint64_t addr_lo, addr_hi;	/* hi 0: every address */
	uint64_t direct_base;		/* 0: no frames (page-table reads) */
	int top_level;			/* PTW_P4D or PTW_PGD */
};

struct trace_ring;

/* One fault, decoded (result and level within their enums). */
typedef int (*fltrace_cb)(const struct flt_event *e, void *arg);

/* How fault outcomes can be learnt under request (--mode): fexit or
 * kretprobe on handle_mm_fault, else MECH_TRACEPOINT/MECH_NONE (perf
 * events and signals). -EOPNOTSUPP when a forced mode is unavailable,
 * with why set. */
int fltrace_outcome_mode(enum mech request, enum mech *chosen, char *why, size_t whylen);

int fltrace_open(struct fltrace **f, struct trace_ring *ring, const struct fltrace_opts *o,
		 fltrace_cb cb, void *arg, char *why, size_t whylen);
uint64_t fltrace_lost(const struct fltrace *f);
uint64_t fltrace_agg_dropped(const struct fltrace *f);

/* --summary: the kernel files pid's faults under these VMAs. */
int fltrace_set_bounds(struct fltrace *f, pid_t pid, const struct flt_bounds *b);

/* --summary: the kernel's cumulative counts, each summed over the CPUs. */
struct fltrace_counts_cb {
	void (*by_where)(const struct flt_agg_key *k, uint64_t n, void *arg);
	void (*by_ip)(const struct flt_ip_key *k, uint64_t n, void *arg);
	void *arg;
};
int fltrace_read_counts(struct fltrace *f, const struct fltrace_counts_cb *cb,
			uint64_t lat[FLT_NR_RESULTS][FLT_LAT_BUCKETS]);
void fltrace_close(struct fltrace *f);

#endif
