/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_BPF_VMA_H
#define VMSCOPE_BPF_VMA_H

#include <stddef.h>
#include <sys/types.h>

#include "vmscope_abi.h"

/*
 * Snapshot the VMAs of pid with the iter/task_vma program (bpf/vma_iter).
 * *out is malloc'd, sorted by start. Returns 0 or -errno; on failure why
 * says what failed in words a user can act on.
 */
int vma_iter_snapshot(pid_t pid, struct vma_rec **out, size_t *n,
		      char *why, size_t whylen);

#endif
