/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_PROCFS_KALLSYMS_H
#define VMSCOPE_PROCFS_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

/* Does kallsyms show real addresses? 1 yes, 0 zeroed, -errno. */
int kallsyms_visible(void);

#endif
