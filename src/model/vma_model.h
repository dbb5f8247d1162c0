/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the streaming commands know of each traced process's VMAs, kept
 * current from the mmap tracer's events (never a /proc read per event):
 * seeded from /proc/PID/maps or from exec's VMA records, changed by
 * mmap/munmap/mremap/mprotect/brk/... as they return, copied at fork.
 * A lookup that misses re-reads /proc/PID/maps once, and only when an
 * event since the last read left the model unsure (a call whose VMAs
 * were not all sent).
 *
 * Also the (device, inode) -> path table the events need: records carry
 * a file's path only when an fd is mapped.
 */
#ifndef VMSCOPE_VMA_MODEL_H
#define VMSCOPE_VMA_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmscope_abi.h"

struct vm_ent {
	uint64_t start, end;
	uint64_t pgoff;		/* file offset in pages */
	const char *path;	/* owned by the model, valid until it is freed;
				 * NULL for anonymous memory */
	char perms[5];
};

/* A VMA that went away while traced (munmap, mremap moving or shrinking
 * it, exec): what it was, and how many VMAs with its path have gone from
 * the same start (a region mapped and unmapped again and again at one
 * address). */
struct vm_gone {
	uint64_t start, end;	/* the part that went */
	const char *path;	/* the model's, as in vm_ent */
	char perms[5];
	uint32_t times;
};

/* Gone VMAs kept per process; past it, the oldest starts are forgotten
 * (counted in vm_model_stats) */
#define VM_GONE_MAX 4096

struct vm_model_stats {
	uint64_t seeds;		/* /proc/PID/maps reads */
	uint64_t updates;	/* events applied */
	uint64_t gone_forgotten; /* gone VMAs past VM_GONE_MAX */
};

struct vm_model;

struct vm_model *vm_model_new(void);
void vm_model_free(struct vm_model *m);
/* Forget a process's VMAs when it exits (system-wide: memory stays flat;
 * otherwise kept for its threads' last events). */
void vm_model_drop_exited(struct vm_model *m, bool drop);

/* Paths by (s_dev in the kernel's encoding, inode). */
void vm_model_learn_path(struct vm_model *m, uint32_t dev, uint64_t ino,
			 const char *path, size_t len);
const char *vm_model_path(struct vm_model *m, uint32_t dev, uint64_t ino);
/* The path of an event's VMA: its file's, "[stack]", or NULL. */
const char *vm_model_vma_path(struct vm_model *m, const struct mm_vma *v);
/* The path an event carried (the mapped fd's file), if any. A path whose
 * head was cut in BPF comes back as "..." + its tail, written into cut. */
#define MM_PATH_CUT_BUF (MM_PATH_MAX + 3)
bool mm_event_path(const struct mm_event *ev, char cut[MM_PATH_CUT_BUF],
		   const char **p, size_t *len);
void mm_vma_perms(const struct mm_vma *v, char p[5]);

/* (Re)read pid's VMAs from /proc/PID/maps, learning their paths.
 * Returns 0 or -errno (-ESRCH: gone). */
int vm_model_seed(struct vm_model *m, pid_t pid);

/* Apply one mmap-tracer event (calls, exec, exec VMAs, fork). */
void vm_model_event(struct vm_model *m, const struct mm_event *ev);

/* The VMA holding addr in pid, or NULL. A process never seen is seeded
 * first; a miss re-reads /proc/PID/maps when the model may be stale. */
const struct vm_ent *vm_model_find(struct vm_model *m, pid_t pid, uint64_t addr);

/* The VMA holding addr in pid as the model has it now, never reading
 * /proc (for reports: the process may be long gone). */
const struct vm_ent *vm_model_peek(struct vm_model *m, pid_t pid, uint64_t addr);

/* What went away from pid starting at start with this path (the model's
 * pointer: NULL for anonymous memory); NULL if nothing is known. */
const struct vm_gone *vm_model_gone_at(struct vm_model *m, pid_t pid, uint64_t start,
				       const char *path);
/* Something that went away from pid and held addr; NULL if none known. */
const struct vm_gone *vm_model_gone(struct vm_model *m, pid_t pid, uint64_t addr);

/* Did an event since the last read leave gaps in what pid's VMAs are
 * (a call whose VMAs were not all sent)? Then vm_model_seed reads them. */
bool vm_model_unsure(struct vm_model *m, pid_t pid);

/* Has pid exited (its exit event seen)? */
bool vm_model_exited(struct vm_model *m, pid_t pid);

/* pid's VMAs, sorted (NULL and *n = 0 when unknown); valid until the next
 * call into the model. */
const struct vm_ent *vm_model_vmas(struct vm_model *m, pid_t pid, size_t *n);
/* Has pid's model changed since the last call (for pushing it on)? */
bool vm_model_take_changed(struct vm_model *m, pid_t pid);

void vm_model_stats(const struct vm_model *m, struct vm_model_stats *s);

#endif
