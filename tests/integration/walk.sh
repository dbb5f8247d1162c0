#!/usr/bin/env bash
# vmscope walk against pagemap (tests/workloads/pagemap_dump.c) and against
# `vmscope pfn` for pfnmap memory; levels against the paging mode; bad input.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

# one free 2 MiB huge page for the demo's hugetlb region, restored at exit
hp=/proc/sys/vm/nr_hugepages
old_hp=$(cat "$hp")
restore_hp() { echo "$old_hp" >"$hp"; cleanup; }
trap restore_hp EXIT
echo $((old_hp + 1)) >"$hp" 2>/dev/null

start_demo || { fail "demo workload starts"; exit 1; }
pid=$DEMO_PID

if grep -qw la57 /proc/cpuinfo; then
	levels='["pgd","p4d","pud","pmd","pte"]' nlev=5
else
	levels='["pgd","pud","pmd","pte"]' nlev=4
fi

# walk_vs_pagemap NAME ADDR: the walk's PFN equals the oracle's
hex() { printf '0x%x' "$1"; }

walk_vs_pagemap() {
	local name=$1 addr want got
	addr=$(hex "$2")
	rm -f "$TMP/w.json"
	want=$("$WL/pagemap_dump" "$pid" "${addr#0x}" "$(printf '%x' $((addr + 4096)))" |
		awk '$2 == 1 { print $4 }')
	"$VMSCOPE" --json walk "$pid" "$addr" >"$TMP/w.json" 2>"$TMP/w.err"
	got=$(jq -r '.pfn' "$TMP/w.json")
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		pass "$name: walk PFN $got equals pagemap"
	else
		fail "$name: walk PFN '$got', pagemap '$want'"
		sed 's/^/#   /' "$TMP/w.err"
	fi
}

walk_vs_pagemap "anon 4K" "$REG_anon_START"
walk_vs_pagemap "anon 4K, page 100 + offset" $((REG_anon_START + 100 * 4096 + 0x123))
check "anon 4K: levels are $levels, last a 4K leaf; phys = pfn*4096 + offset" \
	jq -e --argjson l "$levels" '[.levels[].level] == $l and .page_size == 4096 and
	  .levels[-1].leaf and (.phys | ltrimstr("0x") | ascii_downcase) ==
	  ((.pfn | ltrimstr("0x")) + "123")' "$TMP/w.json"
check "anon 4K: each index is the address's 9-bit field" \
	jq -e --argjson a $((REG_anon_START + 100 * 4096 + 0x123)) --argjson n $nlev '
	  [.levels[].index] == [range($n - 1; -1; -1) as $l |
	    (($a / pow(2; 12 + 9 * $l)) | floor) % 512]' "$TMP/w.json"
check "anon 4K: present leaf flags p rw u, cache wb, cr3 set" \
	jq -e '(.levels[-1].flags | index("p") and index("rw") and index("u")) and
	  .cache == "wb" and .cr3 != "0x0" and .vma.path == null' "$TMP/w.json"
walk_vs_pagemap "file-backed" "$REG_file_START"
walk_vs_pagemap "shared anonymous" "$REG_shared_START"
walk_vs_pagemap "PROT_NONE page (inverted frame bits)" "$REG_protnone_START"
check "PROT_NONE page: leaf flagged protnone, not p" \
	jq -e '.levels[-1].flags | index("protnone") and (index("p") | not)' "$TMP/w.json"

"$VMSCOPE" --json walk "$pid" "$REG_thp_START" >"$TMP/thp.json"
if jq -e '.page_size == 2097152' "$TMP/thp.json" >/dev/null; then
	walk_vs_pagemap "THP" $((REG_thp_START + 5 * 4096))
	check "THP: leaf at pmd with pse, $((nlev - 1)) levels" \
		jq -e --argjson n $((nlev - 1)) '(.levels | length) == $n and .levels[-1].level == "pmd" and
		  (.levels[-1].flags | index("pse")) and .page_size == 2097152' "$TMP/w.json"
else
	skip "THP: the kernel gave the MADV_HUGEPAGE region no huge page"
fi

if [ -n "${REG_hugetlb_START:-}" ]; then
	walk_vs_pagemap "hugetlb 2M" $((REG_hugetlb_START + 0x1000))
	check "hugetlb: leaf at pmd, page_size 2 MiB" \
		jq -e '.levels[-1].level == "pmd" and .page_size == 2097152' "$TMP/w.json"
else
	skip "hugetlb: no free 2 MiB huge page could be reserved ($hp)"
fi

# pfnmap: pagemap is blind; the walk must agree with `pfn` and with itself
if [ -n "${REG_perf_ring_START:-}" ]; then
	a=$(hex $((REG_perf_ring_START + 2 * 4096)))
	"$VMSCOPE" --json walk "$pid" "$a" >"$TMP/r1.json"
	"$VMSCOPE" --json walk "$pid" "$a" >"$TMP/r2.json"
	want=$("$VMSCOPE" --json pfn --each "$pid" "$a" | jq -r '.[0].pfn')
	check "perf ring (pfnmap): walk PFN equals pfn's frame ($want)" \
		jq -e --arg w "$want" '.pfn == $w and .pfn != null' "$TMP/r1.json"
	check "perf ring: repeated walks agree" diff -q "$TMP/r1.json" "$TMP/r2.json"
	if grep -A30 "^${REG_perf_ring_START#0x}-" "/proc/$pid/smaps" | grep -m1 '^VmFlags' | grep -qw pf; then
		check "perf ring: leaf has the special bit (remap_pfn_range)" \
			jq -e '.levels[-1].flags | index("special")' "$TMP/r1.json"
	else
		check "perf ring (not VM_PFNMAP here): a normal page, no special bit" \
			jq -e '.levels[-1].flags | index("special") | not' "$TMP/r1.json"
	fi
else
	skip "perf ring: perf_event_open unavailable"
fi

if [ -n "${REG_guard_START:-}" ]; then
	"$VMSCOPE" --json walk "$pid" "$REG_guard_START" >"$TMP/g.json"
	check "guard page: stops at pte, marker decoded as a special swap-format entry" \
		jq -e '.pfn == null and .stopped_at == "pte" and .swap != null and
		  (.swap.kind | startswith("special"))' "$TMP/g.json"
else
	skip "guard page: MADV_GUARD_INSTALL needs Linux 6.13"
fi
untouched=$(hex $((REG_anon_END - 4096)))
"$VMSCOPE" --json walk "$pid" "$untouched" >"$TMP/u.json"
check "untouched page: stops with an empty entry, pfn null, inside the VMA" \
	jq -e '.pfn == null and .stopped_at != null and .swap == null and .vma != null' "$TMP/u.json"

# several addresses: an array, one object each
"$VMSCOPE" --json walk "$pid" "$REG_anon_START" "$REG_file_START" >"$TMP/two.json"
check "two ADDRs: JSON array of two walks" jq -e 'length == 2 and .[1].vma.path != null' "$TMP/two.json"

# human output: the textbook split and the chain, within 80 columns
"$VMSCOPE" walk "$pid" "$REG_anon_START" "$REG_thp_START" "$untouched" >"$TMP/plain"
check "human output fits 80 columns" awk 'length > 80 { exit 1 }' "$TMP/plain"
check "human output shows index fields, cr3 and the physical address" \
	grep -q '^  field   pgd' "$TMP/plain"
check "human output names the final page" grep -q '= phys 0x' "$TMP/plain"

# bad input
expect_status "unmapped address: exit 0" 0 "$VMSCOPE" --json walk "$pid" 0x1000
check "unmapped address: a note says it is outside every VMA" grep -q 'outside every VMA' "$TMP/stderr"
check "unmapped address: vma null, pfn null, valid JSON" jq -e '.vma == null and .pfn == null' "$TMP/stdout"
expect_status "kernel address: usage error" 2 "$VMSCOPE" walk "$pid" 0xffffffff81000000
# the first non-canonical user address: bit 47 (4-level) or 56 (5-level)
if grep -qw la57 /proc/cpuinfo; then nc=0x0100000000000000; else nc=0x0000800000000000; fi
expect_status "non-canonical address ($nc): usage error" 2 "$VMSCOPE" walk "$pid" $nc
expect_status "non-hex address: usage error" 2 "$VMSCOPE" walk "$pid" 12zz
expect_status "missing ADDR: usage error" 2 "$VMSCOPE" walk "$pid"
expect_status "no such process: exit 1" 1 "$VMSCOPE" walk 999999999 0x1000
check "no such process: says so" grep -q 'no such process' "$TMP/stderr"
expect_status "kernel thread (kthreadd): exit 1" 1 "$VMSCOPE" walk 2 0x1000
check "kernel thread: has no user address space" grep -q 'no user address space' "$TMP/stderr"
