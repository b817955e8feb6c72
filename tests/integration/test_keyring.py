#!/usr/bin/env python3
"""Keyring storage and logout of clerk-credential against real peers.

Contract §9 and §10: a real gnome-keyring-daemon on a private session bus started
by dbus-run-session (no service activation, so nothing else answers on it),
its login keyring created and unlocked with a test password; secret-tool to
look at the items; a real OpenID Provider (oidc-provider) and a headless
Chromium user for the sign-ins; the provider's token and introspection
endpoints to prove a logout really revoked the refresh token.

One fault no real peer produces on demand is injected by hand: a session
bus that accepts connections and never answers (FakeSilentBus below).

Run: CLERK_CREDENTIAL=/path/to/build/clerk-credential python3 tests/integration/test_keyring.py
(after `npm ci --prefix tests`).
"""

import contextlib
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

HOST = "git.example.test"
REQUEST = {"protocol": "https", "host": HOST}
SCHEMA = "com.clerk.credential"
SIGN_IN_TIMEOUT = 120
TEST_PASSWORD = "keyring-test-password"

BUS_CONF = """<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

# Inside dbus-run-session: the password comes on stdin (never in argv), the
# keyring daemon starts and unlocks the login keyring with it, and the
# shell holds the bus open until the test closes stdin.
SESSION_SCRIPT = r"""
read -r pw
if [ "$START_KEYRING" = 1 ]; then
	printf %s "$pw" | gnome-keyring-daemon --unlock --components=secrets \
		>/dev/null || exit 1
	i=0
	until dbus-send --session --print-reply --dest=org.freedesktop.DBus \
		/org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
		string:org.freedesktop.secrets 2>/dev/null | grep -q true; do
		i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.05
	done
fi
echo "ready $DBUS_SESSION_BUS_ADDRESS"
read -r _
"""


def check_keyring_tools():
    missing = [t for t in ("dbus-run-session", "dbus-send", "gnome-keyring-daemon",
                           "secret-tool") if not shutil.which(t)]
    if missing:
        raise h.HarnessError(
            "missing %s (Debian: apt-get install dbus-daemon dbus-bin "
            "gnome-keyring libsecret-tools)" % ", ".join(missing))


class Bus:
    """A private session bus; with keyring=True, gnome-keyring on it.

    env must hold HOME, XDG_DATA_HOME or HOME (where the keyring files go)
    and XDG_RUNTIME_DIR of the sandbox. address is the bus's address.
    """

    def __init__(self, workdir, env, keyring=True):
        self.dir = Path(tempfile.mkdtemp(prefix="bus-", dir=str(workdir)))
        self.env = dict(env)
        self.env["START_KEYRING"] = "1" if keyring else "0"
        self.proc = None
        self.address = None

    def __enter__(self):
        conf = self.dir / "bus.conf"
        conf.write_text(BUS_CONF % self.dir)
        self.stderr = open(self.dir / "stderr", "wb")
        self.proc = subprocess.Popen(
            ["dbus-run-session", "--config-file=%s" % conf, "--",
             "sh", "-c", SESSION_SCRIPT],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            env=self.env, start_new_session=True)
        self.proc.stdin.write(TEST_PASSWORD.encode() + b"\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("ready unix:"):
            self.__exit__()
            raise h.HarnessError("the session bus did not start: %r\n%s" % (
                line, (self.dir / "stderr").read_text(errors="replace")))
        self.address = line.split(" ", 1)[1].strip()
        return self

    def __exit__(self, *exc):
        if self.proc:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(5)
            self.proc.stdout.close()
            self.proc = None
        self.stderr.close()
        return False

    def with_bus(self, env):
        return {**env, "DBUS_SESSION_BUS_ADDRESS": self.address}

    def run(self, argv, env, stdin_text=None):
        return subprocess.run(argv, input=stdin_text, env=self.with_bus(env),
                              capture_output=True, text=True, timeout=30)

    def items(self, env, **attrs):
        """secret-tool's view of the items: [{label, secret, attr...}]."""
        argv = ["secret-tool", "search", "--all", "xdg:schema", SCHEMA]
        for k, v in attrs.items():
            argv += [k, v]
        r = self.run(argv, env)
        # Items on stdout, their attributes on stderr, in the same order.
        items = []
        for line in r.stdout.splitlines():
            if line.startswith("[/"):
                items.append({})
            elif items and " = " in line:
                k, v = line.split(" = ", 1)
                items[-1][k.strip()] = v
        groups = []
        for line in r.stderr.splitlines():
            if line.startswith("attribute.") and " = " in line:
                k, v = line.split(" = ", 1)
                if not groups or k in groups[-1]:
                    groups.append({})
                groups[-1][k] = v
        if len(groups) != len(items):
            raise AssertionError("secret-tool: %d items, %d attribute sets:\n%s"
                                 % (len(items), len(groups), r.stderr))
        for item, attributes in zip(items, groups):
            item.update(attributes)
        return items

    def lock_login(self, env):
        r = self.run(["dbus-send", "--session", "--print-reply",
                      "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets",
                      "org.freedesktop.Secret.Service.Lock",
                      "array:objpath:/org/freedesktop/secrets/collection/login"], env)
        if r.returncode != 0:
            raise AssertionError("could not lock the keyring: %s" % r.stderr)


class FakeSilentBus:
    """A FAKE session bus: a unix socket that accepts and never answers.

    No real bus hangs on demand; this is the fault that would make an
    unbounded D-Bus call hang forever.
    """

    def __init__(self, workdir):
        self.path = Path(tempfile.mkdtemp(prefix="silent-", dir=str(workdir))) / "bus"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(self.path))
        self.sock.listen(16)
        self.conns = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            with contextlib.suppress(OSError):
                conn, _ = self.sock.accept()
                self.conns.append(conn)  # read nothing, say nothing

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        for c in self.conns:
            c.close()
        self.sock.close()
        return False

    @property
    def address(self):
        return "unix:path=%s" % self.path


_SHARED = {}


def tearDownModule():
    stack = _SHARED.pop("stack", None)
    if stack:
        stack.close()


class KeyringCase(unittest.TestCase):
    """One provider for the module; one sandbox and one keyring per test."""

    @classmethod
    def setUpClass(cls):
        check_keyring_tools()
        h.check_prerequisites()
        h.helper_paths()
        if "provider" not in _SHARED:
            stack = contextlib.ExitStack()
            try:
                workdir = Path(stack.enter_context(
                    tempfile.TemporaryDirectory(prefix="clerk-kr-")))
                _SHARED["provider"] = stack.enter_context(h.Provider(workdir))
            except BaseException:
                stack.close()
                raise
            _SHARED["stack"], _SHARED["workdir"] = stack, workdir
        cls.provider, cls.workdir = _SHARED["provider"], _SHARED["workdir"]

    def sandbox(self, keyring=True, storage="keyring", **kwargs):
        """A fresh user; self.bus is their keyring (None: no bus at all)."""
        sb = h.Sandbox(self.workdir, self.provider.issuer,
                       CLERK_CREDENTIAL_STORAGE=storage, **kwargs)
        self.bus = None
        if keyring is not None:
            self.bus = Bus(self.workdir, sb.env, keyring=keyring).__enter__()
            sb.env = self.bus.with_bus(sb.env)
            self.addCleanup(self.bus.__exit__)

        def finish():
            with contextlib.suppress(AssertionError):
                sb.wait_browsers_done(timeout=15)
            sb.cleanup()
        self.addCleanup(finish)
        return sb

    def context(self, sb, result=None):
        parts = []
        if result is not None:
            parts.append(h.describe(result))
        parts.append("--- headless user ---\n%s" % "\n".join(
            map(str, sb.browser_entries())))
        parts.append("--- provider stderr (tail) ---\n%s" % self.provider.stderr_tail(1500))
        return "\n".join(parts)

    def cli(self, sb, *args, env=None, timeout=SIGN_IN_TIMEOUT):
        return sb.run([sb.main, *args], timeout=timeout,
                      env={**sb.env, **(env or {})})

    def login(self, sb, *options):
        mark = self.provider.mark()
        r = self.cli(sb, *options, "login")
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertEqual(self.provider.count_grants(mark), {"authorization_code": 1})
        return r

    def get(self, sb, *options, env=None):
        r = sb.run([sb.alias, *options, "get"], h.format_kv(REQUEST),
                   env={**sb.env, **(env or {})})
        return r, h.kv_dict(r.stdout) if r.returncode == 0 else {}

    def drop_runtime_cache(self, sb):
        for f in (sb.runtime / "clerk-credential").glob("*.token"):
            f.unlink()

    def token_file(self, sb, profile="default"):
        return sb.home / ".local" / "state" / "clerk-credential" / (
            "tokens-%s.json" % profile)

    def keyring_set(self, sb, profile="default"):
        """The token set stored as the keyring item's secret."""
        items = self.bus.items(sb.env, profile=profile)
        self.assertEqual(len(items), 1, items)
        return json.loads(items[0]["secret"])

    def assert_revoked(self, stored):
        """The provider refuses the refresh token and calls it inactive."""
        answer = self.refresh_with(stored["refresh_token"])
        self.assertEqual(answer.get("error"), "invalid_grant", answer)
        self.assertEqual(self.provider.introspect(stored["refresh_token"]),
                         {"active": False})
        self.assertFalse(self.provider.is_active(stored["access_token"]))

    def refresh_with(self, token):
        return self.provider._post_form("/oauth/token", {
            "grant_type": "refresh_token", "refresh_token": token,
            "client_id": h.CLIENT_ID})


class TestKeyringStore(KeyringCase):
    """Contract §10: one item per (issuer, client id, profile) in a real keyring.

    A sign-in takes seconds (a real browser), so each test walks through
    several steps on one signed-in user.
    """

    def test_store_read_replace_delete(self):
        sb = self.sandbox()
        r = self.cli(sb, "--storage=auto", "status")
        self.assertIn("storage:        keyring (auto: a Secret Service answered",
                      r.stdout, h.describe(r))
        self.login(sb)
        items = self.bus.items(sb.env)
        self.assertEqual(len(items), 1, items)
        item = items[0]
        self.assertEqual(item["label"], "Clerk sign-in for %s (default)"
                         % self.provider.issuer)
        self.assertEqual(item["schema"], SCHEMA)
        self.assertEqual(item["attribute.issuer"], self.provider.issuer)
        self.assertEqual(item["attribute.client_id"], h.CLIENT_ID)
        self.assertEqual(item["attribute.profile"], "default")
        stored = json.loads(item["secret"])
        self.assertTrue(self.provider.is_active(stored["refresh_token"]))
        self.assertFalse(self.token_file(sb).exists(), "a token file next to the keyring")

        # A cache hit maps neither libsecret nor GLib (contract §10, §15).
        r, out = self.get(sb, env={"LD_DEBUG": "libs"})
        self.assertEqual(out.get("password"), stored["access_token"], h.describe(r))
        names = sorted({os.path.basename(line.split("calling init:")[1].strip())
                        for line in r.stderr.splitlines() if "calling init:" in line})
        self.assertTrue(names, r.stderr[-2000:])
        for name in names:
            for heavy in ("secret", "glib", "gio", "curl", "gnutls", "dbus",
                          "clerk-credential-net", "clerk-credential-keyring"):
                self.assertNotIn(heavy, name, names)
        print("cache hit with storage=keyring maps: %s" % ", ".join(names))

        # Read back: without the runtime cache the keyring answers.
        self.drop_runtime_cache(sb)
        r, out = self.get(sb, "--non-interactive")
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertEqual(out.get("password"), stored["access_token"])

        # Replace: a refresh rotates the refresh token in the same item.
        mark = self.provider.mark()
        r, out = self.get(sb, "--non-interactive", "--refresh-margin=86400")
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertEqual(self.provider.count_grants(mark), {"refresh_token": 1})
        rotated = self.keyring_set(sb)
        self.assertNotEqual(rotated["refresh_token"], stored["refresh_token"])
        self.assertEqual(rotated["access_token"], out["password"])

        status = self.cli(sb, "status")
        self.assertIn("storage:        keyring (chosen with storage=keyring)",
                      status.stdout, h.describe(status))
        self.assertIn("signed in:      yes", status.stdout)

        # Delete: logout revokes the refresh token (the access token is a
        # JWT, which Clerk cannot revoke: it dies with its grant at the
        # provider) and removes the item, the runtime cache and userinfo.
        mark = self.provider.mark()
        r = self.cli(sb, "logout")
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertIn("tokens revoked at the provider and removed", r.stderr)
        revocations = self.provider.requests(mark, "/oauth/token/revoke")
        self.assertEqual([e["status"] for e in revocations], [200], revocations)
        self.assert_revoked(rotated)
        self.assertEqual(self.bus.items(sb.env), [])
        self.assertEqual(list((sb.runtime / "clerk-credential").glob("*.token")), [])
        self.assertEqual(len(sb.browser_launches()), 1)
        # Nothing left to answer with.
        r, _ = self.get(sb, "--non-interactive")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("clerk-credential login", r.stderr)
        r = self.cli(sb, "logout")
        self.assertEqual(r.returncode, 0, h.describe(r))
        self.assertIn("nothing to remove", r.stderr)

    def test_profiles_side_by_side_and_logout_all(self):
        sb = self.sandbox()
        self.login(sb, "--profile=alpha")
        self.login(sb, "--profile=beta")
        self.assertEqual(sorted(i["attribute.profile"] for i in self.bus.items(sb.env)),
                         ["alpha", "beta"])
        alpha = self.keyring_set(sb, "alpha")
        beta = self.keyring_set(sb, "beta")
        self.assertNotEqual(alpha["refresh_token"], beta["refresh_token"])
        self.drop_runtime_cache(sb)
        _, out_a = self.get(sb, "--non-interactive", "--profile=alpha")
        _, out_b = self.get(sb, "--non-interactive", "--profile=beta")
        self.assertEqual(out_a.get("password"), alpha["access_token"])
        self.assertEqual(out_b.get("password"), beta["access_token"])

        # beta moves to the file store; logout --all finds both.
        self.drop_runtime_cache(sb)
        r, _ = self.get(sb, "--non-interactive", "--profile=beta", "--storage=file")
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertTrue(self.token_file(sb, "beta").exists())
        self.assertEqual([i["attribute.profile"] for i in self.bus.items(sb.env)],
                         ["alpha"])
        env = {k: v for k, v in sb.env.items()
               if k not in ("CLERK_ISSUER", "CLERK_OAUTH_CLIENT_ID")}
        r = sb.run([sb.main, "logout", "--all"], env=env, timeout=60)
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertEqual(r.stderr.count("tokens revoked at the provider and removed"), 2,
                         r.stderr)
        self.assert_revoked(alpha)
        self.assert_revoked(beta)
        self.assertEqual(self.bus.items(sb.env), [])
        self.assertFalse(self.token_file(sb, "beta").exists())
        self.assertEqual(list((sb.runtime / "clerk-credential").glob("*.token")), [])


class TestNoKeyring(KeyringCase):
    """Contract §10: auto falls back fast; keyring fails clearly; nothing hangs."""

    def check_fallback(self, sb, why):
        started = time.monotonic()
        r = self.cli(sb, "status", timeout=20)
        elapsed = time.monotonic() - started
        self.assertEqual(r.returncode, 0, h.describe(r))
        self.assertLess(elapsed, 2.0, "auto took %.2f s to fall back" % elapsed)
        self.assertIn("storage:        file (auto: %s" % why, r.stdout, r.stdout)
        # A get with nothing stored says once why tokens go to a file.
        r, _ = self.get(sb, "--non-interactive")
        notices = [line for line in r.stderr.splitlines() if "--storage" in line]
        self.assertEqual(len(notices), 1, r.stderr)
        self.assertIn("not in a keyring", notices[0])
        self.assertIn("--storage keyring", notices[0])

    def check_keyring_fails(self, sb, why):
        started = time.monotonic()
        r, _ = self.get(sb, "--storage=keyring")
        elapsed = time.monotonic() - started
        self.assertNotEqual(r.returncode, 0, h.describe(r))
        self.assertLess(elapsed, 5.0, "--storage keyring took %.2f s to fail" % elapsed)
        self.assertIn("cannot use the keyring: %s" % why, r.stderr)
        self.assertIn("--storage file", r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(sb.browser_launches(), [])

    def test_no_bus_at_all(self):
        sb = self.sandbox(keyring=None, storage="auto")
        self.assertNotIn("DBUS_SESSION_BUS_ADDRESS", sb.env)
        why = "no session bus: DBUS_SESSION_BUS_ADDRESS is not set"
        self.check_fallback(sb, why)
        self.check_keyring_fails(sb, why)

    def test_bus_without_secret_service(self):
        sb = self.sandbox(keyring=False, storage="auto")
        self.check_fallback(sb, "no Secret Service")
        self.check_keyring_fails(sb, "no Secret Service")

    def test_silent_bus_fake(self):
        sb = self.sandbox(keyring=None, storage="auto")
        with FakeSilentBus(self.workdir) as bus:
            sb.env["DBUS_SESSION_BUS_ADDRESS"] = bus.address
            why = "the session bus or its Secret Service did not answer"
            self.check_fallback(sb, why)
            self.check_keyring_fails(sb, why)


class TestMigration(KeyringCase):
    """Contract §10: switching --storage moves the tokens, no new sign-in."""

    def test_file_to_keyring_and_back(self):
        sb = self.sandbox(storage="file")
        self.login(sb)
        original = json.loads(self.token_file(sb).read_text())
        self.assertEqual(self.bus.items(sb.env), [])
        mark = self.provider.mark()

        # status only says where the tokens wait; it moves nothing.
        r = self.cli(sb, "--storage=keyring", "status")
        self.assertEqual(r.returncode, 0, h.describe(r))
        self.assertIn("in the file store; they move to the keyring store", r.stdout)
        self.assertTrue(self.token_file(sb).exists(), "status moved the tokens")

        self.drop_runtime_cache(sb)
        r, out = self.get(sb, "--non-interactive", "--storage=keyring")
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertEqual(out.get("password"), original["access_token"])
        self.assertIn("moved the tokens of profile default from the file store "
                      "to the keyring store", r.stderr)
        self.assertFalse(self.token_file(sb).exists(), "the old copy stayed")
        self.assertEqual(self.keyring_set(sb)["refresh_token"], original["refresh_token"])

        self.drop_runtime_cache(sb)
        r, out = self.get(sb, "--non-interactive", "--storage=file")
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertEqual(out.get("password"), original["access_token"])
        self.assertIn("from the keyring store to the file store", r.stderr)
        self.assertEqual(self.bus.items(sb.env), [], "the old copy stayed")
        back = json.loads(self.token_file(sb).read_text())
        self.assertEqual(back["refresh_token"], original["refresh_token"])

        # auto, with a keyring here, moves them into it.
        self.drop_runtime_cache(sb)
        r, out = self.get(sb, "--non-interactive", "--storage=auto")
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertEqual(len(self.bus.items(sb.env)), 1)
        self.assertFalse(self.token_file(sb).exists())
        self.assertEqual(self.provider.count_grants(mark), {}, "a token request")
        self.assertEqual(len(sb.browser_launches()), 1, "a second sign-in")

        # A locked keyring whose unlock prompt is dismissed (this bus has
        # no prompter, so gnome-keyring dismisses it at once, as when the
        # user cancels it): a clear error, no sign-in, nothing lost.
        self.drop_runtime_cache(sb)
        self.bus.lock_login(sb.env)
        for args in (("--non-interactive",), ()):
            started = time.monotonic()
            r, _ = self.get(sb, "--storage=keyring", *args)
            self.assertLess(time.monotonic() - started, 20)
            self.assertNotEqual(r.returncode, 0, self.context(sb, r))
            self.assertIn("the keyring is locked and its unlock prompt was "
                          "dismissed", r.stderr, self.context(sb, r))
            self.assertIn(("quit", "1"), h.parse_kv(r.stdout))
            self.assertNotIn("password", r.stdout)
        self.assertEqual(len(sb.browser_launches()), 1, "a sign-in over a locked keyring")
        self.assertEqual(len(self.bus.items(sb.env)), 1)
        self.assertFalse(self.token_file(sb).exists())
        # logout cannot remove a locked item either, and says so.
        r = self.cli(sb, "--storage=keyring", "logout")
        self.assertNotEqual(r.returncode, 0, h.describe(r))
        self.assertIn("unlock prompt was dismissed", r.stderr)
        self.assertEqual(len(self.bus.items(sb.env)), 1)


def initialised(stderr):
    """The file names of the libraries LD_DEBUG=libs saw initialised."""
    return sorted({os.path.basename(line.split("calling init:")[1].strip())
                   for line in stderr.splitlines() if "calling init:" in line})


class TestModules(KeyringCase):
    """Contract §15: a refresh maps the network module only, not the keyring's.

    A Secret Service answers on this bus all along: what keeps libsecret
    and GLib out is that the file store holds the set, not a missing bus.
    """

    def test_refresh_from_file_loads_no_keyring_module(self):
        sb = self.sandbox(storage="file")
        self.login(sb)
        self.assertTrue(self.token_file(sb).exists())
        mark = self.provider.mark()
        r, out = self.get(sb, "--non-interactive", "--refresh-margin=86400",
                          env={"LD_DEBUG": "libs"})
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertTrue(out.get("password"), h.describe(r))
        self.assertEqual(self.provider.count_grants(mark), {"refresh_token": 1})
        names = initialised(r.stderr)
        self.assertIn("clerk-credential-net.so", names)
        for name in names:
            for heavy in ("clerk-credential-keyring", "secret", "glib", "gio",
                          "gobject", "qrencode"):
                self.assertNotIn(heavy, name, names)
        print("refresh with storage=file maps %d libraries" % len(names))

        # With nothing in the file, the keyring may hold the set: the
        # keyring module looks (and finds none for this profile).
        r, _ = self.get(sb, "--non-interactive", "--profile=elsewhere",
                        env={"LD_DEBUG": "libs"})
        self.assertNotEqual(r.returncode, 0, h.describe(r))
        self.assertIn("clerk-credential login", r.stderr)
        names = initialised(r.stderr)
        self.assertIn("clerk-credential-keyring.so", names)
        self.assertNotIn("clerk-credential-net.so", names)


class TestLogout(KeyringCase):
    """Contract §9: logout revokes at the provider and clears everything."""

    def test_logout_file_without_bus(self):
        sb = self.sandbox(keyring=None, storage="auto")
        self.login(sb)
        stored = json.loads(self.token_file(sb).read_text())
        self.assertIn("userinfo", stored)
        self.drop_runtime_cache(sb)
        r, out = self.get(sb, "--non-interactive")
        self.assertEqual(out.get("password"), stored["access_token"], h.describe(r))
        r = self.cli(sb, "logout")
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assert_revoked(stored)
        self.assertFalse(self.token_file(sb).exists())
        self.assertEqual(list((sb.runtime / "clerk-credential").glob("*.token")), [])

    def test_logout_unreachable_provider(self):
        """The provider is gone: a warning, and local data cleared anyway."""
        workdir = Path(tempfile.mkdtemp(prefix="gone-", dir=str(self.workdir)))
        gone = h.Provider(workdir).__enter__()
        try:
            sb = h.Sandbox(self.workdir, gone.issuer,
                           CLERK_CREDENTIAL_STORAGE="keyring")
            self.addCleanup(sb.cleanup)
            self.bus = Bus(self.workdir, sb.env).__enter__()
            self.addCleanup(self.bus.__exit__)
            sb.env = self.bus.with_bus(sb.env)
            r = sb.run([sb.main, "login"], timeout=SIGN_IN_TIMEOUT)
            self.assertEqual(r.returncode, 0, h.describe(r))
            sb.wait_browsers_done()
        finally:
            gone.stop()
        self.assertEqual(len(self.bus.items(sb.env)), 1)
        started = time.monotonic()
        r = sb.run([sb.main, "logout"], timeout=60)
        self.assertLess(time.monotonic() - started, 15)
        self.assertEqual(r.returncode, 0, h.describe(r))
        self.assertIn("warning: could not revoke the refresh token", r.stderr)
        self.assertIn("local tokens removed", r.stderr)
        self.assertEqual(self.bus.items(sb.env), [])
        self.assertEqual(list((sb.runtime / "clerk-credential").glob("*.token")), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
