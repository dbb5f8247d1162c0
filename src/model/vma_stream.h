/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMAs of a process in chunks of bounded size, in address order:
 * /proc/PID/maps rows joined with the task_vma iterator's (or, without
 * BPF, smaps' flags) and owner names, read as streams, so memory stays
 * bounded however many VMAs there are (1,000,000 with a raised
 * vm.max_map_count).
 */
#ifndef VMSCOPE_VMA_STREAM_H
#define VMSCOPE_VMA_STREAM_H

#include <stddef.h>
#include <sys/types.h>

#include "model/vma_table.h"

struct vma_stream;

/* flags: VT_USE_BPF, VT_OWNERS. -ESRCH: no such process. */
int vma_stream_open(pid_t pid, unsigned int flags, struct vma_stream **s);

/* The next up to max VMAs into t (emptied first; free it with
 * vma_table_free). Returns the number read, 0 at the end, or -errno.
 * t->kernel_err/kernel_why/changed describe the whole stream so far. */
ssize_t vma_stream_next(struct vma_stream *s, size_t max, struct vma_table *t);

/* Every VMA of pid into t, in one piece (no owner names: those live in
 * an open stream). -ESRCH: no such process. */
int vma_stream_read_all(pid_t pid, unsigned int flags, struct vma_table *t);

/* VMAs read so far. */
size_t vma_stream_count(const struct vma_stream *s);

void vma_stream_close(struct vma_stream *s);

#endif
