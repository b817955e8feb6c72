#!/bin/bash
# The demo: a sign-in through the real helper and `git credential fill`.
#
# Without CLERK_ISSUER it starts the local test provider (tests/peers/
# provider.js) and, when there is no display, signs in with the headless
# user (Debian chromium). With CLERK_ISSUER and CLERK_OAUTH_CLIENT_ID set it
# signs in to that Clerk instance in your browser instead. Everything it
# stores lives in a temporary HOME that is removed at the end.
#
# usage: tests/demo.sh [BUILD_DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
helper="$build/git-credential-clerk"
if [ ! -x "$helper" ]; then
	echo "demo: $helper not found; build first (meson setup build &&" \
		"meson compile -C build)" >&2
	exit 1
fi

work=$(mktemp -d -t clerk-demo-XXXXXX)
provider_pid=
cleanup() {
	[ -n "$provider_pid" ] && kill "$provider_pid" 2>/dev/null || true
	# The headless user outlives the sign-in by a moment (it closes
	# Chromium, then writes its log here): let it end before removing
	# $work, or rm races with that last write.
	local pid
	for pid in $(grep '"event":"launch"' "$work/browser.log" 2>/dev/null |
		grep -o '"pid":[0-9]*' | cut -d: -f2); do
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	done
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
mask() { sed -E 's/^(password|credential)=(.{6}).*/\1=\2… (hidden)/'; }

export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config"
export XDG_STATE_HOME="$work/home/.local/state"
export XDG_RUNTIME_DIR="$work/run"
mkdir -p "$HOME" && mkdir -m 700 "$XDG_RUNTIME_DIR"
export GIT_CONFIG_NOSYSTEM=1 CLERK_CREDENTIAL_STORAGE=file

if [ -z "${CLERK_ISSUER:-}" ]; then
	step "Starting the local test provider (oidc-provider on 127.0.0.1)"
	if [ ! -d "$here/node_modules/oidc-provider" ]; then
		(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
	fi
	node "$here/peers/provider.js" --port 0 --log "$work/provider.log" \
		>"$work/provider.out" 2>"$work/provider.err" &
	provider_pid=$!
	for _ in $(seq 100); do
		grep -q '^ready ' "$work/provider.out" 2>/dev/null && break
		sleep 0.1
	done
	CLERK_ISSUER=$(awk '/^ready /{print $2}' "$work/provider.out")
	if [ -z "$CLERK_ISSUER" ]; then
		cat "$work/provider.err" >&2
		exit 1
	fi
	export CLERK_ISSUER CLERK_OAUTH_CLIENT_ID=clerk-credential-test
	host=git.demo.test
	if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
		echo "no display: the headless Chromium user signs in for you"
		export BROWSER="$here/peers/headless-user.js"
		export HEADLESS_USER_LOG="$work/browser.log"
	fi
	echo "issuer: $CLERK_ISSUER (any login name and password work)"
else
	: "${CLERK_OAUTH_CLIENT_ID:?set CLERK_OAUTH_CLIENT_ID too}"
	host=${CLERK_DEMO_HOST:-git.example.com}
	echo "issuer: $CLERK_ISSUER"
fi

fill() {
	printf 'protocol=https\nhost=%s\npath=demo/repo.git\n\n' "$host" |
		git -c credential.helper= \
			-c "credential.helper=$helper --host=$host" \
			credential fill
}

step "git credential fill (cache empty: signs in through the browser)"
fill | mask

step "git credential fill again (answered from the cache, no browser)"
start=$(date +%s%N)
fill | mask
echo "took $(( ($(date +%s%N) - start) / 1000000 )) ms, git included"

step "clerk-credential whoami"
"$build/clerk-credential" whoami

step "clerk-credential status"
"$build/clerk-credential" status --host "$host"

step "clerk-credential logout"
"$build/clerk-credential" logout
echo
echo "demo: done"
