// SPDX-License-Identifier: GPL-2.0
/* vmscope faults: page faults live, their outcome and the frame they got. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tracers/bpf_fault.h"
#include "tracers/bpf_mmap.h"
#include "tracers/bpf_ptwalk.h"
#include "cli.h"
#include "tracers/feature.h"
#include "output/json.h"
#include "output/text.h"
#include "procfs/kpage.h"
#include "procfs/maps.h"
#include "tracers/records.h"
#include "session/stream.h"
#include "model/symbolize.h"
#include "util.h"
#include "model/vma_model.h"

static const char faults_usage[] =
"Usage: vmscope faults [options] -p PID\n"
"       vmscope faults [options] -- CMD [ARGS...]\n"
"       vmscope faults [options] [--comm NAME]      (system-wide)\n"
"\n"
"Page faults as they happen: address, ip (symbolized), access, user or\n"
"kernel mode, result (minor, major, sigbus, sigsegv, error), latency, the\n"
"VMA, and the frame the fault installed with its page flags.\n"
"\n"
"Options:\n"
"  -p, --pid PID       watch this process (all its threads)\n"
"  -f, --follow        also watch children forked after the start\n"
"      --comm NAME     system-wide: only processes with this command name\n"
"      --vma ADDR|PATH only faults in the VMA holding ADDR (with -p), or\n"
"                      in mappings of the file PATH (or its base name)\n"
"      --access LIST   only these accesses: read,write,exec\n"
"      --result LIST   only these results: minor,major,sigbus,sigsegv,\n"
"                      error,unknown\n"
"  -s, --summary       count in the kernel, print no events: per VMA,\n"
"                      top ips, latency histogram, faults per second\n"
"  -L, --latency       the latency of every fault (else of major and\n"
"                      failed ones only); costs ~25% on fault-bound work\n"
"  -i, --interval N    with --summary: also print every N seconds\n"
"  -o, --output FILE   write to FILE instead of standard output\n"
"      --ring-size N   ring buffer size (default 8M; power of two)\n"
"  -j, --json          NDJSON: one object per fault, then a summary\n"
"  -w, --wide          do not cut lines at 80 columns\n"
"  -h, --help          this help\n"
"\n"
"With -- CMD the command starts held before exec until every probe is\n"
"attached and vmscope exits with its status (127: not found, 126: not\n"
"executable).\n";

static const char *const access_names[] = { "read", "write", "exec" };
#define result_names flt_result_names

#define SYM_LEN 96

/* A fault waiting for its batch's page-flag lookup. */
struct fault_row {
	struct flt_event e;
	bool has_vma;
	uint64_t vstart, vend;
	const char *vpath;	/* the model's, stays valid */
	char sym[SYM_LEN];	/* "" when unknown */
	const char *ipfile;	/* the ip's mapping, or NULL */
	bool has_k;
	uint64_t kflags, kcount;
	bool deferred;		/* no VMA yet: looked up again at the flush */
};

/* Per-VMA counts (both modes), keyed by (pid, start); start 0: no VMA. */
struct vrow {
	pid_t pid;
	uint64_t start, end;
	const char *path;
	uint64_t by[3][FLT_NR_RESULTS];
	uint64_t kernel, total;
};

struct iprow {
	pid_t pid;
	bool kernel;
	uint64_t ip, count;
};

struct ipcache {
	pid_t pid;
	uint64_t ip;
	char sym[SYM_LEN];
	const char *file;
};

#define IPCACHE 4096

struct watcher {
	struct cli *c;
	FILE *out;
	struct json j;
	uint64_t t0;
	bool summary_mode;
	bool exact;			/* --latency, or handle_mm_fault */
	enum mech mode;			/* how outcomes are learnt */
	const char *vma_path;		/* --vma PATH */
	struct vm_model *vm;
	struct symbolizer *sym;
	struct kpage_reader kp;
	struct mmtrace *mt;
	struct fltrace *ft;
	struct ipcache *ipc;
	/* the batch */
	struct fault_row *rows;
	size_t nrows, caprows;
	/* processes that exec'ed since the last flush: a fault of exec's
	 * own (the kernel clearing the new image's bss) comes before the
	 * exec record and the VMAs it made */
	pid_t exec_pids[8];
	size_t nexec_pids;
	/* totals and tables */
	uint64_t faults, by_result[FLT_NR_RESULTS], by_access[3], kernel_mode;
	uint64_t by_page;	/* --summary: filed by page, not by VMA */
	uint64_t no_pfn, lat[FLT_NR_RESULTS][FLT_LAT_BUCKETS];
	struct vrow *vrows;
	size_t nvrows, capvrows;
	struct iprow *iprows;
	size_t niprows, capiprows;
	/* pids whose VMA table the kernel should get (--summary) */
	pid_t *pids;
	size_t npids, cappids;
	struct flagtext {
		uint64_t flags;
		uint16_t len;		/* 0: empty slot */
		char text[1024];	/* all 38 names, quoted: 386 bytes */
	} flagtext[16];
	bool pfn_hidden;		/* no direct-map base: frames unknown */
	char pfn_why[200];
};

static void note_pid(struct watcher *w, pid_t pid)
{
	size_t i;

	for (i = 0; i < w->npids; i++)
		if (w->pids[i] == pid)
			return;
	if (grow_array((void **)&w->pids, &w->cappids, w->npids, sizeof(pid_t)))
		w->pids[w->npids++] = pid;
}

/* Linear tables: a run has few VMAs with faults and few faulting ips in
 * the top list; the last hit is tried first. */
static struct vrow *vrow_get(struct watcher *w, pid_t pid, const struct vm_ent *e)
{
	static size_t last;
	uint64_t start = e ? e->start : 0;
	size_t i;

	if (last < w->nvrows && w->vrows[last].pid == pid && w->vrows[last].start == start)
		return &w->vrows[last];
	for (i = 0; i < w->nvrows; i++)
		if (w->vrows[i].pid == pid && w->vrows[i].start == start)
			return &w->vrows[last = i];
	if (!grow_array((void **)&w->vrows, &w->capvrows, w->nvrows, sizeof(struct vrow)))
		return NULL;
	memset(&w->vrows[w->nvrows], 0, sizeof(struct vrow));
	w->vrows[w->nvrows].pid = pid;
	w->vrows[w->nvrows].start = start;
	w->vrows[w->nvrows].end = e ? e->end : 0;
	w->vrows[w->nvrows].path = e ? e->path : NULL;
	return &w->vrows[last = w->nvrows++];
}

static void iprow_add(struct watcher *w, pid_t pid, uint64_t ip, bool kernel, uint64_t n)
{
	static size_t last;
	size_t i;

	if (last < w->niprows && w->iprows[last].ip == ip && w->iprows[last].pid == pid) {
		w->iprows[last].count += n;
		return;
	}
	for (i = 0; i < w->niprows; i++)
		if (w->iprows[i].ip == ip && w->iprows[i].pid == pid) {
			w->iprows[last = i].count += n;
			return;
		}
	if (!grow_array((void **)&w->iprows, &w->capiprows, w->niprows, sizeof(struct iprow)))
		return;
	w->iprows[last = w->niprows++] = (struct iprow){ pid, kernel, ip, n };
}

static void count_fault(struct watcher *w, pid_t pid, const struct vm_ent *e,
			unsigned int access, unsigned int result, bool kernel, uint64_t n)
{
	struct vrow *r = vrow_get(w, pid, e);

	access = access < 3 ? access : 0;
	result = result < FLT_NR_RESULTS ? result : FLT_UNKNOWN;
	w->faults += n;
	w->by_result[result] += n;
	w->by_access[access] += n;
	if (kernel)
		w->kernel_mode += n;
	if (r) {
		r->by[access][result] += n;
		r->total += n;
		if (kernel)
			r->kernel += n;
	}
}

static unsigned int access_of(uint32_t error_code)
{
	if (error_code & (1 << 4))
		return FLT_EXEC;
	return error_code & (1 << 1) ? FLT_WRITE : FLT_READ;
}

/* Symbol of an ip, through a small cache: a loop faulting page after page
 * has one ip for all of them. */
static void symbolize(struct watcher *w, struct fault_row *r)
{
	const struct flt_event *e = &r->e;
	size_t slot = ((e->ip >> 2) ^ (uint64_t)e->pid * 0x9e3779b9ULL) & (IPCACHE - 1);
	struct ipcache *c = &w->ipc[slot];

	if (!(c->ip == e->ip && c->pid == (pid_t)e->pid)) {
		const char *s;

		c->pid = (pid_t)e->pid;
		c->ip = e->ip;
		c->file = NULL;
		if (e->flags & FLT_KERNEL) {
			s = sym_kernel(w->sym, e->ip, c->sym, sizeof(c->sym));
			c->file = "[kernel]";
		} else {
			const struct vm_ent *v = vm_model_find(w->vm, (pid_t)e->pid, e->ip);

			s = v ? sym_user(w->sym, (pid_t)e->pid, v, e->ip, c->sym,
					 sizeof(c->sym)) : NULL;
			c->file = v ? v->path : NULL;
		}
		if (!s)
			c->sym[0] = '\0';
	}
	memcpy(r->sym, c->sym, sizeof(r->sym));
	r->ipfile = c->file;
}

static bool path_matches(const char *want, const char *path)
{
	const char *base;

	if (!path)
		return false;
	if (!strcmp(want, path))
		return true;
	base = strrchr(path, '/');
	return base && !strchr(want, '/') && !strcmp(want, base + 1);
}

/* Count a fault found in VMA v (or none) and fill its row; false: the
 * --vma PATH filter drops it. */
static bool admit_row(struct watcher *w, struct fault_row *r, const struct vm_ent *v)
{
	if (w->vma_path && !(v && path_matches(w->vma_path, v->path)))
		return false;
	if (v) {
		r->has_vma = true;
		r->vstart = v->start;
		r->vend = v->end;
		r->vpath = v->path;
	}
	count_fault(w, (pid_t)r->e.pid, v, access_of(r->e.error_code), r->e.result,
		    r->e.flags & FLT_KERNEL, 1);
	if (r->e.flags & FLT_HAS_LAT) {	/* result is in range: decoded */
		uint64_t l = r->e.latency_ns;
		unsigned int b = 0;

		while (l > 1 && b < FLT_LAT_BUCKETS - 1) {
			l >>= 1;
			b++;
		}
		w->lat[r->e.result][b]++;
	}
	symbolize(w, r);
	iprow_add(w, (pid_t)r->e.pid, r->e.ip, r->e.flags & FLT_KERNEL, 1);
	return true;
}

static int on_fault(const void *data, size_t size, void *arg)
{
	struct watcher *w = arg;
	const struct vm_ent *v;
	struct fault_row *r;

	if (!grow_array((void **)&w->rows, &w->caprows, w->nrows, sizeof(*r)))
		return 0;
	r = &w->rows[w->nrows];
	memset(r, 0, sizeof(*r));
	if (!flt_record_decode(data, size, &r->e))
		return 0;	/* malformed: ignore, never stop polling */
	v = vm_model_find(w->vm, (pid_t)r->e.pid, r->e.addr);
	if (!v && r->e.result != FLT_SIGSEGV)
		r->deferred = true;	/* an exec record may follow */
	else if (!admit_row(w, r, v))
		return 0;
	w->nrows++;
	return 0;
}

/* The faults without a VMA: if their process exec'ed since, they were
 * exec's own and the model has their VMA now; counted either way. Rows
 * the --vma filter drops are removed. */
static void settle_deferred(struct watcher *w)
{
	size_t i, k, n = 0;

	for (i = 0; i < w->nrows; i++) {
		struct fault_row *r = &w->rows[i];
		const struct vm_ent *v = NULL;

		if (r->deferred) {
			r->deferred = false;
			for (k = 0; k < w->nexec_pids; k++)
				if (w->exec_pids[k] == (pid_t)r->e.pid)
					v = vm_model_find(w->vm, (pid_t)r->e.pid, r->e.addr);
			if (!admit_row(w, r, v))
				continue;
		}
		if (n != i)
			w->rows[n] = *r;
		n++;
	}
	w->nrows = n;
	w->nexec_pids = 0;
}

static void push_bounds_of(struct watcher *w, pid_t pid);

static int on_mm(const struct mm_event *ev, void *arg)
{
	struct watcher *w = arg;

	vm_model_event(w->vm, ev);
	if (ev->type == MM_EV_FORK)
		note_pid(w, (pid_t)ev->ret);
	if (ev->type == MM_EV_EXEC && w->nexec_pids < ARRAY_SIZE(w->exec_pids))
		w->exec_pids[w->nexec_pids++] = (pid_t)ev->pid;
	/* before 6.7 no VMA records follow an exec: read /proc now, while
	 * the process surely lives, not at the first lookup */
	if (ev->type == MM_EV_EXEC && !mmtrace_has_exec_vmas(w->mt))
		vm_model_seed(w->vm, (pid_t)ev->pid);
	/* --summary: the kernel files faults under the VMAs it was given;
	 * give it a new mapping before the process faults on it much (only
	 * this event's processes: the others did not change) */
	if (w->summary_mode) {
		push_bounds_of(w, (pid_t)ev->pid);
		if (ev->type == MM_EV_FORK)
			push_bounds_of(w, (pid_t)ev->ret);
	}
	return 0;
}

/* ---- output ---------------------------------------------------------------- */

static void fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 10000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else
		snprintf(buf, len, "%.1fms", ns / 1e6);
}

static const char *base_name(const char *p)
{
	const char *b = p ? strrchr(p, '/') : NULL;

	return b && b[1] ? b + 1 : p;
}

/* A name as a terminal may show it: control bytes and invalid UTF-8 as
 * \xNN (file and symbol names come from whoever made the file). */
static const char *shown(const char *s, char *buf, size_t len)
{
	char *e = text_escape(s, strlen(s));

	snprintf(buf, len, "%s", e ? e : "?");
	free(e);
	return buf;
}

static void plain_row(struct watcher *w, const struct fault_row *r)
{
	const struct flt_event *e = &r->e;
	char lat[16] = "-", pfn[24] = "-", line[768], where[512];
	int n;

	if (e->flags & FLT_HAS_LAT)
		fmt_ns(e->latency_ns, lat, sizeof(lat));
	if (e->flags & FLT_HAS_PFN)
		snprintf(pfn, sizeof(pfn), "0x%" PRIx64, (uint64_t)e->pfn);
	char n1[128], n2[128], n3[128];

	if (r->has_vma)
		n = snprintf(where, sizeof(where), "%s+0x%" PRIx64,
			     r->vpath ? shown(base_name(r->vpath), n1, sizeof(n1)) : "[anon]",
			     (uint64_t)(e->addr - r->vstart));
	else
		n = snprintf(where, sizeof(where), "[no vma]");
	if (r->sym[0])
		snprintf(where + n, sizeof(where) - (size_t)n, " %s%s%s%s",
			 shown(r->sym, n2, sizeof(n2)), r->ipfile ? " (" : "",
			 r->ipfile ? shown(base_name(r->ipfile), n3, sizeof(n3)) : "",
			 r->ipfile ? ")" : "");
	else
		snprintf(where + n, sizeof(where) - (size_t)n, " ip 0x%" PRIx64, (uint64_t)e->ip);
	n = snprintf(line, sizeof(line), "%9.6f %7u %c%c %-7s %7s 0x%012" PRIx64
		     " %-10s %s", (double)(e->ts_ns - w->t0) / 1e9, e->tid,
		     "rwx"[access_of(e->error_code)], e->flags & FLT_KERNEL ? 'k' : ' ',
		     result_names[e->result], lat,
		     (uint64_t)e->addr, pfn, where);
	if (!w->c->wide && n > 80)
		line[80] = '\0';
	fprintf(w->out, "%s\n", line);
}

/* A page_flags array as written, with a small cache by flags word: a
 * workload's pages have a handful of flag sets between them. */
static void json_flags(struct watcher *w, uint64_t flags)
{
	struct flagtext *t = &w->flagtext[(flags ^ flags >> 17 ^ flags >> 31) %
					  ARRAY_SIZE(w->flagtext)];
	size_t n = 0, l;
	unsigned int b;

	if (!t->len || t->flags != flags) {
		/* the kernel's names: nothing to escape */
		t->text[n++] = '[';
		for (b = 0; b < 64; b++) {
			const char *name = (flags >> b) & 1 ? kpage_flag_name(b) : NULL;

			if (!name)
				continue;
			l = strlen(name);
			if (n + l + 4 > sizeof(t->text)) {	/* cannot happen */
				n = 1;
				memcpy(t->text + n, "\"?\"", 3);
				n += 3;
				break;
			}
			if (n > 1)
				t->text[n++] = ',';
			t->text[n++] = '"';
			memcpy(t->text + n, name, l);
			n += l;
			t->text[n++] = '"';
		}
		t->text[n++] = ']';
		t->len = (uint16_t)n;
		t->flags = flags;
	}
	json_raw(&w->j, t->text, t->len);
}

static void raw_cstr(struct json *j, const char *s)
{
	json_raw_str(j, s, s ? strlen(s) : 0);
}

/* One fault as NDJSON. Written in pieces with its keys in literals: the
 * general writer's per-token bookkeeping was most of vmscope's own time
 * streaming a million faults. */
static void json_row(struct watcher *w, const struct fault_row *r)
{
	const struct flt_event *e = &r->e;
	struct json *j = &w->j;

	JSON_RAW(j, "{\"type\":\"fault\",\"ts_ns\":");
	json_raw_u64(j, e->ts_ns);
	JSON_RAW(j, ",\"pid\":");
	json_raw_u64(j, e->pid);
	JSON_RAW(j, ",\"tid\":");
	json_raw_u64(j, e->tid);
	JSON_RAW(j, ",\"comm\":");
	json_raw_str(j, e->comm, strnlen(e->comm, sizeof(e->comm)));
	JSON_RAW(j, ",\"addr\":");
	json_raw_hex(j, e->addr);
	JSON_RAW(j, ",\"ip\":");
	json_raw_hex(j, e->ip);
	JSON_RAW(j, ",\"ip_sym\":");
	raw_cstr(j, r->sym[0] ? r->sym : NULL);
	JSON_RAW(j, ",\"ip_file\":");
	raw_cstr(j, r->ipfile);
	JSON_RAW(j, ",\"access\":");
	raw_cstr(j, access_names[access_of(e->error_code)]);
	if (e->flags & FLT_KERNEL)
		JSON_RAW(j, ",\"user\":false,\"error_code\":");
	else
		JSON_RAW(j, ",\"user\":true,\"error_code\":");
	json_raw_hex(j, e->error_code);
	JSON_RAW(j, ",\"result\":");
	raw_cstr(j, e->result ? result_names[e->result] : NULL);
	if (e->flags & FLT_INFERRED)
		JSON_RAW(j, ",\"inferred\":true");
	if (e->result == FLT_SIGBUS || e->result == FLT_SIGSEGV) {
		JSON_RAW(j, ",\"si_code\":");
		json_raw_u64(j, (uint64_t)e->si_code);
	}
	if (e->flags & FLT_HAS_LAT) {
		JSON_RAW(j, ",\"latency_ns\":");
		json_raw_u64(j, e->latency_ns);
	} else {
		JSON_RAW(j, ",\"latency_ns\":null");
	}
	if (r->has_vma) {
		JSON_RAW(j, ",\"vma\":{\"start\":");
		json_raw_hex(j, r->vstart);
		JSON_RAW(j, ",\"end\":");
		json_raw_hex(j, r->vend);
		JSON_RAW(j, ",\"path\":");
		raw_cstr(j, r->vpath);
		JSON_RAW(j, "},\"pfn\":");
	} else {
		JSON_RAW(j, ",\"vma\":null,\"pfn\":");
	}
	if (e->flags & FLT_HAS_PFN) {
		json_raw_hex(j, e->pfn);
		if (e->level == PTW_PMD)
			JSON_RAW(j, ",\"page_size\":\"2M\"");
		else if (e->level == PTW_PUD)
			JSON_RAW(j, ",\"page_size\":\"1G\"");
		else
			JSON_RAW(j, ",\"page_size\":\"4K\"");
		if (r->has_k) {
			JSON_RAW(j, ",\"page_flags\":");
			json_flags(w, r->kflags);
			JSON_RAW(j, ",\"mapcount\":");
			json_raw_u64(j, r->kcount);
			if (!r->kcount)
				JSON_RAW(j, ",\"pfn_note\":\"the page was freed again "
					 "before its flags were read\"");
		}
	} else {
		JSON_RAW(j, "null,\"pfn_note\":");
		raw_cstr(j, e->result != FLT_MINOR && e->result != FLT_MAJOR ?
			 "no frame: the fault did not complete" :
			 w->pfn_hidden ? "frames unavailable (see the start-up note)" :
			 "the page was gone again when the fault completed");
	}
	JSON_RAW(j, "}");
	json_end_doc(j);
}

/* Page flags for the whole batch with one sorted pass, then print it. */
static void flush_batch(struct watcher *w)
{
	uint64_t *pfns, *flags, *counts;
	size_t i, n = 0;

	settle_deferred(w);
	if (!w->nrows)
		return;
	pfns = malloc(w->nrows * sizeof(*pfns) * 3);
	if (pfns && w->kp.flags_fd >= 0) {
		flags = pfns + w->nrows;
		counts = flags + w->nrows;
		for (i = 0; i < w->nrows; i++)
			if (w->rows[i].e.flags & FLT_HAS_PFN)
				pfns[n++] = w->rows[i].e.pfn;
		if (n && !kpage_lookup(&w->kp, pfns, n, flags,
				       w->kp.count_fd >= 0 ? counts : NULL, NULL)) {
			for (i = 0, n = 0; i < w->nrows; i++) {
				struct fault_row *r = &w->rows[i];

				if (!(r->e.flags & FLT_HAS_PFN))
					continue;
				r->has_k = true;
				r->kflags = flags[n];
				r->kcount = w->kp.count_fd >= 0 ? counts[n] : 1;
				n++;
			}
		}
	}
	free(pfns);
	if (!w->summary_mode) {
		for (i = 0; i < w->nrows; i++) {
			if (!(w->rows[i].e.flags & FLT_HAS_PFN))
				w->no_pfn++;
			if (w->c->json)
				json_row(w, &w->rows[i]);
			else
				plain_row(w, &w->rows[i]);
		}
	}
	w->nrows = 0;
}

/* ---- --summary: the kernel's counts ----------------------------------------- */

/* Give the kernel the VMA table of every process we know, where changed. */
/* Give the kernel pid's VMA table, if it changed since it last got it. */
static void push_bounds_of(struct watcher *w, pid_t pid)
{
	static struct flt_bounds b;
	const struct vm_ent *v;
	__u32 key = (__u32)pid;
	size_t k, n;

	if (!vm_model_take_changed(w->vm, pid))
		return;
	v = vm_model_vmas(w->vm, pid, &n);
	b.n = n < FLT_BOUNDS ? (__u32)n : FLT_BOUNDS;
	for (k = 0; k < b.n; k++) {
		b.start[k] = v[k].start;
		b.end[k] = v[k].end;
	}
	bpf_map_update_elem(fltrace_bounds_fd(w->ft), &key, &b, BPF_ANY);
}

/* ... for every process we know */
static void push_bounds(struct watcher *w)
{
	size_t i;

	for (i = 0; i < w->npids; i++)
		push_bounds_of(w, w->pids[i]);
}

static uint64_t percpu_sum(int fd, const void *key, uint64_t *vals, int ncpu)
{
	uint64_t s = 0;
	int i;

	if (bpf_map_lookup_elem(fd, key, vals))
		return 0;
	for (i = 0; i < ncpu; i++)
		s += vals[i];
	return s;
}

/* Rebuild the tables from the kernel's counts (they are cumulative). */
static void read_kernel_counts(struct watcher *w)
{
	int ncpu = libbpf_num_possible_cpus(), fd = fltrace_agg_fd(w->ft);
	struct flt_agg_key k, *prev = NULL;
	struct flt_ip_key ik, *iprev = NULL;
	uint64_t *vals;
	__u32 slot;

	if (ncpu <= 0 || !(vals = calloc((size_t)ncpu, sizeof(*vals))))
		return;
	w->faults = w->kernel_mode = w->by_page = 0;
	memset(w->by_result, 0, sizeof(w->by_result));
	memset(w->by_access, 0, sizeof(w->by_access));
	w->nvrows = w->niprows = 0;
	while (!bpf_map_get_next_key(fd, prev, &k)) {
		uint64_t n = percpu_sum(fd, &k, vals, ncpu);
		/* a VMA start or a page: either lies in the VMA */
		const struct vm_ent *v = vm_model_find(w->vm, (pid_t)k.pid, k.where);

		prev = &k;
		count_fault(w, (pid_t)k.pid, v, k.access, k.result, k.kernel, n);
		if (k.by_page) {
			note_pid(w, (pid_t)k.pid);	/* give it a table next time */
			w->by_page += n;
		}
	}
	fd = fltrace_agg_ip_fd(w->ft);
	while (!bpf_map_get_next_key(fd, iprev, &ik)) {
		iprev = &ik;
		iprow_add(w, (pid_t)ik.pid, ik.ip, ik.kernel, percpu_sum(fd, &ik, vals, ncpu));
	}
	fd = fltrace_lat_fd(w->ft);
	for (slot = 0; slot < FLT_NR_RESULTS * FLT_LAT_BUCKETS; slot++)
		w->lat[slot / FLT_LAT_BUCKETS][slot % FLT_LAT_BUCKETS] =
			percpu_sum(fd, &slot, vals, ncpu);
	free(vals);
}

static int cmp_vrow(const void *a, const void *b)
{
	const struct vrow *x = a, *y = b;

	return x->total < y->total ? 1 : x->total > y->total ? -1 : 0;
}

static int cmp_iprow(const void *a, const void *b)
{
	const struct iprow *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static const char *ip_name(struct watcher *w, const struct iprow *r, char *buf,
			   size_t len, const char **file)
{
	struct fault_row tmp = { .e = { .pid = (__u32)r->pid, .ip = r->ip,
					.flags = r->kernel ? FLT_KERNEL : 0 } };

	symbolize(w, &tmp);
	*file = tmp.ipfile;
	if (!tmp.sym[0])
		return NULL;
	snprintf(buf, len, "%s", tmp.sym);
	return buf;
}

#define TOP 10

static void json_tables(struct watcher *w)
{
	struct json *j = &w->j;
	size_t i, a, r;

	json_key(j, "results");
	json_obj_begin(j);
	for (r = 0; r < FLT_NR_RESULTS; r++)
		json_ku64(j, result_names[r], w->by_result[r]);
	json_obj_end(j);
	json_key(j, "access");
	json_obj_begin(j);
	for (a = 0; a < 3; a++)
		json_ku64(j, access_names[a], w->by_access[a]);
	json_obj_end(j);
	json_ku64(j, "kernel_mode", w->kernel_mode);
	json_key(j, "vmas");
	json_arr_begin(j);
	for (i = 0; i < w->nvrows; i++) {
		const struct vrow *v = &w->vrows[i];

		json_obj_begin(j);
		json_ku64(j, "pid", (uint64_t)v->pid);
		json_key(j, "start");
		if (v->start)
			json_hex(j, v->start);
		else
			json_null(j);
		json_key(j, "end");
		if (v->start)
			json_hex(j, v->end);
		else
			json_null(j);
		json_kstr(j, "path", v->path);
		json_ku64(j, "faults", v->total);
		for (a = 0; a < 3; a++) {
			uint64_t s = 0;

			for (r = 0; r < FLT_NR_RESULTS; r++)
				s += v->by[a][r];
			json_ku64(j, access_names[a], s);
		}
		for (r = 0; r < FLT_NR_RESULTS; r++)
			json_ku64(j, result_names[r], v->by[0][r] + v->by[1][r] + v->by[2][r]);
		json_ku64(j, "kernel_mode", v->kernel);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "top_ips");
	json_arr_begin(j);
	for (i = 0; i < w->niprows && i < TOP; i++) {
		char buf[SYM_LEN];
		const char *file, *s = ip_name(w, &w->iprows[i], buf, sizeof(buf), &file);

		json_obj_begin(j);
		json_ku64(j, "pid", (uint64_t)w->iprows[i].pid);
		json_khex(j, "ip", w->iprows[i].ip);
		json_kstr(j, "sym", s);
		json_kstr(j, "file", file);
		json_ku64(j, "faults", w->iprows[i].count);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "latency_ns");
	json_obj_begin(j);
	for (r = 0; r < FLT_NR_RESULTS; r++) {
		uint64_t any = 0;

		for (a = 0; a < FLT_LAT_BUCKETS; a++)
			any += w->lat[r][a];
		if (!any)
			continue;
		json_key(j, result_names[r]);
		json_arr_begin(j);
		for (a = 0; a < FLT_LAT_BUCKETS; a++) {
			if (!w->lat[r][a])
				continue;
			json_obj_begin(j);
			json_ku64(j, "ge", a ? 1ULL << a : 0);
			json_ku64(j, "lt", 2ULL << a);
			json_ku64(j, "count", w->lat[r][a]);
			json_obj_end(j);
		}
		json_arr_end(j);
	}
	json_obj_end(j);
}

static void plain_tables(struct watcher *w)
{
	FILE *f = w->out;
	size_t i, a, r;

	fprintf(f, "%" PRIu64 " faults:", w->faults);
	for (r = 1; r < FLT_NR_RESULTS; r++)
		if (w->by_result[r])
			fprintf(f, " %s %" PRIu64, result_names[r], w->by_result[r]);
	if (w->by_result[FLT_UNKNOWN])
		fprintf(f, " unknown %" PRIu64, w->by_result[FLT_UNKNOWN]);
	/* a line of its own: with every result present, one line would
	 * pass 80 columns */
	fprintf(f, "\n  read %" PRIu64 ", write %" PRIu64 ", exec %" PRIu64
		"; kernel mode %" PRIu64 "\n", w->by_access[0], w->by_access[1],
		w->by_access[2], w->kernel_mode);
	if (w->nvrows) {
		fprintf(f, "\n%7s %8s %7s %7s %6s %5s %4s  %s\n", "PID", "FAULTS", "READ",
			"WRITE", "EXEC", "MAJOR", "FAIL", "VMA");
		for (i = 0; i < w->nvrows && i < TOP; i++) {
			const struct vrow *v = &w->vrows[i];
			uint64_t acc[3] = { 0 }, major = 0, fail = 0;
			char where[64];

			for (a = 0; a < 3; a++) {
				for (r = 0; r < FLT_NR_RESULTS; r++)
					acc[a] += v->by[a][r];
				major += v->by[a][FLT_MAJOR];
				fail += v->by[a][FLT_SIGBUS] + v->by[a][FLT_SIGSEGV] +
					v->by[a][FLT_ERROR];
			}
			char nb[128];

			if (v->start)
				snprintf(where, sizeof(where), "%.*s 0x%" PRIx64,
					 w->c->wide ? 60 : 13,
					 v->path ? shown(base_name(v->path), nb, sizeof(nb)) :
					 "[anon]", v->start);
			else
				snprintf(where, sizeof(where), "[no vma now]");
			fprintf(f, "%7d %8" PRIu64 " %7" PRIu64 " %7" PRIu64 " %6" PRIu64
				" %5" PRIu64 " %4" PRIu64 "  %s\n", (int)v->pid, v->total,
				acc[0], acc[1], acc[2], major, fail, where);
		}
		if (w->nvrows > TOP)
			fprintf(f, "(%zu more VMAs; --json lists all)\n", w->nvrows - TOP);
	}
	if (w->niprows) {
		fprintf(f, "\n%9s %7s  %s\n", "FAULTS", "PID", "IP");
		for (i = 0; i < w->niprows && i < TOP; i++) {
			char buf[SYM_LEN];
			const char *file, *s = ip_name(w, &w->iprows[i], buf, sizeof(buf), &file);

			char nb[128], fb[128];
			const char *fs = file ? shown(base_name(file), fb, sizeof(fb)) : "?";

			if (s)
				fprintf(f, "%9" PRIu64 " %7d  %.48s (%.20s)\n", w->iprows[i].count,
					(int)w->iprows[i].pid, shown(s, nb, sizeof(nb)), fs);
			else
				fprintf(f, "%9" PRIu64 " %7d  0x%" PRIx64 " (%.20s)\n",
					w->iprows[i].count, (int)w->iprows[i].pid,
					w->iprows[i].ip, fs);
		}
	}
	for (r = 0; r < FLT_NR_RESULTS; r++) {
		uint64_t max = 0;
		size_t lo = FLT_LAT_BUCKETS, hi = 0;

		for (a = 0; a < FLT_LAT_BUCKETS; a++) {
			if (!w->lat[r][a])
				continue;
			max = w->lat[r][a] > max ? w->lat[r][a] : max;
			lo = a < lo ? a : lo;
			hi = a;
		}
		if (!max)
			continue;
		fprintf(f, "\nlatency of %s faults (exception to outcome):\n", result_names[r]);
		for (a = lo; a <= hi; a++) {
			char l1[16], l2[16];
			int bar = (int)(w->lat[r][a] * 40 / max);

			fmt_ns(a ? 1ULL << a : 0, l1, sizeof(l1));
			fmt_ns(2ULL << a, l2, sizeof(l2));
			fprintf(f, "%8s .. %-8s %9" PRIu64 " |%-40.*s|\n", l1, l2,
				w->lat[r][a], bar, "########################################");
		}
	}
}

/* vmscope's own CPU time so far, user + system */
static double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* records dropped: fault records, and VMA-change records of the ring */
static uint64_t lost_total(const struct watcher *w)
{
	return fltrace_lost(w->ft) + mmtrace_lost(w->mt);
}

static void report(struct watcher *w, const char *type, double secs, double rate,
		   const struct stream *s)
{
	double cpu = self_cpu();
	uint64_t lost = lost_total(w);

	if (w->nvrows)		/* qsort(NULL, 0) is undefined */
		qsort(w->vrows, w->nvrows, sizeof(*w->vrows), cmp_vrow);
	if (w->niprows)
		qsort(w->iprows, w->niprows, sizeof(*w->iprows), cmp_iprow);
	if (w->c->json) {
		struct json *j = &w->j;

		json_obj_begin(j);
		json_kstr(j, "type", type);
		json_kstr(j, "mode", mech_name(w->mode));
		json_kbool(j, "latency", w->exact);
		json_key(j, "duration_s");
		json_double(j, secs);
		json_ku64(j, "faults", w->faults);
		json_key(j, "faults_per_s");
		json_double(j, rate);
		json_key(j, "self_cpu_s");
		json_double(j, cpu);
		json_ku64(j, "lost", lost);
		/* of which fault records (the rest: VMA-change records) */
		json_ku64(j, "lost_faults", fltrace_lost(w->ft));
		if (w->summary_mode) {
			json_ku64(j, "not_counted", fltrace_agg_dropped(w->ft));
			/* faulted before their VMA reached the kernel's
			 * table: placed by user space, from their page */
			json_ku64(j, "by_page", w->by_page);
		}
		else
			json_ku64(j, "no_pfn", w->no_pfn);
		if (s && s->have_exit)
			json_ku64(j, "exit_status", (uint64_t)s->exit_code);
		json_tables(w);
		json_obj_end(j);
		json_end_doc(j);
	} else {
		fprintf(w->out, "\n--- %s: %.2f s, %.0f faults/s, %" PRIu64 " lost, "
			"vmscope cpu %.0f%% ---\n", type, secs, rate, lost,
			secs > 0 ? cpu * 100 / secs : 0);
		plain_tables(w);
	}
	fflush(w->out);
}

/* ---- options ---------------------------------------------------------------- */

static int parse_list(const char *s, const char *const *names, size_t n, uint32_t *mask)
{
	char *dup = strdup(s), *tok, *save = NULL;
	size_t i;

	if (!dup)
		return -ENOMEM;
	*mask = 0;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n; i++)
			if (names[i] && !strcmp(tok, names[i]))
				break;
		if (i == n) {
			free(dup);
			return -EINVAL;
		}
		*mask |= 1U << i;
	}
	free(dup);
	return *mask ? 0 : -EINVAL;
}

/* --vma ADDR with -p: the VMA's bounds become a filter in the kernel. */
static int vma_bounds(struct cli *c, pid_t pid, const char *arg, uint64_t *lo, uint64_t *hi)
{
	struct maps_list ml = { 0 };
	uint64_t addr;
	ssize_t i;
	int err;

	if (parse_u64(arg, &addr, false))
		return 1;	/* not a number: a path */
	if (!pid)
		return -cli_error(c, EXIT_USAGE, "--vma ADDR needs -p PID (the VMA is "
				  "looked up in that process)");
	err = maps_read(pid, &ml);
	if (err)
		return -cli_error(c, EXIT_RUNTIME, "cannot read the maps of %d: %s", pid,
				  strerror(-err));
	i = maps_find(&ml, addr);
	if (i < 0) {
		maps_free(&ml);
		return -cli_error(c, EXIT_RUNTIME, "0x%" PRIx64 " is not mapped in %d",
				  addr, pid);
	}
	*lo = ml.v[i].start;
	*hi = ml.v[i].end;
	maps_free(&ml);
	return 0;
}

int cmd_faults(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		STREAM_LONGOPTS,
		{ "vma", required_argument, NULL, 'V' },
		{ "access", required_argument, NULL, 'A' },
		{ "result", required_argument, NULL, 'r' },
		{ "summary", no_argument, NULL, 's' },
		{ "latency", no_argument, NULL, 'L' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct stream_args sa = { .ring_bytes = 8 << 20 };
	struct mmtrace_opts mo = { 0 };
	struct fltrace_opts fo = { .mm = &mo, .access_mask = 7, .result_mask = 0x7f };
	struct watcher *w = NULL;
	struct ptwalk *pw = NULL;
	struct stream s;
	const char *vma_arg = NULL;
	char why[256];
	int opt, r, ret;
	uint64_t interval = 0, last_faults = 0;
	double next_print = 0, last_print;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+" STREAM_SHORTOPTS "sLi:" CLI_COMMON_SHORTOPTS,
				  longopts, NULL)) != -1) {
		r = stream_opt(c, &sa, opt, optarg);
		if (r > 0)
			return r;
		if (r == 0)
			continue;
		switch (opt) {
		case 'V':
			vma_arg = optarg;
			continue;
		case 'A':
			if (parse_list(optarg, access_names, 3, &fo.access_mask))
				return cli_error(c, EXIT_USAGE, "bad --access '%s': a list of "
						 "read, write, exec", optarg);
			continue;
		case 'r': {
			uint32_t m;

			if (parse_list(optarg, result_names, FLT_NR_RESULTS, &m))
				return cli_error(c, EXIT_USAGE, "bad --result '%s': a list of "
						 "minor, major, sigbus, sigsegv, error, unknown",
						 optarg);
			fo.result_mask = m;
			continue;
		}
		case 's':
			fo.summary = true;
			continue;
		case 'L':
			fo.exact = true;
			continue;
		case 'i':
			if (parse_u64(optarg, &interval, false) || !interval || interval > 86400)
				return cli_error(c, EXIT_USAGE, "bad --interval '%s': seconds, "
						 "1 to 86400", optarg);
			continue;
		}
		r = cli_command_opt(c, opt, optarg, faults_usage);
		if (r >= 0)
			return r;
	}
	r = stream_args_end(c, &sa, argc, argv);
	if (r)
		return r;
	if (interval && !fo.summary)
		return cli_error(c, EXIT_USAGE, "--interval goes with --summary");
	/* fail before any note about what a privileged run would lack */
	if (!have_cap(CAP_BPF) && !have_cap(CAP_SYS_ADMIN))
		return cli_error(c, EXIT_PRIVILEGE, "faults needs root: CAP_BPF and "
				 "CAP_PERFMON (CAP_SYS_ADMIN for frames and page flags)");
	/* outcomes: handle_mm_fault's exit by fexit or kretprobe where the
	 * kernel allows, else (tracepoint mode) perf events and signals */
	r = stream_fault_mode(c, "faults", &fo.outcome);
	if (r)
		return r;
	stream_mmtrace_opts(&sa, &mo);
	mo.wake_each = fo.summary;	/* only VMA changes go through the ring */

	ret = stream_begin(&s, c, &sa);
	if (ret)
		goto out;
	if (vma_arg) {
		r = vma_bounds(c, sa.pid, vma_arg, &fo.addr_lo, &fo.addr_hi);
		if (r < 0) {
			ret = -r;
			goto out;
		}
	}
	w = calloc(1, sizeof(*w));
	if (w)
		w->kp.flags_fd = w->kp.count_fd = -1;
	if (!w || !(w->vm = vm_model_new()) || !(w->sym = sym_new()) ||
	    !(w->ipc = calloc(IPCACHE, sizeof(*w->ipc)))) {
		ret = cli_error(c, EXIT_RUNTIME, "out of memory");
		goto out;
	}
	w->c = c;
	w->out = s.out;
	vm_model_drop_exited(w->vm, mo.system_wide);
	w->summary_mode = fo.summary;
	w->mode = fo.outcome == MECH_NONE ? MECH_TRACEPOINT : fo.outcome;
	/* handle_mm_fault's exit measures every fault */
	w->exact = fo.exact || w->mode != MECH_TRACEPOINT;
	w->vma_path = vma_arg && !fo.addr_hi ? vma_arg : NULL;
	w->t0 = (uint64_t)(s.t_start * 1e9);
	json_init(&w->j, w->out);
	kpage_open(&w->kp);
	/* frames come from a page-table read at the fault's end; it needs the
	 * direct-map base that bpf/ptwalk finds */
	if (!fo.summary) {
		r = ptwalk_open(&pw, why, sizeof(why));
		if (r) {
			w->pfn_hidden = true;
			cli_note(c, "frames unavailable: %s", why);
		} else {
			fo.direct_base = ptwalk_direct_base(pw);
			fo.top_level = ptwalk_top_level(pw);
			ptwalk_close(pw);
			pw = NULL;
		}
		if (w->kp.flags_fd < 0)
			cli_note(c, "page flags unavailable: kpageflags: %s",
				 strerror(-w->kp.flags_err));
	}
	r = mmtrace_open(&w->mt, &mo, on_mm, w, why, sizeof(why));
	if (!r) {
		mmtrace_set_other(w->mt, on_fault, w);
		r = fltrace_open(&w->ft, w->mt, &fo, why, sizeof(why));
	}
	if (r) {
		ret = cli_error(c, r == -EPERM || r == -EACCES ? EXIT_PRIVILEGE :
				EXIT_RUNTIME, "%s%s", why, r == -EPERM ?
				" (needs root: CAP_BPF and CAP_PERFMON)" : "");
		goto out;
	}
	if (s.pid) {
		r = mmtrace_add(w->mt, s.pid);
		if (r) {
			ret = cli_error(c, EXIT_RUNTIME, "cannot watch %d: %s", s.pid,
					strerror(-r));
			goto out;
		}
		note_pid(w, s.pid);
		/* with -- CMD, the child held before its exec still runs a
		 * few instructions of vmscope's launcher when released (COW
		 * writes, libc text): its VMAs are a copy of ours until the
		 * exec record replaces them */
		vm_model_seed(w->vm, s.pid);
	}
	if (fo.summary)
		push_bounds(w);
	if (!c->json && !fo.summary)
		fprintf(w->out, "%9s %7s %-2s %-7s %7s %-14s %-10s %s\n", "TIME", "TID", "A",
			"RESULT", "LAT", "ADDRESS", "PFN", "WHERE");
	/* no exec VMA records: read /proc while the command is stopped
	 * at its exec (the ring holds the exec event by then) */
	if (!mmtrace_has_exec_vmas(w->mt)) {
		s.at_exec = mmtrace_at_exec;
		s.at_exec_arg = w->mt;
	}
	ret = stream_go(&s, mmtrace_fd(w->mt), "watching faults of", mech_name(w->mode),
			sa.follow);
	if (ret)
		goto out;
	last_print = now_sec();
	next_print = last_print + (double)interval;
	while (!(r = stream_wait(&s, 100))) {
		mmtrace_consume(w->mt);
		flush_batch(w);
		stream_flush_live(&s);
		stream_note_lost(&s, lost_total(w));
		if (fo.summary) {
			push_bounds(w);
			if (interval && now_sec() >= next_print) {
				double t = now_sec();

				read_kernel_counts(w);
				report(w, "interval", t - s.t_start,
				       (double)(w->faults - last_faults) / (t - last_print),
				       NULL);
				last_faults = w->faults;
				last_print = t;
				next_print = t + (double)interval;
			}
		}
	}
	if (r < 0)
		ret = -r;
	mmtrace_consume(w->mt);		/* what arrived before the end */
	flush_batch(w);
	stream_note_lost(&s, lost_total(w));
	if (fo.summary) {
		read_kernel_counts(w);
		if (fltrace_agg_dropped(w->ft))
			cli_note(c, "%" PRIu64 " faults not counted: a counting map was full",
				 fltrace_agg_dropped(w->ft));
	}
	{
		double secs = now_sec() - s.t_start;

		report(w, "summary", secs, secs > 0 ? (double)w->faults / secs : 0, &s);
	}
	if (!ret && s.have_exit)
		ret = s.exit_code;
out:
	if (w) {
		fltrace_close(w->ft);
		mmtrace_close(w->mt);
		kpage_close(&w->kp);
		sym_free(w->sym);
		vm_model_free(w->vm);
		free(w->rows);
		free(w->vrows);
		free(w->iprows);
		free(w->pids);
		free(w->ipc);
		free(w);
	}
	return stream_end(&s, ret);
}
