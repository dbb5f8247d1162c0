// SPDX-License-Identifier: GPL-2.0
/*
 * mmap-family tracing for `vmscope trace`, tracepoint mode: the BTF raw
 * tracepoints sys_enter/sys_exit (tp_btf: typed pt_regs, no tracefs
 * needed), filtered in the
 * kernel by process and by syscall number, one ring-buffer record per call
 * at its exit, with the VMAs the call left (or, for munmap, removed) read
 * with bpf_find_vma and the path of an mmap'ed fd built from its dentry.
 * sched_process_exec reports the VMAs exec made by itself (ELF segments,
 * interpreter, stack, vdso), fork and exit keep the traced set current.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "vmscope_abi.h"

char LICENSE[] SEC("license") = "GPL";

#include "mm_common.bpf.h"

/*
 * The first VMA the thread's last read found, with mm->mm_lock_seq as it
 * was then. munmap asks at entry for the VMAs it will remove, most often
 * the one the thread's mmap just reported: while no one has held mmap_lock
 * for writing since (the sequence has not moved), that VMA is still exactly
 * what bpf_find_vma would find, and a lookup (~200 ns, a sixth of trace's
 * BPF cost per mmap/munmap pair) is saved.
 */
struct vma_memo {
	__u64 mm;		/* 0: nothing kept */
	__u64 seq;		/* mm_write_seq() */
	struct mm_vma vma;
};

/* A call in flight, per thread. The arguments are read again at exit:
 * x86-64 keeps the user registers in pt_regs for the whole call. */
struct inflight {
	__u64 ts;		/* 0: no traced call in flight */
	__u32 nr;
	__u32 traced;		/* the thread's process is in `traced` */
	__u32 nvma;
	__u32 vma_when;
	__u32 vma_more;
	struct mm_vma vma[MM_MAX_VMAS];
	struct vma_memo memo;
};

/* task storage: no hashing, no preallocated table to create */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} calls SEC(".maps");

/* x86-64 syscall numbers with special handling */
#define NR_MMAP		9
#define NR_MUNMAP	11
#define NR_BRK		12
#define NR_MREMAP	25
#define NR_SHMAT	30
#define NR_EXECVE	59
#define MAP_ANONYMOUS	0x20
#define EBUSY		16

/* mm_lock_seq: a seqcount from 6.12, an int on 6.4-6.11, absent before
 * (and without CONFIG_PER_VMA_LOCK) */
struct seqcount___memo {
	unsigned int sequence;
} __attribute__((preserve_access_index));
struct mm_struct___seqcount {
	struct seqcount___memo mm_lock_seq;
} __attribute__((preserve_access_index));
struct mm_struct___seqint {
	int mm_lock_seq;
} __attribute__((preserve_access_index));

/*
 * A number that changes whenever mmap_lock of MM is taken for writing
 * (6.12+: at lock and at unlock; 6.4-6.11: at unlock and downgrade), the
 * only way a VMA's bounds, flags or file change. 0 where the kernel keeps
 * none: no memo is ever valid there.
 */
static __always_inline __u64 mm_write_seq(struct mm_struct *mm)
{
	struct mm_struct___seqcount *sc = (void *)mm;
	struct mm_struct___seqint *si = (void *)mm;

	if (bpf_core_field_exists(sc->mm_lock_seq.sequence))
		return (1ULL << 32) | sc->mm_lock_seq.sequence;
	if (bpf_core_field_exists(si->mm_lock_seq))
		return (1ULL << 32) | (__u32)si->mm_lock_seq;
	return 0;
}

struct vma_ctx {
	struct mm_vma *out;
	__u64 found;
	__u64 mm, seq;		/* read under mmap_lock: stable */
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_ctx *c = data;
	struct mm_struct *mm = vma->vm_mm;

	fill_vma(c->out, vma);
	c->found = 1;
	c->mm = (__u64)mm;
	c->seq = mm_write_seq(mm);
	return 0;
}

struct vmas_walk {
	__u64 addr, hi;
	struct mm_vma *out;	/* MM_MAX_VMAS entries */
	struct vma_memo *memo;	/* gets the first VMA found */
	__u32 n, more, busy;
};

static long vmas_step(__u32 i, void *data)
{
	struct vmas_walk *w = data;
	struct mm_vma tmp = {};
	struct vma_ctx c = { .out = &tmp };
	__u32 n = w->n;
	long err;

	if (w->addr >= w->hi)
		return 1;
	err = bpf_find_vma(bpf_get_current_task_btf(), w->addr, vma_cb, &c, 0);
	if (err == -EBUSY) {
		w->busy = 1;
		return 1;
	}
	if (err || !c.found || tmp.end <= w->addr)
		return 1;
	if (n >= MM_MAX_VMAS) {
		w->more = 1;
		return 1;
	}
	w->out[n & (MM_MAX_VMAS - 1)] = tmp;
	if (!n) {
		w->memo->vma = tmp;
		w->memo->seq = c.seq;
		w->memo->mm = c.seq ? c.mm : 0;
	}
	w->n = n + 1;
	w->addr = tmp.end;
	return w->addr >= w->hi;
}

/*
 * The VMAs of the current process covering [lo, hi), in order, up to
 * MM_MAX_VMAS; stops at the first hole (bpf_find_vma wants an address
 * inside a VMA). Returns MM_VMAS_BUSY when mmap_lock was contended.
 */
static __always_inline int read_vmas(__u64 lo, __u64 hi, struct inflight *in)
{
	struct vmas_walk w = { .addr = lo, .hi = hi, .out = in->vma, .memo = &in->memo };

	/* most calls cover one VMA: the loop's indirect calls only when not */
	if (!vmas_step(0, &w))
		bpf_loop(MM_MAX_VMAS, vmas_step, &w, 0);
	in->nvma = w.n;
	in->vma_more = w.more;
	return w.busy ? MM_VMAS_BUSY : 0;
}

/*
 * What read_vmas(lo, hi) would find when [lo, hi) lies in the memo's VMA
 * and the memo is still valid: that one VMA. Returns 0 when it cannot
 * tell.
 */
static __always_inline int memo_vmas(__u64 lo, __u64 hi, struct inflight *in)
{
	struct mm_struct *mm = bpf_get_current_task_btf()->mm;
	struct vma_memo *m = &in->memo;

	if (!m->mm || m->mm != (__u64)mm || lo >= hi || lo < m->vma.start ||
	    hi > m->vma.end || m->seq != mm_write_seq(mm))
		return 0;
	in->vma[0] = m->vma;
	in->nvma = 1;
	in->vma_more = 0;
	return 1;
}

/* The struct file behind fd in the current task, or NULL. */
static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds;
	struct file *f = NULL;
	unsigned int max;

	if (fd < 0)
		return NULL;
	max = BPF_CORE_READ(task, files, fdt, max_fds);
	if ((unsigned int)fd >= max)
		return NULL;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* tp_btf: regs is a typed pointer, read without helper calls */
SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	__u32 nr = (__u32)id;
	struct inflight *in;
	bool full;

	if (nr >= MM_NR_MAX || !watch_nr[nr])
		return 0;
	in = TRACED_STORAGE(calls, bpf_get_current_pid_tgid() >> 32, full);
	if (!in)
		return 0;
	in->nr = nr;
	in->vma_when = MM_VMAS_NONE;
	in->nvma = 0;
	in->vma_more = 0;
	if (vmas_of_nr[nr] == MM_VMAS_BEFORE) {
		__u64 lo = regs->di & ~4095ULL;
		__u64 hi = lo + (nr == NR_MUNMAP ? regs->si : 1);

		in->vma_when = MM_VMAS_BEFORE;
		if (!memo_vmas(lo, hi, in) &&
		    read_vmas(lo, hi, in) == MM_VMAS_BUSY)
			in->vma_when = MM_VMAS_BUSY;
	}
	in->ts = bpf_ktime_get_ns();
	return 0;
}

/* What a finished call's record holds beyond event_head's, but for the
 * VMAs themselves. */
static __always_inline void call_fields(struct mm_event *ev, struct inflight *in,
					struct pt_regs *regs, long ret, __u64 now)
{
	ev->nr = in->nr;
	ev->ts_ns = in->ts;
	ev->dur_ns = now - in->ts;
	ev->ret = ret;
	ev->args[0] = regs->di;
	ev->args[1] = regs->si;
	ev->args[2] = regs->dx;
	ev->args[3] = regs->r10;
	ev->args[4] = regs->r8;
	ev->args[5] = regs->r9;
	ev->vma_when = in->vma_when;
	ev->nvma = in->nvma;
	ev->vma_more = in->vma_more;
}

/* A call's record with its N VMAs (a constant), built in place in the
 * ring: no scratch copy, and only the VMAs it has are sent. */
static __always_inline void send_call(struct inflight *in, struct pt_regs *regs,
				      long ret, __u64 now, const __u32 n)
{
	struct mm_event *ev;
	__u32 i;

	ev = bpf_ringbuf_reserve(&events, MM_EVENT_HDR - (MM_MAX_VMAS - n) *
				 sizeof(struct mm_vma), 0);
	if (!ev) {
		__sync_fetch_and_add(&lost, 1);
		return;
	}
	event_head(ev, MM_EV_CALL);
	call_fields(ev, in, regs, ret, now);
	for (i = 0; i < n; i++)
		ev->vma[i] = in->vma[i];
	ev->path_flags = 0;
	ev->path_off = 0;
	bpf_ringbuf_submit(ev, wake_flags(MM_EV_CALL));
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	struct inflight *in = bpf_task_storage_get(&calls, bpf_get_current_task_btf(),
						   0, 0);
	struct mm_event *ev;
	struct file *f = NULL;
	__u64 now, lo = 0, hi = 0;
	__u32 nr, when;

	if (!in || !in->ts)
		return 0;
	now = bpf_ktime_get_ns();
	nr = in->nr;
	when = nr < MM_NR_MAX ? vmas_of_nr[nr & (MM_NR_MAX - 1)] : 0;
	/* MM_VMAS_BEFORE: read at entry (or BUSY then) */
	if (when == MM_VMAS_AFTER && ret >= 0) {
		/* the mapping the call made or changed */
		switch (nr) {
		case NR_MMAP:
		case NR_MREMAP:
		case NR_SHMAT:
			lo = ret;
			hi = lo + 1;	/* the VMA holding the result, merged or not */
			break;
		case NR_BRK:
			if (!regs->di)
				break;	/* brk(NULL) asks, changes nothing */
			lo = ret - 1;	/* the heap VMA ends at the break */
			hi = ret;
			break;
		default:
			lo = regs->di & ~4095ULL;
			hi = lo + regs->si;
			break;
		}
		in->vma_when = MM_VMAS_AFTER;
		if (lo < hi && read_vmas(lo, hi, in) == MM_VMAS_BUSY)
			in->vma_when = MM_VMAS_BUSY;
	}
	if (nr == NR_MMAP && !(regs->r10 & MAP_ANONYMOUS))
		f = fd_file((int)regs->r8);
	if (f) {
		/* a path to build: in the scratch record, sent trimmed */
		ev = new_event(MM_EV_CALL, 0);
		if (ev) {
			call_fields(ev, in, regs, ret, now);
			__builtin_memcpy(ev->vma, in->vma, sizeof(ev->vma));
			file_path(f, ev);
			submit(ev);
		}
	} else {
		switch (in->nvma) {
		case 0: send_call(in, regs, ret, now, 0); break;
		case 1: send_call(in, regs, ret, now, 1); break;
		case 2: send_call(in, regs, ret, now, 2); break;
		case 3: send_call(in, regs, ret, now, 3); break;
		default: send_call(in, regs, ret, now, 4); break;
		}
	}
	in->ts = 0;
	return 0;
}

/* An exec of a traced process; bpf/exec_vmas.bpf.c (6.7+) sends the VMAs
 * it made, older kernels get a snapshot from user space. */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct inflight *in;
	struct mm_event *ev;

	if (!is_traced(bpf_get_current_pid_tgid() >> 32))
		return 0;
	/* a new mm: forget the old one's VMA (its address may come back) */
	in = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), 0, 0);
	if (in)
		in->memo.mm = 0;
	ev = new_event(MM_EV_EXEC, 1);
	if (!ev)
		return 0;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->ret = old_pid;
	submit(ev);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 cpid = BPF_CORE_READ(child, pid);
	struct mm_event *ev;
	__u8 one = 1;

	if (!follow_forks || system_wide || BPF_CORE_READ(child, tgid) != cpid)
		return 0;	/* threads share their process's entry */
	if (!bpf_map_lookup_elem(&traced, &ptgid))
		return 0;
	bpf_map_update_elem(&traced, &cpid, &one, BPF_ANY);
	ev = new_event(MM_EV_FORK, 1);
	if (!ev)
		return 0;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->ret = cpid;
	submit(ev);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid), pid = BPF_CORE_READ(p, pid);
	struct mm_event *ev;

	if (pid != tgid || !is_traced(tgid))
		return 0;
	ev = new_event(MM_EV_EXIT, 1);
	if (!ev)
		return 0;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->ret = BPF_CORE_READ(p, exit_code);
	submit(ev);
	return 0;
}
