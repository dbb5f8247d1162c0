// SPDX-License-Identifier: GPL-2.0
/* vmscope maps PID: /proc/PID/maps joined with the kernel's view of each VMA. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tracers/bpf_ptwalk.h"
#include "cli.h"
#include "procfs/maps.h"
#include "output/json.h"
#include "output/text.h"
#include "util.h"
#include "model/vma_stream.h"
#include "model/vma_table.h"
#include "decode/vmflags.h"

#define MAPS_CHUNK	16384	/* VMAs held at once */

static const char maps_usage[] =
"Usage: vmscope maps [--json] [-w] [--no-bpf] PID\n"
"\n"
"One row per VMA of PID: the /proc/PID/maps fields as the kernel prints\n"
"them, plus vm_flags (smaps VmFlags mnemonics), present and swapped pages,\n"
"the kernel function owning the mapping and its cache mode. Kernel-side\n"
"fields come from a BPF iter/task_vma program; VM_PFNMAP/VM_IO mappings\n"
"(holes to pagemap) are counted by a BPF page-table walk.\n"
"\n"
"Options:\n"
"  -j, --json        a JSON array, one object per VMA\n"
"  -w, --wide        every field (lines exceed 80 columns)\n"
"      --no-bpf      procfs only: owner and cache are reported missing\n"
"  -h, --help        this help\n";

static void json_path(struct json *j, const struct maps_entry *m)
{
	json_key(j, "path");
	if (!m->path) {
		json_null(j);
		return;
	}
	json_strn(j, m->path, m->path_len);
	if (!utf8_valid(m->path, m->path_len)) {
		/* keep the exact bytes too: JSON strings must be UTF-8 */
		char *hex = malloc(m->path_len * 2 + 1);
		size_t i;

		if (!hex)
			return;
		for (i = 0; i < m->path_len; i++)
			sprintf(hex + 2 * i, "%02x", (unsigned char)m->path[i]);
		json_kstr(j, "path_hex", hex);
		free(hex);
	}
}

static void json_opt_str(struct json *j, const char *key, bool known, const char *v)
{
	json_key(j, key);
	if (known && v)
		json_str(j, v);
	else
		json_null(j);
}

/* One chunk of VMAs as elements of the array the caller opened. */
static void maps_json_rows(struct json *jp, const struct vma_table *t)
{
	struct json j = *jp;
	char dev[16];
	size_t i;
	unsigned int b;

	for (i = 0; i < t->n; i++) {
		const struct vma *v = &t->v[i];

		json_obj_begin(&j);
		json_khex(&j, "start", v->m.start);
		json_khex(&j, "end", v->m.end);
		json_kstr(&j, "perms", v->m.perms);
		json_khex(&j, "offset", v->m.offset);
		snprintf(dev, sizeof(dev), "%02x:%02x", v->m.dev_major, v->m.dev_minor);
		json_kstr(&j, "dev", dev);
		json_ku64(&j, "inode", v->m.inode);
		json_path(&j, &v->m);
		json_ku64(&j, "size", v->m.end - v->m.start);
		json_key(&j, "vm_flags");
		if (v->has_flags) {
			json_arr_begin(&j);
			for (b = 0; b < 64; b++) {
				const char *mn = vmflag_mnemonic(b);
				char name[8];

				if (!(v->flags & (1ULL << b)) || !mn)
					continue;
				if (!*mn) {
					snprintf(name, sizeof(name), "bit%u", b);
					mn = name;
				}
				json_str(&j, mn);
			}
			json_arr_end(&j);
		} else {
			json_null(&j);
		}
		json_key(&j, "present_pages");
		v->has_counts ? json_u64(&j, v->present_pages) : json_null(&j);
		json_key(&j, "swap_pages");
		v->has_counts ? json_u64(&j, v->swap_pages) : json_null(&j);
		/* entries of the zero page: mapped, but no memory of the
		 * process (not in Rss, nor in present_pages) */
		json_key(&j, "zero_pages");
		v->has_counts && !v->counts_from_walk ? json_u64(&j, v->zero_pages) :
			json_null(&j);
		json_opt_str(&j, "present_source", v->has_counts,
			     v->counts_from_walk ? "pagetable" : "pagemap");
		json_opt_str(&j, "owner", v->has_kernel, v->owner);
		json_opt_str(&j, "cache", v->has_kernel, cache_mode(v->k.page_prot, 0));
		json_key(&j, "page_size");
		if (v->has_kernel)
			json_u64(&j, 1ULL << v->k.page_shift);
		else
			json_null(&j);
		json_key(&j, "owner_functions");
		if (v->has_kernel) {
			json_obj_begin(&j);
			json_kstr(&j, "fault", v->fn_fault);
			json_kstr(&j, "open", v->fn_open);
			json_kstr(&j, "mmap", v->fn_mmap);
			json_kstr(&j, "name", v->fn_name);
			json_obj_end(&j);
		} else {
			json_null(&j);
		}
		json_obj_end(&j);
	}
	*jp = j;
}

static void pages_col(char *buf, size_t len, bool known, uint64_t pages)
{
	if (known)
		human_size(pages << PAGE_SHIFT, buf, len);
	else
		snprintf(buf, len, "?");
}

static void maps_plain_header(const struct cli *c)
{
	if (c->wide)
		printf("%-25s %-4s %-8s %-5s %-9s %6s %6s %5s %-3s %-24s %-20s %s\n",
		       "START-END", "PERM", "OFFSET", "DEV", "INODE", "SIZE", "RSS",
		       "SWAP", "CA", "VMFLAGS", "OWNER", "PATH");
	else
		printf("%-25s %-4s %6s %6s %5s %-3s %s\n", "START-END", "PERM",
		       "SIZE", "RSS", "SWAP", "CA", "PATH / OWNER");
}

static void maps_plain_rows(const struct cli *c, const struct vma_table *t)
{
	char size[16], rss[16], swp[16], range[48], flags[200];
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct vma *v = &t->v[i];
		const char *cache = v->has_kernel ? cache_mode(v->k.page_prot, 0) : "?";
		char *path;

		snprintf(range, sizeof(range), "%" PRIx64 "-%" PRIx64, v->m.start, v->m.end);
		human_size(v->m.end - v->m.start, size, sizeof(size));
		pages_col(rss, sizeof(rss), v->has_counts, v->present_pages);
		pages_col(swp, sizeof(swp), v->has_counts, v->swap_pages);
		if (v->m.path)
			path = text_escape(v->m.path, v->m.path_len);
		else if (v->owner)
			asprintf(&path, "(%s)", v->owner) < 0 ? path = NULL : 0;
		else
			path = strdup("[anon]");
		if (!path)
			continue;
		if (c->wide) {
			char dev[16];

			if (v->has_flags)
				vmflags_str(v->flags, flags, sizeof(flags));
			else
				snprintf(flags, sizeof(flags), "?");
			snprintf(dev, sizeof(dev), "%02x:%02x", v->m.dev_major, v->m.dev_minor);
			printf("%-25s %-4s %08" PRIx64 " %-5s %-9" PRIu64 " %6s %6s %5s "
			       "%-3s %-24s %-20s %s\n", range, v->m.perms, v->m.offset,
			       dev, v->m.inode, size, rss, swp, cache, flags,
			       v->has_kernel ? (v->owner ? v->owner : "-") : "?", path);
		} else {
			size_t used = 25 + 1 + 4 + 1 + 6 + 1 + 6 + 1 + 5 + 1 + 3 + 1;

			text_cut_left(path, 80 - used - 1);
			printf("%-25s %-4s %6s %6s %5s %-3s %s\n", range, v->m.perms,
			       size, rss, swp, cache, path);
		}
		free(path);
	}
}

int cmd_maps(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ptwalk *pw = NULL;
	struct vma_stream *vs = NULL;
	struct vma_table t = { 0 };
	struct progress pg;
	struct json j;
	bool walk_tried = false, changed;
	char why[256];
	int opt, r, pid, err = 0, counts_err = 0;

	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		r = cli_command_opt(c, opt, optarg, maps_usage);
		if (r >= 0)
			return r;
	}
	if (optind != argc - 1) {
		fputs(maps_usage, stderr);
		return cli_error(c, EXIT_USAGE, "maps needs exactly one PID");
	}
	r = cli_parse_pid(c, argv[optind], &pid);
	if (r)
		return r;
	r = cli_check_pid(c, pid);
	if (r)
		return r;

	r = vma_stream_open(pid, c->no_bpf ? 0 : VT_USE_BPF | VT_OWNERS, &vs);
	if (!r) {
		progress_start(&pg);
		/* the VMAs in chunks: memory stays bounded at any count */
		r = (int)vma_stream_next(vs, MAPS_CHUNK, &t);
	}
	if (r == -ESRCH)
		err = cli_error(c, EXIT_RUNTIME, "no such process: %d (it exited)", pid);
	else if (r == -EACCES || r == -EPERM)
		err = cli_error(c, EXIT_PRIVILEGE, "cannot read /proc/%d/maps: %s "
				"(needs ptrace access to the process, e.g. root)",
				pid, maps_strerror(r));
	else if (r < 0)
		err = cli_error(c, EXIT_RUNTIME, "cannot read /proc/%d/maps: %s",
				pid, maps_strerror(r));
	if (r < 0) {
		vma_stream_close(vs);
		return err;
	}
	if (t.kernel_err)
		cli_note(c, "owner, cache and page_size unavailable%s: %s",
			 t.v && t.n && t.v[0].has_flags ? " (vm_flags from smaps)" :
			 " (vm_flags too)", t.kernel_why);
	if (c->json) {
		json_init(&j, stdout);
		json_arr_begin(&j);
	} else {
		maps_plain_header(c);
	}
	while (r > 0) {
		/* the walk costs a BPF load and a base search: only when needed */
		if (!pw && !walk_tried && vma_table_has_blind(&t) && !c->no_bpf) {
			walk_tried = true;
			if (ptwalk_open(&pw, why, sizeof(why))) {
				cli_note(c, "present pages of VM_PFNMAP/VM_IO mappings "
					 "unknown: %s", why);
				pw = NULL;
			}
		}
		vma_table_count_pages(&t, pid, pw);
		if (t.counts_err && !counts_err)
			counts_err = t.counts_err;
		if (c->json)
			maps_json_rows(&j, &t);
		else
			maps_plain_rows(c, &t);
		vma_table_free(&t);
		progress_show(&pg, "maps: %zu VMAs", vma_stream_count(vs));
		r = (int)vma_stream_next(vs, MAPS_CHUNK, &t);
	}
	changed = t.changed;
	vma_table_free(&t);
	if (c->json) {
		json_arr_end(&j);
		json_end_doc(&j);
	}
	progress_end(&pg);
	ptwalk_close(pw);
	vma_stream_close(vs);
	if (counts_err)
		cli_note(c, "present/swap pages unavailable: /proc/%d/pagemap: %s", pid,
			 strerror(-counts_err));
	if (changed)
		cli_note(c, "process %d changed while reading: VMAs without kernel "
			 "fields are shown from /proc only", pid);
	if (r < 0)
		return cli_error(c, EXIT_RUNTIME, "reading /proc/%d/maps failed: %s: "
				 "output is partial", pid, maps_strerror(r));
	return EXIT_OK;
}
