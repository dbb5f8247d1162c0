/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmscope top, shared by its parts: cmd_top.c (options, set-up, the
 * session and its handlers), top_rows.c (the rows: one per VMA, joined
 * with the live model, their fault counters and residency rescans),
 * top_out.c (snapshots as text and NDJSON, the detail of one VMA) and
 * top_view.c (the full-screen view, ncurses).
 */
#ifndef VMSCOPE_CMD_TOP_H
#define VMSCOPE_CMD_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cli.h"
#include "model/residency.h"
#include "model/vma_model.h"
#include "procfs/kpage.h"
#include "session/session.h"

#define TOP_LAST 6		/* faults remembered per VMA */

struct top_fault {
	uint64_t addr, pfn;
	double t;		/* seconds since the start */
	uint8_t result;		/* enum flt_result */
	bool has_pfn;
};

enum { TOP_NEW = 1, TOP_CHANGED = 2, TOP_GONE = 4 };

/* what a fault's outcome counts as */
enum top_kind { TOP_MINOR, TOP_MAJOR, TOP_FAILED, TOP_KINDS };

struct top_row {
	uint64_t start, end, pgoff;
	const char *path;	/* the model's; NULL: anonymous */
	char perms[5];
	bool flags_known;
	uint64_t flags, prot;	/* vm_flags, vm_page_prot */
	bool owner_known;	/* the iterator's: VMAs there at the start */
	uint64_t owner_fn;	/* vm_ops->fault, ->open, f_op->mmap or
				 * ->name: kernel text, 0 for none */
	/* faults (enum top_kind) since the start, at the last snapshot, and
	 * in the last interval */
	uint64_t f[TOP_KINDS], s_f[TOP_KINDS], d_f[TOP_KINDS];
	struct residency res;
	int res_err;		/* the last scan's error; 0 */
	double scanned;		/* when res was read (now_sec); 0: never */
	bool dirty;		/* faulted or changed since it was read */
	double active;		/* last fault or change in it (now_sec) */
	unsigned int mark;	/* TOP_NEW | TOP_CHANGED | TOP_GONE */
	struct top_fault last[TOP_LAST];
	unsigned int nlast;	/* faults ever put in last[] */
};

/* vm_flags learnt from an event, for the row of that start */
struct top_flags {
	uint64_t start, end, flags, prot;
	bool owner_known;
	uint64_t owner_fn;
};

enum top_sort { SORT_ADDR, SORT_SIZE, SORT_RSS, SORT_FAULTS, SORT_RECENT, SORT_NR };
extern const char *const top_sort_names[SORT_NR];

/* A run of frames of the detail's VMA: pages consecutive in both spaces
 * with one state (present runs: pfn, pfn+1 ...). */
struct top_run {
	uint64_t vaddr, pages, pfn;
	bool present, swapped, huge, zero;
	bool kflags_known, mapcount_known;
	uint64_t kflags, mapcount;
	bool from_walk;
};

#define TOP_RUNS_MAX 4096

struct top_detail {
	uint64_t start, end;	/* the VMA shown; end 0: none */
	struct top_run *runs;
	size_t n, cap;
	bool truncated;		/* more runs than TOP_RUNS_MAX */
	bool from_walk;		/* VM_PFNMAP/VM_IO: the page-table walk's */
	bool pfn_hidden;	/* frames unknown: runs by address only */
	uint64_t present, frames_contig;	/* pages; breaks between runs */
	int err;
	const char *why;	/* err's reason, if not errno's */
};

struct top {
	struct cli *c;
	struct session *s;
	struct vm_model *vm;
	pid_t pid;
	char comm[17];
	const char *mm_mode, *flt_mode;

	struct top_row *rows;	/* sorted by start: the live VMAs */
	size_t n, cap;
	struct top_row *gone;	/* removed in this interval */
	size_t ngone, gonecap;
	struct top_flags *pend;	/* flags from events, for the next join */
	size_t npend, pendcap;
	uint64_t pend_dropped, gone_dropped;

	/* whole-process counters since the start, and at the last snapshot */
	uint64_t f[TOP_KINDS], s_f[TOP_KINDS], novma, calls, s_calls;
	double t_snap;		/* the last snapshot's now_sec */
	double dt;		/* the last interval's length */
	double rate[TOP_KINDS], rate_calls;
	int statm_fd;		/* /proc/PID/statm, read once a refresh */
	uint64_t statm_rss;	/* pages, the kernel's */
	bool statm_ok;

	/* rescans */
	int pagemap_fd;
	struct ptwalk *pw;	/* NULL: PFNMAP VMAs unknown */
	struct kpage_reader kp;
	bool pfn_hidden;	/* pagemap shows no frames (no CAP_SYS_ADMIN) */
	double budget;		/* seconds of rescans per refresh */
	uint64_t scans, scan_pages_total;
	double scan_secs;	/* the last refresh's */
	double refresh_cpu;	/* the last refresh's CPU seconds (vmscope's) */
	double refresh_first, refresh_max, refresh_sum;	/* after the first */

	/* options */
	bool batch, wide;
	unsigned int width;
	double delay;
	long count;		/* -n; 0: until stopped */
	const char *filter;
	enum top_sort sort;
	bool have_detail;
	uint64_t detail_addr;	/* -b/--json: the VMA to detail */

	uint64_t snapshots;
	double next_snap;
	bool paused;

	struct symbolizer *sym;	/* owner names, made when first needed */

	/* the view (ncurses) */
	bool want_view, view_failed;
	void *view;
	struct top_detail det;
};

/* top_rows.c */
int top_join(struct top *t);			/* rows ← the model */
/* v's flags (and owner, when known: the iterator's) for its row at the
 * next join */
void top_note_flags(struct top *t, const struct mm_vma *v, bool owner_known, uint64_t owner_fn);
void top_fault(struct top *t, const struct flt_event *e, double now);
void top_rescan(struct top *t, double now, bool all);
void top_take_interval(struct top *t, double now);	/* rates, marks */
void top_end_interval(struct top *t);		/* clear marks, gone */
/* Rows to show, in order (indexes into rows; gone ones as n + i). */
size_t top_order(const struct top *t, size_t **idx);
const struct top_row *top_row_at(const struct top *t, size_t i);
ssize_t top_find(const struct top *t, uint64_t addr);
uint64_t top_resident(const struct top *t, bool *all_known);
void top_rows_free(struct top *t);
void top_forget_rows(struct top *t);		/* exec: a new address space */
const char *top_row_name(const struct top_row *r);

/* top_out.c */
int top_detail_read(struct top *t, const struct top_row *r);
/* The kernel function that owns r's mapping: NULL when unknown (mapped
 * since the start: events do not carry it), "-" for none. */
const char *top_owner(struct top *t, const struct top_row *r);
void top_detail_free(struct top_detail *d);
void top_print_text(struct top *t, FILE *f);
void top_print_json(struct top *t, FILE *f);
void top_print_summary(struct top *t, FILE *f, double secs);
/* one row as text, cols columns wide, into buf */
void top_format_row(const struct top *t, const struct top_row *r, unsigned int cols,
		    char *buf, size_t len);
void top_format_header(const struct top *t, unsigned int cols, char *buf, size_t len);
void top_format_head_line(const struct top *t, unsigned int line, unsigned int cols,
			  char *buf, size_t len);
#define TOP_HEAD_LINES 3
void top_format_run(const struct top_run *r, bool pfn_hidden, char *buf, size_t len);
const char *breaks_str(const struct top_detail *d, char *buf, size_t len);

/* top_view.c */
int top_view_open(struct top *t);
void top_view_draw(struct top *t);
void top_view_key(void *arg);			/* session input handler */
void top_view_close(struct top *t);
bool top_view_too_small(void);

#endif
