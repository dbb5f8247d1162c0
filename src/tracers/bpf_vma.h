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

/* The same, loaded once and read many times (a command that looks at a
 * process again after each of its mmaps). */
struct vma_iter;
int vma_iter_open(struct vma_iter **it, pid_t pid, char *why, size_t whylen);
int vma_iter_read(struct vma_iter *it, struct vma_rec **out, size_t *n,
		  char *why, size_t whylen);
void vma_iter_close(struct vma_iter *it);
/* A fresh read fd of an iterator opened for one pid: records in address
 * order (then again for threads with their own files table). */
int vma_iter_fd(struct vma_iter *it);
/* Opened with pid 0, the program is loaded once and each read attaches
 * it to one process (attaching is cheap, loading is not). */
int vma_iter_read_pid(struct vma_iter *it, pid_t pid, struct vma_rec **out,
		      size_t *n, char *why, size_t whylen);

#endif
