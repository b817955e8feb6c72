#!/usr/bin/env python3
"""Background callers and the sign-in cool-down, against the real peers.

Contract §8 ("Background callers", "Cool-down"): a caller that cannot show
a person anything fails at once with no browser started (git with
GIT_TERMINAL_PROMPT=0, kubectl with spec.interactive=false, docker with no
terminal and no browser); after a sign-in that was denied or timed out,
gets within the cool-down fail at once with no browser either, and
`clerk-credential login` still signs in and ends the cool-down. A
callback_port list falls back from a port held busy here to the next.

Every helper runs with no controlling terminal and stdin, stdout and
stderr on pipes (harness Sandbox.run). The browser is the real headless
Chromium user (its launches are logged), or, where $BROWSER must be
unset, a fake xdg-open on PATH that logs its launches.

Run: CLERK_CREDENTIAL=/path/to/build/clerk-credential \
    python3 tests/integration/test_background.py
"""

import json
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

HOST = "git.example.test"
REQUEST = {"protocol": "https", "host": HOST}
KUBE_V1BETA1 = "client.authentication.k8s.io/v1beta1"
SIGN_IN_TIMEOUT = 120
FAST = 5  # seconds: "at once", with room for a loaded machine


class BackgroundCase(h.ProviderCase):

    def timed(self, sb, argv, stdin="", env=None, timeout=60):
        started = time.monotonic()
        r = sb.run(argv, stdin, timeout=timeout, env=env)
        return r, time.monotonic() - started

    def assert_fast_failure(self, sb, r, took, why=None):
        self.assertNotEqual(r.returncode, 0, self.context(sb, r))
        self.assertLess(took, FAST, "took %.1f s" % took)
        self.assertIn("clerk-credential login", r.stderr, self.context(sb, r))
        if why:
            self.assertIn(why, r.stderr, self.context(sb, r))
        self.assertNotIn("password=", r.stdout)
        self.assertNotIn("Secret", r.stdout)

    def fake_xdg_open(self, sb):
        """A PATH whose xdg-open only logs that it was started."""
        bindir = sb.dir / "bin"
        bindir.mkdir()
        log = sb.dir / "xdg-open.log"
        script = bindir / "xdg-open"
        script.write_text("#!/bin/sh\necho launch >> '%s'\n" % log)
        script.chmod(0o755)
        return "%s:%s" % (bindir, sb.env["PATH"]), log


class TestBackgroundCallers(BackgroundCase):
    """Callers that say, or show, that no one is there: no browser."""

    def test_git_terminal_prompt_0(self):
        """git with GIT_TERMINAL_PROMPT=0 and no terminal fails at once."""
        sb = self.sandbox(GIT_TERMINAL_PROMPT="0")
        mark = self.provider.mark()
        r, took = self.timed(sb, ["git", "-c", "credential.helper=",
                                  "-c", "credential.helper=" + sb.helper_string(),
                                  "credential", "fill"], h.format_kv(REQUEST))
        # git itself fails: no helper answered and it may not prompt.
        self.assertNotEqual(r.returncode, 0, self.context(sb, r))
        self.assertLess(took, FAST, "took %.1f s" % took)
        self.assertIn("clerk-credential login", r.stderr, self.context(sb, r))
        self.assertEqual(sb.browser_launches(), [])
        self.assertEqual(self.provider.count_grants(mark), {})

    def test_kubectl_interactive_false(self):
        """kubectl's spec.interactive=false fails at once."""
        sb = self.sandbox()
        env = dict(sb.env, KUBERNETES_EXEC_INFO=json.dumps(
            {"kind": "ExecCredential", "apiVersion": KUBE_V1BETA1,
             "spec": {"interactive": False}}))
        r, took = self.timed(sb, [sb.main, "kubectl"], env=env)
        self.assert_fast_failure(sb, r, took)
        self.assertEqual(r.stdout, "")
        self.assertEqual(sb.browser_launches(), [])

    def test_docker_without_terminal_or_browser(self):
        """docker with no terminal, no $BROWSER and no display fails at
        once; the same call with a display starts the browser (so the
        first check is not vacuous)."""
        sb = self.sandbox(BROWSER=None)
        docker = str(Path(sb.main).parent / "docker-credential-clerk")
        path, log = self.fake_xdg_open(sb)
        env = dict(sb.env, PATH=path)
        r, took = self.timed(sb, [docker, "get"], HOST + "\n", env=env)
        self.assert_fast_failure(sb, r, took)
        self.assertFalse(log.exists(), "xdg-open was started")
        # The same with a display: xdg-open is started, the wait times out.
        env = dict(env, DISPLAY=":99", CLERK_CREDENTIAL_SIGNIN_COOLDOWN="0")
        r, _ = self.timed(sb, [docker, "get", "--timeout=2"], HOST + "\n",
                          env=env, timeout=30)
        self.assertNotEqual(r.returncode, 0, self.context(sb, r))
        h.wait_for(log.exists, 10, what="the fake xdg-open's log")
        self.assertEqual(log.read_text().split(), ["launch"])

    def test_interactive_set_overrides(self):
        """"interactive": true in the config file: docker starts a
        sign-in anyway (the device flow here, with no browser), which
        times out."""
        sb = self.sandbox(BROWSER=None)
        conf = sb.home / ".config" / "clerk-credential"
        conf.mkdir(mode=0o700)
        (conf / "config.json").write_text('{"interactive": true}\n')
        docker = str(Path(sb.main).parent / "docker-credential-clerk")
        r, took = self.timed(sb, [docker, "get", "--timeout=2"], HOST + "\n",
                             timeout=30)
        self.assertNotEqual(r.returncode, 0, self.context(sb, r))
        self.assertNotIn("sign-in is disabled", r.stderr, self.context(sb, r))
        self.assertRegex(r.stderr.lower(), r"timed? ?out", self.context(sb, r))
        self.assertGreater(took, 1.5)


class TestCooldown(BackgroundCase):
    """After a failed sign-in, no other one for signin_cooldown seconds."""

    def get(self, sb, options=()):
        return self.timed(sb, [sb.alias, *options, "get"], h.format_kv(REQUEST),
                          timeout=SIGN_IN_TIMEOUT)

    def test_denied_then_ten_gets(self):
        """A denied sign-in, then 10 gets and a docker get: one browser in
        all; login still signs in and ends the cool-down."""
        sb = self.sandbox(HEADLESS_USER_MODE="deny")
        mark = self.provider.mark()
        r, _ = self.get(sb)
        self.assertNotEqual(r.returncode, 0, self.context(sb, r))
        self.assertIn("access_denied", r.stderr, self.context(sb, r))
        done = sb.wait_browsers_done()
        self.assertEqual(done[0]["result"], "denied", self.context(sb, r))
        for _ in range(10):
            r, took = self.get(sb)
            self.assert_fast_failure(sb, r, took, "the last sign-in was denied")
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            # As after the refusal itself: git asks for no password.
            self.assertEqual(r.stdout, "quit=1\n")
        docker = str(Path(sb.main).parent / "docker-credential-clerk")
        r, took = self.timed(sb, [docker, "get"], HOST + "\n")
        self.assert_fast_failure(sb, r, took, "the last sign-in was denied")
        self.assertIn("a sign-in failed moments ago", r.stdout)
        self.assertEqual(len(sb.browser_launches()), 1)
        self.assertEqual(self.provider.count_grants(mark), {})

        # login ignores the cool-down, and a success ends it.
        sb.env["HEADLESS_USER_MODE"] = "login"
        r = sb.run([sb.main, "login"], timeout=SIGN_IN_TIMEOUT)
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        sb.wait_browsers_done()
        self.assertEqual(len(sb.browser_launches()), 2)
        self.assertFalse(list((sb.runtime / "clerk-credential").glob("*.reject")))
        r, _ = self.get(sb)
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertTrue(h.kv_dict(r.stdout).get("password"))

    def test_timed_out_then_get(self):
        """A sign-in that timed out starts the cool-down too."""
        sb = self.sandbox(HEADLESS_USER_MODE="ignore")
        r, _ = self.get(sb, ["--timeout=2"])
        self.assertNotEqual(r.returncode, 0, self.context(sb, r))
        h.wait_for(sb.browser_launches, 30, interval=0.1,
                   what="the headless user's launch line")
        r, took = self.get(sb)
        self.assert_fast_failure(sb, r, took, "the last sign-in timed out")
        self.assertEqual(len(sb.browser_launches()), 1)

    def test_cooldown_off(self):
        """signin_cooldown 0: the next get asks again."""
        sb = self.sandbox(HEADLESS_USER_MODE="deny",
                          CLERK_CREDENTIAL_SIGNIN_COOLDOWN="0")
        for n in (1, 2):
            r, _ = self.get(sb)
            self.assertNotEqual(r.returncode, 0, self.context(sb, r))
            self.assertIn("access_denied", r.stderr, self.context(sb, r))
            sb.wait_browsers_done()
            self.assertEqual(len(sb.browser_launches()), n)


def hold_port():
    """A socket listening on a free loopback port: (socket, port)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s, s.getsockname()[1]


class TestCallbackPorts(BackgroundCase):
    """Contract §8: callback_port N,N,N: the first free port."""

    def test_busy_first_port_falls_back(self):
        """The first port held busy here: the sign-in uses the second."""
        busy, first = hold_port()
        self.addCleanup(busy.close)
        spare, second = hold_port()
        spare.close()
        sb = self.sandbox()
        r = sb.run([sb.alias, "--verbose", "--callback-port=%d,%d" % (first, second),
                    "get"], h.format_kv(REQUEST), timeout=SIGN_IN_TIMEOUT)
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        self.assertTrue(h.kv_dict(r.stdout).get("password"), self.context(sb, r))
        self.assertIn("listening on 127.0.0.1:%d for the callback" % second, r.stderr)
        self.assertEqual(len(sb.browser_launches()), 1)

    def test_every_port_busy(self):
        """Every port busy: one error naming them, no browser."""
        held = [hold_port() for _ in range(2)]
        for s, _ in held:
            self.addCleanup(s.close)
        ports = [p for _, p in held]
        sb = self.sandbox()
        r, took = self.timed(sb, [sb.alias, "--callback-port=%d,%d" % tuple(ports),
                                  "get"], h.format_kv(REQUEST))
        self.assertNotEqual(r.returncode, 0, self.context(sb, r))
        self.assertLess(took, FAST)
        self.assertIn("every callback port is taken (tried %d, %d;" % tuple(ports),
                      r.stderr, self.context(sb, r))
        self.assertEqual(sb.browser_launches(), [])


if __name__ == "__main__":
    sys.exit(h.run_tests("background"))
