// SPDX-License-Identifier: GPL-2.0
#include "decode/pgtable.h"
#include "vmscope_abi.h"

const char *pgtable_level_name(int level, int paging_levels)
{
	static const char *const names[] = { "pte", "pmd", "pud", "p4d", "pgd" };

	if (paging_levels == 4 && level == PTW_P4D)
		return "pgd";
	return level >= 0 && level <= PTW_PGD ? names[level] : "?";
}

bool pgtable_maps_frame(uint64_t entry)
{
	/* PROT_NONE clears _PAGE_PRESENT and sets _PAGE_PROTNONE (bit 8) */
	return entry & (PTE_PRESENT | PTE_GLOBAL);
}

bool pgtable_is_leaf(uint64_t entry, int level)
{
	if (!pgtable_maps_frame(entry))
		return false;
	if (level == PTW_PTE)
		return true;
	return (level == PTW_PMD || level == PTW_PUD) && (entry & PTE_PSE);
}

uint64_t pgtable_target(uint64_t entry, int level)
{
	uint64_t mask = PTE_ADDR_MASK;

	/* in a huge leaf, bit 12 is PAT and the low address bits are zero */
	if (pgtable_is_leaf(entry, level) && level > PTW_PTE)
		mask &= ~((1ULL << (12 + 9 * level)) - 1);
	/* non-present entries keep their frame bits inverted (L1TF, 4.19:
	 * arch/x86/include/asm/pgtable-invert.h) */
	if (!(entry & PTE_PRESENT))
		entry = ~entry;
	return entry & mask;
}

void pgtable_flags(uint64_t entry, int level, bool leaf,
		   void (*fn)(const char *name, void *arg), void *arg)
{
	/* hardware order; bits 9-11 and 58 are Linux's software bits */
	static const char *const names[64] = {
		[0] = "p", [1] = "rw", [2] = "u", [3] = "pwt", [4] = "pcd",
		[5] = "a", [6] = "d", [7] = "pse", [8] = "g", [9] = "special",
		[10] = "uffd_wp", [11] = "soft_dirty", [12] = "pat",
		[58] = "saved_dirty", [63] = "nx",
	};
	bool present = entry & PTE_PRESENT;
	unsigned int b;

	if (!pgtable_maps_frame(entry))
		return;
	for (b = 0; b < 64; b++) {
		const char *name = names[b];

		if (!name || !(entry & (1ULL << b)))
			continue;
		if (b == 7 && level == PTW_PTE)
			name = "pat";		/* bit 7 of a 4K pte is PAT */
		else if (b == 8 && !present)
			name = "protnone";
		else if ((b == 6 || b == 8 || (b >= 9 && b <= 11) || b == 58) && !leaf)
			continue;		/* ignored in non-leaf entries */
		else if (b == 12 && !(leaf && level > PTW_PTE))
			continue;		/* an address bit elsewhere */
		fn(name, arg);
	}
}

void pgtable_swap_decode(uint64_t entry, struct swap_entry *s)
{
	s->type = entry >> 59;
	s->offset = (~entry << 5) >> 14;
	s->exclusive = entry & (1ULL << 3);
	s->uffd_wp = entry & (1ULL << 2);
	s->soft_dirty = entry & (1ULL << 1);
}
