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

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "## the suite"
./tests/run.sh "$1" | tee "$log"; tally "$log"
echo "## the suite under AddressSanitizer + UndefinedBehaviorSanitizer"
./tests/run.sh --sanitized "$2" | tee "$log"; tally "$log"
echo "## the snapshot commands under valgrind"
./tests/valgrind/run.sh "$1" | tee "$log"; tally "$log"
echo "## fuzzing (FUZZ_SECONDS=${FUZZ_SECONDS:-30} each)"
./tests/fuzz/run.sh "$2" | tee "$log"; tally "$log"
echo "## the kernel matrix: 6.1 and 6.12 under qemu"
./tests/vm/run.sh "$1" | tee "$log"; tally "$log"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
