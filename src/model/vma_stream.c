// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/vma_stream.h"
#include "tracers/bpf_vma.h"
#include "procfs/kallsyms.h"
#include "procfs/lines.h"
#include "procfs/maps.h"
#include "procfs/smaps.h"
#include "model/symbolize.h"
#include "util.h"
#include "decode/vmflags.h"
#include "procfs/proc.h"

/* Records of the task_vma iterator, in order; its second pass (threads
 * with their own files table) ends it. */
struct rec_reader {
	struct vma_iter *it;
	int fd;
	unsigned char buf[4096 * sizeof(struct vma_rec)];
	size_t off, len;
	struct vma_rec cur;	/* the record at off, aligned */
	uint64_t last;
	bool eof;
};

static const struct vma_rec *rr_peek(struct rec_reader *r)
{
	const struct vma_rec *v;
	ssize_t got;

	while (!r->eof && r->len - r->off < sizeof(struct vma_rec)) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
		got = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			r->eof = true;
		else
			r->len += (size_t)got;
	}
	if (r->eof && r->len - r->off < sizeof(struct vma_rec))
		return NULL;
	/* a read may end inside a record: copy, never cast the bytes */
	memcpy(&r->cur, r->buf + r->off, sizeof(r->cur));
	v = &r->cur;
	if (r->last && v->start <= r->last) {
		r->eof = true;		/* the next thread's pass: seen */
		return NULL;
	}
	return v;
}

/* Past the record rr_peek returned. */
static void rr_skip(struct rec_reader *r)
{
	r->last = r->cur.start;
	r->off += sizeof(struct vma_rec);
}

/* vm_flags from smaps' "VmFlags: rd wr ..." line */
static uint64_t parse_vmflags(const char *p, size_t n)
{
	uint64_t fl = 0;
	size_t i = 8;
	unsigned int b;

	while (i + 2 <= n) {
		while (i < n && p[i] == ' ')
			i++;
		if (i + 2 > n)
			break;
		for (b = 0; b < 64; b++) {
			const char *m = vmflag_mnemonic(b);

			if (m && *m && !strncmp(m, p + i, 2))
				fl |= 1ULL << b;
		}
		i += 2;
	}
	return fl;
}

struct vma_stream {
	pid_t pid;
	unsigned int flags;
	struct line_reader maps;
	struct rec_reader *rr;
	struct smaps_reader smaps;
	struct symbolizer *sym;	/* owner names live in it */
	int kernel_err;
	char kernel_why[256];
	bool changed;
	uint64_t prev_end;
	size_t count;
};

int vma_stream_open(pid_t pid, unsigned int flags, struct vma_stream **out)
{
	struct vma_stream *s = calloc(1, sizeof(*s));
	int err;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->pid = pid;
	s->flags = flags;
	err = lines_open(&s->maps, pid, "maps");
	if (err) {
		free(s);
		return err;
	}
	if (flags & VT_USE_BPF) {
		s->rr = calloc(1, sizeof(*s->rr));
		if (!s->rr) {
			s->kernel_err = -ENOMEM;
		} else {
			s->rr->fd = -1;
			s->kernel_err = vma_iter_open(&s->rr->it, pid, s->kernel_why,
						      sizeof(s->kernel_why));
			if (!s->kernel_err) {
				s->rr->fd = vma_iter_fd(s->rr->it);
				if (s->rr->fd < 0) {
					s->kernel_err = s->rr->fd;
					snprintf(s->kernel_why, sizeof(s->kernel_why),
						 "cannot create the iterator: %s",
						 strerror(-s->kernel_err));
				}
			}
		}
	} else {
		s->kernel_err = -EOPNOTSUPP;
		snprintf(s->kernel_why, sizeof(s->kernel_why), "BPF not used (--no-bpf)");
	}
	if (s->kernel_err)
		smaps_open(&s->smaps, pid);	/* without it: no flags */
	else if (flags & VT_OWNERS)
		s->sym = sym_new();
	*out = s;
	return 0;
}

static void join_kernel(struct vma_stream *s, struct vma *v)
{
	const struct vma_rec *k;

	while ((k = rr_peek(s->rr)) && k->start < v->m.start)
		rr_skip(s->rr);
	if (k && k->start == v->m.start && k->end == v->m.end) {
		v->k = *k;
		v->has_kernel = true;
		v->has_flags = true;
		v->flags = k->flags;
		rr_skip(s->rr);
		if (s->flags & VT_OWNERS) {
			v->fn_fault = s->sym ? sym_kernel_exact(s->sym, v->k.fn_fault) : NULL;
			v->fn_open = s->sym ? sym_kernel_exact(s->sym, v->k.fn_open) : NULL;
			v->fn_mmap = s->sym ? sym_kernel_exact(s->sym, v->k.fn_mmap) : NULL;
			v->fn_name = s->sym ? sym_kernel_exact(s->sym, v->k.fn_name) : NULL;
			v->owner = v->fn_fault ? v->fn_fault : v->fn_open ? v->fn_open :
				   v->fn_mmap ? v->fn_mmap : v->fn_name;
		}
	} else if (!vma_gate_flags(v)) {
		s->changed = true;
	}
}

ssize_t vma_stream_next(struct vma_stream *s, size_t max, struct vma_table *t)
{
	size_t cap = max < 4096 ? max : 4096;
	const char *line, *fl;
	size_t n, fln;
	int r;

	memset(t, 0, sizeof(*t));
	t->kernel_err = s->kernel_err;
	memcpy(t->kernel_why, s->kernel_why, sizeof(t->kernel_why));
	while (t->n < max) {
		struct maps_entry e;
		struct vma *v;

		r = lines_next(&s->maps, &line, &n);
		if (r < 0) {
			vma_table_free(t);
			return r;
		}
		if (!r)
			break;
		if (!n)
			continue;
		if (maps_parse_line(line, n, &e))
			continue;
		/* the layout changed between two reads of maps: what is
		 * behind us is printed already; skip what overlaps it */
		if (e.start >= e.end || e.start < s->prev_end) {
			free(e.path);
			s->changed = true;
			continue;
		}
		if (t->n + 1 >= cap || !t->v) {
			struct vma *nv;

			cap = t->v ? cap * 2 : cap + 1;
			nv = realloc(t->v, (cap + 1) * sizeof(*t->v));
			if (!nv) {
				free(e.path);
				vma_table_free(t);
				return -ENOMEM;
			}
			t->v = nv;
		}
		maps_exact_name(s->pid, &e);
		v = &t->v[t->n++];
		memset(v, 0, sizeof(*v));
		v->m = e;
		s->prev_end = e.end;
		if (!s->kernel_err)
			join_kernel(s, v);
		else if (smaps_vmflags(&s->smaps, v->m.start, &fl, &fln)) {
			v->flags = parse_vmflags(fl, fln);
			v->has_flags = true;
		}
	}
	s->count += t->n;
	t->changed = s->changed;
	return (ssize_t)t->n;
}

int vma_stream_read_all(pid_t pid, unsigned int flags, struct vma_table *t)
{
	struct vma_stream *s;
	ssize_t n;
	int err;

	memset(t, 0, sizeof(*t));
	err = vma_stream_open(pid, flags & ~VT_OWNERS, &s);
	if (err)
		return err;
	n = vma_stream_next(s, SIZE_MAX, t);
	vma_stream_close(s);
	return n < 0 ? (int)n : 0;
}

size_t vma_stream_count(const struct vma_stream *s)
{
	return s->count;
}

void vma_stream_close(struct vma_stream *s)
{
	if (!s)
		return;
	lines_close(&s->maps);
	smaps_close(&s->smaps);
	if (s->rr) {
		if (s->rr->fd >= 0)
			close(s->rr->fd);
		vma_iter_close(s->rr->it);
		free(s->rr);
	}
	sym_free(s->sym);
	free(s);
}
