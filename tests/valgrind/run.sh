#!/usr/bin/env bash
# The snapshot commands under valgrind: zero errors, zero definite leaks.
#   run.sh BUILD_DIR        (`make check-valgrind`, part of `make test`)
cd "$(dirname "$0")/../.." || exit 1
OUT=${1:-build}
. tests/lib.sh
passed=0 failed=0 skipped=0
if ! command -v valgrind >/dev/null; then
	echo "not ok - valgrind is not installed (make deps installs it)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
start_demo || exit 1
a=$REG_anon_START
for cmd in "maps $DEMO_PID" "pfn $DEMO_PID $a+64K" "pfn --all $DEMO_PID" \
	"walk $DEMO_PID $a" "--json maps $DEMO_PID" "feature"; do
	# shellcheck disable=SC2086
	valgrind -q --suppressions=tests/valgrind/bpf.supp --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite "$VMSCOPE" $cmd >/dev/null 2>"$TMP/vg"
	st=$?
	if [ "$st" -ne 99 ] && ! grep -q '^==[0-9]*== [A-Z]' "$TMP/vg"; then
		echo "ok - valgrind: vmscope $cmd (exit $st): no errors, no definite leaks"
		passed=$((passed + 1))
	else
		echo "not ok - valgrind: vmscope $cmd"
		grep '^==' "$TMP/vg" | head -15 | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
