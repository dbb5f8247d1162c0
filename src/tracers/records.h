/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ring-buffer records to whole events: the only place user space trusts
 * sizes and counts that came from BPF. Pure functions (fuzzed).
 */
#ifndef VMSCOPE_RECORDS_H
#define VMSCOPE_RECORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "vmscope_abi.h"

/* A record's type: its first __u32, or 0 when it is too short. */
unsigned int record_type(const void *data, size_t size);

/* An mmap-tracer record (which carries only the VMAs in use and a path
 * only when set) into a whole event: VMAs beyond what came are zero,
 * nvma is clamped to them, MM_PATH_SET is cleared when no path came and
 * path_off is kept inside the path. false: too short to be one. */
bool mm_record_decode(const void *data, size_t size, struct mm_event *ev);

/* A fault record; false when malformed. result and level are clamped to
 * their enums. */
bool flt_record_decode(const void *data, size_t size, struct flt_event *ev);

/* A driver-helper record; false when malformed (helper out of range);
 * npage is clamped to the array. */
bool drv_record_decode(const void *data, size_t size, struct drv_event *ev);

/* Names of enum flt_result ("minor", ...), as output and options spell them. */
extern const char *const flt_result_names[FLT_NR_RESULTS];
const char *flt_result_name(unsigned int r);

#endif
