/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMSCOPE_VMFLAGS_H
#define VMSCOPE_VMFLAGS_H

#include <stddef.h>
#include <stdint.h>

/* vm_flags bits vmscope itself tests (include/linux/mm.h, stable 6.1-6.18) */
#define VMF_READ	0x00000001ULL
#define VMF_WRITE	0x00000002ULL
#define VMF_EXEC	0x00000004ULL
#define VMF_SHARED	0x00000008ULL
#define VMF_MAYSHARE	0x00000080ULL
#define VMF_GROWSDOWN	0x00000100ULL
#define VMF_PFNMAP	0x00000400ULL
#define VMF_IO		0x00004000ULL
#define VMF_DONTEXPAND	0x00040000ULL
#define VMF_ACCOUNT	0x00100000ULL
#define VMF_HUGETLB	0x00400000ULL
#define VMF_DONTDUMP	0x04000000ULL
#define VMF_SOFTDIRTY	0x08000000ULL
#define VMF_MIXEDMAP	0x10000000ULL

/* smaps "VmFlags" mnemonic of bit, NULL if the kernel prints none, "" if
 * the bit is unknown to vmscope (callers print "bitN"). */
const char *vmflag_mnemonic(unsigned int bit);

/* Space separated mnemonics, as smaps prints them (without trailing space). */
void vmflags_str(uint64_t flags, char *buf, size_t len);

/* Cache mode of an x86 page protection: "wb", "wc", "uc-", "uc", "wt",
 * "wp", from the PAT index (PAT, PCD, PWT bits) and the PAT MSR layout
 * Linux programs (arch/x86/mm/pat/memtype.c: WB WC UC- UC WB WP UC- WT). */
const char *cache_mode(uint64_t prot, int level);

#endif
