// SPDX-License-Identifier: GPL-2.0
/*
 * VMAs as mmap_region() makes them, for `vmscope trace` in fentry and
 * kprobe modes: what was asked (address, length, vm_flags, pgoff), what
 * came back, and the VMA itself once the file's ->mmap has run: final
 * vm_flags (VM_PFNMAP, VM_IO ...), page protection, owner functions,
 * file. That includes the mappings the kernel makes by itself, such as an
 * exec's ELF segments. mmap_region() does not return the VMA: it passes
 * it to vma_set_page_prot() once the driver is done with it (6.1, 6.12
 * and 6.18 alike), so that call is hooked too, and the VMA read at
 * mmap_region()'s exit while mmap_lock still holds it in place.
 *
 * Each program body is written once and attached by fentry/fexit or
 * kprobe/kretprobe, as user space chose. Records share the mmap tracer's
 * ring and follow its `traced` set.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "vmscope_abi.h"

char LICENSE[] SEC("license") = "GPL";

#include "mm_common.bpf.h"

/* An mmap_region() in flight, per thread */
struct region_call {
	__u64 ts;			/* 0: none */
	__u64 addr, len, vm_flags, pgoff;
	struct vm_area_struct *vma;	/* from vma_set_page_prot() */
	__u32 nr;			/* the syscall that led here */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct region_call);
} regions SEC(".maps");

static __always_inline void region_enter(__u64 addr, __u64 len, __u64 vm_flags,
					 __u64 pgoff)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct region_call *rc;

	if (!is_traced(bpf_get_current_pid_tgid() >> 32))
		return;
	rc = bpf_task_storage_get(&regions, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!rc)
		return;
	rc->addr = addr;
	rc->len = len;
	rc->vm_flags = vm_flags;
	rc->pgoff = pgoff;
	rc->vma = NULL;
	/* orig_ax: the syscall this task is in (execve for ELF segments) */
	rc->nr = (__u32)BPF_CORE_READ((struct pt_regs *)bpf_task_pt_regs(task), orig_ax);
	rc->ts = bpf_ktime_get_ns();
}

static __always_inline void region_vma(struct vm_area_struct *vma)
{
	struct region_call *rc = bpf_task_storage_get(&regions, bpf_get_current_task_btf(),
						      0, 0);

	if (rc && rc->ts)
		rc->vma = vma;
}

static __always_inline void region_exit(long ret)
{
	struct region_call *rc = bpf_task_storage_get(&regions, bpf_get_current_task_btf(),
						      0, 0);
	struct mm_event *ev;
	struct file *f;

	if (!rc || !rc->ts)
		return;
	ev = new_event(MM_EV_REGION, 0);
	if (!ev)
		goto out;
	ev->nr = rc->nr;
	ev->ts_ns = rc->ts;
	ev->dur_ns = bpf_ktime_get_ns() - rc->ts;
	ev->ret = ret;
	ev->args[0] = rc->addr;
	ev->args[1] = rc->len;
	ev->args[2] = rc->vm_flags;
	ev->args[3] = rc->pgoff;
	ev->args[4] = 0;
	ev->args[5] = 0;
	/* on failure the VMA, if one was made, is freed already */
	if (rc->vma && (__u64)ret < (__u64)-4095) {
		struct vm_area_struct *vma = rc->vma;

		f = fill_vma_read(&ev->vma[0], vma);
		ev->nvma = 1;
		ev->vma_when = MM_VMAS_AFTER;
		ev->args[4] = (__u64)BPF_CORE_READ(vma, vm_ops, fault);
		if (f) {
			ev->args[5] = (__u64)BPF_CORE_READ(f, f_op, mmap);
			file_path(f, ev);
		}
	}
	submit(ev);
out:
	rc->ts = 0;
}

/* ---- mmap_region(file, addr, len, vm_flags, pgoff, uf) ------------------
 * Arguments by position (bpf_get_func_arg, bpf_get_func_ret): where the
 * return sits depends on how many arguments the kernel's version has. */
SEC("fentry/mmap_region")
int BPF_PROG(region_fentry)
{
	__u64 a[4] = {};
	int i;

	for (i = 0; i < 4; i++)
		bpf_get_func_arg(ctx, i + 1, &a[i]);
	region_enter(a[0], a[1], a[2], a[3]);
	return 0;
}

SEC("fexit/mmap_region")
int BPF_PROG(region_fexit)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	region_exit((long)ret);
	return 0;
}

SEC("kprobe/mmap_region")
int BPF_KPROBE(region_kprobe, struct file *file, unsigned long addr,
	       unsigned long len, unsigned long vm_flags, unsigned long pgoff)
{
	region_enter(addr, len, vm_flags, pgoff);
	return 0;
}

SEC("kretprobe/mmap_region")
int BPF_KRETPROBE(region_kretprobe, long ret)
{
	region_exit(ret);
	return 0;
}

/* ---- vma_set_page_prot(vma) --------------------------------------------- */
SEC("fentry/vma_set_page_prot")
int BPF_PROG(prot_fentry, struct vm_area_struct *vma)
{
	region_vma(vma);
	return 0;
}

SEC("kprobe/vma_set_page_prot")
int BPF_KPROBE(prot_kprobe, struct vm_area_struct *vma)
{
	region_vma(vma);
	return 0;
}
