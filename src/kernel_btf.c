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
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <bpf/btf.h>

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

__attribute__((weak)) struct btf *btf__load_vmlinux_btf(void)
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
