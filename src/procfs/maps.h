/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_PROCFS_MAPS_H
#define VMSCOPE_PROCFS_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One line of /proc/PID/maps, fields as the kernel printed them. */
struct maps_entry {
	uint64_t start;
	uint64_t end;
	char perms[5];		/* "rw-p" */
	uint64_t offset;
	unsigned int dev_major;
	unsigned int dev_minor;
	uint64_t inode;
	char *path;		/* bytes as printed (NUL-terminated), NULL if none */
	size_t path_len;
};

struct maps_list {
	struct maps_entry *v;
	size_t n;
	size_t cap;
};

/* Parse one line (without its newline). Returns 0 or -EINVAL. path points
 * into a freshly allocated copy. */
int maps_parse_line(const char *line, size_t len, struct maps_entry *e);

/* Parse a whole maps text. Lines that fail to parse are an error (-EINVAL)
 * so that a format change is noticed rather than silently skipped. */
int maps_parse(const char *text, size_t len, struct maps_list *out);

/* Read and parse <proc>/PID/maps. -ESRCH when the process is gone,
 * -EAGAIN when its layout kept changing during five reads. */
int maps_read(pid_t pid, struct maps_list *out);

/* The kernel prints a newline in a file name as \012 (and a backslash as
 * itself): take the exact name from map_files/ when the path holds one. */
void maps_exact_name(pid_t pid, struct maps_entry *e);

/* Index of the entry containing addr, or -1 (binary search). */
ssize_t maps_find(const struct maps_list *l, uint64_t addr);

void maps_free(struct maps_list *l);

/* strerror for maps_read's errors, -EAGAIN in words. */
const char *maps_strerror(int err);

#endif
