/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lifecycle of the fault tracer (bpf/fault.bpf.c): load it beside an open
 * mmap tracer (sharing its ring buffer and traced set), attach the fault
 * tracepoints and one PAGE_FAULTS_MIN/MAJ perf event per CPU, or
 * handle_mm_fault's exit (fexit or kretprobe) where the kernel allows.
 */
#ifndef VMSCOPE_BPF_FAULT_H
#define VMSCOPE_BPF_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

int fltrace_open(struct fltrace **f, struct mmtrace *mt, const struct fltrace_opts *o,
		 char *why, size_t whylen);
uint64_t fltrace_lost(const struct fltrace *f);
uint64_t fltrace_agg_dropped(const struct fltrace *f);
/* --summary maps: bounds (tgid -> struct flt_bounds), agg, agg_ip,
 * lat_hist (per-CPU). */
int fltrace_bounds_fd(const struct fltrace *f);
int fltrace_agg_fd(const struct fltrace *f);
int fltrace_agg_ip_fd(const struct fltrace *f);
int fltrace_lat_fd(const struct fltrace *f);
void fltrace_close(struct fltrace *f);

#endif
