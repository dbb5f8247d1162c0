#!/usr/bin/env bash
# Command line: version, help, usage errors, man pages in sync with --help.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

expect_status "--version" 0 "$VMSCOPE" --version
check "--version prints the version" grep -qE '^vmscope [0-9]+\.[0-9]+' "$TMP/stdout"
expect_status "no command: usage error 2" 2 "$VMSCOPE"
expect_status "unknown command: usage error 2" 2 "$VMSCOPE" frobnicate
expect_status "unknown option: usage error 2" 2 "$VMSCOPE" maps --frob 1
# every command `vmscope --help` lists
cmds=$("$VMSCOPE" --help | awk '/^Commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 } /^$/ { f = 0 }')
check "vmscope --help lists the commands ($(echo $cmds))" test "$(echo "$cmds" | wc -w)" -ge 4
for cmd in $cmds; do
	expect_status "$cmd --help exits 0" 0 "$VMSCOPE" "$cmd" --help
	cp "$TMP/stdout" "$TMP/help"
	man=man/vmscope-$cmd.8
	check "man page $man exists" test -s "$man"
	missing=""
	for opt in $(grep -oE -- '--[a-z][a-z-]+' "$TMP/help" | sort -u); do
		grep -q -- "${opt//-/\\\\-}\|$opt" "$man" || missing="$missing $opt"
	done
	check "man page $man documents every option of '$cmd --help'${missing:+ (missing:$missing)}" test -z "$missing"
	check "$cmd --help fits 80 columns" test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$TMP/help")" -le 80
done
"$VMSCOPE" --help >"$TMP/help"
missing=""
for opt in $(grep -oE -- '--[a-z][a-z-]+' "$TMP/help" | sort -u); do
	grep -q -- "${opt//-/\\\\-}\|$opt" man/vmscope.8 || missing="$missing $opt"
done
check "man/vmscope.8 documents every global option${missing:+ (missing:$missing)}" test -z "$missing"
for cmd in $cmds; do
	check "vmscope.8 lists command $cmd" grep -q "vmscope\\\\-$cmd\|vmscope-$cmd" man/vmscope.8
done

# options anywhere before "--": after the positionals too (getopt's
# permutation), each command's output then parses as JSON
sleep 30 &
SP=$!
PIDS+=("$SP")
wait_for grep -q /sleep "/proc/$SP/maps"
addr=0x$(awk -F'[- ]' 'NR == 1 { print $1 }' "/proc/$SP/maps")
for args in "maps $SP" "pfn $SP $addr" "walk $SP $addr" "feature"; do
	expect_status "$args --json: options after the positionals" 0 $VMSCOPE $args --json
	check "$args --json: its output is JSON" sh -c 'test -s "$1" && jq -e . "$1"' _ "$TMP/stdout"
done
expect_status "walk $SP $addr -v --mode=auto: more options after them" 0 \
	$VMSCOPE walk "$SP" "$addr" -v --mode=auto
# the live commands take their options after -p PID and each other
short=$(sleep 0.5 >/dev/null & echo $!)
expect_status "trace -p PID -o FILE --json: options after -p" 0 \
	$VMSCOPE trace -p "$short" -o "$TMP/t.json" --json
check "trace: its summary parses" sh -c 'tail -1 "$1" | jq -e "select(.type == \"summary\")"' _ "$TMP/t.json"
