/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmscope trace, shared by its parts: cmd_trace.c (options, the session,
 * each event, the mmap_region records held for their call) and
 * trace_report.c (output).
 */
#ifndef VMSCOPE_CMD_TRACE_H
#define VMSCOPE_CMD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cli.h"
#include "decode/mmcalls.h"
#include "model/symbolize.h"
#include "model/vma_model.h"
#include "output/json.h"
#include "output/line.h"
#include "tracers/bpf_mmap.h"
#include "vmscope_abi.h"

struct call_stat {
	uint64_t count, errors, time_ns;
};

/* A VMA mmap_region() made, held until the call that led to it ends */
struct made {
	struct mm_event ev;
	char *path;		/* the VMA's file */
	size_t plen;
};

struct tracer {
	struct cli *c;
	FILE *out;
	struct json j;
	uint64_t t0;		/* CLOCK_MONOTONIC at start (bpf_ktime_get_ns) */
	uint64_t events;
	struct call_stat stat[MM_NR_MAX];
	struct vm_model *vm;	/* for paths: (dev, inode) -> path */
	bool exec_vmas;		/* the kernel sends exec's VMAs */
	struct mmtrace_regions regions;	/* mmap_region's mechanism */
	struct made *made;	/* MM_EV_REGION records waiting for their call */
	size_t nmade, made_cap;
	struct symbolizer *sym;	/* owners: kernel functions */
};

/* One VMA line under a call (mark "+", "-", "exec"); anon: the name of
 * a VMA without a file, or NULL. */
void trace_plain_vma(struct tracer *t, const struct mm_vma *v, const char *mark,
		     const char *anon);

/* "time pid" that starts a line */
void trace_plain_when(struct tracer *t, struct line *l, const struct mm_event *ev);

/* A call's line and the VMAs it left; made: mmap_region's records
 * follow instead of the VMAs. */
void trace_plain_call(struct tracer *t, const struct mm_event *ev,
		      const struct mm_call *call, const char *path, size_t plen,
		      bool made);

/* A VMA as an object. */
void trace_json_vma(struct tracer *t, const struct mm_vma *v, const char *anon);

/* Opens an event's object: type, ts_ns, pid, tid, comm. */
void trace_json_head(struct tracer *t, const char *type, const struct mm_event *ev);

/*
 * Kernels before 6.7 have no open-coded VMA iterator for the exec program:
 * report exec's VMAs from the /proc/PID/maps read that seeded the model
 * just after the exec.  The program may have run a little by then (the
 * loader's first mappings can be there too): "snapshot": true says so.
 */
void trace_exec_snapshot(struct tracer *t, const struct mm_event *ev);

/* A call's object, left open: the VMAs mmap_region made may follow. */
void trace_json_call(struct tracer *t, const struct mm_event *ev,
		     const struct mm_call *call, const char *path, size_t plen);

/* "+ START-END perms path", then the flags as made, those the file's
 * ->mmap added to what was asked, owner and cache mode. */
void trace_plain_made(struct tracer *t, const struct made *m);

/* The fields of one mmap_region record, into the open object. */
void trace_json_made_fields(struct tracer *t, const struct made *m);

/* A record with no traced call to wait for: its own line or object. */
void trace_made_alone(struct tracer *t, const struct made *m);

/* The closing table or object: calls, errors, time, lost. */
void trace_summary(struct tracer *t, double secs, uint64_t lost, int exit_code,
		   bool have_exit);

#endif
