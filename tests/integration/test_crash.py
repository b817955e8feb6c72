#!/usr/bin/env python3
"""Crash safety of the file store (contract §10): kill -9 at any point of a write.

tests/integration/crash_writer.c saves two token sets in turn through the
real file store (store_save -> file_write_atomic) as fast as it can. This
test starts it again and again and SIGKILLs it at random moments, hundreds
of times. After each kill tokens-<profile>.json must parse and be exactly
one of the two sets, mode 0600, and the temporary files of killed writers
must not pile up (the next write removes those of dead pids).

Run: CLERK_CRASH_WRITER=build/tests/crash-writer python3 tests/integration/test_crash.py
"""

import json
import os
import random
import signal
import stat
import subprocess
import time
import unittest

import harness as h

ISSUER = "https://clerk.example.test"
CLIENT = "client_crash"
KILLS = int(os.environ.get("CLERK_CRASH_KILLS", "200"))
# Slow builds (sanitizers, a busy machine) stop after this many seconds,
# but never before MIN_KILLS kills.
BUDGET = float(os.environ.get("CLERK_CRASH_BUDGET", "25"))
MIN_KILLS = min(KILLS, 100)


def expected_set(n):
    """Token set n of crash_writer.c (see its header)."""
    length = 65536 if n else 16
    return {
        "access_token": "access-%d-" % n + "a" * length,
        "refresh_token": "refresh-%d-" % n + "r" * length,
        "id_token": "id-%d" % n,
    }


SETS = [expected_set(0), expected_set(1)]


class CrashSafety(h.OfflineCase):
    workdir_prefix = "clerk-crash-"
    issuer = ISSUER
    client_id = CLIENT
    fake_browser = False
    # The writer decides no host: the variable is not set at all.
    extra_env = {"CLERK_CREDENTIAL_HOSTS": None}

    def setUp(self):
        writer = os.environ.get("CLERK_CRASH_WRITER")
        if not writer or not os.access(writer, os.X_OK):
            self.fail("set CLERK_CRASH_WRITER to the built tests/crash-writer "
                      "(meson test sets it)")
        self.writer = writer
        super().setUp()
        self.state = self.root / "state" / "clerk-credential"
        self.token_file = self.state / "tokens-default.json"
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                self.env[k] = os.environ[k]

    def start(self):
        return subprocess.Popen([self.writer], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=self.env)

    def kill(self, proc):
        proc.kill()
        proc.wait(10)
        err = proc.stderr.read().decode(errors="replace")
        proc.stdout.close()
        proc.stderr.close()
        self.assertEqual(proc.returncode, -signal.SIGKILL,
                         "the writer ended on its own: %s" % err)

    def temp_files(self):
        return sorted(p.name for p in self.state.iterdir()
                      if p.name.startswith("tokens-default.json.tmp."))

    def which_set(self, context):
        """Index of the set the token file holds; fails on anything else."""
        st = os.lstat(self.token_file)
        self.assertTrue(stat.S_ISREG(st.st_mode), context)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, context)
        raw = self.token_file.read_bytes()
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            self.fail("%s: torn token file (%d bytes): %s" % (context, len(raw), exc))
        got = {k: doc.get(k) for k in ("access_token", "refresh_token", "id_token")}
        for n, want in enumerate(SETS):
            if got == want:
                return n
        self.fail("%s: the token file is neither set (%d bytes)" % (context, len(raw)))

    def test_kill_at_random_points(self):
        # Writers that certainly saved once; the fastest start-up sets
        # the span of kill times.
        ready = None
        for _ in range(3):
            t0 = time.monotonic()
            proc = self.start()
            line = proc.stdout.readline()
            took = time.monotonic() - t0
            ready = took if ready is None else min(ready, took)
            self.assertEqual(line, b"ready\n", "the writer did not start")
            self.kill(proc)
        self.which_set("after the first writers")
        inode = os.stat(self.token_file).st_ino

        seed = int(os.environ.get("CLERK_CRASH_SEED", time.time_ns() % 10**9))
        rng = random.Random(seed)
        # Kill points spread over start-up (nothing written yet) and the
        # write loop; a write takes a fraction of the start-up time.
        span = max(3 * ready, 0.01)
        replaced = mid_write = max_temps = 0
        started = time.monotonic()
        kills = 0
        for i in range(KILLS):
            if i >= MIN_KILLS and time.monotonic() - started > BUDGET:
                break
            kills += 1
            proc = self.start()
            time.sleep(rng.uniform(0, span))
            self.kill(proc)
            context = "kill %d (CLERK_CRASH_SEED=%d)" % (i + 1, seed)
            self.which_set(context)
            # Each completed save renames a new file into place.
            now = os.stat(self.token_file).st_ino
            replaced += now != inode
            inode = now
            temps = self.temp_files()
            mid_write += ("tokens-default.json.tmp.%d" % proc.pid) in temps
            max_temps = max(max_temps, len(temps))
            # The killed writer's own file, and at most one more whose
            # sweep the killed writer did not reach.
            self.assertLessEqual(len(temps), 2, "%s: temporary files pile up: %s"
                                 % (context, temps))
        took = time.monotonic() - started

        # A writer that runs to its first save removes what is left.
        proc = self.start()
        self.assertEqual(proc.stdout.readline(), b"ready\n")
        self.kill(proc)
        self.which_set("after the last writer")
        left = self.temp_files()
        self.assertLessEqual(len(left), 1, left)

        print("%d kills in %.1f s (start-up %.1f ms): %d killed writers had "
              "replaced the token file, %d were killed mid-write (their "
              "temporary file left), at "
              "most %d temporary files at once, never torn"
              % (kills, took, ready * 1000, replaced, mid_write, max_temps))
        # The kills must land inside writes too, or this proves little.
        self.assertGreater(replaced, kills // 10, "the writers hardly ever wrote")
        self.assertGreater(mid_write, 0, "no kill landed between create and rename")


if __name__ == "__main__":
    unittest.main(verbosity=2)
