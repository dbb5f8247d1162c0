#!/usr/bin/env bash
# Without privileges (setpriv: uid nobody, no capabilities) every command
# either fails with exit 3 naming what it needs, or works on what it may
# (its own process's maps) and says what is hidden.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

if ! command -v setpriv >/dev/null; then
	skip "setpriv (util-linux) missing: cannot drop privileges"
	exit 0
fi
# the binary must be reachable by nobody: copy it out of a private tree
install -d -m 0755 "$TMP/bin"
install -m 0755 "$VMSCOPE" "$TMP/bin/vmscope"
chmod 0755 "$TMP"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
V=$TMP/bin/vmscope

start_demo || exit 1
for cmd in "maps $DEMO_PID" "pfn $DEMO_PID $REG_anon_START" "walk $DEMO_PID $REG_anon_START" \
	"trace -- true" "faults -- true" "trace -p $DEMO_PID" "faults -p $DEMO_PID" \
	"driver -- true" "driver -p $DEMO_PID" "top -b -- true" "top -b -p $DEMO_PID"; do
	# shellcheck disable=SC2086
	expect_status "unprivileged $cmd: exit 3" 3 nobody "$V" $cmd
	check "unprivileged $cmd: names what it needs" \
		grep -qE 'CAP_[A-Z_]+|root|ptrace access' "$TMP/stderr"
done
# its own process: maps works, and says which fields it could not fill
nobody sh -c '"$0" --json maps $$' "$V" >"$TMP/own.json" 2>"$TMP/own.err"
st=$?
check "unprivileged maps of its own process: exit 0, valid JSON" \
	sh -c "test $st -eq 0 && jq -e 'length > 0' '$TMP/own.json' >/dev/null"
check "unprivileged maps: hidden fields are null, not made up" \
	jq -e 'all(.[]; .owner == null and .cache == null)' "$TMP/own.json"
check "unprivileged maps: the note names the capability" grep -q 'CAP_BPF' "$TMP/own.err"
nobody sh -c '"$0" pfn $$ 0x1000' "$V" >/dev/null 2>"$TMP/pfn.err"
st=$?
check "unprivileged pfn of its own process: exit 3, PFNs hidden without CAP_SYS_ADMIN" \
	sh -c "test $st -eq 3 && grep -q 'CAP_SYS_ADMIN' '$TMP/pfn.err'"
nobody "$V" --json feature >"$TMP/feat.json" 2>/dev/null
check "unprivileged feature: works, every hook unavailable with a reason" \
	jq -e '[.hooks[] | select(.mode == null)] | length > 0' "$TMP/feat.json"
