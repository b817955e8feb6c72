#!/usr/bin/env python3
"""Faults a real provider will not produce on demand (contract §8, §9, §13, §16).

The real helper (its git alias and `clerk-credential login`) runs against
tests/peers/fake_provider.py, a FAKE provider that injects faults, with
tests/peers/fake-browser-follow.py, a FAKE browser that follows the
authorization redirect straight back to the loopback listener. Each fault
must end in a clear message on stderr (key words asserted), the right exit
status, nothing on stdout, and no stored token lost, except when the
provider says invalid_grant. The token file in the sandbox's
XDG_STATE_HOME is compared before and after.

Run: CLERK_CREDENTIAL=/path/to/build/clerk-credential python3 tests/integration/test_faults.py
Needs only Python 3, openssl (the fake signs ID tokens with it) and the
built helper.
"""

import contextlib
import json
import sys
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "peers"))
import harness as h  # noqa: E402
from fake_provider import CLIENT_ID, FakeProvider  # noqa: E402

FAKE_BROWSER = HERE.parent / "peers" / "fake-browser-follow.py"
HOST = "git.example.test"
REQUEST = {"protocol": "https", "host": HOST}
RUN_TIMEOUT = 60


class FaultCase(h.WorkdirCase):
    """A fresh fake provider and a fresh sandboxed user for each test."""

    workdir_prefix = "clerk-faults-"
    access_ttl = 3600

    def setUp(self):
        self.fake = FakeProvider(client_id=CLIENT_ID, access_ttl=self.access_ttl)
        self.fake.start()
        self.addCleanup(self.fake.stop)
        self.sb = self.sandbox()

    def sandbox(self, issuer=None, **extra):
        sb = h.Sandbox(self.workdir, issuer or self.fake.issuer, hosts=(HOST,),
                       BROWSER=str(FAKE_BROWSER), **extra)
        sb.env["FAKE_BROWSER_LOG"] = str(sb.dir / "fake-browser.log")
        self.addCleanup(sb.cleanup)
        return sb

    # running the helper

    def login(self, sb=None, timeout=RUN_TIMEOUT):
        sb = sb or self.sb
        return sb.run([sb.main, "--timeout=20", "login"], timeout=timeout)

    def get(self, *options, sb=None, timeout=RUN_TIMEOUT):
        sb = sb or self.sb
        return sb.helper("get", REQUEST, ["--timeout=20", *options], timeout)

    def token_file(self, sb=None):
        sb = sb or self.sb
        return sb.home / ".local" / "state" / "clerk-credential" / "tokens-default.json"

    def stored(self, sb=None):
        """The token file's bytes, or None when there is none."""
        with contextlib.suppress(FileNotFoundError):
            return self.token_file(sb).read_bytes()
        return None

    def stored_tokens(self, sb=None):
        raw = self.stored(sb)
        return json.loads(raw) if raw else {}

    def browser_launches(self, sb=None):
        sb = sb or self.sb
        return [e for e in h.read_json_lines(sb.env["FAKE_BROWSER_LOG"])
                if e.get("event") == "launch"]

    # assertions

    def context(self, result):
        return "%s\n--- fake provider requests ---\n%s" % (
            h.describe(result),
            "\n".join("%s %s %s" % (r["endpoint"], r["method"], r.get("grant_type", ""))
                      for r in self.fake.requests()))

    def assert_ok(self, result):
        self.assertEqual(result.returncode, 0, self.context(result))

    def assert_fails(self, result, words, status=1):
        """Exit status, every word in stderr (case-insensitive), no stdout."""
        self.assertEqual(result.returncode, status, self.context(result))
        low = result.stderr.lower()
        for w in words:
            self.assertIn(w.lower(), low, "%r not in stderr\n%s" % (w, self.context(result)))
        self.assertTrue(result.stderr.startswith("clerk-credential: "), self.context(result))
        self.assertNotIn("password=", result.stdout, self.context(result))
        self.assertNotIn("credential=", result.stdout, self.context(result))
        self.assert_no_secret(result)

    def assert_no_secret(self, result, sb=None):
        """No stored token anywhere in the helper's output (contract §13)."""
        for key, value in self.stored_tokens(sb).items():
            if key.endswith("_token") and isinstance(value, str) and value:
                self.assertNotIn(value, result.stderr, "%s in stderr" % key)
                if key != "access_token":
                    self.assertNotIn(value, result.stdout, "%s in stdout" % key)

    def signed_in(self, sb=None):
        """A good sign-in; returns the token file's bytes."""
        r = self.login(sb)
        self.assert_ok(r)
        self.assertIn("signed in", r.stderr)
        raw = self.stored(sb)
        self.assertIsNotNone(raw, "no token file after a sign-in")
        return raw


class TestIdTokenAtSignIn(FaultCase):
    """Contract §9: the ID token of a sign-in is verified, or nothing is kept."""

    def test_good_rs256_sign_in(self):
        """Baseline: the fake and the helper agree; one key set fetch."""
        self.signed_in()
        self.assertEqual(self.fake.count("jwks"), 1)
        self.assertEqual(self.fake.count("token", grant_type="authorization_code"), 1)
        self.assertEqual(len(self.browser_launches()), 1)
        r = self.get()
        self.assert_ok(r)
        password = h.kv_dict(r.stdout)["password"]
        self.assertTrue(self.fake.is_active(password))
        self.assertEqual(self.fake.count("token"), 1, "the get was not a cache hit")

    def test_good_es256_sign_in(self):
        """An ES256 ID token (raw r||s signature) verifies."""
        self.fake.sign_with("ec-1")
        self.signed_in()
        self.assertEqual(self.fake.count("jwks"), 1)

    # (id_token fault params, words in stderr, key set fetches)
    REFUSED = [
        ("bad signature", {"bad_signature": True},
         ["id token refused", "signature does not verify", "rs256", "kid rsa-1"], 1),
        ("es256 bad signature", {"bad_signature": True, "alg": "ES256", "kid": "ec-1"},
         ["id token refused", "signature does not verify", "es256", "kid ec-1"], 1),
        ("alg none", {"alg": "none"},
         ["id token refused", "alg none is refused", "unsigned"], 0),
        ("hs256 with the client id as key", {"alg": "HS256"},
         ["id token refused", "alg hs256 is refused", "hmac"], 0),
        ("unknown kid", {"kid": "rsa-9"},
         ["id token refused", "no rs256 key with kid rsa-9"], 1),
        ("wrong aud", {"claims": {"aud": "someone-else"}},
         ["id token refused", "aud does not name this client id"], 1),
        ("several aud without azp", {"claims": {"aud": [CLIENT_ID, "other"]}},
         ["id token refused", "azp is missing"], 1),
        ("wrong iss", {"claims": {"iss": "http://127.0.0.1:9"}},
         ["id token refused", "iss is not the configured issuer"], 1),
        ("wrong nonce", {"claims": {"nonce": "not-this-sign-in"}},
         ["id token refused", "nonce does not match"], 1),
        ("no nonce", {"claims": {"nonce": None}},
         ["id token refused", "nonce does not match"], 1),
        ("expired", {"claims": {"exp": int(time.time()) - 3600,
                                "iat": int(time.time()) - 7200}},
         ["id token refused", "expired"], 1),
        ("issued in the future", {"claims": {"iat": int(time.time()) + 3600}},
         ["id token refused", "iat is in the future"], 1),
        ("no id token", {"omit": True},
         ["no id token", "openid"], 0),
    ]

    def test_refused_id_tokens(self):
        """Each bad ID token: exit 1, the failed check named, nothing stored."""
        for name, params, words, fetches in self.REFUSED:
            with self.subTest(name):
                sb = self.sandbox()
                jwks_before = self.fake.count("jwks")
                self.fake.publish(["rsa-1", "ec-1"])
                self.fake.set_fault("token", "id_token", **params)
                r = self.login(sb)
                self.fake.clear_faults()
                self.assert_fails(r, words)
                self.assertIsNone(self.stored(sb), "tokens kept after: %s" % name)
                self.assertEqual(self.fake.count("jwks") - jwks_before, fetches,
                                 "key set fetches for %s" % name)

    def test_failed_sign_in_keeps_old_tokens(self):
        """A refused ID token at a second sign-in leaves the first tokens."""
        before = self.signed_in()
        self.fake.set_fault("token", "id_token", bad_signature=True)
        r = self.login()
        self.assert_fails(r, ["signature does not verify"])
        self.assertEqual(self.stored(), before)

    def test_unknown_kid_refetches_once(self):
        """Cached keys, unknown kid: exactly one more fetch, then refused."""
        before = self.signed_in()
        self.assertEqual(self.fake.count("jwks"), 1)
        self.fake.set_fault("token", "id_token", kid="rsa-9")
        r = self.login()
        self.assert_fails(r, ["no rs256 key with kid rsa-9"])
        self.assertEqual(self.fake.count("jwks"), 2, "not exactly one refetch")
        self.assertEqual(self.stored(), before)

    def test_rotated_keys_refetch(self):
        """The provider rotates its key: one refetch, and the sign-in works."""
        first = self.signed_in()
        self.fake.sign_with("rsa-2")
        self.fake.publish(["rsa-1", "rsa-2"])
        second = self.signed_in()
        self.assertNotEqual(first, second)
        self.assertEqual(self.fake.count("jwks"), 2)
        # Both keys are now cached: a third sign-in fetches nothing.
        self.signed_in()
        self.assertEqual(self.fake.count("jwks"), 2)


class TestProviderAtSignIn(FaultCase):
    """Contract §8: issuer and URL policy, the callback's iss, discovery faults."""

    def test_discovery_names_another_issuer(self):
        self.fake.set_fault("discovery", "override",
                            fields={"issuer": self.fake.issuer + "/other"})
        r = self.login()
        self.assert_fails(r, ["discovery document names issuer", "/other",
                              "not the configured"])
        self.assertEqual(self.fake.count("authorize"), 0)
        self.assertEqual(self.browser_launches(), [])
        self.assertIsNone(self.stored())

    def test_discovery_endpoints_off_policy(self):
        """Every endpoint on the issuer's scheme, https unless loopback."""
        cases = [
            ("jwks_uri", "https://127.0.0.1:9/jwks", "does not use the issuer's scheme"),
            ("jwks_uri", "http://keys.example.test/jwks", "not an allowed url"),
            ("token_endpoint", "http://tokens.example.test/token", "not an allowed url"),
            ("token_endpoint", "https://127.0.0.1:9/token", "does not use the issuer's scheme"),
            ("authorization_endpoint", "http://user:pw@127.0.0.1:9/a", "not an allowed url"),
        ]
        for key, url, words in cases:
            with self.subTest(key=key, url=url):
                sb = self.sandbox()
                self.fake.set_fault("discovery", "override", fields={key: url})
                r = self.login(sb)
                self.assert_fails(r, [key, words])
                self.assertEqual(self.fake.count("authorize"), 0)
                self.assertIsNone(self.stored(sb))

    def test_plain_http_issuer_refused(self):
        """https only, except loopback: nothing is contacted (exit 2)."""
        sb = self.sandbox(issuer="http://clerk.example.test")
        r = self.login(sb)
        self.assert_fails(r, ["http://clerk.example.test", "https"], status=2)
        self.assertEqual(self.fake.count(), 0)

    def test_discovery_server_error(self):
        self.fake.set_fault("discovery", "status", status=500)
        r = self.login()
        self.assert_fails(r, ["discovery failed", "http 500"])
        self.assertEqual(self.fake.count("authorize"), 0)

    def test_discovery_malformed(self):
        self.fake.set_fault("discovery", "malformed")
        r = self.login()
        self.assert_fails(r, ["discovery document", "not a json object"])

    def test_key_set_faults(self):
        """The jwks_uri answers badly: the sign-in fails, nothing stored."""
        cases = [
            ("status", {"status": 500}, ["signing keys", "http 500"]),
            ("malformed", {}, ["signing keys", "unusable", "not a json object"]),
            ("oversized", {"size": 300 * 1024}, ["signing keys", "larger than 256 kib"]),
            ("oversized", {}, ["over 1048576 bytes"]),
            ("redirect", {"status": 302}, ["signing keys", "http 302"]),
            ("close", {}, ["cannot reach", "jwks.json"]),
        ]
        for fault, params, words in cases:
            with self.subTest(fault=fault, params=params):
                sb = self.sandbox()
                self.fake.set_fault("jwks", fault, **params)
                r = self.login(sb)
                self.assert_fails(r, words)
                self.assertIsNone(self.stored(sb))
        self.assertEqual(self.fake.count("redirected"), 0, "a redirect was followed")

    def test_callback_with_wrong_iss(self):
        """RFC 9207: a callback from another issuer is refused, no exchange."""
        self.fake.set_fault("authorize", "callback", params={"iss": "http://127.0.0.1:9"})
        r = self.login()
        self.assert_fails(r, ["sign-in answer refused", "http://127.0.0.1:9",
                              self.fake.issuer])
        self.assertEqual(self.fake.count("token"), 0, "the code was exchanged")
        self.assertIsNone(self.stored())

    def test_callback_without_iss(self):
        """The provider advertises iss: a callback without it is refused."""
        self.fake.set_fault("authorize", "callback", params={"iss": None})
        r = self.login()
        self.assert_fails(r, ["sign-in answer refused", "no issuer"])
        self.assertEqual(self.fake.count("token"), 0)

    def test_code_exchange_server_error(self):
        self.fake.set_fault("token", "status", status=502)
        r = self.login()
        self.assert_fails(r, ["token request failed", "http 502"])
        self.assertIsNone(self.stored())


class TestRefreshFaults(FaultCase):
    """Contract §9: faults during a refresh keep the stored tokens."""

    # Shorter than the 30 s refresh margin: every get refreshes.
    access_ttl = 10

    def setUp(self):
        super().setUp()
        self.before = self.signed_in()
        self.mark = self.fake.count("token", grant_type="refresh_token")

    def refreshes(self):
        return self.fake.count("token", grant_type="refresh_token") - self.mark

    def get_fails(self, words, timeout=RUN_TIMEOUT):
        """A non-interactive get fails with words; the tokens stay."""
        r = self.get("--non-interactive", timeout=timeout)
        self.assert_fails(r, words)
        self.assertEqual(self.stored(), self.before, "stored tokens changed")
        self.assertEqual(len(self.browser_launches()), 1, "a browser for a refresh")
        return r

    def assert_recovers(self):
        """With the fault gone, the same stored tokens refresh fine."""
        self.fake.clear_faults()
        r = self.get("--non-interactive")
        self.assert_ok(r)
        self.assertTrue(self.fake.is_active(h.kv_dict(r.stdout)["password"]))
        self.assertNotEqual(self.stored(), self.before)

    def test_refresh_works(self):
        """Baseline: a get refreshes, the rotated refresh token is stored."""
        old = self.stored_tokens()["refresh_token"]
        r = self.get("--non-interactive")
        self.assert_ok(r)
        self.assertEqual(self.refreshes(), 1)
        self.assertNotEqual(self.stored_tokens()["refresh_token"], old)
        self.assertTrue(self.fake.is_active(h.kv_dict(r.stdout)["password"]))
        self.assert_no_secret(r)

    def test_server_errors(self):
        cases = [
            ({"status": 500}, ["token request failed", "http 500", "try again later"]),
            ({"status": 503, "retry_after": 7}, ["http 503", "retry after 7 s"]),
            ({"status": 429, "retry_after": 30}, ["http 429", "retry after 30 s"]),
            ({"status": 400, "body": {"error": "invalid_request"}},
             ["token request failed", "invalid_request"]),
        ]
        for params, words in cases:
            with self.subTest(params=params):
                self.fake.set_fault("token", "status", **params)
                n = self.refreshes()
                self.get_fails(words)
                self.assertEqual(self.refreshes() - n, 1, "not exactly one request")
        self.assert_recovers()

    def test_malformed_answers(self):
        cases = [
            ("malformed", {}, ["token request failed", "not a json object"]),
            ("truncated", {}, ["cannot reach", "/oauth/token"]),
            ("close", {}, ["cannot reach", "/oauth/token"]),
            ("oversized", {}, ["over 1048576 bytes"]),
            ("oversized", {"no_length": True}, ["over 1048576 bytes"]),
        ]
        for fault, params, words in cases:
            with self.subTest(fault=fault, params=params):
                self.fake.set_fault("token", fault, **params)
                self.get_fails(words)
        self.assert_recovers()

    def test_stalled_answer(self):
        """A provider that stalls, then drops the connection: a bounded wait."""
        for partial in (False, True):
            with self.subTest(partial=partial):
                self.fake.set_fault("token", "stall", delay=3, partial=partial)
                started = time.monotonic()
                self.get_fails(["cannot reach", "/oauth/token"], timeout=30)
                elapsed = time.monotonic() - started
                self.assertGreater(elapsed, 2.5, "did not wait for the answer")
                self.assertLess(elapsed, 15, "waited %.1f s after the drop" % elapsed)
        self.assert_recovers()

    def test_slow_answer_is_awaited(self):
        self.fake.set_fault("token", "slow", delay=2)
        r = self.get("--non-interactive")
        self.assert_ok(r)
        self.assertNotEqual(self.stored(), self.before)

    def test_redirect_not_followed(self):
        """A 307 would re-POST the refresh token elsewhere: never followed."""
        for status in (307, 302):
            with self.subTest(status=status):
                self.fake.set_fault("token", "redirect", status=status,
                                    location=self.fake.issuer + "/redirected")
                self.get_fails(["token request failed", "http %d" % status])
                self.assertEqual(self.fake.count("redirected"), 0,
                                 "the redirect was followed")
        self.assert_recovers()

    def test_refreshed_id_token_verified(self):
        """A new ID token in a refresh answer is verified like a sign-in's.

        The refused answer's access and ID tokens are not used; its rotated
        refresh token is kept, since the provider has spent the old one.
        """
        cases = [
            ({"bad_signature": True}, ["id token refused", "signature does not verify"]),
            ({"alg": "none"}, ["alg none is refused"]),
            ({"alg": "HS256"}, ["alg hs256 is refused"]),
            ({"claims": {"aud": "someone-else"}}, ["aud does not name this client id"]),
            ({"claims": {"iss": "http://127.0.0.1:9"}}, ["iss is not the configured issuer"]),
            ({"claims": {"exp": int(time.time()) - 3600}}, ["expired"]),
        ]
        for params, words in cases:
            with self.subTest(params=params):
                before = self.stored_tokens()
                self.fake.set_fault("token", "id_token", **params)
                r = self.get("--non-interactive")
                self.assert_fails(r, words)
                after = self.stored_tokens()
                for key in ("access_token", "id_token", "expires_at"):
                    self.assertEqual(after.get(key), before.get(key),
                                     "%s of a refused answer stored" % key)
                self.assertNotEqual(after["refresh_token"], before["refresh_token"],
                                    "the rotated refresh token was dropped")
                self.assertNotIn(after["access_token"], r.stdout)
        self.assert_recovers()

    def test_rotated_keys_at_refresh(self):
        """An unknown kid at refresh: one refetch, then the refresh works."""
        self.fake.sign_with("rsa-2")
        self.fake.publish(["rsa-1", "rsa-2"])
        r = self.get("--non-interactive")
        self.assert_ok(r)
        self.assertEqual(self.fake.count("jwks"), 2)
        self.fake.sign_with("ec-1")
        self.fake.publish(["rsa-2", "ec-1"])
        self.assert_ok(self.get("--non-interactive"))
        self.assertEqual(self.fake.count("jwks"), 3)

    def test_invalid_grant_non_interactive(self):
        """invalid_grant: the tokens are forgotten, and the user is told."""
        self.fake.set_fault("token", "invalid_grant")
        r = self.get("--non-interactive")
        self.assert_fails(r, ["invalid_grant", "clerk-credential login"])
        self.assertIsNone(self.stored(), "dead tokens kept after invalid_grant")
        self.assertEqual(self.refreshes(), 1)
        self.assertEqual(len(self.browser_launches()), 1)

    def test_invalid_grant_interactive_signs_in_again(self):
        self.fake.set_fault("token", "invalid_grant", times=1)
        r = self.get()
        self.assert_ok(r)
        self.assertTrue(self.fake.is_active(h.kv_dict(r.stdout)["password"]))
        self.assertEqual(self.fake.count("authorize"), 2)
        self.assertEqual(len(self.browser_launches()), 2)
        self.assertNotEqual(self.stored(), self.before)
        self.assertIn("no longer accepts", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
