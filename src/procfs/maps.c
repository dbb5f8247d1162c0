// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/maps.h"
#include "util.h"
#include "procfs/proc.h"

static int hexnum(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	int digits = 0;

	while (p < end) {
		char c = *p;
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			break;
		if (digits == 16)
			return -EINVAL;
		v = (v << 4) | d;
		digits++;
		p++;
	}
	if (!digits)
		return -EINVAL;
	*pp = p;
	*out = v;
	return 0;
}

static int decnum(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return -EINVAL;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (*p - '0');
		p++;
	}
	*pp = p;
	*out = v;
	return 0;
}

static int expect(const char **pp, const char *end, char c)
{
	if (*pp >= end || **pp != c)
		return -EINVAL;
	(*pp)++;
	return 0;
}

/* "start-end perms offset major:minor inode   path" (fs/proc/task_mmu.c
 * show_vma_header_prefix, then padding, then the name). */
int maps_parse_line(const char *line, size_t len, struct maps_entry *e)
{
	const char *p = line, *end = line + len;
	uint64_t maj, min;
	int i;

	memset(e, 0, sizeof(*e));
	if (hexnum(&p, end, &e->start) || expect(&p, end, '-') ||
	    hexnum(&p, end, &e->end) || expect(&p, end, ' '))
		return -EINVAL;
	if (e->end < e->start)
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		if (p >= end)
			return -EINVAL;
		e->perms[i] = *p++;
	}
	if (!strchr("r-", e->perms[0]) || !strchr("w-", e->perms[1]) ||
	    !strchr("x-", e->perms[2]) || !strchr("ps", e->perms[3]))
		return -EINVAL;
	if (expect(&p, end, ' ') || hexnum(&p, end, &e->offset) ||
	    expect(&p, end, ' ') || hexnum(&p, end, &maj) ||
	    expect(&p, end, ':') || hexnum(&p, end, &min) ||
	    expect(&p, end, ' ') || decnum(&p, end, &e->inode))
		return -EINVAL;
	if (maj > 0xfff || min > 0xfffff)
		return -EINVAL;
	e->dev_major = maj;
	e->dev_minor = min;
	if (p < end && *p != ' ')
		return -EINVAL;
	while (p < end && *p == ' ')
		p++;
	if (p < end) {
		e->path_len = end - p;
		e->path = malloc(e->path_len + 1);
		if (!e->path)
			return -ENOMEM;
		memcpy(e->path, p, e->path_len);
		e->path[e->path_len] = '\0';
	}
	return 0;
}

static int list_push(struct maps_list *l, const struct maps_entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct maps_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

int maps_parse(const char *text, size_t len, struct maps_list *out)
{
	const char *p = text, *end = text + len;
	struct maps_entry e;
	int err;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (ll) {
			err = maps_parse_line(p, ll, &e);
			/* the kernel prints VMAs sorted and disjoint; text that is
			 * not (a layout that changed between two reads) is not maps */
			if (!err && (e.start >= e.end ||
				     (out->n && e.start < out->v[out->n - 1].end)))
				err = -EINVAL;
			if (!err)
				err = list_push(out, &e);
			if (err) {
				free(e.path);
				maps_free(out);
				return err;
			}
		}
		p += ll + 1;
	}
	return 0;
}

/* The kernel prints a newline in a file name as \012 and a backslash as
 * itself, so "\012" in maps is ambiguous; map_files/ holds the exact
 * name (readable with ptrace access, as maps is). Best effort: on failure
 * the name stays as maps printed it. */
void maps_exact_name(pid_t pid, struct maps_entry *e)
{
	char link[64], buf[4096 + 16];
	ssize_t n;
	char *p;

	if (!e->path || !strstr(e->path, "\\012"))
		return;
	proc_map_files_path(link, sizeof(link), pid, e->start, e->end);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0 || !(p = malloc((size_t)n + 1)))
		return;
	memcpy(p, buf, (size_t)n);
	p[n] = '\0';
	free(e->path);
	e->path = p;
	e->path_len = (size_t)n;
}

static void exact_names(pid_t pid, struct maps_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		maps_exact_name(pid, &l->v[i]);
}

int maps_read(pid_t pid, struct maps_list *out)
{
	char path[64], *buf;
	size_t len;
	int err, tries;

	snprintf(path, sizeof(path), "%s/%d/maps", proc_root(), (int)pid);
	/* the kernel hands out maps a page per read(): a process that
	 * changes its layout meanwhile yields VMAs out of order, which
	 * maps_parse refuses; a fresh read is consistent again */
	for (tries = 0; tries < 5; tries++) {
		err = read_file(path, &buf, &len);
		if (err)
			return err == -ENOENT ? -ESRCH : err;
		err = maps_parse(buf, len, out);
		free(buf);
		if (err != -EINVAL)
			break;
	}
	if (!err)
		exact_names(pid, out);
	return err == -EINVAL ? -EAGAIN : err;
}

ssize_t maps_find(const struct maps_list *l, uint64_t addr)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < l->v[mid].start)
			hi = mid;
		else if (addr >= l->v[mid].end)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

void maps_free(struct maps_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const char *maps_strerror(int err)
{
	if (err == -EAGAIN)
		return "the process kept changing its mappings while they were "
		       "read (try again)";
	return strerror(-err);
}
