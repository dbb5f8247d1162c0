#!/usr/bin/env bash
# Build the libFuzzer harnesses (with ASan+UBSan) and fuzz each for
# FUZZ_SECONDS (default 30), starting from tests/fuzz/corpus/NAME. A crash
# is a failure; its input is kept under BUILD/fuzz/ to add to the corpus.
#   run.sh BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-build}/fuzz
SECS=${FUZZ_SECONDS:-30}
CLANG=${CLANG:-clang}
FLAGS="-g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
mkdir -p "$OUT"
passed=0 failed=0

declare -A SRCS=(
	[maps]="src/procfs/maps.c src/procfs/proc.c src/util.c"
	[range]="src/decode/range.c src/util.c"
	[decode]="src/decode/pgtable.c src/procfs/kpage.c src/procfs/pagemap.c src/procfs/proc.c src/util.c"
	[records]="src/tracers/records.c src/model/vma_model.c src/procfs/maps.c src/util.c src/cmd/driver_checks.c src/procfs/kpage.c src/procfs/proc.c src/decode/vmflags.c"
)
for name in maps range decode records; do
	bin=$OUT/fuzz_$name
	# shellcheck disable=SC2086
	if ! $CLANG $FLAGS "tests/fuzz/fuzz_$name.c" ${SRCS[$name]} -o "$bin" 2>"$OUT/$name.build"; then
		echo "not ok - fuzz_$name builds"; sed 's/^/#   /' "$OUT/$name.build" | head -10
		failed=$((failed + 1)); continue
	fi
	work=$OUT/corpus_$name		# new inputs go here, not into the repo
	mkdir -p "$work"
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$OUT/crash_${name}_" "$work" "tests/fuzz/corpus/$name" \
		>"$OUT/$name.log" 2>&1
	st=$?
	runs=$(grep -o 'Done [0-9]* runs' "$OUT/$name.log" | tail -1)
	if [ "$st" -eq 0 ]; then
		echo "ok - fuzz_$name: ${SECS}s, ${runs:-no summary}, no crash"
		passed=$((passed + 1))
	else
		echo "not ok - fuzz_$name crashed (exit $st); input: $(ls "$OUT"/crash_"${name}"_* 2>/dev/null | head -1)"
		grep -m5 -E 'ERROR|runtime error|SUMMARY' "$OUT/$name.log" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
