/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lines of a /proc/PID file read in 64 KiB pieces, so a file of any size
 * (maps or smaps of a million VMAs) takes bounded memory.
 */
#ifndef VMSCOPE_PROCFS_LINES_H
#define VMSCOPE_PROCFS_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct line_reader {
	int fd;
	char *buf;
	size_t cap, off, len;
	bool eof;
};

/* /proc/PID/file: 0, -ESRCH (no such process) or -errno. */
int lines_open(struct line_reader *r, pid_t pid, const char *file);
/* 1 and the line (without its newline; valid until the next call), 0 at
 * the end, or -errno. */
int lines_next(struct line_reader *r, const char **line, size_t *n);
void lines_close(struct line_reader *r);

#endif
