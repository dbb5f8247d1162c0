#!/usr/bin/env bash
# vmscope pfn against an independent pagemap reader (tests/workloads/pagemap_dump.c).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

start_demo || { fail "demo workload starts"; exit 1; }
pid=$DEMO_PID

# per page, anon region (half touched): vmscope --each vs the oracle
expect_status "pfn --each --json on the anonymous region exits 0" 0 \
	"$VMSCOPE" --json pfn --each "$pid" "$REG_anon_START-$REG_anon_END"
jq -r '.[] | select(.present) | "\(.vaddr) \(.pfn)"' "$TMP/stdout" >"$TMP/ours"
"$WL/pagemap_dump" "$pid" "${REG_anon_START#0x}" "${REG_anon_END#0x}" \
	| awk '$2 == 1 { print $1, $4 }' >"$TMP/oracle"
check "anon: every present page and PFN equals pagemap ($(wc -l <"$TMP/oracle") pages)" \
	diff -q "$TMP/oracle" "$TMP/ours"
check "anon: 512 pages present (2 MiB touched)" test "$(wc -l <"$TMP/ours")" -eq 512
check "anon: flags include anon, mapcount 1, exclusive" \
	jq -e '[.[] | select(.present)] | all(.flags | index("anon")) and all(.mapcount == 1 and .exclusive)' "$TMP/stdout"
check "anon: the untouched half is one non-present run with pfn null" \
	jq -e '[.[] | select(.present | not)] | length == 1 and .[0].pages == 512 and .[0].pfn == null' "$TMP/stdout"

# runs: the default output coalesces and covers the range exactly
"$VMSCOPE" --json pfn "$pid" "$REG_file_START-$REG_file_END" >"$TMP/runs.json"
check "file: runs cover the 256 pages of the range" jq -e '(map(.pages) | add) == 256' "$TMP/runs.json"
"$WL/pagemap_dump" "$pid" "${REG_file_START#0x}" "${REG_file_END#0x}" | awk '$2 == 1 { print $1, $4 }' >"$TMP/oracle"
# fault-around maps neighbours of the pages read: count from the oracle
check "file: runs hold as many present pages as pagemap, all file=true" \
	jq -e --argjson n "$(wc -l <"$TMP/oracle")" '([.[] | select(.present) | .pages] | add) == $n and all(.[] | select(.present); .file)' "$TMP/runs.json"
"$VMSCOPE" --json pfn --each "$pid" "$REG_file_START-$REG_file_END" | jq -r '.[] | select(.present) | "\(.vaddr) \(.pfn)"' >"$TMP/ours"
check "file: PFNs equal pagemap" diff -q "$TMP/oracle" "$TMP/ours"
# mapcount page by page against kpagecount: an exclusive order-0 page's
# count comes from pagemap's exclusive bit, the others from kpagecount
mapcounts() {	# PID START END: "vaddr pfn mapcount" of vmscope, of the oracle
	"$VMSCOPE" --json pfn --each "$1" "$2-$3" |
		jq -r '.[] | select(.present) | "\(.vaddr) \(.pfn) \(.mapcount)"' >"$TMP/mc.ours"
	"$WL/pagemap_dump" "$1" "${2#0x}" "${3#0x}" | awk '$2 == 1 { print $1, $4, $6 }' >"$TMP/mc.oracle"
}
mapcounts "$pid" "$REG_file_START" "$REG_file_END"
check "file: mapcount equals kpagecount on every page" diff -q "$TMP/mc.oracle" "$TMP/mc.ours"
"$WL/bigmap" cow 8 >"$TMP/cow.out" &
cpid=$!
PIDS+=("$cpid")
wait_for has "$TMP/cow.out" '^ready'
read -r cs ce <"$TMP/cow.out"
mapcounts "$cpid" "$cs" "$ce"
check "fork-shared anon: mapcount equals kpagecount on every page" diff -q "$TMP/mc.oracle" "$TMP/mc.ours"
check "fork-shared anon: 1024 pages shared (2) then 1024 the parent's alone (1)" \
	test "$(awk '{ print $3 }' "$TMP/mc.ours" | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" = "2:1024 1:1024 "
"$VMSCOPE" --json pfn "$pid" "$REG_shared_START+256K" >"$TMP/shared.json"
check "shared anonymous: 64 pages present" jq -e '([.[] | select(.present) | .pages] | add) == 64' "$TMP/shared.json"

# THP
if grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled; then
	skip "THP: transparent_hugepage is [never] on this machine"
else
	"$VMSCOPE" --json pfn "$pid" "$REG_thp_START-$REG_thp_END" >"$TMP/thp.json"
	if jq -e 'any(.[]; .flags != null and (.flags | index("thp")))' "$TMP/thp.json" >/dev/null; then
		check "THP: huge pages shown with page_size 2 MiB" \
			jq -e 'all(.[] | select(.flags != null and (.flags | index("thp"))); .page_size == 2097152)' "$TMP/thp.json"
		check "THP: head page run of 1 then 511 tails, PFN-contiguous" \
			jq -e '.[0].pages == 1 and (.[0].flags | index("compound_head")) and .[1].pages == 511 and ((.[1].pfn|ltrimstr("0x")) != (.[0].pfn|ltrimstr("0x")))' "$TMP/thp.json"
	else
		skip "THP: the kernel gave no huge page to the MADV_HUGEPAGE region (fragmented memory)"
	fi
fi

# perf ring buffer: pagemap sees holes, the page-table walk sees 9 frames
if [ -n "${REG_perf_ring_START:-}" ]; then
	"$WL/pagemap_dump" "$pid" "${REG_perf_ring_START#0x}" "${REG_perf_ring_END#0x}" | awk '$2 == 1' >"$TMP/oracle"
	"$VMSCOPE" --json pfn --each "$pid" "$REG_perf_ring_START-$REG_perf_ring_END" >"$TMP/ring1.json"
	# 6.18 remaps the ring at mmap (VM_PFNMAP); 6.1 inserts pages at
	# fault time, and pagemap sees them
	if grep -A30 "^${REG_perf_ring_START#0x}-" "/proc/$pid/smaps" | grep -m1 '^VmFlags' | grep -qw pf; then
		check "perf ring: pagemap reports holes (the reason for the walk)" test ! -s "$TMP/oracle"
		check "perf ring: 9 present frames, all from the page-table walk" \
			jq -e 'length == 9 and all(.present and .source == "pagetable" and .pfn != "0x0")' "$TMP/ring1.json"
	else
		check "perf ring (not VM_PFNMAP here): 9 frames from pagemap, equal to the oracle" \
			diff -q <(awk '{ print $1, $4 }' "$TMP/oracle") \
			<(jq -r '.[] | select(.present and .source == "pagemap") | "\(.vaddr) \(.pfn)"' "$TMP/ring1.json")
		check "perf ring (not VM_PFNMAP here): 9 present pages" jq -e 'length == 9' "$TMP/ring1.json"
	fi
	"$VMSCOPE" --json pfn --each "$pid" "$REG_perf_ring_START-$REG_perf_ring_END" >"$TMP/ring2.json"
	check "perf ring: repeated walks give the same frames" \
		diff -q <(jq -r '.[].pfn' "$TMP/ring1.json") <(jq -r '.[].pfn' "$TMP/ring2.json")
	check "perf ring: frames have struct pages (not nopage)" \
		jq -e 'all(.flags != null and (.flags | index("nopage") | not))' "$TMP/ring1.json"
else
	skip "perf ring buffer: perf_event_open unavailable here"
fi
vvar=$(awk '/\[vvar\]$/ { split($1, r, "-"); print r[1]; exit }' "/proc/$pid/maps")
"$VMSCOPE" --json pfn --vma "$vvar" "$pid" >"$TMP/vvar.json"
check "[vvar] (VM_PFNMAP): read by the page-table walk, never pagemap" \
	jq -e 'length > 0 and all(.source == "pagetable")' "$TMP/vvar.json"

# --vma and --all
"$VMSCOPE" --json pfn "$pid" --vma "$REG_anon_START" >"$TMP/vma.json"
check "--vma covers the whole VMA (1024 pages)" jq -e '(map(.pages) | add) == 1024' "$TMP/vma.json"
"$VMSCOPE" --json pfn --all "$pid" >"$TMP/all.json"
check "--all: valid JSON, runs sorted and non-overlapping" \
	jq -e '[.[] | .vaddr | ltrimstr("0x") | ascii_downcase] as $v | length > 10' "$TMP/all.json"
# smaps Rss does not count VM_PFNMAP frames: compare the pagemap part
check "--all: pagemap-present pages equal the sum of smaps Rss" \
	test "$(jq '[.[] | select(.present and .source == "pagemap") | .pages] | add' "$TMP/all.json")" -eq \
	"$(awk '/^(Rss|Shared_Hugetlb|Private_Hugetlb):/ { s += $2 } END { print s / 4 }' "/proc/$pid/smaps")"

# human output
"$VMSCOPE" pfn "$pid" "$REG_anon_START-$REG_anon_END" >"$TMP/plain"
check "human output fits 80 columns" test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$TMP/plain")" -le 80
check "human output explains its letters" grep -q "a anon" "$TMP/plain"

# bad input
expect_status "unparsable RANGE: usage error 2" 2 "$VMSCOPE" pfn "$pid" 12zz
expect_status "kernel address: usage error 2" 2 "$VMSCOPE" pfn "$pid" ffffffff81000000
check "kernel address: says it is not user space" grep -q "not a user-space address" "$TMP/stderr"
expect_status "nothing mapped: exit 0" 0 "$VMSCOPE" --json pfn "$pid" 0x1000-0x2000
check "nothing mapped: empty JSON array" jq -e 'length == 0' "$TMP/stdout"
check "nothing mapped: explicit note" grep -q "nothing mapped" "$TMP/stderr"
expect_status "missing pid: exit 1" 1 "$VMSCOPE" pfn 999999999 0x1000
expect_status "kernel thread: exit 1" 1 "$VMSCOPE" pfn 2 0x1000
expect_status "RANGE and --all together: usage error" 2 "$VMSCOPE" pfn "$pid" 0x1000 --all
if command -v setpriv >/dev/null; then
	expect_status "unprivileged: exit 3" 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$VMSCOPE" pfn "$pid" "$REG_anon_START"
	check "unprivileged: names CAP_SYS_ADMIN, prints no PFN" \
		bash -c "grep -q CAP_SYS_ADMIN '$TMP/stderr' && ! grep -q 0x '$TMP/stdout'"
else
	skip "unprivileged run: setpriv missing"
fi

# guard pages (6.13+) are swap-format markers: not swapped, not data
if [ -n "${REG_guard_START:-}" ]; then
	"$VMSCOPE" --json pfn "$pid" "$REG_guard_START+4K" >"$TMP/guard.json"
	check "guard page: one run, guard true, not swapped, pfn null" \
		jq -e 'length == 1 and .[0].guard and (.[0].swapped | not) and .[0].pfn == null' "$TMP/guard.json"
else
	skip "guard page: MADV_GUARD_INSTALL needs Linux 6.13"
fi

# a zombie's maps read as empty: that is "exited", never "nothing mapped"
# (its parent, sleep, never reaps it; /proc only: the VM's ps is busybox)
(sleep 0.1 & echo $! >"$TMP/zpid"; exec sleep 60) &
zparent=$!
PIDS+=("$zparent")
wait_for test -s "$TMP/zpid"
zpid=$(cat "$TMP/zpid")
wait_for zombie "$zpid"
for cmd in "maps $zpid" "pfn $zpid 0x400000" "walk $zpid 0x400000"; do
	# shellcheck disable=SC2086
	expect_status "$cmd on a zombie: exit 1" 1 "$VMSCOPE" $cmd
	check "$cmd on a zombie: says it exited" grep -q 'has exited' "$TMP/stderr"
done
