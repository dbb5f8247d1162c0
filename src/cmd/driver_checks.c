// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/driver_checks.h"
#include "procfs/kpage.h"
#include "tracers/records.h"
#include "decode/vmflags.h"

/* include/uapi/linux/magic.h */
#define ANON_INODE_FS_MAGIC	0x09041934
#define SECRETMEM_MAGIC		0x5345434d
#define HUGETLBFS_MAGIC		0x958458f6
#define SOCKFS_MAGIC		0x534F434B
#define DMA_BUF_MAGIC		0x444d4142

#define NO_PAGE_REPEAT		8

static const struct {
	const char *name, *severity;
	bool runs;
} checks[CK_NR] = {
	[CK_PAST_END] = { "past_end", "error", true },
	[CK_UNMAPPED] = { "unmapped_at_mmap", "warn", true },
	[CK_PGOFF] = { "pgoff_ignored", "error", true },
	[CK_VMALLOC] = { "vmalloc_remap", "error", true },
	[CK_PFNMAP_FLAGS] = { "pfnmap_flags", "warn", true },
	[CK_CACHED_DEVICE] = { "cached_device_memory", "warn", true },
	[CK_CACHE_CONFLICT] = { "cache_conflict", "warn", true },
	[CK_NO_PAGE] = { "fault_no_page", "error", true },
	[CK_REFCOUNT] = { "page_refcount", "error", true },
	[CK_SLAB] = { "slab_page", "info", true },
};

const char *check_name(enum check ck)
{
	return ck < CK_NR ? checks[ck].name : "?";
}

const char *check_severity(enum check ck)
{
	return ck < CK_NR ? checks[ck].severity : "?";
}

bool check_runs(enum check ck)
{
	return ck < CK_NR && checks[ck].runs;
}

const char *file_kind(uint32_t i_mode, uint64_t s_magic)
{
	switch (s_magic) {
	case ANON_INODE_FS_MAGIC: return "anon_inode";
	case SECRETMEM_MAGIC: return "secretmem";
	case HUGETLBFS_MAGIC: return "hugetlbfs";
	case SOCKFS_MAGIC: return "socket";
	case DMA_BUF_MAGIC: return "dma_buf";
	}
	switch (i_mode & S_IFMT) {
	case S_IFCHR: return "chr";
	case S_IFBLK: return "blk";
	case S_IFSOCK: return "socket";
	case S_IFREG: return "file";
	case 0: return "anon_inode";
	}
	return "other";
}

bool driver_file(bool has_file, uint64_t vm_flags, uint32_t i_mode, uint64_t s_magic)
{
	if (!has_file)
		return false;
	if (vm_flags & (VMF_PFNMAP | VMF_IO | VMF_MIXEDMAP | VMF_HUGETLB))
		return true;
	return strcmp(file_kind(i_mode, s_magic), "file") != 0;
}

struct dmap *dmap_new(pid_t pid, const struct vma_rec *k, const char *path,
		      uint64_t max_pages)
{
	struct dmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->pid = pid;
	m->k = *k;
	m->start = k->start;
	m->end = k->end;
	m->perms[0] = k->flags & VMF_READ ? 'r' : '-';
	m->perms[1] = k->flags & VMF_WRITE ? 'w' : '-';
	m->perms[2] = k->flags & VMF_EXEC ? 'x' : '-';
	m->perms[3] = k->flags & VMF_MAYSHARE ? 's' : 'p';
	m->kind = file_kind(k->i_mode, k->s_magic);
	if ((k->i_mode & S_IFMT) == S_IFCHR || (k->i_mode & S_IFMT) == S_IFBLK)
		snprintf(m->rdev_str, sizeof(m->rdev_str), "%u:%u", k->rdev >> 20,
			 k->rdev & 0xfffff);
	m->vpages = (k->end - k->start) >> 12;
	m->vmalloc_pages = -1;
	m->npages = m->vpages < max_pages ? m->vpages : max_pages;
	m->path = path ? strdup(path) : NULL;
	m->pfn = calloc(m->npages + 1, sizeof(*m->pfn));
	m->kf = calloc(m->npages + 1, sizeof(*m->kf));
	m->kc = calloc(m->npages + 1, sizeof(*m->kc));
	m->has_k = calloc(m->npages + 1, 1);
	m->cache = calloc(m->npages + 1, sizeof(*m->cache));
	m->ref = calloc(m->npages + 1, sizeof(*m->ref));
	m->has_ref = calloc(m->npages + 1, 1);
	if ((path && !m->path) || !m->pfn || !m->kf || !m->kc || !m->has_k || !m->cache ||
	    !m->ref || !m->has_ref) {
		dmap_free(m);
		return NULL;
	}
	return m;
}

void dmap_release_frames(struct dmap *m)
{
	free(m->pfn);
	free(m->kf);
	free(m->kc);
	free(m->has_k);
	free(m->cache);
	free(m->ref);
	free(m->has_ref);
	m->pfn = m->kf = m->kc = NULL;
	m->has_k = m->has_ref = NULL;
	m->cache = NULL;
	m->ref = NULL;
	m->npages = 0;
}

void dmap_free(struct dmap *m)
{
	unsigned int i;

	if (!m)
		return;
	for (i = 0; i < 4; i++)
		free(m->fn[i]);
	free(m->path);
	dmap_release_frames(m);
	free(m->calls);
	free(m);
}

void dmap_set_frame(struct dmap *m, uint64_t idx, uint64_t pfn, const char *cache)
{
	if (idx >= m->npages)
		return;
	if (m->pfn[idx] != pfn + 1)	/* another frame: nothing known of it */
		m->has_k[idx] = m->has_ref[idx] = 0;
	m->pfn[idx] = pfn + 1;
	m->cache[idx] = cache;
}

void dmap_set_kpage(struct dmap *m, uint64_t idx, uint64_t flags, bool has_count,
		    uint64_t count)
{
	if (idx >= m->npages)
		return;
	m->kf[idx] = flags;
	m->kc[idx] = count;
	m->has_k[idx] = has_count ? 2 : 1;
}

void dmap_set_ref(struct dmap *m, uint64_t idx, int32_t ref)
{
	if (idx >= m->npages)
		return;
	m->ref[idx] = ref;
	m->has_ref[idx] = 1;
}

bool dmap_wants_ref(const struct dmap *m, uint64_t idx)
{
	const uint64_t skip = (1ULL << KPF_NOPAGE) | (1ULL << KPF_COMPOUND_HEAD) |
			      (1ULL << KPF_COMPOUND_TAIL) | (1ULL << KPF_HUGE) |
			      (1ULL << KPF_THP) | (1ULL << KPF_RESERVED) |
			      (1ULL << KPF_ZERO_PAGE) | (1ULL << KPF_SLAB) |
			      (1ULL << KPF_BUDDY);

	return idx < m->npages && m->pfn[idx] && m->has_k[idx] == 2 &&
	       !(m->k.flags & VMF_PFNMAP) && !(m->kf[idx] & skip);
}

uint64_t dmap_pages_with_frame(const struct dmap *m)
{
	uint64_t i, n = 0;

	for (i = 0; i < m->npages; i++)
		n += m->pfn[i] != 0;
	return n;
}

bool dmap_same_file(const struct dmap *a, const struct dmap *b)
{
	if (a->rdev_str[0] && b->rdev_str[0])
		return a->k.rdev == b->k.rdev;
	return a->k.ino == b->k.ino && a->k.s_magic == b->k.s_magic &&
	       a->k.fn_mmap == b->k.fn_mmap;
}

void dmap_runs(const struct dmap *m, struct frame_run **runs, size_t *n)
{
	struct frame_run *r = NULL, *nr;
	size_t cap = 0;
	uint64_t i;

	*runs = NULL;
	*n = 0;
	for (i = 0; i < m->npages; i++) {
		struct frame_run *last = *n ? &r[*n - 1] : NULL;
		uint64_t pfn = m->pfn[i] - 1;

		if (!m->pfn[i])
			continue;
		if (last && last->vaddr + (last->pages << 12) == m->start + (i << 12) &&
		    last->pfn + last->pages == pfn && last->has_k == (m->has_k[i] != 0) &&
		    last->kflags == m->kf[i] && last->kcount == m->kc[i] &&
		    last->cache == m->cache[i] && last->has_ref == (m->has_ref[i] != 0) &&
		    last->ref == m->ref[i]) {
			last->pages++;
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			nr = realloc(r, cap * sizeof(*r));
			if (!nr)
				break;
			r = nr;
		}
		r[*n] = (struct frame_run){
			.vaddr = m->start + (i << 12), .pages = 1, .pfn = pfn,
			.has_k = m->has_k[i] != 0, .has_count = m->has_k[i] == 2,
			.kflags = m->kf[i], .kcount = m->kc[i], .cache = m->cache[i],
			.has_ref = m->has_ref[i] != 0, .ref = m->ref[i],
		};
		(*n)++;
	}
	*runs = r;
}

static struct check_result *add(struct check_result *out, size_t *n, enum check ck,
				bool has_off, uint64_t off)
{
	struct check_result *r = &out[(*n)++];

	r->check = ck;
	r->has_offset = has_off;
	r->offset = off;
	r->detail[0] = '\0';
	return r;
}

size_t dmap_static_checks(const struct dmap *m, struct check_result *out)
{
	uint64_t fl = m->k.flags, i, hole = UINT64_MAX;
	size_t n = 0;

	if ((fl & (VMF_PFNMAP | VMF_IO)) &&
	    (fl & (VMF_DONTEXPAND | VMF_DONTDUMP)) != (VMF_DONTEXPAND | VMF_DONTDUMP)) {
		struct check_result *r = add(out, &n, CK_PFNMAP_FLAGS, false, 0);
		bool ex = !(fl & VMF_DONTEXPAND), du = !(fl & VMF_DONTDUMP);

		char missing[40];

		snprintf(missing, sizeof(missing), "%s%s%s", ex ? "VM_DONTEXPAND" : "",
			 ex && du ? " | " : "", du ? "VM_DONTDUMP" : "");
		snprintf(r->detail, sizeof(r->detail),
			 "a %s mapping without %s:%s%s set %s in the driver's mmap "
			 "(vm_flags_set(vma, %s))",
			 fl & VMF_PFNMAP ? "VM_PFNMAP" : "VM_IO", missing,
			 ex ? " mremap can grow it past what the driver mapped;" : "",
			 du ? " a core dump reads the device memory;" : "",
			 ex && du ? "them" : "it", missing);
	}
	if (m->walked && !m->k.fn_fault && m->at_mmap < m->npages) {
		struct check_result *r;
		uint64_t missing = m->npages - m->at_mmap;

		for (i = 0; i < m->npages; i++)
			if (!m->pfn[i]) {
				hole = i;
				break;
			}
		r = add(out, &n, CK_UNMAPPED, true, hole << 12);
		snprintf(r->detail, sizeof(r->detail),
			 "mmap mapped %" PRIu64 " of the VMA's %" PRIu64 " pages and the "
			 "VMA has no fault handler: an access to the %" PRIu64 " missing "
			 "page%s (the first at offset %#" PRIx64 ") gets SIGBUS; the "
			 "driver should refuse a length larger than its buffer "
			 "(-EINVAL) or map all of it",
			 m->at_mmap, m->vpages, missing, missing == 1 ? "" : "s",
			 hole << 12);
	}
	return n;
}

size_t dmap_frame_checks(const struct dmap *m, uint64_t lo, uint64_t hi,
			 struct check_result *out)
{
	uint64_t i, dev_n = 0, dev_first = 0, slab_n = 0, slab_first = 0;
	size_t n = 0;

	for (i = lo; i < hi && i < m->npages; i++) {
		if (!m->pfn[i] || !m->has_k[i])
			continue;
		if ((m->kf[i] & (1ULL << KPF_NOPAGE)) && m->cache[i] &&
		    !strcmp(m->cache[i], "wb")) {
			if (!dev_n++)
				dev_first = i;
		}
		if ((m->kf[i] & (1ULL << KPF_SLAB)) && !(m->kf[i] & (1ULL << KPF_RESERVED))) {
			if (!slab_n++)
				slab_first = i;
		}
	}
	for (i = lo; i < hi && i < m->npages; i++) {
		struct check_result *r;

		/* each mapping holds a reference and the driver its own: a
		 * count no higher than the mapcount lacks one */
		if (!m->has_ref[i] || !dmap_wants_ref(m, i) || m->ref[i] > (int64_t)m->kc[i] ||
		    (m->found & (1u << CK_REFCOUNT)))
			continue;
		r = add(out, &n, CK_REFCOUNT, true, i << 12);
		snprintf(r->detail, sizeof(r->detail),
			 "page %" PRIu64 " (frame 0x%" PRIx64 ") has %d reference%s for %"
			 PRIu64 " mapping%s: the fault handler gave it to user space "
			 "without get_page(), so the unmap frees a page the driver "
			 "still uses", i, m->pfn[i] - 1, m->ref[i], m->ref[i] == 1 ? "" : "s",
			 m->kc[i], m->kc[i] == 1 ? "" : "s");
		break;
	}
	if (dev_n && !(m->found & (1u << CK_CACHED_DEVICE))) {
		struct check_result *r = add(out, &n, CK_CACHED_DEVICE, true,
					     dev_first << 12);

		snprintf(r->detail, sizeof(r->detail),
			 "%" PRIu64 " page%s (the first at offset %#" PRIx64 ", frame 0x%"
			 PRIx64 ") map%s frames without a struct page (device or IO "
			 "memory) write-back cached: use pgprot_noncached() or "
			 "pgprot_writecombine() on vma->vm_page_prot",
			 dev_n, dev_n == 1 ? "" : "s", dev_first << 12,
			 m->pfn[dev_first] - 1, dev_n == 1 ? "s" : "");
	}
	if (slab_n && !(m->found & (1u << CK_SLAB))) {
		struct check_result *r = add(out, &n, CK_SLAB, true, slab_first << 12);

		snprintf(r->detail, sizeof(r->detail),
			 "%" PRIu64 " page%s (the first at offset %#" PRIx64 ", frame 0x%"
			 PRIx64 ") %s slab memory (kmalloc) not marked reserved: a slab "
			 "object need not be page-aligned, and the rest of its page "
			 "belongs to other objects; allocate whole pages (alloc_pages, "
			 "vmalloc_user) for memory user space maps",
			 slab_n, slab_n == 1 ? "" : "s", slab_first << 12,
			 m->pfn[slab_first] - 1, slab_n == 1 ? "is" : "are");
	}
	return n;
}

bool dmap_vmalloc_check(const struct dmap *m, const struct kmap_lookup *k,
			struct check_result *out)
{
	uint64_t i, j, kaddr = 0, first = 0, bad = 0, bad_at = 0, want_at = 0;

	if (!(m->k.flags & VMF_PFNMAP) || (m->found & (1u << CK_VMALLOC)))
		return false;
	for (i = 0; i < m->npages && !kaddr; i++)
		if (m->pfn[i] && m->has_k[i] && !(m->kf[i] & (1ULL << KPF_NOPAGE))) {
			kaddr = k->kaddr_of(k->ctx, m->pfn[i] - 1);
			first = i;
		}
	if (!kaddr)
		return false;
	/* as remap_pfn_range maps them: contiguous frames from the first */
	for (j = first + 1; j < m->npages; j++) {
		uint64_t want = k->pfn_at(k->ctx, kaddr + ((j - first) << 12));

		if (!m->pfn[j] || !want || want == m->pfn[j] - 1)
			continue;
		if (!bad++) {
			bad_at = j;
			want_at = want;
		}
	}
	out->check = CK_VMALLOC;
	out->has_offset = true;
	out->offset = first << 12;
	if (bad)
		snprintf(out->detail, sizeof(out->detail),
			 "the frame at offset %#" PRIx64 " (0x%" PRIx64 ") is vmalloc "
			 "memory (kernel address %#" PRIx64 ") and the VMA is VM_PFNMAP: "
			 "remap_pfn_range maps physically contiguous frames, vmalloc "
			 "memory is not, and %" PRIu64 " page%s show%s other memory (offset "
			 "%#" PRIx64 " maps 0x%" PRIx64 ", the buffer has 0x%" PRIx64 "); "
			 "use remap_vmalloc_range, or a fault handler with vmalloc_to_page",
			 first << 12, m->pfn[first] - 1, kaddr, bad, bad == 1 ? "" : "s",
			 bad == 1 ? "s" : "", bad_at << 12, m->pfn[bad_at] - 1, want_at);
	else
		snprintf(out->detail, sizeof(out->detail),
			 "the frame at offset %#" PRIx64 " (0x%" PRIx64 ") is vmalloc "
			 "memory (kernel address %#" PRIx64 ") mapped with remap_pfn_range: "
			 "it is physically contiguous only by chance; use "
			 "remap_vmalloc_range, or a fault handler with vmalloc_to_page",
			 first << 12, m->pfn[first] - 1, kaddr);
	return true;
}

static const char *access_word(uint32_t error_code)
{
	if (error_code & 0x10)
		return "an instruction fetch";
	return error_code & 0x2 ? "a write" : "a read";
}

bool dmap_fault(struct dmap *m, const struct flt_event *e, struct check_result *out)
{
	uint64_t idx = (e->addr - m->start) >> 12, off = e->addr - m->start;

	if (e->result < FLT_NR_RESULTS)
		m->faults[e->result]++;
	if (e->flags & FLT_HAS_PFN) {
		/* a huge leaf maps its whole span: every page of it in the VMA */
		uint64_t span = 1ULL << (9 * (e->level < 3 ? e->level : 2));
		uint64_t page = e->addr >> 12, first = page & ~(span - 1), p;
		uint64_t mfirst = m->start >> 12, mend = m->end >> 12;

		for (p = first; p < first + span; p++)
			if (p >= mfirst && p < mend)
				dmap_set_frame(m, p - mfirst, e->pfn - (page - p),
					       cache_mode(m->k.page_prot, 0));
		m->rep_n = 0;
		return false;
	}
	if (e->result == FLT_SIGBUS || e->result == FLT_SIGSEGV) {
		uint64_t have = 0, top = 0, i;
		char upto[80];

		if (m->found & (1u << CK_PAST_END))
			return false;
		for (i = 0; i < m->npages; i++)
			if (m->pfn[i]) {
				have++;
				top = i + 1;
			}
		out->check = CK_PAST_END;
		out->has_offset = true;
		out->offset = off;
		if (have)
			snprintf(upto, sizeof(upto), "%" PRIu64 " page%s (up to offset %#"
				 PRIx64 ")", have, have == 1 ? "" : "s", top << 12);
		else
			snprintf(upto, sizeof(upto), "no page");
		snprintf(out->detail, sizeof(out->detail),
			 "%s at offset %#" PRIx64 " (page %" PRIu64 " of %" PRIu64 ") "
			 "ended in %s; the driver has backed %s so far: its mmap "
			 "accepted a VMA longer than the memory behind it (check the "
			 "length against the buffer in mmap and return -EINVAL)",
			 access_word(e->error_code), off, idx, m->vpages,
			 e->result == FLT_SIGBUS ? "SIGBUS" : "SIGSEGV", upto);
		return true;
	}
	if (e->result != FLT_MINOR && e->result != FLT_UNKNOWN && e->result != FLT_RETRY)
		return false;
	if (m->rep_n && m->rep_page == e->addr >> 12) {
		m->rep_n++;
	} else {
		m->rep_page = e->addr >> 12;
		m->rep_n = 1;
	}
	if (m->rep_n != NO_PAGE_REPEAT || (m->found & (1u << CK_NO_PAGE)))
		return false;
	out->check = CK_NO_PAGE;
	out->has_offset = true;
	out->offset = off & ~0xfffULL;
	snprintf(out->detail, sizeof(out->detail),
		 "offset %#" PRIx64 " faulted %d times in a row and no page was "
		 "installed: the fault handler returns success (0 or VM_FAULT_NOPAGE) "
		 "without setting vmf->page or inserting a pfn, so the access "
		 "repeats forever", (uint64_t)(off & ~0xfffULL), NO_PAGE_REPEAT);
	return true;
}
