// SPDX-License-Identifier: GPL-2.0
/* The driver checks on made-up mappings: each finding fires on the bug it
 * names and stays quiet on the correct variant. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/driver_checks.h"
#include "procfs/kpage.h"
#include "tap.h"
#include "decode/vmflags.h"

#define START 0x7f0000000000ULL

static struct vma_rec rec(uint64_t pages, uint64_t flags, bool fault_handler)
{
	struct vma_rec k;

	memset(&k, 0, sizeof(k));
	k.start = START;
	k.end = START + (pages << 12);
	k.flags = VMF_READ | VMF_WRITE | VMF_SHARED | VMF_MAYSHARE | flags;
	k.has_file = 1;
	k.i_mode = S_IFCHR | 0600;
	k.rdev = (10 << 20) | 123;
	k.page_shift = 12;
	k.fn_fault = fault_handler ? 0xffffffff81000000ULL : 0;
	k.fn_mmap = 0xffffffff81001000ULL;
	return k;
}

static struct flt_event fault(uint64_t addr, uint8_t result, bool pfn)
{
	struct flt_event e;

	memset(&e, 0, sizeof(e));
	e.addr = addr;
	e.result = result;
	e.error_code = 0x4;
	if (pfn) {
		e.flags = FLT_HAS_PFN;
		e.pfn = 0x1000 + ((addr - START) >> 12);
	}
	return e;
}

/* a vmalloc buffer at 0xffffc90000010000 whose page i is frame 0x5000 + 7i */
static uint64_t fake_kaddr_of(void *ctx, uint64_t pfn)
{
	(void)ctx;
	if (pfn >= 0x5000 && pfn < 0x5000 + 28 && (pfn - 0x5000) % 7 == 0)
		return 0xffffc90000010000ULL + ((pfn - 0x5000) / 7) * 4096;
	return 0;
}

static uint64_t fake_pfn_at(void *ctx, uint64_t kaddr)
{
	uint64_t i = (kaddr - 0xffffc90000010000ULL) / 4096;

	(void)ctx;
	return kaddr >= 0xffffc90000010000ULL && i < 4 ? 0x5000 + 7 * i : 0;
}

static bool has(const struct check_result *r, size_t n, enum check ck)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].check == ck)
			return true;
	return false;
}

int main(void)
{
	const uint64_t pfnmap = VMF_PFNMAP | VMF_IO | VMF_DONTEXPAND | VMF_DONTDUMP;
	struct check_result cr[CK_NR], one;
	struct frame_run *runs;
	struct vma_rec k;
	struct dmap *m, *m2;
	size_t n, i;

	/* which files are drivers' */
	k = rec(1, 0, false);
	ok(driver_file(true, k.flags, k.i_mode, 0), "a character device is a driver file");
	ok(!driver_file(true, VMF_READ, S_IFREG | 0644, 0xef53),
	   "a regular ext4 file is not");
	ok(driver_file(true, VMF_READ | VMF_PFNMAP, S_IFREG | 0644, 0x62656572),
	   "a regular file mapped VM_PFNMAP (sysfs resource) is");
	ok(driver_file(true, VMF_READ, S_IFREG | 0600, 0x09041934) &&
	   !strcmp(file_kind(S_IFREG | 0600, 0x09041934), "anon_inode"),
	   "an anon inode with S_IFREG (6.15+) is, of kind anon_inode");
	ok(!driver_file(false, VMF_READ | VMF_PFNMAP, 0, 0), "no file: not a driver's");
	ok(!strcmp(file_kind(S_IFSOCK, 0x534F434B), "socket") &&
	   !strcmp(file_kind(S_IFREG, 0x5345434d), "secretmem"), "sockets, secretmem named");

	/* 5: VM_PFNMAP without DONTEXPAND/DONTDUMP; correct flags: nothing */
	m = dmap_new(1, &(struct vma_rec){ 0 }, NULL, 16);
	dmap_free(m);
	k = rec(4, VMF_PFNMAP | VMF_IO, true);
	m = dmap_new(1, &k, "/dev/x", 1 << 20);
	n = dmap_static_checks(m, cr);
	ok(n == 1 && cr[0].check == CK_PFNMAP_FLAGS && strstr(cr[0].detail, "VM_DONTEXPAND") &&
	   strstr(cr[0].detail, "VM_DONTDUMP") && strstr(cr[0].detail, "mremap"),
	   "pfnmap_flags: both flags missing, both named (%s)", n ? cr[0].detail : "-");
	dmap_free(m);
	k = rec(4, VMF_PFNMAP | VMF_IO | VMF_DONTEXPAND, true);
	m = dmap_new(1, &k, "/dev/x", 1 << 20);
	n = dmap_static_checks(m, cr);
	ok(n == 1 && !strstr(cr[0].detail, "VM_DONTEXPAND") && strstr(cr[0].detail, "VM_DONTDUMP"),
	   "pfnmap_flags: only the missing one named");
	dmap_free(m);
	k = rec(4, pfnmap, true);
	m = dmap_new(1, &k, "/dev/x", 1 << 20);
	ok(dmap_static_checks(m, cr) == 0, "pfnmap with DONTEXPAND and DONTDUMP: no finding");
	dmap_free(m);

	/* 2: no fault handler, walk found 2 of 4 pages */
	k = rec(4, pfnmap, false);
	m = dmap_new(1, &k, "/dev/x", 1 << 20);
	m->walked = true;
	dmap_set_frame(m, 0, 0x500, "uc-");
	dmap_set_frame(m, 1, 0x501, "uc-");
	m->at_mmap = dmap_pages_with_frame(m);
	n = dmap_static_checks(m, cr);
	ok(n == 1 && cr[0].check == CK_UNMAPPED && cr[0].offset == 0x2000 &&
	   strstr(cr[0].detail, "2 of the VMA's 4 pages"),
	   "unmapped_at_mmap: 2 of 4 pages, first hole at 0x2000 (%s)", n ? cr[0].detail : "-");
	dmap_set_frame(m, 2, 0x502, "uc-");
	dmap_set_frame(m, 3, 0x503, "uc-");
	m->at_mmap = dmap_pages_with_frame(m);
	ok(dmap_static_checks(m, cr) == 0, "all 4 mapped: no finding");
	dmap_runs(m, &runs, &n);
	ok(n == 1 && runs[0].pages == 4 && runs[0].pfn == 0x500 && runs[0].vaddr == START,
	   "4 contiguous frames, equal flags: one run");
	free(runs);
	dmap_set_kpage(m, 2, 1ULL << KPF_SLAB, true, 1);
	dmap_runs(m, &runs, &n);
	ok(n == 3 && runs[1].pages == 1 && runs[1].has_count && runs[1].kcount == 1,
	   "a page with other flags splits the run in three");
	free(runs);
	dmap_free(m);
	k = rec(4, pfnmap, true);
	m = dmap_new(1, &k, "/dev/x", 1 << 20);
	m->walked = true;
	ok(dmap_static_checks(m, cr) == 0, "nothing mapped at mmap but a fault handler: no finding");
	dmap_free(m);

	/* 6 and 8: frame flags */
	k = rec(3, pfnmap, false);
	m = dmap_new(1, &k, "/dev/x", 1 << 20);
	for (i = 0; i < 3; i++)
		dmap_set_frame(m, i, 0xfee00 + i, "wb");
	dmap_set_kpage(m, 0, 1ULL << KPF_NOPAGE, false, 0);
	dmap_set_kpage(m, 1, 1ULL << KPF_NOPAGE, false, 0);
	dmap_set_kpage(m, 2, 1ULL << KPF_SLAB, true, 1);
	n = dmap_frame_checks(m, 0, 3, cr);
	ok(has(cr, n, CK_CACHED_DEVICE) && has(cr, n, CK_SLAB) && n == 2,
	   "device frames mapped wb and a slab page: two findings");
	ok(strstr(cr[0].detail, "2 pages") && strstr(cr[0].detail, "pgprot_noncached"),
	   "cached_device_memory says how many and what to use (%s)", cr[0].detail);
	dmap_free(m);
	k = rec(2, pfnmap, false);
	m = dmap_new(1, &k, "/dev/x", 1 << 20);
	dmap_set_frame(m, 0, 0xfee00, "uc-");
	dmap_set_kpage(m, 0, 1ULL << KPF_NOPAGE, false, 0);
	dmap_set_frame(m, 1, 0x1234, "wb");
	dmap_set_kpage(m, 1, (1ULL << KPF_SLAB) | (1ULL << KPF_RESERVED), true, 1);
	ok(dmap_frame_checks(m, 0, 2, cr) == 0,
	   "device memory uncached, reserved slab page: no finding");
	dmap_free(m);

	/* 1: SIGBUS past what the driver backs */
	k = rec(4, 0, true);
	m = dmap_new(1, &k, "anon_inode:kvm-vcpu:0", 1 << 20);
	for (i = 0; i < 3; i++) {
		struct flt_event e = fault(START + (i << 12), FLT_MINOR, true);

		ok(!dmap_fault(m, &e, &one), "a minor fault at page %zu with a frame: no finding", i);
	}
	{
		struct flt_event e = fault(START + 0x3000, FLT_SIGBUS, false);

		ok(dmap_fault(m, &e, &one) && one.check == CK_PAST_END && one.offset == 0x3000 &&
		   strstr(one.detail, "3 pages (up to offset 0x3000)") && strstr(one.detail, "SIGBUS"),
		   "past_end: offset and what was served (%s)", one.detail);
		ok(m->faults[FLT_MINOR] == 3 && m->faults[FLT_SIGBUS] == 1, "faults counted by result");
	}
	dmap_free(m);

	/* 7: the same page refaulting without a frame */
	k = rec(2, VMF_MIXEDMAP, true);
	m = dmap_new(1, &k, "/dev/x", 1 << 20);
	for (i = 0, n = 0; i < 20; i++) {
		struct flt_event e = fault(START + 0x1000, FLT_MINOR, false);

		n += dmap_fault(m, &e, &one);
	}
	ok(n == 1 && one.check == CK_NO_PAGE && one.offset == 0x1000,
	   "fault_no_page: once, after 8 frameless refaults of one page");
	dmap_free(m);
	m = dmap_new(1, &k, "/dev/x", 1 << 20);
	for (i = 0, n = 0; i < 20; i++) {
		struct flt_event e = fault(START + ((i & 1) << 12), FLT_MINOR, i % 3 == 0);

		n += dmap_fault(m, &e, &one);
	}
	ok(n == 0, "faults that get frames (or alternate pages): no fault_no_page");
	dmap_free(m);

	/* a 2M leaf installed by one fault covers 512 pages */
	k = rec(512, VMF_HUGETLB, true);
	k.page_shift = 21;
	m = dmap_new(1, &k, "/anon_hugepage (deleted)", 1 << 20);
	{
		struct flt_event e = fault(START + 0x5000, FLT_MINOR, true);

		e.level = 1;
		e.pfn = 0x200005;
		dmap_fault(m, &e, &one);
		ok(dmap_pages_with_frame(m) == 512 && m->pfn[0] == 0x200000 + 1 &&
		   m->pfn[511] == 0x2001ff + 1, "a PMD leaf fault fills the 512 pages it maps");
	}
	dmap_free(m);

	/* same file: device number for nodes, else inode and filesystem */
	k = rec(1, 0, false);
	m = dmap_new(1, &k, "/dev/x", 16);
	k.ino = 99;
	m2 = dmap_new(2, &k, "/dev/y", 16);
	ok(dmap_same_file(m, m2), "two nodes of one device are the same file");
	k.rdev = (10 << 20) | 124;
	dmap_free(m2);
	m2 = dmap_new(2, &k, "/dev/z", 16);
	ok(!dmap_same_file(m, m2), "another minor is another file");
	dmap_free(m);
	dmap_free(m2);

	/* pages past the cap are not tracked, and not touched */
	k = rec(100, 0, true);
	m = dmap_new(1, &k, NULL, 10);
	dmap_set_frame(m, 50, 0x1, "wb");
	dmap_set_kpage(m, 50, 0, true, 1);
	ok(m->npages == 10 && m->vpages == 100 && dmap_pages_with_frame(m) == 0,
	   "beyond the page cap: nothing kept");
	dmap_free(m);
	/* 7: a page with no reference beyond its mappings */
	k = rec(2, VMF_MIXEDMAP, true);
	m = dmap_new(1, &k, "/dev/x", 16);
	for (i = 0; i < 2; i++) {
		dmap_set_frame(m, i, 0x700 + i, "wb");
		dmap_set_kpage(m, i, 1ULL << KPF_MMAP, true, 1);
	}
	ok(dmap_wants_ref(m, 0), "a mapped, uncompound page wants its refcount");
	dmap_set_ref(m, 0, 2);
	dmap_set_ref(m, 1, 2);
	ok(dmap_frame_checks(m, 0, 2, cr) == 0, "refcount 2 for 1 mapping: no finding");
	dmap_set_ref(m, 1, 1);
	n = dmap_frame_checks(m, 0, 2, cr);
	ok(n == 1 && cr[0].check == CK_REFCOUNT && cr[0].offset == 0x1000 &&
	   strstr(cr[0].detail, "get_page"), "refcount 1 for 1 mapping: page_refcount (%s)",
	   n ? cr[0].detail : "-");
	dmap_set_kpage(m, 1, (1ULL << KPF_MMAP) | (1ULL << KPF_COMPOUND_TAIL), true, 1);
	ok(!dmap_wants_ref(m, 1) && dmap_frame_checks(m, 0, 2, cr) == 0,
	   "a compound tail (refcount lives in the head): not checked");
	dmap_free(m);
	k = rec(2, pfnmap, false);
	m = dmap_new(1, &k, "/dev/x", 16);
	dmap_set_frame(m, 0, 0x700, "wb");
	dmap_set_kpage(m, 0, 0, true, 0);
	ok(!dmap_wants_ref(m, 0), "VM_PFNMAP frames are not refcounted by the mm: not checked");
	dmap_free(m);

	/* 4: remap_pfn_range over vmalloc memory */
	{
		struct kmap_lookup kl = { fake_kaddr_of, fake_pfn_at, NULL };

		k = rec(4, pfnmap, false);
		m = dmap_new(1, &k, "/dev/x", 16);
		for (i = 0; i < 4; i++) {	/* contiguous from vmalloc page 0 */
			dmap_set_frame(m, i, 0x5000 + i, "wb");
			dmap_set_kpage(m, i, 0, true, 1);
		}
		ok(dmap_vmalloc_check(m, &kl, &one) && one.check == CK_VMALLOC &&
		   one.offset == 0 && strstr(one.detail, "3 pages show other memory") &&
		   strstr(one.detail, "0xffffc90000010000"),
		   "vmalloc_remap: frame 0 is vmalloc page 0, 3 others differ (%s)", one.detail);
		for (i = 0; i < 4; i++)
			dmap_set_frame(m, i, 0x5000 + i * 7, "wb");
		ok(dmap_vmalloc_check(m, &kl, &one) && strstr(one.detail, "only by chance"),
		   "vmalloc pages that happen to line up: still reported, as luck");
		for (i = 0; i < 4; i++)
			dmap_set_frame(m, i, 0x9000 + i, "wb");
		ok(!dmap_vmalloc_check(m, &kl, &one), "frames the kernel does not vmap: nothing");
		dmap_free(m);
		k = rec(4, VMF_MIXEDMAP, false);
		m = dmap_new(1, &k, "/dev/x", 16);
		dmap_set_frame(m, 0, 0x5000, "wb");
		dmap_set_kpage(m, 0, 0, true, 1);
		ok(!dmap_vmalloc_check(m, &kl, &one), "vmalloc pages inserted page by page "
		   "(remap_vmalloc_range, VM_MIXEDMAP): fine");
		dmap_free(m);
	}
	ok(!strcmp(check_name(CK_PAST_END), "past_end") && check_runs(CK_VMALLOC) &&
	   !strcmp(check_severity(CK_SLAB), "info"), "names, severities, what runs");
	return tap_done();
}
