// SPDX-License-Identifier: GPL-2.0
/* Page-table entry decoding on hand-built x86-64 entries. */
#include <string.h>

#include "tracers/bpf_ptwalk.h"
#include "decode/pgtable.h"
#include "tap.h"
#include "vmscope_abi.h"

static char names[256];

static void collect(const char *name, void *arg)
{
	(void)arg;
	if (names[0])
		strcat(names, " ");
	strcat(names, name);
}

static const char *flags_of(uint64_t e, int level)
{
	names[0] = '\0';
	pgtable_flags(e, level, pgtable_is_leaf(e, level), collect, NULL);
	return names;
}

int main(void)
{
	struct swap_entry s;
	uint64_t swp;

	ok(!strcmp(pgtable_level_name(PTW_PGD, 5), "pgd") &&
	   !strcmp(pgtable_level_name(PTW_P4D, 5), "p4d") &&
	   !strcmp(pgtable_level_name(PTW_PTE, 5), "pte"), "5-level names");
	ok(!strcmp(pgtable_level_name(PTW_P4D, 4), "pgd") &&
	   !strcmp(pgtable_level_name(PTW_PUD, 4), "pud"),
	   "4-level: the top table is the pgd");
	ok(pgtable_index(0x00007f1c2a6015a8ULL, PTW_P4D) == 0xfe &&
	   pgtable_index(0x00007f1c2a6015a8ULL, PTW_PUD) == 0x70 &&
	   pgtable_index(0x00007f1c2a6015a8ULL, PTW_PMD) == 0x153 &&
	   pgtable_index(0x00007f1c2a6015a8ULL, PTW_PTE) == 0x1,
	   "indices are 9-bit address fields");

	/* a dirty anonymous 4K page: p rw u a d soft_dirty nx */
	ok(!strcmp(flags_of(0x8000000123456867ULL, PTW_PTE),
		   "p rw u a d soft_dirty nx"), "4K pte bits: %s", names);
	ok(pgtable_target(0x8000000123456867ULL, PTW_PTE) == 0x123456000ULL,
	   "4K pte frame address");
	/* bit 7 of a pte is PAT, not PSE */
	ok(!strcmp(flags_of(0x0000000123456085ULL, PTW_PTE), "p u pat"),
	   "pte bit 7 is pat: %s", names);

	/* a 2M THP leaf: pse, and bit 12 is PAT, not address */
	ok(pgtable_is_leaf(0x80000001234010e7ULL, PTW_PMD), "pmd with pse is a leaf");
	ok(!strcmp(flags_of(0x80000001234010e7ULL, PTW_PMD), "p rw u a d pse pat nx"),
	   "2M leaf bits: %s", names);
	ok(pgtable_target(0x80000001234010e7ULL, PTW_PMD) == 0x123400000ULL,
	   "2M leaf address drops PAT bit 12");

	/* a table pointer: dirty/global/software bits are not named */
	ok(!pgtable_is_leaf(0x0000000112b33e67ULL, PTW_PMD), "pmd table is not a leaf");
	ok(!strcmp(flags_of(0x0000000112b33e67ULL, PTW_PMD), "p rw u a"),
	   "table entry bits: %s", names);
	ok(pgtable_target(0x0000000112b33e67ULL, PTW_PMD) == 0x112b33000ULL,
	   "table address keeps bit 12");

	/* PROT_NONE leaf keeps its frame */
	ok(pgtable_maps_frame(0x8000000123456124ULL), "protnone maps a frame");
	ok(!strcmp(flags_of(0x8000000123456124ULL, PTW_PTE), "u a protnone nx"),
	   "protnone bits: %s", names);
	ok(pgtable_target(0x8000000000000124ULL | (~0x123456000ULL & PTE_ADDR_MASK),
			  PTW_PTE) == 0x123456000ULL,
	   "protnone frame bits are stored inverted");
	{
		struct ptw_rec r = {
			.entry = 0x8000000000000124ULL | (~0x123456000ULL & PTE_ADDR_MASK),
			.level = PTW_PTE, .present = 1,
		};
		struct ptw_rec huge = { .entry = 0x80000001234010e7ULL, .level = PTW_PMD,
					.present = 1 };

		ok(ptw_pfn(&r) == 0x123456, "walked PROT_NONE leaf: pfn un-inverted");
		ok(ptw_pfn(&huge) == 0x123400, "walked 2M leaf: pfn without the PAT bit");
	}

	/* swap entry: type 3, offset 0x1234, stored inverted */
	swp = (3ULL << 59) | ((~(0x1234ULL << 9)) & 0x07fffffffffffe00ULL) | (1ULL << 3);
	ok(!pgtable_maps_frame(swp) && !pgtable_is_leaf(swp, PTW_PTE),
	   "swap entry maps no frame");
	pgtable_swap_decode(swp, &s);
	ok(s.type == 3 && s.offset == 0x1234 && s.exclusive && !s.soft_dirty,
	   "swap type/offset decoded (type %u offset 0x%llx)", s.type,
	   (unsigned long long)s.offset);
	ok(!strcmp(flags_of(swp, PTW_PTE), ""), "swap entry has no hardware bits");
	ok(pgtable_pkey(0x3800000000000001ULL) == 7, "protection key bits 59-62");
	return tap_done();
}
