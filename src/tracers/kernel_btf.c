// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's BTF for libbpf, mapped rather than read.
 *
 * libbpf 1.1 (Debian 12's) parses /sys/kernel/btf/vmlinux once for every
 * object it loads: 1,339 reads of 4 KiB into a fresh 5.4 MB buffer, then
 * a copy of that buffer into another. Memory touched for the first time
 * is dear on these VMs (shadow page tables): inside `vmscope trace`, whose
 * start-up was ~110 ms, the first parse took 41-61 ms. Kernels from 6.16
 * let the file be mapped, and btf__new() from the mapping took 20-35 ms
 * the first time and ~5 ms after (one fresh copy, no reads).
 *
 * libbpf calls btf__load_vmlinux_btf() through its PLT, so this
 * definition takes the place of libbpf's for every object vmscope loads,
 * and for feature.c. It is weak so that a static link (the VM tests'),
 * where libbpf.a's own definition wins, still links; that build parses
 * as libbpf does. Older kernels, which refuse the mapping, get the file
 * parsed by btf__parse_raw(), as libbpf itself does.
 *
 * The copy btf__new() makes is itself dear: 5.4 MB of fresh memory, ~1,450
 * page faults, ~20 ms of the ~23 a parse takes here, and `faults` loads
 * three objects. So the first parse is kept and lent: libbpf only reads
 * the kernel's BTF (lookups, the base of module BTFs) and hands it back
 * to btf__free() at the end of the load, which here (also reached through
 * libbpf's PLT) takes the loan back instead of freeing. One loader at a
 * time holds the loan; a second one loading at the same moment, on
 * another thread, gets a parse of its own as before, so no BTF is ever
 * shared between threads. kernel_btf_drop() frees the kept copy once the
 * loads are over.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <bpf/btf.h>

#include "tracers/kernel_btf.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static struct btf *kept;	/* the first parse, kept for the next loads */
static bool lent;		/* kept is held by a loader now */

/* The kernel's BTF read afresh: from a mapping, or parsed as libbpf does */
static struct btf *parse_vmlinux_btf(void)
{
	struct btf *btf = NULL;
	struct stat st;
	void *raw;
	int fd, err;

	fd = open(VMLINUX_BTF, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* libbpf's answer when it finds no kernel BTF */
		errno = errno == ENOENT ? ESRCH : errno;
		return NULL;
	}
	raw = fstat(fd, &st) || !st.st_size ? MAP_FAILED :
	      mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (raw == MAP_FAILED)
		return btf__parse_raw(VMLINUX_BTF);
	btf = btf__new(raw, st.st_size);	/* copies what it keeps */
	err = errno;
	munmap(raw, st.st_size);
	errno = err;
	return btf;
}

__attribute__((weak)) struct btf *btf__load_vmlinux_btf(void)
{
	struct btf *btf;

	pthread_mutex_lock(&kept_lock);
	btf = kept && !lent ? kept : NULL;
	lent |= btf != NULL;
	pthread_mutex_unlock(&kept_lock);
	if (btf)
		return btf;
	btf = parse_vmlinux_btf();
	if (!btf)
		return NULL;
	pthread_mutex_lock(&kept_lock);
	if (!kept) {
		kept = btf;
		lent = true;
	}
	pthread_mutex_unlock(&kept_lock);
	return btf;
}

static void (*libbpf_btf_free)(struct btf *);

static void find_libbpf_btf_free(void)
{
	libbpf_btf_free = (void (*)(struct btf *))dlsym(RTLD_NEXT, "btf__free");
}

/* libbpf's own btf__free, for every BTF but the kept one (looked up once:
 * two loading threads may free at the same moment) */
static void real_btf_free(struct btf *btf)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, find_libbpf_btf_free);
	if (libbpf_btf_free)
		libbpf_btf_free(btf);
}

__attribute__((weak)) void btf__free(struct btf *btf)
{
	pthread_mutex_lock(&kept_lock);
	if (btf && btf == kept) {
		lent = false;
		btf = NULL;
	}
	pthread_mutex_unlock(&kept_lock);
	if (btf)
		real_btf_free(btf);
}

void kernel_btf_drop(void)
{
	struct btf *btf = NULL;

	pthread_mutex_lock(&kept_lock);
	if (kept && !lent) {
		btf = kept;
		kept = NULL;
	}
	pthread_mutex_unlock(&kept_lock);
	if (btf)
		real_btf_free(btf);
}
