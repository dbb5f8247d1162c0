// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vma_table.h"
#include "bpf_ptwalk.h"
#include "bpf_vma.h"
#include "range.h"
#include "procfs/kallsyms.h"
#include "procfs/pagemap.h"
#include "util.h"
#include "vmflags.h"

bool vma_gate_flags(struct vma *v)
{
	if (strcmp(v->m.path ? v->m.path : "", "[vsyscall]"))
		return false;
	/* the gate VMA lives outside the VMA tree; its maps perms are its
	 * vm_flags (VM_EXEC, VM_READ|VM_EXEC) */
	v->has_flags = true;
	v->flags = (v->m.perms[0] == 'r' ? VMF_READ : 0) |
		   (v->m.perms[1] == 'w' ? VMF_WRITE : 0) |
		   (v->m.perms[2] == 'x' ? VMF_EXEC : 0);
	return true;
}

bool vma_pagemap_blind(const struct vma *v)
{
	return v->has_flags && (v->flags & (VMF_PFNMAP | VMF_IO));
}

ssize_t vma_table_find(const struct vma_table *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < t->v[mid].m.start)
			hi = mid;
		else if (addr >= t->v[mid].m.end)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static const char *sym_lookup(struct ksym *s, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	if (!addr)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && s[lo].addr == addr ? s[lo].name : NULL;
}

/* Name the owner functions of every VMA with one pass over kallsyms. */
static int resolve_owners(struct vma_table *t)
{
	uint64_t *addrs;
	struct ksym *syms;
	size_t i, n = 0, u = 0;
	int err;

	addrs = malloc(t->n * 4 * sizeof(*addrs) + 1);
	if (!addrs)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		struct vma_rec *k = &t->v[i].k;

		if (!t->v[i].has_kernel)
			continue;
		if (k->fn_fault) addrs[n++] = k->fn_fault;
		if (k->fn_open) addrs[n++] = k->fn_open;
		if (k->fn_mmap) addrs[n++] = k->fn_mmap;
		if (k->fn_name) addrs[n++] = k->fn_name;
	}
	if (n)
		qsort(addrs, n, sizeof(*addrs), cmp_u64);
	for (i = 0; i < n; i++)
		if (!u || addrs[u - 1] != addrs[i])
			addrs[u++] = addrs[i];
	syms = calloc(u + 1, sizeof(*syms));
	if (!syms) {
		free(addrs);
		return -ENOMEM;
	}
	for (i = 0; i < u; i++)
		syms[i].addr = addrs[i];
	free(addrs);
	err = kallsyms_resolve(syms, u);
	for (i = 0; i < t->n; i++) {
		struct vma *v = &t->v[i];

		if (!v->has_kernel)
			continue;
		v->fn_fault = sym_lookup(syms, u, v->k.fn_fault);
		v->fn_open = sym_lookup(syms, u, v->k.fn_open);
		v->fn_mmap = sym_lookup(syms, u, v->k.fn_mmap);
		v->fn_name = sym_lookup(syms, u, v->k.fn_name);
		v->owner = v->fn_fault ? v->fn_fault : v->fn_open ? v->fn_open :
			   v->fn_mmap ? v->fn_mmap : v->fn_name;
	}
	t->names = malloc((u + 1) * sizeof(char *));
	if (t->names) {
		for (i = 0; i < u; i++)
			if (syms[i].name)
				t->names[t->nnames++] = syms[i].name;
	}
	free(syms);
	return err;
}

/* smaps fallback for vm_flags when BPF is not available. */
static void flags_from_smaps(pid_t pid, struct vma_table *t)
{
	char path[64], *buf, *p;
	size_t i = 0;

	snprintf(path, sizeof(path), "%s/%d/smaps", proc_root(), (int)pid);
	if (read_file(path, &buf, NULL))
		return;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		struct maps_entry e;
		char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);

		if (!strncmp(p, "VmFlags:", 8)) {
			uint64_t fl = 0;
			char *q = p + 8;

			if (!i)
				continue;
			while (q < p + ll) {
				unsigned int b;

				while (q < p + ll && *q == ' ')
					q++;
				if (q + 2 > p + ll)
					break;
				for (b = 0; b < 64; b++) {
					const char *m = vmflag_mnemonic(b);

					if (m && *m && !strncmp(m, q, 2))
						fl |= 1ULL << b;
				}
				q += 2;
			}
			t->v[i - 1].flags = fl;
			t->v[i - 1].has_flags = true;
			continue;
		}
		/* header lines start with a hex digit and hold a '-' */
		if (maps_parse_line(p, ll, &e) == 0) {
			ssize_t idx = vma_table_find(t, e.start);

			free(e.path);
			i = (idx >= 0 && t->v[idx].m.start == e.start) ? (size_t)idx + 1 : 0;
		}
	}
	free(buf);
}

struct count_ctx {
	struct vma_table *t;
	size_t i;
};

static int count_regions(const struct pm_region *r, size_t n, void *arg)
{
	struct count_ctx *c = arg;
	size_t k;

	for (k = 0; k < n; k++) {
		uint64_t s = r[k].start, e = r[k].end;

		while (c->i < c->t->n && c->t->v[c->i].m.end <= s)
			c->i++;
		/* a region may span adjacent VMAs: split it */
		for (size_t j = c->i; j < c->t->n && c->t->v[j].m.start < e; j++) {
			struct vma *v = &c->t->v[j];
			uint64_t lo = s > v->m.start ? s : v->m.start;
			uint64_t hi = e < v->m.end ? e : v->m.end;

			if (hi <= lo)
				continue;
			if (r[k].categories & PAGE_IS_PRESENT)
				v->present_pages += (hi - lo) >> PAGE_SHIFT;
			else if ((r[k].categories & PAGE_IS_SWAPPED) &&
				 !(r[k].categories & PAGE_IS_GUARD))
				v->swap_pages += (hi - lo) >> PAGE_SHIFT;
		}
	}
	return 0;
}

/* pagemap fallback: read entries in 8 MiB chunks and count. */
static int count_by_read(int fd, struct vma *v)
{
	static uint64_t buf[1 << 20];
	uint64_t a = v->m.start;

	while (a < v->m.end) {
		size_t n = (v->m.end - a) >> PAGE_SHIFT, i;
		int err;

		if (n > ARRAY_SIZE(buf))
			n = ARRAY_SIZE(buf);
		err = pagemap_read(fd, a, n, buf);
		if (err)
			return err;
		for (i = 0; i < n; i++) {
			if (buf[i] & PM_PRESENT)
				v->present_pages++;
			else if ((buf[i] & PM_SWAP) && !(buf[i] & PM_GUARD))
				v->swap_pages++;
		}
		a += n << PAGE_SHIFT;
	}
	return 0;
}

static int walk_count(const struct ptw_rec *r, size_t n, void *arg)
{
	struct vma *v = arg;
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].present)
			v->present_pages += ptw_pages(&r[i]);
	return 0;
}

void vma_table_count_pages(struct vma_table *t, pid_t pid, struct ptwalk *pw)
{
	struct count_ctx c = { .t = t };
	uint64_t limit = user_addr_limit(paging_levels() == 5 ? 5 : 4);
	size_t i, nuser;
	int fd, err = -ENOTTY;

	/* [vsyscall] lies above user space: pagemap cannot report it */
	for (nuser = t->n; nuser && t->v[nuser - 1].m.start >= limit; nuser--)
		;
	if (!nuser)
		return;
	fd = pagemap_open(pid);
	if (fd < 0) {
		t->counts_err = fd;
		return;
	}
	if (pagemap_scan_supported())
		err = pagemap_scan(fd, t->v[0].m.start, t->v[nuser - 1].m.end,
				   count_regions, &c);
	for (i = 0; i < nuser; i++) {
		struct vma *v = &t->v[i];

		if (err == -ENOTTY) {
			v->present_pages = v->swap_pages = 0;
			if (count_by_read(fd, v))
				continue;
		} else if (err) {
			continue;
		}
		v->has_counts = true;
		if (vma_pagemap_blind(v)) {
			/* pagemap shows holes here: only the walk knows */
			v->present_pages = v->swap_pages = 0;
			v->has_counts = pw && !ptwalk_leaves(pw, pid, v->m.start,
							     v->m.end, walk_count, v);
			v->counts_from_walk = v->has_counts;
		}
	}
	if (err && err != -ENOTTY)
		t->counts_err = err;
	close(fd);
}

bool vma_table_has_blind(const struct vma_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (vma_pagemap_blind(&t->v[i]))
			return true;
	return false;
}

int vma_table_read(pid_t pid, unsigned int flags, struct vma_table *t)
{
	struct maps_list ml;
	struct vma_rec *recs = NULL;
	size_t nrecs = 0, i, j = 0;
	int err;

	memset(t, 0, sizeof(*t));
	if (flags & VT_USE_BPF) {
		t->kernel_err = vma_iter_snapshot(pid, &recs, &nrecs, t->kernel_why,
						  sizeof(t->kernel_why));
	} else {
		t->kernel_err = -EOPNOTSUPP;
		snprintf(t->kernel_why, sizeof(t->kernel_why), "BPF not used (--no-bpf)");
	}
	err = maps_read(pid, &ml);
	if (err) {
		free(recs);
		return err;
	}
	t->v = calloc(ml.n + 1, sizeof(*t->v));
	if (!t->v) {
		maps_free(&ml);
		free(recs);
		return -ENOMEM;
	}
	t->n = ml.n;
	for (i = 0; i < ml.n; i++) {
		struct vma *v = &t->v[i];

		v->m = ml.v[i];
		if (t->kernel_err)
			continue;
		while (j < nrecs && recs[j].start < v->m.start)
			j++;
		if (j < nrecs && recs[j].start == v->m.start &&
		    recs[j].end == v->m.end) {
			v->k = recs[j];
			v->has_kernel = true;
			v->has_flags = true;
			v->flags = recs[j].flags;
		} else if (vma_gate_flags(v)) {
			/* [vsyscall]: flags from its perms */
		} else {
			t->changed = true;
		}
	}
	free(ml.v);	/* paths moved into t->v */
	free(recs);
	if (t->kernel_err)
		flags_from_smaps(pid, t);
	else if (flags & VT_OWNERS)
		resolve_owners(t);
	return 0;
}

void vma_table_free(struct vma_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].m.path);
	for (i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	free(t->v);
	memset(t, 0, sizeof(*t));
}
