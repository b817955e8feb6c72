#!/bin/sh
# helper/dist-version.sh: meson dist script. A release tarball has no
# git history, so freeze the version this tree was configured with (from
# its tag, helper/version.sh) into the tarball's VERSION.
set -eu
: "${MESON_DIST_ROOT:?run by meson dist}"
printf '%s\n' "$1" >"$MESON_DIST_ROOT/VERSION"
