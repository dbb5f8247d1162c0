// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/kallsyms.h"
#include "util.h"
#include "procfs/proc.h"

static FILE *open_kallsyms(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/kallsyms", proc_root());
	return fopen(path, "re");
}

int kallsyms_visible(void)
{
	unsigned long long addr = 0;
	FILE *f = open_kallsyms();
	char line[512], type;
	int ok = 0, n;

	if (!f)
		return -errno;
	/* the first lines can be per-cpu symbols whose value really is 0
	 * (6.1: fixed_percpu_data): judge by the first text symbol */
	for (n = 0; n < 100000 && fgets(line, sizeof(line), f); n++) {
		if (sscanf(line, "%llx %c", &addr, &type) != 2)
			break;
		if (type == 't' || type == 'T') {
			ok = addr != 0;
			break;
		}
	}
	fclose(f);
	return ok;
}

int kallsyms_each_text(int (*cb)(uint64_t addr, const char *name, void *arg), void *arg)
{
	char line[512];
	FILE *f = open_kallsyms();

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;
		uint64_t a = strtoull(line, &p, 16);

		if (!a || p[0] != ' ' || (p[1] != 't' && p[1] != 'T') || p[2] != ' ')
			continue;
		end = strpbrk(p + 3, " \t\n");
		if (end)
			*end = '\0';
		if (cb(a, p + 3, arg) < 0)
			break;
	}
	fclose(f);
	return 0;
}
