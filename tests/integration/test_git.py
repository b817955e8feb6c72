#!/usr/bin/env python3
"""git-protocol integration tests of clerk-credential against real peers.

Contract §2, §4, §5, §8, §9 and §10: git credential fill/approve/reject and the git
alias called directly, a real OpenID Provider (oidc-provider), a real
headless chromium as the user, and a real git clone over smart HTTP from a
server that asks the provider whether a token is active.

Run: CLERK_CREDENTIAL=/path/to/build/clerk-credential python3 tests/integration/test_git.py
(after `npm ci --prefix tests`). Exit status is non-zero on any failure.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

HOST = "git.example.test"
REQUEST = {"protocol": "https", "host": HOST}
SIGN_IN_TIMEOUT = 120


class ProviderCase(h.ProviderCase):
    """The git suite's shared checks on top of the harness's case."""

    def assert_ok(self, sb, result):
        self.assertEqual(result.returncode, 0, self.context(sb, result))

    def sign_in_fill(self, sb, helper_options=()):
        """git credential fill on an empty cache: signs in through the browser."""
        r = sb.credential("fill", REQUEST, helper_options, timeout=SIGN_IN_TIMEOUT)
        self.assert_ok(sb, r)
        out = h.kv_dict(r.stdout)
        self.assertTrue(out.get("password"), self.context(sb, r))
        return out, r

    def sign_in_get(self, sb, options=()):
        """The alias's get on an empty cache: signs in through the browser."""
        r = sb.helper("get", REQUEST, options, timeout=SIGN_IN_TIMEOUT)
        self.assert_ok(sb, r)
        out = h.kv_dict(r.stdout)
        self.assertTrue(out.get("password"), self.context(sb, r))
        return out, r

    def assert_expiry(self, out, ttl, result=None):
        self.assertIn("password_expiry_utc", out,
                      "no password_expiry_utc in the helper's answer")
        exp = int(out["password_expiry_utc"])
        now = time.time()
        self.assertLessEqual(exp, now + ttl + 5, "expiry later than the token's lifetime")
        self.assertGreater(exp, now + ttl - 120, "expiry much earlier than the token's lifetime")


class TestSignIn(ProviderCase):
    """Contract §5 and §8: the first get signs in through the browser."""

    def test_fill_signs_in_once(self):
        """(a) git credential fill: one browser sign-in, an active token."""
        sb = self.sandbox()
        mark = self.provider.mark()
        out, r = self.sign_in_fill(sb)
        self.assertEqual(out.get("username"), "oauth2", self.context(sb, r))
        self.assertEqual(out.get("protocol"), "https")
        self.assertEqual(out.get("host"), HOST)
        self.assertTrue(self.provider.is_active(out["password"]),
                        "the provider does not call the password an active token")
        done = sb.wait_browsers_done()
        self.assertEqual(len(sb.browser_launches()), 1, self.context(sb, r))
        self.assertEqual(done[0]["result"], "ok", self.context(sb, r))
        # The user went through the consent screen, as on Clerk.
        self.assertEqual(done[0]["consent"], ["allow"], self.context(sb, r))
        # ... and, as on Clerk, the callback carried no iss.
        self.assertNotIn("iss", done[0].get("callback_params", []))
        self.assertEqual(self.provider.count_grants(mark), {"authorization_code": 1})
        if h.git_version() >= (2, 41):
            # Older git drops password_expiry_utc from fill's output.
            self.assert_expiry(out, h.DEFAULT_ACCESS_TTL)

        # The expiry as the helper tells git (a cache hit, no second browser).
        r2 = sb.helper("get", REQUEST)
        self.assert_ok(sb, r2)
        direct = h.kv_dict(r2.stdout)
        self.assertEqual(direct.get("password"), out["password"])
        self.assertEqual(direct.get("username"), "oauth2")
        self.assert_expiry(direct, h.DEFAULT_ACCESS_TTL)
        self.assertEqual(len(sb.browser_launches()), 1)

    def test_authtype_capability(self):
        """(j) capability[]=authtype: a Bearer credential, ephemeral."""
        sb = self.sandbox()
        request = [("capability[]", "authtype"), ("protocol", "https"), ("host", HOST)]
        r = sb.helper("get", request, timeout=SIGN_IN_TIMEOUT)
        self.assert_ok(sb, r)
        pairs = h.parse_kv(r.stdout)
        keys = [k for k, _ in pairs]
        out = dict(pairs)
        for key in ("capability[]", "authtype", "credential", "ephemeral"):
            self.assertIn(key, keys, self.context(sb, r))
        self.assertEqual(out["capability[]"], "authtype")
        self.assertEqual(out["authtype"], "Bearer")
        self.assertEqual(out["ephemeral"], "1")
        self.assertNotIn("password", keys, "password= next to credential=")
        order = [keys.index(k) for k in ("capability[]", "authtype", "credential", "ephemeral")]
        self.assertEqual(order, sorted(order), "lines not in contract §5's order: %s" % keys)
        self.assertTrue(self.provider.is_active(out["credential"]))
        self.assert_expiry(out, h.DEFAULT_ACCESS_TTL)
        self.assertEqual(len(sb.browser_launches()), 1)

    def test_authtype_follows_the_challenges(self):
        """authtype=Bearer only for a server that offers Bearer (issue 12).

        git 2.47 sends one wwwauth[] line per WWW-Authenticate header; a
        Basic-only server gets the token as the password, which servers
        that take "oauth2:<token>" accept. --authtype and
        CLERK_CREDENTIAL_AUTHTYPE override the rule for servers that send
        no useful challenge.
        """
        sb = self.sandbox()
        cap = [("capability[]", "authtype"), ("capability[]", "state"),
               ("protocol", "https"), ("host", HOST)]
        basic = cap + [("wwwauth[]", 'Basic realm="git"')]
        bearer = cap + [("wwwauth[]", 'Basic realm="git"'),
                        ("wwwauth[]", 'Bearer realm="git", scope="repo"')]
        both = cap + [("wwwauth[]", 'Basic realm="a", bearer')]
        broken = cap + [("wwwauth[]", 'Basic realm="unterminated')]
        r = sb.helper("get", basic, timeout=SIGN_IN_TIMEOUT)
        self.assert_ok(sb, r)
        out = h.kv_dict(r.stdout)
        token = out.get("password")
        self.assertTrue(token, self.context(sb, r))
        self.assertEqual(out.get("username"), "oauth2")
        for key in ("authtype", "credential", "capability[]", "ephemeral"):
            self.assertNotIn(key, out, "Bearer form for a Basic-only server")
        self.assert_expiry(out, h.DEFAULT_ACCESS_TTL)
        sb.wait_browsers_done()

        mark = self.provider.mark()
        cases = [
            (bearer, (), True),
            (both, (), True),
            (broken, (), True),  # nothing usable: as when git sends none
            (basic, ("--authtype=bearer",), True),
            (cap, ("--authtype=basic",), False),
            (bearer, ("--authtype=basic",), False),
            ([("protocol", "https"), ("host", HOST)], ("--authtype=bearer",), False),
        ]
        for request, options, want_bearer in cases:
            with self.subTest(request=request, options=options):
                r = sb.helper("get", request, options)
                self.assert_ok(sb, r)
                out = h.kv_dict(r.stdout)
                if want_bearer:
                    self.assertEqual(out.get("authtype"), "Bearer", r.stdout)
                    self.assertEqual(out.get("credential"), token)
                    self.assertEqual(out.get("ephemeral"), "1")
                    self.assertNotIn("password", out)
                else:
                    self.assertEqual(out.get("password"), token)
                    self.assertNotIn("authtype", out)
                self.assertIn("password_expiry_utc", out)
        env = dict(sb.env, CLERK_CREDENTIAL_AUTHTYPE="bearer")
        r = sb.run([sb.alias, "get"], h.format_kv(basic), env=env)
        self.assert_ok(sb, r)
        self.assertEqual(h.kv_dict(r.stdout).get("authtype"), "Bearer")
        r = sb.helper("get", basic, ["--authtype=digest"])
        self.assertEqual(r.returncode, 2, h.describe(r))
        self.assertIn("authtype must be auto, bearer or basic", r.stderr)
        self.assertEqual(self.provider.count_grants(mark), {})
        self.assertEqual(len(sb.browser_launches()), 1)

    def test_denied_sign_in_quits(self):
        """(f) the user clicks Deny: non-zero exit, access_denied, quit=1."""
        sb = self.sandbox(HEADLESS_USER_MODE="deny")
        mark = self.provider.mark()
        r = sb.helper("get", REQUEST, timeout=SIGN_IN_TIMEOUT)
        self.assertNotEqual(r.returncode, 0, self.context(sb, r))
        self.assertIn("access_denied", r.stderr, self.context(sb, r))
        pairs = h.parse_kv(r.stdout)
        self.assertIn(("quit", "1"), pairs, self.context(sb, r))
        self.assertNotIn("password", dict(pairs))
        done = sb.wait_browsers_done()
        self.assertEqual(done[0]["result"], "denied", self.context(sb, r))
        self.assertEqual(done[0]["consent"], ["deny"], "Deny was not clicked on the consent screen")
        self.assertEqual(self.provider.count_grants(mark), {},
                         "a token request after a refusal")

    def test_stray_connections_do_not_end_the_wait(self):
        """(g) a wrong state, a favicon and a silent pre-connection first."""
        sb = self.sandbox(HEADLESS_USER_PRELUDE="wrong-state,favicon,preconnect")
        mark = self.provider.mark()
        out, r = self.sign_in_get(sb)
        self.assertTrue(self.provider.is_active(out["password"]))
        done = sb.wait_browsers_done()
        self.assertEqual(done[0]["result"], "ok", self.context(sb, r))
        prelude = done[0]["prelude"]
        status = prelude["wrong-state"].get("status")
        self.assertIsInstance(status, int, "wrong-state not answered: %s" % prelude)
        self.assertTrue(400 <= status < 500, "wrong state answered %s" % status)
        self.assertIsInstance(prelude["favicon"].get("status"), int,
                              "favicon request not answered: %s" % prelude)
        self.assertTrue(prelude["preconnect"].get("connected"), prelude)
        self.assertEqual(self.provider.count_grants(mark), {"authorization_code": 1})

    def test_ignored_sign_in_times_out(self):
        """(k) the user does nothing: --timeout 3 ends the wait clearly."""
        sb = self.sandbox(HEADLESS_USER_MODE="ignore")
        started = time.monotonic()
        r = sb.helper("get", REQUEST, ["--timeout=3"], timeout=30)
        elapsed = time.monotonic() - started
        self.assertNotEqual(r.returncode, 0, self.context(sb, r))
        self.assertLess(elapsed, 8, "took %.1f s with --timeout=3" % elapsed)
        self.assertGreater(elapsed, 2.5, "gave up after %.1f s with --timeout=3" % elapsed)
        self.assertRegex(r.stderr.lower(), r"timed? ?out", self.context(sb, r))
        self.assertNotIn("password", h.kv_dict(r.stdout))
        # The browser was started once; under load it may log its launch
        # only after the helper gave up, so wait for that line.
        launches = h.wait_for(sb.browser_launches, 30, interval=0.1,
                              what="the headless user's launch line")
        self.assertEqual(len(launches), 1)


class TestSignInWithIss(ProviderCase):
    """A provider that sends RFC 9207's iss (Clerk does not): it is checked."""

    provider_options = {"iss": True}

    def test_sign_in_checks_iss(self):
        sb = self.sandbox()
        mark = self.provider.mark()
        out, r = self.sign_in_get(sb)
        self.assertTrue(self.provider.is_active(out["password"]), self.context(sb, r))
        self.assertEqual(self.provider.count_grants(mark), {"authorization_code": 1})
        done = sb.wait_browsers_done()
        self.assertIn("iss", done[0].get("callback_params", []),
                      "the provider sent no iss: the test proves nothing")


class TestCache(ProviderCase):
    """Contract §5, §9, §10: cache hits, erase (reject) and store (approve)."""

    def test_second_fill_from_cache(self):
        """(b) a second fill: no browser, no request at the provider."""
        sb = self.sandbox()
        first, _ = self.sign_in_fill(sb)
        sb.wait_browsers_done()
        mark = self.provider.mark()
        r = sb.credential("fill", REQUEST)
        self.assert_ok(sb, r)
        self.assertEqual(h.kv_dict(r.stdout).get("password"), first["password"])
        self.assertEqual(len(sb.browser_launches()), 1, "a second browser for a cache hit")
        self.assertEqual(self.provider.count_grants(mark), {},
                         "a token request for a cache hit")
        self.assertEqual(self.provider.requests(mark), [],
                         "a cache hit went to the provider (contract §10: no network)")

    def test_reject_then_fill_refreshes_silently(self):
        """(d) reject drops the access token; the next fill refreshes it."""
        sb = self.sandbox()
        first, _ = self.sign_in_fill(sb)
        sb.wait_browsers_done()
        mark = self.provider.mark()
        r = sb.credential("reject", {**REQUEST, "username": "oauth2",
                                     "password": first["password"]})
        self.assert_ok(sb, r)
        r = sb.credential("fill", REQUEST)
        self.assert_ok(sb, r)
        second = h.kv_dict(r.stdout)
        self.assertTrue(second.get("password"), self.context(sb, r))
        self.assertNotEqual(second["password"], first["password"],
                            "the rejected token came back")
        self.assertTrue(self.provider.is_active(second["password"]))
        self.assertEqual(self.provider.count_grants(mark), {"refresh_token": 1})
        self.assertEqual(len(sb.browser_launches()), 1, "a browser for a refresh")

    def test_reject_of_older_token_keeps_newer(self):
        """Contract §5: an erase for an older token must not drop a newer one."""
        sb = self.sandbox()
        first, _ = self.sign_in_fill(sb)
        sb.wait_browsers_done()
        old = {**REQUEST, "username": "oauth2", "password": first["password"]}
        self.assert_ok(sb, sb.credential("reject", old))
        r = sb.credential("fill", REQUEST)
        self.assert_ok(sb, r)
        newer = h.kv_dict(r.stdout)["password"]
        self.assertNotEqual(newer, first["password"])
        mark = self.provider.mark()
        self.assert_ok(sb, sb.credential("reject", old))
        r = sb.credential("fill", REQUEST)
        self.assert_ok(sb, r)
        self.assertEqual(h.kv_dict(r.stdout).get("password"), newer,
                         "erasing the old token dropped the new one")
        self.assertEqual(self.provider.count_grants(mark), {})

    def test_approve_of_foreign_password_is_not_stored(self):
        """Contract §5: store never keeps a foreign credential."""
        sb = self.sandbox()
        first, _ = self.sign_in_fill(sb)
        sb.wait_browsers_done()
        foreign = "foreign-password-0123456789"
        r = sb.credential("approve", {**REQUEST, "username": "someone", "password": foreign})
        self.assert_ok(sb, r)
        r = sb.credential("fill", REQUEST)
        self.assert_ok(sb, r)
        self.assertEqual(h.kv_dict(r.stdout).get("password"), first["password"])
        for path in sb.home.rglob("*"):
            if path.is_file():
                self.assertNotIn(foreign.encode(), path.read_bytes(),
                                 "foreign password written to %s" % path)


class TestRejection(ProviderCase):
    """Issue 12: a client that keeps rejecting fresh tokens (git-lfs 3.6
    against a Basic-only endpoint loops fill -> 401 -> reject) must not
    turn the helper into a load generator."""

    ROUNDS = 40
    HELD = "refuses fresh tokens"

    def rejection_loop(self, sb, token, fill, reject):
        """ROUNDS of fill then reject of the last token handed out;
        (tokens handed out, stderr of every call)."""
        handed, stderr = [], ""
        for _ in range(self.ROUNDS):
            r = fill()
            stderr += r.stderr
            got = h.kv_dict(r.stdout).get("password") if r.returncode == 0 else None
            if got:
                token = got
                handed.append(got)
            r = reject(token)
            self.assert_ok(sb, r)
            stderr += r.stderr
        return handed, stderr

    def assert_bounded(self, sb, mark, handed, stderr):
        grants = self.provider.token_requests(mark)
        self.assertLessEqual(len(grants), 3, "%d token requests for %d rounds "
                             "of get and erase" % (len(grants), self.ROUNDS))
        self.assertEqual(self.provider.count_grants(mark), {"refresh_token": 1})
        self.assertEqual(len(handed), 2, "the cached token, then one refresh")
        self.assertEqual(len(sb.browser_launches()), 1, "a browser for a rejection")
        self.assertEqual(stderr.count(self.HELD), 1, stderr[-3000:])
        self.assertIn("--authtype=basic", stderr)

    def test_get_erase_loop_costs_one_refresh(self):
        """40 rounds of the alias's get then erase: one refresh, no browser."""
        sb = self.sandbox()
        first, _ = self.sign_in_get(sb)
        sb.wait_browsers_done()
        mark = self.provider.mark()
        handed, stderr = self.rejection_loop(
            sb, first["password"],
            lambda: sb.helper("get", REQUEST),
            lambda t: sb.helper("erase", {**REQUEST, "username": "oauth2", "password": t}))
        self.assertEqual(handed[0], first["password"])
        self.assert_bounded(sb, mark, handed, stderr)
        # Other tools are not held: the token command still refreshes.
        r = sb.run([sb.main, "token"])
        self.assert_ok(sb, r)
        self.assertTrue(self.provider.is_active(r.stdout.strip()))

    def test_fill_reject_loop_costs_one_refresh(self):
        """40 rounds of git credential fill then reject: the same bound."""
        sb = self.sandbox()
        first, _ = self.sign_in_fill(sb)
        sb.wait_browsers_done()
        mark = self.provider.mark()
        handed, stderr = self.rejection_loop(
            sb, first["password"],
            lambda: sb.credential("fill", REQUEST),
            lambda t: sb.credential("reject", {**REQUEST, "username": "oauth2",
                                               "password": t}))
        self.assertEqual(handed[0], first["password"])
        self.assert_bounded(sb, mark, handed, stderr)


class TestHostRule(ProviderCase):
    """Contract §4: a token goes only to hosts the user named."""

    def test_unlisted_host_gets_nothing(self):
        """(e) a host not in the list: no output, exit 0, even when signed in."""
        sb = self.sandbox()
        mark = self.provider.mark()
        r = sb.helper("get", {"protocol": "https", "host": "evil.example"})
        self.assertEqual((r.returncode, r.stdout), (0, ""), self.context(sb, r))
        self.assertEqual(sb.browser_launches(), [], "a sign-in for an unlisted host")
        self.assertEqual(self.provider.requests(mark), [])

        self.sign_in_get(sb)
        sb.wait_browsers_done()
        for request in ({"protocol": "https", "host": "evil.example"},
                        {"protocol": "https", "host": HOST + ".evil.example"},
                        {"protocol": "http", "host": HOST},
                        {"url": "https://evil.example/repo.git"}):
            r = sb.helper("get", request)
            self.assertEqual((r.returncode, r.stdout), (0, ""),
                             "%s\n%s" % (request, self.context(sb, r)))
        # Through git: our helper gives nothing, git has no other way to ask.
        r = sb.credential("fill", {"protocol": "https", "host": "evil.example"}, timeout=30)
        self.assertNotEqual(r.returncode, 0, self.context(sb, r))
        self.assertNotIn("password=", r.stdout)
        self.assertEqual(len(sb.browser_launches()), 1)

    def test_wildcard_host_pattern(self):
        """Contract §4: *.example.test matches subdomains only."""
        sb = self.sandbox(hosts=("*.example.test",))
        out, _ = self.sign_in_get(sb)
        sb.wait_browsers_done()
        r = sb.helper("get", {"protocol": "https", "host": "a.b.example.test"})
        self.assert_ok(sb, r)
        self.assertEqual(h.kv_dict(r.stdout).get("password"), out["password"])
        for host in ("example.test", "example.test.evil.example", "evilexample.test"):
            r = sb.helper("get", {"protocol": "https", "host": host})
            self.assertEqual((r.returncode, r.stdout), (0, ""), "%s\n%s" % (host, h.describe(r)))

    def test_no_host_list_says_how_to_set_one(self):
        """Contract §4: with no host list, nothing on stdout and one hint on stderr."""
        sb = self.sandbox(hosts=())
        r = sb.helper("get", REQUEST)
        self.assertEqual((r.returncode, r.stdout), (0, ""), self.context(sb, r))
        self.assertIn("host", r.stderr.lower(), self.context(sb, r))
        self.assertEqual(sb.browser_launches(), [])


class TestConcurrency(ProviderCase):
    """Contract §11: N concurrent cache misses open exactly one browser."""

    def test_concurrent_gets_open_one_browser(self):
        """(h) 16 gets at once on an empty cache."""
        sb = self.sandbox(HEADLESS_USER_DELAY_MS=1000)
        mark = self.provider.mark()
        procs = sb.spawn_helpers(16, "get", REQUEST)

        def second_browser():
            n = len(sb.browser_launches())
            return "%d browser launches for one sign-in" % n if n > 1 else None
        results = sb.wait_helpers(procs, SIGN_IN_TIMEOUT, abort_if=second_browser)
        failures = ["exit %s: %s" % (code, err) for code, _, err in results if code]
        passwords = {h.kv_dict(out).get("password") for _, out, _ in results}
        self.assertEqual(failures, [], self.context(sb))
        self.assertEqual(len(passwords), 1, "different answers: %d" % len(passwords))
        self.assertTrue(next(iter(passwords)))
        self.assertEqual(len(sb.browser_launches()), 1, self.context(sb))
        self.assertEqual(self.provider.count_grants(mark), {"authorization_code": 1})
        self.assertTrue(self.provider.is_active(passwords.pop()))


class TestRefresh(ProviderCase):
    """Contract §9: refresh before expiry, without a browser (40 s tokens)."""

    provider_options = {"access_ttl": 40}

    def test_expiring_token_is_refreshed(self):
        """(c) within the refresh margin: one refresh_token grant."""
        sb = self.sandbox()
        first, _ = self.sign_in_fill(sb)
        sb.wait_browsers_done()
        mark = self.provider.mark()
        # A 40 s token is always inside a 45 s margin.
        r = sb.credential("fill", REQUEST, ["--refresh-margin=45"])
        self.assert_ok(sb, r)
        second = h.kv_dict(r.stdout)
        self.assertTrue(second.get("password"), self.context(sb, r))
        self.assertNotEqual(second["password"], first["password"], "not refreshed")
        self.assertTrue(self.provider.is_active(second["password"]))
        self.assertEqual(self.provider.count_grants(mark), {"refresh_token": 1})
        self.assertEqual(self.provider.events("grant.revoked", mark), [])
        self.assertEqual(len(sb.browser_launches()), 1, "a browser for a refresh")
        # With the default margin the refreshed token is a cache hit.
        r = sb.helper("get", REQUEST)
        self.assert_ok(sb, r)
        third = h.kv_dict(r.stdout)
        self.assertEqual(third.get("password"), second["password"])
        self.assert_expiry(third, 40)
        self.assertEqual(self.provider.count_grants(mark), {"refresh_token": 1})

    def test_concurrent_gets_at_expiry_refresh_once(self):
        """Contract §11: 16 gets at expiry make exactly one refresh request."""
        sb = self.sandbox()
        first, _ = self.sign_in_get(sb)
        sb.wait_browsers_done()
        exp = int(first["password_expiry_utc"])
        # Old token inside a 35 s margin, a fresh 40 s token outside it.
        h.wait_for(lambda: exp - time.time() < 33, 20, interval=0.2,
                   what="the token to come within 33 s of expiry")
        mark = self.provider.mark()
        procs = sb.spawn_helpers(16, "get", REQUEST, ["--refresh-margin=35"])

        def second_refresh():
            n = len(self.provider.token_requests(mark))
            return "%d token requests for one refresh" % n if n > 1 else None
        results = sb.wait_helpers(procs, 60, abort_if=second_refresh)
        failures = ["exit %s: %s" % (code, err) for code, _, err in results if code]
        passwords = {h.kv_dict(out).get("password") for _, out, _ in results}
        self.assertEqual(failures, [], self.context(sb))
        self.assertEqual(len(passwords), 1, "different answers: %d" % len(passwords))
        new = passwords.pop()
        self.assertNotEqual(new, first["password"], "not refreshed")
        self.assertEqual(self.provider.count_grants(mark), {"refresh_token": 1})
        self.assertEqual(self.provider.events("grant.revoked", mark), [],
                         "refresh token reused: the provider revoked the grant")
        self.assertTrue(self.provider.is_active(new))
        self.assertEqual(len(sb.browser_launches()), 1)


class TestGitClone(ProviderCase):
    """Contract §16: a real git clone over smart HTTP with the helper."""

    @classmethod
    def set_up_class(cls):
        super().set_up_class()
        root = cls.workdir / "repos"
        h.make_bare_repo(root)
        cls.server = cls._stack.enter_context(
            h.GitServer(cls.workdir, root, cls.provider.issuer))

    def test_clone_with_helper(self):
        """(i) git clone signs in once; a second clone uses the cache."""
        sb = self.sandbox(hosts=(self.server.host,))
        url = self.server.url + "/repo.git"
        r = sb.git(["clone", "-q", url, str(sb.dir / "clone1")], timeout=SIGN_IN_TIMEOUT)
        self.assertEqual(r.returncode, 0, "%s\n--- git server ---\n%s" % (
            self.context(sb, r), self.server.stderr_tail()))
        self.assertTrue((sb.dir / "clone1" / "README").is_file())
        self.assertEqual(len(sb.browser_launches()), 1)
        self.assertTrue(any(e["auth"] == "ok" for e in self.server.entries()))
        sb.wait_browsers_done()

        mark = self.provider.mark()
        r = sb.git(["clone", "-q", url, str(sb.dir / "clone2")])
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertEqual(len(sb.browser_launches()), 1)
        self.assertEqual(self.provider.count_grants(mark), {})

    def test_revoked_token_costs_one_refresh(self):
        """A token revoked at the provider: the server refuses it, git
        erases it, and the next clone works after exactly one refresh.
        A JWT access token outlives its revocation at a resource server
        that checks it locally (as Clerk's do), so the server is told to
        refuse it too, as one that learns of revocations would."""
        sb = self.sandbox(hosts=(self.server.host,))
        url = self.server.url + "/repo.git"
        r = sb.git(["clone", "-q", url, str(sb.dir / "clone1")], timeout=SIGN_IN_TIMEOUT)
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        sb.wait_browsers_done()
        request = {"protocol": "http", "host": self.server.host}
        old = h.kv_dict(sb.helper("get", request).stdout)["password"]
        self.provider.revoke(old)
        self.assertFalse(self.provider.is_active(old))
        self.server.refuse(old)
        mark = self.provider.mark()
        served = len(self.server.entries())
        r = sb.git(["clone", "-q", url, str(sb.dir / "clone2")])
        self.assertNotEqual(r.returncode, 0, h.describe(r))
        self.assertTrue(any(e["auth"] == "inactive"
                            for e in self.server.entries()[served:]))
        r = sb.git(["clone", "-q", url, str(sb.dir / "clone3")])
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertNotIn("refuses fresh tokens", r.stderr)
        self.assertEqual(self.provider.count_grants(mark), {"refresh_token": 1})
        self.assertEqual(len(sb.browser_launches()), 1)

    def test_clone_with_bogus_password_fails(self):
        """(i) the server refuses a token the provider does not know."""
        sb = self.sandbox(hosts=(self.server.host,))
        mark = len(self.server.entries())
        url = self.server.url.replace("http://", "http://oauth2:bogus@") + "/repo.git"
        r = sb.run(["git", "-c", "credential.helper=", "clone", "-q", url,
                    str(sb.dir / "clone")], timeout=60)
        self.assertNotEqual(r.returncode, 0, h.describe(r))
        self.assertIn("Authentication failed", r.stderr)
        self.assertFalse((sb.dir / "clone" / "README").exists())
        self.assertTrue(any(e["auth"] == "inactive" for e in self.server.entries()[mark:]))
        self.assertEqual(sb.browser_launches(), [])


if __name__ == "__main__":
    sys.exit(h.run_tests("test_git.py"))
