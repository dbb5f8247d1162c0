// SPDX-License-Identifier: GPL-2.0
/* vmscope feature: which mechanism each hook gets on this kernel, and why. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "output/json.h"
#include "util.h"

static const char feature_usage[] =
"Usage: vmscope feature [--json] [-v] [--mode=MODE]\n"
"\n"
"Probe this kernel: for every hook vmscope uses, whether fentry/fexit,\n"
"kprobe/kretprobe or a tracepoint loads and attaches, and which one each\n"
"command will use; then BPF iterators, the page-table walk, PAGEMAP_SCAN,\n"
"PROCMAP_QUERY, kpageflags/kpagecount access and the paging mode.\n"
"\n"
"Options:\n"
"  -j, --json        one JSON document\n"
"  -v, --verbose     the reason for every unavailable mechanism, per hook\n"
"      --mode=MODE   force fentry, kprobe or tracepoint (exit 3 when the\n"
"                    forced mode cannot attach a hook that could use it)\n"
"  -h, --help        this help\n";

static void json_probe(struct json *j, const char *key, const struct probe_result *r)
{
	json_key(j, key);
	json_obj_begin(j);
	json_kbool(j, "available", r->err == 0);
	json_kstr(j, r->err ? "error" : "detail", r->why);
	json_obj_end(j);
}

static void show_feature_json(struct cli *c, struct hook_status *st, size_t n,
			      const struct kernel_features *kf)
{
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kstr(&j, "kernel", kf->kernel);
	json_kstr(&j, "mode_requested", mech_name(c->mode));
	json_key(&j, "hooks");
	json_arr_begin(&j);
	for (i = 0; i < n; i++) {
		const struct hook_def *d = st[i].def;

		json_obj_begin(&j);
		json_kstr(&j, "hook", d->name);
		json_kstr(&j, "type", d->type == HOOK_FUNCTION ? "function" :
			  d->type == HOOK_TRACEPOINT ? "tracepoint" : "perf_event");
		json_key(&j, "mode");
		if (st[i].chosen == MECH_NONE)
			json_null(&j);
		else if (d->type == HOOK_PERF_EVENT)
			json_str(&j, "perf_event");
		else
			json_str(&j, mech_name(st[i].chosen));
		if (d->type == HOOK_FUNCTION) {
			json_probe(&j, "fentry", &st[i].fentry);
			json_probe(&j, "kprobe", &st[i].kprobe);
		}
		json_kstr(&j, "tracepoint_name", d->tp_label);
		json_probe(&j, d->type == HOOK_PERF_EVENT ? "perf_event" : "tracepoint",
			   &st[i].tracepoint);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "features");
	json_obj_begin(&j);
	json_probe(&j, "bpf_iter_task_vma", &kf->bpf_iter);
	json_probe(&j, "page_table_walk", &kf->ptwalk);
	if (!kf->ptwalk.err)
		json_khex(&j, "direct_map_base", kf->direct_base);
	json_key(&j, "paging_levels");
	json_i64(&j, kf->paging_levels);
	json_kbool(&j, "pagemap_scan", kf->pagemap_scan);
	json_kbool(&j, "procmap_query", kf->procmap_query);
	json_probe(&j, "pagemap_pfns", &kf->pagemap_pfns);
	json_probe(&j, "kpageflags", &kf->kpageflags);
	json_probe(&j, "kpagecount", &kf->kpagecount);
	json_probe(&j, "kallsyms", &kf->kallsyms);
	json_obj_end(&j);
	json_obj_end(&j);
	json_end_doc(&j);
}

static const char *via(const struct hook_status *st)
{
	switch (st->chosen) {
	case MECH_FENTRY: return st->fentry.why;
	case MECH_KPROBE: return st->kprobe.why;
	case MECH_TRACEPOINT: return st->def->tp_label;
	default: return st->def->without ? st->def->without : "unavailable";
	}
}

static void yesno(const char *name, const struct probe_result *r)
{
	printf("  %-20s %s\n", name, r->err ? r->why : r->why[0] ? r->why : "yes");
}

static void show_feature_plain(struct cli *c, struct hook_status *st, size_t n,
			       const struct kernel_features *kf)
{
	const char *reasons[64];
	size_t nr = 0, i, k;

	printf("kernel %s, requested mode %s\n\n", kf->kernel, mech_name(c->mode));
	printf("%-20s %-11s %s\n", "HOOK", "MODE", "VIA");
	for (i = 0; i < n; i++) {
		const struct probe_result *why[2] = { &st[i].fentry, &st[i].kprobe };

		printf("%-20s %-11s %s\n", st[i].def->name, st[i].chosen == MECH_NONE ?
		       "-" : st[i].def->type == HOOK_PERF_EVENT ? "perf_event" :
		       mech_name(st[i].chosen), via(&st[i]));
		if (st[i].def->type != HOOK_FUNCTION)
			continue;
		for (k = 0; k < 2; k++) {
			const char *w = why[k]->why;
			size_t r;

			if (!why[k]->err || why[k]->err == -ECANCELED)
				continue;
			if (c->verbose) {
				printf("    %s %s\n", k ? "kprobe:" : "fentry:", w);
				continue;
			}
			for (r = 0; r < nr && strcmp(reasons[r], w); r++)
				;
			if (r == nr && nr < ARRAY_SIZE(reasons) &&
			    !strstr(w, "is not a function"))
				reasons[nr++] = w;
		}
	}
	if (nr) {
		printf("\nunavailable here (-v for each hook):\n");
		for (i = 0; i < nr; i++)
			printf("  %s\n", reasons[i]);
	}
	printf("\n%-22s %s\n", "FEATURE", "STATUS");
	yesno("bpf iter/task_vma", &kf->bpf_iter);
	yesno("page-table walk", &kf->ptwalk);
	printf("  %-20s %d-level%s\n", "paging", kf->paging_levels,
	       kf->paging_levels == 5 ? " (la57)" : " (la57 off)");
	printf("  %-20s %s\n", "PAGEMAP_SCAN", kf->pagemap_scan ? "yes" :
	       "no (6.7+): holes are read, not skipped");
	printf("  %-20s %s\n", "PROCMAP_QUERY", kf->procmap_query ? "yes" : "no (6.11+)");
	yesno("pagemap PFNs", &kf->pagemap_pfns);
	yesno("kpageflags", &kf->kpageflags);
	yesno("kpagecount", &kf->kpagecount);
	yesno("kallsyms", &kf->kallsyms);
}

int cmd_feature(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct hook_status st[32];
	struct kernel_features kf;
	size_t i, nfail = 0, first_fail = 0;
	int opt, r;

	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		r = cli_command_opt(c, opt, optarg, feature_usage);
		if (r >= 0)
			return r;
	}
	if (optind < argc)
		return cli_error(c, EXIT_USAGE, "feature takes no arguments (got '%s')",
				 argv[optind]);
	for (i = 0; i < hook_defs_count && i < ARRAY_SIZE(st); i++) {
		hook_probe(&hook_defs[i], c->mode, &st[i]);
		if (st[i].err && !nfail++)
			first_fail = i;
	}
	kernel_features_probe(&kf);
	if (c->json)
		show_feature_json(c, st, i, &kf);
	else
		show_feature_plain(c, st, i, &kf);
	if (nfail) {
		const struct hook_status *f = &st[first_fail];
		const struct probe_result *why = c->mode == MECH_FENTRY ? &f->fentry :
			c->mode == MECH_KPROBE ? &f->kprobe : &f->tracepoint;

		return cli_error(c, EXIT_PRIVILEGE, "--mode=%s unavailable for %zu "
				 "hook(s) (first: %s): %s", mech_name(c->mode), nfail,
				 f->def->name, why->why);
	}
	return EXIT_OK;
}
