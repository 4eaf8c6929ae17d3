#!/bin/sh
# require-deb.sh <command> <debian package> <what to do by hand>
#
# Makes sure a program the tests start (redis-server, chromium) is there.
# When it is missing and we may (root or passwordless sudo, with apt-get),
# installs the Debian package; otherwise prints the hint. A missing program
# makes its tests skip, except under CI=true, where this fails.
cmd=$1 pkg=$2 hint=$3
command -v "$cmd" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=no; fi
if [ "$sudo" = no ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "$cmd is missing: $hint"
	[ "$CI" != true ] || exit 1
	exit 0
fi
echo "$cmd is missing: installing Debian's $pkg package"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q "$pkg" >/dev/null 2>&1 ||
	{ $sudo apt-get update -q && $sudo apt-get install -y -q "$pkg"; } ||
	{ echo "installing $pkg failed. $cmd is missing: $hint"; exit 1; }
command -v "$cmd" >/dev/null || { echo "$cmd is missing: $hint"; exit 1; }
