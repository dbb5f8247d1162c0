// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "tracers/feature.h"
#include "tracers/bpf_ptwalk.h"
#include "tracers/bpf_vma.h"
#include "procfs/kallsyms.h"
#include "procfs/kpage.h"
#include "procfs/pagemap.h"
#include "util.h"
#include "procfs/proc.h"

#define SYSCALL_FALLBACK "raw_syscalls:sys_enter/sys_exit"
#define INFERRED "inferred (VMA, page-table walk, faults)"

const struct hook_def hook_defs[] = {
	{ "do_mmap", HOOK_FUNCTION, "do_mmap", true, "sys_enter", SYSCALL_FALLBACK, NULL },
	{ "mmap_region", HOOK_FUNCTION, "mmap_region", true, "vm_unmapped_area",
	  "mmap:vm_unmapped_area + VMA snapshot", NULL },
	{ "vma_set_page_prot", HOOK_FUNCTION, "vma_set_page_prot", false, NULL, NULL,
	  "VMA read at the syscall's exit (bpf_find_vma)" },
	{ "handle_mm_fault", HOOK_FUNCTION, "handle_mm_fault", true,
	  "page_fault_user", "exceptions:page_fault_user/kernel", NULL },
	{ "remap_pfn_range", HOOK_FUNCTION, "remap_pfn_range", true, NULL, NULL, INFERRED },
	{ "io_remap_pfn_range", HOOK_FUNCTION, "io_remap_pfn_range", true, NULL, NULL, INFERRED },
	{ "vm_insert_page", HOOK_FUNCTION, "vm_insert_page", true, NULL, NULL, INFERRED },
	{ "vm_insert_pages", HOOK_FUNCTION, "vm_insert_pages", true, NULL, NULL, INFERRED },
	{ "vmf_insert_pfn", HOOK_FUNCTION, "vmf_insert_pfn", true, NULL, NULL, INFERRED },
	{ "vmf_insert_mixed", HOOK_FUNCTION, "vmf_insert_mixed", true, NULL, NULL, INFERRED },
	{ "remap_vmalloc_range", HOOK_FUNCTION, "remap_vmalloc_range", true, NULL, NULL, INFERRED },
	{ "vm_ops->fault", HOOK_FUNCTION, "__do_fault", true, NULL, NULL, INFERRED },
	{ "sys_enter", HOOK_TRACEPOINT, NULL, false, "sys_enter", "raw_syscalls:sys_enter", NULL },
	{ "sys_exit", HOOK_TRACEPOINT, NULL, false, "sys_exit", "raw_syscalls:sys_exit", NULL },
	{ "page_fault_user", HOOK_TRACEPOINT, NULL, false, "page_fault_user",
	  "exceptions:page_fault_user", NULL },
	{ "page_fault_kernel", HOOK_TRACEPOINT, NULL, false, "page_fault_kernel",
	  "exceptions:page_fault_kernel", NULL },
	{ "vm_unmapped_area", HOOK_TRACEPOINT, NULL, false, "vm_unmapped_area",
	  "mmap:vm_unmapped_area", NULL },
	{ "exit_mmap", HOOK_TRACEPOINT, NULL, false, "exit_mmap", "mmap:exit_mmap", NULL },
	{ "signal_generate", HOOK_TRACEPOINT, NULL, false, "signal_generate",
	  "signal:signal_generate", NULL },
	{ "sched_process_exec", HOOK_TRACEPOINT, NULL, false, "sched_process_exec",
	  "sched:sched_process_exec", NULL },
	{ "sched_process_fork", HOOK_TRACEPOINT, NULL, false, "sched_process_fork",
	  "sched:sched_process_fork", NULL },
	{ "sched_process_exit", HOOK_TRACEPOINT, NULL, false, "sched_process_exit",
	  "sched:sched_process_exit", NULL },
	{ "page_faults_min", HOOK_PERF_EVENT, NULL, false, NULL,
	  "software event page-faults-min", NULL },
	{ "page_faults_maj", HOOK_PERF_EVENT, NULL, false, NULL,
	  "software event page-faults-maj", NULL },
};
const size_t hook_defs_count = ARRAY_SIZE(hook_defs);

static const char *const mech_names[] = {
	[MECH_NONE] = "none", [MECH_FENTRY] = "fentry", [MECH_KPROBE] = "kprobe",
	[MECH_TRACEPOINT] = "tracepoint", [MECH_AUTO] = "auto",
};

const char *mech_name(enum mech m)
{
	return m <= MECH_AUTO ? mech_names[m] : "?";
}

int mech_parse(const char *s, enum mech *m)
{
	int i;

	for (i = MECH_FENTRY; i <= MECH_AUTO; i++) {
		if (!strcmp(s, mech_names[i])) {
			*m = i;
			return 0;
		}
	}
	return -EINVAL;
}

const struct hook_def *hook_find(const char *name)
{
	size_t i;

	for (i = 0; i < hook_defs_count; i++)
		if (!strcmp(hook_defs[i].name, name))
			return &hook_defs[i];
	return NULL;
}

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = 0xb7, .dst_reg = 0, .imm = 0 },	/* BPF_MOV64_IMM */
	{ .code = 0x95 },				/* BPF_EXIT */
};

static void set_result(struct probe_result *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_result(struct probe_result *r, int err, const char *fmt, ...)
{
	va_list ap;

	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

static void load_failure(struct probe_result *r, int err, const char *what)
{
	if (err == -EPERM || err == -EACCES)
		set_result(r, err, "%s refused (%s): lockdown, or no CAP_BPF/PERFMON",
			   what, err == -EPERM ? "EPERM" : "EACCES");
	else
		set_result(r, err, "%s failed: %s", what, strerror(-err));
}

static struct btf *vmlinux_btf(void)
{
	static struct btf *btf;
	static int tried;

	if (!tried) {
		tried = 1;
		btf = btf__load_vmlinux_btf();
		if (!btf)
			btf = NULL;
	}
	return btf;
}

static int probe_fentry_one(int btf_id, enum bpf_attach_type type,
			    struct probe_result *r)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type,
		    .attach_btf_id = btf_id);
	const char *what = type == BPF_TRACE_FEXIT ? "fexit" : "fentry";
	int fd, link;

	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "vmscope_probe", "GPL", ret0,
			   ARRAY_SIZE(ret0), &opts);
	if (fd < 0) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%s load", what);
		load_failure(r, -errno, buf);
		return r->err;
	}
	link = bpf_link_create(fd, 0, type, NULL);
	if (link < 0) {
		int err = -errno;

		/* -ENOTSUPP (524): trampoline cannot take this many arguments
		 * (6.1 allows 6; do_mmap has 9) */
		if (err == -524)
			set_result(r, err, "%s attach: ENOTSUPP (more arguments "
				   "than the trampoline takes?)", what);
		else
			set_result(r, err, "%s attach failed: %s", what, strerror(-err));
		close(fd);
		return err;
	}
	close(link);
	close(fd);
	return 0;
}

/* Whether tracing programs load at all, asked without a target: a
 * kernel that takes them says EINVAL (no attach_btf_id) from the verifier,
 * one that refuses them (lockdown, no CAP_BPF/PERFMON) says EPERM first.
 * Saves parsing the kernel's BTF (~10 ms) where fentry cannot be had. */
static int fentry_refused(void)
{
	static int cached = 1;

	if (cached == 1) {
		LIBBPF_OPTS(bpf_prog_load_opts, opts,
			    .expected_attach_type = BPF_TRACE_FENTRY);
		int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "vmscope_probe", "GPL",
				       ret0, ARRAY_SIZE(ret0), &opts);

		cached = fd < 0 && (errno == EPERM || errno == EACCES) ? -errno : 0;
		if (fd >= 0)
			close(fd);
	}
	return cached;
}

static void probe_fentry(const struct hook_def *d, struct probe_result *r)
{
	struct btf *btf;
	int id;

	id = fentry_refused();
	if (id) {
		load_failure(r, id, "fentry load");
		return;
	}
	btf = vmlinux_btf();
	if (!btf) {
		set_result(r, -ENOENT, "no kernel BTF (/sys/kernel/btf/vmlinux)");
		return;
	}
	id = btf__find_by_name_kind(btf, d->func, BTF_KIND_FUNC);
	if (id < 0) {
		set_result(r, -ENOENT, "%s is not a function in kernel BTF "
			   "(inlined or absent)", d->func);
		return;
	}
	if (probe_fentry_one(id, BPF_TRACE_FENTRY, r))
		return;
	if (d->needs_exit && probe_fentry_one(id, BPF_TRACE_FEXIT, r))
		return;
	set_result(r, 0, d->needs_exit ? "fentry+fexit" : "fentry");
}

static int read_int_file(const char *path, int *v)
{
	char *buf;
	int err = read_file(path, &buf, NULL);

	if (err)
		return err;
	*v = atoi(buf);
	free(buf);
	return 0;
}

static int perf_open(struct perf_event_attr *attr, int cpu)
{
	return syscall(SYS_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Attach prog_fd to a perf event; 0 or -errno. */
static int perf_attach(struct perf_event_attr *attr, int prog_fd)
{
	int pfd = perf_open(attr, 0), err = 0;

	if (pfd < 0)
		return -errno;
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd))
		err = -errno;
	close(pfd);
	return err;
}

static int probe_kprobe_one(const char *func, bool ret, int type,
			    struct probe_result *r)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = type,
		.config1 = (uint64_t)(uintptr_t)func,
	};
	int fd, err;

	if (ret) {
		int bit;
		char *fmt;

		bit = 0;	/* "config:0" on every kernel seen */
		if (!read_file("/sys/bus/event_source/devices/kprobe/format/retprobe",
			       &fmt, NULL)) {
			if (sscanf(fmt, "config:%d", &bit) != 1 || bit < 0 || bit > 63)
				bit = 0;
			free(fmt);
		}
		attr.config |= 1ULL << bit;
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "vmscope_probe", "GPL", ret0,
			   ARRAY_SIZE(ret0), NULL);
	if (fd < 0) {
		load_failure(r, -errno, "kprobe program load");
		return r->err;
	}
	err = perf_attach(&attr, fd);
	close(fd);
	if (err)
		set_result(r, err, "%s on %s failed: %s", ret ? "kretprobe" : "kprobe",
			   func, strerror(-err));
	return err;
}

static void probe_kprobe(const struct hook_def *d, struct probe_result *r)
{
	int type;

	if (read_int_file("/sys/bus/event_source/devices/kprobe/type", &type)) {
		set_result(r, -ENOENT, "no kprobe PMU: kernel built without "
			   "CONFIG_KPROBES");
		return;
	}
	if (probe_kprobe_one(d->func, false, type, r))
		return;
	if (d->needs_exit && probe_kprobe_one(d->func, true, type, r))
		return;
	set_result(r, 0, d->needs_exit ? "kprobe+kretprobe" : "kprobe");
}

static void probe_raw_tp(const char *name, struct probe_result *r)
{
	int fd, tp;

	fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "vmscope_probe", "GPL",
			   ret0, ARRAY_SIZE(ret0), NULL);
	if (fd < 0) {
		load_failure(r, -errno, "tracepoint program load");
		return;
	}
	tp = bpf_raw_tracepoint_open(name, fd);
	if (tp < 0)
		set_result(r, -errno, "tracepoint %s: %s", name, strerror(errno));
	else
		set_result(r, 0, "raw tracepoint %s", name);
	if (tp >= 0)
		close(tp);
	close(fd);
}

static void probe_perf_sw(const struct hook_def *d, struct probe_result *r)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = strstr(d->name, "maj") ? PERF_COUNT_SW_PAGE_FAULTS_MAJ :
						   PERF_COUNT_SW_PAGE_FAULTS_MIN,
		.sample_period = 1,
	};
	int fd, err;

	fd = bpf_prog_load(BPF_PROG_TYPE_PERF_EVENT, "vmscope_probe", "GPL", ret0,
			   ARRAY_SIZE(ret0), NULL);
	if (fd < 0) {
		load_failure(r, -errno, "perf_event program load");
		return;
	}
	err = perf_attach(&attr, fd);
	close(fd);
	if (err)
		set_result(r, err, "perf_event_open: %s", strerror(-err));
	else
		set_result(r, 0, "%s", d->tp_label);
}

/* The kernel's BTF has no such function: inlined, a macro, or absent. */
static bool function_absent(const struct hook_def *d)
{
	struct btf *btf = vmlinux_btf();

	return btf && btf__find_by_name_kind(btf, d->func, BTF_KIND_FUNC) < 0;
}

void hook_probe(const struct hook_def *d, enum mech request, struct hook_status *st)
{
	memset(st, 0, sizeof(*st));
	st->def = d;
	set_result(&st->fentry, -ENOENT, "not a function hook");
	set_result(&st->kprobe, -ENOENT, "not a function hook");
	set_result(&st->tracepoint, -ENOENT, "no tracepoint for %s: tracepoint "
		   "mode infers it from the page-table walk", d->name);
	if (d->type == HOOK_FUNCTION) {
		if (request == MECH_AUTO || request == MECH_FENTRY)
			probe_fentry(d, &st->fentry);
		else
			set_result(&st->fentry, -ECANCELED, "not probed (--mode)");
		if ((request == MECH_AUTO && st->fentry.err) || request == MECH_KPROBE)
			probe_kprobe(d, &st->kprobe);
		else
			set_result(&st->kprobe, -ECANCELED, "not probed");
	}
	if (d->type == HOOK_PERF_EVENT)
		probe_perf_sw(d, &st->tracepoint);
	else if (d->tp && (d->type == HOOK_TRACEPOINT || request == MECH_AUTO ||
			   request == MECH_TRACEPOINT) &&
		 !(request == MECH_AUTO && d->type == HOOK_FUNCTION &&
		   (!st->fentry.err || !st->kprobe.err)))
		probe_raw_tp(d->tp, &st->tracepoint);
	else if (d->tp)
		set_result(&st->tracepoint, -ECANCELED, "not probed");

	st->chosen = MECH_NONE;
	switch (request) {
	case MECH_FENTRY:
		if (!st->fentry.err)
			st->chosen = MECH_FENTRY;
		break;
	case MECH_KPROBE:
		if (!st->kprobe.err)
			st->chosen = MECH_KPROBE;
		break;
	case MECH_TRACEPOINT:
		if (!st->tracepoint.err)
			st->chosen = MECH_TRACEPOINT;
		break;
	default:
		if (!st->fentry.err)
			st->chosen = MECH_FENTRY;
		else if (!st->kprobe.err)
			st->chosen = MECH_KPROBE;
		else if (!st->tracepoint.err)
			st->chosen = MECH_TRACEPOINT;
		break;
	}
	/* A forced mode is an error only where that mechanism could exist:
	 * not for a function this kernel does not have (io_remap_pfn_range
	 * is a macro on x86; its calls are remap_pfn_range's) */
	if (st->chosen == MECH_NONE && request != MECH_AUTO &&
	    ((request != MECH_TRACEPOINT && d->type == HOOK_FUNCTION &&
	      !function_absent(d)) ||
	     (request == MECH_TRACEPOINT && d->tp)))
		st->err = -EOPNOTSUPP;
}

struct procmap_query {
	uint64_t size, query_flags, query_addr, vma_start, vma_end, vma_flags;
	uint64_t vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)

static bool procmap_query_supported(void)
{
	struct procmap_query q = {
		.size = sizeof(q),
		.query_addr = (uint64_t)(uintptr_t)&procmap_query_supported,
	};
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = ioctl(fd, PROCMAP_QUERY, &q) == 0 && q.vma_start <= q.query_addr;
	close(fd);
	return ok;
}

static void probe_proc_file(const char *name, struct probe_result *r)
{
	char path[256];
	uint64_t v;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", proc_root(), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_result(r, -errno, "%s: %s%s", path, strerror(errno),
			   errno == EACCES || errno == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		return;
	}
	if (pread(fd, &v, sizeof(v), 0) != sizeof(v))
		set_result(r, -errno ? -errno : -EIO, "%s: read failed", path);
	else
		set_result(r, 0, "readable");
	close(fd);
}

void kernel_features_probe(struct kernel_features *kf)
{
	static char page[4096] __attribute__((aligned(4096)));
	struct utsname u;
	struct vma_rec *recs;
	struct ptwalk *pw;
	struct pm_entry e;
	uint64_t raw;
	size_t n;
	int err, fd;

	memset(kf, 0, sizeof(*kf));
	if (!uname(&u))
		snprintf(kf->kernel, sizeof(kf->kernel), "%s %s", u.release, u.machine);
	err = vma_iter_snapshot(getpid(), &recs, &n, kf->bpf_iter.why,
				sizeof(kf->bpf_iter.why));
	kf->bpf_iter.err = err;
	if (!err) {
		free(recs);
		set_result(&kf->bpf_iter, 0, "iter/task_vma loads (%zu VMAs here)", n);
	}
	kf->paging_levels = paging_levels();
	err = ptwalk_open(&pw, kf->ptwalk.why, sizeof(kf->ptwalk.why));
	kf->ptwalk.err = err;
	if (!err) {
		kf->direct_base = ptwalk_direct_base(pw);
		set_result(&kf->ptwalk, 0, "direct map at 0x%llx", kf->direct_base);
		ptwalk_close(pw);
	}
	kf->pagemap_scan = pagemap_scan_supported();
	kf->procmap_query = procmap_query_supported();
	probe_proc_file("kpageflags", &kf->kpageflags);
	probe_proc_file("kpagecount", &kf->kpagecount);

	page[0] = 1;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_result(&kf->pagemap_pfns, -errno, "/proc/self/pagemap: %s",
			   strerror(errno));
	} else {
		err = pagemap_read(fd, (uint64_t)(uintptr_t)page, 1, &raw);
		pagemap_decode(raw, &e);
		if (err)
			set_result(&kf->pagemap_pfns, err, "pagemap read failed");
		else if (!e.pfn)
			set_result(&kf->pagemap_pfns, -EPERM, "PFNs hidden: pagemap "
				   "needs CAP_SYS_ADMIN");
		else
			set_result(&kf->pagemap_pfns, 0, "PFNs visible");
		close(fd);
	}
	err = kallsyms_visible();
	if (err < 0)
		set_result(&kf->kallsyms, err, "/proc/kallsyms: %s", strerror(-err));
	else if (!err)
		set_result(&kf->kallsyms, -EPERM, "addresses zeroed (kptr_restrict): "
			   "owners cannot be named");
	else
		set_result(&kf->kallsyms, 0, "addresses visible");
}
