/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The memory syscalls `vmscope trace` follows (x86-64 numbers), their
 * arguments by kernel name and how each is decoded.
 */
#ifndef VMSCOPE_MMCALLS_H
#define VMSCOPE_MMCALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum arg_kind {
	ARG_NONE = 0,
	ARG_ADDR,	/* user address: "0x..." or NULL */
	ARG_PTR,	/* other pointer, shown in hex */
	ARG_ULONG,	/* length, count */
	ARG_INT,	/* signed 32-bit: fd, pkey, id */
	ARG_HEX,	/* offset */
	ARG_PROT,
	ARG_MAP_FLAGS,
	ARG_ADVICE,
	ARG_MREMAP_FLAGS,
	ARG_MSYNC_FLAGS,
	ARG_MLOCK2_FLAGS,
	ARG_MLOCKALL_FLAGS,
	ARG_SHM_FLAGS,
};

enum ret_kind {
	RET_INT,	/* 0 or -errno */
	RET_ADDR,	/* an address or -errno */
};

struct mm_call {
	unsigned int nr;
	const char *name;
	enum ret_kind ret;
	unsigned int vmas;	/* enum mm_vma_when: which VMAs to read */
	struct {
		const char *name;
		enum arg_kind kind;
	} args[6];
};

/* The call with this x86-64 number, or NULL if not traced. */
const struct mm_call *mm_call_by_nr(unsigned int nr);
/* Every call, for tables: *n gets the count. */
const struct mm_call *mm_calls(size_t *n);

/*
 * Names of a decoded argument, in the kernel's spelling ("PROT_READ",
 * "MAP_PRIVATE"); bits without a name come out as one hex number. Calls
 * fn per name; returns the number of names.
 */
int mm_arg_names(enum arg_kind kind, uint64_t v,
		 void (*fn)(const char *name, void *arg), void *arg);
/* Is this kind decoded into names? */
bool mm_arg_decoded(enum arg_kind kind);

/* "ENOMEM" for 12, NULL when unknown. */
const char *errno_name(int err);

#endif
