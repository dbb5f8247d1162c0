/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_PROCFS_KALLSYMS_H
#define VMSCOPE_PROCFS_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	char *name;	/* NULL when not found */
};

/*
 * Resolve exact kernel addresses (function pointers such as vm_ops->fault)
 * to symbol names with one pass over <proc>/kallsyms. syms must be sorted
 * by addr and unique. Returns 0, or -EPERM when kallsyms shows zeroed
 * addresses (kptr_restrict), or -errno.
 */
int kallsyms_resolve(struct ksym *syms, size_t n);

/* Does kallsyms show real addresses? 1 yes, 0 zeroed, -errno. */
int kallsyms_visible(void);

#endif
