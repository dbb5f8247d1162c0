// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "model/residency.h"
#include "procfs/pagemap.h"
#include "tracers/bpf_ptwalk.h"
#include "util.h"

/* What each cell saw, in pages. */
struct cells {
	uint64_t start, npages;
	uint64_t present[RES_STRIP], swap[RES_STRIP], huge[RES_STRIP];
	uint64_t guard[RES_STRIP], zero[RES_STRIP], pfnmap[RES_STRIP];
};

/* pagemap's kinds, and the walk's PFN-mapped frames */
#define K_PFNMAP (PMK_GUARD + 1)

/* First page of cell b (cells split the pages as evenly as they can). */
static uint64_t cell_first(const struct cells *c, unsigned int b)
{
	return (b * c->npages + RES_STRIP - 1) / RES_STRIP;
}

/* Pages [p0, p1) of the VMA are of kind k (enum pm_kind or K_PFNMAP). */
static void add(struct cells *c, uint64_t p0, uint64_t p1, int k)
{
	unsigned int b;

	if (p1 > c->npages)
		p1 = c->npages;
	for (b = (unsigned int)(p0 * RES_STRIP / c->npages); p0 < p1 && b < RES_STRIP; b++) {
		uint64_t e = b + 1 < RES_STRIP ? cell_first(c, b + 1) : c->npages, n;
		uint64_t *to[] = { [PMK_PRESENT] = c->present, [PMK_SWAP] = c->swap,
				   [PMK_HUGE] = c->huge, [PMK_GUARD] = c->guard,
				   [PMK_ZERO] = c->zero, [K_PFNMAP] = c->pfnmap };

		if (e > p1)
			e = p1;
		if (e <= p0)
			continue;
		n = e - p0;
		to[k][b] += n;
		if (k == PMK_HUGE)
			c->present[b] += n;
		p0 = e;
	}
}

static void add_bytes(struct cells *c, uint64_t lo, uint64_t hi, int k)
{
	if (hi > lo && k != PMK_NONE)
		add(c, (lo - c->start) >> PAGE_SHIFT, (hi - c->start) >> PAGE_SHIFT, k);
}

static int on_regions(const struct pm_region *r, size_t n, void *arg)
{
	struct cells *c = arg;
	size_t i;

	for (i = 0; i < n; i++)
		add_bytes(c, r[i].start, r[i].end, pagemap_region_kind(r[i].categories));
	return 0;
}

/* Before 6.7: pagemap's entries, 8 MiB of address space a read. */
static int by_read(int fd, struct cells *c)
{
	static uint64_t buf[1 << 11];
	uint64_t zero = 0, p = 0;

	if (pagemap_zero_pfn(&zero))
		zero = 0;	/* none, or frames hidden: every entry counts */
	while (p < c->npages) {
		size_t n = c->npages - p > ARRAY_SIZE(buf) ? ARRAY_SIZE(buf) : c->npages - p, i;
		int err = pagemap_read(fd, c->start + (p << PAGE_SHIFT), n, buf);

		if (err)
			return err;
		for (i = 0; i < n; i++) {
			int k = pagemap_entry_kind(buf[i], zero);

			if (k != PMK_NONE)
				add(c, p + i, p + i + 1, k);
		}
		p += n;
	}
	return 0;
}

static int on_leaves(const struct ptw_rec *r, size_t n, void *arg)
{
	struct cells *c = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t lo = r[i].vaddr, hi = lo + (ptw_pages(&r[i]) << PAGE_SHIFT);
		uint64_t end = c->start + (c->npages << PAGE_SHIFT);

		if (!r[i].present)
			continue;
		lo = lo < c->start ? c->start : lo;
		hi = hi > end ? end : hi;
		add_bytes(c, lo, hi, K_PFNMAP);
	}
	return 0;
}

static char cell_char(const struct cells *c, unsigned int b, uint64_t pages)
{
	if (c->huge[b])
		return 'H';
	if (c->present[b] && c->present[b] * 4 >= pages * 3)
		return '#';
	if (c->present[b])
		return '+';
	if (c->swap[b])
		return 's';
	if (c->guard[b])
		return 'g';
	if (c->zero[b])
		return 'z';
	return c->pfnmap[b] ? 'p' : '.';
}

int residency_scan(int fd, pid_t pid, struct ptwalk *pw, uint64_t start, uint64_t end,
		   bool blind, struct residency *r)
{
	static struct cells c;	/* 400 bytes of counters, kept off the stack */
	unsigned int b;
	int err = -ENOTTY;

	memset(r, 0, sizeof(*r));
	memset(&c, 0, sizeof(c));
	if (end <= start)
		return -EINVAL;
	c.start = start;
	c.npages = (end - start) >> PAGE_SHIFT;
	if (blind) {
		if (!pw)
			return -EOPNOTSUPP;
		err = ptwalk_leaves(pw, pid, start, end, on_leaves, &c);
		r->from_walk = true;
	} else {
		if (pagemap_scan_supported())
			err = pagemap_scan(fd, start, end, on_regions, &c);
		if (err == -ENOTTY)
			err = by_read(fd, &c);
	}
	if (err)
		return err;
	for (b = 0; b < RES_STRIP; b++) {
		uint64_t first = cell_first(&c, b);
		uint64_t next = b + 1 < RES_STRIP ? cell_first(&c, b + 1) : c.npages;

		r->present += c.present[b];
		r->swap += c.swap[b];
		r->zero += c.zero[b];
		r->huge += c.huge[b];
		r->pfnmap += c.pfnmap[b];
		/* a VMA of fewer pages than cells repeats its pages (the
		 * first cell always holds one) */
		r->strip[b] = next > first ? cell_char(&c, b, next - first) :
			      b ? r->strip[b - 1] : '.';
	}
	r->strip[RES_STRIP] = '\0';
	return 0;
}

/* Two neighbouring cells as one. */
static char merge(char a, char b)
{
	if (a == b)
		return a;
	if (a == 'H' || b == 'H')
		return 'H';
	if (a == '#' || a == '+' || b == '#' || b == '+')
		return '+';
	if (a == 's' || b == 's')
		return 's';
	if (a == 'g' || b == 'g')
		return 'g';
	if (a == 'p' || b == 'p')
		return 'p';
	return a == 'z' || b == 'z' ? 'z' : '.';
}

void residency_strip(const char *strip, unsigned int width, char *out)
{
	unsigned int per = width ? RES_STRIP / width : RES_STRIP, i, k;

	for (i = 0; i < width; i++) {
		char ch = strip[i * per];

		for (k = 1; k < per; k++)
			ch = merge(ch, strip[i * per + k]);
		out[i] = ch;
	}
	out[width] = '\0';
}
