/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lifecycle of the driver-helper tracer (bpf/driver.bpf.c): each helper
 * hook attached by the mechanism hook_probe chooses for it (fexit/fentry
 * or kprobe; none in tracepoint mode), on a session's ring and traced set;
 * its records reach the callback decoded.
 */
#ifndef VMSCOPE_BPF_DRIVER_H
#define VMSCOPE_BPF_DRIVER_H

#include <stddef.h>

#include "tracers/bpf_mmap.h"
#include "tracers/feature.h"
#include "vmscope_abi.h"

struct drvtrace;

/* The hook (vmscope feature's name) of each enum drv_helper. */
const char *drv_helper_hook(unsigned int helper);
/* The helper's own name ("remap_pfn_range", "fault" ...). */
const char *drv_helper_name(unsigned int helper);

/* request: c->mode. chosen[h] gets each helper's mechanism (MECH_NONE
 * when not attached). Returns 0 with nothing attached when no helper can
 * be (tracepoint mode); -EOPNOTSUPP when a forced mode cannot be had for
 * any helper (why says which). */
struct trace_ring;

/* One helper call, decoded (helper within enum drv_helper). */
typedef int (*drvtrace_cb)(const struct drv_event *e, void *arg);

int drvtrace_open(struct drvtrace **d, struct trace_ring *ring, const struct mmtrace_opts *mo,
		  enum mech request, enum mech chosen[DH_NR], drvtrace_cb cb, void *arg,
		  char *why, size_t whylen);
uint64_t drvtrace_lost(const struct drvtrace *d);
void drvtrace_close(struct drvtrace *d);

#endif
