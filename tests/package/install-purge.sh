#!/bin/sh
# tests/package/install-purge.sh DEB OUTDIR: install the clerk-credential
# package DEB the way a user does (apt-get install ./clerk-credential_*.deb),
# use it, purge it, and check that nothing of it is left. Run as root
# inside a fresh Debian root (.ci/deb-stage makes one per release), where
# nothing of this project's build dependencies is installed; it changes the
# system it runs on, so never run it on a machine you care about.
#
# What it checks, in order:
# - the install pulls neither GLib nor libsecret (the file store needs
#   neither; the keyring module's libraries are only Recommends) and puts
#   no module on the linker's path; the program maps only libc and cJSON;
# - `clerk-credential version` prints the package's version, the aliases
#   git, docker and Terraform look for are on PATH, and each name has its
#   man page;
# - then, with the test tools added (git, Node.js, Chromium; the npm
#   packages of tests/ must be in tests/node_modules already): the demo's
#   sign-in (tests/demo.sh run on /usr/bin) against the local test
#   provider, and a `git credential fill` through the installed
#   git-credential-clerk found on PATH (credential.helper=clerk) that signs
#   in with the headless browser user and answers with a token;
# - `apt-get purge` leaves no file or link of the package and no directory
#   that only it used.
# OUTDIR gets dpkg-L.txt (the installed files), demo.log and the logs of
# the provider and the browser user. Exits non-zero at the first failure.
set -eu

if [ $# -ne 2 ] || [ "$(id -u)" -ne 0 ]; then
	echo "usage (as root, in a throwaway root): $0 DEB OUTDIR" >&2
	exit 2
fi
deb=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
tests=$(cd "$(dirname "$0")/.." && pwd)
release=$(. /etc/os-release && echo "$VERSION_CODENAME")
export DEBIAN_FRONTEND=noninteractive
aliases="git-credential-clerk docker-credential-clerk terraform-credentials-clerk"

say() { echo "install-purge ($release): $*"; }
fail() {
	echo "install-purge ($release): FAIL: $*" >&2
	exit 1
}
# quiet LOG CMD...: run CMD with its output in LOG, shown only on failure.
quiet() {
	log=$1
	shift
	"$@" >"$log" 2>&1 || {
		tail -n 40 "$log" >&2
		fail "$*"
	}
}
installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null |
		grep -q 'install ok installed'
}

# --- install ---------------------------------------------------------------
quiet /tmp/apt-update.log apt-get update -q
dpkg-query -W -f='${Package}\n' | sort >/tmp/before
quiet /tmp/apt-install.log apt-get install -y -q --no-install-recommends "$deb"
installed clerk-credential || fail "clerk-credential not installed"
dpkg-query -W -f='${Package}\n' | sort | comm -13 /tmp/before - >/tmp/added
say "installed $(basename "$deb"), with: $(grep -vx clerk-credential \
	/tmp/added | tr '\n' ' ')"
for p in libglib2.0-0 libglib2.0-0t64 libsecret-1-0; do
	installed "$p" && fail "the package pulled $p in"
done
dpkg -L clerk-credential >"$out/dpkg-L.txt"

# --- the installed program -------------------------------------------------
version=$(dpkg-query -W -f='${Version}' clerk-credential)
got=$(clerk-credential version)
[ "$got" = "clerk-credential $version" ] ||
	fail "clerk-credential version says '$got', the package is $version"
for a in $aliases; do
	[ "$(command -v "$a")" = "/usr/bin/$a" ] || fail "$a not on PATH"
	[ "$(readlink "/usr/bin/$a")" = clerk-credential ] ||
		fail "/usr/bin/$a is not a link to clerk-credential"
	[ -f "/usr/share/man/man1/$a.1.gz" ] || fail "no man page for $a"
done
got=$(docker-credential-clerk version)
[ "$got" = "docker-credential-clerk (clerk-credential) $version" ] ||
	fail "docker-credential-clerk version says '$got'"
# The modules are private: loaded by path, never found by the linker.
ldconfig -p | grep -q clerk-credential && fail "a module is on the linker's path"
for m in net keyring; do
	ls /usr/lib/*/clerk-credential/clerk-credential-$m.so >/dev/null ||
		fail "no $m module"
done
# A cache hit maps libc and cJSON only.
libs=$(ldd /usr/bin/clerk-credential | awk '/=>/ {print $1}' | sort | tr '\n' ' ')
case $libs in
"libc.so.6 libcjson.so.1 ") ;;
*) fail "the program links more than libc and cJSON: $libs" ;;
esac
say "version $version, aliases on PATH, man pages, private modules: ok"

# --- sign-in and git credential fill, with the test tools added ------------
quiet /tmp/apt-tools.log apt-get install -y -q --no-install-recommends \
	git nodejs chromium ca-certificates
[ -d "$tests/node_modules/oidc-provider" ] ||
	fail "no $tests/node_modules: run npm ci in tests/ first"
# No display: the demo signs in with the headless browser user.
unset DISPLAY WAYLAND_DISPLAY
if ! "$tests/demo.sh" /usr/bin >"$out/demo.log" 2>&1; then
	tail -n 40 "$out/demo.log" >&2
	fail "the demo failed"
fi
grep -q '^password=' "$out/demo.log" || fail "the demo got no password"
grep -q '^demo: done' "$out/demo.log" || fail "the demo did not finish"
say "the demo's sign-in through /usr/bin: ok"

work=$(mktemp -d /tmp/clerk-pkg.XXXXXX)
provider=
cleanup() {
	[ -n "$provider" ] && kill "$provider" 2>/dev/null || true
	cp "$work/provider.log" "$work/browser.log" "$out/" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config"
export XDG_STATE_HOME="$work/home/.local/state" XDG_RUNTIME_DIR="$work/run"
export GIT_CONFIG_NOSYSTEM=1
export CLERK_CREDENTIAL_STORAGE=file DBUS_SESSION_BUS_ADDRESS=
mkdir -p "$HOME" && mkdir -m 700 "$XDG_RUNTIME_DIR"
node "$tests/peers/provider.js" --port 0 --log "$work/provider.log" \
	>"$work/provider.out" 2>"$work/provider.err" &
provider=$!
for _ in $(seq 100); do
	grep -q '^ready ' "$work/provider.out" 2>/dev/null && break
	sleep 0.1
done
CLERK_ISSUER=$(awk '/^ready /{print $2}' "$work/provider.out")
[ -n "$CLERK_ISSUER" ] || fail "the test provider did not start: \
$(cat "$work/provider.err")"
export CLERK_ISSUER CLERK_OAUTH_CLIENT_ID=clerk-credential-test
export BROWSER="$tests/peers/headless-user.js"
export HEADLESS_USER_LOG="$work/browser.log"
host=git.package.test
# git runs "git-credential-clerk" from PATH for credential.helper=clerk.
fill=$(printf 'protocol=https\nhost=%s\npath=pkg/repo.git\n\n' "$host" |
	git -c credential.helper= -c "credential.helper=clerk --host=$host" \
		credential fill) || fail "git credential fill through PATH failed"
printf '%s\n' "$fill" | grep -q '^username=oauth2$' ||
	fail "git credential fill: no username=oauth2"
printf '%s\n' "$fill" | grep -Eq '^password=.{16,}$' ||
	fail "git credential fill: no token"
clerk-credential logout >/dev/null
kill "$provider" 2>/dev/null || true
wait "$provider" 2>/dev/null || true
provider=
# The browser user writes its log just after Chromium closes.
sleep 1
say "git credential fill through git-credential-clerk on PATH: ok"

# --- purge -----------------------------------------------------------------
quiet /tmp/apt-purge.log apt-get purge -y -q clerk-credential
dpkg-query -W -f='${Status}\n' clerk-credential 2>/dev/null |
	grep -q 'installed' && fail "clerk-credential still installed"
left=
while IFS= read -r f; do
	if [ -L "$f" ] || { [ -e "$f" ] && [ ! -d "$f" ]; }; then
		left="$left $f"
	elif [ -d "$f" ] && ! dpkg-query -S "$f" >/dev/null 2>&1 &&
		[ -z "$(ls -A "$f")" ]; then
		# A directory dpkg should have removed with the package.
		left="$left $f/"
	fi
done <"$out/dpkg-L.txt"
[ -z "$left" ] || fail "left after purge:$left"
say "purged: none of its $(wc -l <"$out/dpkg-L.txt") paths left"
