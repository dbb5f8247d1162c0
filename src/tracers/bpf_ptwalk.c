// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tracers/bpf_ptwalk.h"
#include "procfs/pagemap.h"
#include "util.h"
#include "ptwalk.skel.h"
#include "procfs/proc.h"

struct ptwalk {
	struct ptwalk_bpf *skel;
	uint64_t base;
	int top;
	uint64_t vmemmap;	/* 0 until found; 1: cannot be found */
};

int paging_levels(void)
{
	static int cached;
	int la57;

	if (cached)
		return cached;
	la57 = proc_cpu_flag("la57");
	if (la57 < 0)
		return la57;
	cached = la57 ? 5 : 4;
	return cached;
}

/* Run the iterator once on pid with the parameters already in .bss. */
static int run_iter(struct ptwalk *pw, pid_t pid)
{
	union bpf_iter_link_info linfo = {};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &linfo,
		    .link_info_len = sizeof(linfo));
	struct bpf_link *link;
	char buf[64];
	int fd, err = 0;
	ssize_t r;

	pw->skel->bss->tgid = pid;
	pw->skel->bss->done = 0;
	pw->skel->bss->vmas_seen = 0;
	pw->skel->bss->count = 0;
	pw->skel->bss->status = PTW_OK;
	linfo.task.pid = pid;
	link = bpf_program__attach_iter(pw->skel->progs.walk, &opts);
	if (!link)
		return errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno != EINTR && errno != EAGAIN) {
			err = -errno;
			break;
		}
	}
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}

static int find_base(struct ptwalk *pw, char *why, size_t whylen)
{
	struct ptwalk_bpf__bss *bss = pw->skel->bss;
	uint64_t *page, raw, magic;
	struct pm_entry e;
	int fd, err, attempt;

	page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return -errno;
	/* locked so reclaim does not move it between pagemap and the probe */
	mlock(page, PAGE_SIZE);
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = -ENOENT;
	for (attempt = 0; attempt < 3; attempt++) {
		magic = ((uint64_t)rand() << 32) ^ (uint64_t)time(NULL) ^
			(uint64_t)(uintptr_t)page ^ 0x766d73636f706521ULL;
		page[0] = magic;
		page[1] = ~magic;
		err = pagemap_read(fd, (uint64_t)(uintptr_t)page, 1, &raw);
		if (err)
			break;
		pagemap_decode(raw, &e);
		if (!e.present || !e.pfn) {
			err = -EPERM;
			snprintf(why, whylen, "page-table walk needs PFNs: "
				 "/proc/self/pagemap hides them without CAP_SYS_ADMIN");
			break;
		}
		bss->mode = PTW_MODE_SEARCH;
		bss->search_pfn = e.pfn;
		bss->search_magic = magic;
		bss->found_base = 0;
		err = run_iter(pw, getpid());
		if (err) {
			snprintf(why, whylen, "page-table walk iterator failed: %s",
				 strerror(-err));
			break;
		}
		if (bss->status == PTW_OK && bss->found_base) {
			pw->base = bss->found_base;
			err = 0;
			break;
		}
		err = -ENOENT;
		snprintf(why, whylen, "direct-map base not found below mm->pgd");
	}
	close(fd);
out:
	munlock(page, PAGE_SIZE);
	munmap(page, PAGE_SIZE);
	return err;
}

int ptwalk_open(struct ptwalk **pwp, char *why, size_t whylen)
{
	struct ptwalk *pw;
	int err, levels;

	*pwp = NULL;
	levels = paging_levels();
	if (levels < 0) {
		snprintf(why, whylen, "cannot read cpuinfo for the paging mode");
		return levels;
	}
	pw = calloc(1, sizeof(*pw));
	if (!pw)
		return -ENOMEM;
	pw->top = levels == 5 ? PTW_PGD : PTW_P4D;
	pw->skel = ptwalk_bpf__open_and_load();
	if (!pw->skel) {
		err = -errno;
		snprintf(why, whylen, "cannot load the page-table walk program: %s%s",
			 strerror(-err), err == -EPERM ? " (needs CAP_BPF and "
			 "CAP_PERFMON, or root)" : "");
		goto fail;
	}
	pw->skel->bss->top_level = pw->top;
	err = find_base(pw, why, whylen);
	if (err)
		goto fail;
	pw->skel->bss->direct_base = pw->base;
	*pwp = pw;
	return 0;
fail:
	ptwalk_close(pw);
	return err;
}

void ptwalk_close(struct ptwalk *pw)
{
	if (!pw)
		return;
	ptwalk_bpf__destroy(pw->skel);
	free(pw);
}

uint64_t ptwalk_direct_base(const struct ptwalk *pw)
{
	return pw->base;
}

int ptwalk_top_level(const struct ptwalk *pw)
{
	return pw->top;
}

int ptwalk_leaves(struct ptwalk *pw, pid_t pid, uint64_t lo, uint64_t hi,
		  ptwalk_cb cb, void *arg)
{
	struct ptwalk_bpf__bss *bss = pw->skel->bss;
	int err, retries = 0;

	while (lo < hi) {
		bss->mode = PTW_MODE_LEAVES;
		bss->range_lo = lo;
		bss->range_hi = hi;
		bss->next_addr = hi;
		err = run_iter(pw, pid);
		if (err)
			return err;
		/* no VMA there: unmapped since, or the process has no mm
		 * (exiting, a zombie): nothing found is then no data */
		if (!bss->vmas_seen)
			return -ESRCH;
		if (bss->status == PTW_READ_FAIL) {
			/* a table was freed under us: retry from there */
			if (++retries > 3)
				return -EAGAIN;
			lo = bss->next_addr;
		}
		if (bss->count) {
			err = cb(bss->out, bss->count, arg);
			if (err)
				return err;
		}
		if (bss->status == PTW_FULL) {
			if (bss->next_addr <= lo)
				return -EIO;	/* no progress */
			lo = bss->next_addr;
		} else if (bss->status == PTW_OK) {
			break;
		}
	}
	return 0;
}

int ptwalk_kernel(struct ptwalk *pw, uint64_t lo, uint64_t hi, ptwalk_cb cb, void *arg)
{
	struct ptwalk_bpf__bss *bss = pw->skel->bss;
	int err, retries = 0;

	while (lo < hi) {
		bss->mode = PTW_MODE_KERNEL;
		bss->range_lo = lo;
		bss->range_hi = hi;
		bss->next_addr = hi;
		err = run_iter(pw, getpid());
		if (err)
			return err;
		if (bss->status == PTW_READ_FAIL) {
			if (++retries > 3)
				return -EAGAIN;
			lo = bss->next_addr + 4096;	/* skip what vanished */
			continue;
		}
		if (bss->count) {
			err = cb(bss->out, bss->count, arg);
			if (err)
				return err;
		}
		if (bss->status != PTW_FULL)
			break;
		if (bss->next_addr <= lo)
			return -EIO;
		lo = bss->next_addr;
	}
	return 0;
}

/* vmemmap_base: our own stack is vmalloc'd (VMAP_STACK); its vm_struct
 * holds the struct page pointer of its first page, and the page tables
 * its frame: base = page - pfn * sizeof(struct page). */
static int find_vmemmap(struct ptwalk *pw)
{
	struct ptwalk_bpf__bss *bss = pw->skel->bss;
	const struct ptw_rec *leaf;
	uint64_t pfn;
	int err;

	bss->mode = PTW_MODE_VMEMMAP;
	bss->stack_page = 0;
	err = run_iter(pw, getpid());
	if (err)
		return err;
	if (!bss->done || !bss->count || !bss->stack_page || !bss->page_struct_size)
		return -ENOENT;
	leaf = &bss->out[bss->count - 1];
	if (!leaf->present || leaf->level != PTW_PTE)
		return -ENOENT;
	pfn = pgtable_target(leaf->entry, PTW_PTE) >> 12;
	pw->vmemmap = bss->stack_page - pfn * bss->page_struct_size;
	return 0;
}

int ptwalk_vmemmap(struct ptwalk *pw, uint64_t *base, uint32_t *size)
{
	if (!pw->vmemmap && find_vmemmap(pw))
		pw->vmemmap = 1;
	if (pw->vmemmap == 1)
		return -ENOENT;
	*base = pw->vmemmap;
	*size = pw->skel->bss->page_struct_size;
	return 0;
}

int ptwalk_page_refs(struct ptwalk *pw, const uint64_t *pfns, size_t n, int32_t *refs,
		     bool *known)
{
	struct ptwalk_bpf__bss *bss = pw->skel->bss;
	size_t done = 0, i, k;
	int err;

	if (!pw->vmemmap && find_vmemmap(pw))
		pw->vmemmap = 1;
	if (pw->vmemmap == 1)
		return -ENOENT;
	while (done < n) {
		k = n - done < PTW_MAX_RECS ? n - done : PTW_MAX_RECS;
		for (i = 0; i < k; i++)
			bss->out[i].vaddr = pfns[done + i];
		bss->mode = PTW_MODE_PAGEREF;
		bss->vmemmap_base = pw->vmemmap;
		bss->nref = (uint32_t)k;
		err = run_iter(pw, getpid());
		if (err)
			return err;
		for (i = 0; i < k; i++) {
			known[done + i] = bss->out[i].present;
			refs[done + i] = (int32_t)bss->out[i].entry;
		}
		done += k;
	}
	return 0;
}

int ptwalk_levels(struct ptwalk *pw, pid_t pid, uint64_t addr,
		  struct ptw_rec *out, size_t *n, uint64_t *pgd)
{
	struct ptwalk_bpf__bss *bss = pw->skel->bss;
	int err;

	bss->mode = PTW_MODE_LEVELS;
	bss->range_lo = addr;
	err = run_iter(pw, pid);
	if (err)
		return err;
	if (bss->status == PTW_READ_FAIL)
		return -EAGAIN;
	if (!bss->done)
		return -ESRCH;	/* no VMA visited: process has no mm */
	*n = bss->count;
	memcpy(out, bss->out, bss->count * sizeof(*out));
	*pgd = bss->pgd_addr;
	return 0;
}
