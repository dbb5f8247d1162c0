// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "decode/mmcalls.h"
#include "util.h"
#include "vmscope_abi.h"

#define A(n, k) { n, ARG_##k }

static const struct mm_call calls[] = {
	{ 9, "mmap", RET_ADDR, MM_VMAS_AFTER,
	  { A("addr", ADDR), A("len", ULONG), A("prot", PROT), A("flags", MAP_FLAGS),
	    A("fd", INT), A("off", HEX) } },
	{ 10, "mprotect", RET_INT, MM_VMAS_AFTER,
	  { A("start", ADDR), A("len", ULONG), A("prot", PROT) } },
	{ 11, "munmap", RET_INT, MM_VMAS_BEFORE, { A("addr", ADDR), A("len", ULONG) } },
	{ 12, "brk", RET_ADDR, MM_VMAS_AFTER, { A("brk", ADDR) } },
	{ 25, "mremap", RET_ADDR, MM_VMAS_AFTER,
	  { A("addr", ADDR), A("old_len", ULONG), A("new_len", ULONG),
	    A("flags", MREMAP_FLAGS), A("new_addr", ADDR) } },
	{ 26, "msync", RET_INT, MM_VMAS_NONE,
	  { A("start", ADDR), A("len", ULONG), A("flags", MSYNC_FLAGS) } },
	{ 27, "mincore", RET_INT, MM_VMAS_NONE,
	  { A("start", ADDR), A("len", ULONG), A("vec", PTR) } },
	{ 28, "madvise", RET_INT, MM_VMAS_AFTER,
	  { A("start", ADDR), A("len_in", ULONG), A("behavior", ADVICE) } },
	{ 30, "shmat", RET_ADDR, MM_VMAS_AFTER,
	  { A("shmid", INT), A("shmaddr", ADDR), A("shmflg", SHM_FLAGS) } },
	{ 59, "execve", RET_INT, MM_VMAS_NONE,
	  { A("filename", PTR), A("argv", PTR), A("envp", PTR) } },
	{ 67, "shmdt", RET_INT, MM_VMAS_BEFORE, { A("shmaddr", ADDR) } },
	{ 149, "mlock", RET_INT, MM_VMAS_AFTER, { A("start", ADDR), A("len", ULONG) } },
	{ 150, "munlock", RET_INT, MM_VMAS_AFTER, { A("start", ADDR), A("len", ULONG) } },
	{ 151, "mlockall", RET_INT, MM_VMAS_NONE, { A("flags", MLOCKALL_FLAGS) } },
	{ 152, "munlockall", RET_INT, MM_VMAS_NONE, { } },
	{ 216, "remap_file_pages", RET_INT, MM_VMAS_AFTER,
	  { A("start", ADDR), A("size", ULONG), A("prot", PROT), A("pgoff", ULONG),
	    A("flags", MAP_FLAGS) } },
	{ 237, "mbind", RET_INT, MM_VMAS_NONE,
	  { A("start", ADDR), A("len", ULONG), A("mode", INT), A("nmask", PTR),
	    A("maxnode", ULONG), A("flags", HEX) } },
	{ 238, "set_mempolicy", RET_INT, MM_VMAS_NONE,
	  { A("mode", INT), A("nmask", PTR), A("maxnode", ULONG) } },
	{ 239, "get_mempolicy", RET_INT, MM_VMAS_NONE,
	  { A("policy", PTR), A("nmask", PTR), A("maxnode", ULONG), A("addr", ADDR),
	    A("flags", HEX) } },
	{ 256, "migrate_pages", RET_INT, MM_VMAS_NONE,
	  { A("pid", INT), A("maxnode", ULONG), A("old_nodes", PTR), A("new_nodes", PTR) } },
	{ 279, "move_pages", RET_INT, MM_VMAS_NONE,
	  { A("pid", INT), A("nr_pages", ULONG), A("pages", PTR), A("nodes", PTR),
	    A("status", PTR), A("flags", HEX) } },
	{ 322, "execveat", RET_INT, MM_VMAS_NONE,
	  { A("fd", INT), A("filename", PTR), A("argv", PTR), A("envp", PTR),
	    A("flags", HEX) } },
	{ 325, "mlock2", RET_INT, MM_VMAS_AFTER,
	  { A("start", ADDR), A("len", ULONG), A("flags", MLOCK2_FLAGS) } },
	{ 329, "pkey_mprotect", RET_INT, MM_VMAS_AFTER,
	  { A("start", ADDR), A("len", ULONG), A("prot", PROT), A("pkey", INT) } },
	{ 440, "process_madvise", RET_INT, MM_VMAS_NONE,
	  { A("pidfd", INT), A("vec", PTR), A("vlen", ULONG), A("behavior", ADVICE),
	    A("flags", HEX) } },
	{ 448, "process_mrelease", RET_INT, MM_VMAS_NONE, { A("pidfd", INT), A("flags", HEX) } },
	{ 450, "set_mempolicy_home_node", RET_INT, MM_VMAS_NONE,
	  { A("start", ADDR), A("len", ULONG), A("home_node", ULONG), A("flags", HEX) } },
	{ 453, "map_shadow_stack", RET_ADDR, MM_VMAS_AFTER,
	  { A("addr", ADDR), A("size", ULONG), A("flags", HEX) } },
	{ 462, "mseal", RET_INT, MM_VMAS_NONE,
	  { A("start", ADDR), A("len", ULONG), A("flags", HEX) } },
};

const struct mm_call *mm_calls(size_t *n)
{
	*n = ARRAY_SIZE(calls);
	return calls;
}

const struct mm_call *mm_call_by_nr(unsigned int nr)
{
	static const struct mm_call *index[MM_NR_MAX];
	static bool built;
	size_t i;

	if (!built) {
		for (i = 0; i < ARRAY_SIZE(calls); i++)
			index[calls[i].nr] = &calls[i];
		built = true;
	}
	return nr < MM_NR_MAX ? index[nr] : NULL;
}

struct bitname {
	uint64_t bit;
	const char *name;
};

static const struct bitname prot_bits[] = {
	{ 0x1, "PROT_READ" }, { 0x2, "PROT_WRITE" }, { 0x4, "PROT_EXEC" },
	{ 0x8, "PROT_SEM" }, { 0x01000000, "PROT_GROWSDOWN" },
	{ 0x02000000, "PROT_GROWSUP" }, { 0 },
};

static const struct bitname map_bits[] = {
	{ 0x10, "MAP_FIXED" }, { 0x20, "MAP_ANONYMOUS" }, { 0x40, "MAP_32BIT" },
	{ 0x100, "MAP_GROWSDOWN" }, { 0x800, "MAP_DENYWRITE" },
	{ 0x1000, "MAP_EXECUTABLE" }, { 0x2000, "MAP_LOCKED" },
	{ 0x4000, "MAP_NORESERVE" }, { 0x8000, "MAP_POPULATE" },
	{ 0x10000, "MAP_NONBLOCK" }, { 0x20000, "MAP_STACK" },
	{ 0x40000, "MAP_HUGETLB" }, { 0x80000, "MAP_SYNC" },
	{ 0x100000, "MAP_FIXED_NOREPLACE" }, { 0x200000, "MAP_DROPPABLE" },
	{ 0x4000000, "MAP_UNINITIALIZED" }, { 0 },
};

static const struct bitname mremap_bits[] = {
	{ 1, "MREMAP_MAYMOVE" }, { 2, "MREMAP_FIXED" }, { 4, "MREMAP_DONTUNMAP" }, { 0 },
};

static const struct bitname msync_bits[] = {
	{ 1, "MS_ASYNC" }, { 2, "MS_INVALIDATE" }, { 4, "MS_SYNC" }, { 0 },
};

static const struct bitname mlock2_bits[] = { { 1, "MLOCK_ONFAULT" }, { 0 } };

static const struct bitname mlockall_bits[] = {
	{ 1, "MCL_CURRENT" }, { 2, "MCL_FUTURE" }, { 4, "MCL_ONFAULT" }, { 0 },
};

static const struct bitname shm_bits[] = {
	{ 010000, "SHM_RDONLY" }, { 020000, "SHM_RND" }, { 040000, "SHM_REMAP" },
	{ 0100000, "SHM_EXEC" }, { 0 },
};

static const char *const advice[] = {
	[0] = "MADV_NORMAL", [1] = "MADV_RANDOM", [2] = "MADV_SEQUENTIAL",
	[3] = "MADV_WILLNEED", [4] = "MADV_DONTNEED", [8] = "MADV_FREE",
	[9] = "MADV_REMOVE", [10] = "MADV_DONTFORK", [11] = "MADV_DOFORK",
	[12] = "MADV_MERGEABLE", [13] = "MADV_UNMERGEABLE",
	[14] = "MADV_HUGEPAGE", [15] = "MADV_NOHUGEPAGE", [16] = "MADV_DONTDUMP",
	[17] = "MADV_DODUMP", [18] = "MADV_WIPEONFORK", [19] = "MADV_KEEPONFORK",
	[20] = "MADV_COLD", [21] = "MADV_PAGEOUT", [22] = "MADV_POPULATE_READ",
	[23] = "MADV_POPULATE_WRITE", [24] = "MADV_DONTNEED_LOCKED",
	[25] = "MADV_COLLAPSE", [100] = "MADV_HWPOISON",
	[101] = "MADV_SOFT_OFFLINE", [102] = "MADV_GUARD_INSTALL",
	[103] = "MADV_GUARD_REMOVE",
};

static int bits_names(const struct bitname *t, uint64_t v,
		      void (*fn)(const char *, void *), void *arg)
{
	char rest[24];
	int n = 0;

	for (; t->bit; t++) {
		if (v & t->bit) {
			fn(t->name, arg);
			v &= ~t->bit;
			n++;
		}
	}
	if (v) {
		snprintf(rest, sizeof(rest), "0x%llx", (unsigned long long)v);
		fn(rest, arg);
		n++;
	}
	return n;
}

bool mm_arg_decoded(enum arg_kind kind)
{
	return kind >= ARG_PROT;
}

int mm_arg_names(enum arg_kind kind, uint64_t v,
		 void (*fn)(const char *name, void *arg), void *arg)
{
	static const char *const map_type[] = {
		NULL, "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE",
	};
	char buf[24];
	int n = 0;

	switch (kind) {
	case ARG_PROT:
		if (!v) {
			fn("PROT_NONE", arg);
			return 1;
		}
		return bits_names(prot_bits, v, fn, arg);
	case ARG_MAP_FLAGS:
		if (map_type[v & 3]) {
			fn(map_type[v & 3], arg);
			n++;
		}
		v &= ~3ULL;
		if ((v >> 26) & 0x3f) {	/* MAP_HUGE_2MB: log2 size in 26..31 */
			unsigned int shift = (v >> 26) & 0x3f;

			snprintf(buf, sizeof(buf), "MAP_HUGE_%llu%s",
				 shift >= 30 ? 1ULL << (shift - 30) : 1ULL << (shift - 20),
				 shift >= 30 ? "GB" : "MB");
			fn(buf, arg);
			n++;
			v &= ~(0x3fULL << 26);
		}
		return n + (v ? bits_names(map_bits, v, fn, arg) : 0);
	case ARG_ADVICE:
		if (v < ARRAY_SIZE(advice) && advice[v]) {
			fn(advice[v], arg);
		} else {
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
			fn(buf, arg);
		}
		return 1;
	case ARG_MREMAP_FLAGS:
		return bits_names(mremap_bits, v, fn, arg);
	case ARG_MSYNC_FLAGS:
		return bits_names(msync_bits, v, fn, arg);
	case ARG_MLOCK2_FLAGS:
		return bits_names(mlock2_bits, v, fn, arg);
	case ARG_MLOCKALL_FLAGS:
		return bits_names(mlockall_bits, v, fn, arg);
	case ARG_SHM_FLAGS:
		return bits_names(shm_bits, v, fn, arg);
	default:
		return 0;
	}
}

const char *errno_name(int err)
{
	static const char *const names[] = {
		[1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR",
		[5] = "EIO", [6] = "ENXIO", [7] = "E2BIG", [8] = "ENOEXEC",
		[9] = "EBADF", [10] = "ECHILD", [11] = "EAGAIN", [12] = "ENOMEM",
		[13] = "EACCES", [14] = "EFAULT", [16] = "EBUSY", [17] = "EEXIST",
		[19] = "ENODEV", [20] = "ENOTDIR", [21] = "EISDIR", [22] = "EINVAL",
		[23] = "ENFILE", [24] = "EMFILE", [26] = "ETXTBSY", [27] = "EFBIG",
		[28] = "ENOSPC", [30] = "EROFS", [36] = "ENAMETOOLONG",
		[38] = "ENOSYS", [40] = "ELOOP", [75] = "EOVERFLOW",
		[95] = "EOPNOTSUPP",
	};

	if (err > 0 && (size_t)err < ARRAY_SIZE(names))
		return names[err];
	return NULL;
}
