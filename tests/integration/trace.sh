#!/usr/bin/env bash
# vmscope trace: the memory syscalls strace sees, the same order and results;
# files, errors, forks, threads, exit statuses, signals, lost events.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

MM=$WL/mmcalls
# the mode trace runs in: mmap_region's (fentry/kprobe where they load,
# else the syscall tracepoints)
case ${VMSCOPE_TEST_MODE:-auto} in
auto) MODE=$("$VMSCOPE_PLAIN" --json feature | jq -r '.hooks[] | select(.hook == "mmap_region") | .mode')
	[ "$MODE" = fentry ] || [ "$MODE" = kprobe ] || MODE=tracepoint ;;
*) MODE=$VMSCOPE_TEST_MODE ;;
esac
echo "# trace mode: $MODE"
# calls strace 6.1 does not class as %memory: left out of the comparison
NOT_MEMORY='^(execve|execveat|process_madvise|process_mrelease) '

# strace's view: "name ret" per call, errors as "-1 ENAME"
strace_calls() {
	grep -v -e '+++' -e '---' "$1" |
		sed -E 's/^[0-9]+ +//; s/^([a-z_0-9]+)\(.*\) += (-1 [A-Z]+|[-0-9a-fx]+).*/\1 \2/'
}
ours_calls() {
	jq -r 'select(.type == "call") |
	  "\(.call) \(if .error then "-1 \(.error)" else .ret end)"' "$1" | grep -Ev "$NOT_MEMORY"
}

# 1. same calls as strace, address randomisation off for both
setarch -R strace -f -e trace=%memory -o "$TMP/strace.txt" "$MM" all
strace_calls "$TMP/strace.txt" >"$TMP/theirs"
setarch -R "$VMSCOPE" --json trace -o "$TMP/all.json" -- "$MM" all 2>"$TMP/err"
st=$?
check "trace -- CMD exits with the command's status (0)" test "$st" -eq 0
[ "$st" -eq 0 ] || { "$VMSCOPE" -v trace -o /dev/null -- true 2>&1 | tail -25 | sed 's/^/#   /'; }
ours_calls "$TMP/all.json" >"$TMP/ours"
if diff "$TMP/theirs" "$TMP/ours" >"$TMP/diff"; then
	pass "memory syscalls equal strace -f -e trace=%memory: name, order, result ($(wc -l <"$TMP/ours") calls)"
else
	fail "memory syscalls differ from strace"; head -20 "$TMP/diff" | sed 's/^/#   /'
fi
check "every line is JSON, the last a summary with lost" \
	jq -se 'all(.[]; type == "object") and .[-1].type == "summary" and (.[-1] | has("lost"))' "$TMP/all.json"
check "the mode ($MODE) is printed at start and in the summary" \
	sh -c "grep -q '$MODE mode' '$TMP/err' && jq -se '.[-1].mode == \"$MODE\"' '$TMP/all.json' >/dev/null"
check "failing calls carry their errno: mmap EBADF, mprotect/madvise EINVAL, mremap EFAULT" \
	jq -se '[.[] | select(.type == "call" and .error) | "\(.call) \(.error)"] as $e |
	  ($e | index("mmap EBADF")) and ($e | index("mprotect EINVAL")) and
	  ($e | index("madvise EINVAL")) and ($e | index("mremap EFAULT"))' "$TMP/all.json"
check "mmap of a file: fd_path and the VMA's path name the file" \
	jq -se 'any(.[]; .call == "mmap" and (.fd_path // "" | startswith("/tmp/vmscope-mmcalls.")) and
	  .vma.path == .fd_path and .vma.perms == "rw-s")' "$TMP/all.json"
"$VMSCOPE" --json trace -o "$TMP/pseudo.json" -- "$WL/drivers" perf packet >/dev/null 2>&1
check "files outside any tree named as maps names them: anon_inode:[perf_event], socket:[INODE]" \
	jq -se '[.[] | select(.call == "mmap" and .ret != null and (.ret | type) == "string") |
	  select(.fd_path != null and (.fd_path | startswith("/") | not))] |
	  any(.fd_path == "anon_inode:[perf_event]" and .vma.path == .fd_path) and
	  any(.fd_path | test("^socket:\\[[0-9]+\\]$"))' "$TMP/pseudo.json"
check "prot and flags decoded to names" \
	jq -se 'any(.[]; .call == "mmap" and .prot_names == ["prot_read","prot_write"] and
	  .flags_names == ["map_private","map_anonymous"])' "$TMP/all.json"
check "mprotect of one page reports the split-off VMA (one page, r--p)" \
	jq -se 'def hex: ltrimstr("0x") | explode |
	    reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
	  any(.[]; .call == "mprotect" and .ret == 0 and .prot == 1 and .len == 4096 and
	  .vmas[0].perms == "r--p" and (.vmas[0].end | hex) - (.vmas[0].start | hex) == 4096)' "$TMP/all.json"
check "munmap reports the VMAs it removed" \
	jq -se 'any(.[]; .call == "munmap" and .ret == 0 and (.vmas_removed | length) >= 1)' "$TMP/all.json"
check "exec's own VMAs appear: the binary, the stack and the vdso, named as in maps" \
	jq -se --arg b "$(readlink -f "$MM")" '[.[] | select(.type == "exec_vma") | .vma.path] as $p |
	  ($p | index($b)) and ($p | index("[stack]")) and ($p | index("[vdso]"))' "$TMP/all.json"
check "exec's VMAs follow the exec they belong to, never precede it" \
	jq -se '[.[] | select(.type == "exec" or .type == "exec_vma") | .type] |
	  length > 3 and .[0] == "exec" and index("exec_vma") > 0' "$TMP/all.json"
kv=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
if [ "$kv" -ge 6007 ]; then
	check "6.7+: exec's VMAs come from the kernel (iterator at exec), not a /proc snapshot" \
		jq -se '[.[] | select(.type == "exec_vma")] | length > 3 and all(.[]; .snapshot | not)' "$TMP/all.json"
else
	check "before 6.7: exec's VMAs come from a /proc snapshot, marked so" \
		jq -se '[.[] | select(.type == "exec_vma")] | length > 3 and all(.[]; .snapshot)' "$TMP/all.json"
fi
check "the VMA brk grows is [heap]" \
	jq -se 'any(.[]; .call == "brk" and .ret != null and (.vma.path // "") == "[heap]")' "$TMP/all.json"
check "durations and timestamps are numbers" \
	jq -se 'all(.[] | select(.type == "call"); (.dur_ns | type) == "number" and .ts_ns > 0)' "$TMP/all.json"

# 2. a file whose name has a space and a newline
f=$(printf '%s/a b\nc.dat' "$TMP")
head -c 8192 /dev/zero >"$f"
"$VMSCOPE" --json trace -o "$TMP/file.json" -- "$MM" file "$f" 2>/dev/null
check "a path with a space and a newline survives into JSON" \
	jq -se --arg f "$f" 'any(.[]; .call == "mmap" and .fd_path == $f and .vma.path == $f)' "$TMP/file.json"
"$VMSCOPE" trace -o "$TMP/file.txt" -- "$MM" file "$f" 2>/dev/null
check "human output escapes the newline (one line per call)" grep -q 'a b\\x0ac.dat' "$TMP/file.txt"

# 3. fork: the child only with -f
"$VMSCOPE" --json trace -f -o "$TMP/fork.json" -- "$MM" fork 2>/dev/null
check "-f: the forked child's mmap is traced under its own pid" \
	jq -se '[.[] | select(.type == "call" and .call == "mmap" and .len == 12288) | .pid] | unique | length == 2' "$TMP/fork.json"
check "-f: a fork event names the child" \
	jq -se 'any(.[]; .type == "fork" and .child > 0)' "$TMP/fork.json"
"$VMSCOPE" --json trace -o "$TMP/nofork.json" -- "$MM" fork 2>/dev/null
check "without -f the child is not traced" \
	jq -se '[.[] | select(.type == "call" and .call == "mmap" and .len == 12288) | .pid] | unique | length == 1' "$TMP/nofork.json"

# 4. threads: all are followed
"$VMSCOPE" --json trace -o "$TMP/thr.json" -- "$MM" threads 4 2>/dev/null
check "4 threads: 40 one-page mmaps from 4 threads of one process" \
	jq -se '[.[] | select(.type == "call" and .call == "mmap" and .len == 4096 and .prot == 3 and .tid != .pid)] |
	  length == 40 and ([.[].tid] | unique | length) == 4 and ([.[].pid] | unique | length) == 1' "$TMP/thr.json"

# 4b. munmap's VMAs when another thread changed them after this thread's
# mmap (what a kept VMA must not hide)
"$VMSCOPE" --json trace -o "$TMP/split.json" -- "$MM" split 2>/dev/null
check "munmap after another thread's mprotect split the mapping: both pieces removed" \
	jq -se '[.[] | select(.type == "call")] as $c |
	  ($c | map(select(.call == "mprotect" and .len == 4096 and .tid != .pid)) | length) == 1 and
	  any($c[]; .call == "munmap" and .len == 8192 and .ret == 0 and
	    ([.vmas_removed[].perms] == ["rw-p", "r--p"]))' "$TMP/split.json"

# 5. exit statuses
expect_status "-- CMD: vmscope exits with the command's status" 7 "$VMSCOPE" trace -o /dev/null -- sh -c 'exit 7'
expect_status "-- CMD not found: 127" 127 "$VMSCOPE" trace -o /dev/null -- /nonexistent/cmd
check "-- CMD not found: says why" grep -q 'cannot execute' "$TMP/stderr"
printf 'x' >"$TMP/noexec"; chmod 644 "$TMP/noexec"
expect_status "-- CMD not executable: 126" 126 "$VMSCOPE" trace -o /dev/null -- "$TMP/noexec"
expect_status "-p of a missing process: 1" 1 "$VMSCOPE" trace -p 999999999
check "-p of a missing process: says so" grep -q 'no such process' "$TMP/stderr"
for m in fentry kprobe; do
	if "$VMSCOPE_PLAIN" --mode=$m --json feature 2>/dev/null | jq -e --arg m $m '.hooks[] | select(.hook == "mmap_region") | .[$m].available' >/dev/null; then
		expect_status "--mode=$m on trace: available here, exit 0" 0 "$VMSCOPE_PLAIN" --mode=$m trace -- true
	else
		expect_status "--mode=$m on trace: unavailable here, 3 with the reason" 3 \
			"$VMSCOPE_PLAIN" --mode=$m trace -- true
		check "--mode=$m on trace: names mmap_region" grep -q "unavailable for mmap_region" "$TMP/stderr"
	fi
done

# 6. -p: attach to a running process; its exit ends the trace with 0
# the target waits for vmscope's "ready" (a second under TCG)
sh -c 'while [ ! -e "$1" ]; do sleep 0.02; done; exec "$0" threads 2' "$MM" "$TMP/go" &
tpid=$!
PIDS+=("$tpid")
"$VMSCOPE" --json trace -p "$tpid" -o "$TMP/p.json" 2>"$TMP/p.err" &
vpid=$!
wait_for has "$TMP/p.err" 'ready'
touch "$TMP/go"
wait "$vpid"
st=$?
check "-p: the target's exit ends the trace, exit 0" test "$st" -eq 0
check "-p: the target's calls after attach are traced (20 mmaps by threads)" \
	jq -se '[.[] | select(.type == "call" and .call == "mmap" and .len == 4096 and .tid != .pid)] | length == 20' "$TMP/p.json"

# a target that exits while vmscope starts (under TCG that takes a second):
# the run must end, not wait for an exit it missed
hung=0
for d in 0.01 0.03 0.06 0.1; do
	sleep "$d" &
	timeout 20 "$VMSCOPE" --json trace -p $! -o /dev/null 2>/dev/null
	[ $? -eq 124 ] && hung=$((hung + 1))
done
check "-p of a process that exits during start-up: the run ends (4 tries)" test "$hung" -eq 0

# 7. SIGINT: summary and a clean exit
"$VMSCOPE" --json trace --comm vmscope-nothing -o "$TMP/int.json" 2>"$TMP/int.err" &
vpid=$!
wait_for has "$TMP/int.err" 'ready in'
kill -INT "$vpid"
wait "$vpid"
st=$?
check "SIGINT: exit 0" test "$st" -eq 0
check "SIGINT: a summary line is written" jq -se '.[-1].type == "summary" and .[-1].lost == 0' "$TMP/int.json"

# 8. a tiny ring buffer loses events: counted, reported, never silent
# vmscope is stopped while the loop runs (the command stops its parent),
# so the ring surely fills: on one CPU a reader can otherwise keep up
"$VMSCOPE" --json trace -f --ring-size 4096 -o "$TMP/lost.json" -- \
	sh -c 'kill -STOP $PPID; "$1" loop 20000; kill -CONT $PPID' sh "$MM" 2>"$TMP/lost.err"
check "lost events: counted in the summary" jq -se '.[-1].lost > 0' "$TMP/lost.json"
check "lost events: reported on stderr" grep -q 'events lost' "$TMP/lost.err"
check "lost events: received + lost covers the 40000 calls" \
	jq -se '.[-1].calls_total + .[-1].lost >= 40000' "$TMP/lost.json"

# 9. human output
"$VMSCOPE" trace -o "$TMP/plain.txt" -- "$MM" all 2>/dev/null
check "human output: strace-like call lines with decoded flags" \
	grep -qE '^ +[0-9.]+ [0-9]+ mmap\(NULL, 16384, PROT_READ\|PROT_WRITE, MAP_PRIVATE\|MAP_ANONYMOUS, -1, 0\) = 0x[0-9a-f]+ <' "$TMP/plain.txt"
check "human output: VMA lines under the call, errors as -1 ENAME" \
	sh -c "grep -q '^    + 0x' '$TMP/plain.txt' && grep -q ' = -1 EBADF' '$TMP/plain.txt'"
check "human output: a summary table" grep -q "^mode $MODE, .* 0 lost$" "$TMP/plain.txt"

# live output: calls reach a pipe while the traced command still runs
# (a tracer piped to grep must not wait for 64 KiB or the end)
"$MM" late 60 "$MM" >"$TMP/late.out" &
lpid=$!
PIDS+=("$lpid")
wait_for has "$TMP/late.out" 'ready'
( "$VMSCOPE" trace -p "$lpid" 2>"$TMP/live.err" | cat >"$TMP/live.txt" ) &
vsub=$!
wait_for has "$TMP/live.err" 'ready in'
kill -USR1 "$lpid"
wait_for has "$TMP/live.txt" 'mmap(.*mmcalls>'
check "live output: a call reaches a pipe at once, not at the end" \
	sh -c "grep -q 'mmap(.*mmcalls>' '$TMP/live.txt' && ! grep -q '^mode ' '$TMP/live.txt'"
grep -q 'mmap(.*mmcalls>' "$TMP/live.txt" ||
	sed 's/^/# /' "$TMP/live.err" "$TMP/live.txt" "$TMP/late.out"	# for the log
kill "$lpid" 2>/dev/null
wait "$vsub"

# 10. fentry/kprobe: the VMAs mmap_region made, as made
if [ "$MODE" = tracepoint ]; then
	skip "VMAs as mmap_region made them: tracepoint mode (forced, or no fentry or kprobe here)"
else
	check "$MODE: every mmap that succeeded carries the VMA mmap_region made at its address" \
		jq -se '[.[] | select(.type == "call" and .call == "mmap" and (.error | not))] |
		  length > 5 and all(.made | length >= 1 and any(.[]; .ret == .vma.start or
		    (.vma.start <= .ret and .vma.end > .ret)))' "$TMP/all.json"
	check "$MODE: failed mmaps made nothing" \
		jq -se 'all(.[] | select(.type == "call" and .call == "mmap" and .error); (.made // []) | all(.vma == null))' "$TMP/all.json"
	check "$MODE: exec's ELF segments, made by the kernel during execve, name the binary" \
		jq -se --arg b "$(readlink -f "$MM")" 'any(.[]; .call == "execve" and
		  ([.made[]?.vma.path] | index($b)))' "$TMP/all.json"
	check "$MODE: made VMAs carry vm_flags names and cache mode, the asked flags too" \
		jq -se '([.[] | .made[]? | .vm_flags_asked | length > 0] | all) and
		  ([.[] | .made[]? | .vma | select(. != null)] | length > 5 and
		   all(.[]; (.vm_flags_names | length) > 0 and (.cache | type) == "string"))' "$TMP/all.json"
	check "$MODE: human output shows each made VMA's flags" grep -q '^      flags rd' "$TMP/plain.txt"
	grep -m3 -B1 '^      flags' "$TMP/plain.txt" | sed 's/^/# /'	# for the log
	if [ -e /dev/vmscope_drvtest ]; then
		"$VMSCOPE" --json trace -o "$TMP/drv.json" -- "$WL/drvuser" kmalloc 2>"$TMP/drv.err" >/dev/null
		"$VMSCOPE" trace -o "$TMP/drv.txt" -- "$WL/drvuser" kmalloc >/dev/null 2>&1
		grep -B2 -A1 '^    + .*vmscope_drvtest' "$TMP/drv.txt" | sed 's/^/# /'
		check "$MODE: a remap_pfn_range driver's VMA: pf and io added by its ->mmap, owner drvtest_mmap" \
			jq -se '[.[] | .made[]? | select(.vma.path == "/dev/vmscope_drvtest")] |
			  length >= 1 and all(.[]; (.vma.vm_flags_added | index("pf")) and
			  (.vma.vm_flags_added | index("io")) and .vma.owner == "drvtest_mmap")' "$TMP/drv.json"
	else
		skip "driver VMA: /dev/vmscope_drvtest is not loaded (the VM suite loads it)"
	fi
fi

# -- CMD: the command runs with the signal mask vmscope was given, not the
# one its session blocks for its signalfd (SIGINT, SIGTERM, SIGCHLD)
# (grep itself reads its status: a shell would reset its own mask)
theirs=$(grep ^SigBlk /proc/self/status)
ours=$("$VMSCOPE" trace -o /dev/null -- grep ^SigBlk /proc/self/status 2>/dev/null)
check "-- CMD: the command's blocked signals are the caller's ($theirs), so SIGTERM reaches it" \
	test "$ours" = "$theirs"
