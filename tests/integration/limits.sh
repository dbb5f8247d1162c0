#!/usr/bin/env bash
# Resource limits: a process with 1,000,000 VMAs and one with a sparse
# mapping as large as the address space allows (128 TiB is all of a
# 4-level user space; a program at 0x400000 fits ~124 TiB): maps and
# pfn --all finish with bounded memory (the VMAs are read in chunks), and
# report progress on a terminal when they take longer than a second.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

N=${LIMITS_VMAS:-1000000}
mmc=/proc/sys/vm/max_map_count
mmc_old=$(cat "$mmc")
restore() { echo "$mmc_old" >"$mmc"; cleanup; }
trap restore EXIT
[ "$mmc_old" -ge $((N + 1000)) ] || echo $((N + 1000)) >"$mmc"

# peak RSS in KiB of a command (GNU time), its output kept
rss() { /usr/bin/time -f '%M' -o "$TMP/rss" "$@"; }
if [ ! -x /usr/bin/time ]; then
	fail "GNU time (/usr/bin/time, Debian package time) is needed to measure peak RSS"
	exit 0
fi
LIMIT=65536	# KiB: bounded, whatever the number of VMAs
# under ASan the allocator's quarantine alone holds up to 256 MiB of freed
# memory: there the run proves no error, the plain build the bound
[ -n "${ASAN_OPTIONS:-}" ] && LIMIT=786432

# 1. 1,000,000 VMAs
"$WL/bigmap" vmas $N >"$TMP/vmas.out" &
bpid=$!
PIDS+=("$bpid")
wait_for has "$TMP/vmas.out" '^ready'
nv=$(wc -l <"/proc/$bpid/maps")
check "the workload holds $N VMAs and more ($nv)" test "$nv" -ge $N

t0=$(date +%s.%N)
rss "$VMSCOPE" maps "$bpid" >"$TMP/maps.txt" 2>"$TMP/maps.err"
st=$?
t1=$(date +%s.%N)
kb=$(cat "$TMP/rss")
echo "# maps of $nv VMAs: $(echo "$t1 - $t0" | bc 2>/dev/null || echo '?') s, peak RSS $kb KiB"
check "maps of $nv VMAs: exit 0, a row for each" \
	test "$st" -eq 0 -a "$(($(wc -l <"$TMP/maps.txt") - 1))" -eq "$nv"
check "maps of $nv VMAs: peak RSS $kb KiB < $LIMIT KiB" test "$kb" -lt $LIMIT
# hex as 16-digit strings compare like the numbers
check "maps: rows sorted, none overlapping" \
	awk 'function pad(h) { h = sprintf("%16s", h); gsub(/ /, "0", h); return h }
	     NR > 1 { split($1, r, "-"); a = pad(r[1]); b = pad(r[2])
		      if (a >= b || (NR > 2 && a < prev)) exit 1; prev = b }' "$TMP/maps.txt"
check "maps not on a terminal: no progress line" sh -c "! grep -q 'VMAs' '$TMP/maps.err'"

rss "$VMSCOPE" --json maps "$bpid" >"$TMP/maps.json" 2>/dev/null
kb=$(cat "$TMP/rss")
check "--json maps of $nv VMAs: peak RSS $kb KiB < $LIMIT KiB, $nv objects" \
	test "$kb" -lt $LIMIT -a "$(grep -o '"start"' "$TMP/maps.json" | wc -l)" -eq "$nv"
check "--json maps: the document is one valid array (jq --stream)" \
	sh -c "jq -c --stream 'select(length == 2) | empty' '$TMP/maps.json' && head -c1 '$TMP/maps.json' | grep -q '\\['"

rss "$VMSCOPE" pfn --all "$bpid" >"$TMP/pfn.txt" 2>"$TMP/pfn.err"
st=$?
kb=$(cat "$TMP/rss")
check "pfn --all over $nv VMAs: exit 0, peak RSS $kb KiB < $LIMIT KiB" test "$st" -eq 0 -a "$kb" -lt $LIMIT

# progress on a terminal (script gives the command a pty)
script -qec "$VMSCOPE maps $bpid >/dev/null" /dev/null >"$TMP/tty.out" 2>&1
check "maps on a terminal: progress after a second ('maps: N VMAs')" \
	grep -qa 'vmscope: maps: [0-9]* VMAs' "$TMP/tty.out"
script -qec "$VMSCOPE pfn --all $bpid >/dev/null" /dev/null >"$TMP/tty2.out" 2>&1
check "pfn --all on a terminal: progress too" grep -qa 'vmscope: pfn: [0-9]* VMAs' "$TMP/tty2.out"
kill "$bpid"
wait "$bpid" 2>/dev/null

# 2. the largest sparse mapping the address space takes, 64 MiB touched
"$WL/bigmap" sparse-tib 128 64 >"$TMP/sparse.out" &
spid=$!
PIDS+=("$spid")
wait_for has "$TMP/sparse.out" '^ready'
read -r s e <"$TMP/sparse.out"
tib=$(( (e - s) >> 40 ))
echo "# sparse mapping: $tib TiB"
check "the sparse mapping is at least 100 TiB ($tib TiB)" test "$tib" -ge 100
rss "$VMSCOPE" --json pfn --all "$spid" >"$TMP/sparse.json" 2>"$TMP/sparse.err"
st=$?
kb=$(cat "$TMP/rss")
check "pfn --all over $tib TiB: exit 0, peak RSS $kb KiB < $LIMIT KiB" test "$st" -eq 0 -a "$kb" -lt $LIMIT
check "pfn --all over $tib TiB: the 64 MiB touched, as present runs" \
	jq -e --argjson s "$((s))" --argjson e "$((e))" 'def hex: ltrimstr("0x") | explode |
	  reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
	  [.[] | select(.present and (.vaddr | hex) >= $s and (.vaddr | hex) < $e)] |
	  map(.pages) | add == 16384' "$TMP/sparse.json"
rss "$VMSCOPE" maps "$spid" >"$TMP/sparse.txt" 2>&1
kb=$(cat "$TMP/rss")
check "maps with a $tib TiB mapping: RSS 64M counted, peak RSS $kb KiB < $LIMIT KiB" \
	sh -c "grep -q ' 64M ' '$TMP/sparse.txt' && test $kb -lt $LIMIT"
