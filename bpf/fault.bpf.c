// SPDX-License-Identifier: GPL-2.0
/*
 * Page faults for `vmscope faults`, tracepoint mode.
 *
 * exceptions:page_fault_{user,kernel} (tp_btf) see a fault start: address,
 * ip, error code, kept per thread in task storage. Its outcome comes later
 * on the same thread:
 *  - signal:signal_generate sends SIGBUS/SIGSEGV for faults that failed;
 *  - the software perf event PAGE_FAULTS_MAJ fires when handle_mm_fault
 *    accounts a major fault;
 *  - with `--latency` (exact) PAGE_FAULTS_MIN fires for every minor one,
 *    which gives each fault its latency but costs about a quarter of a
 *    fault-bound workload's speed (perf sampling on every fault);
 *  - without it (lean, the default), a fault that saw neither a signal nor
 *    a major outcome is finished, as minor, at the thread's next fault,
 *    next system call or exit: by then handle_mm_fault has returned.
 *    Kernel-mode faults finished that way may also have been refused and
 *    fixed up, so their result stays unknown.
 * Where fentry/fexit or kprobes load (hmf), handle_mm_fault's return gives
 * every outcome at once: minor, major, a retry (the handler runs again),
 * or the error a signal then reports with its si_code; the latency runs
 * from the exception to the final return.  The perf events and the
 * system-call program are not used then.
 * When a fault is finished the page table of its address is read (a few
 * probe reads through the direct map), so the frame is the one installed.
 * Records share the mmap tracer's ring buffer and `traced` map (user space
 * passes their fds), so VMA changes and faults arrive in one order.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "vmscope_abi.h"

char LICENSE[] SEC("license") = "GPL";

#include "mm_common.bpf.h"

const volatile __u64 direct_base = 0;	/* 0: no page-table reads */
const volatile __u32 top_level = PTW_P4D;
const volatile __u32 summary_only = 0;	/* aggregate, send nothing */
const volatile __u32 exact = 0;		/* PAGE_FAULTS_MIN is attached */
const volatile __u32 hmf = 0;		/* handle_mm_fault's exit is attached */
const volatile __u32 access_mask = 7;	/* 1 << enum flt_access */
const volatile __u32 result_mask = 0x7f;	/* 1 << enum flt_result */
const volatile __u64 addr_lo = 0;	/* --vma ADDR: only [lo, hi) */
const volatile __u64 addr_hi = 0;

__u64 agg_dropped = 0;	/* summary: a counting map was full */

#define ENTRY_ADDR_MASK 0x000ffffffffff000ULL
#define PAGE_PRESENT	0x001ULL
#define PAGE_PSE	0x080ULL
#define SIGBUS		7
#define SIGSEGV		11
#define PF_WRITE	(1 << 1)
#define PF_INSTR	(1 << 4)

struct pending {
	__u64 ts;		/* 0: nothing pending */
	__u64 addr;
	__u64 ip;
	__u32 error_code;
	__u32 kernel;
	__u32 traced;		/* the thread's process is in `traced` */
	__u32 pad;
	/* the last walk's PMD entry: where it is, its value, and the 2 MiB
	 * it covers + 1 (0: none; exec clears it) */
	__u64 pmd_at;
	__u64 pmd_val;
	__u64 pmd_span;
	/* hmf */
	__u64 end_ts;		/* the handler's final return, 0: not yet */
	__u64 hmf_addr;		/* kprobe: the address handle_mm_fault got */
	__u64 hmf_flags;	/* kprobe: its fault flags */
	__u32 res;		/* the handler's error, 0: none (waits for
				 * the signal that carries its si_code) */
	__u32 retried;		/* the handler asked for a retry */
};

/* vm_fault_t bits (include/linux/mm_types.h) */
#define VM_FAULT_OOM		0x000001
#define VM_FAULT_SIGBUS		0x000002
#define VM_FAULT_MAJOR		0x000004
#define VM_FAULT_HWPOISON	0x000010
#define VM_FAULT_HWPOISON_LARGE	0x000020
#define VM_FAULT_SIGSEGV	0x000040
#define VM_FAULT_RETRY		0x000400

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending);
} pend SEC(".maps");

/* --summary */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct flt_bounds);
} bounds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct flt_agg_key);
	__type(value, __u64);
} agg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct flt_ip_key);
	__type(value, __u64);
} agg_ip SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLT_NR_RESULTS * FLT_LAT_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} lat_hist SEC(".maps");

static __always_inline __u32 access_of(__u32 error_code)
{
	if (error_code & PF_INSTR)
		return FLT_EXEC;
	return error_code & PF_WRITE ? FLT_WRITE : FLT_READ;
}

/*
 * The 4K frame mapping addr in the current mm, read level by level. A
 * fault in the same 2 MiB as the thread's last one reads the PMD entry
 * it found then and, if that still holds the same value (the same PTE
 * table is installed), only the PTE: 2 reads instead of 6 (mm, pgd and
 * the levels), ~100 ns less per fault of a sequential toucher. A PMD
 * table freed since then cannot be taken for the live one unless its
 * old word still matches, which a reused page does not give.
 */
static __always_inline int frame_of(struct pending *p, __u64 addr, __u64 *pfn,
				    __u8 *level)
{
	struct task_struct *task;
	__u64 table, entry, size, span = (addr >> 21) + 1;
	int l;

	if (!direct_base)
		return -1;
	if (p->pmd_span == span &&
	    !bpf_probe_read_kernel(&entry, sizeof(entry), (void *)p->pmd_at) &&
	    entry == p->pmd_val) {
		table = direct_base + (entry & ENTRY_ADDR_MASK);
		if (bpf_probe_read_kernel(&entry, sizeof(entry),
					  (void *)(table + ((addr >> 12) & 511) * 8)) ||
		    !(entry & PAGE_PRESENT))
			return -1;	/* zapped again already */
		*pfn = (entry & ENTRY_ADDR_MASK) >> 12;
		*level = PTW_PTE;
		return 0;
	}
	task = bpf_get_current_task_btf();
	table = (__u64)BPF_CORE_READ(task, mm, pgd);
	if (!table)
		return -1;
	/* unrolled: 6.1 rejects a loop whose back-edge follows a call */
#pragma unroll
	for (l = 4; l >= 0; l--) {
		__u32 shift = 12 + 9 * l;
		__u64 at = table + ((addr >> shift) & 511) * 8;

		if (l > top_level)
			continue;
		if (bpf_probe_read_kernel(&entry, sizeof(entry), (void *)at))
			return -1;
		if (!(entry & PAGE_PRESENT))
			return -1;	/* zapped again already */
		size = 1ULL << shift;
		if (l == 0 || (entry & PAGE_PSE)) {
			*pfn = ((entry & ENTRY_ADDR_MASK & ~(size - 1)) +
				(addr & (size - 1))) >> 12;
			*level = l;
			return 0;
		}
		if (l == PTW_PMD) {
			p->pmd_at = at;
			p->pmd_val = entry;
			p->pmd_span = span;
		}
		table = direct_base + (entry & ENTRY_ADDR_MASK);
	}
	return -1;
}

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 b = 0;

	if (v >> 32) { v >>= 32; b += 32; }
	if (v >> 16) { v >>= 16; b += 16; }
	if (v >> 8) { v >>= 8; b += 8; }
	if (v >> 4) { v >>= 4; b += 4; }
	if (v >> 2) { v >>= 2; b += 2; }
	if (v >> 1) { b += 1; }
	return b < FLT_LAT_BUCKETS ? b : FLT_LAT_BUCKETS - 1;
}

static __always_inline void count(void *map, void *key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(map, key);

	if (v)
		*v += 1;	/* per-CPU: no atomics needed */
	else if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) &&
		 !(v = bpf_map_lookup_elem(map, key)))
		__sync_fetch_and_add(&agg_dropped, 1);
	else if (v)
		*v += 1;
}

/*
 * The tag of addr's VMA in the table user space keeps, or 0. A binary
 * search without branches, unrolled: each step is arithmetic on masks
 * (addresses are below 2^63, so a difference's sign bit is a compare),
 * which the verifier walks once and which costs no indirect calls (the
 * bpf_loop version was ~60 ns of the summary's cost per fault).
 */
static __always_inline __u64 vma_tag_of(__u32 tgid, __u64 addr)
{
	struct flt_bounds *b = bpf_map_lookup_elem(&bounds, &tgid);
	__u64 lo = 0, hi, mid, end, m;
	int i;

	if (!b)
		return 0;
	hi = b->n < FLT_BOUNDS ? b->n : FLT_BOUNDS;
#pragma unroll
	for (i = 0; i < 11; i++) {	/* log2(FLT_BOUNDS) + 1 halvings */
		mid = (lo + hi) >> 1;
		end = b->end[mid & (FLT_BOUNDS - 1)];
		/* all ones while lo < hi and end <= addr: go right */
		m = -(((lo - hi) >> 63) & (((addr - end) >> 63) ^ 1));
		lo = (lo & ~m) | ((mid + 1) & m);
		/* all ones while lo < hi and end > addr: go left */
		m = -(((lo - hi) >> 63) & ((addr - end) >> 63));
		hi = (hi & ~m) | (mid & m);
	}
	if (lo < FLT_BOUNDS && lo < b->n && b->start[lo & (FLT_BOUNDS - 1)] <= addr)
		return b->tag[lo & (FLT_BOUNDS - 1)];
	return 0;
}

static __always_inline void aggregate(__u32 tgid, struct pending *p, __u32 result,
				      __u64 lat, bool has_lat)
{
	struct flt_agg_key k = {
		.pid = tgid,
		.access = access_of(p->error_code),
		.result = result,
		.kernel = p->kernel,
	};
	struct flt_ip_key ik = { .pid = tgid, .kernel = p->kernel, .ip = p->ip };

	k.where = vma_tag_of(tgid, p->addr);
	if (!k.where) {
		k.by_page = 1;
		k.where = p->addr & ~0xfffULL;
	}
	count(&agg, &k);
	count(&agg_ip, &ik);
	if (has_lat) {
		__u32 slot = result * FLT_LAT_BUCKETS + log2_bucket(lat);
		__u64 *v = bpf_map_lookup_elem(&lat_hist, &slot);

		if (v)
			*v += 1;
	}
}

/* Whether a fault's start time is read: all but a lean summary, which
 * needs only "pending" (~60 ns a clock) */
static __always_inline bool start_clocked(void)
{
	return !(summary_only && !exact && !hmf);
}

/* Report the pending fault of the current thread (or of task) and clear it. */
static __always_inline void finish(struct pending *p, __u32 tgid, __u32 tid,
				   __u32 result, __s32 si_code, bool measured,
				   bool inferred)
{
	struct flt_event *ev;
	__u64 lat = 0;

	if (!(result_mask & (1U << result)))
		goto out;
	/* the clock only when the outcome was seen as it happened: lean
	 * mode's inferred minor faults have no latency to give, and a lean
	 * summary never read the clock at the start (its majors and signals
	 * would get the time since boot) */
	if (!start_clocked())
		measured = false;
	if (measured)
		lat = (p->end_ts ? p->end_ts : bpf_ktime_get_ns()) - p->ts;
	if (summary_only) {
		aggregate(tgid, p, result, lat, measured);
		goto out;
	}
	/* built in place: no copy from the stack */
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&lost, 1);
		goto out;
	}
	ev->type = FLT_EV_TYPE;
	ev->pid = tgid;
	ev->tid = tid;
	ev->error_code = p->error_code;
	ev->ts_ns = p->ts;
	ev->addr = p->addr;
	ev->ip = p->ip;
	ev->result = result;
	ev->si_code = si_code;
	ev->flags = p->kernel ? FLT_KERNEL : 0;
	ev->latency_ns = lat;
	ev->pfn = 0;
	ev->level = 0;
	ev->pad = 0;
	if (measured)
		ev->flags |= FLT_HAS_LAT;
	/* the frame now mapping the address; failed faults installed none */
	if (result != FLT_SIGBUS && result != FLT_SIGSEGV &&
	    !frame_of(p, p->addr, &ev->pfn, &ev->level))
		ev->flags |= FLT_HAS_PFN;
	if (inferred)
		ev->flags |= FLT_INFERRED;
	current_comm(ev->comm);
	bpf_ringbuf_submit(ev, wake_flags(FLT_EV_TYPE));
out:
	p->ts = 0;
	p->end_ts = 0;
	p->res = 0;
	p->retried = 0;
}

/* A fault with no signal and no major outcome, seen to be over. Exact
 * mode: no minor outcome either, so a kernel-mode one was refused and
 * fixed up, a user-mode one unknown. Lean mode: user mode was minor;
 * kernel mode minor or refused, unknown. */
static __always_inline void finish_quiet(struct pending *p, __u32 tgid, __u32 tid)
{
	/* hmf: the handler's error with no signal (kernel mode fixed it up,
	 * or out of memory); a retry that never came back (fatal signal);
	 * else the handler never ran: refused before it (kernel mode) */
	if (hmf && p->res)
		finish(p, tgid, tid, p->res, 0, true, false);
	else if (hmf && p->retried)
		finish(p, tgid, tid, FLT_RETRY, 0, false, false);
	else if (exact || hmf)
		finish(p, tgid, tid, p->kernel ? FLT_ERROR : FLT_UNKNOWN, 0, false,
		       false);
	else if (p->kernel)
		finish(p, tgid, tid, FLT_UNKNOWN, 0, false, false);
	else
		finish(p, tgid, tid, FLT_MINOR, 0, false, true);
}

static __always_inline int on_fault(__u64 addr, __u64 ip, __u64 error_code,
				    __u32 kernel)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct pending *p;
	bool full;

	if (addr >> 63)		/* kernel half: not a process's memory */
		return 0;
	if (addr_hi && (addr < addr_lo || addr >= addr_hi))
		return 0;
	if (!(access_mask & (1U << access_of(error_code))))
		return 0;
	p = TRACED_STORAGE(pend, tgid, full);
	if (!p) {
		if (full)
			__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	if (p->ts)	/* the previous fault ended without an outcome */
		finish_quiet(p, tgid, (__u32)id);
	p->addr = addr;
	p->ip = ip;
	p->error_code = error_code;
	p->kernel = kernel;
	p->ts = start_clocked() ? bpf_ktime_get_ns() : 1;
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(pf_user, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	return on_fault(address, regs->ip, error_code, 0);
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(pf_kernel, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	return on_fault(address, regs->ip, error_code, 1);
}

static __always_inline int on_done(__u64 addr, __u32 result)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending *p;

	if (!is_traced(id >> 32))
		return 0;
	p = bpf_task_storage_get(&pend, bpf_get_current_task_btf(), 0, 0);
	if (!p || !p->ts)
		return 0;	/* its start was filtered out, or before attach */
	if ((p->addr ^ addr) >> 12) {
		/* not the pending fault's address: that one had no outcome */
		finish_quiet(p, id >> 32, (__u32)id);
		return 0;
	}
	finish(p, id >> 32, (__u32)id, result, 0, true, false);
	return 0;
}

SEC("perf_event")
int pf_minor(struct bpf_perf_event_data *ctx)
{
	return on_done(ctx->addr, FLT_MINOR);
}

SEC("perf_event")
int pf_major(struct bpf_perf_event_data *ctx)
{
	return on_done(ctx->addr, FLT_MAJOR);
}

SEC("tp_btf/signal_generate")
int BPF_PROG(pf_signal, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct pending *p;
	__u64 id, si_addr;

	if ((sig != SIGBUS && sig != SIGSEGV) || task != cur)
		return 0;
	id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	p = bpf_task_storage_get(&pend, cur, 0, 0);
	if (!p || !p->ts)
		return 0;
	si_addr = (__u64)BPF_CORE_READ(info, _sifields._sigfault._addr);
	if ((si_addr ^ p->addr) >> 12)
		return 0;	/* a signal about something else */
	finish(p, id >> 32, (__u32)id, sig == SIGBUS ? FLT_SIGBUS : FLT_SIGSEGV,
	       BPF_CORE_READ(info, si_code), true, false);
	return 0;
}

/* exec: a new mm, so the PMD entry found before is someone else's */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(pf_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct pending *p = bpf_task_storage_get(&pend, bpf_get_current_task_btf(), 0, 0);

	if (p)
		p->pmd_span = 0;
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(pf_exit, struct task_struct *task)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct pending *p = bpf_task_storage_get(&pend, cur, 0, 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (p && p->ts)
		finish_quiet(p, id >> 32, (__u32)id);
	return 0;
}

/* lean mode (not attached in exact mode): a system call means the
 * thread's last fault is over */
SEC("tp_btf/sys_enter")
int BPF_PROG(pf_syscall, struct pt_regs *regs, long nr)
{
	struct pending *p;
	__u64 id;

	p = bpf_task_storage_get(&pend, bpf_get_current_task_btf(), 0, 0);
	if (!p || !p->ts)
		return 0;	/* untraced tasks have no storage: cheap */
	id = bpf_get_current_pid_tgid();
	finish_quiet(p, id >> 32, (__u32)id);
	return 0;
}

/* hmf: handle_mm_fault(flags) returned ret for addr on the current thread */
static __always_inline int on_hmf_exit(__u64 addr, __u64 flags, __u32 ret)
{
	__u64 tried = bpf_core_enum_value(enum fault_flag, FAULT_FLAG_TRIED);
	__u64 id = bpf_get_current_pid_tgid();
	struct pending *p;

	p = bpf_task_storage_get(&pend, bpf_get_current_task_btf(), 0, 0);
	if (!p || !p->ts || ((p->addr ^ addr) >> 12))
		return 0;	/* not an exception's fault (GUP), or filtered */
	if (ret & VM_FAULT_RETRY) {
		p->retried = 1;	/* the handler runs again */
		return 0;
	}
	if (ret & (VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV |
		   VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE)) {
		p->end_ts = bpf_ktime_get_ns();
		if (p->kernel) {	/* fixed up: the call gets -EFAULT */
			finish(p, id >> 32, (__u32)id, FLT_ERROR, 0, true, false);
			return 0;
		}
		/* the signal follows with its si_code; OOM sends none */
		p->res = ret & VM_FAULT_SIGSEGV ? FLT_SIGSEGV :
			 ret & VM_FAULT_OOM ? FLT_ERROR : FLT_SIGBUS;
		return 0;
	}
	/* as mm_account_fault counts it: a second try (the first waited for
	 * I/O with the lock dropped) is major even without the bit; a per-VMA
	 * lock retry is no FAULT_FLAG_TRIED */
	finish(p, id >> 32, (__u32)id,
	       (ret & VM_FAULT_MAJOR) || (flags & tried) ? FLT_MAJOR : FLT_MINOR,
	       0, true, false);
	return 0;
}

SEC("fexit/handle_mm_fault")
int BPF_PROG(hmf_fexit, struct vm_area_struct *vma, unsigned long address,
	     unsigned int flags, struct pt_regs *regs, vm_fault_t ret)
{
	return on_hmf_exit(address, flags, ret);
}

SEC("kprobe/handle_mm_fault")
int BPF_KPROBE(hmf_kentry, struct vm_area_struct *vma, unsigned long address)
{
	struct pending *p;

	p = bpf_task_storage_get(&pend, bpf_get_current_task_btf(), 0, 0);
	if (p && p->ts) {
		p->hmf_addr = address;
		p->hmf_flags = PT_REGS_PARM3(ctx);
	}
	return 0;
}

SEC("kretprobe/handle_mm_fault")
int BPF_KRETPROBE(hmf_kret, unsigned int ret)
{
	struct pending *p;

	p = bpf_task_storage_get(&pend, bpf_get_current_task_btf(), 0, 0);
	if (!p || !p->ts)
		return 0;
	return on_hmf_exit(p->hmf_addr, p->hmf_flags, ret);
}
