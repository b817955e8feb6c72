#!/usr/bin/env python3
"""The CI token: CLERK_CREDENTIAL_TOKEN or --token-file (contract §9).

The real binary and its aliases, with no provider at all: every protocol
(git, docker, kubectl, Bazel, Terraform, Cargo, token, header) hands out
the CI token as it hands out a signed-in one, the host rule included;
nothing is written under XDG_STATE_HOME or XDG_RUNTIME_DIR, no store is
opened (storage=auto with a session bus named: a probe would map the
keyring module, which LD_DEBUG shows), no sign-in starts. The token file
is re-read on every run (a rotation counts on the next get), refused when
others can read it; status names where the token comes from and never
prints it; erase removes nothing and holds a twice-refused token back
from git; logout has nothing to sign out of.

Run: CLERK_CREDENTIAL=/path/to/build/clerk-credential \
    python3 tests/integration/test_citoken.py
"""

import json
import os
import subprocess
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

ISSUER = "https://clerk.example.test"
CLIENT = "client_citoken"
TOKEN = "ci.token-1_A"
KUBE_V1 = "client.authentication.k8s.io/v1"
HEAVY = ("curl", "gnutls", "secret", "glib", "nettle", "clerk-credential-net",
         "clerk-credential-keyring")
NOT_FOUND = "credentials not found in native keychain\n"


class CITokenCase(h.OfflineCase):
    """A runner: no sign-in, a CI token, a session bus named."""

    workdir_prefix = "clerk-citoken-"
    issuer = ISSUER
    client_id = CLIENT
    allowed_hosts = ("registry.example.test", "git.example.test",
                     "127.0.0.1:5000")
    extra_env = {"CLERK_CREDENTIAL_INTERACTIVE": "0",
                 "CLERK_CREDENTIAL_STORAGE": "auto",
                 "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}
    mode = "env"  # or "file": --token-file

    def setUp(self):
        super().setUp()
        exe = Path(os.environ["CLERK_CREDENTIAL"]).resolve()
        self.exe = str(exe)
        self.alias = str(exe.parent / "git-credential-clerk")
        self.docker = str(exe.parent / "docker-credential-clerk")
        self.terraform = str(exe.parent / "terraform-credentials-clerk")
        self.env["GIT_CONFIG_NOSYSTEM"] = "1"
        self.token_file = self.root / "secrets" / "token"
        self.token_file.parent.mkdir(mode=0o700)
        self.set_token(TOKEN)

    def tearDown(self):
        self.assertFalse(self.marker.exists(), "a CI token run started a sign-in")

    def set_token(self, token, mode=0o600):
        """The pipeline gives @token; a file is rewritten in place, @mode."""
        if self.mode == "env":
            self.env["CLERK_CREDENTIAL_TOKEN"] = token
            return
        fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        os.chmod(self.token_file, mode)

    def options(self):
        return ["--token-file=%s" % self.token_file] if self.mode == "file" else []

    def run_argv(self, argv, stdin="", env=None):
        argv = [argv[0], *self.options(), *argv[1:]]
        return subprocess.run(argv, input=stdin, capture_output=True, text=True,
                              timeout=20, env={**self.env, **(env or {})},
                              cwd=str(self.root))

    def written(self):
        """Every path under the state and runtime directories."""
        out = []
        for top in (self.root / "state", self.run_dir):
            for dirpath, dirnames, filenames in os.walk(top):
                out += [os.path.join(dirpath, n) for n in dirnames + filenames]
        return sorted(out)

    def check(self, r, stdout, code=0, what=""):
        msg = "%s\n%s" % (what, h.describe(r))
        self.assertEqual((r.returncode, r.stdout), (code, stdout), msg)
        self.assertNotIn(TOKEN, r.stderr, msg)

    # what each protocol is asked, and what it answers with @token

    def protocol_runs(self, token, host="registry.example.test"):
        git_req = "protocol=https\nhost=%s\n\n" % host
        cargo_req = json.dumps(
            {"v": 1, "registry": {"index-url": "sparse+https://%s/i/" % host},
             "kind": "get", "operation": "read"}) + "\n"
        kube_env = {"KUBERNETES_EXEC_INFO": json.dumps(
            {"kind": "ExecCredential", "apiVersion": KUBE_V1,
             "spec": {"interactive": False,
                      "cluster": {"server": "https://%s" % host}}})}
        return [
            ("git", [self.alias, "get"], git_req, {},
             "username=oauth2\npassword=%s\n" % token),
            ("git bearer", [self.alias, "get"],
             "capability[]=authtype\nprotocol=https\nhost=%s\n"
             "wwwauth[]=Bearer realm=\"x\"\n\n" % host, {},
             "capability[]=authtype\nauthtype=Bearer\ncredential=%s\n"
             "ephemeral=1\n" % token),
            ("docker", [self.docker, "get"], host + "\n", {},
             json.dumps({"ServerURL": host, "Username": "oauth2",
                         "Secret": token}, separators=(",", ":")) + "\n"),
            ("kubectl", [self.exe, "kubectl"], "", kube_env,
             json.dumps({"apiVersion": KUBE_V1, "kind": "ExecCredential",
                         "status": {"token": token}},
                        separators=(",", ":")) + "\n"),
            ("bazel", [self.exe, "bazel", "get"],
             json.dumps({"uri": "https://%s/x" % host}), {},
             '{"headers":{"Authorization":["Bearer %s"]}}\n' % token),
            ("terraform", [self.terraform, "get", host], "", {},
             '{"token":"%s"}\n' % token),
            ("cargo", [self.exe, "--cargo-plugin"], cargo_req, {},
             '{"v":[1]}\n{"Ok":{"kind":"get","token":"Bearer %s",'
             '"cache":"session","operation_independent":true}}\n' % token),
        ]


class EnvToken(CITokenCase):
    """CLERK_CREDENTIAL_TOKEN."""

    def test_every_protocol_and_nothing_written(self):
        for name, argv, stdin, env, want in self.protocol_runs(TOKEN):
            r = self.run_argv(argv, stdin, env)
            self.check(r, want, 0, name)
        r = self.run_argv([self.exe, "token"])
        self.check(r, TOKEN + "\n", 0, "token")
        r = self.run_argv([self.exe, "header"])
        self.check(r, "Authorization: Bearer %s\n" % TOKEN, 0, "header")
        # git itself, through the helper string a laptop uses too.
        r = subprocess.run(
            ["git", "-c", "credential.helper=", "-c",
             "credential.helper=" + self.alias + " " + " ".join(self.options()),
             "credential", "fill"],
            input="protocol=https\nhost=git.example.test\n\n",
            capture_output=True, text=True, timeout=20, env=self.env,
            cwd=str(self.root))
        self.assertEqual(h.kv_dict(r.stdout).get("password"), TOKEN, h.describe(r))
        self.assertEqual(self.written(), [])

    def test_no_store_module_or_network(self):
        """No library of the modules is mapped: no keyring probe, no store."""
        for name, argv, stdin, env, want in self.protocol_runs(TOKEN):
            r = self.run_argv(argv, stdin, {**env, "LD_DEBUG": "libs"})
            self.assertEqual((r.returncode, r.stdout), (0, want), name)
            loaded = {os.path.basename(line.split("calling init:")[1].strip())
                      for line in r.stderr.splitlines() if "calling init:" in line}
            self.assertTrue(loaded, r.stderr[-2000:])
            for lib in loaded:
                for heavy in HEAVY:
                    self.assertNotIn(heavy, lib, (name, sorted(loaded)))
        self.assertEqual(self.written(), [])

    def test_without_issuer_or_client_id(self):
        """A runner needs the host list and the token, nothing else."""
        for k in ("CLERK_ISSUER", "CLERK_OAUTH_CLIENT_ID"):
            self.env.pop(k)
        for name, argv, stdin, env, want in self.protocol_runs(TOKEN):
            self.check(self.run_argv(argv, stdin, env), want, 0, name)

    def test_host_rule(self):
        for host in ("other.example.test", "registry.example.test.evil.example"):
            for name, argv, stdin, env, _ in self.protocol_runs(TOKEN, host):
                r = self.run_argv(argv, stdin, env)
                self.assertNotIn(TOKEN, r.stdout + r.stderr, (name, host))
        r = self.run_argv([self.alias, "get"],
                          "protocol=https\nhost=other.example.test\n\n")
        self.check(r, "", 0)
        r = self.run_argv([self.docker, "get"], "other.example.test\n")
        self.check(r, NOT_FOUND, 1)
        # A bearer token never travels in clear text.
        r = self.run_argv([self.alias, "get"],
                          "protocol=http\nhost=git.example.test\n\n")
        self.check(r, "", 0)
        self.assertEqual(self.written(), [])

    def test_malformed_token(self):
        for bad in ("two words", "line\nline"):
            self.set_token(bad)
            r = self.run_argv([self.alias, "get"],
                              "protocol=https\nhost=git.example.test\n\n")
            self.assertEqual((r.returncode, r.stdout), (2, ""), h.describe(r))
            self.assertIn("CLERK_CREDENTIAL_TOKEN: the token has a blank",
                          r.stderr)
            self.assertNotIn(bad, r.stderr)

    def test_never_an_option(self):
        secret = "argv-secret-123"
        for argv in ([self.exe, "--token=" + secret, "token"],
                     [self.exe, "--tok", secret, "token"]):
            r = subprocess.run(argv, capture_output=True, text=True, timeout=20,
                               env=self.env)
            self.assertEqual((r.returncode, r.stdout), (2, ""), h.describe(r))
            self.assertIn("unknown option", r.stderr)
            self.assertNotIn(secret, r.stderr)

    def test_status_names_the_source(self):
        r = self.run_argv([self.exe, "status"])
        self.assertEqual(r.returncode, 0, h.describe(r))
        self.assertIn("token:          from %s (handed out first" % self.source(),
                      r.stdout)
        self.assertNotIn(TOKEN, r.stdout + r.stderr)
        r = self.run_argv([self.exe, "status", "--json"])
        self.assertEqual(r.returncode, 0, h.describe(r))
        doc = json.loads(r.stdout)
        self.assertEqual(doc["token_from"], self.json_source())
        self.assertNotIn(TOKEN, r.stdout + r.stderr)

    def source(self):
        return "CLERK_CREDENTIAL_TOKEN"

    def json_source(self):
        return "CLERK_CREDENTIAL_TOKEN"

    def test_erase_removes_nothing_and_holds_a_refused_token(self):
        # A signed-in user's store is left alone: erase removes nothing.
        store = self.root / "state" / "clerk-credential" / "tokens-default.json"
        req = "protocol=https\nhost=git.example.test\n"
        erase = req + "username=oauth2\npassword=%s\n\n" % TOKEN
        r = self.run_argv([self.alias, "erase"],
                          req + "username=oauth2\npassword=other\n\n")
        self.check(r, "", 0, "erase of another token")
        self.assertEqual(self.written(), [])
        # The first refusal: git gets the token once more.
        self.check(self.run_argv([self.alias, "erase"], erase), "", 0)
        self.check(self.run_argv([self.alias, "get"], req + "\n"),
                   "username=oauth2\npassword=%s\n" % TOKEN)
        # The second: none for five minutes, said once; others still get it.
        self.check(self.run_argv([self.alias, "erase"], erase), "", 0)
        r = self.run_argv([self.alias, "get"], req + "\n")
        self.check(r, "", 0)
        self.assertIn("keeps refusing the CI token from %s" % self.source(),
                      r.stderr)
        r = self.run_argv([self.alias, "get"], req + "\n")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.check(self.run_argv([self.exe, "token"]), TOKEN + "\n")
        # A new token (a rotation) is handed out at once.
        self.set_token("ci.token-2")
        self.check(self.run_argv([self.alias, "get"], req + "\n"),
                   "username=oauth2\npassword=ci.token-2\n")
        # No token anywhere: only the lock and the rejection record.
        self.assertFalse(store.exists())
        for path in self.written():
            self.assertFalse(path.endswith((".json", ".token")), path)
            if os.path.isfile(path):
                text = Path(path).read_text()
                self.assertNotIn(TOKEN, text, path)
                self.assertNotIn("ci.token-2", text, path)

    def test_logout_has_nothing_to_sign_out_of(self):
        r = self.run_argv([self.exe, "logout"])
        self.check(r, "", 0)
        self.assertIn("comes from %s and is never stored: nothing to sign out of"
                      % self.source(), r.stderr)
        # Nobody signed in: whoami has no user, and asks no provider.
        r = self.run_argv([self.exe, "whoami"])
        self.check(r, "", 1)
        self.assertIn("comes from %s, not from a sign-in: no user to show"
                      % self.source(), r.stderr)
        # docker's erase is a logout; docker login's store is accepted.
        r = self.run_argv([self.docker, "erase"], "registry.example.test\n")
        self.check(r, "", 0)
        r = self.run_argv([self.docker, "store"], json.dumps(
            {"ServerURL": "registry.example.test", "Username": "oauth2",
             "Secret": TOKEN}))
        self.check(r, "", 0)
        self.check(self.run_argv([self.docker, "list"]),
                   '{"127.0.0.1:5000":"oauth2","git.example.test":"oauth2",'
                   '"registry.example.test":"oauth2"}\n')
        self.assertEqual(self.written(), [])


class FileToken(EnvToken):
    """--token-file FILE: every test above, plus the file's own rules."""

    mode = "file"

    def source(self):
        return "token file %s" % self.token_file

    def json_source(self):
        return str(self.token_file)

    def test_malformed_token(self):
        for bad in ("two words", "", "line\nline"):
            self.set_token(bad)
            r = self.run_argv([self.alias, "get"],
                              "protocol=https\nhost=git.example.test\n\n")
            self.assertEqual((r.returncode, r.stdout), (2, ""), h.describe(r))
            self.assertIn("token file %s" % self.token_file, r.stderr)
            if bad:
                self.assertNotIn(bad, r.stderr)

    def test_rotation_on_the_next_get(self):
        req = "protocol=https\nhost=git.example.test\n\n"
        self.check(self.run_argv([self.alias, "get"], req),
                   "username=oauth2\npassword=%s\n" % TOKEN)
        # Rewritten in place, same mode.
        self.set_token("ci.token-2")
        self.check(self.run_argv([self.alias, "get"], req),
                   "username=oauth2\npassword=ci.token-2\n")
        # Replaced by a rename, as a mounted secret is (through a link).
        new = self.token_file.parent / "..data-new"
        new.write_text("ci.token-3\n")
        new.chmod(0o600)
        link = self.token_file.parent / "current"
        os.symlink(new.name, link)
        self.token_file.unlink()
        os.symlink(link.name, self.token_file)
        self.check(self.run_argv([self.alias, "get"], req),
                   "username=oauth2\npassword=ci.token-3\n")
        self.assertEqual(self.written(), [])

    def test_file_readable_by_others_is_refused(self):
        req = "protocol=https\nhost=git.example.test\n\n"
        for mode in (0o644, 0o640, 0o604, 0o606, 0o620):
            self.set_token(TOKEN, mode)
            r = self.run_argv([self.alias, "get"], req)
            self.check(r, "", 1, oct(mode))
            if mode & 0o022:  # the trusted-file check says it first
                self.assertIn("refusing %s: it is writable by group or "
                              "others" % self.token_file, r.stderr)
            else:
                self.assertIn("refusing token file %s: readable or writable "
                              "by others (mode %03o; fix with: chmod 600"
                              % (self.token_file, mode), r.stderr)
            r = self.run_argv([self.docker, "get"], "registry.example.test\n")
            self.assertEqual(r.returncode, 1)
            self.assertNotIn(TOKEN, r.stdout + r.stderr)
        self.assertEqual(self.written(), [])

    def test_missing_file_is_an_error_not_a_sign_in(self):
        self.token_file.unlink()
        r = self.run_argv([self.alias, "get"],
                          "protocol=https\nhost=git.example.test\n\n")
        self.assertEqual((r.returncode, r.stdout), (2, ""), h.describe(r))
        self.assertIn("token file %s does not exist" % self.token_file, r.stderr)

    def test_environment_and_config_file(self):
        """CLERK_CREDENTIAL_TOKEN_FILE, and token_file in a profile."""
        req = "protocol=https\nhost=git.example.test\n\n"
        want = "username=oauth2\npassword=%s\n" % TOKEN
        r = subprocess.run([self.alias, "get"], input=req, capture_output=True,
                           text=True, timeout=20, cwd=str(self.root),
                           env={**self.env, "CLERK_CREDENTIAL_TOKEN_FILE":
                                str(self.token_file)})
        self.check(r, want)
        conf = self.root / "config" / "clerk-credential"
        conf.mkdir(parents=True, mode=0o700)
        (conf / "config.json").write_text(json.dumps(
            {"profiles": {"ci": {"token_file": str(self.token_file)}}}))
        # Another profile has no CI token, and no sign-in here.
        for argv, code, out in (([self.alias, "--profile=ci", "get"], 0, want),
                                ([self.alias, "get"], 1, "")):
            r = subprocess.run(argv, input=req, capture_output=True, text=True,
                               timeout=20, cwd=str(self.root), env=self.env)
            self.check(r, out, code, argv)
        # CLERK_CREDENTIAL_TOKEN comes first.
        r = self.run_argv([self.alias, "get"], req,
                          {"CLERK_CREDENTIAL_TOKEN": "ci.env"})
        self.check(r, "username=oauth2\npassword=ci.env\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
