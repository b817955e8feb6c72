#!/usr/bin/env python3
"""The loopback listener under abuse while a real sign-in happens (contract §8).

The helper signs in with --callback-port set to a free port chosen here;
while it waits, this test attacks that port: garbage bytes, a POST, a
foreign Host, a request over 8 KiB, a slow-loris client that sends one
byte at a time and never ends its request, and 100 idle connections kept
open the whole time (the listener serves LISTENER_MAX_CONNECTIONS = 64 and
drops the oldest idle one beyond that, or any idle past 5 s; this test
opens a new one for each it loses). The real headless Chromium
(tests/peers/headless-user.js) then signs in at the real provider and must
reach the callback through all that; with a user who does nothing, the
wait must end cleanly at --timeout.

tests/unit/test_listener.c covers the listener alone; this is the same
abuse end to end, against the real binary, browser and provider.

Run: CLERK_CREDENTIAL=build/clerk-credential python3 tests/integration/test_listener_abuse.py
"""

import contextlib
import select
import socket
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

HOST = "git.example.test"
REQUEST = {"protocol": "https", "host": HOST}
SIGN_IN_TIMEOUT = 90
IDLE = 100


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def exchange(port, data, timeout=10):
    """Send data on a new connection; the status line answered ('' if none)."""
    with connect(port, timeout) as s:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            s.sendall(data)
        got = b""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(ConnectionResetError):
            while time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        return got.split(b"\r\n", 1)[0].decode(errors="replace")


def closed_by_peer(s):
    """True when the listener has closed s (EOF or reset)."""
    try:
        ready, _, _ = select.select([s], [], [], 0)
        if not ready:
            return False
        return s.recv(4096, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class Abuse(threading.Thread):
    """100 idle connections kept open and one slow-loris client."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.idle = []
        self.opened = 0
        self.dropped = 0          # idle connections the listener closed
        self.refused = 0          # connects that failed
        self.loris_bytes = 0
        self.loris_dropped = 0
        self.error = None

    def open_idle(self):
        try:
            self.idle.append(connect(self.port, timeout=2))
            self.opened += 1
        except OSError:
            self.refused += 1

    def loris_step(self, loris, head):
        """One byte more of a request that never ends; a new client if dropped."""
        if loris is None or closed_by_peer(loris):
            if loris is not None:
                self.loris_dropped += 1
                loris.close()
            try:
                loris = connect(self.port, timeout=2)
            except OSError:
                self.refused += 1
                return None
        try:
            loris.send(head[self.loris_bytes % len(head):][:1])
            self.loris_bytes += 1
        except OSError:
            self.loris_dropped += 1
            loris.close()
            loris = None
        return loris

    def run(self):
        head = (b"GET /callback?state=slow&code=" + b"x" * 100 +
                b" HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Slow: " % self.port +
                b"y" * 8000)
        loris = None
        try:
            while not self.stop.is_set():
                for s in list(self.idle):
                    if closed_by_peer(s):
                        self.dropped += 1
                        self.idle.remove(s)
                        s.close()
                while len(self.idle) < IDLE and not self.stop.is_set():
                    self.open_idle()
                loris = self.loris_step(loris, head)
                self.stop.wait(0.2)
        except Exception as exc:  # reported by the test
            self.error = exc
        finally:
            if loris is not None:
                loris.close()

    def finish(self):
        """Stop; how many of the idle connections are still open."""
        self.stop.set()
        self.join(10)
        return self.idle

    def close_all(self):
        for s in self.idle:
            s.close()
        self.idle = []


class ListenerAbuse(h.ProviderCase):

    workdir_prefix = "clerk-abuse-"

    def start_helper(self, sb, options):
        request = sb.dir / "request"
        request.write_text(h.format_kv(REQUEST))
        out = open(sb.dir / "helper.out", "w+")
        err = open(sb.dir / "helper.err", "w+")
        self.addCleanup(out.close)
        self.addCleanup(err.close)
        with open(request, "rb") as stdin:
            proc = subprocess.Popen([sb.alias, *options, "get"], stdin=stdin,
                                    stdout=out, stderr=err, env=sb.env,
                                    cwd=str(sb.dir), start_new_session=True)

        def stop():
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        self.addCleanup(stop)
        return proc, out, err

    def wait_listening(self, proc, port, err):
        def up():
            if proc.poll() is not None:
                err.seek(0)
                raise AssertionError("the helper ended before listening: %s"
                                     % err.read())
            try:
                connect(port, timeout=1).close()
                return True
            except OSError:
                return False
        h.wait_for(up, 60, interval=0.05, what="the loopback listener")

    def hostile_requests(self, port):
        """One of each; the status line each got."""
        host = b"Host: 127.0.0.1:%d\r\n" % port
        return {
            "garbage": exchange(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc"
                                b"\x03\x03\xff\xfe\r\n\r\n\x00\x00"),
            "post": exchange(port, b"POST /callback?code=x&state=y HTTP/1.1\r\n"
                             + host + b"Content-Type: application/x-www-form-"
                             b"urlencoded\r\nContent-Length: 11\r\n\r\n"
                             b"code=x&st=y"),
            "foreign-host": exchange(port, b"GET /callback?code=x&state=y "
                                     b"HTTP/1.1\r\nHost: evil.example:%d\r\n"
                                     b"\r\n" % port),
            "oversized": exchange(port, b"GET /callback?code=" + b"c" * 9000 +
                                  b"&state=y HTTP/1.1\r\n" + host + b"\r\n"),
        }

    def test_sign_in_completes_under_abuse(self):
        """The real browser gets through; every hostile request is refused."""
        port = free_port()
        # The browser comes after the abuse has filled the listener.
        sb = self.sandbox(HEADLESS_USER_DELAY_MS=1500)
        mark = self.provider.mark()
        started = time.monotonic()
        proc, out, err = self.start_helper(
            sb, ["--callback-port=%d" % port, "--timeout=%d" % SIGN_IN_TIMEOUT])
        self.wait_listening(proc, port, err)
        answers = self.hostile_requests(port)
        abuse = Abuse(port)
        abuse.start()
        try:
            proc.wait(SIGN_IN_TIMEOUT + 30)
        finally:
            still_open = abuse.finish()
        took = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        done = sb.wait_browsers_done()
        # The listener is gone with the helper: every connection it held
        # ends, the port is free again.
        h.wait_for(lambda: all(closed_by_peer(s) for s in still_open), 10,
                   what="the helper's connections to close")
        abuse.close_all()
        with socket.socket() as s:
            # Connections the listener closed linger in TIME_WAIT.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen()
        print("sign-in under abuse in %.1f s: %d idle connections opened, "
              "%d dropped by the listener, %d slow-loris bytes (%d clients "
              "dropped), answers %s"
              % (took, abuse.opened, abuse.dropped, abuse.loris_bytes,
                 abuse.loris_dropped, answers))

        self.assertIsNone(abuse.error, repr(abuse.error))
        context = "exit %s\n--- stderr ---\n%s\n--- browser ---\n%s" % (
            proc.returncode, stderr, done)
        self.assertEqual(proc.returncode, 0, context)
        password = h.kv_dict(stdout).get("password")
        self.assertTrue(password, context)
        self.assertTrue(self.provider.is_active(password))
        self.assertEqual([d.get("result") for d in done], ["ok"], context)
        self.assertEqual(self.provider.count_grants(mark), {"authorization_code": 1})
        self.assertTrue(answers["garbage"].startswith("HTTP/1.1 400"), answers)
        self.assertTrue(answers["post"].startswith("HTTP/1.1 405"), answers)
        self.assertTrue(answers["foreign-host"].startswith("HTTP/1.1 400"), answers)
        self.assertTrue(answers["oversized"].startswith("HTTP/1.1 431"), answers)
        # The abuse was real: the table overflowed and idle clients were
        # dropped to make room, while the slow client kept sending.
        self.assertGreaterEqual(abuse.opened, IDLE)
        # (The helper's exit closes at most IDLE of them.)
        self.assertGreaterEqual(abuse.dropped, 2 * IDLE, "hardly any evicted")
        self.assertGreater(abuse.loris_bytes, 5)
        self.assertNotIn("code=", stderr)

    def test_ignored_sign_in_times_out_cleanly_under_abuse(self):
        """A user who does nothing: the wait ends at --timeout all the same."""
        port = free_port()
        sb = self.sandbox(HEADLESS_USER_MODE="ignore")
        proc, out, err = self.start_helper(
            sb, ["--callback-port=%d" % port, "--timeout=4"])
        self.wait_listening(proc, port, err)
        started = time.monotonic()
        abuse = Abuse(port)
        abuse.start()
        try:
            proc.wait(30)
        finally:
            still_open = abuse.finish()
        took = time.monotonic() - started
        err.seek(0)
        stderr = err.read()
        h.wait_for(lambda: all(closed_by_peer(s) for s in still_open), 10,
                   what="the helper's connections to close")
        abuse.close_all()
        print("ignored sign-in under abuse: exit %s after %.1f s (--timeout=4)"
              % (proc.returncode, took))
        self.assertNotEqual(proc.returncode, 0, stderr)
        self.assertLess(took, 9, "the timeout did not hold under abuse")
        self.assertRegex(stderr, r"timed out after 4 s", stderr)
        out.seek(0)
        self.assertNotIn("password", out.read())


def main():
    try:
        h.check_prerequisites()
        h.helper_paths()
    except h.HarnessError as exc:
        print("test_listener_abuse.py: %s" % exc, file=sys.stderr)
        return 1
    prog = unittest.main(module=__name__, exit=False, verbosity=2)
    res = prog.result
    return 0 if res.wasSuccessful() and res.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
