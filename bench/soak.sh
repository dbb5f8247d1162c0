#!/usr/bin/env bash
# Soak: faults and trace on workloads at full rate for SOAK_SECONDS (60).
# Reports vmscope's RSS at start and end (it must stay flat), lost events,
# and checks the summary's totals against the events streamed. `make soak`.
set -u
OUT=${1:-build}
cd "$(dirname "$0")/.." || exit 1
V=$OUT/vmscope
W=$OUT/workloads
S=${SOAK_SECONDS:-60}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# run "$@" (a vmscope command streaming NDJSON to stdout), count the
# events of type $1 as they stream, sample vmscope's RSS every 5 s
soak() {
	local type=$1 name=$2
	shift 2
	"$@" 2>"$TMP/err" | awk -v t="\"type\":\"$type\"" 'index($0, t) { n++ } { last = $0 }
		END { print n + 0 > "'"$TMP"'/count"; print last > "'"$TMP"'/summary" }' &
	sleep 1
	local vp samples=() r
	vp=$(pgrep -n -f "^$V --json $name") || true
	while [ -n "$vp" ] && kill -0 "$vp" 2>/dev/null; do
		r=$(rss "$vp"); [ -n "$r" ] && samples+=("$r")
		sleep 5
	done
	wait
	echo "  vmscope RSS (KiB) every 5 s: ${samples[*]}"
	echo "  start ${samples[0]:-?} KiB, end ${samples[-1]:-?} KiB"
}

echo "== soak: vmscope --json faults, ${S}s of touching 256 MiB (4K pages)"
soak fault faults "$V" --json faults -- "$W/faulter" soak "$S" 256
jq -r --argjson n "$(cat "$TMP/count")" '"  \(.faults) faults in the summary, \($n) streamed: \(if .faults == $n then "equal" else "DIFFER" end); lost \(.lost) (\(.faults / .duration_s | floor) faults/s)"' "$TMP/summary"
grep -q 'events lost' "$TMP/err" && echo "  stderr: $(grep -c 'events lost' "$TMP/err") lost-event notes"

echo "== soak: vmscope --json trace, ${S}s of 4 threads mapping and unmapping"
soak call trace "$V" --json trace -- "$W/mmcalls" churn "$S"
jq -r --argjson n "$(cat "$TMP/count")" '"  \(.calls_total) calls in the summary, \($n) streamed: \(if .calls_total == $n then "equal" else "DIFFER" end); lost \(.lost) (\(.calls_total / .duration_s | floor) calls/s)"' "$TMP/summary"
