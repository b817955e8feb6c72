"""Real peers for the integration tests, from Python's standard library.

The tests run the built helper against:

- tests/peers/provider.js: a real OpenID Provider (npm oidc-provider) on
  127.0.0.1 behaving as Clerk's (Clerk's paths, a consent screen on every
  sign-in, JWT access tokens);
- tests/peers/headless-user.js: the user's browser ($BROWSER), a headless
  Debian chromium driven by playwright-core, which signs in at the provider
  and clicks Allow (or Deny) on its consent screen;
- tests/peers/git-server.js: a smart-HTTP git server and git-lfs server that
  offers Basic, Bearer or both and accepts only the provider's tokens (JWT
  access tokens verified against its JWKS, opaque ones by introspection);
- git itself.

The helper binary comes from $CLERK_CREDENTIAL (the build's clerk-credential;
its git alias git-credential-clerk sits in the same directory). The npm
packages must be installed first: `npm ci --prefix tests`.

Nothing here ever puts a token in a process's argv: tokens travel on stdin
or in HTTP request bodies.
"""

import contextlib
import hashlib
import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
PEERS_DIR = TESTS_DIR / "peers"
PROVIDER_JS = PEERS_DIR / "provider.js"
GIT_SERVER_JS = PEERS_DIR / "git-server.js"
HEADLESS_USER_JS = PEERS_DIR / "headless-user.js"
CLIENT_ID = "clerk-credential-test"
# provider.js's access token lifetime without access_ttl: a day, as Clerk's.
DEFAULT_ACCESS_TTL = 24 * 3600
CHROMIUM = "/usr/bin/chromium"


def fnv1a64(text):
    """FNV-1a 64 of @text (hash_fnv1a64() in util.c)."""
    h = 0xcbf29ce484222325
    for b in text.encode():
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def config_key(issuer, client_id, profile="default"):
    """The helper's key for (issuer, client id, profile): the name of its
    runtime cache, lock and discovery files (config_key() in config.c:
    FNV-1a 64 of "issuer\nclient_id")."""
    return "%s-%016x" % (profile, fnv1a64("%s\n%s" % (issuer, client_id)))


def seed_cache(run_dir, issuer, client_id, token, expires, profile="default"):
    """Write the runtime cache entry the helper answers a cache hit from,
    in its documented format (helper/core/cache.h), under run_dir (the
    user's XDG_RUNTIME_DIR); returns its path."""
    d = Path(run_dir) / "clerk-credential"
    d.mkdir(mode=0o700, exist_ok=True)
    path = d / (config_key(issuer, client_id, profile) + ".token")
    path.write_text("clerk-credential-cache 1\n%s\n%s\n%s\n%d\n%s\n" %
                    (issuer, client_id, profile, expires, token))
    path.chmod(0o600)
    return path


class HarnessError(Exception):
    """A peer or the helper under test could not be set up."""


# --- prerequisites ---------------------------------------------------------

def node():
    path = shutil.which("node")
    if not path:
        raise HarnessError("node is not on PATH (Debian: apt-get install nodejs)")
    return path


def check_prerequisites():
    """Raise HarnessError naming whatever is missing to run the peers."""
    node()
    missing = [p for p in ("oidc-provider", "playwright-core")
               if not (TESTS_DIR / "node_modules" / p / "package.json").exists()]
    if missing:
        raise HarnessError(
            "npm packages missing in %s/node_modules: %s (run: npm ci --prefix %s)"
            % (TESTS_DIR, ", ".join(missing), TESTS_DIR))
    if not os.access(CHROMIUM, os.X_OK):
        raise HarnessError("%s not found (Debian: apt-get install chromium)" % CHROMIUM)
    if not shutil.which("git"):
        raise HarnessError("git is not on PATH")


def helper_paths():
    """(clerk-credential, git-credential-clerk) as absolute paths.

    Taken from $CLERK_CREDENTIAL; raises HarnessError with a clear message
    when it is unset or the files are missing.
    """
    value = os.environ.get("CLERK_CREDENTIAL")
    if not value:
        raise HarnessError(
            "CLERK_CREDENTIAL is not set: point it at the built clerk-credential "
            "binary, e.g. CLERK_CREDENTIAL=$PWD/build/clerk-credential "
            "(meson test sets it)")
    main = Path(value).resolve()
    alias = main.parent / "git-credential-clerk"
    for p in (main, alias):
        if not os.access(p, os.X_OK):
            raise HarnessError("%s is missing or not executable "
                               "(CLERK_CREDENTIAL=%s)" % (p, value))
    return str(main), str(alias)


# --- small utilities -------------------------------------------------------

def wait_for(predicate, timeout, interval=0.05, what="condition"):
    """Poll predicate() until it returns a true value; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def read_json_lines(path):
    """All complete JSON lines of path ([] when it does not exist)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    out = []
    for line in data.splitlines(keepends=True):
        if not line.endswith("\n"):
            break  # still being written
        line = line.strip()
        if line:
            out.append(json.loads(line))
    return out


def wait_log_line(path, predicate, timeout, start=0, what="log line"):
    """Wait until a JSON line of path (from index start on) satisfies predicate."""
    def find():
        for entry in read_json_lines(path)[start:]:
            if predicate(entry):
                return entry
        return None
    return wait_for(find, timeout, what="%s in %s" % (what, path))


def parse_kv(text):
    """git credential protocol output as an ordered list of (key, value)."""
    pairs = []
    for line in text.splitlines():
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise AssertionError("not a key=value line: %r" % line)
        pairs.append((key, value))
    return pairs


def kv_dict(text):
    return dict(parse_kv(text))


def format_kv(pairs):
    """A git credential protocol request (ends with a blank line)."""
    if isinstance(pairs, dict):
        pairs = list(pairs.items())
    return "".join("%s=%s\n" % (k, v) for k, v in pairs) + "\n"


def _start_and_wait_ready(argv, stderr_path, timeout, name, cwd=None):
    """Start a peer that prints 'ready URL' on stdout; return (proc, url)."""
    stderr = open(stderr_path, "ab")
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=stderr, cwd=cwd, start_new_session=True)
    finally:
        stderr.close()
    deadline = time.monotonic() + timeout
    buf = b""
    try:
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError("%s did not get ready within %d s" % (name, timeout))
            ready, _, _ = select.select([proc.stdout], [], [], left)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    raise HarnessError("%s exited before it was ready (status %s)"
                                       % (name, proc.wait(5)))
                buf += chunk
        line = buf.split(b"\n", 1)[0].decode()
        m = re.fullmatch(r"ready (http://127\.0\.0\.1:\d+)", line)
        if not m:
            raise HarnessError("%s printed %r instead of its ready line" % (name, line))
        return proc, m.group(1)
    except BaseException as exc:
        _stop(proc)
        tail = ""
        with contextlib.suppress(OSError):
            tail = Path(stderr_path).read_text(errors="replace")[-3000:]
        if isinstance(exc, HarnessError):
            raise HarnessError("%s\n--- %s stderr ---\n%s" % (exc, name, tail)) from None
        raise


def _stop(proc, grace=5):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if proc.stdout:
        proc.stdout.close()


# --- the identity provider -------------------------------------------------

class Provider:
    """tests/peers/provider.js, running. Use as a context manager.

    As Clerk by default: a consent screen on every sign-in, JWT access
    tokens living a day (access_ttl), token_type "bearer". access_format
    "opaque" issues opaque access tokens; consent=False skips the consent
    screen; no iss in the callback (iss=True adds RFC 9207's); device=False
    has no device grant. Faults of a set-up: offline_access=False refuses
    that scope, redirect_uri registers another redirect URI, date_offset
    (seconds) skews the Date header. Several accounts: client_id names the
    one client (default CLIENT_ID), resources registers further resource
    servers (RFC 8707 resource= URLs), extra_scopes custom scopes
    ("repo:write ..."); name tells the logs of several providers in one
    workdir apart.
    """

    def __init__(self, workdir, access_ttl=None, device=True, iss=False,
                 access_format=None, consent=True, offline_access=True,
                 redirect_uri=None, date_offset=None, client_id=None,
                 resources=(), extra_scopes=None, name="provider"):
        self.workdir = Path(workdir)
        self.log_path = self.workdir / ("%s.log" % name)
        self.stderr_path = self.workdir / ("%s.stderr" % name)
        self.client_id = client_id or CLIENT_ID
        self.argv = [node(), str(PROVIDER_JS), "--port", "0", "--log", str(self.log_path)]
        if client_id is not None:
            self.argv += ["--client-id", client_id]
        for r in resources:
            self.argv += ["--resource", r]
        if extra_scopes:
            self.argv += ["--extra-scopes", extra_scopes]
        if access_ttl is not None:
            self.argv += ["--access-ttl", str(int(access_ttl))]
        if not device:
            self.argv.append("--no-device")
        if iss:
            self.argv.append("--iss")
        if access_format is not None:
            self.argv += ["--access-format", access_format]
        if not consent:
            self.argv.append("--no-consent")
        if not offline_access:
            self.argv.append("--no-offline-access")
        if redirect_uri is not None:
            self.argv += ["--redirect-uri", redirect_uri]
        if date_offset is not None:
            self.argv += ["--date-offset", str(int(date_offset))]
        self.proc = None
        self.issuer = None

    def __enter__(self):
        self.proc, self.issuer = _start_and_wait_ready(
            self.argv, self.stderr_path, 30, "provider.js", cwd=str(TESTS_DIR))
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        if self.proc:
            _stop(self.proc)
            self.proc = None

    # The provider's log: one JSON line per HTTP request, one per event.

    def entries(self, since=0):
        return read_json_lines(self.log_path)[since:]

    def mark(self):
        """A position in the log; pass it as since= to count what follows."""
        return len(read_json_lines(self.log_path))

    def requests(self, since=0, path=None):
        return [e for e in self.entries(since)
                if "path" in e and (path is None or e["path"] == path)]

    def token_requests(self, since=0, grant_type=None):
        return [e for e in self.requests(since, "/oauth/token")
                if grant_type is None or e.get("grant_type") == grant_type]

    def count_grants(self, since=0):
        """{grant_type: number of token requests} since the mark."""
        counts = {}
        for e in self.token_requests(since):
            counts[e.get("grant_type")] = counts.get(e.get("grant_type"), 0) + 1
        return counts

    def events(self, name, since=0):
        return [e for e in self.entries(since) if e.get("event") == name]

    def authorizations(self, since=0):
        """The authorization requests since the mark, each with what it
        asked for: client_id, scope, prompt, resource (None when absent)."""
        return [e for e in self.requests(since, "/oauth/authorize")
                if "scope" in e]

    def stderr_tail(self, n=3000):
        with contextlib.suppress(OSError):
            return self.stderr_path.read_text(errors="replace")[-n:]
        return ""

    # Calls at the provider, tokens in the body only.

    def _post_form(self, path, form):
        data = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(self.issuer + path, data=data, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                body = resp.read()
        except urllib.error.HTTPError as err:
            body = err.read()
        return json.loads(body) if body else {}

    def introspect(self, token):
        """The provider's introspection answer for token (a dict)."""
        return self._post_form("/oauth/token_info",
                               {"token": token, "client_id": self.client_id})

    def is_active(self, token):
        return self.introspect(token).get("active") is True

    def revoke(self, token, hint="access_token"):
        """Revoke token at the provider (RFC 7009), as an admin would;
        a revoked access token leaves its refresh token alive."""
        return self._post_form("/oauth/token/revoke", {
            "token": token, "token_type_hint": hint, "client_id": self.client_id})


def start_providers(stack, workdir, client_ids, **options):
    """One Provider per client id, entered on stack (a contextlib.ExitStack),
    logs named provider-CLIENT_ID; options go to each (per client id:
    options[client_id] may be a dict of its own). Returns them in order."""
    out = []
    for cid in client_ids:
        own = dict((k, v) for k, v in options.items() if k not in client_ids)
        own.update(options.get(cid, {}))
        out.append(stack.enter_context(
            Provider(workdir, client_id=cid, name="provider-" + cid, **own)))
    return out


# --- the git server --------------------------------------------------------

def git_env(home):
    """Environment for git commands run by the harness itself (no helper)."""
    env = _base_env()
    env.update({"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.test",
                "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.test",
                "GIT_TERMINAL_PROMPT": "0"})
    return env


def make_bare_repo(root, name="repo.git"):
    """root/name: a bare repository with one commit on main (README)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    home = root / ".home"
    home.mkdir(exist_ok=True)
    env = git_env(home)
    work = root / ".work"
    bare = root / name

    def git(*args, cwd=None):
        subprocess.run(["git", *args], cwd=cwd, env=env, check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    git("init", "-q", "--bare", "--initial-branch=main", str(bare))
    git("init", "-q", "--initial-branch=main", str(work))
    (work / "README").write_text("clerk-credential test repository\n")
    git("add", "README", cwd=work)
    git("commit", "-q", "-m", "Initial commit", cwd=work)
    git("push", "-q", str(bare), "main", cwd=work)
    shutil.rmtree(work)
    return bare


class GitServer:
    """tests/peers/git-server.js serving root. Use as a context manager.

    scheme: "basic" (the default), "bearer" or "both": the HTTP
    authentication the server offers (and the WWW-Authenticate challenges it
    sends). The same server speaks the git-lfs batch API under
    REPO.git/info/lfs, objects kept in lfs_dir (default root/.lfs-objects).
    name tells the logs of several servers in one workdir apart. For
    several accounts: client_id (default CLIENT_ID) is the client whose
    tokens it takes, introspect asks the provider about every token,
    resource_metadata (a list of issuers) publishes RFC 9728 metadata
    naming them (resource overrides its "resource"), require_scope and
    audience add the server's own rules (insufficient_scope, aud); port
    (default 0: any) when its URL must be known before it starts.
    """

    def __init__(self, workdir, root, issuer, scheme=None, realm=None,
                 lfs_dir=None, name="git-server", client_id=None,
                 introspect=False, resource_metadata=None, resource=None,
                 require_scope=None, audience=None, port=0):
        self.workdir = Path(workdir)
        self.root = Path(root)
        self.log_path = self.workdir / ("%s.log" % name)
        self.stderr_path = self.workdir / ("%s.stderr" % name)
        self.refuse_path = self.workdir / ("%s.refused" % name)
        self.argv = [node(), str(GIT_SERVER_JS), "--port", str(int(port)),
                     "--root", str(self.root),
                     "--issuer", issuer, "--client-id", client_id or CLIENT_ID,
                     "--log", str(self.log_path), "--refuse-file", str(self.refuse_path)]
        if introspect:
            self.argv.append("--introspect")
        if resource_metadata is not None:
            self.argv += ["--resource-metadata", ",".join(resource_metadata)]
        for opt, value in (("--resource", resource), ("--require-scope", require_scope),
                           ("--audience", audience)):
            if value is not None:
                self.argv += [opt, value]
        if scheme is not None:
            self.argv += ["--scheme", scheme]
        if realm is not None:
            self.argv += ["--realm", realm]
        if lfs_dir is not None:
            self.argv += ["--lfs-dir", str(lfs_dir)]
        self.proc = None
        self.url = None

    def __enter__(self):
        self.proc, self.url = _start_and_wait_ready(
            self.argv, self.stderr_path, 30, "git-server.js", cwd=str(TESTS_DIR))
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        if self.proc:
            _stop(self.proc)
            self.proc = None

    @property
    def host(self):
        """host[:port] as git sends it in host=."""
        return urllib.parse.urlsplit(self.url).netloc

    def entries(self, since=0):
        return read_json_lines(self.log_path)[since:]

    def mark(self):
        """A position in the log; pass it as since= to count what follows."""
        return len(self.entries())

    def counts(self, since=0):
        """What the server saw since the mark: {"requests": n, "401": n,
        "ok.basic": n, "ok.bearer": n, "refused.basic": n, ..., "lfs.batch": n,
        "lfs.upload": n, "lfs.download": n, ...}. ok.SCHEME counts accepted
        requests per scheme the client sent, refused.SCHEME refused ones
        (refused.none: no credentials at all)."""
        out = {"requests": 0, "401": 0}
        for e in self.entries(since):
            out["requests"] += 1
            if e.get("status") == 401:
                out["401"] += 1
            key = "%s.%s" % ("ok" if e.get("auth") == "ok" else "refused",
                             e.get("scheme", "none"))
            out[key] = out.get(key, 0) + 1
            if e.get("lfs") and e.get("auth") == "ok":
                key = "lfs." + e["lfs"]
                out[key] = out.get(key, 0) + 1
        return out

    def accepted(self, since=0):
        """The requests it let through since the mark, each naming whose
        token it was (iss, client_id, sub, scope)."""
        return [e for e in self.entries(since) if e.get("auth") == "ok"]

    def challenge(self, path="/repo.git/info/refs?service=git-upload-pack",
                  token=None):
        """(status, [WWW-Authenticate values]) of a GET of path, with
        token as Bearer when given (it goes in a header, not argv)."""
        req = urllib.request.Request(self.url + path)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        mark = self.mark()
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                answer = resp.status, resp.headers.get_all("WWW-Authenticate") or []
        except urllib.error.HTTPError as err:
            answer = err.code, err.headers.get_all("WWW-Authenticate") or []
        # The server logs a request once its answer is sent: wait for it.
        deadline = time.monotonic() + 5
        while self.mark() == mark and time.monotonic() < deadline:
            time.sleep(0.02)
        return answer

    def refuse(self, token):
        """From now on the server refuses token (stored as its SHA-256): a
        revocation at the provider as a resource server sees it, which a JWT
        access token otherwise survives until it expires."""
        with open(self.refuse_path, "a", encoding="ascii") as f:
            f.write(hashlib.sha256(token.encode()).hexdigest() + "\n")

    def stderr_tail(self, n=3000):
        with contextlib.suppress(OSError):
            return self.stderr_path.read_text(errors="replace")[-n:]
        return ""


# --- the helper's environment ----------------------------------------------

_DROPPED_PREFIXES = ("CLERK_", "GIT_", "HEADLESS_USER_", "XDG_", "SSH_", "DBUS_")
_DROPPED = {"DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "KUBERNETES_EXEC_INFO",
            "DOCKER_CONFIG", "LD_PRELOAD"}


def _base_env():
    """The caller's environment without anything that steers the helper or git."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED}


class Sandbox:
    """An isolated user for the helper: temp HOME and XDG dirs, env, logs.

    env is the environment for the helper and for git; the helper's tokens
    go to the file store under XDG_STATE_HOME, the browser is
    headless-user.js and writes its log to browser_log.
    """

    def __init__(self, workdir, issuer, hosts=("git.example.test",), **extra):
        self.dir = Path(tempfile.mkdtemp(prefix="user-", dir=str(workdir)))
        self.home = self.dir / "home"
        self.runtime = self.dir / "run"
        self.browser_log = self.dir / "headless-user.log"
        for d in (self.home, self.home / ".config", self.home / ".local" / "state",
                  self.home / ".cache", self.runtime):
            d.mkdir(parents=True, exist_ok=True)
        self.runtime.chmod(0o700)
        self.home.chmod(0o700)
        env = _base_env()
        env.update({
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_RUNTIME_DIR": str(self.runtime),
            "CLERK_ISSUER": issuer,
            "CLERK_OAUTH_CLIENT_ID": CLIENT_ID,
            "CLERK_CREDENTIAL_STORAGE": "file",
            "BROWSER": str(HEADLESS_USER_JS),
            "HEADLESS_USER_LOG": str(self.browser_log),
            "GIT_CONFIG_NOSYSTEM": "1",
        })
        if hosts:
            env["CLERK_CREDENTIAL_HOSTS"] = ",".join(hosts)
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        self.env = env
        self.main, self.alias = helper_paths()

    # browser bookkeeping

    def browser_entries(self):
        return read_json_lines(self.browser_log)

    def browser_launches(self):
        return [e for e in self.browser_entries() if e.get("event") == "launch"]

    def browser_done(self):
        return [e for e in self.browser_entries() if e.get("event") == "done"]

    def wait_browsers_done(self, timeout=60):
        """Wait until every launched headless user has logged its end."""
        def all_done():
            return len(self.browser_done()) >= len(self.browser_launches())
        wait_for(all_done, timeout, interval=0.1, what="the headless browser to finish")
        return self.browser_done()

    def kill_browsers(self):
        """End headless users still running (by the pid they logged)."""
        done = {e.get("pid") for e in self.browser_done()}
        for e in self.browser_launches():
            pid = e.get("pid")
            if isinstance(pid, int) and pid not in done and pid > 1:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGTERM)

    def forget_rejections(self):
        """Remove the helper's record of rejected tokens (the runtime dir's
        *.reject files), as if its window had passed: a test's next erase
        of the current token is then a first rejection again."""
        for path in (self.runtime / "clerk-credential").glob("*.reject"):
            path.unlink()

    # running the helper and git

    def helper_string(self, *options):
        """A credential.helper value: the git alias's absolute path and options."""
        return " ".join([shlex.quote(self.alias), *map(shlex.quote, options)])

    def run(self, argv, stdin_text="", timeout=120, env=None):
        """Run argv in this sandbox with no controlling terminal."""
        return subprocess.run(argv, input=stdin_text, env=env or self.env,
                              cwd=str(self.dir), capture_output=True, text=True,
                              timeout=timeout, start_new_session=True)

    def helper(self, action, request, options=(), timeout=120):
        """git-credential-clerk [options] action, request on stdin."""
        if not isinstance(request, str):
            request = format_kv(request)
        return self.run([self.alias, *options, action], request, timeout)

    def git(self, args, stdin_text="", helper_options=(), use_http_path=None,
            timeout=120):
        """git with only our helper configured."""
        argv = ["git", "-c", "credential.helper=",
                "-c", "credential.helper=" + self.helper_string(*helper_options)]
        if use_http_path is not None:
            argv += ["-c", "credential.useHttpPath=" + ("true" if use_http_path else "false")]
        return self.run(argv + list(args), stdin_text, timeout)

    def credential(self, verb, request, helper_options=(), timeout=120):
        """git credential fill|approve|reject with request on stdin."""
        if not isinstance(request, str):
            request = format_kv(request)
        return self.git(["credential", verb], request, helper_options, timeout=timeout)

    def spawn_helpers(self, n, action, request, options=()):
        """Start n helpers at once, each reading request from a file.

        Returns a list of (Popen, stdout_path, stderr_path).
        """
        if not isinstance(request, str):
            request = format_kv(request)
        req_path = self.dir / ("request-%d" % time.monotonic_ns())
        req_path.write_text(request)
        procs = []
        for i in range(n):
            out = self.dir / ("%s.%d.out" % (req_path.name, i))
            err = self.dir / ("%s.%d.err" % (req_path.name, i))
            with open(req_path, "rb") as fin, open(out, "wb") as fout, \
                    open(err, "wb") as ferr:
                procs.append((subprocess.Popen(
                    [self.alias, *options, action], stdin=fin, stdout=fout,
                    stderr=ferr, env=self.env, cwd=str(self.dir),
                    start_new_session=True), out, err))
        return procs

    def wait_helpers(self, procs, timeout, abort_if=None):
        """Wait for helpers from spawn_helpers; [(exit, stdout, stderr)].

        When abort_if() turns true first (e.g. a second browser launch),
        the helpers still running are killed and AssertionError is raised
        with abort_if's value.
        """
        deadline = time.monotonic() + timeout
        try:
            while any(p.poll() is None for p, _, _ in procs):
                reason = abort_if() if abort_if else None
                if reason:
                    raise AssertionError(reason)
                if time.monotonic() >= deadline:
                    raise AssertionError("helpers still running after %d s" % timeout)
                time.sleep(0.05)
        finally:
            for p, _, _ in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(5)
        return [(p.returncode, Path(out).read_text(), Path(err).read_text())
                for p, out, err in procs]

    def cleanup(self):
        self.kill_browsers()
        shutil.rmtree(self.dir, ignore_errors=True)


def describe(result):
    """A CompletedProcess for assertion messages, with secrets masked."""
    def mask(text):
        return re.sub(r"(?m)^((?:password|credential)=).+$", r"\1<redacted>", text or "")
    return "exit %s\n--- stdout ---\n%s--- stderr ---\n%s" % (
        result.returncode, mask(result.stdout), result.stderr)


def git_version():
    out = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


class OfflineCase(unittest.TestCase):
    """A fresh user per test with no provider at all, for what the helper
    answers from its cache, its store or its arguments.

    setUp() makes a temporary directory (self.tmp, self.root: the user's
    HOME) with a runtime directory (self.run_dir, 0700) and a minimal
    environment (self.env: PATH, HOME, XDG dirs, the class's issuer,
    client_id and allowed_hosts, the file store, then extra_env; a None
    value there drops the variable). With fake_browser, $BROWSER is a
    script that only creates self.marker: a test can tell that nothing
    tried to sign in.
    """

    workdir_prefix = "clerk-offline-"
    issuer = None
    client_id = None
    allowed_hosts = ()
    fake_browser = True
    extra_env = {}

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix=self.workdir_prefix)
        self.addCleanup(self.tmp.cleanup)
        root = self.root = Path(self.tmp.name)
        self.run_dir = root / "run"
        self.run_dir.mkdir(mode=0o700)
        self.marker = root / "browser-started"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "XDG_RUNTIME_DIR": str(self.run_dir),
            "XDG_STATE_HOME": str(root / "state"),
            "XDG_CONFIG_HOME": str(root / "config"),
            "CLERK_ISSUER": self.issuer,
            "CLERK_OAUTH_CLIENT_ID": self.client_id,
            "CLERK_CREDENTIAL_HOSTS": ",".join(self.allowed_hosts),
            "CLERK_CREDENTIAL_STORAGE": "file",
        }
        for k, v in self.extra_env.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        if self.fake_browser:
            browser = root / "browser.sh"
            # A fake browser that only leaves a mark.
            browser.write_text("#!/bin/sh\ntouch '%s'\n" % self.marker)
            browser.chmod(0o755)
            env["BROWSER"] = str(browser)
        self.env = env

    def seed(self, token, expires, profile="default"):
        """A runtime cache entry of the class's issuer and client."""
        return seed_cache(self.run_dir, self.issuer, self.client_id, token,
                          expires, profile)


class WorkdirCase(unittest.TestCase):
    """A temporary directory per class (workdir), removed with the class.

    setUpClass() checks the prerequisites (check_class()), makes workdir
    (named workdir_prefix...) and calls set_up_class(), where subclasses
    start what the class shares: a context entered on cls._stack closes
    with the class, also when set-up fails half way.
    """

    workdir_prefix = "clerk-it-"

    @classmethod
    def setUpClass(cls):
        cls.check_class()
        cls._stack = contextlib.ExitStack()
        try:
            cls.workdir = Path(cls._stack.enter_context(
                tempfile.TemporaryDirectory(prefix=cls.workdir_prefix)))
            cls.set_up_class()
        except BaseException:
            cls._stack.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    @classmethod
    def check_class(cls):
        """Raise HarnessError when the class cannot run: the helper is built."""
        helper_paths()

    @classmethod
    def set_up_class(cls):
        """The class's peers, on cls._stack; nothing here."""


class ProviderCase(WorkdirCase):
    """One real provider per class; one sandboxed user (fresh HOME) per test.

    Subclasses set provider_options (Provider keyword arguments; None: no
    provider, the class starts its own in set_up_class()).
    """

    provider_options = {}

    @classmethod
    def check_class(cls):
        check_prerequisites()
        helper_paths()

    @classmethod
    def set_up_class(cls):
        if cls.provider_options is not None:
            cls.provider = cls._stack.enter_context(
                Provider(cls.workdir, **cls.provider_options))

    def sandbox(self, issuer=None, **kwargs):
        """A fresh user of issuer (default: the class's provider)."""
        sb = Sandbox(self.workdir, issuer or self.provider.issuer, **kwargs)

        def finish():
            # Let the headless browser close before the next test starts.
            with contextlib.suppress(AssertionError):
                sb.wait_browsers_done(timeout=15)
            sb.cleanup()
        self.addCleanup(finish)
        return sb

    def context(self, sb, result=None):
        """Everything useful when an assertion fails."""
        parts = [describe(result)] if result is not None else []
        parts.append("--- headless user ---\n%s" % "\n".join(
            map(str, sb.browser_entries())))
        parts.append("--- provider stderr (tail) ---\n%s"
                     % self.provider.stderr_tail(1500))
        return "\n".join(parts)


class TimedResult(unittest.TextTestResult):
    """Verbose results with each test's wall time."""

    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def _took(self):
        if self.showAll:
            self.stream.write("(%.1f s) " % (time.monotonic() - self._started))

    def addSuccess(self, test):
        self._took()
        super().addSuccess(test)

    def addFailure(self, test, err):
        self._took()
        super().addFailure(test, err)

    def addError(self, test, err):
        self._took()
        super().addError(test, err)


def run_tests(name, module="__main__"):
    """Run @module's tests with timings; end on "N passed, N failed, N
    skipped"; 0 only when every test ran and passed and one ran at all."""
    try:
        check_prerequisites()
        helper_paths()
    except HarnessError as exc:
        print("%s: %s" % (name, exc), file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    runner = unittest.TextTestRunner(verbosity=2, resultclass=TimedResult)
    prog = unittest.main(module=module, exit=False, testRunner=runner)
    res = prog.result
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    passed = res.testsRun - failed - len(res.skipped)
    print("%d passed, %d failed, %d skipped" % (passed, failed, len(res.skipped)))
    return 0 if res.wasSuccessful() and res.testsRun > 0 else 1
