#!/usr/bin/env bash
# vmscope maps against /proc/PID/maps and smaps (the kernel's own report).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

start_demo || { fail "demo workload starts"; exit 1; }
pid=$DEMO_PID

expect_status "maps PID --json exits 0" 0 "$VMSCOPE" --json maps "$pid"
cp "$TMP/stdout" "$TMP/maps.json"
check "maps --json is valid JSON (jq)" jq -e 'type == "array" and length > 5' "$TMP/maps.json"

# every /proc/PID/maps field, exactly: rebuild the lines from JSON and compare
# with the kernel's (whitespace padding collapsed).
jq -r '.[] | "\(.start|ltrimstr("0x"))-\(.end|ltrimstr("0x")) \(.perms) \(.offset) \(.dev) \(.inode) \(.path // "")"' \
	"$TMP/maps.json" | while read -r range perms off dev ino path; do
	printf '%s %s %08x %s %s %s\n' "$range" "$perms" "$off" "$dev" "$ino" "$path"
done | sed 's/ *$//' >"$TMP/ours.txt"
sed 's/  */ /g; s/ *$//' "/proc/$pid/maps" >"$TMP/kernel.txt"
if diff -u "$TMP/kernel.txt" "$TMP/ours.txt" >"$TMP/diff"; then
	pass "start/end/perms/offset/dev/inode/path equal /proc/PID/maps for $(wc -l <"$TMP/kernel.txt") VMAs"
else
	fail "maps fields differ from /proc/PID/maps"; head -20 "$TMP/diff" | sed 's/^/#   /'
fi

# vm_flags and Rss/Swap against smaps
awk '/^[0-9a-f]+-[0-9a-f]+ /{split($1,r,"-"); cur=r[1]} /^VmFlags:/{sub(/^VmFlags: */,""); sub(/ *$/,""); print cur, $0}' \
	"/proc/$pid/smaps" | sort >"$TMP/smaps_flags"
jq -r '.[] | select(.vm_flags != null) | "\(.start|ltrimstr("0x")) \(.vm_flags|join(" "))"' \
	"$TMP/maps.json" | sed 's/bit[0-9]*/??/g' | sort >"$TMP/our_flags"
if diff -u "$TMP/smaps_flags" "$TMP/our_flags" >"$TMP/diff"; then
	pass "vm_flags equal smaps VmFlags for every VMA"
else
	fail "vm_flags differ from smaps"; head -10 "$TMP/diff" | sed 's/^/#   /'
fi

awk '/^[0-9a-f]+-[0-9a-f]+ /{split($1,r,"-"); cur=r[1]; pf=0} /^VmFlags:/{ if ($0 ~ / pf/ || $0 ~ / io/) pf=1 } /^Rss:/{rss[cur]=$2} /^(Shared|Private)_Hugetlb:/{rss[cur]+=$2} /^Swap:/{sw[cur]=$2} /^VmFlags:/{ if (!pf && cur !~ /^ffffffffff/) print cur, rss[cur], sw[cur]}' \
	"/proc/$pid/smaps" | sort >"$TMP/smaps_rss"
jq -r '.[] | select(.present_source == "pagemap") | "\(.start|ltrimstr("0x")) \(.present_pages*4) \(.swap_pages*4)"' \
	"$TMP/maps.json" | sort >"$TMP/our_rss"
if diff -u "$TMP/smaps_rss" "$TMP/our_rss" >"$TMP/diff"; then
	pass "present/swap pages equal smaps Rss/Swap ($(wc -l <"$TMP/our_rss") VMAs)"
else
	fail "present/swap pages differ from smaps"; head -10 "$TMP/diff" | sed 's/^/#   /'
fi

# owner and cache mode of known mappings
q() { jq -r --arg s "$1" ".[] | select(.start == \$s) | $2" "$TMP/maps.json"; }
check "anonymous mapping: owner null, cache wb" \
	test "$(q "$REG_anon_START" '"\(.owner) \(.cache) \(.present_pages)"')" = "null wb 512"
# the demo's file is in /tmp: on tmpfs (the VM) shmem serves it
want=filemap_fault
[ "$(stat -f -c %T /tmp)" = tmpfs ] && want=shmem_fault
check "file mapping owned by $want" test "$(q "$REG_file_START" .owner)" = $want
if [ -n "${REG_perf_ring_START:-}" ]; then
	o=$(q "$REG_perf_ring_START" '"\(.owner) \(.present_source) \(.present_pages) \(.vm_flags|index("pf") != null)"')
	# 6.18 remaps the ring at mmap (VM_PFNMAP, pagemap blind); 6.1
	# inserts its pages at fault time (pagemap sees them)
	if grep -A30 "^${REG_perf_ring_START#0x}-" "/proc/$pid/smaps" | grep -m1 '^VmFlags' | grep -qw pf; then
		check "perf ring buffer: perf owner, 9 pages counted by the page-table walk ($o)" \
			bash -c "[[ '$o' == perf_* && '$o' == *' pagetable 9 true' ]]"
	else
		check "perf ring buffer (not VM_PFNMAP here): perf owner, 9 pages from pagemap ($o)" \
			bash -c "[[ '$o' == perf_* && '$o' == *' pagemap 9 false' ]]"
	fi
else
	skip "perf ring buffer: perf_event_open unavailable here"
fi
vvar=$(jq -r '.[] | select(.path == "[vvar]") | .owner' "$TMP/maps.json" | head -1)
check "[vvar] owned by a special mapping function ($vvar)" \
	bash -c "[[ '$vvar' == *special_mapping* || '$vvar' == vvar* ]]"

# human output: 80 columns, header, one row per VMA
"$VMSCOPE" maps "$pid" >"$TMP/plain"
check "human output fits 80 columns" test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$TMP/plain")" -le 80
check "human output has one row per VMA" test "$(($(wc -l <"$TMP/plain") - 1))" -eq "$(wc -l <"/proc/$pid/maps")"

# a real interpreter process
perl -e '$| = 1; my @a = (1) x 100000; print "ready\n"; sleep 30' >"$TMP/perl.out" &
PIDS+=($!)
wait_for has "$TMP/perl.out" '^ready'
"$VMSCOPE" --json maps $! >"$TMP/perl.json"
jq -r '.[] | "\(.start|ltrimstr("0x"))-\(.end|ltrimstr("0x")) \(.perms) \(.path // "")"' "$TMP/perl.json" \
	| sed 's/ *$//' >"$TMP/ours.txt"
awk '{ p = ""; for (i = 6; i <= NF; i++) p = p (i > 6 ? " " : "") $i; print $1, $2, p }' "/proc/$!/maps" \
	| sed 's/ *$//' >"$TMP/kernel.txt"
check "perl interpreter: maps equal /proc/PID/maps" diff -q "$TMP/kernel.txt" "$TMP/ours.txt"

# procfs fallback says what is missing
expect_status "--no-bpf works" 0 "$VMSCOPE" --json --no-bpf maps "$pid"
check "--no-bpf: owner/cache null, vm_flags from smaps" \
	jq -e 'all(.[]; .owner == null and .cache == null) and any(.[]; .vm_flags != null)' "$TMP/stdout"
check "--no-bpf: the missing fields are named on stderr" grep -q "owner, cache and page_size unavailable" "$TMP/stderr"

# hostile file names survive into JSON and are escaped for the terminal
name=$(printf '%s/we ird\nname\033[31m\xff"q\\' "$TMP")
start_demo --file "$name" || fail "demo with hostile file name"
"$VMSCOPE" --json maps "$DEMO_PID" >"$TMP/hostile.json" 2>/dev/null
kpath=$(grep -a "^${REG_file_START#0x}-" "/proc/$DEMO_PID/maps" | sed -E 's/^([^ ]+ +){5}//')
jpath_hex=$(jq -r --arg s "$REG_file_START" '.[] | select(.start == $s) | .path_hex' "$TMP/hostile.json")
# maps prints the newline as \012; path_hex has the name's own bytes
check "non-UTF-8 path: the name's exact bytes kept in path_hex (newline real)" \
	test "$jpath_hex" = "$(printf '%s' "$name" | od -An -tx1 | tr -d ' \n')"
case $kpath in
*'ird\012name'*) pass "the kernel's maps line shows that newline as \\012 (why map_files is read)" ;;
*) fail "the kernel's maps line: expected \\012 for the newline: $kpath" ;;
esac
check "hostile path: JSON still parses" jq -e 'length > 0' "$TMP/hostile.json"
"$VMSCOPE" maps "$DEMO_PID" >"$TMP/hostile.txt"
check "hostile path: no raw escape or newline reaches the terminal" \
	bash -c "! grep -q $'\033' '$TMP/hostile.txt' && grep -c . '$TMP/hostile.txt' | grep -qx $(( $(wc -l <"/proc/$DEMO_PID/maps") + 1 ))"

# bad input
expect_status "missing pid: exit 1" 1 "$VMSCOPE" maps 999999999
check "missing pid: says no such process" grep -q "no such process" "$TMP/stderr"
expect_status "kernel thread: exit 1" 1 "$VMSCOPE" maps 2
check "kernel thread: says it has no user address space" grep -q "no user address space" "$TMP/stderr"
expect_status "bad pid: usage error 2" 2 "$VMSCOPE" maps 12abc
expect_status "JSON error on stderr" 1 "$VMSCOPE" --json maps 999999999
check "JSON error is {\"error\":...}" jq -e '.error | test("no such process")' "$TMP/stderr"

# "START RSS_KB" per VMA that smaps counts (not VM_PFNMAP/VM_IO, not
# [vsyscall]), START without leading zeros, sorted: the kernel's side ...
rss_by_vma() {
	awk '/^[0-9a-f]+-[0-9a-f]+ /{split($1,r,"-"); cur=r[1]; sub(/^0+/, "", cur); pf=0} /^VmFlags:/{ if ($0 ~ / pf/ || $0 ~ / io/) pf=1 } /^Rss:/{rss[cur]=$2} /^(Shared|Private)_Hugetlb:/{rss[cur]+=$2} /^VmFlags:/{ if (!pf && cur !~ /^ffffffffff/) print cur, rss[cur]}' \
		"/proc/$1/smaps" | sort
}
# ... and vmscope's, from maps --json on stdin
ours_by_vma() {
	jq -r '.[] | select(.present_source == "pagemap") | "\(.start|ltrimstr("0x")) \(.present_pages*4)"' | sort
}

# the zero page: reading untouched private anonymous memory maps the
# kernel's shared zero page, which smaps leaves out of Rss. 16 pages read,
# 4 written: present_pages must be smaps' Rss, the zero page's entries
# (kpageflags ZERO_PAGE, read by pagemap_dump) counted apart.
"$WL/faulter" zero 16 4 >"$TMP/zero.out" &
zp=$!
PIDS+=("$zp")
if wait_for has "$TMP/zero.out" '^region'; then
	read -r _ zs ze <"$TMP/zero.out"
	"$WL/pagemap_dump" "$zp" "$zs" "$ze" >"$TMP/zero.dump"
	kz=0
	while read -r _ present _ _ kflags _; do
		[ "$present" = 1 ] && [ $(( kflags & (1 << 24) )) -ne 0 ] && kz=$((kz + 1))
	done <"$TMP/zero.dump"
	rss=$(awk -v s="${zs#0x}" '$1 ~ "^"s"-" { f = 1 } f && /^Rss:/ { print $2; exit }' "/proc/$zp/smaps")
	"$VMSCOPE" --json maps "$zp" >"$TMP/zero.json"
	got=$(jq -r --arg s "$zs" '.[] | select(.start == $s) | "\(.present_pages) \(.zero_pages)"' "$TMP/zero.json")
	[ "$kz" -gt 0 ] || echo "# this kernel gives each read fault a page of its own (no zero page): the case is proven where one is mapped (the VM matrix)"
	check "read-faulted anon VMA: present_pages*4 = smaps Rss $rss kB (got ${got% *} pages)" \
		test "$(( ${got% *} * 4 ))" = "$rss"
	check "read-faulted anon VMA: zero_pages = the kernel's zero-page entries ($kz; got ${got#* })" \
		test "${got#* }" = "$kz"
	check "read-faulted anon VMA: present + zero pages = the 20 touched" \
		test "$(( ${got% *} + ${got#* } ))" = 20
	# and every VMA of this process against smaps, as for the demo
	rss_by_vma "$zp" >"$TMP/zero_smaps"
	ours_by_vma <"$TMP/zero.json" >"$TMP/zero_ours"
	check "every VMA of the zero-page workload: present pages = smaps Rss" \
		diff -u "$TMP/zero_smaps" "$TMP/zero_ours"
else
	fail "the zero-page workload starts"
fi
# a real interpreter at rest (python3 with modules loaded, or the shell
# where there is no python, as in the VM): every VMA against smaps Rss
if command -v python3 >/dev/null; then
	interp="python3 (json, sqlite3)"
	python3 -c 'import json, sqlite3, time; print("ready", flush=True); time.sleep(120)' \
		>"$TMP/interp.out" 2>/dev/null &
else
	interp="sh"
	# it waits on a FIFO nobody writes (held open here): the shell itself
	# at rest, nothing exec'd or forked
	mkfifo "$TMP/interp.in"
	exec 7<>"$TMP/interp.in"
	sh -c 'echo ready; read -r x' <"$TMP/interp.in" >"$TMP/interp.out" &
fi
ip=$!
PIDS+=("$ip")
if wait_for has "$TMP/interp.out" '^ready'; then
	sleep 0.2	# at rest
	rss_by_vma "$ip" >"$TMP/interp_smaps"
	"$VMSCOPE" --json maps "$ip" | ours_by_vma >"$TMP/interp_ours"
	if diff -u "$TMP/interp_smaps" "$TMP/interp_ours" >"$TMP/diff"; then
		pass "$interp: present pages = smaps Rss for each of $(wc -l <"$TMP/interp_ours") VMAs"
	else
		fail "$interp: present pages differ from smaps Rss"; head -30 "$TMP/diff" | sed 's/^/#   /'
	fi
else
	fail "$interp starts"
fi
