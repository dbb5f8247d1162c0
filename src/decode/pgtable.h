/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86-64 page-table entries as the MMU and Linux read them
 * (arch/x86/include/asm/pgtable_types.h, pgtable_64.h; stable 6.1-6.18).
 */
#ifndef VMSCOPE_PGTABLE_H
#define VMSCOPE_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the bits vmscope tests; pgtable_flags() names them all */
#define PTE_PRESENT	(1ULL << 0)
#define PTE_PSE		(1ULL << 7)	/* huge leaf at pmd/pud; PAT in a pte */
#define PTE_GLOBAL	(1ULL << 8)	/* PROTNONE when not present */
#define PTE_ADDR_MASK	0x000ffffffffff000ULL

/* Level names as the hardware uses them (enum ptw_level): with 4-level
 * paging the top table, PTW_P4D here, is the pgd (Linux folds p4d). */
const char *pgtable_level_name(int level, int paging_levels);

/* Index an address takes at level (bits 12+9*level and up, 9 wide). */
static inline unsigned int pgtable_index(uint64_t addr, int level)
{
	return (addr >> (12 + 9 * level)) & 511;
}

/* Is this entry a leaf: a present (or PROT_NONE) pte, or a huge pmd/pud? */
bool pgtable_is_leaf(uint64_t entry, int level);

/* Does the entry map memory (present, or PROT_NONE which keeps the frame)? */
bool pgtable_maps_frame(uint64_t entry);

/* Physical address of the next table or, for a leaf, of the page. */
uint64_t pgtable_target(uint64_t entry, int level);

/* Protection key of a present leaf (bits 59-62). */
static inline unsigned int pgtable_pkey(uint64_t entry)
{
	return (entry >> 59) & 15;
}

/*
 * Names of the bits set in entry: "p rw u pwt pcd a d pse g special
 * uffd_wp soft_dirty pat nx" (software bits only for leaves, pat only where
 * it is the PAT bit), or "protnone" for a PROT_NONE leaf. Calls fn per
 * name. Non-present, non-PROT_NONE entries have no bits to name.
 */
void pgtable_flags(uint64_t entry, int level, bool leaf,
		   void (*fn)(const char *name, void *arg), void *arg);

/* A non-present, non-zero entry: an x86-64 swap-format entry. */
struct swap_entry {
	unsigned int type;	/* 5 bits, top of the entry */
	uint64_t offset;	/* stored inverted (L1TF), bits 9-58 */
	bool exclusive, soft_dirty, uffd_wp;
};
void pgtable_swap_decode(uint64_t entry, struct swap_entry *s);

#endif
