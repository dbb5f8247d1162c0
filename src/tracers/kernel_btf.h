/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's BTF for libbpf: mapped, parsed once, lent (kernel_btf.c) */
#ifndef VMSCOPE_KERNEL_BTF_H
#define VMSCOPE_KERNEL_BTF_H

/*
 * Free the parse of the kernel's BTF kept for the next object load, when
 * no load holds it. For when the loads are over: the next load parses
 * again. (A no-op in a static build, where libbpf's own functions win.)
 */
void kernel_btf_drop(void);

#endif
