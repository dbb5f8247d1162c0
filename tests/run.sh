#!/usr/bin/env bash
# Run unit tests (TAP binaries) and integration tests (TAP shell scripts),
# print every result and a final "N passed, N failed, N skipped" line.
#   run.sh [--unit|--integration] BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/.."

which=all
sanitized=
case "${1:-}" in --unit|--integration) which=${1#--}; shift ;; esac
# --sanitized: the build has ASan+UBSan; every report fails the run, even
# from a command whose output a test only greps
case "${1:-}" in --sanitized) sanitized=1; shift ;; esac
export OUT=${1:-build}
passed=0 failed=0 skipped=0
if [ -n "$sanitized" ]; then
	sanlogs=$(mktemp -d /tmp/vmscope-san.XXXXXX)
	export ASAN_OPTIONS="log_path=$sanlogs/asan:detect_leaks=1:abort_on_error=0"
	export UBSAN_OPTIONS="log_path=$sanlogs/ubsan:print_stacktrace=1:halt_on_error=1"
fi

run_one() {
	local name=$1 line status
	shift
	echo "# $name"
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		"__status 0") continue ;;
		"__status "*)
			# a test program that dies must fail loudly, even mid-way
			echo "not ok - $name exited with status ${line#__status }"
			failed=$((failed + 1)); continue ;;
		"not ok"*) failed=$((failed + 1)) ;;
		"ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
		"ok "*) passed=$((passed + 1)) ;;
		esac
	done < <("$@" 2>&1; echo "__status $?")
}

if [ "$which" != integration ]; then
	for t in "$OUT"/tests/test_*; do
		case "$t" in *.d) continue ;; esac
		[ -x "$t" ] || continue
		run_one "unit: $(basename "$t")" "$t"
	done
fi
if [ "$which" != unit ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "# integration tests need root (BPF, pagemap PFNs): not run"
		failed=$((failed + 1))
	else
		for t in tests/integration/*.sh; do
			# VMSCOPE_TESTS="maps walk": only these (the VM runs)
			case " ${VMSCOPE_TESTS:-$(basename "$t" .sh)} " in
			*" $(basename "$t" .sh) "*) ;;
			*) continue ;;
			esac
			# TEST_TIMEOUT (the VM runs): a hung test fails, the rest run
			run_one "integration: $(basename "$t" .sh)" \
				${TEST_TIMEOUT:+timeout -k 5 "$TEST_TIMEOUT"} bash "$t"
		done
	fi
fi
if [ -n "$sanitized" ]; then
	if [ -z "$(ls -A "$sanlogs")" ]; then
		echo "ok - no AddressSanitizer/UndefinedBehaviorSanitizer reports"
		passed=$((passed + 1))
	else
		echo "not ok - sanitizer reports:"
		head -30 "$sanlogs"/* | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
	rm -rf "$sanlogs"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
