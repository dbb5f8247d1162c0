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
	 * convergence, and a counter would make every iteration distinct */
	while ((vma = bpf_iter_task_vma_next(&it))) {
		struct file *f = fill_vma(&ev->vma[0], vma);

		ev->nvma = 1;
		ev->path_flags = 0;
		if (f)
			file_path(f, ev);
		submit(ev);
	}
	bpf_iter_task_vma_destroy(&it);
	return 0;
}
