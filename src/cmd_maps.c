// SPDX-License-Identifier: GPL-2.0
/* vmscope maps PID: /proc/PID/maps joined with the kernel's view of each VMA. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_ptwalk.h"
#include "cli.h"
#include "procfs/maps.h"
#include "output/json.h"
#include "output/text.h"
#include "util.h"
#include "vma_table.h"
#include "vmflags.h"

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

static void show_maps_json(const struct vma_table *t)
{
	struct json j;
	char dev[16];
	size_t i;
	unsigned int b;

	json_init(&j, stdout);
	json_arr_begin(&j);
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
	json_arr_end(&j);
	json_end_doc(&j);
}

static void pages_col(char *buf, size_t len, bool known, uint64_t pages)
{
	if (known)
		human_size(pages << PAGE_SHIFT, buf, len);
	else
		snprintf(buf, len, "?");
}

static void show_maps_plain(const struct cli *c, const struct vma_table *t)
{
	char size[16], rss[16], swp[16], range[48], flags[200];
	size_t i;

	if (c->wide)
		printf("%-25s %-4s %-8s %-5s %-9s %6s %6s %5s %-3s %-24s %-20s %s\n",
		       "START-END", "PERM", "OFFSET", "DEV", "INODE", "SIZE", "RSS",
		       "SWAP", "CA", "VMFLAGS", "OWNER", "PATH");
	else
		printf("%-25s %-4s %6s %6s %5s %-3s %s\n", "START-END", "PERM",
		       "SIZE", "RSS", "SWAP", "CA", "PATH / OWNER");
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
	struct vma_table t;
	char why[256];
	int opt, r, pid;

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

	r = vma_table_read(pid, c->no_bpf ? 0 : VT_USE_BPF | VT_OWNERS, &t);
	if (r == -ESRCH)
		return cli_error(c, EXIT_RUNTIME, "no such process: %d (it exited)", pid);
	if (r == -EACCES || r == -EPERM)
		return cli_error(c, EXIT_PRIVILEGE, "cannot read /proc/%d/maps: %s "
				 "(needs ptrace access to the process, e.g. root)",
				 pid, maps_strerror(r));
	if (r)
		return cli_error(c, EXIT_RUNTIME, "cannot read /proc/%d/maps: %s",
				 pid, maps_strerror(r));
	/* The walk costs a BPF load and a base search: only when needed. */
	if (vma_table_has_blind(&t) && !c->no_bpf && ptwalk_open(&pw, why, sizeof(why)))
		cli_note(c, "present pages of VM_PFNMAP/VM_IO mappings unknown: %s", why);
	vma_table_count_pages(&t, pid, pw);
	ptwalk_close(pw);
	if (t.kernel_err)
		cli_note(c, "owner, cache and page_size unavailable%s: %s",
			 t.v && t.n && t.v[0].has_flags ? " (vm_flags from smaps)" :
			 " (vm_flags too)", t.kernel_why);
	if (t.counts_err)
		cli_note(c, "present/swap pages unavailable: /proc/%d/pagemap: %s", pid,
			 strerror(-t.counts_err));
	if (t.changed)
		cli_note(c, "process %d changed while reading: VMAs without kernel "
			 "fields are shown from /proc only", pid);
	if (c->json)
		show_maps_json(&t);
	else
		show_maps_plain(c, &t);
	vma_table_free(&t);
	return EXIT_OK;
}
