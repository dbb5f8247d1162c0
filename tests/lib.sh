#!/usr/bin/env bash
# Shared helpers for integration tests: TAP lines, the demo workload.
# Each test script prints "ok - ..." / "not ok - ..." lines; a skip prints
# "ok - # SKIP reason" and is only used where the machine lacks the feature.

OUT=${OUT:-build}
VMSCOPE=${VMSCOPE:-$OUT/vmscope}
WL=$OUT/workloads
TMP=$(mktemp -d /tmp/vmscope-test.XXXXXX)
PIDS=()
VMSCOPE_PLAIN=$VMSCOPE
# VMSCOPE_TEST_MODE=fentry|kprobe|tracepoint: every command of the test runs
# with that --mode (the VM matrix runs the suite once per mode)
case "${VMSCOPE_TEST_MODE:-auto}" in
auto) ;;
*)
	VMSCOPE=$TMP/vmscope
	chmod 711 "$TMP"	# the unprivileged tests run it too
	printf '#!/bin/sh\nexec %s --mode=%s "$@"\n' \
		"$(readlink -f "$VMSCOPE_PLAIN")" "$VMSCOPE_TEST_MODE" >"$VMSCOPE"
	chmod 755 "$VMSCOPE" ;;
esac

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; }
skip() { echo "ok - # SKIP $*"; }

# check DESCRIPTION COMMAND...: pass when COMMAND succeeds (its stdout dropped)
check() {
	local d=$1
	shift
	if "$@" >/dev/null; then pass "$d"; else fail "$d"; fi
}

# expect_status DESCRIPTION STATUS COMMAND...: exit status must be STATUS;
# stderr is kept in $TMP/stderr, stdout in $TMP/stdout
expect_status() {
	local d=$1 want=$2 got
	shift 2
	"$@" >"$TMP/stdout" 2>"$TMP/stderr"
	got=$?
	if [ "$got" -eq "$want" ]; then pass "$d"; else
		fail "$d (exit $got, want $want)"
		sed 's/^/#   /' "$TMP/stderr" | head -5
	fi
}

# wait_for COMMAND...: poll COMMAND every 0.05 s until it succeeds, for up
# to WAIT_SECONDS (60): a loaded CI machine running the suite under TCG
# may take many seconds to start vmscope; a wait that is met costs nothing
# more for the bound being long. On time-out it says what it waited for.
wait_for() {
	local i
	for ((i = 0; i < ${WAIT_SECONDS:-60} * 20; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "# waited ${WAIT_SECONDS:-60}s in vain for: $*"
	return 1
}

# has FILE REGEX / has_n N FILE REGEX: FILE holds a line matching REGEX, N
# such lines at least
has() { grep -q -- "$2" "$1"; }
has_n() { [ "$(grep -c -- "$3" "$2")" -ge "$1" ]; }
# zombie PID: PID has exited and is not reaped yet (/proc only: the VM's
# ps is busybox)
zombie() { grep -q '^State:.*Z' "/proc/$1/status"; }

# start_demo [ARGS]: run the demo workload, wait until it mapped everything;
# sets DEMO_PID and REG_<name>_START / REG_<name>_END.
start_demo() {
	local fifo=$TMP/demo.out name s e
	"$WL/demo" "$@" >"$fifo" 2>"$TMP/demo.err" &
	DEMO_PID=$!
	PIDS+=("$DEMO_PID")
	wait_for has "$fifo" '^ready$' || { echo "# demo did not start"; cat "$TMP/demo.err"; return 1; }
	while read -r name s e; do
		[ "$name" = ready ] && continue
		eval "REG_${name}_START=$s; REG_${name}_END=$e"
	done <"$fifo"
}
