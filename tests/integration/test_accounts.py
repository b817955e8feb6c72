#!/usr/bin/env python3
"""Several accounts: host routing, protected resource metadata, resource
indicators, step-up and account switching, against the real peers.

Contract §3 (profiles, host routing) and §4 (the host rule). Two real
providers (tests/peers/provider.js, clients client-a and client-b), the
headless browser, the token-checking git server and registry front (each
asking its own provider whose token came, --introspect), Debian's
docker-registry and skopeo. No --profile and no CLERK_PROFILE anywhere
unless a test says so: the request's host picks the profile.

- Routing: skopeo copies an image to two registries, one claimed by each
  profile; each registry sees its own provider's token, and so does every
  protocol (git, docker, Terraform, Bazel, kubectl, Cargo); `status` names the
  profile of each claimed host and the account of each profile; `whoami`;
  a host claimed by two sections is a configuration error naming both;
  `logout --profile b` leaves a alone.
- Discovery (RFC 9728): a git server no section claims points at its
  metadata, which names b's issuer: git's get (challenge in wwwauth[]) is
  answered with b's token; metadata naming no configured issuer gets no
  token (not even the default profile's); metadata for another origin is
  ignored; a profile with a
  `resource` (RFC 8707) gets a token for that audience.
- Step-up: insufficient_scope after git's erase starts exactly one sign-in
  for the wider scope, never a loop.
- Switching: with a browser that keeps its session, `login` signs in
  silently as the same user; `login --switch` shows the login form.

Real git sends the server's challenges (wwwauth[]) only from 2.41 on; the
real-git cases skip with the reason printed on older git, the protocol
transcripts run everywhere. The skopeo case skips when skopeo or
docker-registry is missing.

Run: CLERK_CREDENTIAL=/path/to/build/clerk-credential \\
    python3 tests/integration/test_accounts.py
"""

import base64
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402
import test_clients as tc  # noqa: E402

SIGN_IN_TIMEOUT = 120
CLIENT_A = "client-a"
CLIENT_B = "client-b"
# Scopes the helper asks for by default (contract §3).
DEFAULT_SCOPES = {"openid", "profile", "email", "offline_access"}
# git sends wwwauth[] to helpers from 2.41 on.
GIT_WWWAUTH = (2, 41)


def skip_note(reason):
    """Skip with the reason printed (never silently)."""
    print("SKIP: %s" % reason, file=sys.stderr, flush=True)
    raise unittest.SkipTest(reason)


def claims(token):
    """The payload of a JWT access token (not verified: the servers do)."""
    if not token:
        raise AssertionError("no token was handed out")
    parts = token.split(".")
    if len(parts) != 3:
        raise AssertionError("not a JWT access token")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def audiences(c):
    aud = c.get("aud")
    return aud if isinstance(aud, list) else [aud]


def names(text, profile):
    """Whether text names profile as a word of its own ('a', not 'ab')."""
    return re.search(r"(?<![\w.-])%s(?![\w.-])" % re.escape(profile), text) is not None


# --- what status --json says about several accounts --------------------------
# The member names of the new parts of `status --json` may still change:
# these two functions are the one place that reads them, tolerantly.

def _walk(node):
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def json_routes(status, host):
    """The profiles status --json ties host to (a set): from a member
    {host: profile} anywhere, an object {profile: {... host ...}} or an
    object naming a profile ("profile" or "name") that holds host as a
    value or in a list. The top level's own "profile" (the profile in use)
    counts only for what it lists outside its sections."""
    out = set()
    for node in _walk(status):
        if not isinstance(node, dict):
            continue
        if isinstance(node.get(host), str):
            out.add(node[host])
        for key, value in node.items():
            if isinstance(value, dict) and (
                    host in value.values()
                    or any(isinstance(v, list) and host in v for v in value.values())):
                if not any(isinstance(value.get(k), str) for k in ("profile", "name")):
                    out.add(key)
        holds = host in node.values() or any(
            isinstance(v, list) and host in v for v in node.values())
        if holds:
            for k in ("profile", "name"):
                if isinstance(node.get(k), str):
                    out.add(node[k])
                    break
    return out


def json_account(status, profile):
    """The account (a dict with sub/email/name) status --json names for
    profile, or None: an object naming the profile (member "profile" or
    "name", or the key it sits under) that holds such a dict."""
    def account_in(node):
        for n in _walk(node):
            if isinstance(n, dict) and isinstance(n.get("sub"), str) \
                    and ("email" in n or "name" in n):
                return n
        return None

    for node in _walk(status):
        if not isinstance(node, dict):
            continue
        if node.get("profile") == profile or node.get("name") == profile:
            found = account_in({k: v for k, v in node.items()})
            if found:
                return found
        sub = node.get(profile)
        if isinstance(sub, dict):
            found = account_in(sub)
            if found:
                return found
    return None


# --- the shared set-up --------------------------------------------------------

class AccountsCase(h.WorkdirCase):
    """Providers of the class (one per client id), a fresh user per test
    with no issuer, client or hosts in the environment: only the config
    file decides."""

    workdir_prefix = "clerk-accounts-"
    # {client_id: Provider keyword arguments}
    providers = {CLIENT_A: {}, CLIENT_B: {}}

    @classmethod
    def check_class(cls):
        h.check_prerequisites()
        h.helper_paths()

    @classmethod
    def set_up_class(cls):
        cls.started = h.start_providers(cls._stack, cls.workdir,
                                        list(cls.providers), **cls.providers)
        cls.pa = cls.started[0]
        cls.pb = cls.started[1] if len(cls.started) > 1 else None
        cls.set_up_peers()

    @classmethod
    def set_up_peers(cls):
        """Further peers of the class, on cls._stack."""

    def sandbox(self, config, **extra):
        """A fresh user whose config file is config (a dict)."""
        sb = h.Sandbox(self.workdir, self.pa.issuer, hosts=(),
                       CLERK_ISSUER=None, CLERK_OAUTH_CLIENT_ID=None, **extra)

        def finish():
            try:
                sb.wait_browsers_done(timeout=15)
            except AssertionError:
                pass
            sb.cleanup()
        self.addCleanup(finish)
        self.write_config(sb, config)
        bindir = str(Path(sb.main).parent)
        # docker-credential-clerk for skopeo.
        sb.env["PATH"] = bindir + os.pathsep + sb.env.get("PATH", "")
        return sb

    @staticmethod
    def write_config(sb, config):
        d = sb.home / ".config" / "clerk-credential"
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = d / "config.json"
        path.write_text(json.dumps(config, indent=2))
        path.chmod(0o600)
        return path

    def profile(self, provider, hosts=None, **more):
        out = {"issuer": provider.issuer, "client_id": provider.client_id}
        if hosts is not None:
            out["hosts"] = list(hosts)
        out.update(more)
        return out

    def run_env(self, sb, argv, timeout=SIGN_IN_TIMEOUT, stdin="", **env):
        full = dict(sb.env)
        for k, v in env.items():
            if v is None:
                full.pop(k, None)
            else:
                full[k] = str(v)
        return sb.run(argv, stdin, timeout=timeout, env=full)

    def git_get(self, sb, host, wwwauth=(), capability=True, **env):
        """git-credential-clerk get for http://host, as git ≥ 2.46 asks."""
        pairs = [("protocol", "http"), ("host", host)]
        if capability:
            pairs.append(("capability[]", "authtype"))
        pairs += [("wwwauth[]", w) for w in wwwauth]
        return self.run_env(sb, [sb.alias, "get"], stdin=h.format_kv(pairs), **env)

    @staticmethod
    def token_of(result):
        kv = h.kv_dict(result.stdout)
        return kv.get("credential") or kv.get("password")

    def context(self, sb, result=None):
        parts = [h.describe(result)] if result is not None else []
        parts.append("--- headless user ---\n%s" % "\n".join(
            map(str, sb.browser_entries())))
        for p in self.started:
            parts.append("--- %s stderr (tail) ---\n%s" % (p.client_id, p.stderr_tail(800)))
        return "\n".join(parts)

    def assert_ok(self, sb, r, what):
        self.assertEqual(r.returncode, 0, "%s\n%s" % (what, self.context(sb, r)))

    def assert_no_new_sign_in(self, sb, launches, what):
        self.assertEqual(len(sb.browser_launches()), launches,
                         "%s: a sign-in started\n%s" % (what, self.context(sb)))


# --- routing by host ------------------------------------------------------------

class TestRouting(AccountsCase):
    """Profiles a and b claim one registry each; the user signs in to each
    through the tool that needs it. The tests run in name order and share
    the user: test_1 signs in (through skopeo, or `login --profile` when
    skopeo is missing), the others use what it left."""

    user = None

    @classmethod
    def set_up_peers(cls):
        cls.have_skopeo = bool(shutil.which("skopeo") and shutil.which("docker-registry"))
        cls.fronts = []
        if cls.have_skopeo:
            reg_dir = Path(tempfile.mkdtemp(prefix="registry-", dir=str(cls.workdir)))
            cls.registry = cls._stack.enter_context(tc.Registry(reg_dir))
        for p in (cls.pa, cls.pb):
            d = Path(tempfile.mkdtemp(prefix="front-%s-" % p.client_id, dir=str(cls.workdir)))
            if cls.have_skopeo:
                upstream = cls.registry.url
            else:
                # Nothing is relayed without skopeo: the hosts are only names.
                upstream = "http://127.0.0.1:9"
            cls.fronts.append(cls._stack.enter_context(tc.Peer(
                d, "registry-front.js", "--upstream", upstream, "--issuer", p.issuer,
                "--client-id", p.client_id, "--introspect")))

    def config(self, extra_b_hosts=()):
        fa, fb = self.fronts
        return {
            "issuer": self.pa.issuer, "client_id": CLIENT_A,
            "hosts": ["git.example.test"],
            "profiles": {
                "a": self.profile(self.pa, [fa.host]),
                "b": self.profile(self.pb, [fb.host, *extra_b_hosts]),
            },
        }

    def shared_user(self):
        """The user signed in to a (as alice) and b (as bob)."""
        if TestRouting.user is None:
            sb = h.Sandbox(self.workdir, self.pa.issuer, hosts=(),
                           CLERK_ISSUER=None, CLERK_OAUTH_CLIENT_ID=None)
            self._stack.callback(sb.cleanup)
            self.write_config(sb, self.config())
            sb.env["PATH"] = str(Path(sb.main).parent) + os.pathsep + sb.env["PATH"]
            TestRouting.user = sb
            TestRouting.signed_in = set()
        return TestRouting.user

    def ensure_signed_in(self):
        sb = self.shared_user()
        for prof, login in (("a", "alice"), ("b", "bob")):
            if prof not in TestRouting.signed_in:
                r = self.run_env(sb, [sb.main, "login", "--profile", prof],
                                 HEADLESS_USER_LOGIN=login)
                self.assert_ok(sb, r, "login --profile %s" % prof)
                sb.wait_browsers_done()
                TestRouting.signed_in.add(prof)
        return sb

    def skopeo(self, sb, auth_dir, *args, **env):
        policy = auth_dir / "policy.json"
        policy.write_text('{"default":[{"type":"insecureAcceptAnything"}]}')
        return self.run_env(sb, ["skopeo", "--policy", str(policy), *args],
                            REGISTRY_AUTH_FILE=auth_dir / "auth.json",
                            DOCKER_CONFIG=auth_dir / "docker", **env)

    def test_1_skopeo_each_registry_gets_its_own_providers_token(self):
        if not self.have_skopeo:
            skip_note("skopeo or docker-registry is not installed "
                      "(Debian: apt-get install skopeo docker-registry)")
        sb = self.shared_user()
        fa, fb = self.fronts
        auth_dir = Path(tempfile.mkdtemp(prefix="skopeo-", dir=str(sb.dir)))
        (auth_dir / "docker").mkdir()
        helpers = json.dumps({"credHelpers": {fa.host: "clerk", fb.host: "clerk"}})
        (auth_dir / "auth.json").write_text(helpers)
        (auth_dir / "docker" / "config.json").write_text(helpers)
        layout = Path(tempfile.mkdtemp(prefix="oci-", dir=str(sb.dir)))
        tc.oci_layout(layout)
        marks = [p.mark() for p in (self.pa, self.pb)]
        for front, login, repo in ((fa, "alice", "a"), (fb, "bob", "b")):
            r = self.skopeo(sb, auth_dir, "copy", "--dest-tls-verify=false",
                            "oci:%s:v1" % layout,
                            "docker://%s/clerk/%s:v1" % (front.host, repo),
                            HEADLESS_USER_LOGIN=login)
            self.assert_ok(sb, r, "skopeo copy to %s" % front.host)
            sb.wait_browsers_done()
        TestRouting.signed_in.update({"a", "b"})
        # Back from each registry, answered from the cache.
        launches = len(sb.browser_launches())
        for front, repo in ((fa, "a"), (fb, "b")):
            r = self.skopeo(sb, auth_dir, "inspect", "--tls-verify=false", "--raw",
                            "docker://%s/clerk/%s:v1" % (front.host, repo))
            self.assert_ok(sb, r, "skopeo inspect at %s" % front.host)
        self.assert_no_new_sign_in(sb, launches, "skopeo inspect")
        # Each front let through only its own provider's tokens.
        for front, p, sub in ((fa, self.pa, "alice"), (fb, self.pb, "bob")):
            ok = [e for e in front.entries() if e.get("auth") == "ok"]
            self.assertTrue(ok, front.entries())
            for e in ok:
                self.assertEqual((e.get("client_id"), e.get("iss"), e.get("sub")),
                                 (p.client_id, p.issuer, sub), e)
        # One sign-in at each provider, by the headless browser.
        for p, mark in zip((self.pa, self.pb), marks):
            self.assertEqual(len(p.authorizations(mark)), 1, p.authorizations(mark))
            self.assertEqual(p.count_grants(mark).get("authorization_code"), 1)
        done = sb.browser_done()
        self.assertEqual([e.get("result") for e in done[-2:]], ["ok", "ok"], done)

    def protocol_tokens(self, sb, host):
        """{protocol: the token it hands out for host}, every protocol."""
        bindir = Path(sb.main).parent
        out = {}
        r = self.git_get(sb, host)
        self.assert_ok(sb, r, "git get %s" % host)
        out["git"] = self.token_of(r)
        r = self.run_env(sb, [str(bindir / "docker-credential-clerk"), "get"],
                         stdin=host + "\n")
        self.assert_ok(sb, r, "docker get %s" % host)
        out["docker"] = json.loads(r.stdout)["Secret"]
        r = self.run_env(sb, [str(bindir / "terraform-credentials-clerk"), "get", host])
        self.assert_ok(sb, r, "terraform get %s" % host)
        out["terraform"] = json.loads(r.stdout).get("token")
        r = self.run_env(sb, [sb.main, "bazel", "get"],
                         stdin=json.dumps({"uri": "http://%s/blob" % host}))
        self.assert_ok(sb, r, "bazel get %s" % host)
        auth = json.loads(r.stdout).get("headers", {}).get("Authorization", [""])[0]
        out["bazel"] = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        r = self.run_env(sb, [sb.main, "kubectl"], KUBERNETES_EXEC_INFO=json.dumps({
            "kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1",
            "spec": {"interactive": False, "cluster": {"server": "http://%s" % host}}}))
        self.assert_ok(sb, r, "kubectl for %s" % host)
        out["kubectl"] = json.loads(r.stdout).get("status", {}).get("token")
        r = self.run_env(sb, [sb.main, "--cargo-plugin"], stdin=json.dumps(
            {"v": 1, "registry": {"index-url": "sparse+http://%s/index/" % host},
             "kind": "get", "operation": "read"}) + "\n")
        self.assert_ok(sb, r, "cargo get %s" % host)
        answer = json.loads(r.stdout.splitlines()[-1])
        token = answer.get("Ok", {}).get("token", "")
        out["cargo"] = token[len("Bearer "):] if token.startswith("Bearer ") else None
        return out

    def test_2_every_protocol_routes_by_host(self):
        sb = self.ensure_signed_in()
        fa, fb = self.fronts
        launches = len(sb.browser_launches())
        for front, p in ((fa, self.pa), (fb, self.pb)):
            for proto, token in self.protocol_tokens(sb, front.host).items():
                c = claims(token)
                self.assertEqual((c["client_id"], c["iss"]), (p.client_id, p.issuer),
                                 "%s for %s" % (proto, front.host))
        self.assert_no_new_sign_in(sb, launches, "gets from the cache")

    def test_3_status_names_routes_and_accounts(self):
        sb = self.ensure_signed_in()
        fa, fb = self.fronts
        r = self.run_env(sb, [sb.main, "status", "--json"])
        self.assert_ok(sb, r, "status --json")
        st = json.loads(r.stdout)
        for host, prof, other in ((fa.host, "a", "b"), (fb.host, "b", "a")):
            routes = json_routes(st, host)
            self.assertIn(prof, routes, "%s not tied to %s in %s" % (host, prof, r.stdout))
            self.assertNotIn(other, routes, r.stdout)
        for prof, user in (("a", "alice"), ("b", "bob")):
            acct = json_account(st, prof)
            self.assertIsNotNone(acct, "no account for %s in %s" % (prof, r.stdout))
            self.assertEqual(acct.get("sub"), user)
            self.assertEqual(acct.get("email"), "%s@example.test" % user)
        r = self.run_env(sb, [sb.main, "status"])
        self.assert_ok(sb, r, "status")
        lines = r.stdout.splitlines()
        for host, prof in ((fa.host, "a"), (fb.host, "b")):
            self.assertTrue(any(host in ln and names(ln, prof) for ln in lines),
                            "no line names %s and %s:\n%s" % (host, prof, r.stdout))
        for user in ("alice", "bob"):
            self.assertIn("%s@example.test" % user, r.stdout)

    def test_4_whoami_per_profile(self):
        sb = self.ensure_signed_in()
        # The default profile (issuer a's provider, top level) as dora.
        r = self.run_env(sb, [sb.main, "login"], HEADLESS_USER_LOGIN="dora")
        self.assert_ok(sb, r, "login (default profile)")
        sb.wait_browsers_done()
        for options, user in (((), "dora"), (("--profile", "a"), "alice"),
                              (("--profile", "b"), "bob")):
            r = self.run_env(sb, [sb.main, "whoami", *options])
            self.assert_ok(sb, r, "whoami %s" % " ".join(options))
            self.assertIn("%s@example.test" % user, r.stdout, options)
        # The default's sign-in took nothing from a and b.
        fa, fb = self.fronts
        for front, p in ((fa, self.pa), (fb, self.pb)):
            r = self.git_get(sb, front.host, CLERK_CREDENTIAL_INTERACTIVE=0)
            self.assert_ok(sb, r, "git get %s" % front.host)
            self.assertEqual(claims(self.token_of(r))["sub"],
                             "alice" if p is self.pa else "bob")

    def test_5_a_host_claimed_twice_is_a_configuration_error(self):
        fa, fb = self.fronts
        # Profile names that no English word of a message could stand for.
        config = {
            "issuer": self.pa.issuer, "client_id": CLIENT_A,
            "hosts": ["git.example.test"],
            "profiles": {
                "team-red": self.profile(self.pa, [fa.host]),
                "team-blue": self.profile(self.pb, [fb.host, fa.host]),
            },
        }
        sb = self.sandbox(config)
        r = self.git_get(sb, fa.host)
        self.assertEqual(r.returncode, 2, h.describe(r))
        self.assertEqual(r.stdout, "")
        self.assertTrue(names(r.stderr, "team-red") and names(r.stderr, "team-blue"),
                        r.stderr)
        docker = str(Path(sb.main).parent / "docker-credential-clerk")
        r = self.run_env(sb, [docker, "get"], stdin=fa.host + "\n")
        self.assertEqual(r.returncode, 1, h.describe(r))
        self.assertTrue(r.stdout.startswith("clerk-credential: "), h.describe(r))
        both = r.stdout + r.stderr
        self.assertTrue(names(both, "team-red") and names(both, "team-blue"), h.describe(r))
        self.assertNotIn("Secret", r.stdout)
        self.assertEqual(sb.browser_launches(), [])

    def test_5b_docker_list_names_each_profiles_registry(self):
        sb = self.ensure_signed_in()
        fa, fb = self.fronts
        docker = str(Path(sb.main).parent / "docker-credential-clerk")
        r = self.run_env(sb, [docker, "list"])
        self.assert_ok(sb, r, "docker list")
        listed = json.loads(r.stdout)
        for host in (fa.host, fb.host, "git.example.test"):
            self.assertEqual(listed.get(host), "oauth2", r.stdout)
        # A named profile lists its own hosts only.
        r = self.run_env(sb, [docker, "--profile=b", "list"])
        self.assert_ok(sb, r, "docker list --profile=b")
        self.assertEqual(set(json.loads(r.stdout)), {fb.host})

    def test_6_logout_of_b_leaves_a(self):
        sb = self.ensure_signed_in()
        fa, fb = self.fronts
        r = self.run_env(sb, [sb.main, "logout", "--profile", "b"])
        self.assert_ok(sb, r, "logout --profile b")
        TestRouting.signed_in.discard("b")
        launches = len(sb.browser_launches())
        r = self.git_get(sb, fa.host, CLERK_CREDENTIAL_INTERACTIVE=0)
        self.assert_ok(sb, r, "git get for a's host after logout of b")
        self.assertEqual(claims(self.token_of(r))["client_id"], CLIENT_A)
        # b has nothing left: no token without a sign-in.
        r = self.git_get(sb, fb.host, CLERK_CREDENTIAL_INTERACTIVE=0)
        self.assertIsNone(self.token_of(r) if r.stdout.strip() else None, h.describe(r))
        # The way back names the profile the host is routed to.
        self.assertIn("`clerk-credential login --profile=b`", r.stderr)
        self.assert_no_new_sign_in(sb, launches, "after logout")
        r = self.run_env(sb, [sb.main, "whoami", "--profile", "a"])
        self.assert_ok(sb, r, "whoami --profile a after logout of b")
        self.assertIn("alice@example.test", r.stdout)


# --- RFC 9728 discovery and RFC 8707 resources ---------------------------------

class TestDiscovery(AccountsCase):
    """Git servers no section claims, whose Bearer challenges point at
    their protected resource metadata."""

    @classmethod
    def set_up_class(cls):
        port = tc.free_port()
        cls.providers = {CLIENT_A: {},
                         CLIENT_B: {"resources": ["http://127.0.0.1:%d/" % port]}}
        # Provider b knows profile c's resource, so its port comes first.
        cls.started = h.start_providers(cls._stack, cls.workdir,
                                        list(cls.providers), **cls.providers)
        cls.pa, cls.pb = cls.started
        cls.root = cls.workdir / "repos"
        cls.root.mkdir()
        pb = cls.pb

        def server(name, **kw):
            return cls._stack.enter_context(h.GitServer(
                cls.workdir, cls.root, pb.issuer, scheme="bearer", name=name,
                client_id=pb.client_id, introspect=True, **kw))
        # Profile c's resource (RFC 8707), which only b's tokens may reach;
        # started first, while its port is still free.
        cls.resource = "http://127.0.0.1:%d/" % port
        cls.gs_res = server("gs-res", resource_metadata=[pb.issuer],
                            audience=cls.resource, port=port)
        # Names b's issuer.
        cls.gs_b = server("gs-b", resource_metadata=[pb.issuer])
        # Names an issuer nobody configured.
        cls.gs_c = server("gs-c", resource_metadata=["http://127.0.0.1:9/unconfigured"])
        # Names b's issuer but describes another origin.
        cls.gs_other = server("gs-other", resource_metadata=[pb.issuer],
                              resource="http://127.0.0.1:9/")
        h.make_bare_repo(cls.root)

    def config(self):
        """Default profile: issuer a, the discovery servers in its host list
        (the user allows them); b claims only a host of its own."""
        return {
            "issuer": self.pa.issuer, "client_id": CLIENT_A,
            "hosts": [self.gs_b.host, self.gs_c.host, self.gs_other.host],
            "profiles": {"b": self.profile(self.pb, ["git.b.example.test"])},
        }

    def unauthenticated_challenges(self, server):
        status, challenges = server.challenge()
        self.assertEqual(status, 401)
        self.assertTrue(any("resource_metadata=" in c for c in challenges), challenges)
        return challenges

    def test_metadata_routes_to_b(self):
        sb = self.sandbox(self.config(), HEADLESS_USER_LOGIN="bob")
        mark = self.pb.mark()
        r = self.git_get(sb, self.gs_b.host, self.unauthenticated_challenges(self.gs_b))
        self.assert_ok(sb, r, "git get with b's metadata")
        token = self.token_of(r)
        self.assertTrue(token, self.context(sb, r))
        c = claims(token)
        self.assertEqual((c["iss"], c["client_id"], c["sub"]),
                         (self.pb.issuer, CLIENT_B, "bob"))
        self.assertEqual(len(self.pb.authorizations(mark)), 1)
        # The server takes it, and says whose it was.
        gmark = self.gs_b.mark()
        status, _ = self.gs_b.challenge(token=token)
        self.assertEqual(status, 200)
        self.assertEqual(self.gs_b.accepted(gmark)[0]["client_id"], CLIENT_B)
        # The metadata was fetched from the server, without a token.
        self.assertTrue(any(e.get("metadata") for e in self.gs_b.entries()))

    def test_metadata_routes_to_b_with_real_git(self):
        if h.git_version() < GIT_WWWAUTH:
            skip_note("git %d.%d sends no wwwauth[] to helpers (2.41 does)"
                      % h.git_version())
        sb = self.sandbox(self.config(), HEADLESS_USER_LOGIN="bob")
        gmark = self.gs_b.mark()
        r = self.run_env(sb, ["git", "-c", "credential.helper=",
                              "-c", "credential.helper=" + sb.helper_string(),
                              "ls-remote", self.gs_b.url + "/repo.git"])
        self.assert_ok(sb, r, "git ls-remote through b's metadata")
        ok = self.gs_b.accepted(gmark)
        self.assertTrue(ok, self.gs_b.entries(gmark))
        self.assertEqual({e["client_id"] for e in ok}, {CLIENT_B})

    def test_metadata_it_cannot_use(self):
        sb = self.sandbox(self.config())
        # The default profile holds a token: without discovery it would go
        # to every host of the top-level list.
        h.seed_cache(sb.runtime, self.pa.issuer, CLIENT_A, "seeded-default-token",
                     int(time.time()) + 3600)
        marks = [p.mark() for p in self.started]
        # Metadata naming no configured issuer: not ours, no token at all.
        r = self.git_get(sb, self.gs_c.host, self.unauthenticated_challenges(self.gs_c))
        self.assertEqual(r.returncode, 0, h.describe(r))
        self.assertEqual(r.stdout, "", h.describe(r))
        self.assertTrue(any(e.get("metadata") for e in self.gs_c.entries()),
                        "the metadata was not fetched")
        # Metadata describing another origin is ignored: the default
        # profile's host rule decides (its host list has the host).
        r = self.git_get(sb, self.gs_other.host,
                         self.unauthenticated_challenges(self.gs_other))
        self.assert_ok(sb, r, "git get with metadata for another origin")
        self.assertEqual(self.token_of(r), "seeded-default-token")
        self.assertEqual(sb.browser_launches(), [])
        for p, m in zip(self.started, marks):
            self.assertEqual(p.authorizations(m), [])

    def test_profile_resource_gets_a_token_for_that_audience(self):
        config = {
            "issuer": self.pa.issuer, "client_id": CLIENT_A,
            # Not the resource server's host: its metadata's resource, equal
            # to profile c's resource, is what lets the token go.
            "hosts": ["git.example.test"],
            "profiles": {"c": self.profile(self.pb, resource=self.resource)},
        }
        sb = self.sandbox(config, HEADLESS_USER_LOGIN="carol")
        mark = self.pb.mark()
        r = self.git_get(sb, self.gs_res.host, self.unauthenticated_challenges(self.gs_res))
        self.assert_ok(sb, r, "git get for profile c's resource")
        token = self.token_of(r)
        self.assertTrue(token, self.context(sb, r))
        c = claims(token)
        self.assertEqual((c["iss"], c["client_id"]), (self.pb.issuer, CLIENT_B))
        self.assertIn(self.resource, audiences(c))
        auths = self.pb.authorizations(mark)
        self.assertEqual(len(auths), 1, auths)
        self.assertEqual(auths[0]["resource"], [self.resource])
        status, _ = self.gs_res.challenge(token=token)
        self.assertEqual(status, 200, self.gs_res.stderr_tail())


# --- step-up (insufficient_scope) -----------------------------------------------

class TestStepUp(AccountsCase):
    """A server that wants repo:write, which the default scopes lack."""

    providers = {CLIENT_A: {"extra_scopes": "repo:write"}}

    @classmethod
    def set_up_peers(cls):
        cls.root = cls.workdir / "repos"
        h.make_bare_repo(cls.root)
        cls.gs = cls._stack.enter_context(h.GitServer(
            cls.workdir, cls.root, cls.pa.issuer, scheme="both", name="gs-scope",
            client_id=CLIENT_A, require_scope="repo:write"))

    def config(self):
        return {"issuer": self.pa.issuer, "client_id": CLIENT_A,
                "hosts": [self.gs.host]}

    def seeded_user(self):
        sb = self.sandbox(self.config())
        r = self.run_env(sb, [sb.main, "login"])
        self.assert_ok(sb, r, "login (the seed)")
        sb.wait_browsers_done()
        return sb

    def erase(self, sb, token, challenges):
        pairs = [("protocol", "http"), ("host", self.gs.host),
                 ("capability[]", "authtype"), ("authtype", "Bearer"),
                 ("credential", token)] + [("wwwauth[]", c) for c in challenges]
        return self.run_env(sb, [sb.alias, "erase"], stdin=h.format_kv(pairs))

    def test_insufficient_scope_signs_in_once_for_more(self):
        sb = self.seeded_user()
        launches = len(sb.browser_launches())
        r = self.git_get(sb, self.gs.host, self.gs.challenge()[1])
        self.assert_ok(sb, r, "get after the seed")
        t1 = self.token_of(r)
        self.assertNotIn("repo:write", claims(t1)["scope"].split())
        self.assert_no_new_sign_in(sb, launches, "get after the seed")
        status, challenges = self.gs.challenge(token=t1)
        self.assertEqual(status, 401)
        self.assertTrue(any('error="insufficient_scope"' in c for c in challenges), challenges)
        r = self.erase(sb, t1, challenges)
        self.assert_ok(sb, r, "erase with insufficient_scope")
        mark = self.pa.mark()
        r = self.git_get(sb, self.gs.host, self.gs.challenge()[1])
        self.assert_ok(sb, r, "get after the step-up erase")
        sb.wait_browsers_done()
        self.assertEqual(len(sb.browser_launches()), launches + 1, self.context(sb, r))
        auths = self.pa.authorizations(mark)
        self.assertEqual(len(auths), 1, auths)
        asked = set((auths[0]["scope"] or "").split())
        self.assertTrue(DEFAULT_SCOPES | {"repo:write"} <= asked, auths[0])
        t2 = self.token_of(r)
        self.assertIn("repo:write", claims(t2)["scope"].split())
        status, _ = self.gs.challenge(token=t2)
        self.assertEqual(status, 200)

        # The server refuses again for the same scope: no second sign-in.
        launches = len(sb.browser_launches())
        mark = self.pa.mark()
        r = self.erase(sb, t2, challenges)
        self.assert_ok(sb, r, "second insufficient_scope erase")
        r = self.git_get(sb, self.gs.host, self.gs.challenge()[1],
                         CLERK_CREDENTIAL_SIGNIN_COOLDOWN=0)
        self.assertIn(r.returncode, (0, 1), h.describe(r))
        t3 = self.token_of(r) if r.returncode == 0 and r.stdout.strip() else None
        if t3 is not None and t3 != t2:
            # A refresh of the wider grant, not a sign-in.
            self.assertIn("repo:write", claims(t3)["scope"].split())
        self.assert_no_new_sign_in(sb, launches, "second insufficient_scope")
        self.assertEqual(self.pa.authorizations(mark), [])

    def test_insufficient_scope_with_real_git(self):
        if h.git_version() < GIT_WWWAUTH:
            skip_note("git %d.%d sends no wwwauth[] to helpers (2.41 does)"
                      % h.git_version())
        sb = self.seeded_user()
        launches = len(sb.browser_launches())
        mark = self.pa.mark()
        argv = ["git", "-c", "credential.helper=",
                "-c", "credential.helper=" + sb.helper_string(),
                "ls-remote", self.gs.url + "/repo.git"]
        # The first run gets the narrow token and its refusal (git erases
        # it with the challenge); the next one steps up.
        runs = [self.run_env(sb, argv, GIT_TERMINAL_PROMPT=None) for _ in range(2)]
        sb.wait_browsers_done()
        self.assertTrue(any(r.returncode == 0 for r in runs),
                        "\n".join(h.describe(r) for r in runs))
        self.assertEqual(len(sb.browser_launches()), launches + 1)
        auths = self.pa.authorizations(mark)
        self.assertEqual(len(auths), 1, auths)
        self.assertIn("repo:write", (auths[0]["scope"] or "").split())


# --- account switching ------------------------------------------------------------

class TestSwitch(AccountsCase):
    """A browser that keeps the provider's session between sign-ins."""

    providers = {CLIENT_A: {}}

    def test_login_switch_shows_the_login_form(self):
        sb = self.sandbox({"issuer": self.pa.issuer, "client_id": CLIENT_A,
                           "hosts": ["git.example.test"]})
        sb.env["HEADLESS_USER_DATA_DIR"] = str(sb.dir / "browser-profile")

        def login(user, *options):
            mark = self.pa.mark()
            r = self.run_env(sb, [sb.main, "login", *options], HEADLESS_USER_LOGIN=user)
            self.assert_ok(sb, r, "login %s as %s" % (" ".join(options), user))
            done = sb.wait_browsers_done()[-1]
            self.assertEqual(done.get("result"), "ok", done)
            auths = self.pa.authorizations(mark)
            self.assertEqual(len(auths), 1, auths)
            who = self.run_env(sb, [sb.main, "whoami"])
            self.assert_ok(sb, who, "whoami")
            return done, auths[0], who.stdout

        done, _, who = login("alice")
        self.assertTrue(done["login_form"], done)
        self.assertIn("alice@example.test", who)
        # Without --switch the browser's session signs in silently, as alice.
        done, auth, who = login("bob")
        self.assertFalse(done["login_form"], done)
        self.assertIn("alice@example.test", who)
        self.assertNotIn("login", (auth.get("prompt") or "").split())
        # --switch asks the provider for its login form.
        done, auth, who = login("bob", "--switch")
        self.assertTrue(done["login_form"], done)
        self.assertEqual(done["login"], "bob")
        self.assertIn("bob@example.test", who)
        self.assertIn("login", (auth.get("prompt") or "").split())
        # --prompt=login is the same request, spelled out.
        done, auth, who = login("alice", "--prompt=login")
        self.assertTrue(done["login_form"], done)
        self.assertIn("alice@example.test", who)
        self.assertIn("login", (auth.get("prompt") or "").split())


if __name__ == "__main__":
    sys.exit(h.run_tests("accounts"))
