"""The cache-hit path and the git protocol edges, without a provider.

The runtime cache is seeded by hand in its documented format (helper/core/cache.h),
so these tests need neither network nor browser: they run the real binary
through its git alias and check what reaches stdout, stderr and the exit
status, and which shared libraries a cache hit maps.
"""

import json
import os
import pwd
import subprocess
import time
import unittest
from pathlib import Path

import harness as h
from harness import config_key as cache_key
from harness import fnv1a64

ISSUER = "https://clerk.example.test"
CLIENT = "client_fastpath"


class FastPath(h.OfflineCase):
    workdir_prefix = "clerk-fast-"
    issuer = ISSUER
    client_id = CLIENT
    allowed_hosts = ("git.example.test", "*.corp.example.test")

    def setUp(self):
        super().setUp()
        self.exe, self.git_alias = h.helper_paths()

    def helper(self, action, request, *options, env=None, alias=True,
               timeout=20):
        argv = [str(self.git_alias if alias else self.exe), *options, action]
        return subprocess.run(argv, input=request, capture_output=True,
                              text=True, timeout=timeout,
                              env={**self.env, **(env or {})})

    def test_hit_answers_from_cache(self):
        exp = int(time.time()) + 3600
        self.seed("tok-hit", exp)
        r = self.helper("get", "protocol=https\nhost=git.example.test\n\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "username=oauth2\npassword=tok-hit\n"
                         "password_expiry_utc=%d\n" % exp)
        self.assertEqual(r.stderr, "")
        self.assertFalse(self.marker.exists())

    def test_username_from_git_and_option(self):
        self.seed("tok-u", int(time.time()) + 3600)
        r = self.helper("get", "protocol=https\nhost=git.example.test\n"
                        "username=bob\n\n")
        self.assertIn("username=bob\n", r.stdout)
        r = self.helper("get", "protocol=https\nhost=git.example.test\n\n",
                        "--username=ci")
        self.assertIn("username=ci\n", r.stdout)

    def test_authtype_capability(self):
        exp = int(time.time()) + 3600
        self.seed("tok-cap", exp)
        r = self.helper("get", "capability[]=authtype\nprotocol=https\n"
                        "host=a.corp.example.test\n\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "capability[]=authtype\nauthtype=Bearer\n"
                         "credential=tok-cap\nephemeral=1\n"
                         "password_expiry_utc=%d\n" % exp)

    def test_url_form_and_crlf(self):
        self.seed("tok-url", int(time.time()) + 3600)
        r = self.helper("get", "url=https://git.example.test/org/repo.git\r\n"
                        "\r\n")
        self.assertIn("password=tok-url\n", r.stdout)

    def test_host_rule(self):
        self.seed("tok-secret", int(time.time()) + 3600)
        for request in (
                "protocol=https\nhost=evil.example\n\n",
                "protocol=https\nhost=git.example.test.evil.example\n\n",
                "protocol=https\nhost=corp.example.test\n\n",
                # A bearer token never travels in clear text.
                "protocol=http\nhost=git.example.test\n\n",
                "protocol=https\n\n"):
            r = self.helper("get", request)
            self.assertEqual(r.returncode, 0, request)
            self.assertEqual(r.stdout, "", request)
            self.assertNotIn("tok-secret", r.stderr)

    def test_git_host_must_be_a_host(self):
        """What is not a host[:port] gets nothing, however it reaches the
        helper (real git and curl refuse these URLs before asking; a
        caller that is not git may not)."""
        self.seed("tok-secret", int(time.time()) + 3600)
        for request in (
                "protocol=https\nhost=git.example.test:@evil.example\n\n",
                "protocol=https\nhost=git.example.test:abc\n\n",
                "protocol=https\nhost=git.example.test:\n\n",
                "url=https://git.example.test%3a%40evil.example/\n\n",
                "url=https://git.example.test%3a443%2fx/\n\n",
                "protocol=https\nhost=evil.example/.corp.example.test\n\n",
                "protocol=https\nhost=evil.example@.corp.example.test\n\n",
                "protocol=https\nhost=evil.example .corp.example.test\n\n",
                "url=https://evil.example%2f.corp.example.test/\n\n"):
            r = self.helper("get", request)
            self.assertEqual(r.returncode, 0, request)
            self.assertEqual(r.stdout, "", request)
            self.assertNotIn("tok-secret", r.stderr)
        # The same hosts written as hosts still get the token.
        for request in ("protocol=https\nhost=git.example.test:443\n\n",
                        "url=https://a.corp.example.test:8443/x\n\n"):
            r = self.helper("get", request)
            self.assertIn("password=tok-secret\n", r.stdout, request)

    def test_big_host_list_index_follows_edits(self):
        """A 5 000-host config file is compiled once it has settled; the
        index answers like the file, and an edit counts at the next get."""
        exp = int(time.time()) + 3600
        self.seed("tok-big", exp)
        cfg = Path(self.tmp.name) / "big.json"

        def write(last):
            hosts = ["h%04d.example.test" % i for i in range(4999)] + [last]
            cfg.write_text('{"hosts": %s}' % str(hosts).replace("'", '"'))

        write("git.example.test")
        env = {"CLERK_CREDENTIAL_HOSTS": ""}
        req = "protocol=https\nhost=git.example.test\n\n"
        index_dir = self.run_dir / "clerk-credential"
        time.sleep(2.2)
        for _ in range(2):  # parses and indexes, then maps the index
            r = self.helper("get", req, "--config", str(cfg), env=env)
            self.assertIn("password=tok-big\n", r.stdout, r.stderr)
        self.assertEqual(len(list(index_dir.glob("config-*.index"))), 1)
        r = self.helper("get", "protocol=https\nhost=x.example.test\n\n",
                        "--config", str(cfg), env=env)
        self.assertEqual(r.stdout, "")
        # Same size, other host: at once, whether or not it has settled.
        write("gitxexample.test")
        for _ in range(2):
            r = self.helper("get", req, "--config", str(cfg), env=env)
            self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        time.sleep(2.2)
        for _ in range(2):
            r = self.helper("get", req, "--config", str(cfg), env=env)
            self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        r = self.helper("get", "protocol=https\nhost=gitxexample.test\n\n",
                        "--config", str(cfg), env=env)
        self.assertIn("password=tok-big\n", r.stdout, r.stderr)

    def test_one_index_answers_every_profile(self):
        """One index per config file: each profile's view, a section's own
        host list or the top level's, from the same mapped file."""
        exp = int(time.time()) + 3600
        cfg = Path(self.tmp.name) / "profiles.json"
        doc = {"hosts": ["h%04d.example.test" % i for i in range(300)] +
               ["git.example.test"],
               "profiles": {
                   "work": {"hosts": ["*.work.example.test"]},
                   "ops": {"username": "ops-user"}}}
        cfg.write_text(json.dumps(doc))
        old = time.time() - 10
        os.utime(cfg, (old, old))
        time.sleep(2.2)
        for profile in ("default", "work", "ops"):
            self.seed("tok-" + profile, exp, profile)
        env = {"CLERK_CREDENTIAL_HOSTS": ""}
        # (profile, host, the answer's token, or None: not ours)
        cases = [("default", "git.example.test", "tok-default"),
                 ("default", "a.work.example.test", None),
                 ("work", "a.work.example.test", "tok-work"),
                 ("work", "git.example.test", None),
                 ("ops", "h0007.example.test", "tok-ops")]
        index_dir = self.run_dir / "clerk-credential"
        for _ in range(2):  # parses and indexes, then maps the index
            for profile, host, token in cases:
                r = self.helper("get", "protocol=https\nhost=%s\n\n" % host,
                                "--config", str(cfg), "--profile=" + profile,
                                env=env)
                if token:
                    self.assertIn("password=%s\n" % token, r.stdout, r.stderr)
                else:
                    self.assertEqual(r.stdout, "", (profile, host))
        self.assertEqual(len(list(index_dir.glob("config-*.index"))), 1)
        r = self.helper("get", "protocol=https\nhost=h0001.example.test\n\n",
                        "--config", str(cfg), "--profile=ops", env=env)
        self.assertIn("username=ops-user\n", r.stdout, r.stderr)

    def test_no_host_list_says_how(self):
        self.seed("tok-x", int(time.time()) + 3600)
        r = self.helper("get", "protocol=https\nhost=git.example.test\n\n",
                        env={"CLERK_CREDENTIAL_HOSTS": ""})
        self.assertEqual((r.returncode, r.stdout), (0, ""))
        self.assertIn("--host", r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1)

    def test_bad_input(self):
        self.seed("tok-bad", int(time.time()) + 3600)
        r = self.helper("get", "host=git.example.test\npath=" + "a" * 70000 +
                        "\n\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(r.stdout, "")
        self.assertIn("longer than", r.stderr)

    def test_erase_keeps_newer_token(self):
        path = self.seed("tok-new", int(time.time()) + 3600)
        r = self.helper("erase", "protocol=https\nhost=git.example.test\n"
                        "username=oauth2\npassword=tok-old\n\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(path.exists())
        r = self.helper("erase", "protocol=https\nhost=git.example.test\n"
                        "username=oauth2\npassword=tok-new\n\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(path.exists())

    def test_store_keeps_nothing(self):
        r = self.helper("store", "protocol=https\nhost=git.example.test\n"
                        "username=u\npassword=foreign\n\n")
        self.assertEqual((r.returncode, r.stdout), (0, ""))
        state = Path(self.env["XDG_STATE_HOME"])
        for f in state.rglob("*"):
            if f.is_file():
                self.assertNotIn("foreign", f.read_text(errors="replace"))

    def test_non_interactive_fails_fast(self):
        for env, options in (({"GIT_TERMINAL_PROMPT": "0"}, ()),
                             ({"CLERK_CREDENTIAL_INTERACTIVE": "0"}, ()),
                             ({}, ("--non-interactive",))):
            t0 = time.monotonic()
            r = self.helper("get", "protocol=https\nhost=git.example.test\n\n",
                            *options, env=env)
            self.assertLess(time.monotonic() - t0, 1.0)
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(r.stdout, "")
            self.assertIn("clerk-credential login", r.stderr)
            self.assertFalse(self.marker.exists())

    def test_expired_cache_is_not_used(self):
        self.seed("tok-stale", int(time.time()) + 10)  # inside the margin
        r = self.helper("get", "protocol=https\nhost=git.example.test\n\n",
                        "--non-interactive")
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn("tok-stale", r.stdout)

    def test_lax_cache_permissions_refused(self):
        path = self.seed("tok-lax", int(time.time()) + 3600)
        path.chmod(0o644)
        r = self.helper("get", "protocol=https\nhost=git.example.test\n\n",
                        "--non-interactive")
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn("tok-lax", r.stdout)
        self.assertIn("chmod 600", r.stderr)

    def test_fifo_in_place_of_a_file_does_not_hang(self):
        """Whoever can create a file where the helper reads one can put a
        FIFO there: each read refuses it (or skips it) at once instead of
        blocking past --timeout."""
        root = Path(self.tmp.name)
        cfg_dir = root / "config" / "clerk-credential"
        state = root / "state" / "clerk-credential"
        run = self.run_dir / "clerk-credential"
        key = cache_key(ISSUER, CLIENT)
        cfg_path = cfg_dir / "config.json"
        big = '{"hosts": [%s]}' % ", ".join(
            ['"h%04d.example.test"' % i for i in range(300)] +
            ['"git.example.test"'])
        req = "protocol=https\nhost=git.example.test\n\n"
        # (what, FIFO path, seed the cache, big config, expected token,
        #  words of the error)
        cases = [
            ("runtime cache", run / (key + ".token"), False, False, None,
             "not a regular file"),
            ("config file", cfg_path, True, False, None,
             "not a regular file"),
            ("config index", run / ("config-%016x.index" %
                                    fnv1a64(str(cfg_path))),
             True, True, "tok-fifo", None),
            ("token file", state / "tokens-default.json", False, False,
             None, "not a regular file"),
            ("lock file", state / (key + ".lock"), False, False, None,
             "lock file"),
            ("rejection state", run / (key + ".reject"), False, False, None,
             "not a regular file"),
        ]
        for what, fifo, seed, big_config, token, error in cases:
            with self.subTest(what):
                for d in (cfg_dir, state, run):
                    d.mkdir(mode=0o700, parents=True, exist_ok=True)
                    for f in d.iterdir():
                        f.unlink()
                if seed:
                    self.seed("tok-fifo", int(time.time()) + 3600)
                if big_config:
                    cfg_path.write_text(big)
                    old = time.time() - 10
                    os.utime(cfg_path, (old, old))
                os.mkfifo(fifo, 0o600)
                t0 = time.monotonic()
                # The big config file names the host list.
                env = {"CLERK_CREDENTIAL_HOSTS": ""} if big_config else {}
                r = self.helper("get", req, "--non-interactive",
                                "--timeout", "5", env=env, timeout=15)
                took = time.monotonic() - t0
                self.assertLess(took, 4, r.stderr)
                if token:
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertIn("password=%s\n" % token, r.stdout)
                else:
                    self.assertNotEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(r.stdout, "")
                    self.assertIn(error, r.stderr)
                    self.assertIn(str(fifo), r.stderr)
                fifo.unlink()
                if cfg_path.exists():
                    cfg_path.unlink()

    def test_runtime_dir_checked_on_read(self):
        """A runtime dir that others can write (or own) is refused when a
        token is read from it, as when one is written there."""
        path = self.seed("tok-shared", int(time.time()) + 3600)
        run = path.parent
        cases = [("open to others", lambda: run.chmod(0o777),
                  lambda: run.chmod(0o700), "chmod 700 %s" % run)]
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody").pw_uid
            cases.append(("owned by another user",
                          lambda: os.chown(run, nobody, -1),
                          lambda: os.chown(run, 0, -1), "not by you"))
        req = "protocol=https\nhost=git.example.test\n\n"
        for what, spoil, fix, hint in cases:
            with self.subTest(what):
                spoil()
                try:
                    r = self.helper("get", req, "--non-interactive")
                finally:
                    fix()
                self.assertNotEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertNotIn("tok-shared", r.stderr)
                self.assertIn(hint, r.stderr)
                r = self.helper("get", req, "--non-interactive")
                self.assertIn("password=tok-shared\n", r.stdout, r.stderr)

    def test_config_file_must_be_safe(self):
        """The config file decides which hosts get a token: one that
        others could have written is refused, as the token file is; a
        link to a safe file (dotfile managers) is followed."""
        root = Path(self.tmp.name)
        cfg_dir = root / "config" / "clerk-credential"
        cfg_dir.mkdir(parents=True, mode=0o755)
        cfg = cfg_dir / "config.json"
        self.seed("tok-cfg", int(time.time()) + 3600)
        env = {"CLERK_CREDENTIAL_HOSTS": ""}
        req = "protocol=https\nhost=cfg.example.test\n\n"

        def write(path, hosts_count=1):
            hosts = ["h%04d.example.test" % i for i in range(hosts_count - 1)]
            path.write_text('{"hosts": %s}' % str(
                hosts + ["cfg.example.test"]).replace("'", '"'))
            path.chmod(0o644)

        def answered():
            r = self.helper("get", req, env=env)
            if "password=tok-cfg\n" in r.stdout:
                return True, r
            self.assertEqual(r.stdout, "", r.stderr)
            self.assertNotIn("tok-cfg", r.stderr)
            return False, r

        write(cfg)
        self.assertTrue(answered()[0])
        nobody = pwd.getpwnam("nobody").pw_uid
        cases = [
            ("file 0666", lambda: cfg.chmod(0o666), lambda: cfg.chmod(0o644),
             "chmod go-w %s" % cfg),
            ("file 0664", lambda: cfg.chmod(0o664), lambda: cfg.chmod(0o644),
             "chmod go-w %s" % cfg),
            ("directory 0777", lambda: cfg_dir.chmod(0o777),
             lambda: cfg_dir.chmod(0o755), "chmod go-w %s" % cfg_dir),
        ]
        if os.geteuid() == 0:
            cases += [
                ("file of another user", lambda: os.chown(cfg, nobody, -1),
                 lambda: os.chown(cfg, 0, -1), "neither you nor root"),
                ("directory of another user",
                 lambda: os.chown(cfg_dir, nobody, -1),
                 lambda: os.chown(cfg_dir, 0, -1), "neither you nor root"),
            ]
        for what, spoil, fix, hint in cases:
            with self.subTest(what):
                spoil()
                try:
                    ok, r = answered()
                    st = self.helper("status", "", env=env, alias=False)
                finally:
                    fix()
                self.assertFalse(ok, "%s accepted" % what)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn(hint, r.stderr)
                self.assertNotEqual(st.returncode, 0)
                self.assertNotIn("cfg.example.test", st.stdout)
                self.assertTrue(answered()[0], what + " fixed")

        # A link to a safe file elsewhere is followed; a dangling one is
        # an error, not "no config file".
        dotfiles = root / "dotfiles"
        dotfiles.mkdir(mode=0o755)
        cfg.rename(dotfiles / "clerk.json")
        cfg.symlink_to(dotfiles / "clerk.json")
        ok, r = answered()
        self.assertTrue(ok, r.stderr)
        (dotfiles / "clerk.json").chmod(0o666)
        ok, r = answered()
        self.assertFalse(ok)
        self.assertIn("chmod go-w %s" % (dotfiles / "clerk.json"), r.stderr)
        (dotfiles / "clerk.json").unlink()
        ok, r = answered()
        self.assertFalse(ok)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("symbolic link", r.stderr)
        cfg.unlink()

        # The compiled index does not outlive a chmod of its file.
        write(cfg, 400)
        old = time.time() - 10
        os.utime(cfg, (old, old))
        time.sleep(2.2)  # the change time must settle too
        for _ in range(2):
            self.assertTrue(answered()[0])
        index_dir = self.run_dir / "clerk-credential"
        self.assertEqual(len(list(index_dir.glob("config-*.index"))), 1)
        cfg.chmod(0o646)
        ok, r = answered()
        self.assertFalse(ok)
        self.assertIn("chmod go-w %s" % cfg, r.stderr)

    def test_cache_hit_maps_no_heavy_library(self):
        self.seed("tok-libs", int(time.time()) + 3600)
        r = self.helper("get", "protocol=https\nhost=git.example.test\n\n",
                        env={"LD_DEBUG": "libs"})
        self.assertIn("password=tok-libs", r.stdout)
        loaded = sorted({line.split("calling init:")[1].strip()
                         for line in r.stderr.splitlines()
                         if "calling init:" in line})
        self.assertTrue(loaded, r.stderr[-2000:])
        for lib in loaded:
            name = os.path.basename(lib)
            for heavy in ("curl", "gnutls", "secret", "glib", "nettle",
                          "qrencode", "clerk-credential-net",
                          "clerk-credential-keyring"):
                self.assertNotIn(heavy, name, loaded)
        print("cache hit maps %d libraries: %s" %
              (len(loaded), ", ".join(os.path.basename(x) for x in loaded)))

    def test_routed_cache_hit_maps_no_heavy_library(self):
        """A request routed to the profile whose "hosts" claim its host
        (contract §18) is still a cache hit: the index and the cache only."""
        exp = int(time.time()) + 3600
        cfg = Path(self.tmp.name) / "routed.json"
        doc = {"hosts": ["h%04d.example.test" % i for i in range(200)],
               "profiles": {"p%02d" % i: {"hosts": ["*.p%02d.example.test" % i]}
                            for i in range(20)}}
        cfg.write_text(json.dumps(doc))
        old = time.time() - 10
        os.utime(cfg, (old, old))
        time.sleep(2.2)
        self.seed("tok-p17", exp, "p17")
        env = {"CLERK_CREDENTIAL_HOSTS": "", "LD_DEBUG": "libs"}
        for _ in range(2):  # parses and indexes, then maps the index
            r = self.helper("get", "protocol=https\nhost=git.p17.example.test\n\n",
                            "--config", str(cfg), env=env)
            self.assertIn("password=tok-p17\n", r.stdout, r.stderr[-2000:])
        self.assertEqual(len(list((self.run_dir / "clerk-credential")
                                  .glob("config-*.index"))), 1)
        loaded = {os.path.basename(line.split("calling init:")[1].strip())
                  for line in r.stderr.splitlines() if "calling init:" in line}
        self.assertTrue(loaded, r.stderr[-2000:])
        for name in loaded:
            for heavy in ("curl", "gnutls", "secret", "glib", "clerk-credential-net"):
                self.assertNotIn(heavy, name, loaded)

    def test_unknown_git_action_ignored(self):
        r = self.helper("capabilities", "")
        self.assertEqual((r.returncode, r.stdout), (0, ""))

    def test_unknown_command(self):
        r = self.helper("frobnicate", "", alias=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command 'frobnicate'", r.stderr)

    def test_token_and_header(self):
        self.seed("tok-cli", int(time.time()) + 3600)
        r = self.helper("token", "", alias=False)
        self.assertEqual((r.returncode, r.stdout), (0, "tok-cli\n"))
        r = self.helper("header", "", alias=False)
        self.assertEqual(r.stdout, "Authorization: Bearer tok-cli\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
