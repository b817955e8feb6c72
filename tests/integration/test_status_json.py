"""`status --json` and `whoami --json` for scripts, from a seeded file store.

The file store and the runtime cache are written in their documented
formats; no provider is needed. The JSON must parse, carry what status
shows, and never a secret (no token of the store appears anywhere).
"""

import json
import os
import subprocess
import time
import unittest

import harness as h
from test_fastpath import CLIENT, ISSUER

EXE = os.environ["CLERK_CREDENTIAL"]
SECRETS = ["acc-SECRET-1", "ref-SECRET-2", "id-SECRET-3", "cached-SECRET-4"]


class StatusJson(h.OfflineCase):
    workdir_prefix = "clerk-status-"
    issuer = ISSUER
    client_id = CLIENT
    allowed_hosts = ("git.example.test", "*.corp.example.test")
    fake_browser = False
    extra_env = {"CLERK_CREDENTIAL_INTERACTIVE": "0",
                 "DBUS_SESSION_BUS_ADDRESS": ""}

    def seed(self):
        self.exp = int(time.time()) + 3600
        state = self.root / "state" / "clerk-credential"
        state.mkdir(parents=True, mode=0o700)
        f = state / "tokens-default.json"
        f.write_text(json.dumps({
            "version": 1, "issuer": ISSUER, "client_id": CLIENT,
            "profile": "default", "access_token": SECRETS[0],
            "refresh_token": SECRETS[1], "id_token": SECRETS[2],
            "token_type": "Bearer", "expires_at": self.exp,
            "userinfo": {"sub": "user_1", "name": "Alice Example",
                         "email": "alice@example.test", "extra": "x"}}))
        f.chmod(0o600)
        super().seed(SECRETS[3], self.exp)

    def run_helper(self, *args):
        r = subprocess.run([EXE, *args], capture_output=True, text=True,
                           timeout=20, env=self.env)
        for s in SECRETS:
            self.assertNotIn(s, r.stdout + r.stderr)
        return r

    def test_signed_out(self):
        r = self.run_helper("status", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count("\n"), 1)
        st = json.loads(r.stdout)
        self.assertEqual(st["signed_in"], False)
        self.assertEqual(st["issuer"], ISSUER)
        self.assertEqual(st["issuer_source"], "environment")
        self.assertEqual(st["hosts"], ["git.example.test",
                                       "*.corp.example.test"])
        self.assertEqual(st["storage"], "file")

    def test_signed_in(self):
        self.seed()
        r = self.run_helper("--json", "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        st = json.loads(r.stdout)
        self.assertEqual(st["signed_in"], True)
        self.assertEqual(st["user"], {"sub": "user_1", "name": "Alice Example",
                                      "email": "alice@example.test"})
        self.assertEqual(st["access_token"]["expires_at"], self.exp)
        self.assertEqual(st["access_token"]["valid"], True)
        self.assertEqual(st["refresh_token"], {"stored": True})
        self.assertEqual(st["runtime_cache"]["expires_at"], self.exp)
        self.assertEqual(st["profile"], "default")
        # The human form is unchanged beside it.
        human = self.run_helper("status").stdout
        self.assertIn("signed in:      yes, as Alice Example", human)

    def test_whoami_json(self):
        self.seed()
        r = self.run_helper("whoami", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["email"], "alice@example.test")
        self.assertEqual(self.run_helper("whoami").stdout,
                         "Alice Example <alice@example.test> (user_1)\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
