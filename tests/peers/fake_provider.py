#!/usr/bin/env python3
"""FAKE OpenID Provider that injects faults, for tests only.

This is not a real identity provider. The real one in the integration
tests is tests/peers/provider.js (npm oidc-provider). This fake exists for
the faults a real provider will not produce on demand (contract §16): 5xx and
429 answers, malformed, truncated, oversized, slow or stalled answers,
redirects, invalid_grant, a discovery document naming another issuer, a
callback with a wrong iss, and ID tokens with a bad signature, an unknown
kid, alg none or HS256, or a wrong aud, iss, nonce or exp.

It speaks just enough OAuth 2.0 / OpenID Connect for clerk-credential's
browser sign-in and refresh: discovery, /oauth/authorize (no login page:
it redirects straight back to redirect_uri with code, state and iss),
/oauth/token (authorization_code with PKCE S256, refresh_token with
rotation), /oauth/userinfo, /oauth/token/revoke and
/.well-known/jwks.json, with Clerk's paths, on 127.0.0.1 only.

ID tokens are really signed: RS256 and ES256 with keys that `openssl
genpkey` makes at start in a private temporary directory (test-only keys,
never written anywhere else), signed by `openssl dgst -sha256 -sign KEYFILE`
with the signing input on stdin: key files, never tokens, in argv.

Use in-process (Python standard library only):

    from fake_provider import FakeProvider
    with FakeProvider() as fake:
        fake.issuer                      # http://127.0.0.1:PORT
        fake.set_fault("token", "status", status=503, retry_after=7)
        fake.set_fault("token", "id_token", claims={"aud": "other"})
        fake.set_fault("jwks", "slow", delay=2, times=1)
        fake.count("token", grant_type="refresh_token")
        fake.clear_faults()

Over https: FakeProvider(tls=ssl_context, host="idp.test") serves TLS with
that context (tests/peers/tls_ca.py makes one) and names its issuer
https://idp.test:PORT; it still listens on 127.0.0.1 only (a test reaches
such a name through tests/peers/connect_proxy.py).

or as a process: `fake_provider.py --port 0` prints "ready http://127.0.0.1:PORT"
on stdout; POST JSON {"endpoint", "fault", "times", "params"} to
/_fake/fault (or {} to /_fake/clear) and GET /_fake/requests.

Endpoints (names for set_fault and count): discovery, authorize, token,
userinfo, revoke, jwks, other. Faults on any endpoint:
  status        status=500, retry_after=None, body=None: an error answer
  malformed     a 200 answer whose JSON body is cut in the middle
  truncated     Content-Length larger than the body, then the connection
                closes
  oversized     a 200 body of size=1 MiB + 1 KiB (no_length=True: without
                Content-Length, ended by closing the connection)
  slow          delay=seconds, then the normal answer
  stall         delay=seconds of silence (after the head and a part of
                the body with partial=True), then the connection closes
  close         the connection closes without an answer
  redirect      status=307, location=path: a redirect (to /redirected,
                counted as endpoint "redirected", by default)
Faults of one endpoint:
  token         invalid_grant (description=...): 400 {"error":"invalid_grant"}
  token         id_token: the answer's ID token is made with claims={...}
                (None removes a claim), header={...}, alg="none"|"HS256"|
                "RS256"|"ES256", kid=..., bad_signature=True, omit=True
  discovery     override: fields={...} replace members of the document
  authorize     callback: params={...} replace or add (None removes)
                parameters of the redirect back to the client
A fault lasts for `times` requests (None: until cleared).

Keys: keys "rsa-1" (RS256), "rsa-2" (RS256) and "ec-1" (ES256).
fake.sign_with(kid) chooses the key of new ID tokens; fake.publish(kids)
chooses the keys the JWKS lists (default: the signing key).
"""

import atexit
import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_ID = "clerk-credential-test"
MAX_BODY = 1024 * 1024  # the helper's limit (helper/net/http.h)

PATHS = {
    "/.well-known/openid-configuration": "discovery",
    "/oauth/authorize": "authorize",
    "/oauth/token": "token",
    "/oauth/userinfo": "userinfo",
    "/oauth/token/revoke": "revoke",
    "/.well-known/jwks.json": "jwks",
    "/redirected": "redirected",
}

KEYS = {"rsa-1": "RS256", "rsa-2": "RS256", "ec-1": "ES256"}


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(obj):
    return b64url(json.dumps(obj, separators=(",", ":")))


# --- keys: made by openssl, read back from DER --------------------------

def _der_read(data, pos):
    """(tag, content start, content end) of the DER element at pos."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    return tag, pos, pos + length


def _der_children(data, start, end):
    out = []
    while start < end:
        tag, s, e = _der_read(data, start)
        out.append((tag, s, e))
        start = e
    return out


def _int_bytes(data, s, e, size=None):
    raw = data[s:e].lstrip(b"\0")
    return raw.rjust(size, b"\0") if size else raw


def _openssl(args, stdin=None):
    r = subprocess.run(["openssl", *args], input=stdin, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], r.stderr.decode()))
    return r.stdout


def _public_jwk(keyfile, kid, alg):
    """The public JWK of keyfile, from its SubjectPublicKeyInfo."""
    der = _openssl(["pkey", "-in", keyfile, "-pubout", "-outform", "DER"])
    _, s, e = _der_read(der, 0)
    (_, _, _), (_, bs, be) = _der_children(der, s, e)
    bits = der[bs + 1:be]  # BIT STRING: skip the unused-bits byte
    if alg == "ES256":
        assert bits[0] == 4 and len(bits) == 65
        return {"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
                "alg": alg, "x": b64url(bits[1:33]), "y": b64url(bits[33:])}
    _, s, e = _der_read(bits, 0)
    (_, ns, ne), (_, es, ee) = _der_children(bits, s, e)
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": alg,
            "n": b64url(_int_bytes(bits, ns, ne)),
            "e": b64url(_int_bytes(bits, es, ee))}


_KEY_CACHE = {}
_KEY_LOCK = threading.Lock()


def make_keys():
    """{kid: (keyfile, public JWK)}: test-only keys, made once per process."""
    with _KEY_LOCK:
        if _KEY_CACHE:
            return dict(_KEY_CACHE)
        keydir = tempfile.mkdtemp(prefix="fake-provider-keys-")
        os.chmod(keydir, 0o700)
        for kid, alg in KEYS.items():
            path = os.path.join(keydir, kid + ".pem")
            if alg == "RS256":
                _openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt",
                          "rsa_keygen_bits:2048", "-out", path])
            else:
                _openssl(["genpkey", "-algorithm", "EC", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-out", path])
            _KEY_CACHE[kid] = (path, _public_jwk(path, kid, alg))
        atexit.register(shutil.rmtree, keydir, True)
        return dict(_KEY_CACHE)


def sign(keyfile, alg, signing_input):
    """The JWS signature (bytes) of signing_input with keyfile."""
    sig = _openssl(["dgst", "-sha256", "-sign", keyfile], signing_input)
    if alg != "ES256":
        return sig
    # ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } -> r || s
    _, s, e = _der_read(sig, 0)
    (_, rs, re_), (_, ss, se) = _der_children(sig, s, e)
    return _int_bytes(sig, rs, re_, 32) + _int_bytes(sig, ss, se, 32)


# --- the provider ---------------------------------------------------------

class FakeProvider:
    """The fake on 127.0.0.1, in a thread. Use as a context manager."""

    def __init__(self, client_id=CLIENT_ID, access_ttl=3600, port=0,
                 iss_parameter=True, tls=None, host="127.0.0.1"):
        self.client_id = client_id
        self.tls = tls    # an ssl.SSLContext: serve https
        self.host = host  # the issuer's host name (it listens on 127.0.0.1)
        self.access_ttl = access_ttl
        self.iss_parameter = iss_parameter
        self.keys = make_keys()
        self.signing_kid = "rsa-1"
        self.published = None  # None: the signing key only
        self._lock = threading.Lock()
        self._faults = {}
        self._requests = []
        self._codes = {}
        self._refresh = set()
        self._access = set()
        self._port = port
        self._server = None
        self._thread = None
        self.issuer = None

    # life cycle

    def start(self):
        server = TlsHTTPServer(("127.0.0.1", self._port), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.fake = self
        server.tls = self.tls
        self._server = server
        self.issuer = "%s://%s:%d" % ("https" if self.tls else "http",
                                      self.host, server.server_address[1])
        self._thread = threading.Thread(target=server.serve_forever,
                                        name="fake-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # what tests set

    def set_fault(self, endpoint, fault, times=None, **params):
        """From now on, answer endpoint with fault (see the module doc)."""
        with self._lock:
            self._faults[endpoint] = {"fault": fault, "times": times,
                                      "params": params}

    def clear_faults(self, endpoint=None):
        with self._lock:
            if endpoint is None:
                self._faults.clear()
            else:
                self._faults.pop(endpoint, None)

    def sign_with(self, kid):
        """New ID tokens are signed with key kid (rsa-1, rsa-2, ec-1)."""
        if kid not in self.keys:
            raise ValueError("no key %r" % kid)
        self.signing_kid = kid

    def publish(self, kids):
        """The JWKS lists these keys (None: the signing key only)."""
        self.published = None if kids is None else list(kids)

    def jwks(self):
        kids = self.published if self.published is not None else [self.signing_kid]
        return {"keys": [self.keys[k][1] for k in kids]}

    # what tests read

    def requests(self, endpoint=None, **match):
        """Requests seen so far: dicts with endpoint, method, path, form keys."""
        with self._lock:
            reqs = list(self._requests)
        return [r for r in reqs
                if (endpoint is None or r["endpoint"] == endpoint)
                and all(r.get(k) == v for k, v in match.items())]

    def count(self, endpoint=None, **match):
        return len(self.requests(endpoint, **match))

    def is_active(self, access_token):
        with self._lock:
            return access_token in self._access

    # internals used by the handler

    def _record(self, entry):
        with self._lock:
            self._requests.append(entry)

    def _take_fault(self, endpoint):
        with self._lock:
            f = self._faults.get(endpoint)
            if not f:
                return None
            if f["times"] is not None:
                f["times"] -= 1
                if f["times"] <= 0:
                    del self._faults[endpoint]
            return f

    def discovery(self):
        i = self.issuer
        doc = {
            "issuer": i,
            "authorization_endpoint": i + "/oauth/authorize",
            "token_endpoint": i + "/oauth/token",
            "userinfo_endpoint": i + "/oauth/userinfo",
            "revocation_endpoint": i + "/oauth/token/revoke",
            "jwks_uri": i + "/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
        }
        if self.iss_parameter:
            doc["authorization_response_iss_parameter_supported"] = True
        return doc

    def make_id_token(self, nonce=None, fault=None):
        """A signed ID token, bent as fault's params say."""
        p = fault["params"] if fault else {}
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "user-1", "aud": self.client_id,
                  "iat": now, "exp": now + 600, "auth_time": now}
        if nonce:
            claims["nonce"] = nonce
        for k, v in (p.get("claims") or {}).items():
            if v is None:
                claims.pop(k, None)
            else:
                claims[k] = v
        kid = p.get("kid", self.signing_kid)
        alg = p.get("alg", KEYS.get(self.signing_kid))
        header = {"alg": alg, "typ": "JWT"}
        if kid is not None:
            header["kid"] = kid
        header.update(p.get("header") or {})
        signing_input = (b64json(header) + "." + b64json(claims)).encode()
        if alg == "none":
            sig = b""
        elif alg.startswith("HS"):
            sig = hmac.new(self.client_id.encode(), signing_input,
                           hashlib.sha256).digest()
        else:
            sig = sign(self._keyfile(kid, alg), alg, signing_input)
        if p.get("bad_signature"):
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        return signing_input.decode() + "." + b64url(sig)

    def _keyfile(self, kid, alg):
        """The key of kid when it is one of ours for alg, else one for alg."""
        if kid in self.keys and KEYS[kid] == alg:
            return self.keys[kid][0]
        if KEYS[self.signing_kid] == alg:
            return self.keys[self.signing_kid][0]
        return next(self.keys[k][0] for k, a in KEYS.items() if a == alg)

    def _new_tokens(self, nonce, id_fault):
        access = "fake-at-" + secrets.token_urlsafe(24)
        refresh = "fake-rt-" + secrets.token_urlsafe(24)
        with self._lock:
            self._access.add(access)
            self._refresh.add(refresh)
        answer = {"access_token": access, "token_type": "Bearer",
                  "expires_in": self.access_ttl, "refresh_token": refresh,
                  "scope": "openid profile email offline_access"}
        if not (id_fault and id_fault["params"].get("omit")):
            answer["id_token"] = self.make_id_token(nonce, id_fault)
        return answer

    def token_answer(self, form, fault):
        """(status, JSON answer) of the token endpoint for form."""
        if fault and fault["fault"] == "invalid_grant":
            return 400, {"error": "invalid_grant", "error_description":
                         fault["params"].get("description", "grant revoked (fake)")}
        id_fault = fault if fault and fault["fault"] == "id_token" else None
        grant = form.get("grant_type")
        if form.get("client_id") != self.client_id:
            return 401, {"error": "invalid_client"}
        if grant == "authorization_code":
            with self._lock:
                req = self._codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = b64url(hashlib.sha256(verifier.encode()).digest())
            if not req or req["redirect_uri"] != form.get("redirect_uri") \
                    or req["challenge"] != challenge:
                return 400, {"error": "invalid_grant",
                             "error_description": "bad code, redirect_uri or verifier"}
            return 200, self._new_tokens(req["nonce"], id_fault)
        if grant == "refresh_token":
            with self._lock:
                known = form.get("refresh_token") in self._refresh
                self._refresh.discard(form.get("refresh_token"))
            if not known:
                return 400, {"error": "invalid_grant",
                             "error_description": "unknown refresh token"}
            return 200, self._new_tokens(None, id_fault)
        return 400, {"error": "unsupported_grant_type"}

    def authorize_redirect(self, query, fault):
        """(status, Location or error text) for an authorization request."""
        q = dict(urllib.parse.parse_qsl(query))
        redirect = q.get("redirect_uri", "")
        if (q.get("client_id") != self.client_id
                or q.get("response_type") != "code"
                or q.get("code_challenge_method") != "S256"
                or not redirect.startswith("http://127.0.0.1:")):
            return 400, "bad authorization request"
        code = "fake-code-" + secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = {"redirect_uri": redirect, "nonce": q.get("nonce"),
                                 "challenge": q.get("code_challenge")}
        params = {"code": code, "state": q.get("state", "")}
        if self.iss_parameter:
            params["iss"] = self.issuer
        if fault and fault["fault"] == "callback":
            for k, v in fault["params"].get("params", {}).items():
                if v is None:
                    params.pop(k, None)
                else:
                    params[k] = v
        return 302, redirect + "?" + urllib.parse.urlencode(params)


class TlsHTTPServer(ThreadingHTTPServer):
    """With server.tls set, each connection's TLS handshake happens in its
    own thread: a client that refuses the certificate stops nothing else."""

    def finish_request(self, request, client_address):
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:
            tls = self.tls.wrap_socket(request, server_side=True)
        except OSError:  # ssl.SSLError: the client refused us
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-provider"

    def log_message(self, fmt, *args):  # quiet
        pass

    @property
    def fake(self):
        return self.server.fake

    def _send(self, status, body=b"", ctype="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.send_header("Cache-Control", "no-store")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _read_form(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(n, 65536)).decode(errors="replace")
        return dict(urllib.parse.parse_qsl(raw)), raw

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method):
        path, _, query = self.path.partition("?")
        try:
            if path.startswith("/_fake/"):
                return self._control(method, path)
            endpoint = PATHS.get(path, "other")
            form = {}
            if method == "POST":
                form, _ = self._read_form()
            entry = {"endpoint": endpoint, "method": method, "path": path,
                     "time": time.time()}
            if "grant_type" in form:
                entry["grant_type"] = form["grant_type"]
            self.fake._record(entry)
            fault = self.fake._take_fault(endpoint)
            if fault and self._generic_fault(fault):
                return
            self._answer(endpoint, method, query, form, fault)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # faults that do not depend on the endpoint; True when answered

    def _generic_fault(self, fault):
        name, p = fault["fault"], fault["params"]
        if name == "status":
            headers = []
            if p.get("retry_after") is not None:
                headers.append(("Retry-After", str(p["retry_after"])))
            body = p.get("body")
            if body is None:
                body = {"error": "temporarily_unavailable",
                        "error_description": "injected fault"} \
                    if p.get("status", 500) < 500 else "<html>fault</html>"
            ctype = "application/json" if isinstance(body, dict) else "text/html"
            self._send(p.get("status", 500), body, ctype, headers)
        elif name == "malformed":
            self._send(200, b'{"access_token": "x", "keys": [ {"kty": ')
        elif name == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "4096")
            self.end_headers()
            self.wfile.write(b'{"access_token": "fake-trunc')
            self.wfile.flush()
            self.close_connection = True
        elif name == "oversized":
            self._oversized(p.get("size", MAX_BODY + 1024), p.get("no_length"))
        elif name == "slow":
            time.sleep(p.get("delay", 2))
            return False
        elif name == "stall":
            if p.get("partial"):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "4096")
                self.end_headers()
                self.wfile.write(b'{"access_token": ')
                self.wfile.flush()
            time.sleep(p.get("delay", 3))
            self.close_connection = True
        elif name == "close":
            self.close_connection = True
        elif name == "redirect":
            self._send(p.get("status", 307), "", "text/plain",
                       [("Location", p.get("location", "/redirected"))])
        else:
            return False
        return True

    def _oversized(self, size, no_length):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if not no_length:
            self.send_header("Content-Length", str(size))
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b" " * 65536
        sent = 0
        while sent < size:
            n = min(len(chunk), size - sent)
            self.wfile.write(chunk[:n])
            sent += n
        self.close_connection = True

    # the normal answers

    def _answer(self, endpoint, method, query, form, fault):
        fake = self.fake
        if endpoint == "discovery":
            doc = fake.discovery()
            if fault and fault["fault"] == "override":
                doc.update(fault["params"].get("fields", {}))
            self._send(200, doc)
        elif endpoint == "jwks":
            self._send(200, fake.jwks())
        elif endpoint == "authorize":
            status, where = fake.authorize_redirect(query, fault)
            if status == 302:
                self._send(302, "", "text/plain", [("Location", where)])
            else:
                self._send(status, where, "text/plain")
        elif endpoint == "token" and method == "POST":
            status, answer = fake.token_answer(form, fault)
            self._send(status, answer)
        elif endpoint == "userinfo":
            auth = self.headers.get("Authorization", "")
            if not fake.is_active(auth[7:] if auth.startswith("Bearer ") else ""):
                self._send(401, {"error": "invalid_token"})
            else:
                self._send(200, {"sub": "user-1", "name": "Fake User",
                                 "email": "fake.user@example.test"})
        elif endpoint == "revoke" and method == "POST":
            self._send(200, "")
        else:
            self._send(404, {"error": "not_found"})

    # the control API for a fake run as a separate process

    def _control(self, method, path):
        fake = self.fake
        if method == "POST":
            n = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(min(n, 65536)) or b"{}")
            if path == "/_fake/fault":
                fake.set_fault(body["endpoint"], body["fault"], body.get("times"),
                               **body.get("params", {}))
            elif path == "/_fake/clear":
                fake.clear_faults(body.get("endpoint"))
            elif path == "/_fake/keys":
                if "sign_with" in body:
                    fake.sign_with(body["sign_with"])
                if "publish" in body:
                    fake.publish(body["publish"])
            else:
                return self._send(404, {"error": "not_found"})
            return self._send(200, {"ok": True})
        if path == "/_fake/requests":
            return self._send(200, fake.requests())
        return self._send(404, {"error": "not_found"})


def main(argv):
    port = 0
    if len(argv) >= 3 and argv[1] == "--port":
        port = int(argv[2])
    # Exit through atexit on SIGTERM, so the key directory is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with FakeProvider(port=port) as fake:
        print("ready " + fake.issuer, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
