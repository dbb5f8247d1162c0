/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_PROCFS_KALLSYMS_H
#define VMSCOPE_PROCFS_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

/* Does kallsyms show real addresses? 1 yes, 0 zeroed, -errno. */
int kallsyms_visible(void);

/* Each text symbol (t or T) with a non-zero address, in file order;
 * cb returns <0 to stop. 0 or -errno. */
int kallsyms_each_text(int (*cb)(uint64_t addr, const char *name, void *arg), void *arg);

#endif
