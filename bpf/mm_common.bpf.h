/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bpf/mmap.bpf.c and bpf/exec_vmas.bpf.c share: the filter (read-only
 * globals set before load, the `traced` map user space shares between the
 * objects), the ring buffer, event building and the path walk.
 */
#ifndef VMSCOPE_MM_COMMON_BPF_H
#define VMSCOPE_MM_COMMON_BPF_H

/* set between open and load */
const volatile __u8 watch_nr[MM_NR_MAX] = {};	/* 1: trace this syscall */
const volatile __u8 vmas_of_nr[MM_NR_MAX] = {};	/* enum mm_vma_when */
const volatile __u32 system_wide = 0;		/* else only `traced` tgids */
const volatile __u32 follow_forks = 0;
const volatile __u32 self_tgid = 0;		/* never trace vmscope */
const volatile char comm_filter[16] = {};	/* system-wide: only this comm */
const volatile __u64 wakeup_bytes = 1 << 16;	/* force a wake-up past this */

/* out */
__u64 lost = 0;		/* records dropped: ring buffer full */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);	/* resized by user space */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VMS_TRACED_MAX);
	__type(key, __u32);		/* tgid */
	__type(value, __u8);
} traced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct mm_event);
} scratch SEC(".maps");

/*
 * Copy what user space needs of a VMA; returns its file (or NULL).
 * fill_vma: for a VMA pointer the verifier knows (bpf_find_vma's callback,
 * the task_vma iterator), read with plain loads, which cost nothing next
 * to a bpf_probe_read_kernel call each (8 of them were a third of trace's
 * cost per mmap). fill_vma_read: for a pointer kept in a map (kprobe
 * arguments), read with bpf_probe_read_kernel.
 */
#define VMA_LOAD(...) ___arrow(__VA_ARGS__)
#define DEFINE_FILL_VMA(name, RD)						\
static __always_inline struct file *name(struct mm_vma *v,			\
					 struct vm_area_struct *vma)		\
{										\
	struct file *f = RD(vma, vm_file);					\
										\
	v->start = RD(vma, vm_start);						\
	v->end = RD(vma, vm_end);						\
	v->flags = RD(vma, vm_flags);						\
	v->pgoff = RD(vma, vm_pgoff);						\
	v->page_prot = RD(vma, vm_page_prot.pgprot);				\
	v->has_file = f != NULL;						\
	v->ino = f ? RD(f, f_inode, i_ino) : 0;					\
	v->dev = f ? RD(f, f_inode, i_sb, s_dev) : 0;				\
	v->i_mode = f ? RD(f, f_inode, i_mode) : 0;				\
	v->s_magic = f ? (__u32)RD(f, f_inode, i_sb, s_magic) : 0;		\
	return f;								\
}
DEFINE_FILL_VMA(fill_vma, VMA_LOAD)
DEFINE_FILL_VMA(fill_vma_read, BPF_CORE_READ)

/*
 * The current task's comm: two plain loads from the trusted task pointer.
 * bpf_get_current_comm's strscpy was ~50 ns a call here, a tenth of
 * trace's cost per mmap. A comm being renamed meanwhile may come out
 * torn, as /proc/PID/comm may.
 */
static __always_inline void current_comm(char dst[16])
{
	struct task_struct *task = bpf_get_current_task_btf();

	__builtin_memcpy(dst, task->comm, 16);
}

static __always_inline bool comm_matches(void)
{
	char comm[16];
	int i;

	if (!comm_filter[0])
		return true;
	current_comm(comm);
	for (i = 0; i < 16; i++) {
		if (comm[i] != comm_filter[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline bool is_traced(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (system_wide)
		return comm_matches();
	return bpf_map_lookup_elem(&traced, &tgid) != NULL;
}

/*
 * The current thread's value in the task storage MAP (whose value type has
 * a `traced` field), created once its process TGID is traced; NULL when it
 * is not, with FULL (a bool lvalue) set when the value could not be made.
 * `traced` only grows, so a thread found in it once remembers that in its
 * value (a hash lookup less per event); the comm filter of system-wide
 * runs is checked every time, as exec changes comms.
 */
#define TRACED_STORAGE(map, tgid, full) ({					\
	struct task_struct *__task = bpf_get_current_task_btf();		\
	__typeof__(*(map).value) *__v;						\
										\
	(full) = false;								\
	__v = bpf_task_storage_get(&(map), __task, 0, 0);			\
	if (!__v || !__v->traced) {						\
		__v = NULL;							\
		if (is_traced(tgid)) {						\
			__v = bpf_task_storage_get(&(map), __task, 0,		\
					BPF_LOCAL_STORAGE_GET_F_CREATE);	\
			if (__v)						\
				__v->traced = !system_wide;			\
			else							\
				(full) = true;					\
		}								\
	}									\
	__v;									\
})

/*
 * Build the path of a file backwards into ev->path, ending at MM_PATH_MAX,
 * crossing mount points like d_path does. One path component per
 * bpf_loop step, so the verifier checks the step once. Pseudo files get
 * the names /proc/PID/maps gives them (pseudo_name).
 */
struct path_walk {
	struct dentry *d;
	struct mount *mnt;
	struct mm_event *ev;
	__u32 off;
};

static long path_step(__u32 i, void *data)
{
	struct path_walk *w = data;
	struct mm_event *ev = w->ev;
	/* locals: CO-RE reads must start from kernel types, not path_walk */
	struct dentry *d = w->d, *parent = BPF_CORE_READ(d, d_parent);
	struct mount *mnt = w->mnt;
	struct dentry *root = BPF_CORE_READ(mnt, mnt.mnt_root);
	const unsigned char *name;
	__u32 len, off = w->off;

	if (d == root || d == parent) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (up == mnt || !up)
			return 1;		/* the root of everything */
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		return 0;
	}
	len = BPF_CORE_READ(d, d_name.len) & 255;
	name = BPF_CORE_READ(d, d_name.name);
	if (len + 1 > off || off > MM_PATH_MAX) {
		ev->path_flags |= MM_PATH_TRUNC;
		return 1;
	}
	off -= len;
	bpf_probe_read_kernel(&ev->path[off & (MM_PATH_MAX - 1)], len, name);
	off -= 1;
	ev->path[off & (MM_PATH_MAX - 1)] = '/';
	w->off = off;
	w->d = parent;
	return 0;
}

#define ANON_INODE_FS_MAGIC	0x09041934
#define SOCKFS_MAGIC		0x534F434B
#define PIPEFS_MAGIC		0x50495045

/* path[i] = c, i masked where the verifier sees it (else clang folds
 * the mask into the pointer arithmetic) */
static __always_inline void path_put(struct mm_event *ev, __u32 i, char c)
{
	i &= MM_PATH_MAX - 1;
	barrier_var(i);
	ev->path[i] = c;
}

/* s (a literal) in front of path[off...]; the new off */
#define PATH_PREPEND(ev, off, s) ({					\
	__u32 __o = (off) - (sizeof(s) - 1), __k;			\
	for (__k = 0; __k < sizeof(s) - 1; __k++)			\
		path_put((ev), __o + __k, (s)[__k]);			\
	__o;								\
})

/*
 * A file with no place in any tree (its dentry is its own parent and no
 * mount's root): the kernel names it with the file system's d_dname,
 * "anon_inode:[perf_event]", "socket:[123]", "pipe:[45]", as maps and
 * strace -y show. Returns 0 when it is not such a file or not one of
 * those: the walk names it then ("/" when nothing more is known).
 */
static __always_inline int pseudo_name(struct dentry *d, struct mount *mnt,
				       struct mm_event *ev)
{
	__u64 magic = BPF_CORE_READ(d, d_sb, s_magic), ino;
	__u32 off = MM_PATH_MAX, len, i;

	if (d != BPF_CORE_READ(d, d_parent) || d == BPF_CORE_READ(mnt, mnt.mnt_root))
		return 0;
	if (magic == ANON_INODE_FS_MAGIC) {
		len = BPF_CORE_READ(d, d_name.len) & 255;
		off -= len;
		bpf_probe_read_kernel(&ev->path[off & (MM_PATH_MAX - 1)], len,
				      BPF_CORE_READ(d, d_name.name));
		off = PATH_PREPEND(ev, off, "anon_inode:");
	} else if (magic == SOCKFS_MAGIC || magic == PIPEFS_MAGIC) {
		ino = BPF_CORE_READ(d, d_inode, i_ino);
		off = PATH_PREPEND(ev, off, "]");
		for (i = 0; i < 20; i++) {
			path_put(ev, --off, '0' + ino % 10);
			ino /= 10;
			if (!ino)
				break;
		}
		if (magic == SOCKFS_MAGIC)
			off = PATH_PREPEND(ev, off, "socket:[");
		else
			off = PATH_PREPEND(ev, off, "pipe:[");
	} else {
		return 0;
	}
	ev->path_off = off;
	return 1;
}

static __always_inline void file_path(struct file *file, struct mm_event *ev)
{
	struct vfsmount *vfs = BPF_CORE_READ(file, f_path.mnt);
	struct path_walk w = {
		.d = BPF_CORE_READ(file, f_path.dentry),
		.mnt = container_of(vfs, struct mount, mnt),
		.ev = ev,
		.off = MM_PATH_MAX,
	};

	ev->path_flags = MM_PATH_SET;
	if (pseudo_name(w.d, w.mnt, ev))
		return;
	bpf_loop(64, path_step, &w, 0);
	if (w.off == MM_PATH_MAX) {
		w.off--;
		ev->path[w.off & (MM_PATH_MAX - 1)] = '/';
	}
	ev->path_off = w.off;
}

/* records this CPU sent since it last asked how full the ring is */
#define WAKE_ASK_EVERY 16	/* a power of two */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} wake_tick SEC(".maps");

/*
 * Batch wake-ups: per-event wake-ups cost ~70% on busy workloads
 * (KERNELS.md); user space also polls on a short timeout. The ring's
 * fill level is asked every WAKE_ASK_EVERY records of a CPU, not every
 * record: the question cost 100-140 ns a record here (it reads the
 * consumer position user space keeps writing from the other CPU), a
 * quarter of trace's program at a call's exit. The wake-up comes at most
 * 15 records per CPU later than it would have.
 */
static __always_inline __u64 wake_flags(__u32 type)
{
	__u32 zero = 0, *tick;

	if (!wakeup_bytes || type == MM_EV_EXEC)	/* rare; user space
							 * reads /proc then */
		return BPF_RB_FORCE_WAKEUP;
	tick = bpf_map_lookup_elem(&wake_tick, &zero);
	if (tick && (++*tick & (WAKE_ASK_EVERY - 1)))
		return BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void submit(struct mm_event *ev)
{
	__u64 size = MM_EVENT_HDR;

	/* the unused tail of vma[] is not sent, unless a path follows */
	if (ev->path_flags & MM_PATH_SET)
		size += MM_PATH_BUF;
	else if (ev->nvma < MM_MAX_VMAS)	/* & 3: a bound the verifier sees */
		size = MM_EVENT_HDR - sizeof(ev->vma) +
		       (ev->nvma & (MM_MAX_VMAS - 1)) * sizeof(struct mm_vma);
	if (bpf_ringbuf_output(&events, ev, size, wake_flags(ev->type)))
		__sync_fetch_and_add(&lost, 1);
}

/* The common head of a record being built in ev (scratch or ring). */
static __always_inline void event_head(struct mm_event *ev, __u32 type)
{
	__u64 id = bpf_get_current_pid_tgid();

	ev->type = type;
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	ev->path_flags = 0;
	ev->path_off = 0;
	ev->nvma = 0;
	ev->vma_more = 0;
	ev->vma_when = MM_VMAS_NONE;
	current_comm(ev->comm);
}

static __always_inline struct mm_event *new_event(__u32 type, __u32 slot)
{
	struct mm_event *ev = bpf_map_lookup_elem(&scratch, &slot);

	if (ev)
		event_head(ev, type);
	return ev;
}

#endif
