#!/usr/bin/env python3
"""A FAKE OAuth provider for device-flow faults (RFC 8628), tests only.

The real provider (provider.js, oidc-provider) runs the device flow end to
end, but it will not answer slow_down, access_denied or expired_token on
demand. This fake does, and nothing else: it serves a discovery document
with a device_authorization_endpoint, hands out one device code, and
answers the polls of the token endpoint from a script. It is not an OpenID
provider (no ID tokens, no keys, no login) and must never stand in for one.

    python3 fake_device_provider.py --script slow_down,ok [--interval 1]
        [--expires-in 600] [--log FILE]

--script: the answers to successive device_code polls, comma-separated;
the last one repeats. Each is one of
    pending   400 authorization_pending
    slow_down 400 slow_down
    denied    400 access_denied
    expired   400 expired_token
    ok        200 with an access token and a refresh token
--cert FILE --key FILE serve https; --host NAME names the issuer
https://NAME:PORT (it still listens on 127.0.0.1 only).
--log FILE appends one JSON line per request:
    {"t": seconds since start, "path": ..., "grant_type": ..., "answer": ...,
     "early": true when a poll came before the interval had passed}
No device code, token or form body is logged.

Listens on 127.0.0.1 on a free port and prints exactly one line on stdout,
"ready http://127.0.0.1:PORT" (that URL is the issuer); SIGTERM ends it.
"""

import argparse
import json
import secrets
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

from fake_provider import TlsHTTPServer

ANSWERS = {
    "pending": (400, {"error": "authorization_pending"}),
    "slow_down": (400, {"error": "slow_down"}),
    "denied": (400, {"error": "access_denied",
                     "error_description": "the user said no"}),
    "expired": (400, {"error": "expired_token"}),
}
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
USER_CODE = "FAKE-CODE"


class State:
    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.device_code = None
        self.polls = 0
        self.last = None  # monotonic time of the last poll or authorization
        self.interval = opts.interval
        self.issued = 0

    def log(self, entry):
        if not self.opts.log:
            return
        entry["t"] = round(time.monotonic() - self.t0, 3)
        with open(self.opts.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def make_handler(state, issuer_box):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def send_json(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def form(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n > 65536:
                return None
            return urllib.parse.parse_qs(self.rfile.read(n).decode(),
                                         keep_blank_values=True)

        def do_GET(self):
            issuer = issuer_box[0]
            if self.path == "/.well-known/openid-configuration":
                state.log({"path": self.path})
                self.send_json(200, {
                    "issuer": issuer,
                    "authorization_endpoint": issuer + "/oauth/authorize",
                    "token_endpoint": issuer + "/oauth/token",
                    "device_authorization_endpoint":
                        issuer + "/oauth/device_authorization",
                    "response_types_supported": ["code"],
                    "grant_types_supported": ["authorization_code",
                                              "refresh_token", DEVICE_GRANT],
                })
            else:
                self.send_json(404, {"error": "not_found"})

        def do_POST(self):
            form = self.form()
            if form is None:
                self.send_json(413, {"error": "invalid_request"})
                return
            path = urllib.parse.urlsplit(self.path).path
            if path == "/oauth/device_authorization":
                self.device_authorization(form)
            elif path == "/oauth/token":
                self.token(form)
            else:
                self.send_json(404, {"error": "not_found"})

        def device_authorization(self, form):
            issuer = issuer_box[0]
            if not form.get("client_id", [""])[0]:
                self.send_json(400, {"error": "invalid_client"})
                return
            with state.lock:
                state.device_code = secrets.token_urlsafe(32)
                state.last = time.monotonic()
                code = state.device_code
            state.log({"path": "/oauth/device_authorization",
                       "scope": form.get("scope", [""])[0]})
            self.send_json(200, {
                "device_code": code,
                "user_code": USER_CODE,
                "verification_uri": issuer + "/device",
                "verification_uri_complete":
                    issuer + "/device?user_code=" + USER_CODE,
                "expires_in": state.opts.expires_in,
                "interval": state.opts.interval,
            })

        def token(self, form):
            grant = form.get("grant_type", [""])[0]
            if grant != DEVICE_GRANT:
                state.log({"path": "/oauth/token", "grant_type": grant,
                           "answer": "unsupported"})
                self.send_json(400, {"error": "unsupported_grant_type"})
                return
            with state.lock:
                now = time.monotonic()
                early = (state.last is not None
                         and now - state.last < state.interval - 0.05)
                state.last = now
                if form.get("device_code", [""])[0] != state.device_code:
                    name = "bad_code"
                else:
                    script = state.opts.script
                    name = script[min(state.polls, len(script) - 1)]
                    state.polls += 1
                if name == "slow_down":
                    state.interval += 5
                state.issued += name == "ok"
                n = state.issued
            entry = {"path": "/oauth/token", "grant_type": grant,
                     "answer": name}
            if early:
                entry["early"] = True
            state.log(entry)
            if name == "bad_code":
                self.send_json(400, {"error": "invalid_grant"})
            elif name == "ok":
                self.send_json(200, {
                    "access_token": "fake-access-%d-%s" % (n, secrets.token_hex(8)),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "refresh_token": "fake-refresh-%d-%s" % (n, secrets.token_hex(8)),
                })
            else:
                self.send_json(*ANSWERS[name])

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--script", default="ok")
    ap.add_argument("--interval", type=int, default=1)
    ap.add_argument("--expires-in", type=int, default=600)
    ap.add_argument("--log")
    ap.add_argument("--cert", help="serve https with this certificate")
    ap.add_argument("--key", help="and this key")
    ap.add_argument("--host", default="127.0.0.1",
                    help="the issuer's host name (it listens on 127.0.0.1)")
    opts = ap.parse_args()
    opts.script = [s.strip() for s in opts.script.split(",") if s.strip()]
    bad = [s for s in opts.script if s != "ok" and s not in ANSWERS]
    if not opts.script or bad:
        ap.error("bad --script entries: %s" % ", ".join(bad or ["(empty)"]))

    issuer_box = [None]
    state = State(opts)
    server = TlsHTTPServer(("127.0.0.1", 0), make_handler(state, issuer_box))
    server.daemon_threads = True
    server.tls = None
    if opts.cert:
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(opts.cert, opts.key)
    issuer_box[0] = "%s://%s:%d" % ("https" if opts.cert else "http",
                                    opts.host, server.server_address[1])

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready " + issuer_box[0], flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
