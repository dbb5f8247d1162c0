/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmscope faults, shared by its parts: cmd_faults.c (options, set-up, the
 * session), faults_agg.c (each fault filed under its VMA and ip, the
 * batch's page flags, --summary's kernel counts) and faults_report.c
 * (rows, tables, the summary).
 */
#ifndef VMSCOPE_CMD_FAULTS_H
#define VMSCOPE_CMD_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cli.h"
#include "model/symbolize.h"
#include "model/vma_model.h"
#include "output/json.h"
#include "procfs/kpage.h"
#include "session/session.h"
#include "tracers/records.h"
#include "vmscope_abi.h"

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

/* Per-VMA counts (both modes), keyed by (pid, start, path); start 0: no
 * VMA.
 * At the report, the rows of VMAs unmapped since are one row per (pid,
 * path): start and end their span, regions how many went. */
struct vrow {
	pid_t pid;
	uint64_t start, end;
	const char *path;
	bool gone;
	uint64_t regions;
	uint64_t by[3][FLT_NR_RESULTS];
	uint64_t kernel, total;
};

/* --summary: a VMA as the kernel's table names it (by its tag: index + 1
 * here). One per (pid, start, path), so that the anonymous and the file
 * regions mapped in turn at one address are told apart, and a region
 * mapped a thousand times there is one name. */
struct vclass {
	pid_t pid;
	uint64_t start, end;
	const char *path;
};

#define VCLASS_MAX (1 << 20)	/* then filed by page */

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
	struct session *s;		/* its tracers: s->mt, s->ft */
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
	struct vclass *cls;
	size_t ncls, capcls;
	uint32_t *clshash;	/* index + 1, open addressing */
	size_t clshcap;
	/* pids whose VMA table the kernel should get (--summary) */
	pid_t *pids;
	size_t npids, cappids;
	struct flagtext {
		uint64_t flags;
		uint16_t len;		/* 0: empty slot */
		char text[1024];	/* all 38 names, quoted: 386 bytes */
	} flagtext[16];
	bool pfn_hidden;		/* no direct-map base: frames unknown */
	/* --interval: the next report, and where the last one stood */
	uint64_t interval, last_faults;
	double next_print, last_print;
	char pfn_why[200];
};

#define TOP 10

/* pid's VMA table goes to the kernel (--summary) */
void faults_note_pid(struct watcher *w, pid_t pid);

/* enum flt_access of an x86 error code */
unsigned int faults_access_of(uint32_t error_code);

/* The session's handlers: a fault, a VMA change. */
int faults_on_fault(const struct flt_event *e, void *arg);
int faults_on_mm(const struct mm_event *ev, void *arg);

/* Page flags for the whole batch with one sorted pass, then print it. */
void faults_flush_batch(struct watcher *w);

/* --summary: give the kernel pid's VMA table, if it changed since it
 * last got it. */
void faults_push_bounds_of(struct watcher *w, pid_t pid);

/* ... for every process we know */
void faults_push_bounds(struct watcher *w);

/* Rebuild the tables from the kernel's counts (they are cumulative). */
void faults_read_counts(struct watcher *w);

/* Before a report: the rows whose VMA is unmapped now marked so and
 * merged by (pid, path). */
void faults_settle_vmas(struct watcher *w);

/* qsort orders: most faults first */
int faults_cmp_vrow(const void *a, const void *b);
int faults_cmp_iprow(const void *a, const void *b);

/* The symbol of a top-list ip (NULL: unknown), *file its mapping. */
const char *faults_ip_name(struct watcher *w, const struct iprow *r, char *buf,
			   size_t len, const char **file);

/* One fault as a line of at most 80 columns (unless --wide). */
void faults_plain_row(struct watcher *w, const struct fault_row *r);

/* One fault as NDJSON. Written in pieces with its keys in literals: the
 * general writer's per-token bookkeeping was most of vmscope's own time
 * streaming a million faults. */
void faults_json_row(struct watcher *w, const struct fault_row *r);

/* The summary (or an --interval report): totals and tables; s gives the
 * command's exit status, NULL for an interval. */
void faults_report(struct watcher *w, const char *type, double secs, double rate,
		   const struct session *s);

#endif
