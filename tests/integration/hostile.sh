#!/usr/bin/env bash
# Hostile file names (spaces, newlines, tabs, backslashes, quotes, terminal
# escapes, invalid UTF-8, a 4000-byte path), mapped and some deleted:
# maps, trace and faults print them unambiguously, JSON always valid.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

d=$TMP/names
mkdir -p "$d"
names=("a b" $'nl\nx.del' $'tab\tx' 'back\slash' "q\"'x" $'\e[31mred\e[0m.del' $'bad\xff\xfe')
long=$d	# nested to just over 4000 bytes (PATH_MAX is 4096)
while [ ${#long} -lt 3995 ]; do
	c=$((3995 - ${#long})); [ "$c" -gt 240 ] && c=240
	long=$long/$(printf '%0*d' "$c" 0)
done
mkdir -p "$long"
paths=()
for n in "${names[@]}"; do paths+=("$d/$n"); done
paths+=("$long/deep")
# (re)create them: each run of the workload unlinks the *.del ones
mkfiles() { local p; for p in "${paths[@]}"; do printf 'x' >"$p"; done; }
mkfiles
check "the long path is over 4000 bytes" test "$(printf '%s' "$long/deep" | wc -c)" -gt 4000

# raw control bytes, DEL or bytes >= 0x80 (none of these names is valid UTF-8 text)
raw() { LC_ALL=C grep -qaP '[\x00-\x08\x0b-\x1f\x7f\x80-\xff]' "$1"; }

"$WL/mmcalls" hold 20 "${paths[@]}" >"$TMP/hold.out" 2>&1 &
hpid=$!
PIDS+=("$hpid")
wait_for has "$TMP/hold.out" 'ready'

"$VMSCOPE" --json maps "$hpid" >"$TMP/maps.json" 2>/dev/null
check "maps --json: valid JSON with every hostile mapping" \
	jq -e --arg d "$d" '[.[] | select(.path != null and (.path | startswith($d)))] | length == 8' "$TMP/maps.json"
check "maps --json: a newline (which maps prints as \\012) and a tab are themselves" \
	jq -e --arg d "$d" '[.[].path // ""] | any(. == $d + "/tab\tx") and any(startswith($d + "/nl\nx.del"))' "$TMP/maps.json"
check "maps --json: the 4000-byte path whole" \
	jq -e --arg p "$long/deep" 'any(.[]; .path == $p)' "$TMP/maps.json"
"$VMSCOPE" -w maps "$hpid" >"$TMP/maps.txt" 2>/dev/null
check "maps: no raw control byte or invalid UTF-8 reaches the terminal" sh -c "! LC_ALL=C grep -qaP '[\x00-\x08\x0b-\x1f\x7f\x80-\xff]' '$TMP/maps.txt'"
check "maps: the escape sequence is shown escaped" grep -qF '\x1b[31mred' "$TMP/maps.txt"
check "maps: one line per VMA (a newline in a name forges none)" \
	test "$(grep -c "$d" "$TMP/maps.txt")" -eq 8

mkfiles
"$VMSCOPE" --json trace -o "$TMP/trace.json" -- "$WL/mmcalls" hold 0 "${paths[@]}" >/dev/null 2>&1
# BPF carries 512 bytes of a path: the long one comes as "..." + its tail
ours='(contains("/names/") or (startswith("...") and endswith("/deep")))'
check "trace --json: valid, every hostile mmap has its fd's path (the long one cut, marked ...)" \
	jq -se "[.[] | select(.call == \"mmap\" and (.fd_path // \"\" | $ours))] | length == 8" "$TMP/trace.json"
mkfiles
"$VMSCOPE" trace -o "$TMP/trace.txt" -- "$WL/mmcalls" hold 0 "${paths[@]}" >/dev/null 2>&1
check "trace: no raw control byte or invalid UTF-8" sh -c "! LC_ALL=C grep -qaP '[\x00-\x08\x0b-\x1f\x7f\x80-\xff]' '$TMP/trace.txt'"

mkfiles
"$VMSCOPE" --json faults -o "$TMP/faults.json" -- "$WL/mmcalls" hold 0 "${paths[@]}" >/dev/null 2>&1
check "faults --json: valid, a fault in each hostile mapping" \
	jq -se "[.[] | select(.type == \"fault\" and (.vma.path // \"\" | $ours)) | .vma.path] | unique | length == 8" "$TMP/faults.json"
mkfiles
"$VMSCOPE" -w faults -o "$TMP/faults.txt" -- "$WL/mmcalls" hold 0 "${paths[@]}" >/dev/null 2>&1
check "faults: no raw control byte or invalid UTF-8" sh -c "! LC_ALL=C grep -qaP '[\x00-\x08\x0b-\x1f\x7f\x80-\xff]' '$TMP/faults.txt'"
