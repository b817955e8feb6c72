#!/usr/bin/env python3
"""The security rules of contract §13, end to end, each with a test that fails
when the rule is broken.

- No secret (access, refresh and ID tokens, the authorization code, the
  PKCE verifier) in the argv or environment of any child: $BROWSER is a
  script that records its own /proc/$$/cmdline and environ, then runs the
  real headless user; the helper's own /proc/<pid>/cmdline (and environ,
  where readable) is sampled all through the sign-in.
- None in --verbose output: a full sign-in and a refresh with --verbose,
  stderr searched for the actual values.
- Core dumps off: a helper waiting for its lock is, unlike a plain
  process of the same user, unreadable through /proc/<pid>/environ by
  that user (PR_SET_DUMPABLE 0) and has a (soft) core size limit of 0
  though it was started with none. The browser it starts gets the user's
  limit back: a $BROWSER script records `ulimit -c`.
- Lax permissions refused: the real token file made group-readable (or
  someone else's) and the state dir opened to others: get refuses them,
  says how to fix it, and hands out nothing.

The secrets' values come from where they really are: the tokens from the
helper's output and its 0600 token file; the code from the headless
browser's own network log (Chromium's --log-net-log, through a wrapper of
the chromium binary, HEADLESS_USER_CHROMIUM); the verifier is not kept
anywhere, so every 43-character base64url run found is hashed and
compared with the code_challenge of the authorize URL.

Secret wiping in memory is tested in tests/unit/test_secret.c.

Run: CLERK_CREDENTIAL=build/clerk-credential python3 tests/integration/test_security.py
"""

import base64
import fcntl
import hashlib
import json
import os
import pwd
import re
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

HOST = "git.example.test"
REQUEST = {"protocol": "https", "host": HOST}
SIGN_IN_TIMEOUT = 120
B64URL_RUN = re.compile(rb"[A-Za-z0-9_~.-]{43,}")
FRAGMENT = 12


def s256(verifier):
    digest = hashlib.sha256(verifier).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verifier_in(data, challenge):
    """True when some 43-byte window of a base64url run hashes to challenge."""
    for m in B64URL_RUN.finditer(data):
        run = m.group(0)
        for i in range(len(run) - 42):
            if s256(run[i:i + 43]) == challenge:
                return True
    return False


def state_key(env, profile="default"):
    return h.config_key(env["CLERK_ISSUER"], env["CLERK_OAUTH_CLIENT_ID"],
                        profile)


def write_script(path, text):
    path.write_text(text)
    path.chmod(0o755)
    return path


class Sampler(threading.Thread):
    """Reads /proc/<pid>/cmdline and environ until the process ends."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.cmdlines = set()
        self.environs = set()
        self.environ_denied = 0
        self.samples = 0

    def read(self, name):
        with open("/proc/%d/%s" % (self.pid, name), "rb") as f:
            return f.read()

    def run(self):
        while True:
            try:
                self.cmdlines.add(self.read("cmdline"))
                self.samples += 1
            except (FileNotFoundError, ProcessLookupError):
                return
            try:
                self.environs.add(self.read("environ"))
            except PermissionError:
                self.environ_denied += 1
            except (FileNotFoundError, ProcessLookupError):
                return
            time.sleep(0.02)


class Security(h.ProviderCase):
    """One provider and one signed-in user (through recording wrappers)."""

    workdir_prefix = "clerk-sec-"
    # An hour: --refresh-margin=7200 below makes the token due.
    provider_options = {"access_ttl": 3600}

    @classmethod
    def set_up_class(cls):
        super().set_up_class()
        cls.sign_in()

    @classmethod
    def sign_in(cls):
        """get --verbose on an empty cache, through recording wrappers."""
        rec = cls.workdir / "rec"
        rec.mkdir()
        cls.netlog = rec / "netlog.json"
        browser = write_script(cls.workdir / "browser.sh", (
            "#!/bin/sh\n"
            "# $BROWSER: records what the helper handed it, then signs in.\n"
            "cat /proc/$$/cmdline > '%s/browser.cmdline'\n"
            "cat /proc/$$/environ > '%s/browser.environ'\n"
            "exec '%s' \"$@\"\n") % (rec, rec, h.HEADLESS_USER_JS))
        chromium = write_script(cls.workdir / "chromium.sh", (
            "#!/bin/sh\n"
            "exec '%s' --log-net-log='%s' \"$@\"\n") % (h.CHROMIUM, cls.netlog))
        sb = h.Sandbox(cls.workdir, cls.provider.issuer, BROWSER=browser,
                       HEADLESS_USER_CHROMIUM=chromium)
        cls._stack.callback(sb.cleanup)
        cls.sb, cls.rec = sb, rec
        request = sb.dir / "request"
        request.write_text(h.format_kv(REQUEST))
        with open(request, "rb") as stdin:
            proc = subprocess.Popen(
                [sb.alias, "--verbose", "get"], stdin=stdin,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=sb.env,
                cwd=str(sb.dir), start_new_session=True)
        cls.sampler = Sampler(proc.pid)
        cls.sampler.start()
        try:
            out, err = proc.communicate(timeout=SIGN_IN_TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        cls.sampler.join(5)
        if proc.returncode != 0:
            raise h.HarnessError("sign-in failed: %s\n%s\n%s" % (
                proc.returncode, err.decode(errors="replace"),
                sb.browser_entries()))
        cls.signin_stdout, cls.signin_stderr = out, err
        sb.wait_browsers_done()
        cls.token_file = (Path(sb.env["XDG_STATE_HOME"]) / "clerk-credential"
                          / "tokens-default.json")
        cls.signin_tokens = json.loads(cls.token_file.read_text())

    # --- where the secrets are ---------------------------------------------

    def authorize_url(self):
        m = re.search(rb"http://127\.0\.0\.1:\d+/oauth/authorize\?\S+",
                      self.signin_stderr)
        self.assertIsNotNone(m, "no authorize URL on stderr")
        return urllib.parse.urlsplit(m.group(0).decode())

    def challenge(self):
        query = urllib.parse.parse_qs(self.authorize_url().query)
        self.assertEqual(query["code_challenge_method"], ["S256"])
        return query["code_challenge"][0]

    def code(self):
        """The authorization code, from the browser's own network log."""
        redirect = urllib.parse.parse_qs(self.authorize_url().query)["redirect_uri"][0]
        text = self.netlog.read_text(errors="replace")
        codes = set(re.findall(re.escape(redirect) + r"\?[^\"\s]*?\bcode=([^&\"\s]+)",
                               text))
        self.assertEqual(len(codes), 1, "no single code in the browser's net log")
        return urllib.parse.unquote(codes.pop())

    def assert_no_secret(self, where, data, secrets, challenge):
        for name, value in secrets.items():
            self.assertTrue(value, "%s: no value to look for" % name)
            # (assertFalse: a failure must not print the secret.)
            self.assertFalse(value.encode() in data, "%s found in %s" % (name, where))
            # A part of it is a leak too: any 12 characters (72 bits) of
            # its random part (for a JWT, the signature).
            random_part = value.rsplit(".", 1)[-1].encode()
            for i in range(len(random_part) - FRAGMENT + 1):
                self.assertFalse(random_part[i:i + FRAGMENT] in data,
                                 "a part of the %s found in %s" % (name, where))
        self.assertFalse(verifier_in(data, challenge),
                         "the PKCE verifier found in %s" % where)

    # --- the tests -----------------------------------------------------------

    def test_no_secret_in_children_argv_env_or_verbose_output(self):
        """Contract §13: children's argv/environment, the helper's, and --verbose."""
        sb = self.sb
        challenge = self.challenge()
        secrets = {
            "code": self.code(),
            "access token": self.signin_tokens["access_token"],
            "refresh token": self.signin_tokens["refresh_token"],
            "ID token": self.signin_tokens["id_token"],
        }
        self.assertEqual(h.kv_dict(self.signin_stdout.decode())["password"],
                         secrets["access token"])

        # A refresh with --verbose too (the margin makes the token due).
        mark = self.provider.mark()
        r = sb.helper("get", REQUEST, ["--verbose", "--refresh-margin=7200"])
        self.assertEqual(r.returncode, 0, h.describe(r))
        self.assertEqual(self.provider.count_grants(mark), {"refresh_token": 1})
        refreshed = json.loads(self.token_file.read_text())
        secrets.update({
            "refreshed access token": refreshed["access_token"],
            "rotated refresh token": refreshed["refresh_token"],
        })
        self.assertNotEqual(refreshed["refresh_token"], secrets["refresh token"])
        if refreshed.get("id_token") != secrets["ID token"]:
            secrets["refreshed ID token"] = refreshed["id_token"]

        # The recordings are real: they hold what they should.
        browser_argv = (self.rec / "browser.cmdline").read_bytes()
        browser_env = (self.rec / "browser.environ").read_bytes()
        self.assertIn(("code_challenge=" + challenge).encode(), browser_argv)
        self.assertIn(b"HEADLESS_USER_LOG=", browser_env)
        self.assertGreater(self.sampler.samples, 0)

        places = {
            "the browser's argv": browser_argv,
            "the browser's environment": browser_env,
            "the sign-in's --verbose stderr": self.signin_stderr,
            "the refresh's --verbose stderr": r.stderr.encode(),
        }
        for i, c in enumerate(sorted(self.sampler.cmdlines)):
            places["the helper's cmdline (sample %d)" % i] = c
        for i, e in enumerate(sorted(self.sampler.environs)):
            places["the helper's environment (sample %d)" % i] = e
        for where, data in places.items():
            self.assert_no_secret(where, data, secrets, challenge)
        # The verbose runs did trace the steps (else this proves little).
        self.assertIn(b"/oauth/token", self.signin_stderr)
        self.assertIn("/oauth/token", r.stderr)
        print("searched %d places for %d secrets and the verifier: none found "
              "(helper sampled %d times during the sign-in)"
              % (len(places), len(secrets), self.sampler.samples))

    def test_token_file_and_state_dir_permissions(self):
        """Contract §10, §13: a lax token file or state dir is refused end to end."""
        sb = self.sb
        state = self.token_file.parent
        self.assertEqual(stat.S_IMODE(self.token_file.stat().st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(state.stat().st_mode), 0o700)
        runtime = sb.runtime / "clerk-credential"
        self.assertEqual(stat.S_IMODE(runtime.stat().st_mode), 0o700)
        token = json.loads(self.token_file.read_text())["access_token"]
        mark = self.provider.mark()

        def get():
            # No runtime cache: the store must be read.
            for f in runtime.glob("*.token"):
                f.unlink()
            return sb.helper("get", REQUEST, ["--non-interactive"], timeout=30)

        cases = [
            ("token file 0644", lambda: self.token_file.chmod(0o644),
             lambda: self.token_file.chmod(0o600), "chmod 600"),
            ("token file 0660", lambda: self.token_file.chmod(0o660),
             lambda: self.token_file.chmod(0o600), "chmod 600"),
            ("state dir 0755", lambda: state.chmod(0o755),
             lambda: state.chmod(0o700), "chmod 700"),
        ]
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody").pw_uid
            cases.append(("token file of another user",
                          lambda: os.chown(self.token_file, nobody, -1),
                          lambda: os.chown(self.token_file, 0, -1), "not by you"))
        for name, spoil, fix, hint in cases:
            spoil()
            try:
                r = get()
            finally:
                fix()
            self.assertNotEqual(r.returncode, 0, "%s accepted\n%s" % (name, h.describe(r)))
            self.assertNotIn(token, r.stdout + r.stderr, name)
            self.assertNotIn("password=", r.stdout, name)
            self.assertIn(hint, r.stderr, "%s: no fix given\n%s" % (name, r.stderr))
            # Fixed as told, the same get works (from the store, offline).
            r = get()
            self.assertEqual(r.returncode, 0, "%s fixed\n%s" % (name, h.describe(r)))
            self.assertEqual(h.kv_dict(r.stdout).get("password"), token, name)
        self.assertEqual(self.provider.requests(mark), [])

    def test_core_dumps_off(self):
        """Contract §13: a waiting helper is not dumpable and has no core limit."""
        probe_uid = os.geteuid()
        # /tmp: a directory nobody may traverse when run as root.
        tmp = Path(tempfile.mkdtemp(prefix="clerk-dump-",
                                    dir="/tmp" if os.geteuid() == 0 else None))
        self.addCleanup(shutil.rmtree, tmp, True)
        exe = tmp / "clerk-credential"
        shutil.copy2(h.helper_paths()[0], exe)
        state = tmp / "state" / "clerk-credential"
        state.mkdir(parents=True, mode=0o700)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp),
               "XDG_STATE_HOME": str(tmp / "state"),
               "XDG_CONFIG_HOME": str(tmp / "config"),
               "XDG_RUNTIME_DIR": str(tmp / "run"),
               "CLERK_ISSUER": self.provider.issuer,
               "CLERK_OAUTH_CLIENT_ID": h.CLIENT_ID,
               "CLERK_CREDENTIAL_STORAGE": "file", "CLERK_CREDENTIAL_HOSTS": HOST}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        lock = state / ("%s.lock" % state_key(env))
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        self.addCleanup(os.close, fd)
        if os.geteuid() == 0:
            # The check needs a user without CAP_SYS_PTRACE: run the
            # helper, the plain process and the probe as nobody.
            probe_uid = pwd.getpwnam("nobody").pw_uid
            for dirpath, dirnames, filenames in os.walk(tmp):
                for name in [dirpath] + [os.path.join(dirpath, n)
                                         for n in dirnames + filenames]:
                    os.chown(name, probe_uid, -1)
            tmp.chmod(0o755)

        def as_probe_user():
            resource.setrlimit(resource.RLIMIT_CORE,
                               (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(pwd.getpwuid(probe_uid).pw_gid)
                os.setuid(probe_uid)

        def readable_by_probe_user(pid):
            r = subprocess.run(["cat", "/proc/%d/environ" % pid],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               preexec_fn=as_probe_user, timeout=30)
            if r.returncode:
                self.assertIn(b"Permission denied", r.stderr)
            return r.returncode == 0

        def core_limit(pid):
            for line in Path("/proc/%d/limits" % pid).read_text().splitlines():
                if line.startswith("Max core file size"):
                    return line.split()[4:6]
            self.fail("no core limit in /proc/%d/limits" % pid)

        fcntl.flock(fd, fcntl.LOCK_EX)
        err_path = self.workdir / "dump-helper.err"
        (self.workdir / "dump-request").write_text(h.format_kv(REQUEST))
        with open(self.workdir / "dump-request", "rb") as stdin, \
                open(err_path, "wb") as err:
            helper = subprocess.Popen(
                [str(exe), "--verbose", "--timeout=20", "get"], stdin=stdin,
                stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=str(tmp),
                preexec_fn=as_probe_user)
        plain = subprocess.Popen(["sleep", "20"], preexec_fn=as_probe_user)
        try:
            # Waiting for the lock: past main()'s hardening for sure.
            h.wait_for(lambda: b"waiting for another" in err_path.read_bytes(),
                       20, what="the helper to wait for its lock")
            self.assertIsNone(helper.poll(), "the helper did not wait")
            plain_readable = readable_by_probe_user(plain.pid)
            helper_readable = readable_by_probe_user(helper.pid)
            owner = os.stat("/proc/%d/environ" % helper.pid).st_uid
            limits = core_limit(helper.pid), core_limit(plain.pid)
        finally:
            for p in (helper, plain):
                p.kill()
                p.wait(5)
        print("probe uid %d: plain process readable=%s, waiting helper "
              "readable=%s, /proc/<helper>/environ owned by uid %d, core limits "
              "helper=%s plain=%s" % (probe_uid, plain_readable, helper_readable,
                                      owner, limits[0], limits[1]))
        self.assertTrue(plain_readable, "the probe cannot read its own processes")
        self.assertFalse(helper_readable, "the helper is dumpable (PR_SET_DUMPABLE)")
        if probe_uid != 0:
            self.assertEqual(owner, 0, "/proc/<helper>/environ not owned by root: dumpable")
        self.assertEqual(limits[1], ["unlimited", "unlimited"])
        # The soft limit is the one that counts; the hard one stays the
        # user's, so that the browser can have the user's limit back.
        self.assertEqual(limits[0], ["0", "unlimited"],
                         "core dumps not off (RLIMIT_CORE)")

    def test_browser_gets_the_users_core_limit(self):
        """The browser is the user's program: it has the user's core limit."""
        soft_hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
        if soft_hard == 0:
            self.skipTest("the hard core limit here is 0: nothing to restore")
        soft = 4 << 20
        if soft_hard != resource.RLIM_INFINITY:
            soft = min(soft, soft_hard)
        limits = (soft, soft_hard)
        tmp = Path(tempfile.mkdtemp(prefix="clerk-core-", dir=self.workdir))
        script = write_script(tmp / "browser.sh", (
            "#!/bin/sh\n"
            "# $BROWSER: records its core-file limits, opens nothing.\n"
            "echo \"$(ulimit -S -c) $(ulimit -H -c)\" > \"$1.tmp\"\n"
            "mv \"$1.tmp\" \"$1\"\n"))
        got, want = tmp / "via-helper", tmp / "direct"

        def user_limits():
            resource.setrlimit(resource.RLIMIT_CORE, limits)

        subprocess.run([str(script), str(want)], preexec_fn=user_limits,
                       check=True, timeout=30)
        sb = h.Sandbox(self.workdir, self.provider.issuer,
                       BROWSER="%s %s" % (script, got))
        self.addCleanup(sb.cleanup)
        # ASan lowers the limit at start unless told not to: the helper
        # must see the user's limit, as an uninstrumented build does.
        asan = os.environ.get("ASAN_OPTIONS")
        sb.env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + \
            "disable_coredump=0"
        (sb.dir / "request").write_text(h.format_kv(REQUEST))
        with open(sb.dir / "request", "rb") as stdin:
            helper = subprocess.Popen(
                [sb.alias, "--timeout=20", "get"], stdin=stdin,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=sb.env,
                cwd=str(sb.dir), preexec_fn=user_limits,
                start_new_session=True)
        try:
            h.wait_for(lambda: got.exists() or helper.poll() is not None, 30,
                       what="the browser to record its core limit")
        finally:
            helper.kill()
            _, err = helper.communicate(timeout=10)
        self.assertTrue(got.exists(), "no browser started: %s" % err.decode())
        print("core limit (soft hard): direct %s, browser started by the "
              "helper %s" % (want.read_text().strip(), got.read_text().strip()))
        self.assertNotEqual(want.read_text().split()[0], "0")
        self.assertEqual(got.read_text(), want.read_text())


def main():
    try:
        h.check_prerequisites()
        h.helper_paths()
    except h.HarnessError as exc:
        print("test_security.py: %s" % exc, file=sys.stderr)
        return 1
    prog = unittest.main(module=__name__, exit=False, verbosity=2)
    res = prog.result
    return 0 if res.wasSuccessful() and res.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
