"""The page the loopback listener shows at the end of a sign-in.

The real `clerk-credential login` runs with tests/peers/page-shooter.js as
$BROWSER: real headless Chromium (playwright-core) opens the real loopback
callback with the parameters each test chose, and reports what it showed.
No provider is needed: the issuer is a closed port, so discovery falls back
to Clerk's paths, and the page is served before the code exchange (which
then fails, as it should). Screenshots (light, dark, phone width) are saved
in <builddir>/screenshots/.
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
SHOOTER = SRC / "tests" / "peers" / "page-shooter.js"
EXE = os.environ.get("CLERK_CREDENTIAL", "clerk-credential")
BUILD = Path(os.environ.get("CLERK_BUILD_ROOT", Path(EXE).resolve().parent))
SHOTS = BUILD / "screenshots"
HOSTILE = ('<script>window.__pwned=1</script>'
           '<img src=x onerror="window.__pwned=2"> & "quotes"')


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def show_page(name, params):
    """Run a real login whose browser answers with @params; its report."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="clerk-page-") as t:
        root = Path(t)
        (root / "run").mkdir(mode=0o700)
        log = root / "shooter.json"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "XDG_RUNTIME_DIR": str(root / "run"),
            "XDG_STATE_HOME": str(root / "state"),
            "XDG_CONFIG_HOME": str(root / "config"),
            "CLERK_ISSUER": "http://127.0.0.1:%d" % closed_port(),
            "CLERK_OAUTH_CLIENT_ID": "client_page",
            "DBUS_SESSION_BUS_ADDRESS": "",
            "BROWSER": str(SHOOTER),
            "PAGE_SHOOTER_PARAMS": json.dumps(params),
            "PAGE_SHOOTER_OUT": str(SHOTS),
            "PAGE_SHOOTER_NAME": name,
            "PAGE_SHOOTER_LOG": str(log),
        }
        helper = subprocess.run(
            [EXE, "login", "--flow=browser", "--storage=file",
             "--timeout=60"], capture_output=True, text=True, timeout=90,
            env=env, stdin=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline and not (
                log.exists() and log.read_text().endswith("\n")):
            time.sleep(0.2)
        report = json.loads(log.read_text()) if log.exists() else {}
        return helper, report


class SignInPage(unittest.TestCase):
    def check_common(self, report, name):
        self.assertNotIn("error", report, report.get("error"))
        self.assertEqual(report["status"], 200)
        self.assertIn("default-src 'none'", report["csp"])
        for view in ["light", "dark", "phoneLight", "phoneDark"]:
            m = report[view]
            # Self-contained: one request, the callback itself.
            self.assertEqual(m["scripts"], 0)
            self.assertIsNone(m["pwned"])
            self.assertEqual(m["csp"], [], view)
            # Readable: WCAG AA contrast for the text and the heading.
            self.assertGreaterEqual(m["textContrast"], 7, view)
            self.assertGreaterEqual(m["headingContrast"], 4.5, view)
            # No sideways scrolling, on a phone too.
            self.assertLessEqual(m["scrollWidth"], m["innerWidth"], view)
        self.assertEqual(report["phoneLight"]["innerWidth"], 360)
        self.assertEqual(len(report["requests"]), 1, report["requests"])
        self.assertTrue(report["requests"][0].endswith("/callback"))
        # The schemes really differ.
        self.assertNotEqual(report["light"]["card"], report["dark"]["card"])
        for suffix in ["light", "dark", "phone-light", "phone-dark"]:
            shot = SHOTS / ("%s-%s.png" % (name, suffix))
            self.assertTrue(shot.exists() and shot.stat().st_size > 1000,
                            shot)

    def test_success(self):
        helper, report = show_page("success", {"code": "not-a-real-code"})
        self.check_common(report, "success")
        self.assertEqual(report["light"]["h1Class"], "ok")
        self.assertIn("Sign-in complete", report["light"]["text"])
        self.assertIn("Signed in. You can close this tab",
                      report["light"]["text"])
        # The page comes before the exchange, which fails here.
        self.assertNotEqual(helper.returncode, 0)

    def test_failure_shows_the_error_as_text(self):
        helper, report = show_page("failure", {
            "error": "access_denied", "error_description": HOSTILE})
        self.check_common(report, "failure")
        self.assertEqual(report["light"]["h1Class"], "bad")
        text = report["light"]["text"]
        self.assertIn("Sign-in refused", text)
        self.assertIn("access_denied", text)
        # Shown as text, not run or rendered as markup.
        self.assertIn(HOSTILE, text)
        self.assertEqual(helper.returncode, 1)
        self.assertIn("sign-in refused by the provider: access_denied",
                      helper.stderr)

    def test_other_error(self):
        helper, report = show_page("error", {
            "error": "invalid_scope",
            "error_description": "The requested scope is invalid."})
        self.check_common(report, "error")
        self.assertIn("Sign-in failed", report["light"]["text"])
        self.assertIn("invalid_scope", report["light"]["text"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
