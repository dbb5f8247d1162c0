/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Instruction pointers to "function+0xoff": user ips from the ELF symbols
 * (.symtab, else .dynsym) of the file mapped there, read once per file
 * with libelf; kernel ips from <proc>/kallsyms, read once when first
 * needed.
 */
#ifndef VMSCOPE_SYMBOLIZE_H
#define VMSCOPE_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/vma_model.h"

struct symbolizer;

struct symbolizer *sym_new(void);
void sym_free(struct symbolizer *s);

/* ip in the file mapping e of pid. Returns buf, or NULL when the file has
 * no symbol there (or cannot be read). */
const char *sym_user(struct symbolizer *s, pid_t pid, const struct vm_ent *e,
		     uint64_t ip, char *buf, size_t len);
/* A kernel ip; NULL when unknown or kallsyms hides addresses. */
const char *sym_kernel(struct symbolizer *s, uint64_t ip, char *buf, size_t len);
/* The kernel symbol starting exactly at addr (a function pointer such as
 * vm_ops->fault), or NULL. The name lives as long as s. */
const char *sym_kernel_exact(struct symbolizer *s, uint64_t addr);

/* For tests: load one ELF file and look up a virtual address in it. */
const char *sym_file_addr(struct symbolizer *s, const char *path, uint64_t vaddr,
			  char *buf, size_t len);

#endif
