// SPDX-License-Identifier: GPL-2.0
/*
 * vmscope_drvtest: a misc device whose mmap does, on request, what driver
 * books teach and the mistakes vmscope driver must find. Loaded only in
 * the test VMs (tests/vm), never on a real machine.
 *
 * ioctl(fd, DRVTEST_SET_MODE, mode) before mmap picks the variant for that
 * open file (see drvtest.h). Correct variants: a kmalloc'd buffer mapped
 * with remap_pfn_range, a vmalloc'd buffer served by a .fault handler
 * (vmalloc_to_page + get_page), remap_vmalloc_range. Buggy variants: one
 * per finding of vmscope-driver(8).
 */
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/vmalloc.h>

#include "drvtest.h"

#define BUF_SIZE	(DRVTEST_BUF_PAGES * PAGE_SIZE)

/* a physical address no RAM and no device claims in the test VM (1 GiB
 * of RAM): stands in for a device's memory */
#define FAKE_IO_PHYS	0x7ff000000ULL

static void *kbuf;	/* kzalloc, page allocator size: page aligned */
static void *vbuf;	/* vmalloc_user */
static void *sbuf;	/* a small kmalloc object: slab memory */

static void set_flags(struct vm_area_struct *vma, unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static void clear_flags(struct vm_area_struct *vma, unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

static unsigned long vma_pages_of(struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/* ---- fault handlers ----------------------------------------------------- */

static vm_fault_t fault_vmalloc(struct vm_fault *vmf)
{
	struct page *page;

	if (vmf->pgoff >= DRVTEST_BUF_PAGES)
		return VM_FAULT_SIGBUS;
	page = vmalloc_to_page(vbuf + (vmf->pgoff << PAGE_SHIFT));
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct vmalloc_ops = {
	.fault = fault_vmalloc,
};

/* BUG 7: the page goes to user space without a reference of its own; the
 * buffer is per open file and never freed, so the unmap that frees its
 * pages early harms nobody else */
static vm_fault_t fault_noref(struct vm_fault *vmf)
{
	void *buf = vmf->vma->vm_private_data;

	if (vmf->pgoff >= DRVTEST_BUF_PAGES)
		return VM_FAULT_SIGBUS;
	vmf->page = vmalloc_to_page(buf + (vmf->pgoff << PAGE_SHIFT));
	return 0;
}

static const struct vm_operations_struct noref_ops = {
	.fault = fault_noref,
};

/* BUG 7: "success" without a page: the access faults again, forever */
static vm_fault_t fault_nopage(struct vm_fault *vmf)
{
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct nopage_ops = {
	.fault = fault_nopage,
};

/* BUG 5: PFNs inserted from the fault handler into a VM_PFNMAP VMA that
 * lacks VM_DONTEXPAND and VM_DONTDUMP */
static vm_fault_t fault_pfn(struct vm_fault *vmf)
{
	if (vmf->pgoff >= DRVTEST_BUF_PAGES)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vmf->vma, vmf->address,
			      virt_to_phys(kbuf + (vmf->pgoff << PAGE_SHIFT)) >> PAGE_SHIFT);
}

static const struct vm_operations_struct pfn_ops = {
	.fault = fault_pfn,
};

/* ---- mmap ------------------------------------------------------------- */

static int drvtest_mmap(struct file *f, struct vm_area_struct *vma)
{
	unsigned long mode = (unsigned long)f->private_data;
	unsigned long pages = vma_pages_of(vma), size = pages << PAGE_SHIFT;
	unsigned long kpfn = virt_to_phys(kbuf) >> PAGE_SHIFT;
	void *nb;

	switch (mode) {
	case DT_KMALLOC_REMAP:
		/* the textbook way: check the range, honour vm_pgoff */
		if (vma->vm_pgoff + pages > DRVTEST_BUF_PAGES)
			return -EINVAL;
		return remap_pfn_range(vma, vma->vm_start, kpfn + vma->vm_pgoff, size,
				       vma->vm_page_prot);
	case DT_VMALLOC_FAULT:
		if (vma->vm_pgoff + pages > DRVTEST_BUF_PAGES)
			return -EINVAL;
		set_flags(vma, VM_DONTEXPAND | VM_DONTDUMP);
		vma->vm_ops = &vmalloc_ops;
		return 0;
	case DT_REMAP_VMALLOC:
		return remap_vmalloc_range(vma, vbuf, vma->vm_pgoff);
	case DT_BUG_PAST_END:
		/* no length check: the fault handler SIGBUSes past the buffer */
		set_flags(vma, VM_DONTEXPAND | VM_DONTDUMP);
		vma->vm_ops = &vmalloc_ops;
		return 0;
	case DT_BUG_TAIL:
		/* maps the buffer, whatever the VMA's length */
		return remap_pfn_range(vma, vma->vm_start, kpfn,
				       min(size, (unsigned long)BUF_SIZE), vma->vm_page_prot);
	case DT_BUG_PGOFF:
		if (pages > DRVTEST_BUF_PAGES)
			return -EINVAL;
		return remap_pfn_range(vma, vma->vm_start, kpfn, size, vma->vm_page_prot);
	case DT_BUG_VMALLOC:
		/* vmalloc memory is not physically contiguous */
		if (pages > DRVTEST_BUF_PAGES)
			return -EINVAL;
		return remap_pfn_range(vma, vma->vm_start, vmalloc_to_pfn(vbuf), size,
				       vma->vm_page_prot);
	case DT_BUG_FLAGS:
		if (vma->vm_pgoff + pages > DRVTEST_BUF_PAGES)
			return -EINVAL;
		set_flags(vma, VM_PFNMAP);
		clear_flags(vma, VM_DONTEXPAND | VM_DONTDUMP);
		vma->vm_ops = &pfn_ops;
		return 0;
	case DT_BUG_CACHED_IO:
		/* "device memory" mapped without pgprot_noncached */
		if (pages != 1)
			return -EINVAL;
		return remap_pfn_range(vma, vma->vm_start, FAKE_IO_PHYS >> PAGE_SHIFT,
				       PAGE_SIZE, vma->vm_page_prot);
	case DT_BUG_NOREF:
		if (vma->vm_pgoff + pages > DRVTEST_BUF_PAGES)
			return -EINVAL;
		nb = vmalloc_user(BUF_SIZE);	/* leaked on purpose */
		if (!nb)
			return -ENOMEM;
		vma->vm_private_data = nb;
		set_flags(vma, VM_DONTEXPAND | VM_DONTDUMP);
		vma->vm_ops = &noref_ops;
		return 0;
	case DT_BUG_NOPAGE:
		set_flags(vma, VM_DONTEXPAND | VM_DONTDUMP);
		vma->vm_ops = &nopage_ops;
		return 0;
	case DT_BUG_UC_INSERT: {
		/* vm_insert_page takes vm_page_prot as it is: no PAT memtype
		 * check for pages, unlike remap_pfn_range */
		unsigned long i;
		int err;

		if (vma->vm_pgoff + pages > DRVTEST_BUF_PAGES)
			return -EINVAL;
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
		for (i = 0; i < pages; i++) {
			err = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
					     virt_to_page(kbuf + (vma->vm_pgoff + i) * PAGE_SIZE));
			if (err)
				return err;
		}
		return 0;
	}
	case DT_BUG_SLAB:
		/* a kmalloc object shares its page with other objects */
		if (pages != 1)
			return -EINVAL;
		return remap_pfn_range(vma, vma->vm_start, virt_to_phys(sbuf) >> PAGE_SHIFT,
				       PAGE_SIZE, vma->vm_page_prot);
	}
	return -EINVAL;
}

static long drvtest_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	if (cmd != DRVTEST_SET_MODE || arg >= DT_NR)
		return -EINVAL;
	f->private_data = (void *)arg;
	return 0;
}

static int drvtest_open(struct inode *inode, struct file *f)
{
	f->private_data = (void *)(unsigned long)DT_KMALLOC_REMAP;
	return 0;
}

static const struct file_operations drvtest_fops = {
	.owner = THIS_MODULE,
	.open = drvtest_open,
	.mmap = drvtest_mmap,
	.unlocked_ioctl = drvtest_ioctl,
};

static struct miscdevice drvtest_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmscope_drvtest",
	.fops = &drvtest_fops,
	.mode = 0666,
};

static int __init drvtest_init(void)
{
	unsigned long i;
	int err;

	kbuf = kzalloc(BUF_SIZE, GFP_KERNEL);
	vbuf = vmalloc_user(BUF_SIZE);
	sbuf = kzalloc(512, GFP_KERNEL);
	if (!kbuf || !vbuf || !sbuf) {
		err = -ENOMEM;
		goto fail;
	}
	/* pages handed to remap_pfn_range are marked reserved, as the
	 * books say (not the slab one: that is the bug) */
	for (i = 0; i < DRVTEST_BUF_PAGES; i++)
		SetPageReserved(virt_to_page(kbuf + i * PAGE_SIZE));
	for (i = 0; i < BUF_SIZE; i += PAGE_SIZE) {
		((char *)kbuf)[i] = 'k';
		((char *)vbuf)[i] = 'v';
	}
	err = misc_register(&drvtest_dev);
	if (!err)
		return 0;
fail:
	kfree(kbuf);
	vfree(vbuf);
	kfree(sbuf);
	return err;
}

static void __exit drvtest_exit(void)
{
	unsigned long i;

	misc_deregister(&drvtest_dev);
	for (i = 0; i < DRVTEST_BUF_PAGES; i++)
		ClearPageReserved(virt_to_page(kbuf + i * PAGE_SIZE));
	kfree(kbuf);
	vfree(vbuf);
	kfree(sbuf);
}

module_init(drvtest_init);
module_exit(drvtest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmscope test driver: correct and buggy mmap variants");
