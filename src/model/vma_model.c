// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "procfs/maps.h"
#include "model/vma_model.h"
#include "decode/vmflags.h"

/* x86-64 numbers of the calls whose arguments say what went away */
#define NR_MMAP		9
#define NR_MUNMAP	11
#define NR_MREMAP	25

struct vm_proc {
	pid_t pid;		/* 0: free slot */
	struct vm_ent *v;
	size_t n, cap;
	bool unsure;		/* an event left gaps: re-read on a miss */
	bool changed;		/* since vm_model_take_changed */
	bool exited;
	struct vm_gone *g;	/* sorted by start */
	size_t ng, gcap;
};

struct path_ent {
	uint64_t key;
	const char *path;
};

struct vm_model {
	/* interned strings: every path handed out stays valid */
	char **strs;
	size_t nstrs, strcap;
	struct path_ent *paths;		/* open addressing */
	size_t npaths, pathcap;
	struct vm_proc *procs;		/* open addressing by pid */
	size_t nprocs, proccap;
	struct vm_model_stats st;
	bool drop_exited;
};

struct vm_model *vm_model_new(void)
{
	return calloc(1, sizeof(struct vm_model));
}

void vm_model_drop_exited(struct vm_model *m, bool drop)
{
	m->drop_exited = drop;
}

void vm_model_free(struct vm_model *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->strcap; i++)
		free(m->strs[i]);
	for (i = 0; i < m->proccap; i++) {
		free(m->procs[i].v);
		free(m->procs[i].g);
	}
	free(m->strs);
	free(m->paths);
	free(m->procs);
	free(m);
}

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	while (len--)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static bool grow(void **tab, size_t *cap, size_t n, size_t elem)
{
	void *t;

	if ((n + 1) * 2 <= *cap)
		return true;
	t = calloc(*cap ? *cap * 2 : 256, elem);
	if (!t)
		return false;
	*tab = t;
	*cap = *cap ? *cap * 2 : 256;
	return true;
}

static char **str_slot(char **strs, size_t cap, const char *s, size_t len)
{
	size_t i = hash_bytes(s, len) & (cap - 1);

	while (strs[i] && (strlen(strs[i]) != len || memcmp(strs[i], s, len)))
		i = (i + 1) & (cap - 1);
	return &strs[i];
}

static const char *intern(struct vm_model *m, const char *s, size_t len)
{
	char **slot, **old = m->strs;
	size_t oldcap = m->strcap, i;

	len = strnlen(s, len);	/* a NUL inside ends the name, as in C */
	if (!grow((void **)&m->strs, &m->strcap, m->nstrs, sizeof(char *)))
		return NULL;
	if (m->strs != old) {
		for (i = 0; i < oldcap; i++)
			if (old[i])
				*str_slot(m->strs, m->strcap, old[i], strlen(old[i])) = old[i];
		free(old);
	}
	slot = str_slot(m->strs, m->strcap, s, len);
	if (!*slot) {
		*slot = strndup(s, len);
		if (*slot)
			m->nstrs++;
	}
	return *slot;
}

static uint64_t path_key(uint32_t dev, uint64_t ino)
{
	return (ino * 0x9e3779b97f4a7c15ULL) ^ dev;
}

static struct path_ent *path_slot(struct path_ent *t, size_t cap, uint64_t key)
{
	size_t i = (key ^ (key >> 29)) & (cap - 1);

	while (t[i].path && t[i].key != key)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

void vm_model_learn_path(struct vm_model *m, uint32_t dev, uint64_t ino,
			 const char *path, size_t len)
{
	struct path_ent *old = m->paths, *e;
	size_t oldcap = m->pathcap, i;
	const char *s = intern(m, path, len);

	if (!s || !grow((void **)&m->paths, &m->pathcap, m->npaths, sizeof(*e)))
		return;
	if (m->paths != old) {
		for (i = 0; i < oldcap; i++)
			if (old[i].path)
				*path_slot(m->paths, m->pathcap, old[i].key) = old[i];
		free(old);
	}
	e = path_slot(m->paths, m->pathcap, path_key(dev, ino));
	if (!e->path)
		m->npaths++;
	e->key = path_key(dev, ino);
	e->path = s;
}

const char *vm_model_path(struct vm_model *m, uint32_t dev, uint64_t ino)
{
	if (!m->pathcap)
		return NULL;
	return path_slot(m->paths, m->pathcap, path_key(dev, ino))->path;
}

const char *vm_model_vma_path(struct vm_model *m, const struct mm_vma *v)
{
	if (v->has_file)
		return vm_model_path(m, v->dev, v->ino);
	if (v->flags & VMF_GROWSDOWN)
		return "[stack]";
	return NULL;
}

bool mm_event_path(const struct mm_event *ev, char cut[MM_PATH_CUT_BUF],
		   const char **p, size_t *len)
{
	if (!(ev->path_flags & MM_PATH_SET) || ev->path_off >= MM_PATH_MAX)
		return false;
	*p = ev->path + ev->path_off;
	*len = MM_PATH_MAX - ev->path_off;
	if (ev->path_flags & MM_PATH_TRUNC) {
		/* only the tail came: say so, never pass it off as the path */
		memcpy(cut, "...", 3);
		memcpy(cut + 3, *p, *len);
		*p = cut;
		*len += 3;
	}
	return true;
}

void mm_vma_perms(const struct mm_vma *v, char p[5])
{
	p[0] = v->flags & VMF_READ ? 'r' : '-';
	p[1] = v->flags & VMF_WRITE ? 'w' : '-';
	p[2] = v->flags & VMF_EXEC ? 'x' : '-';
	p[3] = v->flags & VMF_MAYSHARE ? 's' : 'p';	/* as maps prints it */
	p[4] = '\0';
}

/* ---- processes ---------------------------------------------------------- */

static struct vm_proc *proc_slot(struct vm_proc *t, size_t cap, pid_t pid)
{
	size_t i = ((uint64_t)pid * 0x9e3779b97f4a7c15ULL >> 20) & (cap - 1);

	while (t[i].pid && t[i].pid != pid)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static struct vm_proc *proc_get(struct vm_model *m, pid_t pid, bool create)
{
	struct vm_proc *old = m->procs, *p;
	size_t oldcap = m->proccap, i;

	if (m->proccap) {
		p = proc_slot(m->procs, m->proccap, pid);
		if (p->pid || !create)
			return p->pid ? p : NULL;
	}
	if (!create || !grow((void **)&m->procs, &m->proccap, m->nprocs, sizeof(*p)))
		return NULL;
	if (m->procs != old) {
		for (i = 0; i < oldcap; i++)
			if (old[i].pid)
				*proc_slot(m->procs, m->proccap, old[i].pid) = old[i];
		free(old);
	}
	p = proc_slot(m->procs, m->proccap, pid);
	p->pid = pid;
	m->nprocs++;
	return p;
}

static int reserve(struct vm_proc *p, size_t n)
{
	size_t cap = p->cap ? p->cap : 64;
	struct vm_ent *v;

	if (n <= p->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	v = realloc(p->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->v = v;
	p->cap = cap;
	return 0;
}

/* Index of the first gone VMA starting at or above addr. */
static size_t gone_index(const struct vm_proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->ng, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->g[mid].start < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* [lo, hi) of VMA e went away: remember it under its start. */
static void bury(struct vm_model *m, struct vm_proc *p, const struct vm_ent *e,
		 uint64_t lo, uint64_t hi)
{
	uint64_t start = e->start > lo ? e->start : lo;
	size_t i = gone_index(p, start);
	struct vm_gone *g;

	while (i < p->ng && p->g[i].start == start && p->g[i].path != e->path)
		i++;
	if (i == p->ng || p->g[i].start != start) {
		if (p->ng == VM_GONE_MAX) {
			/* forget the lowest start: a heap or library's
			 * remnants matter less than the churn going on */
			memmove(p->g, p->g + 1, --p->ng * sizeof(*p->g));
			i -= i > 0;
			m->st.gone_forgotten++;
		}
		if (p->ng == p->gcap) {
			size_t cap = p->gcap ? p->gcap * 2 : 16;
			struct vm_gone *t = realloc(p->g, cap * sizeof(*t));

			if (!t)
				return;
			p->g = t;
			p->gcap = cap;
		}
		memmove(&p->g[i + 1], &p->g[i], (p->ng - i) * sizeof(*p->g));
		p->ng++;
		p->g[i].times = 0;
	}
	g = &p->g[i];
	g->start = start;
	g->end = e->end < hi ? e->end : hi;
	g->path = e->path;
	memcpy(g->perms, e->perms, sizeof(g->perms));
	g->times++;
}

/* Cut [lo, hi) out of the process's VMAs, trimming the ones it crosses;
 * with m, what goes is buried. */
static int cut(struct vm_model *m, struct vm_proc *p, uint64_t lo, uint64_t hi)
{
	size_t i, o = 0;

	if (lo >= hi)
		return 0;	/* empty, or a range that wrapped around */
	for (i = 0; i < p->n; i++) {
		struct vm_ent tail = p->v[i];

		if (!(tail.start < lo && tail.end > hi))
			continue;
		/* a hole inside one VMA: nothing else can overlap */
		if (reserve(p, p->n + 1))
			return -ENOMEM;
		if (m)
			bury(m, p, &tail, lo, hi);
		memmove(&p->v[i + 2], &p->v[i + 1], (p->n - i - 1) * sizeof(tail));
		p->v[i].end = lo;
		tail.pgoff += (hi - tail.start) >> 12;
		tail.start = hi;
		p->v[i + 1] = tail;
		p->n++;
		return 0;
	}
	for (i = 0; i < p->n; i++) {
		struct vm_ent e = p->v[i];

		if (e.end <= lo || e.start >= hi) {
			p->v[o++] = e;
			continue;
		}
		if (m)
			bury(m, p, &e, lo, hi);
		if (e.start < lo) {
			e.end = lo;
			p->v[o++] = e;
		} else if (e.end > hi) {
			e.pgoff += (hi - e.start) >> 12;
			e.start = hi;
			p->v[o++] = e;
		}
	}
	p->n = o;
	return 0;
}

static int insert(struct vm_proc *p, const struct vm_ent *e)
{
	size_t i;

	/* what a new VMA covers was replaced, not unmapped */
	if (cut(NULL, p, e->start, e->end) || reserve(p, p->n + 1))
		return -ENOMEM;
	for (i = p->n; i > 0 && p->v[i - 1].start > e->start; i--)
		p->v[i] = p->v[i - 1];
	p->v[i] = *e;
	p->n++;
	return 0;
}

int vm_model_seed(struct vm_model *m, pid_t pid)
{
	struct maps_list ml = { 0 };
	struct vm_proc *p;
	size_t i;
	int err;

	m->st.seeds++;
	err = maps_read(pid, &ml);
	if (err)
		return err;
	p = proc_get(m, pid, true);
	if (!p) {
		maps_free(&ml);
		return -ENOMEM;
	}
	p->n = 0;
	if (reserve(p, ml.n)) {
		maps_free(&ml);
		return -ENOMEM;
	}
	for (i = 0; i < ml.n; i++) {
		const struct maps_entry *me = &ml.v[i];
		struct vm_ent e = {
			.start = me->start,
			.end = me->end,
			.pgoff = me->offset >> 12,
		};

		memcpy(e.perms, me->perms, sizeof(e.perms));
		if (me->path) {
			e.path = intern(m, me->path, me->path_len);
			if (me->inode)
				vm_model_learn_path(m, (me->dev_major << 20) | me->dev_minor,
						    me->inode, me->path, me->path_len);
		}
		/* maps lists VMAs sorted and disjoint: appended as they come
		 * (an insert each cut through all before it: 20,000 VMAs took
		 * 0.7 s); one out of order, as a file changing under the
		 * read could give, goes through insert */
		if (p->n && p->v[p->n - 1].end > e.start)
			insert(p, &e);
		else
			p->v[p->n++] = e;
	}
	maps_free(&ml);
	p->unsure = false;
	p->changed = true;
	return 0;
}

static void put_vma(struct vm_model *m, struct vm_proc *p, const struct mm_vma *v)
{
	struct vm_ent e = {
		.start = v->start,
		.end = v->end,
		.pgoff = v->has_file ? v->pgoff : 0,
		.path = vm_model_vma_path(m, v),
	};

	if (v->start >= v->end || ((v->start | v->end) & 4095)) {
		p->unsure = true;	/* not a VMA: trust the next re-read */
		return;
	}
	mm_vma_perms(v, e.perms);
	if (v->has_file && !e.path)
		p->unsure = true;	/* a file we have no name for yet */
	insert(p, &e);
}

/* An mmap whose VMAs the record lacks (its mmap_lock was contended): the
 * range the call returned, as its arguments describe it, until the next
 * re-read says what the kernel made of it (merged with a neighbour,
 * perhaps). Faults on it come before any re-read could. */
static void put_mapped(struct vm_model *m, struct vm_proc *p, const struct mm_event *ev,
		       const char *path, size_t len)
{
	uint64_t prot = ev->args[2], flags = ev->args[3];
	struct vm_ent e = {
		.start = (uint64_t)ev->ret,
		.end = (uint64_t)ev->ret + ((ev->args[1] + 4095) & ~4095ULL),
		.pgoff = flags & MAP_ANONYMOUS ? 0 : ev->args[5] >> 12,
	};

	if (e.start & 4095 || e.end <= e.start)
		return;
	e.perms[0] = prot & PROT_READ ? 'r' : '-';
	e.perms[1] = prot & PROT_WRITE ? 'w' : '-';
	e.perms[2] = prot & PROT_EXEC ? 'x' : '-';
	e.perms[3] = (flags & MAP_TYPE) == MAP_PRIVATE ? 'p' : 's';
	if (!(flags & MAP_ANONYMOUS) && path)
		e.path = intern(m, path, len);
	insert(p, &e);
}

static void apply_call(struct vm_model *m, struct vm_proc *p, const struct mm_event *ev)
{
	char cutbuf[MM_PATH_CUT_BUF];
	const char *path = NULL;
	size_t len = 0, i;

	if (ev->ret < 0 && ev->ret >= -4095)
		return;		/* failed calls change nothing */
	if (!mm_event_path(ev, cutbuf, &path, &len))
		path = NULL;
	else if (ev->nvma && ev->vma[0].has_file)
		vm_model_learn_path(m, ev->vma[0].dev, ev->vma[0].ino, path, len);
	if (ev->nr == NR_MUNMAP) {
		cut(m, p, ev->args[0], ev->args[0] + ((ev->args[1] + 4095) & ~4095ULL));
	} else if (ev->nr == NR_MREMAP) {
		uint64_t old = ev->args[0], olen = (ev->args[1] + 4095) & ~4095ULL;
		uint64_t nlen = (ev->args[2] + 4095) & ~4095ULL;

		if ((uint64_t)ev->ret != old)
			cut(m, p, old, old + olen);	/* moved */
		else if (nlen < olen)
			cut(m, p, old + nlen, old + olen);	/* shrunk */
	}
	if (ev->vma_when == MM_VMAS_AFTER) {
		for (i = 0; i < ev->nvma && i < MM_MAX_VMAS; i++)
			put_vma(m, p, &ev->vma[i]);
	} else if (ev->nr == NR_MMAP) {
		put_mapped(m, p, ev, path, len);
	}
	/* brk shrinking, mprotect over more VMAs than a record holds, a
	 * contended mmap_lock, munmap over a range: trust the next re-read */
	if (ev->vma_more || ev->vma_when != MM_VMAS_AFTER)
		p->unsure = true;
	p->changed = true;
}

void vm_model_event(struct vm_model *m, const struct mm_event *ev)
{
	struct vm_proc *p = proc_get(m, ev->pid, ev->type != MM_EV_EXIT);
	struct vm_proc *child;
	char cutbuf[MM_PATH_CUT_BUF];
	const char *path;
	size_t len;

	if (!p)
		return;
	m->st.updates++;
	switch (ev->type) {
	case MM_EV_CALL:
		apply_call(m, p, ev);
		break;
	case MM_EV_EXEC:
		/* a new address space: exec's VMA records follow (6.7+),
		 * else the first lookup reads /proc */
		cut(m, p, 0, UINT64_MAX);
		p->unsure = true;
		p->changed = true;
		break;
	case MM_EV_EXEC_VMA:
		if (mm_event_path(ev, cutbuf, &path, &len) && ev->nvma && ev->vma[0].has_file)
			vm_model_learn_path(m, ev->vma[0].dev, ev->vma[0].ino, path, len);
		if (ev->nvma)
			put_vma(m, p, &ev->vma[0]);
		p->changed = true;
		break;
	case MM_EV_EXIT:
		p->exited = true;
		/* the process is gone. Its threads' last faults may still be
		 * on their way, so keep the VMAs unless told to save memory
		 * (a long system-wide run); then a later lookup reads /proc */
		if (!m->drop_exited)
			break;
		free(p->v);
		free(p->g);
		p->v = NULL;
		p->g = NULL;
		p->n = p->cap = p->ng = p->gcap = 0;
		p->unsure = true;
		p->changed = true;
		break;
	case MM_EV_FORK:
		child = proc_get(m, (pid_t)ev->ret, true);
		p = proc_get(m, ev->pid, false);	/* the table may have moved */
		if (!child || !p)
			break;
		child->n = child->ng = 0;
		child->exited = false;
		if (p->n && !reserve(child, p->n)) {
			memcpy(child->v, p->v, p->n * sizeof(*p->v));
			child->n = p->n;
		}
		child->unsure = true;
		child->changed = true;
		break;
	}
}

static const struct vm_ent *find_in(const struct vm_proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->n && p->v[lo].start <= addr ? &p->v[lo] : NULL;
}

const struct vm_ent *vm_model_find(struct vm_model *m, pid_t pid, uint64_t addr)
{
	struct vm_proc *p = proc_get(m, pid, false);
	const struct vm_ent *e;

	if (p && (e = find_in(p, addr)))
		return e;
	if (p && !p->unsure)
		return NULL;
	if (vm_model_seed(m, pid))
		return NULL;
	p = proc_get(m, pid, false);
	return p ? find_in(p, addr) : NULL;
}

const struct vm_ent *vm_model_peek(struct vm_model *m, pid_t pid, uint64_t addr)
{
	struct vm_proc *p = proc_get(m, pid, false);

	return p ? find_in(p, addr) : NULL;
}

const struct vm_gone *vm_model_gone_at(struct vm_model *m, pid_t pid, uint64_t start,
				       const char *path)
{
	struct vm_proc *p = proc_get(m, pid, false);
	size_t i;

	if (!p)
		return NULL;
	for (i = gone_index(p, start); i < p->ng && p->g[i].start == start; i++)
		if (p->g[i].path == path)
			return &p->g[i];
	return NULL;
}

const struct vm_gone *vm_model_gone(struct vm_model *m, pid_t pid, uint64_t addr)
{
	struct vm_proc *p = proc_get(m, pid, false);
	size_t i, n;

	if (!p || !p->ng)
		return NULL;
	i = gone_index(p, addr);
	if (i < p->ng && p->g[i].start == addr)
		return &p->g[i];
	/* the nearest starts below: a short part may sit inside a longer
	 * one gone earlier (a few tried: this is for reports) */
	for (n = 0; i-- > 0 && n < 64; n++)
		if (p->g[i].end > addr)
			return &p->g[i];
	return NULL;
}

bool vm_model_unsure(struct vm_model *m, pid_t pid)
{
	struct vm_proc *p = proc_get(m, pid, false);

	return !p || p->unsure;
}

bool vm_model_exited(struct vm_model *m, pid_t pid)
{
	struct vm_proc *p = proc_get(m, pid, false);

	return p && p->exited;
}

const struct vm_ent *vm_model_vmas(struct vm_model *m, pid_t pid, size_t *n)
{
	struct vm_proc *p = proc_get(m, pid, false);

	*n = p ? p->n : 0;
	return p ? p->v : NULL;
}

bool vm_model_take_changed(struct vm_model *m, pid_t pid)
{
	struct vm_proc *p = proc_get(m, pid, false);
	bool c = p && p->changed;

	if (p)
		p->changed = false;
	return c;
}

void vm_model_stats(const struct vm_model *m, struct vm_model_stats *s)
{
	*s = m->st;
}
