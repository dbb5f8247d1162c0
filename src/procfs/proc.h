/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_PROCFS_PROC_H
#define VMSCOPE_PROCFS_PROC_H

#include <sys/types.h>

enum proc_kind {
	PROC_USER = 0,		/* has a user address space */
	PROC_KTHREAD = 1,	/* kernel thread: no mm */
};

/* Classify pid: PROC_USER, PROC_KTHREAD, or -ESRCH (no such process). */
int proc_kind(pid_t pid);

/* Does pid still have an address space? 1 yes, 0 no (it is exiting or a
 * zombie: its maps read as empty), -ESRCH gone, -errno. */
int proc_has_mm(pid_t pid);

/* comm of pid into buf ("?" when unreadable). */
void proc_comm(pid_t pid, char *buf, size_t len);

#endif
