#!/usr/bin/env python3
"""FAKE BROWSER for the fault tests (tests/integration/test_faults.py).

Not a browser: set as $BROWSER, it takes the authorization URL as its
first argument, GETs it and follows the redirects, which the fake provider
(tests/peers/fake_provider.py) sends straight back to the helper's
loopback redirect_uri with code, state and iss. There is no login page.
The real user of the other integration tests is tests/peers/headless-user.js
(headless Chromium).

When $FAKE_BROWSER_LOG is set it appends JSON lines to that file:
{"event": "launch", "pid": ...} first, then {"event": "done", "pid": ...,
"status": <HTTP status of the last answer>} or {"event": "done", "pid": ...,
"error": "..."}. It never logs the URL (it holds state and PKCE values).
"""

import json
import os
import sys
import urllib.error
import urllib.request


def log(entry):
    path = os.environ.get("FAKE_BROWSER_LOG")
    if not path:
        return
    entry["pid"] = os.getpid()
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


def main(argv):
    if len(argv) != 2 or not argv[1].startswith("http://127.0.0.1:"):
        log({"event": "done", "error": "expected one http://127.0.0.1 URL"})
        return 2
    log({"event": "launch"})
    try:
        with urllib.request.urlopen(argv[1], timeout=30) as resp:
            resp.read()
            log({"event": "done", "status": resp.status})
    except urllib.error.HTTPError as err:
        log({"event": "done", "status": err.code})
    except (OSError, ValueError) as err:
        log({"event": "done", "error": type(err).__name__})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
