#!/usr/bin/env python3
"""FAKE BROWSER for the fault tests (tests/integration/test_faults.py).

Not a browser: set as $BROWSER, it takes the authorization URL as its
first argument, GETs it and follows the redirects, which the fake provider
(tests/peers/fake_provider.py) sends straight back to the helper's
loopback redirect_uri with code, state and iss. There is no login page.
The real user of the other integration tests is tests/peers/headless-user.js
(headless Chromium).

Over https (tests/integration/test_network.py) it trusts the CA
certificate in $FAKE_BROWSER_CA and takes https URLs; it goes through the
proxy that https_proxy names, but never for 127.0.0.1 (as browsers do not).

When $FAKE_BROWSER_LOG is set it appends JSON lines to that file:
{"event": "launch", "pid": ...} first, then {"event": "done", "pid": ...,
"status": <HTTP status of the last answer>} or {"event": "done", "pid": ...,
"error": "..."}. It never logs the URL (it holds state and PKCE values).
"""

import json
import os
import ssl
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


def opener():
    """urllib's, with the test CA when one is named, and no proxy for
    loopback (the helper's listener)."""
    no_proxy = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    os.environ["no_proxy"] = ",".join(filter(None, [no_proxy, "127.0.0.1"]))
    handlers = []
    ca = os.environ.get("FAKE_BROWSER_CA")
    if ca:
        handlers.append(urllib.request.HTTPSHandler(
            context=ssl.create_default_context(cafile=ca)))
    return urllib.request.build_opener(*handlers)


def main(argv):
    https = bool(os.environ.get("FAKE_BROWSER_CA")) and len(argv) == 2 and \
        argv[1].startswith("https://")
    if len(argv) != 2 or not (argv[1].startswith("http://127.0.0.1:") or https):
        log({"event": "done", "error": "expected one http://127.0.0.1 URL"})
        return 2
    log({"event": "launch"})
    try:
        with opener().open(argv[1], timeout=30) as resp:
            resp.read()
            log({"event": "done", "status": resp.status})
    except urllib.error.HTTPError as err:
        log({"event": "done", "status": err.code})
    except (OSError, ValueError) as err:
        log({"event": "done", "error": type(err).__name__})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
