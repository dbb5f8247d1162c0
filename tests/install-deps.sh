#!/usr/bin/env bash
# Install what vmscope needs to build and test, on Debian.
#   install-deps.sh BUILD_PACKAGES... -- TEST_PACKAGES...
# As root: apt-get install whatever is missing. Otherwise: print the exact
# command and fail if anything is missing.
set -euo pipefail

missing=()
for p in "$@"; do
	[ "$p" = "--" ] && continue
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "vmscope: missing packages: ${missing[*]}" >&2
	echo "vmscope: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "vmscope: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# a fresh machine may have no package lists yet
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
