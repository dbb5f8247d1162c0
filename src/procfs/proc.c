// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/proc.h"
#include "util.h"

#define PF_KTHREAD 0x00200000	/* include/linux/sched.h */

int proc_kind(pid_t pid)
{
	char path[64], *buf, *p;
	unsigned long flags;
	int err, i;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "%s/%d/stat", proc_root(), (int)pid);
	err = read_file(path, &buf, NULL);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	/* comm may hold spaces and ')': fields resume after the last ')' */
	p = strrchr(buf, ')');
	if (!p) {
		free(buf);
		return -EINVAL;
	}
	p++;
	/* field 9 is flags; we are at field 3 (state) after ") " */
	for (i = 3; i < 9 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %lu", &flags) != 1) {
		free(buf);
		return -EINVAL;
	}
	free(buf);
	return (flags & PF_KTHREAD) ? PROC_KTHREAD : PROC_USER;
}

int proc_has_mm(pid_t pid)
{
	char path[64], *buf;
	unsigned long size = 0;
	int err;

	snprintf(path, sizeof(path), "%s/%d/statm", proc_root(), (int)pid);
	err = read_file(path, &buf, NULL);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	/* statm is all zeros once exit_mm has dropped the address space */
	err = sscanf(buf, "%lu", &size) == 1 ? size > 0 : -EINVAL;
	free(buf);
	return err;
}

void proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64], *s;
	size_t n;

	snprintf(path, sizeof(path), "%s/%d/comm", proc_root(), (int)pid);
	if (read_file(path, &s, &n)) {
		snprintf(buf, len, "?");
		return;
	}
	if (n && s[n - 1] == '\n')
		s[n - 1] = '\0';
	snprintf(buf, len, "%s", s);
	free(s);
}
