#!/bin/sh
# helper/version.sh: print the version of clerk-credential, the one
# place meson.build takes it from. In a clone with a release tag (v1.2.3)
# it is the nearest such tag, without the "v"; otherwise (no tag, or a
# release tarball, where helper/dist-version.sh has written the tag's
# version into VERSION) it is the first line of VERSION at the top of the
# tree. It MUST print x.y.z and nothing else: the program prints it, and
# the Debian package's version (debian/changelog) is checked against it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

v=
if [ -e "$top/.git" ] && command -v git >/dev/null 2>&1; then
	v=$(git -C "$top" describe --tags --abbrev=0 --match 'v[0-9]*' \
		2>/dev/null || true)
	v=${v#v}
fi
[ -n "$v" ] || v=$(head -n1 "$top/VERSION")
if ! printf '%s\n' "$v" | grep -Eqx '[0-9]+\.[0-9]+\.[0-9]+'; then
	echo "version.sh: not a version (x.y.z): '$v'" >&2
	exit 1
fi
printf '%s\n' "$v"
