// SPDX-License-Identifier: GPL-2.0
/* vmscope pfn PID RANGE: the physical frames behind a range. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracers/bpf_ptwalk.h"
#include "cli.h"
#include "procfs/maps.h"
#include "output/digits.h"
#include "output/json.h"
#include "model/pfn_scan.h"
#include "procfs/kpage.h"
#include "procfs/pagemap.h"
#include "procfs/proc.h"
#include "decode/range.h"
#include "util.h"
#include "model/vma_stream.h"
#include "model/vma_table.h"

#define CAP_SYS_ADMIN 21

#define PFN_CHUNK	16384	/* --all: VMAs held at once */

static const char pfn_usage[] =
"Usage: vmscope pfn [--json] [-w] [--each] PID RANGE\n"
"       vmscope pfn [--json] [-w] [--each] PID --vma ADDR\n"
"       vmscope pfn [--json] [-w] [--each] PID --all\n"
"\n"
"The physical frames (PFNs) behind RANGE of PID, with pagemap state\n"
"(present, swapped, file, exclusive), /proc/kpageflags names and the\n"
"/proc/kpagecount mapcount. Contiguous frames with equal state and flags\n"
"are shown as one run. VM_PFNMAP/VM_IO mappings, holes to pagemap, are\n"
"read by a BPF page-table walk (source: pagetable).\n"
"\n"
"RANGE (hex addresses, with or without 0x):\n"
"  ADDR              the page holding ADDR\n"
"  START-END         [START, END)\n"
"  START+LEN         LEN bytes from START (decimal, K/M/G/T suffix, or 0x)\n"
"\n"
"Options:\n"
"      --vma ADDR    the whole VMA holding ADDR\n"
"      --all         every VMA of the process\n"
"  -e, --each        one line (JSON element) per page instead of runs\n"
"  -j, --json        a JSON array of runs (or pages)\n"
"  -w, --wide        long page-flag names instead of letters\n"
"  -h, --help        this help\n";

struct pfn_out {
	struct cli *c;
	struct json j;
	bool each;
	bool have;		/* run pending */
	struct frame_item run;
	uint64_t items, pages_present, pages_swapped, pages_walked;
	uint64_t used_flags;	/* letters to explain in the legend */
};

static bool same_state(const struct frame_item *a, const struct frame_item *b)
{
	return a->present == b->present && a->swapped == b->swapped &&
	       a->guard == b->guard &&
	       a->file == b->file && a->exclusive == b->exclusive &&
	       a->exclusive_known == b->exclusive_known &&
	       a->kflags_known == b->kflags_known && a->kflags == b->kflags &&
	       a->mapcount_known == b->mapcount_known && a->mapcount == b->mapcount &&
	       a->page_shift == b->page_shift && a->source == b->source;
}

/* Does b continue run a (addresses, frames, swap slots)? */
static bool continues(const struct frame_item *a, const struct frame_item *b)
{
	if (a->vaddr + (a->pages << PAGE_SHIFT) != b->vaddr || !same_state(a, b))
		return false;
	if (a->present)
		return a->pfn + a->pages == b->pfn;
	if (a->swapped && a->source == SRC_PAGEMAP)
		return a->swap_type == b->swap_type &&
		       a->swap_offset + a->pages == b->swap_offset;
	return !a->swapped;
}

static void json_item(struct pfn_out *o, const struct frame_item *it)
{
	struct json *j = &o->j;
	unsigned int b;

	json_obj_begin(j);
	json_khex(j, "vaddr", it->vaddr);
	json_ku64(j, "pages", it->pages);
	json_key(j, "pfn");
	if (it->present)
		json_hex(j, it->pfn);
	else
		json_null(j);
	json_kbool(j, "present", it->present);
	json_kbool(j, "swapped", it->swapped);
	json_kbool(j, "guard", it->guard);
	json_kbool(j, "file", it->file);
	json_key(j, "exclusive");
	if (it->exclusive_known)
		json_bool(j, it->exclusive);
	else
		json_null(j);
	json_key(j, "flags");
	if (it->kflags_known) {
		json_arr_begin(j);
		for (b = 0; b < 64; b++) {
			const char *n = kpage_flag_name(b);
			char tmp[16];

			if (!(it->kflags & (1ULL << b)))
				continue;
			if (!n) {
				snprintf(tmp, sizeof(tmp), "bit%u", b);
				n = tmp;
			}
			json_str(j, n);
		}
		json_arr_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "mapcount");
	if (it->mapcount_known)
		json_u64(j, it->mapcount);
	else
		json_null(j);
	json_kstr(j, "source", it->source == SRC_PAGETABLE ? "pagetable" : "pagemap");
	json_ku64(j, "page_size", 1ULL << it->page_shift);
	if (it->swapped && it->source == SRC_PAGEMAP) {
		json_key(j, "swap");
		json_obj_begin(j);
		json_ku64(j, "type", it->swap_type);
		json_khex(j, "offset", it->swap_offset);
		json_obj_end(j);
	}
	if (it->source == SRC_PAGETABLE)
		json_khex(j, "entry", it->entry);
	json_obj_end(j);
}

/* Hand-rolled formatting: one line per page on 2 GiB is 524,288 lines and
 * printf was two thirds of the user time (callgrind). */
static char *put_hex(char *p, uint64_t v, int min_digits)
{
	char tmp[24], *e = tmp + sizeof(tmp), *q = digits_hex(e, v);

	while (e - q < min_digits)
		*--q = '0';
	memcpy(p, q, (size_t)(e - q));
	return p + (e - q);
}

static char *put_dec(char *p, uint64_t v)
{
	char tmp[24], *e = tmp + sizeof(tmp), *q = digits_dec(e, v);

	memcpy(p, q, (size_t)(e - q));
	return p + (e - q);
}

/* text right- or left-aligned in a field of width w, then one space */
static char *put_field(char *p, const char *s, size_t len, int w, bool right)
{
	int pad = w > (int)len ? w - (int)len : 0;

	if (right) {
		memset(p, ' ', pad);
		p += pad;
	}
	memcpy(p, s, len);
	p += len;
	if (!right) {
		memset(p, ' ', pad);
		p += pad;
	}
	*p++ = ' ';
	return p;
}

static void plain_item(struct pfn_out *o, const struct frame_item *it)
{
	char line[600], f[48], *p = line, *q;
	unsigned int b;

	*p++ = '0';
	*p++ = 'x';
	p = put_hex(p, it->vaddr, 12);
	*p++ = ' ';
	q = put_dec(f, it->pages);
	p = put_field(p, f, q - f, 8, true);
	if (it->present) {
		f[0] = '0';
		f[1] = 'x';
		q = put_hex(f + 2, it->pfn, 1);
	} else if (it->swapped && it->source == SRC_PAGEMAP) {
		q = f + snprintf(f, sizeof(f), "swap%u:0x%" PRIx64, it->swap_type,
				 it->swap_offset);
	} else {
		q = stpcpy(f, it->swapped ? "nonpresent" : "-");
	}
	p = put_field(p, f, q - f, 16, false);
	if (it->present && it->mapcount_known)
		q = put_dec(f, it->mapcount);
	else
		q = stpcpy(f, it->present ? "?" : "-");
	p = put_field(p, f, q - f, 4, true);
	/* the common sizes without human_size's floating point */
	if (it->page_shift == 12 || it->page_shift == 21 || it->page_shift == 30)
		strcpy(f, it->page_shift == 12 ? "4K" : it->page_shift == 21 ? "2M" : "1G");
	else
		human_size(1ULL << it->page_shift, f, sizeof(f));
	p = put_field(p, f, strlen(f), 4, false);
	f[0] = it->present ? 'P' : it->swapped ? 'S' : it->guard ? 'G' : '-';
	f[1] = it->file ? 'F' : '-';
	f[2] = !it->exclusive_known ? '?' : it->exclusive ? 'X' : '-';
	p = put_field(p, f, 3, 5, false);
	p = put_field(p, it->source == SRC_PAGETABLE ? "pt" : "pm", 2, 3, false);
	if (it->present && !it->kflags_known) {
		*p++ = '?';
	} else if (it->present && o->c->wide) {
		kpage_flags_str(it->kflags, p, line + sizeof(line) - p - 1);
		p += strlen(p);
	} else if (it->present) {
		for (b = 0; b < 64; b++)
			if (it->kflags & (1ULL << b))
				*p++ = kpage_flag_letter(b) ? kpage_flag_letter(b) : '?';
		o->used_flags |= it->kflags;
	}
	*p++ = '\n';
	fwrite(line, 1, p - line, stdout);
}

static void flush_run(struct pfn_out *o)
{
	if (!o->have)
		return;
	o->items++;
	if (o->c->json)
		json_item(o, &o->run);
	else
		plain_item(o, &o->run);
	o->have = false;
}

static int on_frame(const struct frame_item *it, void *arg)
{
	struct pfn_out *o = arg;

	if (it->present)
		o->pages_present += it->pages;
	else if (it->swapped)
		o->pages_swapped += it->pages;
	if (it->source == SRC_PAGETABLE)
		o->pages_walked += it->pages;
	if (o->each && (it->present || it->swapped) && it->pages > 1) {
		/* a huge leaf: one element per 4K page */
		struct frame_item one = *it;
		uint64_t i;

		for (i = 0; i < it->pages; i++) {
			one.vaddr = it->vaddr + (i << PAGE_SHIFT);
			one.pages = 1;
			if (it->present)
				one.pfn = it->pfn + i;
			flush_run(o);
			o->run = one;
			o->have = true;
		}
		return 0;
	}
	/* --each: a page per line, but a hole stays one line whether the
	 * kernel reported it whole (PAGEMAP_SCAN) or page by page */
	if (o->have && (!o->each || (!it->present && !it->swapped)) &&
	    continues(&o->run, it)) {
		o->run.pages += it->pages;
		return 0;
	}
	flush_run(o);
	o->run = *it;
	o->have = true;
	return 0;
}

static void plain_header(void)
{
	printf("%-14s %8s %-16s %4s %-4s %-5s %-3s %s\n", "VADDR", "PAGES", "PFN",
	       "MAP", "SIZE", "STATE", "SRC", "FLAGS");
}

static void plain_legend(const struct pfn_out *o)
{
	unsigned int b;
	int col;

	printf("\nSTATE: P present, S swapped, G guard page, F file/shared, X exclusive,\n"
	       "       ? unknown\n"
	       "SRC:   pm pagemap, pt page-table walk\n");
	if (!o->used_flags || o->c->wide)
		return;
	printf("FLAGS:");
	col = 6;
	for (b = 0; b < 64; b++) {
		const char *n = kpage_flag_name(b);
		int w;

		if (!(o->used_flags & (1ULL << b)) || !n || !kpage_flag_letter(b))
			continue;
		w = (int)strlen(n) + 3;
		if (col + w > 79) {
			printf("\n      ");
			col = 6;
		}
		printf(" %c %s", kpage_flag_letter(b), n);
		col += w;
	}
	putchar('\n');
}

static void blind_note(uint64_t start, uint64_t end, void *arg)
{
	struct pfn_out *o = arg;

	cli_note(o->c, "frames of VM_PFNMAP/VM_IO range 0x%" PRIx64 "-0x%" PRIx64
		 " not shown: pagemap reports them as holes and the page-table "
		 "walk is unavailable", start, end);
}

/* Whether [lo, hi) holds a VMA of t; opens the page-table walk the first
 * time one needs it (VM_PFNMAP/VM_IO, or before 6.7 for THPs). */
static bool open_walk_if_needed(struct cli *c, const struct vma_table *t, uint64_t lo,
				uint64_t hi, struct pfn_scan_opts *so, bool *tried)
{
	bool any = false;
	char why[256];
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct vma *v = &t->v[i];

		if (v->m.end <= lo || v->m.start >= hi)
			continue;
		any = true;
		if (so->pw || c->no_bpf || *tried)
			continue;
		/* before 6.7 (no PAGEMAP_SCAN) the walk also tells a
		 * PMD-mapped THP from a split one */
		if (!vma_pagemap_blind(v) && pagemap_scan_supported())
			continue;
		*tried = true;
		if (ptwalk_open(&so->pw, why, sizeof(why))) {
			cli_note(c, "page-table walk unavailable: %s%s", why,
				 pagemap_scan_supported() ? "" :
				 " (THPs are shown as 4K pages)");
			so->pw = NULL;
		}
	}
	return any;
}

struct pfn_args {
	int pid;
	const char *range, *vma_addr;	/* RANGE, --vma ADDR */
	bool all, each;			/* --all, --each */
	uint64_t lo, hi, limit;		/* the range; where user space ends */
};

/* options and the target: -1 to go on, else the exit status to return
 * now (--help: 0) */
static int pfn_args_parse(struct cli *c, int argc, char **argv, struct pfn_args *a)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "each", no_argument, NULL, 'e' },
		{ "all", no_argument, NULL, 'a' },
		{ "vma", required_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, r, levels;

	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "e", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e': a->each = true; continue;
		case 'a': a->all = true; continue;
		case 'V': a->vma_addr = optarg; continue;
		}
		r = cli_command_opt(c, opt, optarg, pfn_usage);
		if (r >= 0)
			return r;
	}
	if (optind >= argc) {
		fputs(pfn_usage, stderr);
		return cli_error(c, EXIT_USAGE, "pfn needs a PID and a RANGE");
	}
	r = cli_parse_pid(c, argv[optind++], &a->pid);
	if (r)
		return r;
	if (optind < argc)
		a->range = argv[optind++];
	if (optind < argc)
		return cli_error(c, EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if (!!a->range + !!a->vma_addr + a->all != 1)
		return cli_error(c, EXIT_USAGE, "give exactly one of RANGE, --vma ADDR "
				 "or --all");
	levels = paging_levels();
	a->limit = user_addr_limit(levels == 5 ? 5 : 4);
	if (a->range && range_parse(a->range, &a->lo, &a->hi))
		return cli_error(c, EXIT_USAGE, "bad RANGE '%s': expected ADDR, "
				 "START-END or START+LEN (hex addresses)", a->range);
	if (a->vma_addr && addr_parse(a->vma_addr, &a->lo))
		return cli_error(c, EXIT_USAGE, "bad address '%s' for --vma", a->vma_addr);
	if ((a->range || a->vma_addr) && (a->lo >= a->limit || (a->range && a->hi > a->limit)))
		return cli_error(c, EXIT_USAGE, "%s is not a user-space address "
				 "(kernel or non-canonical; user space ends at 0x%" PRIx64 ")",
				 a->range ? a->range : a->vma_addr, a->limit);
	r = cli_check_pid(c, a->pid);
	if (r)
		return r;
	if (!have_cap(CAP_SYS_ADMIN))
		return cli_error(c, EXIT_PRIVILEGE, "PFNs hidden: /proc/%d/pagemap "
				 "needs CAP_SYS_ADMIN (run as root)", a->pid);
	return -1;
}

/* The VMAs to scan: all at once, or (--all) the first chunk of a stream.
 * EXIT_OK or the exit status. */
static int read_vmas(struct cli *c, const struct pfn_args *a, struct vma_table *t,
		     struct vma_stream **vs, struct progress *pg)
{
	int r;

	if (a->all) {
		/* every VMA: in chunks, so memory stays bounded at any count */
		r = vma_stream_open(a->pid, c->no_bpf ? 0 : VT_USE_BPF, vs);
		if (!r) {
			progress_start(pg);
			r = (int)vma_stream_next(*vs, PFN_CHUNK, t);
			r = r < 0 ? r : 0;
		}
		if (r) {
			vma_stream_close(*vs);
			*vs = NULL;
		}
	} else {
		r = vma_stream_read_all(a->pid, c->no_bpf ? 0 : VT_USE_BPF, t);
	}
	if (r == -ESRCH)
		return cli_error(c, EXIT_RUNTIME, "no such process: %d (it exited)", a->pid);
	if (r)
		return cli_error(c, r == -EACCES || r == -EPERM ? EXIT_PRIVILEGE :
				 EXIT_RUNTIME, "cannot read /proc/%d/maps: %s", a->pid,
				 maps_strerror(r));
	return EXIT_OK;
}

int cmd_pfn(struct cli *c, int argc, char **argv)
{
	struct pfn_out o = { .c = c };
	struct pfn_scan_opts so = { .on_blind = blind_note };
	struct kpage_reader kr = { .flags_fd = -1, .count_fd = -1 };
	struct vma_table t = {};
	struct vma_stream *vs = NULL;
	struct progress pg = { 0 };
	struct pfn_args a = { 0 };
	const char *range, *vma_addr;
	uint64_t lo, hi, limit;
	bool all, any = false, tried = false;
	int r, pid, fd = -1;

	r = pfn_args_parse(c, argc, argv, &a);
	if (r >= 0)
		return r;
	pid = a.pid;
	range = a.range;
	vma_addr = a.vma_addr;
	all = a.all;
	o.each = a.each;
	lo = a.lo;
	hi = a.hi;
	limit = a.limit;
	r = read_vmas(c, &a, &t, &vs, &pg);
	if (r)
		return r;
	if (t.kernel_err && c->verbose)
		cli_note(c, "VMA flags from smaps: %s", t.kernel_why);
	if (vma_addr) {
		ssize_t k = vma_table_find(&t, lo);

		if (k < 0) {
			vma_table_free(&t);
			cli_note(c, "no VMA of process %d holds 0x%" PRIx64, pid, lo);
			goto empty;
		}
		lo = t.v[k].m.start;
		hi = t.v[k].m.end;
	} else if (all) {
		lo = 0;
		hi = limit;
	}
	any = open_walk_if_needed(c, &t, lo, hi, &so, &tried);
	if (!any) {
		vma_stream_close(vs);
		vma_table_free(&t);
		ptwalk_close(so.pw);
		/* an exiting process's maps read as empty: not "nothing mapped" */
		if (proc_has_mm(pid) != 1)
			return cli_error(c, EXIT_RUNTIME, "process %d exited while being "
					 "read", pid);
		if (range)
			cli_note(c, "nothing mapped in %s of process %d", range, pid);
		else
			cli_note(c, "process %d has no VMAs", pid);
		goto empty;
	}
	fd = pagemap_open(pid);
	if (fd < 0) {
		vma_stream_close(vs);
		vma_table_free(&t);
		ptwalk_close(so.pw);
		return cli_error(c, fd == -ESRCH ? EXIT_RUNTIME : EXIT_PRIVILEGE,
				 "cannot open /proc/%d/pagemap: %s", pid, strerror(-fd));
	}
	kpage_open(&kr);
	if (kr.flags_fd < 0)
		cli_note(c, "page flags unknown: /proc/kpageflags: %s",
			 strerror(-kr.flags_err));
	if (kr.count_fd < 0)
		cli_note(c, "mapcounts unknown: /proc/kpagecount: %s",
			 strerror(-kr.count_err));
	so.kr = &kr;

	if (c->json) {
		json_init(&o.j, stdout);
		json_arr_begin(&o.j);
	} else {
		plain_header();
	}
	for (;;) {
		r = pfn_scan(pid, fd, &t, lo, hi, &so, on_frame, &o);
		if (r || !vs)
			break;
		vma_table_free(&t);
		progress_show(&pg, "pfn: %zu VMAs", vma_stream_count(vs));
		r = (int)vma_stream_next(vs, PFN_CHUNK, &t);
		if (r <= 0)
			break;
		open_walk_if_needed(c, &t, lo, hi, &so, &tried);
	}
	progress_end(&pg);
	vma_stream_close(vs);
	flush_run(&o);
	if (c->json) {
		json_arr_end(&o.j);
		json_end_doc(&o.j);
	} else if (!r) {
		plain_legend(&o);
	}
	close(fd);
	kpage_close(&kr);
	ptwalk_close(so.pw);
	vma_table_free(&t);
	if (r == -ESRCH || r == -EIO)
		return cli_error(c, EXIT_RUNTIME, "process %d exited or changed while "
				 "reading (%s): output is partial", pid, strerror(-r));
	if (r)
		return cli_error(c, EXIT_RUNTIME, "reading frames of process %d "
				 "failed: %s", pid, strerror(-r));
	if (c->verbose)
		cli_note(c, "%" PRIu64 " pages present, %" PRIu64 " swapped, %" PRIu64
			 " from the page-table walk, %" PRIu64 " lines", o.pages_present,
			 o.pages_swapped, o.pages_walked, o.items);
	return EXIT_OK;
empty:
	if (c->json)
		printf("[]\n");
	return EXIT_OK;
}
