#!/usr/bin/env bash
# vmscope driver on the real drivers of a stock kernel (no module needed):
# the perf ring buffer, a KVM vcpu, io_uring rings, a BPF_F_MMAPABLE
# array, an AF_PACKET ring, memfd_secret and hugetlb. Each is reported with
# its owner functions and frames (checked against pagemap where pagemap
# can see them), the correct ones with no finding, and a KVM vcpu mapped
# one page too long with exactly the past_end finding.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

D=$WL/drivers
KINDS="perf kvm io_uring bpfmap packet secret hugetlb"
# jq: "0x..." to a number (addresses and PFNs stay below 2^53)
HEX='def hex: ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 +
  (if $c >= 97 then $c - 87 elif $c >= 65 then $c - 55 else $c - 48 end));'

hp=/proc/sys/vm/nr_hugepages
hp_old=$(cat "$hp")
restore_hp() { echo "$hp_old" >"$hp"; cleanup; }
trap restore_hp EXIT
[ "$hp_old" -ge 2 ] || echo 2 >"$hp"

# owner function each kind must show (any of the listed fields)
declare -A OWNER=(
	[perf]='.owner.mmap == "perf_mmap"'
	[kvm]='.owner.fault == "kvm_vcpu_fault"'
	[io_uring]='.owner.mmap == "io_uring_mmap"'
	[io_uring_sqes]='.owner.mmap == "io_uring_mmap"'
	[bpfmap]='.owner.mmap == "bpf_map_mmap"'
	[packet]='.owner.open == "packet_mm_open"'
	[secret]='.owner.fault == "secretmem_fault"'
	[hugetlb]='.owner.fault == "hugetlb_vm_op_fault"'
)

# 1. -- CMD: every correct mapping reported, owners right, no finding
# shellcheck disable=SC2086
"$VMSCOPE" --json driver -o "$TMP/all.json" -- "$D" $KINDS >"$TMP/all.out" 2>"$TMP/all.err"
st=$?
check "driver -- CMD exits with the command's status (0)" test "$st" -eq 0
check "every line is JSON, the last a summary with lost 0" \
	jq -se 'all(.[]; type == "object") and .[-1].type == "summary" and .[-1].lost == 0' "$TMP/all.json"
grep '^skip' "$TMP/all.out" | sed 's/^/# /'
while read -r _ kind s e; do
	check "$kind: one mapping event at $s-$e with its owner (${OWNER[$kind]})" \
		jq -se --arg s "$s" --arg e "$e" "[.[] | select(.type == \"mapping\" and .vma.start == \$s)] |
		  length == 1 and (.[0] | .vma.end == \$e and .when == \"mmap\" and ${OWNER[$kind]})" "$TMP/all.json"
	check "$kind: every page had a frame by the end (the workload read each)" \
		jq -se --arg s "$s" '[.[] | select(.type == "mapping_end" and .vma.start == $s)] |
		  length == 1 and .[0].pages_with_frame == .[0].pages and .[0].why == "exit"' "$TMP/all.json"
done < <(grep '^map' "$TMP/all.out")
check "at least the perf ring, io_uring, the BPF array and AF_PACKET were mapped" \
	test "$(grep -cE '^map (perf|io_uring|bpfmap|packet) ' "$TMP/all.out")" -eq 4
check "no finding on the correct mappings" \
	jq -se '.[-1].findings == 0 and ([.[] | select(.type == "finding")] | length) == 0' "$TMP/all.json"
# 6.18 remaps the ring at mmap (VM_PFNMAP|VM_IO, a hole to pagemap);
# before, perf_mmap_fault served it page by page
check "the perf ring: VM_PFNMAP|VM_IO remapped at mmap, or served by perf_mmap_fault" \
	jq -se '[.[] | select(.type == "mapping" and .owner.mmap == "perf_mmap")][0] |
	  ((.vma.vm_flags | index("pf") and index("io")) and .installed.pages_mapped == .installed.pages) or
	  .owner.fault == "perf_mmap_fault"' "$TMP/all.json"
check "the BPF array, io_uring and AF_PACKET mapped every page at mmap time" \
	jq -se '[.[] | select(.type == "mapping" and (.owner.mmap == "bpf_map_mmap" or
	  .owner.mmap == "io_uring_mmap" or .owner.open == "packet_mm_open"))] |
	  length == 4 and all(.[]; .installed.pages_mapped == .installed.pages)' "$TMP/all.json"
check "file kinds: anon_inode for perf/io_uring/bpf, socket for AF_PACKET" \
	jq -se '[.[] | select(.type == "mapping")] | all(.[];
	  if .owner.open == "packet_mm_open" then .file.kind == "socket"
	  elif (.owner.mmap // "" | test("perf_mmap|io_uring_mmap|bpf_map_mmap")) then .file.kind == "anon_inode"
	  else true end)' "$TMP/all.json"
check "the BPF array's 16 frames are vmalloc'd memory, the perf ring's and AF_PACKET's are not" \
	jq -se '[.[] | select(.type == "mapping_end")] |
	  (map(select(.vma.path == "anon_inode:bpf-map"))[0].vmalloc_pages == 16) and
	  (map(select(.vma.path == "anon_inode:[perf_event]" or (.vma.path | startswith("socket:"))) |
	   .vmalloc_pages == 0) | all)' "$TMP/all.json"
if grep -q '^map secret' "$TMP/all.out"; then
	check "memfd_secret: kind secretmem, frames installed by its fault handler" \
		jq -se '[.[] | select(.type == "mapping" and .file.kind == "secretmem")] | length == 1' "$TMP/all.json"
fi

# the same in human form: readable at 80 columns
# shellcheck disable=SC2086
"$VMSCOPE" driver -- "$D" $KINDS >"$TMP/all.txt" 2>&1
check "human output fits 80 columns" awk 'length($0) > 80 { exit 1 }' "$TMP/all.txt"
check "human output has a report per mapping and the summary" \
	sh -c "grep -q 'pages mapped (page-table walk)' '$TMP/all.txt' && grep -q '^-- .* driver mapping' '$TMP/all.txt'"

# faults and the exit read in one batch (no hold): the mapping ends before
# its faults' frames are looked up, which once crashed
# and the BPF array, freed at exit, is counted only by a walk made while
# it lived: 16 vmalloc'd pages, or null with the note, never 0. A slow
# vmscope (ASan) may find it gone before its page tables were read: its
# frames are then unknown (null), not "0 of 16 mapped"
ok=0 honest=0 unknown=0 unread=0
for i in 1 2 3 4 5; do
	DRIVERS_HOLD_MS=0 "$VMSCOPE" --json driver -o "$TMP/b$i.json" -- "$D" kvm secret hugetlb bpfmap \
		>/dev/null 2>"$TMP/b$i.err" && ok=$((ok + 1))
	read -r v f n < <(jq -ser '([.[] | select(.type == "mapping_end" and
	  .vma.path == "anon_inode:bpf-map")][0] | "\(.vmalloc_pages) \(.pages_with_frame)") +
	  " \(.[-1].vmalloc_unknown)"' "$TMP/b$i.json")
	if [ "$v" = 16 ] && [ "$f" = 16 ]; then
		honest=$((honest + 1))
	elif [ "$v" = null ] && { [ "$f" = 16 ] || [ "$f" = null ]; } && [ "$n" -ge 1 ] &&
		grep -q 'ended before the vmalloc check ran' "$TMP/b$i.err"; then
		honest=$((honest + 1)) unknown=$((unknown + 1))
		[ "$f" = null ] && unread=$((unread + 1))
	else
		echo "# run $i: BPF array pages_with_frame $f, vmalloc_pages $v, summary vmalloc_unknown $n"
	fi
done
check "five runs whose faults and exit land in one batch all exit 0 ($ok of 5)" test "$ok" -eq 5
check "... the BPF array: 16 frames and 16 vmalloc'd, or null with the note, never 0 ($unknown of 5 null, $unread unread)" \
	test "$honest" -eq 5

# the same made certain: the workload stops vmscope, its parent, then
# maps the BPF array and exits. Unreaped, it is a zombie whose mm is gone:
# a walk of its page tables finds nothing. Its frames are unknown, not 0
"$VMSCOPE" --json driver -o "$TMP/z.json" -- sh -c '
	echo $$ >"$1.tmp" && mv "$1.tmp" "$1"
	kill -STOP $PPID
	while ! grep -q "^State:.*stopped" /proc/$PPID/status; do :; done
	DRIVERS_HOLD_MS=0 exec "$0" bpfmap' "$D" "$TMP/z.pid" >"$TMP/z.out" 2>"$TMP/z.err" &
vpid=$!
PIDS+=("$vpid")
wait_for test -s "$TMP/z.pid" && wait_for zombie "$(cat "$TMP/z.pid")"
kill -CONT "$vpid"
wait "$vpid"
st=$?
check "a process that maps and exits while vmscope is stopped: exit 0 ($st)" test "$st" -eq 0
jq -c 'select(.type == "mapping_end" or .type == "summary") |
  [.type, .vma.path, .pages_with_frame, .vmalloc_pages, .vmalloc_unknown]' "$TMP/z.json" 2>&1 |
	sed 's/^/#   /'
check "... its BPF array: frames and vmalloc'd pages unknown (null), not 0, with the note" \
	sh -c "jq -se '([.[] | select(.type == \"mapping_end\" and .vma.path == \"anon_inode:bpf-map\")] |
	  length == 1 and .[0].pages_with_frame == null and .[0].vmalloc_pages == null) and
	  .[-1].vmalloc_unknown >= 1' '$TMP/z.json' >/dev/null &&
	  grep -q 'ended before the vmalloc check ran' '$TMP/z.err'"

# 2. a KVM vcpu mapped one page longer than its run area: past_end
if [ -e /dev/kvm ]; then
	"$VMSCOPE" --json driver -o "$TMP/kvm.json" -- "$D" kvm-past >"$TMP/kvm.out" 2>"$TMP/kvm.err"
	read -r _ _ ksize < <(grep '^kvm_size' "$TMP/kvm.out")
	read -r _ _ ks _ < <(grep '^map kvm-past' "$TMP/kvm.out")
	if [ -n "$ks" ]; then
		check "kvm-past: the workload saw its SIGBUS" grep -q '^sigbus kvm-past' "$TMP/kvm.out"
		check "kvm-past: exactly one finding, past_end (error) at offset $(printf '%#x' "$ksize")" \
			jq -se --arg s "$ks" --arg off "$(printf '0x%x' "$ksize")" '[.[] | select(.type == "finding")] |
			  length == 1 and .[0].check == "past_end" and .[0].severity == "error" and
			  .[0].vma.start == $s and .[0].offset == $off and (.[0].detail | test("SIGBUS"))' "$TMP/kvm.json"
		check "kvm-past: the mapping's end counts the SIGBUS fault" \
			jq -se --arg s "$ks" '[.[] | select(.type == "mapping_end" and .vma.start == $s)][0].faults.sigbus == 1' "$TMP/kvm.json"
	else
		skip "KVM: $(grep '^skip' "$TMP/kvm.out")"
	fi
else
	skip "no /dev/kvm on this machine: the KVM vcpu checks need it"
fi

# 3. -p PID: the mappings it has now ("existing"), frames equal to pagemap's
DRIVERS_HOLD_MS=0 "$D" -w bpfmap packet io_uring perf >"$TMP/hold.out" &
hpid=$!
PIDS+=("$hpid")
wait_for has "$TMP/hold.out" '^touched'
"$VMSCOPE" --json driver -p "$hpid" -o "$TMP/p.json" 2>"$TMP/p.err" &
vpid=$!
PIDS+=("$vpid")
wait_for has "$TMP/p.err" 'ready in'
for kind in bpfmap packet; do
	read -r _ _ s e < <(grep "^map $kind " "$TMP/hold.out")
	# pagemap sees these (not PFNMAP): its frames, as runs, must be ours
	"$WL/pagemap_dump" "$hpid" "${s#0x}" "${e#0x}" 2>/dev/null |
		jq -Rr "$HEX"' split(" ") | select(.[1] == "1") | "\(.[0] | hex) \(.[3] | hex)"' >"$TMP/pm.$kind"
	jq -r --arg s "$s" "$HEX"' select(.type == "mapping" and .vma.start == $s) | .installed.runs[] |
	  . as $r | range(0; .pages) | "\(($r.vaddr | hex) + . * 4096) \(($r.pfn | hex) + .)"' \
		"$TMP/p.json" >"$TMP/ours.$kind"
	if [ -s "$TMP/ours.$kind" ] && cmp -s "$TMP/pm.$kind" "$TMP/ours.$kind"; then
		echo same; else echo "differ: $(wc -l <"$TMP/ours.$kind") vs $(wc -l <"$TMP/pm.$kind") pages"; fi >"$TMP/cmp.$kind"
	check "$kind: the frames reported equal pagemap's ($(cat "$TMP/cmp.$kind"))" grep -qx same "$TMP/cmp.$kind"
done

kill "$hpid"
wait "$vpid"
st=$?
check "driver -p: exits 0 when the process exits" test "$st" -eq 0
check "driver -p: the five mappings reported as existing" \
	jq -se '[.[] | select(.type == "mapping" and .when == "existing")] | length == 5' "$TMP/p.json"

# 4. --dev: system-wide, only mappings of that file
"$VMSCOPE" --json driver --dev 'anon_inode:[perf_event]' -o "$TMP/dev.json" 2>"$TMP/dev.err" &
vpid=$!
PIDS+=("$vpid")
wait_for has "$TMP/dev.err" 'ready in'
# the default hold (300 ms) keeps the mappings alive until reported: this
# is about --dev's filter; exits racing the report are tested above
"$D" bpfmap perf io_uring >"$TMP/dev.out" &
p1=$!
wait "$p1"
# the perf ring's report (slow under ASan), then a little for any other
wait_for has "$TMP/dev.json" '"type":"mapping"'
sleep 0.3
# a mapping whose process is gone when vmscope reads its record (vmscope
# stopped meanwhile): only the kernel's name of the file is left to match
kill -STOP "$vpid"
DRIVERS_HOLD_MS=0 "$D" perf bpfmap >"$TMP/dev2.out" &
p2=$!
wait "$p2"
kill -CONT "$vpid"
wait_for has_n 2 "$TMP/dev.json" '"type":"mapping"'
sleep 0.3
kill -INT "$vpid"
wait "$vpid"
st=$?
read -r _ _ ps _ < <(grep '^map perf' "$TMP/dev.out")
check "--dev: SIGINT ends it with exit 0 (exit $st)" test "$st" -eq 0
[ "$st" -eq 0 ] || sed 's/^/#   /' "$TMP/dev.err" | tail -5
one_ring='[.[] | select(.type == "mapping" and .pid == $p)] |
	  length == 1 and .[0].vma.start == $s and .[0].vma.path == "anon_inode:[perf_event]"'
check "--dev 'anon_inode:[perf_event]': the perf ring only, not the BPF array or io_uring" \
	jq -se --arg s "$ps" --argjson p "$p1" "$one_ring" "$TMP/dev.json"
jq -se --arg s "$ps" --argjson p "$p1" "$one_ring" "$TMP/dev.json" >/dev/null ||
	{ jq -c 'select(.type == "mapping") | [.pid, .comm, .vma.start, .vma.path]' "$TMP/dev.json" |
	  sed "s/^/#   (perf ring at $ps) /"; tail -n 3 "$TMP/dev.err" "$TMP/dev.out" | sed 's/^/#   /'; }
read -r _ _ ps2 _ < <(grep '^map perf' "$TMP/dev2.out")
check "--dev: a process gone before its record was read: its perf ring still reported, not its BPF array" \
	jq -se --arg s "$ps2" --argjson p "$p2" "$one_ring" "$TMP/dev.json"
check "... its frames said to be unknown, not shown as none" \
	jq -se --argjson p "$p2" '[.[] | select(.type == "mapping" and .pid == $p)][0].installed |
	  .pages_mapped == null and (.note | test("gone"))' "$TMP/dev.json"
check "... and at its end: pages_with_frame null (never read) or counted, never 0" \
	jq -se --argjson p "$p2" '[.[] | select(.type == "mapping_end" and .pid == $p)] |
	  length == 1 and .[0].pages_with_frame != 0' "$TMP/dev.json"

# 5. bad input
expect_status "-p of a missing pid: exit 1" 1 "$VMSCOPE" driver -p 999999999
check "... and says so" grep -q 'no such process' "$TMP/stderr"
expect_status "--dev with -p: usage error (2)" 2 "$VMSCOPE" driver --dev /dev/null -p 1
expect_status "--dev of a missing path: usage error (2)" 2 "$VMSCOPE" driver --dev /no/such/dev
expect_status "-- a command that does not exist: exit 127" 127 "$VMSCOPE" driver -- /no/such/cmd
