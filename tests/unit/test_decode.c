// SPDX-License-Identifier: GPL-2.0
/* Range parser, pagemap entry, kpageflags, vm_flags and cache-mode decoding. */
#include <string.h>

#include "tap.h"
#include "output/json.h"
#include "output/text.h"
#include "procfs/kpage.h"
#include "procfs/pagemap.h"
#include "decode/range.h"
#include "decode/vmflags.h"
#include <stdlib.h>

int main(void)
{
	uint64_t lo, hi, a;
	struct pm_entry e;
	char buf[256];
	char *s;

	/* ranges */
	ok(range_parse("7f0000001234", &lo, &hi) == 0 && lo == 0x7f0000001000ULL &&
	   hi == 0x7f0000002000ULL, "ADDR is the page holding it");
	ok(range_parse("0x1000-0x3000", &lo, &hi) == 0 && lo == 0x1000 && hi == 0x3000,
	   "START-END with 0x");
	ok(range_parse("1000-2001", &lo, &hi) == 0 && hi == 0x3000, "END rounded up");
	ok(range_parse("0x10000+8K", &lo, &hi) == 0 && hi == 0x12000, "START+LEN with K");
	ok(range_parse("0x10000+4096", &lo, &hi) == 0 && hi == 0x11000, "LEN is decimal");
	ok(range_parse("0x10000+0x2000", &lo, &hi) == 0 && hi == 0x12000, "LEN in hex");
	ok(range_parse("2000-1000", &lo, &hi) != 0, "END before START rejected");
	ok(range_parse("0x1000+0", &lo, &hi) != 0, "empty LEN rejected");
	ok(range_parse("xyz", &lo, &hi) != 0, "garbage rejected");
	ok(range_parse("", &lo, &hi) != 0, "empty rejected");
	ok(range_parse("-1000", &lo, &hi) != 0, "missing START rejected");
	ok(range_parse("ffffffffffffffff+2", &lo, &hi) != 0, "overflow rejected");
	ok(range_parse("1000+1Q", &lo, &hi) != 0, "bad suffix rejected");
	ok(addr_parse("0x", &a) != 0, "bare 0x rejected");
	ok(user_addr_limit(4) == 1ULL << 47 && user_addr_limit(5) == 1ULL << 56,
	   "user address limits for 4- and 5-level paging");

	/* pagemap */
	pagemap_decode(PM_PRESENT | PM_EXCLUSIVE | 0x12345, &e);
	ok(e.present && e.exclusive && !e.file && e.pfn == 0x12345, "present anon entry");
	pagemap_decode(PM_PRESENT | PM_FILE | PM_SOFT_DIRTY | 7, &e);
	ok(e.file && e.soft_dirty && e.pfn == 7, "file + soft-dirty entry");
	pagemap_decode(PM_SWAP | (0x1234ULL << 5) | 3, &e);
	ok(e.swapped && !e.present && e.swap_type == 3 && e.swap_offset == 0x1234,
	   "swap entry: type and offset");
	pagemap_decode(PM_SWAP | PM_GUARD | (4ULL << 5) | 31, &e);
	ok(e.guard && !e.swapped && !e.present, "guard marker (6.15+) is not a swap slot");
	pagemap_decode(0, &e);
	ok(!e.present && !e.swapped && e.pfn == 0, "empty entry");

	/* kpageflags */
	kpage_flags_str((1ULL << KPF_ANON) | (1ULL << KPF_LRU) | (1ULL << KPF_THP), buf,
			sizeof(buf));
	ok(!strcmp(buf, "lru,anon,thp"), "kpageflags names in bit order (%s)", buf);
	kpage_flags_str((1ULL << KPF_NOPAGE) | (1ULL << KPF_RESERVED), buf, sizeof(buf));
	ok(!strcmp(buf, "nopage,reserved"), "nopage and reserved (%s)", buf);
	kpage_flags_str(1ULL << 60, buf, sizeof(buf));
	ok(!strcmp(buf, "bit60"), "unknown bit named by number");

	/* vm_flags: a perf ring buffer (pf io dc de dd + rd wr sh mr mw ms) */
	vmflags_str(0x1|0x2|0x8|0x10|0x20|0x80|0x400|0x4000|0x20000|0x40000|0x4000000,
		    buf, sizeof(buf));
	ok(!strcmp(buf, "rd wr sh mr mw ms pf io dc de dd"), "smaps mnemonics (%s)", buf);
	vmflags_str(1ULL << 33, buf, sizeof(buf));
	ok(!strcmp(buf, ""), "protection-key bits print nothing, as in smaps");

	/* cache modes from PAT/PCD/PWT */
	ok(!strcmp(cache_mode(0x25, 0), "wb"), "wb");
	ok(!strcmp(cache_mode(0x8, 0), "wc"), "PWT -> wc (Linux PAT slot 1)");
	ok(!strcmp(cache_mode(0x10, 0), "uc-"), "PCD -> uc-");
	ok(!strcmp(cache_mode(0x18, 0), "uc"), "PCD|PWT -> uc");
	ok(!strcmp(cache_mode(0x80 | 0x18, 0), "wt"), "PAT|PCD|PWT -> wt");
	ok(!strcmp(cache_mode(0x1000 | 0x80, 1), "wb"), "huge leaf: PAT is bit 12, PSE ignored");

	/* text and JSON escaping of hostile names */
	s = text_escape("a\nb\x1b[31m\xff", 9);
	ok(s && !strcmp(s, "a\\x0ab\\x1b[31m\\xff"), "terminal escaping (%s)", s ? s : "");
	free(s);
	ok(utf8_valid("h\xc3\xa9", 3) && !utf8_valid("\xc3", 1) && !utf8_valid("\xed\xa0\x80", 3),
	   "UTF-8 validation (truncated, surrogate)");
	s = strdup("/very/long/path/name");
	text_cut_left(s, 10);
	ok(s && !strcmp(s, "...th/name"), "left cut keeps the tail (%s)", s ? s : "");
	free(s);
	return tap_done();
}
