/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/PID/smaps read as a stream of (VMA start, VmFlags line), for runs
 * without BPF: the flags of VMAs asked for in address order.
 */
#ifndef VMSCOPE_PROCFS_SMAPS_H
#define VMSCOPE_PROCFS_SMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procfs/lines.h"

struct smaps_reader {
	struct line_reader lr;
	bool ok;		/* opened */
	uint64_t start;		/* the VMA being read */
	char *flags;		/* its VmFlags line, when have */
	size_t flags_len, flags_cap;
	bool have;		/* flags belong to start */
	bool done;
};

/* 0 or -errno (the reader then answers nothing). */
int smaps_open(struct smaps_reader *s, pid_t pid);
/* The VmFlags line ("VmFlags: rd wr ...") smaps shows for the VMA at
 * start, if the stream reaches it; asked in increasing start order. */
bool smaps_vmflags(struct smaps_reader *s, uint64_t start, const char **line, size_t *n);
void smaps_close(struct smaps_reader *s);

#endif
