#!/usr/bin/env python3
"""Protocol transcripts: docker, kubectl, Bazel, Terraform and Cargo.

Contract §2, §4, §6 and §7. The real binary and its aliases, every action of every
protocol and every error path, with stdout, stderr and the exit status
asserted exactly, and the host rule per protocol.

Most transcripts need no provider: the runtime cache is seeded in its
documented format (helper/core/cache.h), as test_fastpath.py does, and a fake
$BROWSER only leaves a mark (no transcript may start a sign-in). One class
signs in once through the real provider (oidc-provider) and the real
headless Chromium, then answers every protocol from that one sign-in.

Run: CLERK_CREDENTIAL=/path/to/build/clerk-credential \
    python3 tests/integration/test_protocols.py
"""

import json
import os
import re
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

ISSUER = "https://clerk.example.test"
CLIENT = "client_protocols"
HOSTS = "registry.example.test,127.0.0.1:5000,*.corp.example.test"
TOKEN = "tok-protocols"

NOT_FOUND = "credentials not found in native keychain\n"
DOCKER_USAGE = "Usage: docker-credential-clerk <store|get|erase|list|version>\n"
NO_HOSTS = ("clerk-credential: no host may receive a token yet: name one "
            "with --host=HOST, CLERK_CREDENTIAL_HOSTS or \"hosts\" in the "
            "config file (or run `clerk-credential configure`)\n")
NOT_SIGNED_IN = ("clerk-credential: not signed in, and sign-in is disabled "
                 "here (run `clerk-credential login` in a terminal first)\n")
NOT_SIGNED_IN_SHORT = ("not signed in, and sign-in is disabled here (run "
                       "`clerk-credential login` first)")
NO_ISSUER_RE = r"^clerk-credential: no issuer configured \(.*\)\n$"
KUBE_V1 = "client.authentication.k8s.io/v1"
KUBE_V1BETA1 = "client.authentication.k8s.io/v1beta1"


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def version():
    exe = os.environ["CLERK_CREDENTIAL"]
    out = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    return out.split()[-1]


class Transcript(h.OfflineCase):
    """A user with a seeded runtime cache and no provider at all."""

    workdir_prefix = "clerk-proto-"
    issuer = ISSUER
    client_id = CLIENT
    allowed_hosts = tuple(HOSTS.split(","))
    extra_env = {"CLERK_CREDENTIAL_INTERACTIVE": "0"}

    def setUp(self):
        super().setUp()
        exe = Path(os.environ["CLERK_CREDENTIAL"]).resolve()
        self.exe = str(exe)
        self.docker = str(exe.parent / "docker-credential-clerk")
        self.terraform = str(exe.parent / "terraform-credentials-clerk")
        self.exp = int(time.time()) + 3600

    def tearDown(self):
        # No transcript signs in.
        self.assertFalse(self.marker.exists(), "a transcript started a browser")

    def seed(self, token=TOKEN, expires=None, profile="default"):
        return super().seed(token, self.exp if expires is None else expires,
                            profile)

    def run_argv(self, argv, stdin="", env=None, unset=()):
        full = {**self.env, **(env or {})}
        for k in unset:
            full.pop(k, None)
        return subprocess.run(argv, input=stdin, capture_output=True, text=True,
                              timeout=20, env=full, cwd=str(self.root))

    def check(self, r, stdout, stderr, code, what=""):
        """stdout and exit exactly; stderr exactly (a str) or by regex."""
        msg = "%s\nexit %s\n--- stdout ---\n%s--- stderr ---\n%s" % (
            what, r.returncode, r.stdout, r.stderr)
        self.assertEqual(r.stdout, stdout, msg)
        if isinstance(stderr, re.Pattern):
            self.assertRegex(r.stderr, stderr, msg)
        else:
            self.assertEqual(r.stderr, stderr, msg)
        self.assertEqual(r.returncode, code, msg)


class TestDocker(Transcript):
    """Contract §6: docker-credential-clerk and `clerk-credential docker`."""

    def docker_run(self, action, stdin="", env=None, unset=(), via_main=False):
        argv = [self.exe, "docker"] if via_main else [self.docker]
        if action is not None:
            argv += action if isinstance(action, list) else [action]
        return self.run_argv(argv, stdin, env, unset)

    def answer(self, server_url, username="oauth2", token=TOKEN):
        return json.dumps({"ServerURL": server_url, "Username": username,
                           "Secret": token}, separators=(",", ":")) + "\n"

    def test_get_every_server_url_form(self):
        self.seed()
        for stdin, echoed in (
                ("registry.example.test\n", "registry.example.test"),
                ("registry.example.test:443", "registry.example.test:443"),
                ("https://registry.example.test/v1/\n",
                 "https://registry.example.test/v1/"),
                ("registry.example.test/team/app\n", "registry.example.test/team/app"),
                ("  Registry.Example.Test \r\n", "Registry.Example.Test"),
                ("127.0.0.1:5000\n", "127.0.0.1:5000"),
                ("http://127.0.0.1:5000\n", "http://127.0.0.1:5000"),
                ("a.corp.example.test/x\n", "a.corp.example.test/x")):
            for via_main in (False, True):
                r = self.docker_run("get", stdin, via_main=via_main)
                self.check(r, self.answer(echoed), "", 0, repr(stdin))

    def test_get_username_option(self):
        self.seed()
        r = self.run_argv([self.docker, "--username=ci", "get"], "registry.example.test\n")
        self.check(r, self.answer("registry.example.test", "ci"), "", 0)

    def test_get_host_rule(self):
        self.seed()
        for stdin in ("other.example.test\n", "registry.example.test.evil.example\n",
                      "corp.example.test\n", "127.0.0.1:5001\n",
                      # A bearer token never travels in clear text.
                      "http://registry.example.test\n",
                      "ftp://registry.example.test\n", "not a registry\n",
                      "https://registry.example.test@evil.example/\n"):
            r = self.docker_run("get", stdin)
            self.check(r, NOT_FOUND, "", 1, repr(stdin))

    def test_get_nul_in_server_url(self):
        """A NUL ended the URL early here, not for its sender."""
        self.seed()
        for stdin in ("registry.example.test\0.evil.example\n",
                      "registry.example.test\0\n",
                      "https://registry.example.test\0@evil.example/\n"):
            for action in ("get", "erase"):
                r = self.docker_run(action, stdin)
                self.check(r, NOT_FOUND, "", 1, repr(stdin))
        self.assertTrue(self.seed().exists())

    def test_get_without_host_list(self):
        self.seed()
        r = self.docker_run("get", "registry.example.test\n", unset=["CLERK_CREDENTIAL_HOSTS"])
        self.check(r, NOT_FOUND, NO_HOSTS, 1)

    def test_get_without_server_url(self):
        for stdin in ("", "\n", "  \r\n\t\n"):
            r = self.docker_run("get", stdin)
            self.check(r, "no credentials server URL\n", "", 1, repr(stdin))

    def test_get_not_signed_in(self):
        r = self.docker_run("get", "registry.example.test\n")
        self.check(r, "clerk-credential: %s\n" % NOT_SIGNED_IN_SHORT, NOT_SIGNED_IN, 1)

    def test_get_without_issuer(self):
        r = self.docker_run("get", "registry.example.test\n", unset=["CLERK_ISSUER"])
        self.check(r, "clerk-credential: configuration error (see "
                   "`clerk-credential status`)\n", re.compile(NO_ISSUER_RE), 1)

    def test_store(self):
        self.seed()
        creds = {"ServerURL": "registry.example.test", "Username": "oauth2",
                 "Secret": TOKEN}
        # Ours: stored already, nothing to do (docker login stores back).
        r = self.docker_run("store", json.dumps(creds))
        self.check(r, "", "", 0)
        foreign = dict(creds, Secret="someone-elses-password")
        r = self.docker_run("store", json.dumps(foreign))
        self.check(r, "clerk-credential: not storing a credential it did not "
                   "issue (sign in with `clerk-credential login`; docker login "
                   "is not needed)\n", "", 1)
        r = self.docker_run("store", json.dumps(dict(creds, ServerURL="other.example.test")))
        self.check(r, "clerk-credential: not storing credentials for a host "
                   "outside the host list (clerk-credential keeps no "
                   "credentials but its own)\n", "", 1)
        r = self.docker_run("store", json.dumps({"Username": "u", "Secret": "s"}))
        self.check(r, "no credentials server URL\n", "", 1)
        r = self.docker_run("store", json.dumps({"ServerURL": "registry.example.test",
                                                 "Secret": "s"}))
        self.check(r, "no credentials username\n", "", 1)
        for bad in ("", "{", "[1]", '{"ServerURL": 5}'):
            r = self.docker_run("store", bad)
            self.check(r, "clerk-credential: the credentials on stdin are not a "
                       "JSON object of strings\n", "", 1, repr(bad))
        # Nothing of docker's was kept anywhere.
        for f in self.root.rglob("*"):
            if f.is_file():
                self.assertNotIn("someone-elses-password", f.read_text(errors="replace"))

    def test_erase_is_a_logout(self):
        path = self.seed()
        r = self.docker_run("erase", "other.example.test\n")
        self.check(r, NOT_FOUND, "", 1)
        self.assertTrue(path.exists())
        r = self.docker_run("erase", "\n")
        self.check(r, "no credentials server URL\n", "", 1)
        r = self.docker_run("erase", "https://registry.example.test/v1/\n")
        self.check(r, "", "clerk-credential: not signed in to %s (profile default): "
                   "nothing to remove\n" % ISSUER, 0)
        self.assertFalse(path.exists())
        r = self.docker_run("get", "registry.example.test\n")
        self.check(r, "clerk-credential: %s\n" % NOT_SIGNED_IN_SHORT, NOT_SIGNED_IN, 1)
        r = self.docker_run("erase", "registry.example.test\n")
        self.check(r, NOT_FOUND, "", 1)

    def test_list(self):
        r = self.docker_run("list")
        self.check(r, "{}\n", "", 0)
        self.seed()
        r = self.docker_run("list")
        self.check(r, '{"127.0.0.1:5000":"oauth2","registry.example.test":"oauth2"}\n', "", 0)
        r = self.run_argv([self.docker, "--username=ci", "--host=b.example.test",
                           "--host=a.example.test", "--host=a.example.test", "list"])
        self.check(r, '{"a.example.test":"ci","b.example.test":"ci"}\n', "", 0)
        r = self.docker_run("list", unset=["CLERK_CREDENTIAL_HOSTS"])
        self.check(r, "{}\n", "", 0)

    def test_version_and_usage(self):
        r = self.docker_run("version")
        self.check(r, "docker-credential-clerk (clerk-credential) %s\n" % version(), "", 0)
        r = self.docker_run(None)
        self.check(r, DOCKER_USAGE, "", 1)
        r = self.docker_run(["get", "extra"])
        self.check(r, DOCKER_USAGE, "", 1)
        r = self.docker_run("frob")
        self.check(r, "Unknown credential action `frob`\n", "", 1)
        r = self.docker_run("frob", via_main=True)
        self.check(r, "Unknown credential action `frob`\n", "", 1)


class TestTerraform(Transcript):
    """Contract §7: terraform-credentials-clerk and `clerk-credential terraform`."""

    def tf(self, args, stdin="", env=None, unset=(), via_main=False):
        argv = [self.exe, "terraform"] if via_main else [self.terraform]
        return self.run_argv(argv + args, stdin, env, unset)

    def test_get(self):
        self.seed()
        for via_main in (False, True):
            for host in ("registry.example.test", "app.corp.example.test",
                         "127.0.0.1:5000"):
                r = self.tf(["get", host], via_main=via_main)
                self.check(r, '{"token":"%s"}\n' % TOKEN, "", 0, host)

    def test_get_host_rule(self):
        self.seed()
        for host in ("app.terraform.io", "corp.example.test", "127.0.0.1:5001"):
            r = self.tf(["get", host])
            self.check(r, "{}\n", "", 0, host)
        r = self.tf(["get", "registry.example.test"], unset=["CLERK_CREDENTIAL_HOSTS"])
        self.check(r, "{}\n", NO_HOSTS, 0)
        for host in ("not a host", "registry.example.test/x", "https://x.example"):
            r = self.tf(["get", host])
            self.check(r, "", "clerk-credential: terraform: '%s' is not a host name\n"
                       % host, 1, host)

    def test_get_not_signed_in(self):
        r = self.tf(["get", "registry.example.test"])
        self.check(r, "", NOT_SIGNED_IN, 1)

    def test_store(self):
        self.seed()
        r = self.tf(["store", "registry.example.test"], '{"token":"%s"}' % TOKEN)
        self.check(r, "", "", 0)
        refusal = ("clerk-credential: terraform store: not storing a token for %s: "
                   "clerk-credential keeps only the tokens of its own sign-in (run "
                   "`clerk-credential login`; `terraform login` is not needed)\n")
        r = self.tf(["store", "registry.example.test"], '{"token":"theirs"}')
        self.check(r, "", refusal % "registry.example.test", 1)
        r = self.tf(["store", "app.terraform.io"], '{"token":"%s"}' % TOKEN)
        self.check(r, "", refusal % "app.terraform.io", 1)
        for bad in ("", "[]", '{"token":1}', "{"):
            r = self.tf(["store", "registry.example.test"], bad)
            self.check(r, "", "clerk-credential: terraform store: expected a JSON "
                       "object such as {\"token\": \"...\"} on stdin\n", 1, repr(bad))

    def test_forget(self):
        path = self.seed()
        r = self.tf(["forget", "app.terraform.io"])
        self.check(r, "", "", 0)
        self.assertTrue(path.exists())
        r = self.tf(["forget", "registry.example.test"])
        self.check(r, "", "clerk-credential: not signed in to %s (profile default): "
                   "nothing to remove\n" % ISSUER, 0)
        self.assertFalse(path.exists())
        r = self.tf(["forget", "registry.example.test"])
        self.check(r, "", "", 0)

    def test_usage(self):
        usage = ("clerk-credential: usage: terraform-credentials-clerk [options] "
                 "get|store|forget HOST\n")
        for args in ([], ["get"], ["get", "a.example", "b.example"]):
            r = self.tf(args)
            self.check(r, "", usage, 2, args)
        r = self.tf(["list", "registry.example.test"])
        self.check(r, "", "clerk-credential: terraform: unknown action 'list' "
                   "(expected get, store or forget)\n", 2)


class TestBazel(Transcript):
    """Contract §7: `clerk-credential bazel get`."""

    def bazel(self, stdin, args=("get",), env=None, unset=()):
        return self.run_argv([self.exe, "bazel", *args], stdin, env, unset)

    def test_get(self):
        self.seed()
        want = ('{"headers":{"Authorization":["Bearer %s"]},"expires":"%s"}\n'
                % (TOKEN, rfc3339(self.exp)))
        for uri in ("https://registry.example.test/v2/blobs/x",
                    "grpcs://cache.corp.example.test:443",
                    "http://127.0.0.1:5000/file.tar.gz"):
            r = self.bazel(json.dumps({"uri": uri}))
            self.check(r, want, "", 0, uri)
            expires = json.loads(r.stdout)["expires"]
            self.assertRegex(expires, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_get_host_rule(self):
        self.seed()
        for uri in ("https://other.example.test/x", "http://registry.example.test/x",
                    "grpc://cache.corp.example.test", "registry.example.test/x",
                    "file:///etc/passwd"):
            r = self.bazel(json.dumps({"uri": uri}))
            self.check(r, "{}\n", "", 0, uri)
        r = self.bazel('{"uri":"https://registry.example.test/"}',
                       unset=["CLERK_CREDENTIAL_HOSTS"])
        self.check(r, "{}\n", NO_HOSTS, 0)

    def test_errors(self):
        bad_input = ('clerk-credential: bazel get: expected {"uri": "https://..."} '
                     "on stdin\n")
        for stdin in ("", "{}", '{"uri": 3}', "[", '{"url":"https://x.example"}',
                      # Bazel would read the last: read two ways, refused.
                      '{"uri":"https://registry.example.test/",'
                      '"uri":"https://evil.example/"}',
                      '{"uri":"https://registry.example.test/\\u0000x"}'):
            r = self.bazel(stdin)
            self.check(r, "", bad_input, 1, stdin)
        r = self.bazel('{"uri":"https://registry.example.test/"}')
        self.check(r, "", NOT_SIGNED_IN, 1)
        r = self.bazel("", args=())
        self.check(r, "", "clerk-credential: usage: clerk-credential bazel get (a "
                   "Bazel credential helper: {\"uri\": ...} on stdin)\n", 2)
        r = self.bazel("", args=("store",))
        self.check(r, "", "clerk-credential: bazel: unknown command 'store' (Bazel "
                   "calls `get`; see clerk-credential(1))\n", 2)


class TestKubectl(Transcript):
    """Contract §7: `clerk-credential kubectl` and KUBERNETES_EXEC_INFO."""

    def kube(self, info=None, args=(), env=None, unset=()):
        env = dict(env or {})
        if info is not None:
            env["KUBERNETES_EXEC_INFO"] = info if isinstance(info, str) else json.dumps(info)
        return self.run_argv([self.exe, *args, "kubectl"], "", env, unset)

    def want(self, api):
        return json.dumps({"apiVersion": api, "kind": "ExecCredential",
                           "status": {"token": TOKEN,
                                      "expirationTimestamp": rfc3339(self.exp)}},
                          separators=(",", ":")) + "\n"

    def test_api_versions(self):
        self.seed()
        r = self.kube()
        self.check(r, self.want(KUBE_V1), "", 0)
        for api in (KUBE_V1, KUBE_V1BETA1):
            r = self.kube({"kind": "ExecCredential", "apiVersion": api,
                           "spec": {"interactive": False}})
            self.check(r, self.want(api), "", 0, api)
        r = self.kube({"kind": "ExecCredential",
                       "apiVersion": "client.authentication.k8s.io/v1alpha1", "spec": {}})
        self.check(r, "", "clerk-credential: kubectl asks for an ExecCredential of "
                   "apiVersion 'client.authentication.k8s.io/v1alpha1', which is not "
                   "supported (set apiVersion: %s or %s in the kubeconfig's exec "
                   "section)\n" % (KUBE_V1, KUBE_V1BETA1), 1)

    def test_non_interactive_from_exec_info(self):
        # Interactive by configuration, but kubectl says it is not.
        r = self.kube({"kind": "ExecCredential", "apiVersion": KUBE_V1,
                       "spec": {"interactive": False}},
                      unset=["CLERK_CREDENTIAL_INTERACTIVE"])
        self.check(r, "", NOT_SIGNED_IN, 1)

    def test_cluster_host_rule(self):
        self.seed()
        info = {"kind": "ExecCredential", "apiVersion": KUBE_V1,
                "spec": {"interactive": False,
                         "cluster": {"server": "https://api.corp.example.test:6443"}}}
        r = self.kube(info)
        self.check(r, self.want(KUBE_V1), "", 0)
        info["spec"]["cluster"]["server"] = "https://k8s.other.example:6443"
        r = self.kube(info)
        self.check(r, "", "clerk-credential: the cluster server k8s.other.example:6443 "
                   "is not in the host list; not handing it a token (add it with "
                   "--host=k8s.other.example:6443 in the exec args, "
                   "CLERK_CREDENTIAL_HOSTS or the config file)\n", 2)
        info["spec"]["cluster"]["server"] = "http://registry.example.test"
        r = self.kube(info)
        self.check(r, "", "clerk-credential: the cluster server registry.example.test "
                   "is not in the host list; not handing it a token (add it with "
                   "--host=registry.example.test in the exec args, "
                   "CLERK_CREDENTIAL_HOSTS or the config file)\n", 2)
        info["spec"]["cluster"]["server"] = "k8s.example"
        r = self.kube(info)
        self.check(r, "", "clerk-credential: the cluster server 'k8s.example' is not "
                   "an https URL; not handing it a token\n", 1)
        # The option in the exec args widens the list.
        info["spec"]["cluster"]["server"] = "https://k8s.other.example:6443"
        r = self.kube(info, args=("--host=k8s.other.example",))
        self.check(r, self.want(KUBE_V1), "", 0)

    def test_errors(self):
        self.seed()
        bad = ("clerk-credential: KUBERNETES_EXEC_INFO is not an ExecCredential "
               "(expected a JSON object with apiVersion, kind and spec, as kubectl "
               "sets it)\n")
        evil = '{"server":"https://evil.example:6443"}'
        good = '{"server":"https://api.corp.example.test:6443"}'
        for info in ("{", "[]", '{"kind":"Pod"}', '{"spec":{"interactive":"no"}}',
                     # What Go would read another way: refused.
                     '{"spec":{"cluster":%s,"cluster":%s}}' % (good, evil),
                     '{"spec":{"cluster":%s},"Spec":{"cluster":%s}}' % (good, evil),
                     '{"spec":{"cluster":{"server":"https://api.corp.example.test",'
                     '"Server":"https://evil.example"}}}'):
            r = self.kube(info)
            self.check(r, "", bad, 1, info)
        # client-go matches names without regard to case, as Go does: a
        # capitalised cluster is a cluster, and the host rule applies.
        for info in ('{"Spec":{"Cluster":%s}}' % evil,
                     '{"spec":{"CLUSTER":%s}}' % evil,
                     '{"\u017fpec":{"cluster":%s}}' % evil):
            r = self.kube(info)
            self.check(r, "", re.compile("evil.example:6443 is not in the host "
                                         "list"), 2, info)
        r = self.kube('{"Spec":{"Cluster":%s}}' % good)
        self.check(r, self.want(KUBE_V1), "", 0)
        r = self.run_argv([self.exe, "kubectl", "extra"])
        self.check(r, "", "clerk-credential: kubectl takes options only, not 'extra' "
                   "(see clerk-credential(1))\n", 2)
        r = self.kube(unset=["CLERK_ISSUER"])
        self.check(r, "", re.compile(NO_ISSUER_RE), 2)


class TestCargo(Transcript):
    """Contract §7: Cargo's credential-provider protocol v1."""

    HELLO = '{"v":[1]}\n'
    INDEX = "sparse+https://registry.example.test/index/"

    def cargo(self, requests, args=("--cargo-plugin",), env=None, unset=()):
        stdin = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                        for r in requests)
        return self.run_argv([self.exe, *args], stdin, env, unset)

    def req(self, kind="get", index=None, **extra):
        out = {"v": 1, "registry": {"index-url": index or self.INDEX, "name": "corp"},
               "kind": kind}
        if kind == "get":
            out["operation"] = "read"
        out.update(extra)
        return out

    def ok_get(self, token=TOKEN):
        return ('{"Ok":{"kind":"get","token":"Bearer %s","cache":"expires",'
                '"expiration":%d,"operation_independent":true}}\n' % (token, self.exp))

    def test_hello_only(self):
        r = self.cargo([])
        self.check(r, self.HELLO, "", 0)

    def test_get(self):
        self.seed()
        for args in (("--cargo-plugin",), ("cargo", "--cargo-plugin")):
            r = self.cargo([self.req()], args=args)
            self.check(r, self.HELLO + self.ok_get(), "", 0, args)
        r = self.cargo([self.req(operation="publish", name="x", vers="1.0.0",
                                 cksum="00")])
        self.check(r, self.HELLO + self.ok_get(), "", 0)

    def test_many_requests_and_host_rule(self):
        self.seed()
        unsupported = '{"Err":{"kind":"url-not-supported"}}\n'
        r = self.cargo([
            self.req(),
            self.req(index="sparse+https://crates.other.example/index/"),
            self.req(index="https://github.com/rust-lang/crates.io-index"),
            self.req(index="sparse+http://registry.example.test/index/"),
            self.req(index="sparse+http://127.0.0.1:5000/index/"),
            self.req(kind="frob"),
            self.req(v=2),
            "not json",
            self.req(),
        ])
        self.check(r, self.HELLO + self.ok_get() + unsupported * 3 + self.ok_get()
                   + '{"Err":{"kind":"operation-not-supported"}}\n'
                   '{"Err":{"kind":"other","message":"unsupported protocol version 2"}}\n'
                   '{"Err":{"kind":"other","message":"malformed credential-provider '
                   'request"}}\n' + self.ok_get(),
                   "clerk-credential: cargo: the request is not a credential-provider "
                   "message\n", 0)
        r = self.cargo([self.req()], unset=["CLERK_CREDENTIAL_HOSTS"])
        self.check(r, self.HELLO + unsupported, NO_HOSTS, 0)

    def test_duplicate_members_refused(self):
        """serde refuses a field given twice, Go takes the last: refused."""
        self.seed()
        dup = ('{"v":1,"registry":{"index-url":"%s","index-url":'
               '"sparse+https://evil.example/index/"},"kind":"get",'
               '"operation":"read"}' % self.INDEX)
        r = self.cargo([dup, self.req()])
        self.check(r, self.HELLO + '{"Err":{"kind":"other","message":"malformed '
                   'credential-provider request"}}\n' + self.ok_get(),
                   "clerk-credential: cargo: the request is not a "
                   "credential-provider message\n", 0)

    def test_get_not_signed_in(self):
        r = self.cargo([self.req()])
        self.check(r, self.HELLO + '{"Err":{"kind":"other","message":"%s"}}\n'
                   % NOT_SIGNED_IN_SHORT.replace("`", "`"), NOT_SIGNED_IN, 0)

    def test_args_are_options(self):
        self.seed()
        r = self.cargo([self.req(args=["cargo", "--username=ignored"])])
        self.check(r, self.HELLO + self.ok_get(), "", 0)
        # Another profile has no cached token.
        r = self.cargo([self.req(args=["--profile=work"])])
        self.check(r, self.HELLO + '{"Err":{"kind":"other","message":"%s"}}\n'
                   % NOT_SIGNED_IN_SHORT,
                   NOT_SIGNED_IN.replace("login`", "login --profile=work`"), 0)
        r = self.cargo([self.req(args=["--host=crates.other.example"]),
                        self.req(index="sparse+https://crates.other.example/index/",
                                 args=["--host=crates.other.example"])])
        self.check(r, self.HELLO + '{"Err":{"kind":"url-not-supported"}}\n'
                   + self.ok_get(), "", 0)
        r = self.cargo([self.req(args=["bogus"])])
        self.check(r, self.HELLO + '{"Err":{"kind":"other","message":"configuration '
                   'error (see `clerk-credential status`)"}}\n',
                   "clerk-credential: cargo: unexpected argument 'bogus' in the "
                   "credential-provider setting\n", 0)

    def test_login_and_logout(self):
        path = self.seed()
        r = self.cargo([self.req("login", token=TOKEN)])
        self.check(r, self.HELLO + '{"Ok":{"kind":"login"}}\n', "", 0)
        r = self.cargo([self.req("login", token="theirs")])
        self.check(r, self.HELLO + '{"Err":{"kind":"other","message":"clerk-credential '
                   'keeps no tokens but its own: run `cargo login` without a token to '
                   'sign in"}}\n', "", 0)
        # Signed in already (cargo login reads the index first): no browser.
        r = self.cargo([self.req("login")], unset=["CLERK_CREDENTIAL_INTERACTIVE"])
        self.check(r, self.HELLO + '{"Ok":{"kind":"login"}}\n',
                   "clerk-credential: already signed in (`clerk-credential logout` "
                   "first to sign in as someone else)\n", 0)
        r = self.cargo([self.req("logout",
                                 index="sparse+https://crates.other.example/index/")])
        self.check(r, self.HELLO + '{"Err":{"kind":"url-not-supported"}}\n', "", 0)
        self.assertTrue(path.exists())
        r = self.cargo([self.req("logout"), self.req("logout")])
        self.check(r, self.HELLO + '{"Ok":{"kind":"logout"}}\n'
                   '{"Err":{"kind":"not-found"}}\n',
                   "clerk-credential: not signed in to %s (profile default): nothing "
                   "to remove\n" % ISSUER, 0)
        self.assertFalse(path.exists())
        # login without a token signs in, which is not allowed here.
        r = self.cargo([self.req("login")])
        self.check(r, self.HELLO + '{"Err":{"kind":"other","message":"%s"}}\n'
                   % NOT_SIGNED_IN_SHORT, NOT_SIGNED_IN, 0)

    def test_without_cargo_plugin(self):
        r = self.run_argv([self.exe, "cargo"])
        self.check(r, "", "clerk-credential: cargo: this is Cargo's credential "
                   "provider; cargo runs it with --cargo-plugin (set "
                   "credential-provider = [\"clerk-credential\"] for the registry)\n", 2)


class TestCacheHit(Transcript):
    """Contract §15: a cache hit of any protocol maps no network library."""

    HEAVY = ("curl", "gnutls", "secret", "glib", "nettle", "clerk-credential-net")

    def test_no_heavy_library(self):
        self.seed()
        for argv, stdin, env in (
                ([self.docker, "get"], "registry.example.test\n", {}),
                ([self.terraform, "get", "registry.example.test"], "", {}),
                ([self.exe, "bazel", "get"], '{"uri":"https://registry.example.test/"}', {}),
                ([self.exe, "kubectl"], "", {"KUBERNETES_EXEC_INFO": json.dumps(
                    {"kind": "ExecCredential", "apiVersion": KUBE_V1, "spec": {}})}),
                ([self.exe, "--cargo-plugin"], json.dumps(
                    {"v": 1, "registry": {"index-url": "sparse+https://registry.example.test/"},
                     "kind": "get", "operation": "read"}) + "\n", {})):
            r = self.run_argv(argv, stdin, env={**env, "LD_DEBUG": "libs"})
            self.assertEqual(r.returncode, 0, argv)
            self.assertIn(TOKEN, r.stdout, argv)
            loaded = {os.path.basename(line.split("calling init:")[1].strip())
                      for line in r.stderr.splitlines() if "calling init:" in line}
            self.assertTrue(loaded, r.stderr[-2000:])
            for name in loaded:
                for heavy in self.HEAVY:
                    self.assertNotIn(heavy, name, (argv, sorted(loaded)))


class TestConfigure(Transcript):
    """Contract §2: configure/unconfigure git URL and docker REGISTRY."""

    DOCKER_CONFIG = {
        "auths": {"r.example.test": {"auth": "dXNlcjpwYXNz"}},
        "credsStore": "secretservice",
        "credHelpers": {"gcr.io": "gcloud"},
        "HttpHeaders": {"User-Agent": "test"},
        "proxies": {"default": {"httpProxy": "http://proxy.example.test:3128"}},
        "experimental": "enabled",
        "currentContext": "default",
    }

    def setUp(self):
        super().setUp()
        self.env.pop("CLERK_CREDENTIAL_HOSTS")
        self.env["GIT_CONFIG_NOSYSTEM"] = "1"
        self.hosts_file = self.root / "config" / "clerk-credential" / "config.json"

    def configure(self, *args, env=None, unset=()):
        return self.run_argv([self.exe, *args], env=env, unset=unset)

    def git_global(self, *args):
        r = self.run_argv(["git", "config", "--global", *args])
        return r.stdout.splitlines()

    def hosts(self):
        return json.loads(self.hosts_file.read_text())

    def test_git_round_trip(self):
        key = "credential.https://git.example.test.helper"
        for k, v in (("user.name", "Test User"), ("credential.helper", "cache"),
                     (key, "other-helper")):
            self.git_global("--add", k, v)
        before = self.git_global("--list")
        self.hosts_file.parent.mkdir(parents=True)
        self.hosts_file.write_text('{"issuer": "%s", "hosts": ["a.example.test"]}' % ISSUER)
        for _ in range(2):   # idempotent
            r = self.configure("configure", "git", "https://git.example.test")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr, "")
        self.assertEqual(self.git_global("--get-all", key), ["other-helper", "clerk"])
        self.assertEqual(self.git_global("--get", "user.name"), ["Test User"])
        self.assertEqual(self.hosts(), {"issuer": ISSUER,
                                        "hosts": ["a.example.test", "git.example.test"]})
        # The helper git now runs answers for that host.
        self.seed()
        r = self.run_argv([str(Path(self.exe).parent / "git-credential-clerk"), "get"],
                          "protocol=https\nhost=git.example.test\n\n",
                          unset=["CLERK_CREDENTIAL_HOSTS"])
        self.check(r, "username=oauth2\npassword=%s\npassword_expiry_utc=%d\n"
                   % (TOKEN, self.exp), "", 0)
        r = self.configure("unconfigure", "git", "https://git.example.test")
        self.check(r, "removed git config --global %s\nremoved git.example.test from "
                   "the host list of %s\n" % (key, self.hosts_file), "", 0)
        self.assertEqual(self.git_global("--list"), before)
        self.assertEqual(self.hosts(), {"issuer": ISSUER, "hosts": ["a.example.test"]})

    def test_git_output_and_profile(self):
        r = self.configure("configure", "git", "https://git.example.test/org/")
        self.check(r, "set git config --global credential.https://git.example.test/org/"
                   ".helper clerk\nadded git.example.test to the host list of %s\n"
                   % self.hosts_file, "", 0)
        r = self.configure("--profile=work", "configure", "git", "http://127.0.0.1:8080")
        self.check(r, "set git config --global credential.http://127.0.0.1:8080.helper "
                   "clerk --profile=work\nadded 127.0.0.1:8080 to the host list of %s "
                   "for profile work\n" % self.hosts_file, "", 0)
        self.assertEqual(self.hosts(), {"hosts": ["git.example.test"],
                                        "profiles": {"work": {"hosts": ["127.0.0.1:8080"]}}})
        r = self.configure("configure", "git", "https://x.example.test",
                           env={"CLERK_CREDENTIAL_HOSTS": "y.example.test"})
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stderr, "clerk-credential: warning: the host list from the "
                         "environment overrides the config file's: add x.example.test "
                         "there too\n")

    def write_docker_config(self, path, text=None, mode=0o640):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if text is not None
                        else json.dumps(self.DOCKER_CONFIG, indent="\t"))
        path.chmod(mode)
        return path.read_bytes()

    def test_docker_round_trip(self):
        path = self.root / ".docker" / "config.json"
        original = self.write_docker_config(path)
        r = self.configure("configure", "docker", "https://Registry.Example.Test:5000/v1/")
        self.check(r, 'set credHelpers "registry.example.test:5000": "clerk" in %s\n'
                   "added registry.example.test:5000 to the host list of %s\n"
                   % (path, self.hosts_file), "", 0)
        want = json.loads(original)
        want["credHelpers"]["registry.example.test:5000"] = "clerk"
        self.assertEqual(json.loads(path.read_text()), want)
        self.assertEqual(list(json.loads(path.read_text())), list(want))  # key order
        self.assertEqual((self.root / ".docker" / "config.json.bak").read_bytes(), original)
        self.assertEqual(path.stat().st_mode & 0o777, 0o640)
        self.assertEqual(self.hosts(), {"hosts": ["registry.example.test:5000"]})
        r = self.configure("configure", "docker", "registry.example.test:5000")
        self.check(r, '%s: credHelpers "registry.example.test:5000" is clerk already\n'
                   % path, "", 0)
        r = self.configure("unconfigure", "docker", "registry.example.test:5000")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(path.read_text()), json.loads(original))
        self.assertEqual(self.hosts(), {"hosts": []})

    def test_docker_new_file_and_docker_config_dir(self):
        r = self.configure("configure", "docker", "127.0.0.1:5000")
        self.assertEqual(r.returncode, 0, r.stderr)
        path = self.root / ".docker" / "config.json"
        self.assertEqual(json.loads(path.read_text()),
                         {"credHelpers": {"127.0.0.1:5000": "clerk"}})
        self.assertEqual(path.stat().st_mode & 0o777, 0o600)
        self.assertFalse((self.root / ".docker" / "config.json.bak").exists())
        # DOCKER_CONFIG names the directory; a link to the file is kept.
        target = self.root / "dotfiles" / "docker.json"
        original = self.write_docker_config(target)
        link_dir = self.root / "docker-config"
        link_dir.mkdir()
        (link_dir / "config.json").symlink_to(target)
        r = self.configure("configure", "docker", "registry.example.test",
                           env={"DOCKER_CONFIG": str(link_dir)})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue((link_dir / "config.json").is_symlink())
        got = json.loads(target.read_text())
        self.assertEqual(got["credHelpers"], {"gcr.io": "gcloud",
                                              "registry.example.test": "clerk"})
        self.assertEqual((self.root / "dotfiles" / "docker.json.bak").read_bytes(), original)

    def test_invalid_files_are_refused_untouched(self):
        path = self.root / ".docker" / "config.json"
        for text in ('{"auths": {', "[]", '"x"', '{"credHelpers": []}',
                     '{"a": 1} trailing'):
            original = self.write_docker_config(path, text)
            r = self.configure("configure", "docker", "registry.example.test")
            if "credHelpers" in text:
                err = ("clerk-credential: %s: key 'credHelpers' is not an object: left "
                       "untouched\n" % path)
            else:
                err = ("clerk-credential: %s is not a valid JSON object: left untouched "
                       "(fix or move it, then run this again)\n" % path)
            self.check(r, "", err, 2, text)
            self.assertEqual(path.read_bytes(), original)
            self.assertFalse(path.with_name("config.json.bak").exists())
            self.assertFalse(self.hosts_file.exists(), "the host list changed")
        # Our own config file too (the host list must be an array).
        self.hosts_file.parent.mkdir(parents=True)
        self.hosts_file.write_text('{"hosts": "a.example.test"}')
        r = self.configure("configure", "git", "https://git.example.test")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(self.hosts_file.read_text(), '{"hosts": "a.example.test"}')

    def test_refusals(self):
        usage = ("clerk-credential: usage: clerk-credential configure git URL | "
                 "configure docker REGISTRY\n")
        for args in ((), ("git",), ("svn", "https://x.example"),
                     ("git", "https://x.example", "extra")):
            r = self.configure("configure", *args)
            self.check(r, "", usage, 2, args)
        r = self.configure("configure", "git", "http://git.example.test")
        self.check(r, "", "clerk-credential: configure git: refusing "
                   "'http://git.example.test': a token never travels over plain http "
                   "off this machine\n", 2)
        r = self.configure("configure", "git", "git.example.test")
        self.check(r, "", "clerk-credential: configure git: 'git.example.test' is not "
                   "an https URL such as https://git.example.com\n", 2)
        r = self.configure("configure", "docker", "*.example.test")
        self.check(r, "", "clerk-credential: configure docker: '*.example.test' is not "
                   "a registry such as registry.example.com\n", 2)
        r = self.configure("configure", "git", "https://x.example/a b")
        self.check(r, "", "clerk-credential: configure: 'https://x.example/a b' holds a "
                   "blank or a control character\n", 2)
        self.assertFalse(self.hosts_file.exists())


class TestOneSignIn(h.ProviderCase):
    """Every protocol from one real sign-in (oidc-provider, headless Chromium)."""

    workdir_prefix = "clerk-proto-it-"

    @classmethod
    def set_up_class(cls):
        super().set_up_class()
        cls.sb = h.Sandbox(cls.workdir, cls.provider.issuer,
                           hosts=("registry.example.test", "127.0.0.1:5000",
                                  "*.corp.example.test"))
        cls._stack.callback(cls.sb.cleanup)
        exe = Path(cls.sb.main)
        cls.exe = str(exe)
        cls.docker = str(exe.parent / "docker-credential-clerk")
        cls.terraform = str(exe.parent / "terraform-credentials-clerk")

    def run_argv(self, argv, stdin="", env=None):
        return self.sb.run(argv, stdin, env=({**self.sb.env, **env} if env else None))

    def ok(self, r):
        self.assertEqual(r.returncode, 0, h.describe(r) + "\n" + self.provider.stderr_tail())

    def test_every_protocol_from_one_sign_in(self):
        mark = self.provider.mark()
        # docker get on an empty cache: the one browser sign-in.
        r = self.run_argv([self.docker, "get"], "registry.example.test\n")
        self.ok(r)
        answer = json.loads(r.stdout)
        token = answer["Secret"]
        self.assertEqual(r.stdout, json.dumps(
            {"ServerURL": "registry.example.test", "Username": "oauth2",
             "Secret": token}, separators=(",", ":")) + "\n")
        self.assertTrue(self.provider.is_active(token))
        self.sb.wait_browsers_done()
        self.assertEqual(len(self.sb.browser_launches()), 1)
        self.assertEqual(self.provider.count_grants(mark), {"authorization_code": 1})

        # The expiry as git sees it; every other protocol says the same.
        r = self.sb.helper("get", {"protocol": "https", "host": "registry.example.test"})
        self.ok(r)
        exp = int(h.kv_dict(r.stdout)["password_expiry_utc"])

        # docker: a second registry from the cache, then list shows both.
        r = self.run_argv([self.docker, "get"], "http://127.0.0.1:5000\n")
        self.ok(r)
        self.assertEqual(json.loads(r.stdout)["Secret"], token)
        r = self.run_argv([self.docker, "list"])
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (0, '{"127.0.0.1:5000":"oauth2","registry.example.test":'
                             '"oauth2"}\n', ""))
        r = self.run_argv([self.docker, "store"], json.dumps(answer))
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))

        # Terraform, Bazel, kubectl and Cargo: the same token.
        r = self.run_argv([self.terraform, "get", "app.corp.example.test"])
        self.assertEqual((r.returncode, r.stdout), (0, '{"token":"%s"}\n' % token))
        r = self.run_argv([self.exe, "bazel", "get"],
                          '{"uri":"https://registry.example.test/x"}')
        self.assertEqual((r.returncode, r.stdout), (0, json.dumps(
            {"headers": {"Authorization": ["Bearer " + token]},
             "expires": rfc3339(exp)}, separators=(",", ":")) + "\n"))
        r = self.run_argv([self.exe, "kubectl"], env={"KUBERNETES_EXEC_INFO": json.dumps(
            {"kind": "ExecCredential", "apiVersion": KUBE_V1BETA1,
             "spec": {"interactive": False}})})
        self.assertEqual((r.returncode, r.stdout), (0, json.dumps(
            {"apiVersion": KUBE_V1BETA1, "kind": "ExecCredential",
             "status": {"token": token, "expirationTimestamp": rfc3339(exp)}},
            separators=(",", ":")) + "\n"))
        r = self.run_argv([self.exe, "--cargo-plugin"], json.dumps(
            {"v": 1, "registry": {"index-url": "sparse+https://registry.example.test/i/"},
             "kind": "get", "operation": "read"}) + "\n")
        self.assertEqual((r.returncode, r.stdout), (0, '{"v":[1]}\n{"Ok":{"kind":"get",'
                         '"token":"Bearer %s","cache":"expires","expiration":%d,'
                         '"operation_independent":true}}\n' % (token, exp)))
        # All of that from the cache: no other token request, no browser.
        self.assertEqual(self.provider.count_grants(mark), {"authorization_code": 1})
        self.assertEqual(len(self.sb.browser_launches()), 1)

        # docker erase signs out; afterwards nothing is handed out.
        r = self.run_argv([self.docker, "erase"], "registry.example.test\n")
        self.ok(r)
        self.assertEqual(r.stdout, "")
        r = self.run_argv([self.docker, "list"])
        self.assertEqual(r.stdout, "{}\n")
        r = self.run_argv([self.docker, "--non-interactive", "get"], "registry.example.test\n")
        self.assertEqual((r.returncode, r.stdout),
                         (1, "clerk-credential: %s\n" % NOT_SIGNED_IN_SHORT))
        self.assertEqual(len(self.sb.browser_launches()), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
