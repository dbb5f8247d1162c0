// SPDX-License-Identifier: GPL-2.0
/* vmscope walk PID ADDR...: the MMU's translation, level by level. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tracers/bpf_ptwalk.h"
#include "cli.h"
#include "output/json.h"
#include "output/text.h"
#include "decode/pgtable.h"
#include "procfs/maps.h"
#include "decode/range.h"
#include "util.h"
#include "decode/vmflags.h"
#include "procfs/proc.h"

#define CAP_SYS_ADMIN 21

static const char walk_usage[] =
"Usage: vmscope walk [--json] PID ADDR [ADDR...]\n"
"\n"
"Translate each ADDR of PID the way the MMU does: for every paging level\n"
"(pgd, p4d with 5-level paging, pud, pmd, pte) the index taken from the\n"
"address, the raw entry and its bits, then the physical address, page\n"
"size and cache mode. Works where pagemap is blind (VM_PFNMAP/VM_IO\n"
"mappings such as driver memory). A walk that stops at a non-present\n"
"entry says at which level, and decodes swap entries.\n"
"\n"
"ADDR is hexadecimal, with or without 0x.\n"
"\n"
"Options:\n"
"  -j, --json        one JSON object (an array of them for several ADDRs)\n"
"  -h, --help        this help\n";

/* One translated address. */
struct walk {
	uint64_t addr;
	struct ptw_rec rec[PTW_PGD + 1];
	size_t n;
	uint64_t pgd_phys;
	const struct maps_entry *vma;	/* NULL: outside every VMA */
	int leaf;			/* index into rec[], -1 if none */
	uint64_t phys, page_size;
	const char *cache;
};

static int rec_level(const struct walk *w, size_t i)
{
	return (int)w->rec[i].level;
}

static void finish(struct walk *w)
{
	size_t i;

	w->leaf = -1;
	for (i = 0; i < w->n; i++) {
		uint64_t e = w->rec[i].entry;
		int l = rec_level(w, i);

		if (pgtable_is_leaf(e, l)) {
			w->leaf = (int)i;
			w->page_size = 1ULL << (12 + 9 * l);
			w->phys = pgtable_target(e, l) | (w->addr & (w->page_size - 1));
			w->cache = cache_mode(e, l);
		}
	}
}

/* The entry where the walk stopped without a frame, or NULL. */
static const struct ptw_rec *stopped_at(const struct walk *w)
{
	if (w->leaf >= 0 || !w->n)
		return NULL;
	return &w->rec[w->n - 1];
}

/* Types below the number of swap areas are swap slots; the kernel takes
 * the top types for migration, device, hwpoison and marker entries (a
 * guard page is a marker). */
static const char *swap_kind(unsigned int type)
{
	int areas = proc_swap_areas();

	if (areas < 0)
		return "swap slot or special entry";
	return type < (unsigned int)areas ? "swapped out" :
	       "special: migration, device, hwpoison or marker";
}

static void json_flag(const char *name, void *arg)
{
	json_str(arg, name);
}

static void show_json(struct json *j, pid_t pid, const struct walk *w, int levels)
{
	const struct ptw_rec *stop = stopped_at(w);
	size_t i;

	json_obj_begin(j);
	json_ku64(j, "pid", (uint64_t)pid);
	json_khex(j, "addr", w->addr);
	json_ku64(j, "paging_levels", (uint64_t)levels);
	json_key(j, "vma");
	if (w->vma) {
		json_obj_begin(j);
		json_khex(j, "start", w->vma->start);
		json_khex(j, "end", w->vma->end);
		json_kstr(j, "perms", w->vma->perms);
		json_key(j, "path");
		if (w->vma->path)
			json_strn(j, w->vma->path, w->vma->path_len);
		else
			json_null(j);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_khex(j, "cr3", w->pgd_phys);
	json_key(j, "levels");
	json_arr_begin(j);
	for (i = 0; i < w->n; i++) {
		const struct ptw_rec *r = &w->rec[i];
		int l = rec_level(w, i);
		bool leaf = pgtable_is_leaf(r->entry, l);

		json_obj_begin(j);
		json_kstr(j, "level", pgtable_level_name(l, levels));
		json_ku64(j, "index", pgtable_index(w->addr, l));
		json_khex(j, "entry", r->entry);
		json_key(j, "flags");
		json_arr_begin(j);
		pgtable_flags(r->entry, l, leaf, json_flag, j);
		json_arr_end(j);
		json_kbool(j, "present", pgtable_maps_frame(r->entry));
		json_kbool(j, "leaf", leaf);
		if (pgtable_maps_frame(r->entry))
			json_khex(j, leaf ? "page" : "next_table",
				  pgtable_target(r->entry, l));
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "pfn");
	if (w->leaf >= 0)
		json_hex(j, w->phys >> PAGE_SHIFT);
	else
		json_null(j);
	json_key(j, "page_size");
	if (w->leaf >= 0)
		json_u64(j, w->page_size);
	else
		json_null(j);
	json_key(j, "phys");
	if (w->leaf >= 0)
		json_hex(j, w->phys);
	else
		json_null(j);
	json_kstr(j, "cache", w->leaf >= 0 ? w->cache : NULL);
	if (w->leaf >= 0) {
		json_ku64(j, "pkey", pgtable_pkey(w->rec[w->leaf].entry));
	}
	json_kstr(j, "stopped_at", stop ? pgtable_level_name((int)stop->level, levels) : NULL);
	json_key(j, "swap");
	if (stop && stop->entry) {
		struct swap_entry s;

		pgtable_swap_decode(stop->entry, &s);
		json_obj_begin(j);
		json_ku64(j, "type", s.type);
		json_khex(j, "offset", s.offset);
		json_kbool(j, "exclusive", s.exclusive);
		json_kstr(j, "kind", swap_kind(s.type));
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_obj_end(j);
}

struct flagbuf {
	char s[96];
};

static void text_flag(const char *name, void *arg)
{
	struct flagbuf *b = arg;
	size_t n = strlen(b->s);

	snprintf(b->s + n, sizeof(b->s) - n, "%s%s", n ? " " : "", name);
}

/* The address split into its index fields, textbook style. */
static void show_split(const struct walk *w, int levels)
{
	int last = w->leaf >= 0 ? rec_level(w, (size_t)w->leaf) : PTW_PTE;
	int top = levels == 5 ? PTW_PGD : PTW_P4D, l;

	printf("  %-6s", "bits");
	for (l = top; l >= last; l--)
		printf("  %2d:%-2d", 20 + 9 * l, 12 + 9 * l);
	printf("  %2d:0\n", 11 + 9 * last);
	printf("  %-6s", "field");
	for (l = top; l >= last; l--)
		printf("  %-5s", pgtable_level_name(l, levels));
	printf("  offset\n");
	printf("  %-6s", "index");
	for (l = top; l >= last; l--)
		printf("  %-5u", pgtable_index(w->addr, l));
	printf("  0x%" PRIx64 "\n", w->addr & (uint64_t)((1ULL << (12 + 9 * last)) - 1));
}

static void show_plain(pid_t pid, const struct walk *w, int levels)
{
	const struct ptw_rec *stop = stopped_at(w);
	size_t i;

	printf("process %d, address 0x%" PRIx64 " (%d-level paging)\n", pid,
	       w->addr, levels);
	if (w->vma) {
		char *path = w->vma->path ?
			text_escape(w->vma->path, w->vma->path_len) : NULL;

		printf("  vma   0x%" PRIx64 "-0x%" PRIx64 " %s %s\n", w->vma->start,
		       w->vma->end, w->vma->perms, path ? path : "[anon]");
		free(path);
	} else {
		printf("  vma   none: the address is outside every VMA\n");
	}
	show_split(w, levels);
	printf("  cr3       0x%" PRIx64 "\n", w->pgd_phys);
	for (i = 0; i < w->n; i++) {
		const struct ptw_rec *r = &w->rec[i];
		int l = rec_level(w, i);
		struct flagbuf b = { "" };
		char slot[16];

		snprintf(slot, sizeof(slot), "%s[%u]", pgtable_level_name(l, levels),
			 pgtable_index(w->addr, l));
		pgtable_flags(r->entry, l, pgtable_is_leaf(r->entry, l), text_flag, &b);
		printf("  %-9s 0x%016" PRIx64 "  %s\n", slot, (uint64_t)r->entry,
		       b.s[0] ? b.s : (r->entry ? "not present" : "none"));
	}
	if (w->leaf >= 0) {
		char size[8];

		human_size(w->page_size, size, sizeof(size));
		printf("  page      0x%" PRIx64 " + 0x%" PRIx64 " = phys 0x%" PRIx64 "\n",
		       w->phys & ~(w->page_size - 1), w->addr & (w->page_size - 1),
		       w->phys);
		printf("            pfn 0x%" PRIx64 ", %s page, cache %s",
		       w->phys >> PAGE_SHIFT, size, w->cache);
		if (pgtable_pkey(w->rec[w->leaf].entry))
			printf(", pkey %u", pgtable_pkey(w->rec[w->leaf].entry));
		printf("\n");
	} else if (stop && stop->entry) {
		struct swap_entry s;

		pgtable_swap_decode(stop->entry, &s);
		printf("  stop      at %s: not present, swap-format entry\n"
		       "            type %u offset 0x%" PRIx64 "%s: %s\n",
		       pgtable_level_name((int)stop->level, levels), s.type, s.offset,
		       s.exclusive ? " exclusive" : "",
		       swap_kind(s.type));
	} else if (stop) {
		printf("  stop      at %s: empty entry, no page (never touched, or "
		       "unmapped)\n", pgtable_level_name((int)stop->level, levels));
	}
}

int cmd_walk(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct maps_list ml = { 0 };
	struct ptwalk *pw = NULL;
	struct walk *walks = NULL;
	struct json j;
	char why[256];
	int opt, r, pid, levels, i, n, ret = EXIT_OK;
	uint64_t limit;

	/* main() set optind to 0: glibc starts afresh and permutes, so
	 * options may follow the PID and addresses (1 kept main's "+") */
	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		r = cli_command_opt(c, opt, optarg, walk_usage);
		if (r >= 0)
			return r;
	}
	if (argc - optind < 2) {
		fputs(walk_usage, stderr);
		return cli_error(c, EXIT_USAGE, "walk needs a PID and at least one ADDR");
	}
	r = cli_parse_pid(c, argv[optind++], &pid);
	if (r)
		return r;
	n = argc - optind;
	walks = calloc((size_t)n, sizeof(*walks));
	if (!walks)
		return cli_error(c, EXIT_RUNTIME, "out of memory");
	levels = paging_levels();
	if (levels < 0)
		levels = 4;
	limit = user_addr_limit(levels);
	for (i = 0; i < n; i++) {
		const char *a = argv[optind + i];

		if (addr_parse(a, &walks[i].addr)) {
			ret = cli_error(c, EXIT_USAGE, "bad address '%s': expected hex", a);
			goto out;
		}
		if (walks[i].addr >= limit) {
			ret = cli_error(c, EXIT_USAGE, "%s is not a user-space address "
					"(kernel or non-canonical; user space ends at "
					"0x%" PRIx64 ")", a, limit);
			goto out;
		}
	}
	ret = cli_check_pid(c, pid);
	if (ret)
		goto out;
	if (!have_cap(CAP_SYS_ADMIN)) {
		ret = cli_error(c, EXIT_PRIVILEGE, "the page-table walk needs "
				"CAP_SYS_ADMIN and CAP_BPF (run as root)");
		goto out;
	}
	r = maps_read(pid, &ml);
	if (r) {
		ret = cli_error(c, r == -ESRCH ? EXIT_RUNTIME : EXIT_PRIVILEGE,
				"cannot read /proc/%d/maps: %s", pid, maps_strerror(r));
		goto out;
	}
	r = ptwalk_open(&pw, why, sizeof(why));
	if (r) {
		ret = cli_error(c, r == -EPERM || r == -EACCES ? EXIT_PRIVILEGE :
				EXIT_RUNTIME, "%s", why);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct walk *w = &walks[i];
		ssize_t k = maps_find(&ml, w->addr);
		uint64_t pgd;

		w->vma = k >= 0 ? &ml.v[k] : NULL;
		r = ptwalk_levels(pw, pid, w->addr, w->rec, &w->n, &pgd);
		if (r == -EAGAIN)	/* a table freed under us: once more */
			r = ptwalk_levels(pw, pid, w->addr, w->rec, &w->n, &pgd);
		if (r) {
			ret = cli_error(c, EXIT_RUNTIME, "walking process %d: %s", pid,
					r == -ESRCH ? "it exited or has no address space" :
					strerror(-r));
			goto out;
		}
		w->pgd_phys = pgd - ptwalk_direct_base(pw);
		finish(w);
		if (!w->vma)
			cli_note(c, "0x%" PRIx64 " is outside every VMA of process %d",
				 w->addr, pid);
	}
	if (c->json) {
		json_init(&j, stdout);
		if (n > 1)
			json_arr_begin(&j);
		for (i = 0; i < n; i++)
			show_json(&j, pid, &walks[i], levels);
		if (n > 1)
			json_arr_end(&j);
		json_end_doc(&j);
	} else {
		for (i = 0; i < n; i++) {
			if (i)
				printf("\n");
			show_plain(pid, &walks[i], levels);
		}
	}
out:
	ptwalk_close(pw);
	maps_free(&ml);
	free(walks);
	return ret;
}
