#!/usr/bin/env bash
# vmscope faults: one event per fault the kernel counts, the right access,
# result and VMA, the frame pagemap confirms; --summary; bad input; lost
# events counted exactly.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

F=$WL/faulter
# how faults learns outcomes: forced (the VM matrix), or what feature picks
# for handle_mm_fault; fentry/kprobe measure every fault at its exit
mode=${VMSCOPE_TEST_MODE:-auto}
[ "$mode" = auto ] && mode=$("$VMSCOPE" --json feature |
	jq -r '.hooks[] | select(.hook == "handle_mm_fault") | .mode')
measured=false
[ "$mode" = tracepoint ] || measured=true
echo "# faults in $mode mode (every fault measured: $measured)"

# 1. every fault: events equal the process's own counter (getrusage) within 1%
"$VMSCOPE" --json faults -o "$TMP/count.json" -- "$F" count 64 >"$TMP/count.out" 2>"$TMP/count.err"
st=$?
check "faults -- CMD exits with the command's status (0)" test "$st" -eq 0
read -r _ minflt majflt <"$TMP/count.out"
ours=$(jq -s '[.[] | select(.type == "fault")] | length' "$TMP/count.json")
if [ -n "$minflt" ] && [ "$ours" -gt 0 ] &&
	awk -v a="$ours" -v b="$((minflt + majflt))" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d * 100 <= b) }'; then
	pass "fault events ($ours) equal getrusage minflt+majflt ($((minflt + majflt))) within 1%"
else
	fail "fault events ($ours) vs getrusage ($minflt + $majflt)"
fi
check "every line is JSON, the last a summary with lost 0 and the same total" \
	jq -se --argjson n "$ours" 'all(.[]; type == "object") and .[-1].type == "summary" and
	  .[-1].lost == 0 and .[-1].faults == $n' "$TMP/count.json"
check "the mode is printed at start and in the summary" \
	sh -c "grep -q '$mode mode' '$TMP/count.err' && jq -se '.[-1].mode == \"$mode\"' '$TMP/count.json' >/dev/null"
check "the touch loop's 16384 write faults: minor ($([ $measured = true ] && echo measured || echo inferred)), user mode, one anonymous VMA, a frame" \
	jq -se --argjson m $measured '[.[] | select(.type == "fault" and .ip_sym != null and (.ip_sym | startswith("touch")))] |
	  length == 16384 and all(.[]; .access == "write" and .result == "minor" and .inferred != $m and .user and
	  .vma.path == null and .pfn != null) and ([.[].vma.start] | unique | length) == 1' "$TMP/count.json"
"$VMSCOPE" --json faults --latency -o "$TMP/lat.json" -- "$F" count 16 >"$TMP/lat.out" 2>/dev/null
check "--latency: every touch fault is a measured minor outcome with its latency" \
	jq -se '[.[] | select(.type == "fault" and (.ip_sym // "" | startswith("touch")))] |
	  length == 4096 and all(.[]; .result == "minor" and (.inferred | not) and .latency_ns > 0 and .pfn != null)' "$TMP/lat.json"
check "--latency: the summary says so" jq -se '.[-1].latency == true' "$TMP/lat.json"
check "ips are symbolized from the binary's ELF symbols (touch in faulter)" \
	jq -se --arg b "$(readlink -f "$F")" 'any(.[]; .ip_sym == "touch+0x" + (.ip_sym | ltrimstr("touch+0x")) and .ip_file == $b)' "$TMP/count.json"
check "exec's kernel-mode faults are there, symbolized from kallsyms" \
	jq -se 'any(.[]; .type == "fault" and .user == false and .ip_file == "[kernel]" and .ip_sym != null)' "$TMP/count.json"
check "every fault has its VMA: the launcher's before exec, exec's own (kernel mode) in the new image" \
	jq -se --arg b "$(readlink -f "$F")" '[.[] | select(.type == "fault")] | all(.vma != null) and
	  any(.user == false and .vma.path == $b)' "$TMP/count.json"

# 2. write faults on a fresh region, watched with -p: frames pagemap confirms
"$F" hold 4 >"$TMP/hold.out" &
hpid=$!
PIDS+=("$hpid")
wait_for has "$TMP/hold.out" '^region'
read -r _ rs re < <(grep '^region' "$TMP/hold.out")
"$VMSCOPE" --json faults -p "$hpid" -o "$TMP/hold.json" 2>"$TMP/hold.err" &
vpid=$!
wait_for has "$TMP/hold.err" 'ready in'
kill -USR1 "$hpid"
wait_for has "$TMP/hold.out" '^touched'
"$WL/pagemap_dump" "$hpid" "${rs#0x}" "${re#0x}" | awk '{ print $1, $4 }' >"$TMP/pagemap"
# the page flags are read in batches: let vmscope write them before the
# target exits and frees the pages
wait_for has_n 1024 "$TMP/hold.json" '"type":"fault"'
kill -TERM "$hpid"
wait "$vpid"
st=$?
check "-p: the target's exit ends the watch, exit 0" test "$st" -eq 0
jq -r --arg s "$rs" 'select(.type == "fault" and .vma.start == $s) | "\(.addr) \(.pfn)"' \
	"$TMP/hold.json" | sort >"$TMP/ours.pfn"
sort "$TMP/pagemap" >"$TMP/theirs.pfn"
if [ "$(wc -l <"$TMP/ours.pfn")" -eq 1024 ] && diff -q "$TMP/ours.pfn" "$TMP/theirs.pfn" >/dev/null; then
	pass "1024 write faults in the region; every PFN equals pagemap's"
else
	fail "region faults: $(wc -l <"$TMP/ours.pfn") events, PFNs vs pagemap:"
	diff "$TMP/ours.pfn" "$TMP/theirs.pfn" | head -5 | sed 's/^/#   /'
fi
check "the region's VMA is reported as the mapping: start and end" \
	jq -se --arg s "$rs" --arg e "$re" 'any(.[]; .type == "fault" and .vma.start == $s and .vma.end == $e)' "$TMP/hold.json"
check "fresh anonymous frames carry their page flags (anon, mapcount 1)" \
	jq -se --arg s "$rs" '[.[] | select(.type == "fault" and .vma.start == $s)] |
	  all(.[]; (.page_flags | index("anon")) and .mapcount == 1 and .page_size == "4K")' "$TMP/hold.json"

# 3. outcomes: cold file read = major, past EOF = sigbus, read-only write = sigsegv
# the cold file needs a disk-backed file system: the VM's build is on a RAM
# one, and it mounts an ext4 image (on a loop device) for this
disk=${VMSCOPE_DISK_DIR:-$OUT}
"$VMSCOPE" --json faults -o "$TMP/out.json" -- "$F" outcomes "$disk" >"$TMP/outcomes" 2>/dev/null
st=$?
check "outcomes workload ran (each signal arrived)" test "$st" -eq 0
maj=$(awk '/^major/ { print $2 }' "$TMP/outcomes")
bus=$(awk '/^sigbus/ { print $2 }' "$TMP/outcomes")
segv=$(awk '/^sigsegv/ { print $2 }' "$TMP/outcomes")
fs=$(stat -f -c %T "$disk")
if [ "$fs" = tmpfs ] || [ "$fs" = ramfs ]; then
	skip "major fault: $disk is on $fs, whose pages cannot be dropped"
else
	check "a cold file read after POSIX_FADV_DONTNEED is major, on the file's VMA, with a frame" \
		jq -se --arg a "$maj" --arg f "$(readlink -f "$disk")/faulter.cold" 'any(.[]; .type == "fault" and .addr == $a and
		  .result == "major" and .access == "read" and .vma.path == $f and .pfn != null)' "$TMP/out.json"
fi
check "a touch past EOF of a file mapping is sigbus (BUS_ADRERR), no frame" \
	jq -se --arg a "$bus" 'any(.[]; .type == "fault" and .addr == $a and .result == "sigbus" and
	  .si_code == 2 and .pfn == null and .pfn_note != null)' "$TMP/out.json"
check "a write to a read-only mapping is sigsegv (SEGV_ACCERR), access write" \
	jq -se --arg a "$segv" 'any(.[]; .type == "fault" and .addr == $a and .result == "sigsegv" and
	  .si_code == 2 and .access == "write")' "$TMP/out.json"
check "the summary counts each outcome" \
	jq -se --argjson m "$([ "$fs" = tmpfs ] || [ "$fs" = ramfs ]; echo $?)" \
	'.[-1].results | .major >= $m and .sigbus == 1 and .sigsegv == 1' "$TMP/out.json"

# 4. filters
"$VMSCOPE" --json faults --access exec -o "$TMP/exec.json" -- "$F" count 1 >/dev/null 2>&1
check "--access exec: only instruction fetches, and some" \
	jq -se '[.[] | select(.type == "fault")] | length > 0 and all(.[]; .access == "exec")' "$TMP/exec.json"
"$VMSCOPE" --json faults --result sigbus,sigsegv -o "$TMP/fail.json" -- "$F" outcomes "$disk" >/dev/null 2>&1
check "--result sigbus,sigsegv: exactly the two failing faults" \
	jq -se '[.[] | select(.type == "fault") | .result] | sort == ["sigbus","sigsegv"]' "$TMP/fail.json"
"$VMSCOPE" --json faults --summary -o "$TMP/leanout.json" -- "$F" outcomes "$disk" >/dev/null 2>&1
check "--summary without --latency, signals too: counted, $([ $measured = true ] && echo "a histogram all the same" || echo "no latency made up for them")" \
	jq -se --argjson m $measured '.[0] | .results.sigbus == 1 and .results.sigsegv == 1 and
	  (.latency_ns == {}) != $m' "$TMP/leanout.json"
"$VMSCOPE" --json faults --vma faulter -o "$TMP/vma.json" -- "$F" count 1 >/dev/null 2>&1
check "--vma NAME: only faults in mappings of that file" \
	jq -se --arg b "$(readlink -f "$F")" '[.[] | select(.type == "fault")] | length > 0 and all(.[]; .vma.path == $b)' "$TMP/vma.json"

# 5. --summary: counted in the kernel, no events, the same totals
"$VMSCOPE" --json faults --summary --latency -o "$TMP/sum.json" -- "$F" count 64 >"$TMP/sum.out" 2>/dev/null
read -r _ minflt majflt <"$TMP/sum.out"
check "--summary: one summary line, no fault events" \
	jq -se 'length == 1 and .[0].type == "summary"' "$TMP/sum.json"
check "--summary: total within 1% of getrusage ($((minflt + majflt)))" \
	jq -se --argjson n "$((minflt + majflt))" '(.[0].faults - $n) | fabs <= $n / 100' "$TMP/sum.json"
check "--summary: the 64 MiB region is one VMA row with 16384 writes, top ip touch" \
	jq -se '.[0] | any(.vmas[]; .write == 16384 and .faults == 16384 and .path == null) and
	  (.top_ips[0].sym | startswith("touch")) and .top_ips[0].faults == 16384' "$TMP/sum.json"
check "--summary --latency: a latency histogram for minor faults" \
	jq -se '.[0].latency_ns.minor | length > 0 and (map(.count) | add) > 16000' "$TMP/sum.json"
"$VMSCOPE" --json faults --summary -o "$TMP/lean.json" -- "$F" count 16 >"$TMP/lean.out" 2>"$TMP/lean.err"
read -r _ minflt majflt <"$TMP/lean.out"
lean='.[0] as $s | (($s.faults - $n) | fabs) <= $n / 100 and
	  $s.results.minor >= 4096 and ($s.latency_ns == {}) != $m'
d="--summary without --latency: total within 1% of getrusage, minor counted, $([ $measured = true ] && echo "a histogram all the same" || echo "no histogram")"
if jq -se --argjson n "$((minflt + majflt))" --argjson m $measured "$lean" "$TMP/lean.json" >/dev/null 2>&1; then
	pass "$d"
else
	# the numbers (they showed the cause of a rare failure: a major
	# fault, whose latency a lean summary had made up from no start)
	fail "$d"
	{ echo "getrusage: $(cat "$TMP/lean.out")"; head -c 600 "$TMP/lean.json"; echo; tail -n 3 "$TMP/lean.err"; } |
		sed 's/^/#   /'
fi
"$VMSCOPE" faults --summary -o "$TMP/sum.txt" -- "$F" count 8 >/dev/null 2>&1
check "--summary human output: totals, a VMA table, top ips, at most 80 columns" \
	sh -c "grep -q '^[0-9]* faults: minor' '$TMP/sum.txt' && grep -q 'VMA\$' '$TMP/sum.txt' &&
	  grep -q ' touch' '$TMP/sum.txt' && awk 'length > 80 { exit 1 }' '$TMP/sum.txt'"
"$VMSCOPE" --json faults --summary -i 1 -o "$TMP/iv.json" -- sh -c 'sleep 2.3' 2>/dev/null
check "--interval 1: periodic lines, then the summary" \
	jq -se '([.[] | select(.type == "interval")] | length) >= 2 and .[-1].type == "summary"' "$TMP/iv.json"

# --summary with 801 VMAs in the kernel's table: each of 400 one-page
# writes filed under its own VMA by the kernel's search, none by page
"$F" spread 400 >"$TMP/spread.out" &
spid=$!
PIDS+=("$spid")
wait_for has "$TMP/spread.out" '^region'
read -r _ ss _ < <(grep '^region' "$TMP/spread.out")
"$VMSCOPE" --json faults --summary -p "$spid" -o "$TMP/spread.json" 2>"$TMP/spread.err" &
wait_for has "$TMP/spread.err" 'ready in'
kill -USR1 "$spid"
wait_for test -s "$TMP/spread.json"
check "--summary: 400 VMAs of 801 each with its one write, filed by VMA in the kernel" \
	jq -se --arg s "$ss" '.[-1] as $r | ($s | ltrimstr("0x") | explode |
	  reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end))) as $b |
	  $r.by_page == 0 and ([$r.vmas[] | select(.path == null and .write == 1 and .faults == 1) |
	  .start | ltrimstr("0x") | explode |
	  reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end)) |
	  select(. >= $b and (. - $b) % 12288 == 0)] | unique | length) == 400' "$TMP/spread.json"

# Symbols past .dynsym (#24.5): libc's memset writes a fresh region, so
# the faults' ip is in a libc function only the debug file names (e.g.
# __memset_avx2_unaligned_erms). With libc6-dbg (a test dependency) the
# name must be binutils' addr2line's for that address in the debug file
# found by build-id; without a debug file (VMSCOPE_DEBUG_DIR empty) no name
# or the same one, never another.
libc_syms() {	# $1: VMSCOPE_DEBUG_DIR or "", $2: output
	local mpid vpid
	"$F" memset 4 >"$TMP/ms.out" &
	mpid=$!
	PIDS+=("$mpid")
	wait_for has "$TMP/ms.out" '^region'
	VMSCOPE_DEBUG_DIR=$1 "$VMSCOPE" --json faults -p "$mpid" -o "$2" 2>"$TMP/ms.err" &
	vpid=$!
	wait_for has "$TMP/ms.err" 'ready in'
	kill -USR1 "$mpid"
	wait_for has "$TMP/ms.out" '^touched'
	wait_for has_n 1000 "$2" '"type":"fault"'
	cp "/proc/$mpid/maps" "$TMP/ms.maps"
	kill -TERM "$mpid"
	wait "$vpid"
}
libc=$(awk '$6 ~ /\/libc\.so\.6$/ { print $6; exit }' "/proc/self/maps")
bid=$( [ -n "$libc" ] && readelf -n "$libc" 2>/dev/null | awk '/Build ID/ { print $3 }')
dbg=/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug
if [ -z "$bid" ] || [ ! -r "$dbg" ] || ! command -v addr2line >/dev/null; then
	skip "libc-internal symbols: no debug file for ${libc:-libc} here (${dbg}) or no addr2line"
else
	libc_syms "" "$TMP/ms.json"
	# the ip of the region's faults inside libc, and the name given
	read -r ip sym < <(jq -r 'select(.type == "fault" and (.ip_file // "" | endswith("libc.so.6"))) |
		"\(.ip) \(.ip_sym)"' "$TMP/ms.json" | sort | uniq -c | sort -rn | awk '{ print $2, $3; exit }')
	# file offset, then the debug file's address (a LOAD's p_vaddr - p_offset)
	vaddr=
	while read -r range _ off _; do
		lo=$((0x${range%-*})) hi=$((0x${range#*-}))
		[ $((ip)) -ge $lo ] && [ $((ip)) -lt $hi ] && vaddr=$((ip - lo + 0x$off)) && break
	done <"$TMP/ms.maps"
	while read -r type off va _ fsz _; do
		[ "$type" = LOAD ] && [ -n "$vaddr" ] && [ "$vaddr" -ge $((off)) ] &&
			[ "$vaddr" -lt $((off + fsz)) ] && vaddr=$(printf '0x%x' $((vaddr - off + va))) && break
	done < <(readelf -lW "$libc")
	want=$(addr2line -f -e "$dbg" "$vaddr" 2>/dev/null | head -1)
	echo "# libc fault ip $ip (libc $vaddr): ours '$sym', addr2line '$want'"
	check "with libc6-dbg: a fault in libc's $want gets that name from the debug file" \
		test -n "$want" -a "$want" != "??" -a "${sym%%+0x*}" = "$want"
	check "with libc6-dbg: the name is one .dynsym lacks" \
		sh -c "! readelf -W --dyn-syms '$libc' | awk '{ print \$8 }' | sed 's/@.*//' | grep -qx '$want'"
	mkdir -p "$TMP/nodebug"
	libc_syms "$TMP/nodebug" "$TMP/ms-nodbg.json"
	check "without a debug file: the libc faults have no name or the right one, never another" \
		jq -se --arg w "$want" '[.[] | select(.type == "fault" and (.ip_file // "" | endswith("libc.so.6")))] |
		  length > 0 and all(.ip_sym == null or (.ip_sym | sub("\\+0x.*"; "")) == $w)' "$TMP/ms-nodbg.json"
	check "without a debug file: the memset faults are unnamed (their function is not in .dynsym)" \
		jq -se '[.[] | select(.type == "fault" and (.ip_file // "" | endswith("libc.so.6")) and .ip_sym == null)] | length >= 1000' \
		"$TMP/ms-nodbg.json"
fi

# VMAs unmapped while traced (#24.3): four threads each map, write and
# unmap 1 MiB of anonymous memory and 16 pages of a file, 50 times. Each
# fault is filed under the VMA it hit when it happened: the 200 anonymous
# regions one row, the 200 file regions another, both "unmapped", none
# left without a VMA. The oracle is the workload's own count of the pages
# it wrote (one write fault each). A region the kernel merged into a
# neighbour (a thread's stack) is that live VMA's, as the kernel had it.
# With --summary the kernel files by VMA every fault whose VMA had reached
# its table; the rest (by_page) are placed by their page afterwards, which
# cannot tell the anonymous and the file region that held it in turn: the
# two rows may trade at most those.
head -c 65536 /dev/zero >"$TMP/churn.dat"
for how in stream summary; do
	flag=; [ $how = summary ] && flag=--summary
	"$VMSCOPE" --json faults $flag -o "$TMP/churn-$how.json" -- "$F" churn 4 50 "$TMP/churn.dat" \
		>"$TMP/churn-$how.out" 2>/dev/null
	"$VMSCOPE" faults $flag -o "$TMP/churn-$how.txt" -- "$F" churn 4 50 "$TMP/churn.dat" \
		>/dev/null 2>&1
	read -r _ anon file regions <"$TMP/churn-$how.out"
	bp=$(jq -s '.[-1].by_page // 0' "$TMP/churn-$how.json")
	echo "# $how: by_page $bp; rows $(jq -sc '[.[-1].vmas[] | select(.faults > 100) |
		[.path, .unmapped, .regions, .faults]]' "$TMP/churn-$how.json")"
	check "$how: the unmapped anonymous regions are one row of $regions regions; anonymous writes $anon (2%, ± $bp by page)" \
		jq -se --argjson a "${anon:-0}" --argjson n "${regions:-0}" --argjson bp "$bp" '.[-1].vmas as $v |
		  [$v[] | select(.path == null and .unmapped)] as $g | ($g | length) == 1 and
		  $g[0].regions >= $n * 0.95 and $g[0].regions <= $n * 1.05 and
		  ([$v[] | select(.path == null and .start != null) | .write] | add) as $w |
		  $w >= $a - $bp and $w <= $a * 1.02 + $bp and $g[0].faults >= $a / 2' "$TMP/churn-$how.json"
	check "$how: the unmapped file regions are one row named by the file, $regions regions, $file faults (2%, ± $bp by page)" \
		jq -se --argjson f "${file:-0}" --argjson n "${regions:-0}" --arg p "$TMP/churn.dat" \
		  --argjson bp "$bp" '.[-1].vmas as $v |
		  [$v[] | select(.path == $p)] as $g | ($g | length) == 1 and $g[0].unmapped and
		  $g[0].regions >= $n * 0.95 and $g[0].regions <= $n * 1.05 and
		  $g[0].faults >= $f * 0.98 - $bp and $g[0].faults <= $f * 1.02 + $bp' "$TMP/churn-$how.json"
	check "$how: no more than 1% of faults without a VMA" \
		jq -se '.[-1] as $r | ([$r.vmas[] | select(.start == null) | .faults] | add // 0) * 100 <= $r.faults' \
		"$TMP/churn-$how.json"
	check "$how, human output: the two rows say how many went, at most 80 columns" \
		sh -c "grep -qE ' \\[anon\\], [0-9]+ unmapped\$' '$TMP/churn-$how.txt' &&
		  grep -qE ' churn\\.dat, [0-9]+ unmapped\$' '$TMP/churn-$how.txt' &&
		  awk 'length > 80 { exit 1 }' '$TMP/churn-$how.txt'"
done

# 6. human output
"$VMSCOPE" faults -o "$TMP/plain.txt" -- "$F" count 1 >/dev/null 2>&1
check "human output: a header and one line per fault, at most 80 columns" \
	sh -c "head -1 '$TMP/plain.txt' | grep -q '^ *TIME *TID' && awk 'length > 80 { exit 1 }' '$TMP/plain.txt'"
check "human output: write faults with result, latency (- unless measured), address and frame" \
	grep -qE '^ *[0-9.]+ +[0-9]+ w +minor +(-|[0-9.]+(ns|us|ms)) 0x[0-9a-f]{12} 0x[0-9a-f]+ ' "$TMP/plain.txt"

# 7. bad input and ends
expect_status "-p of a missing process: 1" 1 "$VMSCOPE" faults -p 999999999
check "-p of a missing process: says so" grep -q 'no such process' "$TMP/stderr"
expect_status "-- CMD not found: 127" 127 "$VMSCOPE" faults -o /dev/null -- /nonexistent/cmd
printf 'x' >"$TMP/noexec"; chmod 644 "$TMP/noexec"
expect_status "-- CMD not executable: 126" 126 "$VMSCOPE" faults -o /dev/null -- "$TMP/noexec"
expect_status "-- CMD: vmscope exits with the command's status" 5 "$VMSCOPE" faults -o /dev/null -- sh -c 'exit 5'
expect_status "--interval without --summary: usage error" 2 "$VMSCOPE" faults -i 1 -- true
expect_status "--access bogus: usage error" 2 "$VMSCOPE" faults --access bogus -- true
expect_status "--vma ADDR without -p: usage error" 2 "$VMSCOPE" faults --vma 0x1000 -- true
if [ -e /sys/bus/event_source/devices/kprobe/type ]; then
	expect_status "--mode=kprobe where kprobes exist: runs, exit 0" 0 "$VMSCOPE" --mode=kprobe faults -- true
	check "--mode=kprobe: says so" grep -q 'kprobe mode' "$TMP/stderr"
else
	expect_status "--mode=kprobe without kprobes: 3" 3 "$VMSCOPE" --mode=kprobe faults -- true
	check "--mode=kprobe: the error says why" grep -q 'CONFIG_KPROBES' "$TMP/stderr"
fi
"$VMSCOPE" --json faults --comm vmscope-nothing -o "$TMP/int.json" 2>"$TMP/int.err" &
vpid=$!
# a signal before vmscope took its signals over would find a background
# job's SIGINT ignored: wait until it is ready (slow VMs take a second)
wait_for has "$TMP/int.err" 'ready in'
kill -INT "$vpid"
wait "$vpid"
st=$?
check "SIGINT: exit 0 and a summary line" \
	sh -c "test $st -eq 0 && jq -se '.[-1].type == \"summary\" and .[-1].lost == 0' '$TMP/int.json' >/dev/null"

# 8. a tiny ring buffer: lost events counted exactly. The target takes
# its faults between two getrusage calls while nothing else runs in it.
"$F" hold 16 >"$TMP/lost.out" &
hpid=$!
PIDS+=("$hpid")
wait_for has "$TMP/lost.out" '^region'
"$VMSCOPE" --json faults -p "$hpid" --ring-size 4096 -o "$TMP/lost.json" 2>"$TMP/lost.err" &
vpid=$!
wait_for has "$TMP/lost.err" 'ready in'
# vmscope stopped while the target faults: the 4 KiB ring fills, the rest
# must be counted as lost
kill -STOP "$vpid"
kill -USR1 "$hpid"
wait_for has "$TMP/lost.out" '^touched'
kill -CONT "$vpid"
# SIGKILL: a normal exit runs libc code that may fault once more
{ kill -KILL "$hpid"; wait "$hpid"; } 2>/dev/null
wait "$vpid"
n=$(awk '/^touched/ { print $2 }' "$TMP/lost.out")
got=$(jq -s '[.[] | select(.type == "fault")] | length' "$TMP/lost.json")
lost=$(jq -s '.[-1].lost_faults' "$TMP/lost.json")
check "lost events: counted in the summary and reported on stderr" \
	sh -c "test '$lost' -gt 0 && grep -q 'events lost' '$TMP/lost.err'"
if [ -n "$n" ] && [ "$((got + lost))" -eq "$n" ]; then
	pass "lost events: received ($got) + lost ($lost) == the faults getrusage saw ($n), exactly"
else
	fail "lost events: received ($got) + lost ($lost) != getrusage's $n"
fi

# 9. no privilege: exit 3 naming the capability, before any other note
if command -v setpriv >/dev/null; then
	expect_status "unprivileged: exit 3" 3 setpriv --reuid=65534 --regid=65534 \
		--clear-groups --inh-caps=-all "$VMSCOPE" faults -- true
	check "unprivileged: names CAP_BPF, and says nothing else first" \
		sh -c "head -1 '$TMP/stderr' | grep -q 'needs root: CAP_BPF'"
else
	skip "setpriv (util-linux) missing: cannot drop privileges"
fi
