/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place that decides how each hook attaches: fentry/fexit, then
 * kprobe/kretprobe, then a tracepoint, probed on the running kernel by
 * loading and attaching a trivial program (a kernel can list a function in
 * BTF and still refuse the trampoline, e.g. 6.1 for do_mmap's 9 arguments).
 */
#ifndef VMSCOPE_FEATURE_H
#define VMSCOPE_FEATURE_H

#include <stdbool.h>
#include <stddef.h>

enum mech {
	MECH_NONE = 0,
	MECH_FENTRY,
	MECH_KPROBE,
	MECH_TRACEPOINT,
	MECH_AUTO,		/* request only */
};

const char *mech_name(enum mech m);
/* Parse "fentry|kprobe|tracepoint|auto"; -EINVAL otherwise. */
int mech_parse(const char *s, enum mech *m);

enum hook_type {
	HOOK_FUNCTION,		/* kernel function; tracepoint is a fallback */
	HOOK_TRACEPOINT,	/* a tracepoint used as such */
	HOOK_PERF_EVENT,	/* software perf event with a BPF program */
};

struct hook_def {
	const char *name;
	enum hook_type type;
	const char *func;	/* kernel function (HOOK_FUNCTION) */
	bool needs_exit;	/* needs fexit/kretprobe as well */
	const char *tp;		/* raw tracepoint name used as fallback or hook */
	const char *tp_label;	/* how the fallback is shown */
	const char *without;	/* what stands in when nothing attaches */
};

struct probe_result {
	int err;		/* 0 when the mechanism loads and attaches */
	char why[192];
};

struct hook_status {
	const struct hook_def *def;
	struct probe_result fentry, kprobe, tracepoint;
	enum mech chosen;	/* MECH_NONE when nothing works */
	int err;		/* forced mode unavailable: -errno */
};

extern const struct hook_def hook_defs[];
extern const size_t hook_defs_count;

/* Find a hook by name (NULL if unknown). */
const struct hook_def *hook_find(const char *name);

/* Probe the mechanisms of one hook and choose by request (MECH_AUTO picks
 * the best). st->err is -EOPNOTSUPP when a forced mode cannot be used. */
void hook_probe(const struct hook_def *def, enum mech request,
		struct hook_status *st);

/* Other kernel facilities, for `vmscope feature`. */
struct kernel_features {
	struct probe_result bpf_iter;	/* iter/task_vma */
	struct probe_result ptwalk;	/* page-table walk incl. direct map */
	unsigned long long direct_base;
	int paging_levels;
	bool pagemap_scan;
	bool procmap_query;
	struct probe_result kpageflags, kpagecount, pagemap_pfns, kallsyms;
	char kernel[160];
};

void kernel_features_probe(struct kernel_features *kf);

#endif
