// SPDX-License-Identifier: GPL-2.0
/*
 * ptwalk_leaves on live memory: the frames of a range it has, and an error,
 * not an empty success, where the range has no VMA left or the process no
 * mm (a zombie). An empty success there read as "nothing mapped" to its
 * callers. Needs root (BPF, the direct-map base): else every check skips.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "tracers/bpf_ptwalk.h"
#include "tap.h"

#define NPAGES 4

struct seen {
	size_t present;
	uint64_t lo, hi;
};

static int count_cb(const struct ptw_rec *r, size_t n, void *arg)
{
	struct seen *s = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!r[i].present)
			continue;
		s->present += ptw_pages(&r[i]);
		if (!s->lo || r[i].vaddr < s->lo)
			s->lo = r[i].vaddr;
		if (r[i].vaddr >= s->hi)
			s->hi = r[i].vaddr + (ptw_pages(&r[i]) << 12);
	}
	return 0;
}

/* Is pid a zombie ("State:\tZ" in its status)? */
static int is_zombie(pid_t pid)
{
	char path[64], line[128];
	FILE *f;
	int z = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "State:", 6)) {
			z = strchr(line, 'Z') != NULL;
			break;
		}
	fclose(f);
	return z;
}

int main(void)
{
	struct ptwalk *pw;
	struct seen s = { 0 };
	char why[256];
	size_t len = NPAGES * 4096UL, i;
	uint64_t a;
	char *p;
	pid_t child;
	int r, tries;

	if (ptwalk_open(&pw, why, sizeof(why))) {
		printf("ok 1 - # SKIP the page-table walker does not load: %s\n", why);
		printf("1..1\n");
		return 0;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		ok(0, "mmap of %zu bytes: %s", len, strerror(errno));
		return tap_done();
	}
	a = (uint64_t)(uintptr_t)p;
	for (i = 0; i < len; i += 4096)
		p[i] = 1;
	r = ptwalk_leaves(pw, getpid(), a, a + len, count_cb, &s);
	ok(r == 0 && s.present == NPAGES && s.lo == a && s.hi == a + len,
	   "our %d touched pages: %d present leaves over the range (r %d, %zu)",
	   NPAGES, NPAGES, r, s.present);

	/* a zombie child: its task is there, its mm is not */
	child = fork();
	if (child == 0)
		_exit(0);
	for (tries = 0; tries < 2000 && !is_zombie(child); tries++)
		usleep(1000);
	memset(&s, 0, sizeof(s));
	r = ptwalk_leaves(pw, child, a, a + len, count_cb, &s);
	ok(is_zombie(child) && r == -ESRCH && !s.present,
	   "a zombie (no mm): -ESRCH, not an empty walk (r %d, %zu present)",
	   r, s.present);
	waitpid(child, NULL, 0);

	/* a range whose VMA went */
	munmap(p, len);
	memset(&s, 0, sizeof(s));
	r = ptwalk_leaves(pw, getpid(), a, a + len, count_cb, &s);
	ok(r == -ESRCH && !s.present,
	   "a range unmapped since: -ESRCH, not an empty walk (r %d)", r);

	/* a VMA without any frame yet: an empty walk is data there */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		ok(0, "mmap of %zu bytes: %s", len, strerror(errno));
	} else {
		a = (uint64_t)(uintptr_t)p;
		memset(&s, 0, sizeof(s));
		r = ptwalk_leaves(pw, getpid(), a, a + len, count_cb, &s);
		ok(r == 0 && !s.present,
		   "a mapped, untouched range: 0, no present leaf (r %d, %zu)",
		   r, s.present);
		munmap(p, len);
	}
	ptwalk_close(pw);
	return tap_done();
}
