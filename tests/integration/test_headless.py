#!/usr/bin/env python3
"""Sign-in without a local browser, and without anyone to ask (contract §8).

- Device flow (RFC 8628) against the real provider (oidc-provider's device
  endpoint): the helper runs with no display and no $BROWSER, the test reads
  verification_uri_complete from its stderr and hands it to the headless
  Chromium user (HEADLESS_USER_MODE=device), who confirms the code at the
  provider's verification page.
- slow_down, access_denied, expired_token and the time running out, through
  tests/peers/fake_device_provider.py (a fake: the real provider will not
  answer those on demand).
- Paste mode against the real provider without a device endpoint, driven
  through a pseudo-terminal that is the helper's controlling terminal: the
  test plays the user's browser on another machine (it signs in at the
  provider's login form over HTTP and stops at the 127.0.0.1 page, which
  that browser could not load) and types that page's address, a wrong one
  first.
- Non-interactive use: every trigger fails at once with one line naming the
  command to run, starts no browser and asks the provider nothing; with a
  refresh token it still refreshes silently.
- SIGINT and SIGTERM in the middle of the browser flow and of device polling:
  exit 130/143, the listener closed, the lock free, nothing stored, and the
  next run signs in.

Run: CLERK_CREDENTIAL=/path/to/build/clerk-credential python3 tests/integration/test_headless.py
(after `npm ci --prefix tests`). Exit status is non-zero on any failure.
"""

import fcntl
import http.cookiejar
import json
import os
import pty
import re
import signal
import socket
import subprocess
import sys
import termios
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

HOST = "git.example.test"
REQUEST = {"protocol": "https", "host": HOST}
FAKE_DEVICE_PY = h.PEERS_DIR / "fake_device_provider.py"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SIGN_IN_TIMEOUT = 120
# Environment that makes a session "headless": no display, no browser.
HEADLESS = {"BROWSER": None, "DISPLAY": None, "WAYLAND_DISPLAY": None}
COMPLETE_RE = re.compile(r"^(http://127\.0\.0\.1:\d+/oauth/device\?user_code=[A-Z0-9-]+)$",
                         re.M)


# --- the helper, running in the background -------------------------------

class Run:
    """clerk-credential started in the background, its output collected.

    With tty=True the helper gets a pseudo-terminal as its controlling
    terminal (a new session, TIOCSCTTY), so that it can open /dev/tty;
    stdin, stdout and stderr stay pipes unless stderr_tty=True.
    """

    def __init__(self, argv, env, cwd, stdin_text="", tty=False, stderr_tty=False):
        self.master = self.slave = None
        self.out, self.err, self.tty = bytearray(), bytearray(), bytearray()
        self.lock = threading.Lock()
        kwargs = {}
        slave = None
        if tty or stderr_tty:
            self.master, slave = pty.openpty()
            kwargs["preexec_fn"] = lambda: fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=slave if stderr_tty else subprocess.PIPE, env=env,
            cwd=str(cwd), start_new_session=True, **kwargs)
        # The test keeps the terminal's slave side open too: with no
        # descriptor of it open anywhere (before the helper opens /dev/tty),
        # reading the master side would fail with EIO.
        self.slave = slave
        self.proc.stdin.write(stdin_text.encode())
        self.proc.stdin.close()
        self.threads = [threading.Thread(target=self._pump, args=(self.proc.stdout.fileno(), self.out),
                                         daemon=True)]
        if not stderr_tty:
            self.threads.append(threading.Thread(
                target=self._pump, args=(self.proc.stderr.fileno(), self.err), daemon=True))
        if self.master is not None:
            self.threads.append(threading.Thread(
                target=self._pump, args=(self.master, self.err if stderr_tty else self.tty),
                daemon=True))
        for t in self.threads:
            t.start()

    def _pump(self, fd, buf):
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the pty's other side closed
                return
            if not chunk:
                return
            with self.lock:
                buf.extend(chunk)

    def text(self, which):
        with self.lock:
            return bytes({"out": self.out, "err": self.err, "tty": self.tty}[which]).decode(
                errors="replace")

    def wait_text(self, which, pattern, timeout=30):
        """The first match of regex pattern in stdout/stderr/tty output."""
        rx = re.compile(pattern, re.M)

        def found():
            m = rx.search(self.text(which))
            if m:
                return m
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the pumps catch up once more
                m = rx.search(self.text(which))
                if m:
                    return m
                raise AssertionError("helper exited %s before printing %r\n--- stderr ---\n%s"
                                     % (self.proc.returncode, pattern, self.text("err")))
            return None
        return h.wait_for(found, timeout, what=repr(pattern))

    def type(self, text):
        os.write(self.master, text.encode())

    def finish(self, timeout=60):
        """Wait for the exit; (exit status, stdout, stderr, seconds taken)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("helper still running after %d s\n--- stderr ---\n%s"
                                 % (timeout, self.text("err")))
        took = time.monotonic() - self.started
        self._close_tty()
        for t in self.threads:
            t.join(5)
        return code, self.text("out"), self.text("err"), took

    def _close_tty(self):
        if self.slave is not None:
            os.close(self.slave)  # the master's reader then gets EIO
            self.slave = None
        for t in self.threads:
            t.join(5)
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._close_tty()


# --- the user's browser on another machine (paste mode) -----------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def remote_browser_sign_in(auth_url, login="alice"):
    """Sign in at the provider as a browser on another machine would.

    Follows the provider's redirects, fills its login form and clicks Allow
    on its consent screen (as headless-user.js does) over HTTP with a cookie
    jar, and stops at the redirect to http://127.0.0.1:PORT/callback: a
    browser on another machine cannot load that page. Returns that page's
    address, which the user then copies.
    """
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)

    def go(url, form=None):
        data = urllib.parse.urlencode(form).encode() if form else None
        try:
            with opener.open(urllib.request.Request(url, data=data), timeout=15) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read().decode()

    url, form = auth_url, None
    for _ in range(10):
        status, headers, body = go(url, form)
        form = None
        if status in (302, 303) and headers.get("Location"):
            url = urllib.parse.urljoin(url, headers["Location"])
            if url.startswith("http://127.0.0.1:") and "/callback" in url:
                return url
            continue
        m = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', body)
        if status == 200 and m and 'name="login"' in body:
            url = urllib.parse.urljoin(url, m.group(1))
            form = {"prompt": "login", "login": login, "password": "any-password"}
            continue
        if status == 200 and m and 'name="decision" value="allow"' in body:
            # The consent screen: Allow.
            url = urllib.parse.urljoin(url, m.group(1))
            form = {"prompt": "consent", "decision": "allow"}
            continue
        raise AssertionError("unexpected provider answer %d at %s" % (status, url.split("?")[0]))
    raise AssertionError("no redirect to the callback after 10 steps")


# --- the fake for device-polling faults ---------------------------------

class FakeDeviceProvider:
    """tests/peers/fake_device_provider.py, running (a context manager)."""

    def __init__(self, workdir, script, interval=1, expires_in=600):
        self.log_path = Path(workdir) / ("fake-device-%d.log" % time.monotonic_ns())
        self.stderr_path = self.log_path.with_suffix(".stderr")
        self.argv = [sys.executable, str(FAKE_DEVICE_PY), "--script", script,
                     "--interval", str(interval), "--expires-in", str(expires_in),
                     "--log", str(self.log_path)]
        self.proc = None

    def __enter__(self):
        self.proc, self.issuer = h._start_and_wait_ready(
            self.argv, self.stderr_path, 30, "fake_device_provider.py")
        return self

    def __exit__(self, *exc):
        h._stop(self.proc)
        return False

    def entries(self):
        return h.read_json_lines(self.log_path)

    def polls(self):
        return [e for e in self.entries() if e.get("grant_type") == DEVICE_GRANT]


# --- shared checks ----------------------------------------------------------

def state_dir(sb):
    return sb.home / ".local" / "state" / "clerk-credential"


def lock_is_free(sb):
    """True when every lock file of the sandbox can be taken at once."""
    locks = list(state_dir(sb).glob("*.lock"))
    for path in locks:
        with open(path, "rb") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(f, fcntl.LOCK_UN)
    return True


def leftovers(sb):
    """Token files and temporary files in the state dir."""
    d = state_dir(sb)
    if not d.exists():
        return []
    return sorted(p.name for p in d.iterdir()
                  if p.name.startswith("tokens-") or ".tmp" in p.name)


def port_is_closed(port):
    with socket.socket() as s:
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
        except (ConnectionRefusedError, socket.timeout):
            return True
    return False


class PeerCase(h.ProviderCase):
    """One real provider per class; one sandboxed user per test."""

    workdir_prefix = "clerk-headless-"

    def start(self, sb, args, stdin_text="", env=None, alias=False, **kw):
        """The helper (or its git alias) with args, in the background."""
        if isinstance(stdin_text, dict):
            stdin_text = h.format_kv(stdin_text)
        full_env = dict(sb.env)
        for k, v in (env or {}).items():
            if v is None:
                full_env.pop(k, None)
            else:
                full_env[k] = str(v)
        run = Run([sb.alias if alias else sb.main, *args], full_env, sb.dir,
                  stdin_text, **kw)
        self.addCleanup(run.kill)
        return run

    def headless_user(self, sb, url, mode):
        """headless-user.js on url, as the test's own child; its log entry."""
        env = dict(sb.env, HEADLESS_USER_MODE=mode)
        proc = subprocess.Popen([h.node(), str(h.HEADLESS_USER_JS), url], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, cwd=str(h.TESTS_DIR),
                                start_new_session=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        return proc

    def assert_signal_exit(self, run, sig, sb, port=None):
        """Send sig (SIGINT as Ctrl-C would: to the process group)."""
        sent = time.monotonic()
        if sig == signal.SIGINT:
            os.killpg(run.proc.pid, sig)
        else:
            run.proc.send_signal(sig)
        code, out, err, _ = run.finish(30)
        took = time.monotonic() - sent
        self.assertEqual(code, 128 + sig, err)
        self.assertLess(took, 3, "took %.1f s to stop after the signal" % took)
        self.assertIn("cancelled by %s" % signal.Signals(sig).name, err)
        self.assertEqual(out, "", "stdout must stay empty")
        self.assertTrue(lock_is_free(sb), "the lock is still held")
        self.assertEqual(leftovers(sb), [], "files left in the state dir")
        if port is not None:
            self.assertTrue(port_is_closed(port), "the listener still accepts connections")
        return err


# --- device flow against the real provider -----------------------------------

class TestDeviceFlow(PeerCase):
    """RFC 8628 with oidc-provider's device endpoint and the headless user."""

    def device_sign_in(self, sb, run):
        """Hand verification_uri_complete to the headless user; wait for the end."""
        url = run.wait_text("err", COMPLETE_RE.pattern).group(1)
        user = self.headless_user(sb, url, "device")
        code, out, err, _ = run.finish(SIGN_IN_TIMEOUT)
        user.wait(60)
        done = sb.browser_done()
        self.assertEqual(code, 0, "%s\n--- headless user ---\n%s" % (err, done))
        self.assertEqual([e.get("result") for e in done], ["ok"], done)
        return out, err

    def test_no_display_signs_in_with_the_device_flow(self):
        sb = self.sandbox(**HEADLESS)
        mark = self.provider.mark()
        run = self.start(sb, ["get"], REQUEST, alias=True)
        out, err = self.device_sign_in(sb, run)
        answer = h.kv_dict(out)
        self.assertTrue(self.provider.is_active(answer["password"]))
        # The code and both addresses were shown; no QR code off a terminal.
        code = re.search(r"user_code=([A-Z0-9-]+)", err).group(1)
        self.assertRegex(err, r"(?m)^  %s$" % re.escape(code))
        self.assertRegex(err, r"(?m)^  %s/oauth/device$" % re.escape(self.provider.issuer))
        self.assertNotIn("\u2588", err)
        self.assertNotIn("\r", err)
        grants = self.provider.count_grants(mark)
        self.assertEqual(set(grants), {DEVICE_GRANT}, grants)
        self.assertEqual(self.provider.requests(mark, "/oauth/authorize"), [])
        # Polled at the 5 s interval oidc-provider implies: never too fast.
        self.assertEqual([e for e in self.provider.token_requests(mark)
                          if e.get("error") == "slow_down"], [])
        # The next get is a cache hit.
        mark = self.provider.mark()
        r = sb.helper("get", REQUEST)
        self.assertEqual(r.returncode, 0, h.describe(r))
        self.assertEqual(h.kv_dict(r.stdout)["password"], answer["password"])
        self.assertEqual(self.provider.entries(mark), [])

    def test_ssh_session_uses_the_device_flow_and_signals_cancel_it(self):
        """An SSH session has no browser here, even with DISPLAY set."""
        sb = self.sandbox(BROWSER=None, DISPLAY=":0",
                          SSH_CONNECTION="10.0.0.1 50000 10.0.0.2 22")
        for sig in (signal.SIGINT, signal.SIGTERM):
            run = self.start(sb, ["login"])
            run.wait_text("err", COMPLETE_RE.pattern)
            run.wait_text("err", r"waiting up to \d+ s for the code")
            time.sleep(1.5)  # in the middle of polling
            self.assert_signal_exit(run, sig, sb)
        # The lock and the store are usable: the next run signs in.
        run = self.start(sb, ["--flow", "device", "login"])
        self.device_sign_in(sb, run)
        self.assertEqual([p for p in leftovers(sb) if ".tmp" in p], [])

    @unittest.skipUnless(os.environ.get("CLERK_QRENCODE") == "1",
                         "built without libqrencode (-Dqrencode=disabled)")
    def test_qr_code_on_a_terminal(self):
        sb = self.sandbox(**HEADLESS)
        run = self.start(sb, ["login", "--flow", "device"], stderr_tty=True)
        m = run.wait_text("err", r"user_code=[A-Z0-9-]+\r?\n((?:[ \u2580\u2584\u2588]+\r?\n){10,})")
        rows = [r for r in m.group(1).splitlines() if r]
        widths = {len(r) for r in rows}
        self.assertEqual(len(widths), 1, "rows of different widths")
        width = widths.pop()
        # Half blocks: two module rows a line; a version 3+ code and margin.
        self.assertGreaterEqual(width, 29 + 4)
        self.assertIn(len(rows), ((width + 1) // 2, width // 2 + 1))
        # The status line is redrawn in place on a terminal.
        run.wait_text("err", r"\rclerk-credential: waiting for the code to be confirmed: "
                             r"\d+:\d\d left")
        self.assert_signal_exit(run, signal.SIGINT, sb)


# --- device-polling faults through the fake ----------------------------------

class TestDeviceFaults(PeerCase):
    """slow_down, access_denied, expired_token, time out: a fake provider."""

    provider_options = None  # no real provider: each test starts the fake

    def run_fake(self, script, args=("get",), stdin=None, **fake):
        fp = self._enter(FakeDeviceProvider(self.workdir, script, **fake))
        sb = self.sandbox(issuer=fp.issuer, **HEADLESS)
        run = self.start(sb, list(args), REQUEST if stdin is None else stdin,
                         alias=args[0] == "get")
        code, out, err, took = run.finish(60)
        return fp, sb, code, out, err, took

    def _enter(self, cm):
        value = cm.__enter__()
        self.addCleanup(cm.__exit__, None, None, None)
        return value

    def test_slow_down_adds_five_seconds(self):
        fp, sb, code, out, err, _ = self.run_fake("slow_down,pending,ok")
        self.assertEqual(code, 0, err)
        self.assertTrue(h.kv_dict(out)["password"].startswith("fake-access-1-"))
        polls = fp.polls()
        self.assertEqual([p["answer"] for p in polls], ["slow_down", "pending", "ok"])
        self.assertFalse([p for p in polls if p.get("early")], polls)
        start = [e for e in fp.entries() if e["path"] == "/oauth/device_authorization"][0]["t"]
        gaps = [round(b["t"] - a["t"], 2) for a, b in zip(polls, polls[1:])]
        self.assertGreaterEqual(polls[0]["t"] - start, 0.95)
        # 1 s interval, then 6 s after the slow_down, and 6 s it stays.
        self.assertTrue(all(5.95 <= g < 8 for g in gaps), gaps)
        # The tokens were stored: the next get is a cache hit.
        r = sb.helper("get", REQUEST)
        self.assertEqual(h.kv_dict(r.stdout).get("password"), h.kv_dict(out)["password"])

    def test_access_denied_stops_at_once(self):
        fp, sb, code, out, err, took = self.run_fake("pending,denied")
        self.assertEqual(code, 1, err)
        self.assertIn("sign-in refused: the request for code FAKE-CODE was denied", err)
        self.assertIn("clerk-credential login", err)
        # The user refused: git is told not to prompt.
        self.assertEqual(out, "quit=1\n")
        self.assertEqual([p["answer"] for p in fp.polls()], ["pending", "denied"])
        self.assertLess(took, 10)
        self.assertEqual(leftovers(sb), [])

    def test_expired_token_stops_at_once(self):
        fp, sb, code, out, err, took = self.run_fake("expired", args=("login",), stdin="")
        self.assertEqual(code, 1, err)
        self.assertIn("the code FAKE-CODE expired before it was confirmed", err)
        self.assertIn("`clerk-credential login` for a new code", err)
        self.assertEqual(len(fp.polls()), 1)
        self.assertLess(took, 10)
        self.assertEqual(leftovers(sb), [])

    def test_timeout_ends_the_wait(self):
        fp, sb, code, out, err, took = self.run_fake(
            "pending", args=("login", "--timeout", "3"), stdin="")
        self.assertEqual(code, 1, err)
        self.assertIn("sign-in timed out after 3 s: the code FAKE-CODE was not confirmed", err)
        self.assertIn("raise --timeout", err)
        self.assertGreaterEqual(took, 2.9)
        self.assertLess(took, 8)
        self.assertGreaterEqual(len(fp.polls()), 2)
        # Off a terminal the status line is never redrawn in place.
        self.assertNotIn("\r", err)

    def test_code_lifetime_caps_the_wait(self):
        fp, sb, code, out, err, took = self.run_fake(
            "pending", args=("login",), stdin="", expires_in=2)
        self.assertEqual(code, 1, err)
        self.assertIn("waiting up to 2 s", err)
        self.assertIn("the code FAKE-CODE expired after 2 s", err)
        self.assertLess(took, 8)


# --- paste mode against the real provider without a device endpoint ---------

class TestPasteMode(PeerCase):
    provider_options = {"device": False}

    def start_paste(self, sb, args=("get",), tty=True):
        run = self.start(sb, list(args), REQUEST if args[0] == "get" else "",
                         alias=args[0] == "get", tty=tty)
        url = run.wait_text("err", r"^(http://127\.0\.0\.1:\d+/oauth/authorize\?\S+)$").group(1)
        redirect = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["redirect_uri"][0]
        port = urllib.parse.urlsplit(redirect).port
        return run, url, port

    def test_pasted_address_signs_in_after_a_wrong_one(self):
        sb = self.sandbox(**HEADLESS)
        mark = self.provider.mark()
        run, url, port = self.start_paste(sb)
        err = run.wait_text("err", r"waiting up to \d+ s").string
        self.assertIn("fails to load a page at http://127.0.0.1:%d/callback" % port, err)
        self.assertIn("ssh -N -L %d:127.0.0.1:%d " % (port, port), err)
        run.wait_text("tty", r"paste the address here and press Enter: ")

        final = remote_browser_sign_in(url)
        # A pasted address whose state is not this sign-in's is refused,
        # and the helper asks again.
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(final).query)
        wrong = final.replace("state=" + q["state"][0], "state=" + "x" * 43)
        run.type("  %s  \n" % wrong)
        run.wait_text("err", r"that address belongs to another sign-in")
        run.wait_text("tty", r"(?s)Enter: .*Enter: ")
        # Not an address of ours at all.
        run.type("https://example.test/somewhere\n")
        run.wait_text("err", r"that is not the address of this sign-in's last page")
        run.type(final + "\n")
        code, out, err, _ = run.finish(60)
        self.assertEqual(code, 0, err)
        token = h.kv_dict(out)["password"]
        self.assertTrue(self.provider.is_active(token))
        self.assertEqual(self.provider.count_grants(mark), {"authorization_code": 1})
        # The pasted code never reaches a message.
        self.assertNotIn(q["code"][0], err)
        self.assertEqual(sb.browser_launches(), [])
        self.assertTrue(port_is_closed(port))

    def test_forwarded_port_finishes_without_pasting(self):
        """ssh -L: the browser's last request reaches the listener itself."""
        sb = self.sandbox(**HEADLESS)
        run, url, port = self.start_paste(sb, ("login", "--flow", "paste"))
        final = remote_browser_sign_in(url)
        with urllib.request.urlopen(final, timeout=10) as resp:
            page = resp.read().decode()
        self.assertIn("Signed in.", page)
        code, out, err, _ = run.finish(60)
        self.assertEqual(code, 0, err)
        self.assertIn("signed in to", err)

    def test_no_terminal_still_listens(self):
        sb = self.sandbox(**HEADLESS)
        run, url, port = self.start_paste(sb, ("login",), tty=False)
        err = run.wait_text("err", r"waiting up to \d+ s").string
        self.assertIn("there is no terminal here to paste", err)
        final = remote_browser_sign_in(url)
        urllib.request.urlopen(final, timeout=10).read()
        code, out, err, _ = run.finish(60)
        self.assertEqual(code, 0, err)

    def test_browser_that_cannot_start_falls_back(self):
        """--flow auto: a $BROWSER that fails to start means none here."""
        missing = "/nonexistent/browser"
        sb = self.sandbox(BROWSER=missing)
        run, url, port = self.start_paste(sb)
        err = run.wait_text("err", r"waiting up to \d+ s").string
        self.assertIn("cannot start the browser (%s)" % missing, err)
        self.assertIn("signing in without a browser instead (--flow paste)", err)
        run.wait_text("tty", r"paste the address here")
        run.type(remote_browser_sign_in(url) + "\n")
        code, out, err, _ = run.finish(60)
        self.assertEqual(code, 0, err)
        self.assertTrue(self.provider.is_active(h.kv_dict(out)["password"]))

    def test_flow_device_needs_a_device_endpoint(self):
        sb = self.sandbox(**HEADLESS)
        for args, env in ((["--flow", "device", "login"], {}),
                          (["login"], {"CLERK_CREDENTIAL_FLOW": "device"})):
            code, out, err, took = self.start(sb, args, env=env).finish(30)
            self.assertEqual(code, 2, err)
            self.assertIn("the provider offers no device sign-in", err)
            self.assertIn("--flow paste", err)
        (sb.home / ".config" / "clerk-credential").mkdir(parents=True, exist_ok=True)
        (sb.home / ".config" / "clerk-credential" / "config.json").write_text(
            json.dumps({"flow": "sideways"}))
        code, out, err, took = self.start(sb, ["login"]).finish(30)
        self.assertEqual(code, 2, err)
        self.assertIn("flow must be auto, browser, device or paste, not 'sideways'", err)

    def test_end_of_input_cancels(self):
        sb = self.sandbox(**HEADLESS)
        run, url, port = self.start_paste(sb, ("login",))
        run.wait_text("tty", r"paste the address here")
        run.type("\x04")  # Ctrl-D on an empty line
        code, out, err, took = run.finish(30)
        self.assertEqual(code, 1, err)
        self.assertIn("sign-in cancelled: the terminal's input ended", err)
        self.assertTrue(port_is_closed(port))
        self.assertEqual(leftovers(sb), [])


# --- non-interactive ------------------------------------------------------

KUBE_INFO = json.dumps({"apiVersion": "client.authentication.k8s.io/v1",
                        "kind": "ExecCredential", "spec": {"interactive": False}})


class TestNonInteractive(PeerCase):
    """Never a flow; a silent refresh when possible; else one line at once."""

    # (name, args, stdin, extra environment, through the git alias)
    TRIGGERS = [
        ("--non-interactive", ["--non-interactive", "get"], REQUEST, {}, True),
        ("GIT_TERMINAL_PROMPT=0", ["get"], REQUEST, {"GIT_TERMINAL_PROMPT": "0"}, True),
        ("CLERK_CREDENTIAL_INTERACTIVE=0", ["get"], REQUEST,
         {"CLERK_CREDENTIAL_INTERACTIVE": "0"}, True),
        ("git's interactive=false", ["get"], dict(REQUEST, interactive="false"), {}, True),
        ("kubectl's spec.interactive=false", ["kubectl"], "",
         {"KUBERNETES_EXEC_INFO": KUBE_INFO}, False),
        ("token --non-interactive", ["token", "--non-interactive"], "", {}, False),
        ("login --non-interactive", ["login", "--non-interactive"], "", {}, False),
    ]

    def run_trigger(self, sb, trigger, extra_env=None):
        name, args, stdin, env, alias = trigger
        run = self.start(sb, args, stdin, env=dict(env, **(extra_env or {})), alias=alias)
        return run.finish(30)

    def test_every_trigger_fails_fast_without_a_flow(self):
        for display in ({"BROWSER": str(h.HEADLESS_USER_JS)}, dict(HEADLESS, CLERK_CREDENTIAL_FLOW="device")):
            sb = self.sandbox(**display)
            mark = self.provider.mark()
            for trigger in self.TRIGGERS:
                with self.subTest(trigger=trigger[0], display=sorted(display)):
                    code, out, err, took = self.run_trigger(sb, trigger)
                    self.assertNotEqual(code, 0, err)
                    self.assertLess(took, 1.0, "took %.2f s" % took)
                    lines = err.splitlines()
                    self.assertEqual(len(lines), 1, err)
                    self.assertIn("`clerk-credential login`", lines[0])
                    self.assertNotIn("quit=1", out)
            self.assertEqual(sb.browser_launches(), [])
            self.assertEqual(self.provider.entries(mark), [], "the provider was asked")
            self.assertEqual(leftovers(sb), [])

    def test_git_with_prompts_off_fails_fast(self):
        sb = self.sandbox(GIT_TERMINAL_PROMPT="0")
        t0 = time.monotonic()
        r = sb.credential("fill", REQUEST)
        self.assertLess(time.monotonic() - t0, 1.5)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("`clerk-credential login`", r.stderr)
        self.assertEqual(sb.browser_launches(), [])

    def test_refreshes_silently_with_a_refresh_token(self):
        sb = self.sandbox()
        r = sb.helper("get", REQUEST, timeout=SIGN_IN_TIMEOUT)
        self.assertEqual(r.returncode, 0, h.describe(r))
        token = h.kv_dict(r.stdout)["password"]
        sb.wait_browsers_done()
        launches = len(sb.browser_launches())
        for trigger in self.TRIGGERS[:5]:
            with self.subTest(trigger=trigger[0]):
                # Drop the access token; the refresh token stays. Each
                # round is a first rejection: a rejected refreshed token
                # would otherwise hold git's get for 5 minutes.
                sb.forget_rejections()
                r = sb.helper("erase", dict(REQUEST, username="oauth2", password=token))
                self.assertEqual(r.returncode, 0, h.describe(r))
                mark = self.provider.mark()
                code, out, err, took = self.run_trigger(sb, trigger)
                self.assertEqual(code, 0, err)
                if trigger[4]:
                    new = h.kv_dict(out)["password"]
                else:
                    new = json.loads(out)["status"]["token"]
                self.assertNotEqual(new, token)
                self.assertTrue(self.provider.is_active(new))
                self.assertEqual(self.provider.count_grants(mark), {"refresh_token": 1})
                token = new
        self.assertEqual(len(sb.browser_launches()), launches)


# --- signals during the browser flow -----------------------------------------

class TestSignalsBrowserFlow(PeerCase):
    def test_sigint_and_sigterm_leave_store_and_lock_usable(self):
        # The browser starts and does nothing: the helper waits. A
        # cancelled sign-in starts the cool-down (test_background.py):
        # off here, where each get must start one.
        sb = self.sandbox(HEADLESS_USER_MODE="ignore",
                          CLERK_CREDENTIAL_SIGNIN_COOLDOWN="0")
        for sig in (signal.SIGINT, signal.SIGTERM):
            run = self.start(sb, ["get"], REQUEST, alias=True)
            url = run.wait_text("err", r"^(http://127\.0\.0\.1:\d+/oauth/authorize\?\S+)$").group(1)
            redirect = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["redirect_uri"][0]
            port = urllib.parse.urlsplit(redirect).port
            time.sleep(1)
            self.assertFalse(port_is_closed(port))
            self.assert_signal_exit(run, sig, sb, port)
        # The next run signs in through the browser.
        sb.env["HEADLESS_USER_MODE"] = "login"
        r = sb.helper("get", REQUEST, timeout=SIGN_IN_TIMEOUT)
        self.assertEqual(r.returncode, 0, h.describe(r))
        self.assertTrue(self.provider.is_active(h.kv_dict(r.stdout)["password"]))


if __name__ == "__main__":
    sys.exit(h.run_tests("test_headless.py"))
