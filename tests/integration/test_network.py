#!/usr/bin/env python3
"""TLS, CA certificates and proxies on the way to the provider (contract §8).

The real helper signs in against tests/peers/fake_provider.py, a FAKE
provider, served over https with certificates that tests/peers/tls_ca.py
makes with openssl at test time, and with tests/peers/fake-browser-follow.py,
a FAKE browser that follows the authorization redirect back to the loopback
listener. A company network is played by tests/peers/connect_proxy.py, a
CONNECT proxy that counts its tunnels and routes every host name to
127.0.0.1: the provider's name (idp.test) resolves nowhere else, so a
request that did not go through the proxy cannot reach it.

- A TLS failure on discovery (untrusted self-signed certificate, wrong host
  name, a TLS version below 1.2) stops the sign-in with a message naming
  ca_file and CURL_CA_BUNDLE; Clerk's fallback paths are not taken and no
  browser starts.
- ca_file (option, environment, config file) and the variables curl's tool
  reads (CURL_CA_BUNDLE, else SSL_CERT_DIR and SSL_CERT_FILE), ca_file
  first.
- https_proxy / HTTPS_PROXY carry discovery, keys, token, userinfo,
  revocation and the device flow; no_proxy is honoured; loopback never
  goes through a proxy, whatever the proxy variables say.

Run: CLERK_CREDENTIAL=build/clerk-credential python3 tests/integration/test_network.py
"""

import json
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "peers"))
import harness as h  # noqa: E402
from connect_proxy import ConnectProxy  # noqa: E402
from fake_provider import CLIENT_ID, FakeProvider  # noqa: E402
from tls_ca import TlsCA  # noqa: E402

FAKE_BROWSER = HERE.parent / "peers" / "fake-browser-follow.py"
FAKE_DEVICE = HERE.parent / "peers" / "fake_device_provider.py"
HOST = "git.example.test"
REQUEST = {"protocol": "https", "host": HOST}
RUN_TIMEOUT = 60
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

# What the caller's environment may hold that steers TLS or proxies: every
# test starts without them and sets what it means to test.
NETWORK_VARS = ("CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR",
                "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY",
                "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")


class NetworkCase(h.WorkdirCase):
    """One CA per class; a fresh provider and sandboxed user per test."""

    workdir_prefix = "clerk-network-"

    @classmethod
    def set_up_class(cls):
        cls.ca = cls._stack.enter_context(TlsCA())
        cls.loopback_cert = cls.ca.issue("127.0.0.1", ["IP:127.0.0.1"])
        cls.idp_cert = cls.ca.issue("idp.test", ["DNS:idp.test"])

    def provider(self, cert=None, host="127.0.0.1", max_version=None):
        """A fake provider, over https when @cert is a (cert, key) pair."""
        tls = TlsCA.server_context(*cert, max_version) if cert else None
        fake = FakeProvider(client_id=CLIENT_ID, tls=tls, host=host).start()
        self.addCleanup(fake.stop)
        return fake

    def proxy(self):
        proxy = ConnectProxy().start()
        self.addCleanup(proxy.stop)
        return proxy

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
        self.assertIn("ca_file", result.stderr, context)
        self.assertIn("CURL_CA_BUNDLE", result.stderr, context)
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

    def test_wrong_host_name_stops_the_sign_in(self):
        fake = self.provider(self.ca.issue("other.test", ["DNS:other.test"]))
        sb = self.sandbox(fake.issuer, CLERK_CREDENTIAL_CA_FILE=self.ca.cert)
        r = self.login(sb)
        self.assert_tls_refused(sb, r, fake)

    def test_old_tls_version_stops_the_sign_in(self):
        fake = self.provider(self.loopback_cert,
                             max_version=ssl.TLSVersion.TLSv1_1)
        sb = self.sandbox(fake.issuer, CLERK_CREDENTIAL_CA_FILE=self.ca.cert)
        self.assert_tls_refused(sb, self.login(sb), fake)

    def test_git_get_reports_tls_and_starts_no_browser(self):
        fake = self.provider(self.ca.self_signed("127.0.0.1", ["IP:127.0.0.1"]))
        sb = self.sandbox(fake.issuer)
        r = sb.helper("get", REQUEST, ["--timeout=20"], RUN_TIMEOUT)
        self.assert_tls_refused(sb, r, fake)
        self.assertEqual(r.stdout, "")


class CaFile(NetworkCase):
    """A private CA: ca_file, then curl's variables."""

    def setUp(self):
        self.fake = self.provider(self.loopback_cert)

    def test_untrusted_without_a_ca(self):
        sb = self.sandbox(self.fake.issuer)
        self.assert_tls_refused(sb, self.login(sb), self.fake)

    def test_ca_file_option(self):
        sb = self.sandbox(self.fake.issuer)
        r = self.login(sb, "--ca-file=%s" % self.ca.cert)
        self.assert_signed_in(sb, r, self.fake)
        # The refresh and the logout use it too.
        token = sb.home / ".local/state/clerk-credential/tokens-default.json"
        data = json.loads(token.read_text())
        data["expires_at"] = 1
        token.write_text(json.dumps(data))
        for d in (sb.runtime / "clerk-credential",):
            shutil.rmtree(d, ignore_errors=True)
        r = sb.helper("get", REQUEST, ["--ca-file", str(self.ca.cert)])
        self.assertEqual(r.returncode, 0, h.describe(r))
        self.assertIn("password=", r.stdout)
        self.assertEqual(self.fake.count("token", grant_type="refresh_token"), 1)
        r = sb.run([sb.main, "--ca-file", str(self.ca.cert), "logout"])
        self.assertEqual(r.returncode, 0, h.describe(r))
        self.assertGreaterEqual(self.fake.count("revoke"), 1, h.describe(r))

    def test_ca_file_environment(self):
        sb = self.sandbox(self.fake.issuer, CLERK_CREDENTIAL_CA_FILE=self.ca.cert)
        self.assert_signed_in(sb, self.login(sb), self.fake)

    def test_ca_file_in_a_profile_of_the_config_file(self):
        sb = self.sandbox(self.fake.issuer)
        conf = sb.home / ".config" / "clerk-credential"
        conf.mkdir(parents=True)
        (conf / "config.json").write_text(json.dumps({
            "ca_file": "/nonexistent/top-level.pem",
            "profiles": {"work": {"ca_file": str(self.ca.cert)}}}))
        self.assert_signed_in(sb, self.login(sb, "--profile=work"), self.fake)
        r = self.login(sb, "--profile=other")
        self.assertEqual(r.returncode, 2, h.describe(r))
        self.assertIn("/nonexistent/top-level.pem", r.stderr)

    def test_ca_file_that_cannot_be_read(self):
        sb = self.sandbox(self.fake.issuer)
        r = self.login(sb, "--ca-file=%s" % (sb.dir / "missing.pem"))
        self.assertEqual(r.returncode, 2, h.describe(r))
        self.assertIn("missing.pem", r.stderr)
        self.assertIn("ca_file", r.stderr)
        self.assertEqual(self.browser_log(sb), [])

    def test_curl_ca_bundle(self):
        sb = self.sandbox(self.fake.issuer, CURL_CA_BUNDLE=self.ca.cert)
        self.assert_signed_in(sb, self.login(sb), self.fake)

    def test_ssl_cert_file(self):
        sb = self.sandbox(self.fake.issuer, SSL_CERT_FILE=self.ca.cert)
        self.assert_signed_in(sb, self.login(sb), self.fake)

    def test_ssl_cert_dir(self):
        certs = self.workdir / "certs-dir"
        certs.mkdir(exist_ok=True)
        shutil.copy(self.ca.cert, certs / "test-ca.pem")
        subprocess.run(["openssl", "rehash", str(certs)], check=True)
        sb = self.sandbox(self.fake.issuer, SSL_CERT_DIR=certs)
        self.assert_signed_in(sb, self.login(sb), self.fake)

    def test_curl_ca_bundle_comes_before_ssl_cert_file(self):
        sb = self.sandbox(self.fake.issuer, CURL_CA_BUNDLE=SYSTEM_BUNDLE,
                          SSL_CERT_FILE=self.ca.cert)
        self.assert_tls_refused(sb, self.login(sb), self.fake)

    def test_ca_file_comes_before_the_environment(self):
        sb = self.sandbox(self.fake.issuer, CURL_CA_BUNDLE=SYSTEM_BUNDLE,
                          SSL_CERT_FILE=SYSTEM_BUNDLE,
                          CLERK_CREDENTIAL_CA_FILE=self.ca.cert)
        self.assert_signed_in(sb, self.login(sb), self.fake)


class Proxy(NetworkCase):
    """A company proxy in front of an https provider with a private CA."""

    def idp(self):
        return self.provider(self.idp_cert, host="idp.test")

    def test_whole_sign_in_through_the_proxy_with_the_ca_file(self):
        fake, proxy = self.idp(), self.proxy()
        sb = self.sandbox(fake.issuer, https_proxy=proxy.url)
        r = self.login(sb, "--ca-file=%s" % self.ca.cert)
        self.assert_signed_in(sb, r, fake)
        # Discovery, keys, token and userinfo went through the proxy (the
        # browser's authorization request too): idp.test is nowhere else.
        for endpoint in ("discovery", "jwks", "token", "userinfo"):
            self.assertGreaterEqual(fake.count(endpoint), 1, endpoint)
        self.assertEqual(len(proxy.connects()), fake.count(),
                         (proxy.connects(), fake.requests()))
        self.assertEqual(set(proxy.connects()),
                         {fake.issuer[len("https://"):]})
        before = len(proxy.connects())
        r = sb.run([sb.main, "--ca-file", str(self.ca.cert), "logout"])
        self.assertEqual(r.returncode, 0, h.describe(r))
        self.assertGreaterEqual(fake.count("revoke"), 1, h.describe(r))
        self.assertGreater(len(proxy.connects()), before)

    def test_upper_case_https_proxy(self):
        fake, proxy = self.idp(), self.proxy()
        sb = self.sandbox(fake.issuer, HTTPS_PROXY=proxy.url,
                          CLERK_CREDENTIAL_CA_FILE=self.ca.cert)
        self.assert_signed_in(sb, self.login(sb), fake)
        self.assertEqual(len(proxy.connects()), fake.count())

    def test_no_proxy_is_honoured(self):
        fake, proxy = self.idp(), self.proxy()
        sb = self.sandbox(fake.issuer, https_proxy=proxy.url,
                          no_proxy="example.com,idp.test",
                          CLERK_CREDENTIAL_CA_FILE=self.ca.cert)
        r = self.login(sb, "--timeout=2")
        self.assertNotEqual(r.returncode, 0, h.describe(r))
        self.assertIn("cannot reach %s" % fake.issuer, r.stderr)
        self.assertEqual(proxy.connects(), [])
        self.assertEqual(fake.count(), 0)

    def test_device_flow_through_the_proxy(self):
        proxy = self.proxy()
        cert, key = self.idp_cert
        log = self.workdir / "device.log"
        proc = subprocess.Popen(
            [sys.executable, str(FAKE_DEVICE), "--script", "pending,ok",
             "--cert", str(cert), "--key", str(key), "--host", "idp.test",
             "--log", str(log)],
            stdout=subprocess.PIPE, text=True)
        self.addCleanup(proc.wait, 10)
        self.addCleanup(proc.terminate)
        ready = proc.stdout.readline().split()
        self.assertEqual(ready[:1], ["ready"])
        issuer = ready[1]
        sb = self.sandbox(issuer, https_proxy=proxy.url,
                          CLERK_CREDENTIAL_CA_FILE=self.ca.cert)
        r = self.login(sb, "--flow=device")
        self.assertEqual(r.returncode, 0, h.describe(r))
        paths = [e["path"] for e in h.read_json_lines(log)]
        self.assertEqual(paths[:2], ["/.well-known/openid-configuration",
                                     "/oauth/device_authorization"])
        self.assertEqual(paths.count("/oauth/token"), 2, paths)
        self.assertEqual(len(proxy.connects()), len(paths),
                         (proxy.connects(), paths))

    def test_loopback_never_goes_through_a_proxy(self):
        fake, proxy = self.provider(), self.proxy()
        every = {k: proxy.url for k in ("https_proxy", "HTTPS_PROXY",
                                        "http_proxy", "HTTP_PROXY",
                                        "all_proxy", "ALL_PROXY")}
        sb = self.sandbox(fake.issuer, **every)
        self.assert_signed_in(sb, self.login(sb), fake)
        self.assertEqual(proxy.connects(), [])
        self.assertEqual(proxy.refused(), [])


if __name__ == "__main__":
    sys.exit(h.run_tests("test_network.py"))
