#!/usr/bin/env python3
"""TLS on the way to the provider (SPEC 7).

The real helper signs in against tests/peers/fake_provider.py, a FAKE
provider, served over https with certificates that tests/peers/tls_ca.py
makes with openssl at test time, and with tests/peers/fake-browser-follow.py,
a FAKE browser that follows the authorization redirect back to the loopback
listener.

- A TLS failure on discovery (untrusted self-signed certificate, a TLS
  version below 1.2) stops the sign-in with a clear message; Clerk's
  fallback paths are not taken and no browser starts.

Run: CLERK_CREDENTIAL=build/clerk-credential python3 tests/integration/test_network.py
"""

import contextlib
import ssl
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "peers"))
import harness as h  # noqa: E402
from fake_provider import CLIENT_ID, FakeProvider  # noqa: E402
from tls_ca import TlsCA  # noqa: E402

FAKE_BROWSER = HERE.parent / "peers" / "fake-browser-follow.py"
HOST = "git.example.test"
REQUEST = {"protocol": "https", "host": HOST}
RUN_TIMEOUT = 60

# What the caller's environment may hold that steers TLS or proxies: every
# test starts without them and sets what it means to test.
NETWORK_VARS = ("CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR",
                "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY",
                "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")


class NetworkCase(unittest.TestCase):
    """One CA per class; a fresh provider and sandboxed user per test."""

    @classmethod
    def setUpClass(cls):
        h.helper_paths()
        cls._stack = contextlib.ExitStack()
        cls.workdir = Path(cls._stack.enter_context(
            tempfile.TemporaryDirectory(prefix="clerk-network-")))
        cls.ca = cls._stack.enter_context(TlsCA())

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def provider(self, cert=None, host="127.0.0.1", max_version=None):
        """A fake provider, over https when @cert is a (cert, key) pair."""
        tls = TlsCA.server_context(*cert, max_version) if cert else None
        fake = FakeProvider(client_id=CLIENT_ID, tls=tls, host=host).start()
        self.addCleanup(fake.stop)
        return fake

    def sandbox(self, issuer, **extra):
        env = {k: None for k in NETWORK_VARS}
        env.update(extra)
        sb = h.Sandbox(self.workdir, issuer, hosts=(HOST,),
                       BROWSER=str(FAKE_BROWSER), FAKE_BROWSER_CA=self.ca.cert,
                       **env)
        sb.env["FAKE_BROWSER_LOG"] = str(sb.dir / "fake-browser.log")
        self.addCleanup(sb.cleanup)
        return sb

    def login(self, sb, *options, timeout=RUN_TIMEOUT):
        return sb.run([sb.main, "--timeout=20", *options, "login"],
                      timeout=timeout)

    def browser_log(self, sb):
        return h.read_json_lines(sb.env["FAKE_BROWSER_LOG"])

    def assert_signed_in(self, sb, result, fake):
        context = "%s\n--- browser ---\n%s\n--- provider ---\n%s" % (
            h.describe(result), self.browser_log(sb),
            [(r["endpoint"], r["method"]) for r in fake.requests()])
        self.assertEqual(result.returncode, 0, context)
        self.assertIn("signed in", result.stderr, context)
        self.assertEqual(fake.count("token", grant_type="authorization_code"),
                         1, context)
        self.assertEqual([e.get("status") for e in self.browser_log(sb)
                          if e.get("event") == "done"], [200], context)

    def assert_tls_refused(self, sb, result, fake):
        """Stopped at discovery: the message, no fallback, no browser."""
        context = "%s\n--- browser ---\n%s" % (h.describe(result),
                                              self.browser_log(sb))
        self.assertEqual(result.returncode, 1, context)
        self.assertIn("TLS with %s/.well-known/openid-configuration failed"
                      % fake.issuer, result.stderr, context)
        self.assertIn("private CA", result.stderr, context)
        self.assertNotIn("fixed paths", result.stderr, context)
        # Not started at all: the fake browser logs even a refused URL.
        self.assertEqual(self.browser_log(sb), [], context)
        self.assertEqual(fake.count(), 0, context)


class TlsFailure(NetworkCase):
    """A certificate, name or version error is not "unreachable"."""

    def test_self_signed_issuer_stops_the_sign_in(self):
        fake = self.provider(self.ca.self_signed("127.0.0.1", ["IP:127.0.0.1"]))
        sb = self.sandbox(fake.issuer)
        self.assert_tls_refused(sb, self.login(sb), fake)

    def test_old_tls_version_stops_the_sign_in(self):
        fake = self.provider(self.ca.self_signed("127.0.0.1", ["IP:127.0.0.1"]),
                             max_version=ssl.TLSVersion.TLSv1_1)
        sb = self.sandbox(fake.issuer)
        self.assert_tls_refused(sb, self.login(sb), fake)

    def test_git_get_reports_tls_and_starts_no_browser(self):
        fake = self.provider(self.ca.self_signed("127.0.0.1", ["IP:127.0.0.1"]))
        sb = self.sandbox(fake.issuer)
        r = sb.helper("get", REQUEST, ["--timeout=20"], RUN_TIMEOUT)
        self.assert_tls_refused(sb, r, fake)
        self.assertEqual(r.stdout, "")


if __name__ == "__main__":
    sys.exit(h.run_tests("test_network.py"))
