#!/usr/bin/env bash
# `make test`: the suite on the normal build, then under ASan+UBSan, the
# snapshot commands under valgrind, then the fuzzers; one total line.
#   all.sh BUILD_DIR SANITIZED_BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
total_p=0 total_f=0 total_s=0

tally() {
	local line
	line=$(tail -1 "$1")
	set -- $line
	total_p=$((total_p + $1)) total_f=$((total_f + $3)) total_s=$((total_s + $5))
}

log=$(mktemp) fails=$(mktemp)
trap 'rm -f "$log" "$fails"' EXIT

# recap: each failure with the diagnostics under it, repeated at the end so
# that a CI log's tail names what failed
recap() {
	awk -v part="$1" '
		/^(\[[^]]*\] )?not ok/ { print part ": " $0; keep = 1; next }
		keep && /^(\[[^]]*\] )?#   / { print part ": " $0; next }
		{ keep = 0 }' "$log" >>"$fails"
}
echo "## the suite"
./tests/run.sh "$1" | tee "$log"; tally "$log"; recap suite
echo "## the suite under AddressSanitizer + UndefinedBehaviorSanitizer"
./tests/run.sh --sanitized "$2" | tee "$log"; tally "$log"; recap sanitized
echo "## the snapshot commands under valgrind"
./tests/valgrind/run.sh "$1" | tee "$log"; tally "$log"; recap valgrind
echo "## fuzzing (FUZZ_SECONDS=${FUZZ_SECONDS:-30} each)"
./tests/fuzz/run.sh "$2" | tee "$log"; tally "$log"; recap fuzz
echo "## the kernel matrix: 6.1 and 6.12 under qemu"
./tests/vm/run.sh "$1" | tee "$log"; tally "$log"; recap vm
if [ -s "$fails" ]; then
	echo "## what failed"
	head -200 "$fails"
fi
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
