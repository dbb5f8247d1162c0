// SPDX-License-Identifier: GPL-2.0
/*
 * What a driver installs: the helpers drivers call from mmap and fault
 * handlers, and each vm_ops->fault with its return code (at __do_fault,
 * which calls it). Each program body is written once and attached by
 * fexit (arguments and return) or kprobe (arguments; a kretprobe adds the
 * return where it matters), as user space chose per hook. Records go to
 * the mmap tracer's ring and follow its `traced` set.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "vmscope_abi.h"

char LICENSE[] SEC("license") = "GPL";

#include "mm_common.bpf.h"

#define VM_PFNMAP	0x00000400ULL
#define VM_IO		0x00004000ULL
#define VM_MIXEDMAP	0x10000000ULL
#define S_IFMT		00170000
#define S_IFREG		0100000
#define ANON_INODE_FS_MAGIC	0x09041934
#define SECRETMEM_MAGIC		0x5345434d
#define SOCKFS_MAGIC		0x534F434B
#define DMA_BUF_MAGIC		0x444d4142

/* kprobe mode: the vm_fault of a __do_fault in progress, per thread */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} fault_arg SEC(".maps");

/* The driver's own files: what user space calls a driver mapping (a
 * page-cache fault also passes __do_fault, and is not sent). */
static __always_inline bool driver_vma(struct vm_area_struct *vma)
{
	struct file *f = BPF_CORE_READ(vma, vm_file);
	__u32 mode;
	unsigned long magic;

	if (!f)
		return false;
	if (BPF_CORE_READ(vma, vm_flags) & (VM_PFNMAP | VM_IO | VM_MIXEDMAP))
		return true;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	magic = BPF_CORE_READ(f, f_inode, i_sb, s_magic);
	return (mode & S_IFMT) != S_IFREG || magic == ANON_INODE_FS_MAGIC ||
	       magic == SECRETMEM_MAGIC || magic == SOCKFS_MAGIC || magic == DMA_BUF_MAGIC;
}

/* The fields every record has; false when the process is not traced. */
static __always_inline bool ev_init(struct drv_event *ev, __u16 helper,
				    struct vm_area_struct *vma)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!is_traced(id >> 32))
		return false;
	ev->type = DRV_EV_TYPE;
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	ev->helper = helper;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->vma_start = BPF_CORE_READ(vma, vm_start);
	ev->vma_end = BPF_CORE_READ(vma, vm_end);
	return true;
}

static __always_inline void send(__u16 helper, struct vm_area_struct *vma, __u64 addr,
				 __u64 size, __u64 prot, __u64 page0, __u16 flags,
				 __s64 ret, bool has_ret)
{
	struct drv_event ev = {};

	if (!ev_init(&ev, helper, vma))
		return;
	ev.flags = flags | (has_ret ? DRV_HAS_RET : 0);
	ev.addr = addr;
	ev.size = size;
	ev.prot = prot;
	ev.ret = ret;
	ev.page[0] = page0;
	ev.npage = 1;
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), BPF_RB_FORCE_WAKEUP))
		__sync_fetch_and_add(&lost, 1);
}

/* ---- remap_pfn_range(vma, addr, pfn, size, prot) ------------------------ */
SEC("fexit/remap_pfn_range")
int BPF_PROG(remap_fexit, struct vm_area_struct *vma, unsigned long addr,
	     unsigned long pfn, unsigned long size, unsigned long prot, int ret)
{
	send(DH_REMAP_PFN_RANGE, vma, addr, size, prot, pfn, 0, ret, true);
	return 0;
}

SEC("kprobe/remap_pfn_range")
int BPF_KPROBE(remap_kprobe, struct vm_area_struct *vma, unsigned long addr,
	       unsigned long pfn, unsigned long size, unsigned long prot)
{
	send(DH_REMAP_PFN_RANGE, vma, addr, size, prot, pfn, 0, 0, false);
	return 0;
}

/* ---- vm_insert_page(vma, addr, page) ------------------------------------ */
SEC("fexit/vm_insert_page")
int BPF_PROG(insert_page_fexit, struct vm_area_struct *vma, unsigned long addr,
	     struct page *page, int ret)
{
	send(DH_VM_INSERT_PAGE, vma, addr, 4096, 0, (__u64)page, DRV_PAGE_PTR, ret, true);
	return 0;
}

SEC("kprobe/vm_insert_page")
int BPF_KPROBE(insert_page_kprobe, struct vm_area_struct *vma, unsigned long addr,
	       struct page *page)
{
	send(DH_VM_INSERT_PAGE, vma, addr, 4096, 0, (__u64)page, DRV_PAGE_PTR, 0, false);
	return 0;
}

/* ---- vm_insert_pages(vma, addr, pages, num): at entry (num is consumed) -- */
static __always_inline void insert_pages(struct vm_area_struct *vma, unsigned long addr,
					 struct page **pages, unsigned long *num)
{
	struct drv_event ev = {};
	unsigned long n = 0;
	int i;

	if (!ev_init(&ev, DH_VM_INSERT_PAGES, vma))
		return;
	bpf_probe_read_kernel(&n, sizeof(n), num);
	ev.flags = DRV_PAGE_PTR;
	ev.addr = addr;
	ev.size = n;
#pragma unroll
	for (i = 0; i < DRV_MAX_PAGES; i++) {
		if (i >= n)
			break;
		bpf_probe_read_kernel(&ev.page[i], sizeof(ev.page[i]), &pages[i]);
		ev.npage = i + 1;
	}
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), BPF_RB_FORCE_WAKEUP))
		__sync_fetch_and_add(&lost, 1);
}

/* the verifier refuses a typed struct page ** argument: read the raw
 * registers */
SEC("fentry/vm_insert_pages")
int insert_pages_fentry(unsigned long long *ctx)
{
	__u64 vma = 0, addr = 0, pages = 0, num = 0;

	bpf_get_func_arg(ctx, 0, &vma);
	bpf_get_func_arg(ctx, 1, &addr);
	bpf_get_func_arg(ctx, 2, &pages);
	bpf_get_func_arg(ctx, 3, &num);
	insert_pages((struct vm_area_struct *)vma, addr, (struct page **)pages,
		     (unsigned long *)num);
	return 0;
}

SEC("kprobe/vm_insert_pages")
int BPF_KPROBE(insert_pages_kprobe, struct vm_area_struct *vma, unsigned long addr,
	       struct page **pages, unsigned long *num)
{
	insert_pages(vma, addr, pages, num);
	return 0;
}

/* ---- vmf_insert_pfn(vma, addr, pfn), vmf_insert_mixed(vma, addr, pfn) --
 * vmf_insert_mixed's pfn is a pfn_t before 6.16 (flags in the top 12
 * bits), a plain pfn since: either way one register */
#define PFN_T_MASK	((1ULL << 52) - 1)

SEC("fexit/vmf_insert_pfn")
int BPF_PROG(insert_pfn_fexit, struct vm_area_struct *vma, unsigned long addr,
	     unsigned long pfn, unsigned int ret)
{
	send(DH_VMF_INSERT_PFN, vma, addr, 4096, BPF_CORE_READ(vma, vm_page_prot.pgprot),
	     pfn, 0, ret, true);
	return 0;
}

SEC("kprobe/vmf_insert_pfn")
int BPF_KPROBE(insert_pfn_kprobe, struct vm_area_struct *vma, unsigned long addr,
	       unsigned long pfn)
{
	send(DH_VMF_INSERT_PFN, vma, addr, 4096, BPF_CORE_READ(vma, vm_page_prot.pgprot),
	     pfn, 0, 0, false);
	return 0;
}

SEC("fexit/vmf_insert_mixed")
int BPF_PROG(insert_mixed_fexit, struct vm_area_struct *vma, unsigned long addr,
	     __u64 pfn, unsigned int ret)
{
	send(DH_VMF_INSERT_MIXED, vma, addr, 4096, BPF_CORE_READ(vma, vm_page_prot.pgprot),
	     pfn & PFN_T_MASK, 0, ret, true);
	return 0;
}

SEC("kprobe/vmf_insert_mixed")
int BPF_KPROBE(insert_mixed_kprobe, struct vm_area_struct *vma, unsigned long addr,
	       __u64 pfn)
{
	send(DH_VMF_INSERT_MIXED, vma, addr, 4096, BPF_CORE_READ(vma, vm_page_prot.pgprot),
	     pfn & PFN_T_MASK, 0, 0, false);
	return 0;
}

/* ---- remap_vmalloc_range(vma, addr, pgoff) ------------------------------ */
static __always_inline void vmalloc_range(struct vm_area_struct *vma, void *kaddr,
					  unsigned long pgoff, int ret, bool has_ret)
{
	struct drv_event ev = {};

	if (!ev_init(&ev, DH_REMAP_VMALLOC_RANGE, vma))
		return;
	ev.flags = has_ret ? DRV_HAS_RET : 0;
	ev.addr = ev.vma_start;
	ev.size = ev.vma_end - ev.vma_start;
	ev.kaddr = (__u64)kaddr;
	ev.pgoff = pgoff;
	ev.ret = ret;
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), BPF_RB_FORCE_WAKEUP))
		__sync_fetch_and_add(&lost, 1);
}

SEC("fexit/remap_vmalloc_range")
int BPF_PROG(vmalloc_fexit, struct vm_area_struct *vma, void *addr, unsigned long pgoff,
	     int ret)
{
	vmalloc_range(vma, addr, pgoff, ret, true);
	return 0;
}

SEC("kprobe/remap_vmalloc_range")
int BPF_KPROBE(vmalloc_kprobe, struct vm_area_struct *vma, void *addr, unsigned long pgoff)
{
	vmalloc_range(vma, addr, pgoff, 0, false);
	return 0;
}

/* ---- vm_ops->fault, at __do_fault(vmf) ---------------------------------- */
static __always_inline void fault_done(struct vm_fault *vmf, __u32 ret)
{
	struct vm_area_struct *vma = BPF_CORE_READ(vmf, vma);
	__u64 page;

	if (!vma || !driver_vma(vma))
		return;
	page = (__u64)BPF_CORE_READ(vmf, page);
	send(DH_FAULT, vma, BPF_CORE_READ(vmf, address), 4096,
	     BPF_CORE_READ(vma, vm_page_prot.pgprot), page, DRV_PAGE_PTR, ret, true);
}

SEC("fexit/__do_fault")
int BPF_PROG(fault_fexit, struct vm_fault *vmf, unsigned int ret)
{
	fault_done(vmf, ret);
	return 0;
}

SEC("kprobe/__do_fault")
int BPF_KPROBE(fault_kprobe, struct vm_fault *vmf)
{
	__u64 id = bpf_get_current_pid_tgid(), v = (__u64)vmf;
	__u32 tid = (__u32)id;

	if (is_traced(id >> 32))
		bpf_map_update_elem(&fault_arg, &tid, &v, BPF_ANY);
	return 0;
}

SEC("kretprobe/__do_fault")
int BPF_KRETPROBE(fault_kretprobe, unsigned int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *v = bpf_map_lookup_elem(&fault_arg, &tid);

	if (!v)
		return 0;
	fault_done((struct vm_fault *)*v, ret);
	bpf_map_delete_elem(&fault_arg, &tid);
	return 0;
}
