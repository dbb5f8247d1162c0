/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_PROCFS_PROC_H
#define VMSCOPE_PROCFS_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Every read of /proc and /sys in vmscope goes through src/procfs/, under
 * proc_root(): the tests point VMSCOPE_PROC_ROOT at fixtures.
 */
/* Root of procfs; tests point it at fixtures (VMSCOPE_PROC_ROOT). */
const char *proc_root(void);

/* Read a whole file into a NUL-terminated malloc'd buffer. */
int read_file(const char *path, char **buf, size_t *len);

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

/* Open /proc/PID/file read-only: the fd, -ESRCH for no such process, or
 * -errno. */
int proc_open(pid_t pid, const char *file);

/* The resident pages /proc/PID/statm gives, read from an fd proc_open
 * gave for "statm" (kept open: one pread a call). 0 or -errno. */
int proc_statm_rss(int fd, uint64_t *pages);

/* /proc/PID/map_files/START-END: the file of a mapping, by its exact name
 * (readable with ptrace access). */
void proc_map_files_path(char *buf, size_t len, pid_t pid, uint64_t start, uint64_t end);

/* How many swap areas /proc/swaps lists, or -errno. */
int proc_swap_areas(void);

/* Does /proc/cpuinfo's first flags line hold flag (e.g. "la57")? 1, 0,
 * or -errno. */
int proc_cpu_flag(const char *flag);

#endif
