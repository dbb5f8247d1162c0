// SPDX-License-Identifier: GPL-2.0
/*
 * The VMAs exec made by itself (ELF segments, interpreter, stack, vdso),
 * read at sched_process_exec with the open-coded task_vma iterator
 * (Linux 6.7+; a separate object so that `trace` still loads on kernels
 * without it, where user space takes a snapshot instead). Shares `traced`
 * and `events` with bpf/mmap.bpf.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "vmscope_abi.h"

char LICENSE[] SEC("license") = "GPL";

#include "mm_common.bpf.h"

extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it,
				 struct task_struct *task, __u64 addr) __ksym;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __ksym;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __ksym;

#define NAME_MAX_SPECIAL 32

/* The name /proc/PID/maps gives a VMA without a file, into ev's path:
 * a special mapping's own ([vdso], [vvar], [vvar_vclock], [uprobes]),
 * else [heap] or [stack] by the mm's bounds (ev->vma[0] holds the VMA's
 * own). A global function, so the verifier checks it once rather than in
 * every state of the iterator loop (14 of the program's 19 ms to load);
 * it takes the VMA's fields as numbers for that, read by the caller. */
__noinline int special_name(__u64 ops_addr, __u64 private_addr, __u64 mm_addr,
			    struct mm_event *ev)
{
	const struct vm_operations_struct *ops = (void *)ops_addr;
	struct mm_struct *mm = (void *)mm_addr;
	char tmp[NAME_MAX_SPECIAL] = {};
	const char *name = NULL;
	__u64 start, end;
	long n = 0;
	__u32 off;

	if (!ev)
		return 0;
	start = ev->vma[0].start;
	end = ev->vma[0].end;
	if (ops && BPF_CORE_READ(ops, name)) {
		/* vm_private_data: the struct vm_special_mapping, name first */
		if (!bpf_probe_read_kernel(&name, sizeof(name), (void *)private_addr) && name)
			n = bpf_probe_read_kernel_str(tmp, sizeof(tmp), name);
	} else if (start <= BPF_CORE_READ(mm, brk) && end >= BPF_CORE_READ(mm, start_brk)) {
		__builtin_memcpy(tmp, "[heap]", 7);
		n = 7;
	} else if (start <= BPF_CORE_READ(mm, start_stack) &&
		   end >= BPF_CORE_READ(mm, start_stack)) {
		__builtin_memcpy(tmp, "[stack]", 8);
		n = 8;
	}
	if (n <= 1 || n > NAME_MAX_SPECIAL)
		return 0;
	off = MM_PATH_MAX - (n - 1);
	bpf_probe_read_kernel(&ev->path[off & (MM_PATH_MAX - 1)],
			      (n - 1) & (NAME_MAX_SPECIAL - 1), tmp);
	ev->path_off = off;
	ev->path_flags = MM_PATH_SET;
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(on_exec_vmas, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	struct mm_event *ev;

	if (!is_traced(bpf_get_current_pid_tgid() >> 32))
		return 0;
	ev = new_event(MM_EV_EXEC_VMA, 1);
	if (!ev)
		return 0;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->vma_when = MM_VMAS_AFTER;
	bpf_iter_task_vma_new(&it, task, 0);
	/* no loop counter: the verifier proves iterator loops by state
	 * convergence, and a counter would make every iteration distinct.
	 * Probe reads, not plain loads: each pointer loaded from a trusted
	 * pointer makes the verifier search all of vmlinux's BTF by name,
	 * which took this program 180 ms to load; an exec's few VMAs do
	 * not notice the slower reads. */
	while ((vma = bpf_iter_task_vma_next(&it))) {
		struct file *f = fill_vma_read(&ev->vma[0], vma);

		ev->nvma = 1;
		ev->path_flags = 0;
		if (f)
			file_path(f, ev);
		else
			special_name((__u64)BPF_CORE_READ(vma, vm_ops),
				     (__u64)BPF_CORE_READ(vma, vm_private_data),
				     (__u64)BPF_CORE_READ(vma, vm_mm), ev);
		submit(ev);
	}
	bpf_iter_task_vma_destroy(&it);
	return 0;
}
