"""`meson install --destdir`: what lands where, and that it works there.

Installs this build (without rebuilding it) into a temporary directory and
checks the places distributions expect: the program and its aliases in
bindir, the network and keyring modules in libdir/clerk-credential, the
man pages in mandir (when scdoc built them), the bash and zsh completions
in datadir. Then a real `git credential fill` runs through the installed
git-credential-clerk alias (found on PATH, the build tree is not on it)
against a runtime cache seeded in its documented format: a cache hit needs
no module. A miss with sign-in disabled must fail cleanly there too, after
the file store, finding nothing, has had the keyring module (found from
the program, CLERK_MODULE_RELDIR) look in the keyring.
"""

import os
import shutil
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from harness import seed_cache

ISSUER = "https://clerk.example.test"
CLIENT = "client_install"
ALIASES = ["git-credential-clerk", "docker-credential-clerk",
           "terraform-credentials-clerk"]


def find_one(root, rel_suffix):
    """The one installed path ending in @rel_suffix (e.g. bin/x)."""
    hits = [p for p in root.rglob(Path(rel_suffix).name)
            if p.as_posix().endswith("/" + rel_suffix)]
    return hits[0] if len(hits) == 1 else None


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.build = Path(os.environ["CLERK_BUILD_ROOT"])
        cls.tmp = tempfile.TemporaryDirectory(prefix="clerk-install-")
        cls.dest = Path(cls.tmp.name) / "dest"
        meson = os.environ.get("MESON") or shutil.which("meson")
        r = subprocess.run(
            [meson, "install", "-C", str(cls.build), "--no-rebuild",
             "--quiet", "--destdir", str(cls.dest)],
            capture_output=True, text=True, timeout=120)
        if r.returncode:
            raise AssertionError("meson install failed:\n" + r.stdout +
                                 r.stderr)
        cls.bin = find_one(cls.dest, "bin/clerk-credential")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_program_and_aliases(self):
        self.assertIsNotNone(self.bin, "no bin/clerk-credential installed")
        self.assertTrue(os.access(self.bin, os.X_OK))
        for a in ALIASES:
            link = self.bin.parent / a
            self.assertTrue(link.is_symlink(), a)
            self.assertEqual(os.readlink(link), "clerk-credential")
        r = subprocess.run([str(self.bin), "--version"], capture_output=True,
                           text=True, timeout=20)
        self.assertRegex(r.stdout, r"^clerk-credential \d+\.\d+\.\d+\n$")

    def test_modules(self):
        net = find_one(self.dest, "clerk-credential/clerk-credential-net.so")
        self.assertIsNotNone(net, "no network module in libdir")
        # Under the same prefix as bindir, in .../lib[/<multiarch>]/.
        prefix = self.bin.parent.parent
        self.assertTrue(net.is_relative_to(prefix / "lib") or
                        net.is_relative_to(prefix / "lib64"), net)
        keyring = find_one(self.dest,
                           "clerk-credential/clerk-credential-keyring.so")
        self.assertIsNotNone(keyring, "no keyring module in libdir")
        self.assertEqual(keyring.parent, net.parent)

    def test_man_pages(self):
        for page, section in [("clerk-credential.1", "man1"),
                              ("clerk-credential.json.5", "man5")]:
            # Set by tests/meson.build: whether scdoc was found, so a page
            # that should have been built and was not is a failure.
            if os.environ.get("CLERK_MAN_PAGES") != "1":
                self.skipTest("no scdoc: the man pages are not built")
            self.assertTrue((self.build / "docs" / page).exists(), page)
            got = find_one(self.dest, "share/man/%s/%s" % (section, page))
            self.assertIsNotNone(got, page)
            self.assertIn(".TH", got.read_text())

    def test_completions(self):
        src = Path(__file__).resolve().parents[2] / "docs" / "completions"
        bash = find_one(self.dest,
                        "share/bash-completion/completions/clerk-credential")
        self.assertIsNotNone(bash)
        self.assertEqual(bash.read_text(),
                         (src / "clerk-credential.bash").read_text())
        for a in ALIASES:
            self.assertEqual(os.readlink(bash.parent / a), "clerk-credential")
        zsh = find_one(self.dest, "share/zsh/site-functions/_clerk-credential")
        self.assertIsNotNone(zsh)
        self.assertTrue(zsh.read_text().startswith("#compdef clerk-credential"))

    def env(self, root):
        run = root / "run"
        run.mkdir(mode=0o700, exist_ok=True)
        return {
            # The installed bindir only: git must find the installed alias.
            "PATH": "%s:/usr/bin:/bin" % self.bin.parent,
            "HOME": str(root),
            "XDG_RUNTIME_DIR": str(run),
            "XDG_STATE_HOME": str(root / "state"),
            "XDG_CONFIG_HOME": str(root / "config"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "CLERK_ISSUER": ISSUER,
            "CLERK_OAUTH_CLIENT_ID": CLIENT,
            "CLERK_CREDENTIAL_STORAGE": "file",
            "DBUS_SESSION_BUS_ADDRESS": "",
        }

    def fill(self, env):
        return subprocess.run(
            ["git", "-c", "credential.helper=",
             "-c", "credential.helper=clerk --host=git.example.test",
             "credential", "fill"],
            input="protocol=https\nhost=git.example.test\n\n",
            capture_output=True, text=True, timeout=30, env=env)

    def test_git_credential_fill_through_installed_alias(self):
        with tempfile.TemporaryDirectory(prefix="clerk-inst-home-") as t:
            root = Path(t)
            env = self.env(root)
            exp = int(time.time()) + 3600
            seed_cache(root / "run", ISSUER, CLIENT, "tok-installed", exp)
            r = self.fill(env)
            self.assertEqual(r.returncode, 0, r.stderr)
            # git 2.41+ also passes password_expiry_utc on; 2.39 drops it.
            self.assertIn(r.stdout, [
                "protocol=https\nhost=git.example.test\n"
                "username=oauth2\npassword=tok-installed\n" + tail
                for tail in ["", "password_expiry_utc=%d\n" % exp]])

    def test_miss_without_sign_in_fails_cleanly(self):
        with tempfile.TemporaryDirectory(prefix="clerk-inst-home-") as t:
            env = self.env(Path(t))
            # A named bus (that nobody listens on) makes the empty file
            # store ask the installed keyring module.
            env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=%s/no-bus" % t
            env["CLERK_CREDENTIAL_DEBUG"] = "1"
            r = self.fill(env)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("clerk-credential: not signed in", r.stderr)
            self.assertNotIn("password=", r.stdout)
            self.assertNotIn("cannot load", r.stderr)
            loaded = [line.split("loaded ", 1)[1] for line in
                      r.stderr.splitlines() if "debug: loaded " in line]
            self.assertEqual(len(loaded), 1, r.stderr)
            self.assertTrue(loaded[0].endswith("/clerk-credential-keyring.so"),
                            loaded)
            self.assertTrue(Path(loaded[0]).resolve().is_relative_to(
                self.dest.resolve()), loaded)


if __name__ == "__main__":
    unittest.main(verbosity=2)
