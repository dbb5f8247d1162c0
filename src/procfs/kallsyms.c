// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kallsyms.h"
#include "../util.h"

static FILE *open_kallsyms(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/kallsyms", proc_root());
	return fopen(path, "re");
}

int kallsyms_resolve(struct ksym *syms, size_t n)
{
	char line[512], type;
	unsigned long long addr;
	bool any_nonzero = false;
	size_t lo, hi, mid;
	FILE *f;

	if (!n)
		return 0;
	f = open_kallsyms();
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p, *nl;

		/* "ffffffff81000000 T _stext [module]": ~200k lines, so no
		 * sscanf (it dominated `maps` in callgrind) */
		addr = strtoull(line, &p, 16);
		if (addr)
			any_nonzero = true;
		if (p[0] != ' ' || !p[1] || p[2] != ' ')
			continue;
		type = p[1];
		if (addr < syms[0].addr || addr > syms[n - 1].addr)
			continue;
		nl = strpbrk(p + 3, " \t\n");
		if (nl)
			*nl = '\0';
		lo = 0;
		hi = n;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (syms[mid].addr < addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < n && syms[lo].addr == addr && !syms[lo].name &&
		    (type == 't' || type == 'T'))
			syms[lo].name = strdup(p + 3);
	}
	fclose(f);
	return any_nonzero ? 0 : -EPERM;
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
