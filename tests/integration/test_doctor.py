"""`doctor` (contract §17): each fault of a set-up named with its fix.

Against the real provider (tests/peers/provider.js) with one fault at a
time: an application that may not ask for offline_access, one that
registers another redirect URI, a Date header ten minutes off (a skewed
clock); on the user's side a config file others may write, one with an
unknown key, an issuer that is not exactly the provider's, an empty host
list with git and docker set up for other hosts, and a keyring asked for
without a session bus; an https issuer with an untrusted certificate (the
FAKE provider of tests/peers: oidc-provider here serves http only). Then
the all-well case, where git, docker, kubectl, Cargo and Terraform point
at the helper. Each case compares the whole transcript, its variable
parts (paths, the issuer, git's version) normalised.
"""

import json
import re
import shutil
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "peers"))
import harness as h  # noqa: E402
from fake_provider import FakeProvider  # noqa: E402
from tls_ca import TlsCA  # noqa: E402

HOST = "git.example.test"
REGISTRY = "registry.example.test"
# Nothing of the caller's tool configuration may reach the sandbox.
NO_TOOL_ENV = {"TF_CLI_CONFIG_FILE": None, "CARGO_HOME": None,
               "KUBECONFIG": None, "DOCKER_CONFIG": None}
KUBECTL = shutil.which("kubectl")

SCOPES = "profile email openid offline_access"
REDIRECT = "http://127.0.0.1:49152/callback"

CONFIG_OK = ("ok: config: no config file ($HOME/.config/clerk-credential/"
             "config.json): environment and options only")
ISSUER_OK = "ok: issuer: $ISSUER (discovery, TLS)"
CLOCK_OK = "ok: clock: within 60 s of the provider's"
APP_OK = ('ok: application: accepts the redirect URI %s and the scopes "%s"'
          % (REDIRECT, SCOPES))
STORE_OK = "ok: store: file store in $HOME/.local/state/clerk-credential"
RUNTIME_OK = "ok: runtime dir: $RUNTIME/clerk-credential (made when first needed)"
TOOLS_NONE = [
    "ok: hosts: %s" % HOST,
    "skip: git: no listed host uses this helper (clerk-credential configure "
    "git https://%s/ sets one up)" % HOST,
    "ok: git version: $GIT",
    "skip: docker: no $HOME/.docker/config.json",
    ("skip: kubectl: no kubeconfig user runs this helper (README, kubectl)"
     if KUBECTL else
     "skip: kubectl: kubectl is not installed or has no configuration"),
    "skip: cargo: no $HOME/.cargo/config.toml",
    "skip: terraform: no $HOME/.terraformrc",
]


def transcript(*lines):
    return "".join(line + "\n" for line in lines)


class DoctorCase(h.ProviderCase):
    maxDiff = None
    workdir_prefix = "clerk-doctor-"

    def user(self, **extra):
        return self.sandbox(**{**NO_TOOL_ENV, **extra})

    def doctor(self, sb, *args):
        r = sb.run([sb.main, "doctor", *args], timeout=60)
        out = r.stdout.replace(str(sb.home), "$HOME")
        out = out.replace(str(sb.runtime), "$RUNTIME")
        out = out.replace(self.provider.issuer, "$ISSUER")
        out = re.sub(r"(?m)^(ok: git version: ).*$", r"\1$GIT", out)
        return r, out

    def expect(self, sb, expected, status=1):
        r, out = self.doctor(sb)
        self.assertEqual(out, expected, r.stderr)
        self.assertEqual(r.returncode, status, r.stderr)
        return r


class TestAllWell(DoctorCase):
    def test_every_check_passes(self):
        # The host list is the config file's, where configure adds hosts.
        sb = self.user(hosts=None)
        for args in (["configure", "git", "https://%s" % HOST],
                     ["configure", "docker", REGISTRY]):
            r = sb.run([sb.main, *args])
            self.assertEqual(r.returncode, 0, r.stderr)
        kube = sb.home / ".kube"
        kube.mkdir()
        (kube / "config").write_text(
            "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\n"
            "users:\n- name: clerk\n  user:\n    exec:\n"
            "      apiVersion: client.authentication.k8s.io/v1beta1\n"
            "      command: clerk-credential\n      args: [kubectl]\n")
        cargo = sb.home / ".cargo"
        cargo.mkdir()
        (cargo / "config.toml").write_text(
            '[registries.corp]\nindex = "sparse+https://%s/index/"\n'
            'credential-provider = ["clerk-credential"]\n' % HOST)
        (sb.home / ".terraformrc").write_text('credentials_helper "clerk" {}\n')
        self.expect(sb, transcript(
            "ok: config: $HOME/.config/clerk-credential/config.json",
            ISSUER_OK, CLOCK_OK, APP_OK, STORE_OK, RUNTIME_OK,
            "ok: hosts: %s and 1 more" % HOST,
            "ok: git: listed hosts using this helper: 1 of 2; not "
            "https://%s/ (clerk-credential configure git https://%s/)"
            % (REGISTRY, REGISTRY),
            "ok: git version: $GIT",
            "ok: docker: listed hosts using this helper: 1 of 2",
            ("ok: kubectl: a kubeconfig user runs this helper" if KUBECTL
             else "skip: kubectl: kubectl is not installed or has no "
                  "configuration"),
            "ok: cargo: $HOME/.cargo/config.toml names this helper",
            "ok: terraform: $HOME/.terraformrc names this helper"), status=0)

    def test_json(self):
        sb = self.user(CLERK_CREDENTIAL_STORAGE="keyring")
        r = sb.run([sb.main, "doctor", "--json"], timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout.count("\n"), 1)
        checks = json.loads(r.stdout)
        self.assertEqual([c["check"] for c in checks][:6],
                         ["config", "issuer", "clock", "application",
                          "store", "runtime dir"])
        for c in checks:
            self.assertIn(c["status"], ("ok", "problem", "skipped"))
            if c["status"] == "problem":
                self.assertEqual(set(c), {"check", "status", "problem", "fix"})
            else:
                self.assertEqual(set(c), {"check", "status", "detail"})
        self.assertEqual([c["check"] for c in checks
                          if c["status"] == "problem"], ["store"])


class TestNoOfflineAccess(DoctorCase):
    provider_options = {"offline_access": False}

    def test_names_the_scope(self):
        sb = self.user()
        self.expect(sb, transcript(
            CONFIG_OK, ISSUER_OK, CLOCK_OK,
            "problem: application: the OAuth application may not ask for "
            "the scope offline_access; fix: allow offline_access (refresh "
            "tokens) for the OAuth application at the provider, or leave it "
            'out of "scopes" (a sign-in each time the access token expires)',
            STORE_OK, RUNTIME_OK, *TOOLS_NONE))


class TestRedirectUri(DoctorCase):
    provider_options = {"redirect_uri": "http://127.0.0.1/oauth/callback"}

    def test_names_the_redirect_uri(self):
        sb = self.user()
        self.expect(sb, transcript(
            CONFIG_OK, ISSUER_OK, CLOCK_OK,
            "problem: application: the OAuth application refuses the "
            "redirect URI %s; fix: add http://127.0.0.1/callback (any port) "
            "to the OAuth application's redirect URIs at the provider; one "
            'with a fixed port also needs "callback_port"' % REDIRECT,
            STORE_OK, RUNTIME_OK, *TOOLS_NONE))


class TestSkewedClock(DoctorCase):
    provider_options = {"date_offset": 600}

    def test_names_the_skew(self):
        sb = self.user()
        r, out = self.doctor(sb)
        skew = re.search(r"this clock is (\d+) s behind", out)
        self.assertIsNotNone(skew, out)
        self.assertLessEqual(abs(int(skew.group(1)) - 600), 2)
        out = out.replace(skew.group(0), "this clock is 600 s behind")
        self.assertEqual(out, transcript(
            CONFIG_OK, ISSUER_OK,
            "problem: clock: this clock is 600 s behind the provider's Date "
            "header (ID tokens allow 60 s); fix: set this machine's clock "
            "right, e.g. timedatectl set-ntp true",
            APP_OK, STORE_OK, RUNTIME_OK, *TOOLS_NONE), r.stderr)
        self.assertEqual(r.returncode, 1)


class TestUserSide(DoctorCase):
    def config_file(self, sb, text, mode):
        d = sb.home / ".config" / "clerk-credential"
        d.mkdir(mode=0o700)
        f = d / "config.json"
        f.write_text(text)
        f.chmod(mode)
        return f

    def test_lax_config_file(self):
        sb = self.user()
        self.config_file(sb, '{"hosts": ["%s"]}' % HOST, 0o666)
        path = "$HOME/.config/clerk-credential/config.json"
        self.expect(sb, transcript(
            "problem: config: %s can be changed by others than you; fix: "
            "chmod go-w %s" % (path, path),
            RUNTIME_OK))

    def test_config_syntax(self):
        sb = self.user()
        self.config_file(sb, '{"hostz": ["%s"]}' % HOST, 0o600)
        r = self.expect(sb, transcript(
            "problem: config: the configuration is refused ($HOME/.config/"
            "clerk-credential/config.json); fix: correct it as the message "
            "above says",
            RUNTIME_OK))
        self.assertIn("hostz", r.stderr)

    def test_inexact_issuer(self):
        # The same server under another name is another issuer.
        other = self.provider.issuer.replace("127.0.0.1", "localhost")
        sb = self.user(CLERK_ISSUER=other)
        self.expect(sb, transcript(
            CONFIG_OK,
            'problem: issuer: the provider names its issuer "$ISSUER", not '
            '"%s"; fix: set the issuer to exactly "$ISSUER"' % other,
            CLOCK_OK, STORE_OK, RUNTIME_OK, *TOOLS_NONE))

    def test_tools_for_unlisted_hosts(self):
        sb = self.user(hosts=())
        r = sb.run(["git", "config", "--global",
                    "credential.https://stray.example.test/org.helper", "clerk"])
        self.assertEqual(r.returncode, 0, r.stderr)
        (sb.home / ".docker").mkdir()
        (sb.home / ".docker" / "config.json").write_text(
            '{"credHelpers": {"%s": "clerk"}}' % REGISTRY)
        tools = TOOLS_NONE[4:]
        self.expect(sb, transcript(
            CONFIG_OK, ISSUER_OK, CLOCK_OK, APP_OK, STORE_OK, RUNTIME_OK,
            "problem: hosts: no host may receive a token: the host list is "
            'empty; fix: name the hosts in "hosts" of the config file, '
            "CLERK_CREDENTIAL_HOSTS or --host (clerk-credential configure "
            "git URL adds one)",
            "problem: git: git runs this helper for stray.example.test, "
            'which is not in the host list; fix: add stray.example.test to '
            '"hosts" in the config file',
            "ok: git version: $GIT",
            "problem: docker: docker runs this helper for %s, which is not "
            'in the host list; fix: add %s to "hosts" in the config file'
            % (REGISTRY, REGISTRY),
            *tools))

    def test_tools_for_hosts_a_profile_claims(self):
        """A host a profile's section claims is answered without
        --profile (contract §18): a git or docker entry for it is fine."""
        sb = self.user(hosts=None)
        conf = sb.home / ".config" / "clerk-credential"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "config.json").write_text(json.dumps({
            "hosts": [HOST],
            "profiles": {"reg": {"hosts": [REGISTRY, "claimed.example.test"]}}}))
        r = sb.run(["git", "config", "--global",
                    "credential.https://claimed.example.test.helper", "clerk"])
        self.assertEqual(r.returncode, 0, r.stderr)
        (sb.home / ".docker").mkdir()
        (sb.home / ".docker" / "config.json").write_text(
            '{"credHelpers": {"%s": "clerk"}}' % REGISTRY)
        r, out = self.doctor(sb, "--json")
        checks = {c["check"]: c for c in json.loads(out)}
        for name in ("git", "docker"):
            self.assertNotEqual(checks[name]["status"], "problem", out)

    def test_missing_keyring(self):
        sb = self.user(CLERK_CREDENTIAL_STORAGE="keyring")
        self.expect(sb, transcript(
            CONFIG_OK, ISSUER_OK, CLOCK_OK, APP_OK,
            "problem: store: the keyring cannot be reached: no session bus: "
            "DBUS_SESSION_BUS_ADDRESS is not set; fix: start a Secret "
            "Service (e.g. gnome-keyring-daemon) in your D-Bus session, or "
            'set "storage" to "file"',
            RUNTIME_OK, *TOOLS_NONE))


class TestTls(h.WorkdirCase):
    """An https issuer whose certificate is not trusted: a TLS problem,
    not "unreachable"; trusted through ca_file, the issuer is fine. (The
    FAKE provider of tests/peers: oidc-provider here serves http only.)"""

    workdir_prefix = "clerk-doctor-tls-"

    @classmethod
    def set_up_class(cls):
        cls.ca = cls._stack.enter_context(TlsCA())

    def issuer_line(self, status=1, **extra):
        cert = self.ca.issue("127.0.0.1", ["IP:127.0.0.1"])
        fake = FakeProvider(tls=TlsCA.server_context(*cert)).start()
        self.addCleanup(fake.stop)
        sb = h.Sandbox(self.workdir, fake.issuer, **{**NO_TOOL_ENV, **extra})
        self.addCleanup(sb.cleanup)
        r = sb.run([sb.main, "doctor"], timeout=60)
        self.assertEqual(r.returncode, status, r.stdout + r.stderr)
        lines = [line for line in r.stdout.splitlines()
                 if ": issuer: " in line]
        self.assertEqual(len(lines), 1, r.stdout)
        return lines[0].replace(fake.issuer, "$ISSUER"), r

    def test_untrusted_certificate(self):
        line, r = self.issuer_line()
        self.assertEqual(
            line, "problem: issuer: TLS with $ISSUER failed (the message "
            "above says why); fix: name the CA that signed its certificate "
            'with --ca-file or "ca_file", or correct the host name of the '
            "issuer", r.stderr)
        self.assertIn("TLS with", r.stderr)

    def test_trusted_through_ca_file(self):
        line, r = self.issuer_line(0, CLERK_CREDENTIAL_CA_FILE=self.ca.cert)
        self.assertEqual(line, "ok: issuer: $ISSUER (discovery, TLS)",
                         r.stdout + r.stderr)


if __name__ == "__main__":
    sys.exit(h.run_tests("test_doctor.py"))
