#!/usr/bin/env python3
"""Proven concurrency (contract §11, §15) against the real peers.

The provider (tests/peers/provider.js) rotates refresh tokens and revokes
the whole grant when a rotated one is used again, so two processes that
refresh at once show up as a dead grant, not as a quiet duplicate.

- 64 gets at expiry: exactly one refresh_token request reaches the
  provider, all 64 succeed with the same token, and the grant survives
  (the token is active by introspection, a later refresh still works).
- 16 cache misses at once: exactly one browser (headless-user.js logs
  each launch), one authorization_code grant, 16 successes.
- A get that waits for the lock longer than the sign-in timeout fails
  clearly; one that waits less goes on when the lock is free.

The lock is taken from the test with flock(2) on the helper's own lock
file, <state>/clerk-credential/<profile>-<fnv64>.lock (helper/core/lock.c):
as a start gate, so that all 64 gets are in flight at once, and as the
"other process" of the timeout case.

Run: CLERK_CREDENTIAL=build/clerk-credential python3 tests/integration/test_concurrency.py
"""

import contextlib
import fcntl
import os
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

HOST = "git.example.test"
REQUEST = {"protocol": "https", "host": HOST}
SIGN_IN_TIMEOUT = 120
# Tokens live 60 s. With a refresh margin of 52 s the signed-in token is
# "at expiry" 8 s after it was issued, and a refreshed one stays valid
# (outside the margin) for 8 s: every get that comes after the one
# refresh finds a valid token, and none refreshes twice.
ACCESS_TTL = 60
MARGIN = 52
WAITING = "waiting for another clerk-credential process"


def lock_path(sb, profile="default"):
    """The helper's lock file for (issuer, client id, profile)."""
    key = h.config_key(sb.env["CLERK_ISSUER"],
                       sb.env["CLERK_OAUTH_CLIENT_ID"], profile)
    return Path(sb.env["XDG_STATE_HOME"]) / "clerk-credential" / (key + ".lock")


@contextlib.contextmanager
def hold_lock(sb):
    """Hold the helper's lock (as another clerk-credential would)."""
    path = lock_path(sb)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)


def runtime_cache_files(sb):
    d = sb.runtime / "clerk-credential"
    return list(d.glob("*.token")) if d.is_dir() else []


class ConcurrencyCase(h.ProviderCase):
    """One provider for the file; one sandboxed user per test."""

    provider_options = {"access_ttl": ACCESS_TTL}

    def sign_in(self, sb):
        r = sb.helper("get", REQUEST, timeout=SIGN_IN_TIMEOUT)
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        out = h.kv_dict(r.stdout)
        self.assertTrue(out.get("password"), self.context(sb, r))
        sb.wait_browsers_done()
        return out

    def assert_all_ok(self, sb, results):
        failures = ["exit %s: %s" % (code, err[-500:])
                    for code, _, err in results if code]
        self.assertEqual(failures, [], self.context(sb))
        passwords = {h.kv_dict(out).get("password") for _, out, _ in results}
        self.assertEqual(len(passwords), 1, "different answers: %d" % len(passwords))
        token = passwords.pop()
        self.assertTrue(token, "an empty password")
        return token


class TestConcurrency(ConcurrencyCase):

    def test_64_gets_at_expiry_refresh_once(self):
        """Contract §11, §15: 64 gets at expiry, one refresh, 64 successes."""
        n = 64
        sb = self.sandbox()
        first = self.sign_in(sb)
        exp = int(first["password_expiry_utc"])
        h.wait_for(lambda: exp - time.time() < MARGIN - 0.5, ACCESS_TTL,
                   interval=0.1, what="the token to come within the margin")
        mark = self.provider.mark()
        options = ["--verbose", "--refresh-margin=%d" % MARGIN]
        # The start gate: all 64 find the token expiring and queue on the
        # lock before any of them may refresh.
        with hold_lock(sb):
            procs = sb.spawn_helpers(n, "get", REQUEST, options)

            def all_waiting():
                return all(WAITING in Path(err).read_text(errors="replace")
                           for _, _, err in procs)
            h.wait_for(all_waiting, 60, interval=0.05,
                       what="all %d gets to wait for the lock" % n)
            released = time.monotonic()

        def second_refresh():
            k = len(self.provider.token_requests(mark))
            return "%d token requests for one refresh" % k if k > 1 else None
        results = sb.wait_helpers(procs, 60, abort_if=second_refresh)
        wall = time.monotonic() - released
        failures = sum(1 for code, _, _ in results if code)
        grants = self.provider.count_grants(mark)
        print("%d concurrent gets at expiry: %d refresh request(s) at the "
              "provider, %d failures, %.2f s from the gate's release to the "
              "last exit" % (n, grants.get("refresh_token", 0), failures, wall))

        new = self.assert_all_ok(sb, results)
        self.assertNotEqual(new, first["password"], "not refreshed")
        self.assertEqual(grants, {"refresh_token": 1})
        self.assertEqual(self.provider.events("grant.revoked", mark), [],
                         "a refresh token was used twice: the grant is revoked")
        self.assertTrue(self.provider.is_active(new),
                        "the token the 64 gets returned is not active")
        self.assertEqual(len(sb.browser_launches()), 1, "a browser for a refresh")

        # The grant survives: the rotated refresh token stored by the one
        # refresh still works.
        mark = self.provider.mark()
        r = sb.helper("get", REQUEST, ["--refresh-margin=%d" % (ACCESS_TTL + 60)])
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        newer = h.kv_dict(r.stdout).get("password")
        self.assertTrue(newer)
        self.assertNotEqual(newer, new, "no second refresh")
        self.assertEqual(self.provider.count_grants(mark), {"refresh_token": 1})
        self.assertEqual(self.provider.events("grant.revoked", mark), [])
        self.assertTrue(self.provider.is_active(newer))

    def test_16_misses_open_one_browser(self):
        """Contract §11: 16 gets on an empty cache open exactly one browser.

        Then a get that waits for the lock less than --timeout goes on
        when it is free.
        """
        n = 16
        sb = self.sandbox()
        mark = self.provider.mark()
        started = time.monotonic()
        procs = sb.spawn_helpers(n, "get", REQUEST, ["--verbose"])

        def second_browser():
            k = len(sb.browser_launches())
            return "%d browser launches for one sign-in" % k if k > 1 else None
        results = sb.wait_helpers(procs, SIGN_IN_TIMEOUT, abort_if=second_browser)
        wall = time.monotonic() - started
        launches = len(sb.browser_launches())
        failures = sum(1 for code, _, _ in results if code)
        waited = sum(1 for _, _, err in results if WAITING in err)
        print("%d concurrent cache misses: %d browser launch(es), %d "
              "failures, %d waited for the lock, %.2f s wall time"
              % (n, launches, failures, waited, wall))

        token = self.assert_all_ok(sb, results)
        self.assertEqual(launches, 1, self.context(sb))
        # All but the one that signed in were in flight during the sign-in.
        self.assertEqual(waited, n - 1, "the gets did not overlap")
        self.assertEqual(self.provider.count_grants(mark), {"authorization_code": 1})
        self.assertTrue(self.provider.is_active(token))
        done = sb.wait_browsers_done()
        self.assertEqual([d.get("result") for d in done], ["ok"], self.context(sb))

        # A get that waits for the lock less than --timeout goes on when
        # the lock is free (here from the store: no runtime cache).
        for f in runtime_cache_files(sb):
            f.unlink()
        mark = self.provider.mark()
        request = sb.dir / "request"
        request.write_text(h.format_kv(REQUEST))
        with hold_lock(sb), open(request, "rb") as stdin:
            proc = subprocess.Popen(
                [sb.alias, "--timeout=30", "get"], stdin=stdin,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env=sb.env, cwd=str(sb.dir), start_new_session=True)
            time.sleep(1.5)
            self.assertIsNone(proc.poll(), "the get did not wait for the lock")
        try:
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(h.kv_dict(out).get("password"), token)
        self.assertEqual(self.provider.requests(mark), [])

    def test_lock_wait_beyond_timeout_fails_clearly(self):
        """Contract §11: waiting on the lock past --timeout fails with a clear line."""
        sb = self.sandbox()
        mark = self.provider.mark()
        with hold_lock(sb):
            started = time.monotonic()
            r = sb.helper("get", REQUEST, ["--timeout=2"], timeout=30)
            elapsed = time.monotonic() - started
        self.assertNotEqual(r.returncode, 0, self.context(sb, r))
        self.assertEqual(r.stdout, "", "output on a failed get")
        self.assertGreaterEqual(elapsed, 2.0, "gave up before the timeout")
        self.assertLess(elapsed, 6.0, "took %.1f s with --timeout=2" % elapsed)
        self.assertIn("gave up after 2 s waiting for another clerk-credential "
                      "process", r.stderr)
        self.assertIn("--timeout", r.stderr, "the message says nothing to do")
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertEqual(sb.browser_launches(), [], "a sign-in without the lock")
        self.assertEqual(self.provider.requests(mark), [],
                         "a request to the provider without the lock")
        print("lock held elsewhere: get --timeout=2 gave up after %.2f s" % elapsed)


def main():
    try:
        h.check_prerequisites()
        h.helper_paths()
    except h.HarnessError as exc:
        print("test_concurrency.py: %s" % exc, file=sys.stderr)
        return 1
    prog = unittest.main(module=__name__, exit=False, verbosity=2)
    res = prog.result
    return 0 if res.wasSuccessful() and res.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
