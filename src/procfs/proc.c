// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs/proc.h"
#include "util.h"

const char *proc_root(void)
{
	const char *r = getenv("VMSCOPE_PROC_ROOT");

	return r && *r ? r : "/proc";
}

int read_file(const char *path, char **bufp, size_t *lenp)
{
	size_t cap = 65536, len = 0;
	char *buf, *nbuf;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (cap - len < 4097) {
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				err = -ENOMEM;
				goto fail;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	if (lenp)
		*lenp = len;
	return 0;
fail:
	close(fd);
	free(buf);
	return err;
}

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

int proc_open(pid_t pid, const char *file)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%d/%s", proc_root(), (int)pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return fd;
}

int proc_statm_rss(int fd, uint64_t *pages)
{
	char buf[256];
	unsigned long long size, rss;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &rss) != 2)
		return n ? -EINVAL : -ESRCH;	/* empty: the process is gone */
	*pages = rss;
	return 0;
}

void proc_map_files_path(char *buf, size_t len, pid_t pid, uint64_t start, uint64_t end)
{
	snprintf(buf, len, "%s/%d/map_files/%" PRIx64 "-%" PRIx64, proc_root(), (int)pid,
		 start, end);
}

int proc_swap_areas(void)
{
	char path[256], *buf, *p;
	int areas = 0, err;

	snprintf(path, sizeof(path), "%s/swaps", proc_root());
	err = read_file(path, &buf, NULL);
	if (err)
		return err;
	for (p = strchr(buf, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
		areas++;	/* a line per area after the header */
	free(buf);
	return areas;
}

int proc_cpu_flag(const char *flag)
{
	char path[256], *buf, *flags, *eol, want[64];
	int err, found;

	snprintf(path, sizeof(path), "%s/cpuinfo", proc_root());
	err = read_file(path, &buf, NULL);
	if (err)
		return err;
	snprintf(want, sizeof(want), " %s", flag);
	found = 0;
	flags = strstr(buf, "\nflags");
	if (flags) {
		eol = strchr(flags + 1, '\n');
		if (eol)
			*eol = '\0';
		/* a whole word: " la57" must not match " la57x" */
		for (char *f = strstr(flags, want); f; f = strstr(f + 1, want)) {
			char end = f[strlen(want)];

			if (!end || end == ' ') {
				found = 1;
				break;
			}
		}
	}
	free(buf);
	return found;
}
