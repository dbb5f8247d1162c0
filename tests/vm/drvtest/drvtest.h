/* SPDX-License-Identifier: GPL-2.0 */
/* The test driver's ioctl, shared by the module and tests/workloads/drvuser.c. */
#ifndef VMSCOPE_DRVTEST_H
#define VMSCOPE_DRVTEST_H

#ifdef __KERNEL__
#include <linux/ioctl.h>
#else
#include <sys/ioctl.h>
#endif

#define DRVTEST_SET_MODE	_IO('v', 0x42)
#define DRVTEST_BUF_PAGES	4

enum drvtest_mode {
	/* correct */
	DT_KMALLOC_REMAP,	/* kmalloc'd, reserved, remap_pfn_range */
	DT_VMALLOC_FAULT,	/* vmalloc'd, .fault: vmalloc_to_page + get_page */
	DT_REMAP_VMALLOC,	/* remap_vmalloc_range */
	/* one bug each, by vmscope-driver(8)'s check names */
	DT_BUG_PAST_END,	/* no length check; fault SIGBUSes past the buffer */
	DT_BUG_TAIL,		/* remap of the buffer into a longer VMA */
	DT_BUG_PGOFF,		/* vm_pgoff ignored */
	DT_BUG_VMALLOC,		/* remap_pfn_range over vmalloc memory */
	DT_BUG_FLAGS,		/* VM_PFNMAP fault handler without DONTEXPAND/DONTDUMP */
	DT_BUG_CACHED_IO,	/* device memory mapped write-back */
	DT_BUG_NOREF,		/* fault handler without get_page */
	DT_BUG_NOPAGE,		/* fault returns success, installs nothing */
	DT_BUG_SLAB,		/* a kmalloc object remapped, not reserved */
	DT_BUG_UC_INSERT,	/* the kmalloc buffer's pages inserted uncached:
				 * with a DT_KMALLOC_REMAP mapping, one frame
				 * mapped wb and uc */
	DT_NR,
};

#endif
