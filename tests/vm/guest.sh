#!/usr/bin/env bash
# Inside the `make test-vm` guest: the integration suite once per attach
# mode.  Every test line is prefixed "[mode] " so the host can report per
# kernel and mode; each mode ends with a "VMSCOPE-VM mode=M p f s" line.
#   guest.sh "TESTS" "MODE TESTS" MODE...
# TESTS run in mode auto, MODE TESTS (those whose commands attach
# differently by mode) in every other mode.
cd "$(dirname "$0")/../.." || exit 1
tests=$1 mtests=$2
shift 2
export OUT=build TEST_TIMEOUT=${TEST_TIMEOUT:-600}
rc=0
for mode in "$@"; do
	export VMSCOPE_TEST_MODE=$mode VMSCOPE_TESTS=$tests
	[ "$mode" = auto ] || VMSCOPE_TESTS=$mtests
	start=$(date +%s)
	# live on the console: a hang shows where it happened
	./tests/run.sh --integration build 2>&1 | tee /tmp/run.log | sed "s/^/[$mode] /"
	read -r p _ f _ s _ < <(tail -1 /tmp/run.log)
	echo "VMSCOPE-VM mode=$mode passed=$p failed=$f skipped=$s seconds=$(($(date +%s) - start))"
	[ "${f:-1}" = 0 ] || rc=1
done
exit $rc
