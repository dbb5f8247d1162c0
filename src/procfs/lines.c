// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs/lines.h"
#include "procfs/proc.h"

int lines_open(struct line_reader *r, pid_t pid, const char *file)
{
	memset(r, 0, sizeof(*r));
	r->fd = proc_open(pid, file);
	if (r->fd < 0)
		return r->fd;
	r->cap = 64 << 10;
	r->buf = malloc(r->cap);
	if (!r->buf) {
		close(r->fd);
		r->fd = -1;
		return -ENOMEM;
	}
	return 0;
}

void lines_close(struct line_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	r->fd = -1;
	r->buf = NULL;
}

int lines_next(struct line_reader *r, const char **line, size_t *n)
{
	for (;;) {
		char *nl = memchr(r->buf + r->off, '\n', r->len - r->off);
		ssize_t got;

		if (nl || (r->eof && r->off < r->len)) {
			*line = r->buf + r->off;
			*n = nl ? (size_t)(nl - (r->buf + r->off)) : r->len - r->off;
			r->off += *n + (nl != NULL);
			return 1;
		}
		if (r->eof)
			return 0;
		/* keep the partial line, make room behind it */
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
		if (r->cap - r->len < 8192) {
			char *nb = realloc(r->buf, r->cap * 2);

			if (!nb)
				return -ENOMEM;
			r->buf = nb;
			r->cap *= 2;
		}
		got = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return errno == ESRCH ? -ESRCH : -errno;
		}
		if (!got)
			r->eof = true;
		r->len += (size_t)got;
	}
}
