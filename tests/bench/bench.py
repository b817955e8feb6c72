#!/usr/bin/env python3
"""The benchmark of contract §15: clerk-credential against the helpers in use today.

Run it with `meson test -C build --benchmark --verbose` (add
`--test-args=--quick` for a smoke run), or directly:

    CLERK_CREDENTIAL=build/clerk-credential python3 tests/bench/bench.py [--quick]

It re-runs itself inside one `dbus-run-session` with a real
gnome-keyring-daemon, signs a user in through the real peers of the
integration tests (oidc-provider, headless Chromium), then measures:

1. cache-hit `get`: a do-nothing C program (the floor), our helper with the
   file and the keyring store, git-credential-libsecret (built here from
   Debian's git package), docker-credential-secretservice, git's
   credential-cache and credential-store, and `git credential fill` through
   our helper and through credential-cache;
2. refresh: our `get` with the access token inside the refresh margin
   against one bare `curl -X POST` of the same refresh_token grant to the
   same token endpoint, each run with a fresh refresh token;
3. 1, 16, 64 and 256 concurrent `get`s at expiry;
4. cache-hit time against the size of the host list and of the profiles,
   and with 10 000 hosts spread over 100 profile sections, the request
   routed to the last one by the hosts it claims (no --profile);
5. peak RSS and shared libraries of a cache hit.

Timings come from hyperfine (`-N`, JSON export). hyperfine 1.15 (Debian 12)
cannot give a command its stdin without a shell, so every timed command runs
through tests/bench/stdin-exec, a static program that opens the request as
stdin and execs the command in place; its own cost (the floor through it
minus the floor run directly, measured at the start of each round) is taken
off every row of the round. Rows are timed in interleaved rounds and each
figure is the median over rounds, so that load drifting on a shared machine
does not land on one row. Concurrency and memory need our own small
harness. Every number goes to BENCH_OUT (default: the current directory) as
bench.json and bench.md.

The refresh rows keep two independent grants: our helper's (each `get`
spends the stored refresh token and stores the rotated one) and curl's (each
run posts the refresh token of curl's previous answer, read from a 0600 file
with --data @file, never from argv). So both sides make the same single
token request with a refresh token that has never been used.

The full run exits 1 when a target is missed; --quick (few
iterations, for CI) only checks that every row produced a number.
"""

import argparse
import contextlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "integration"))
import harness as h  # noqa: E402
from test_fastpath import cache_key  # noqa: E402

HOST = "git.example.test"
REQUEST = "protocol=https\nhost=%s\n\n" % HOST
LIBSECRET_SRC = Path("/usr/share/doc/git/contrib/credential/libsecret/"
                     "git-credential-libsecret.c")
TOOLS = ("hyperfine", "curl", "git", "cc", "pkg-config", "dbus-run-session",
         "gnome-keyring-daemon", "docker-credential-secretservice")
IN_BUS = "CLERK_BENCH_IN_BUS"
CONCURRENCY = (1, 16, 64, 256)
GROWTH_HOSTS = (1, 100, 10000)
GROWTH_PROFILES = (1, 10, 100)
# The routed row: ROUTED_PROFILES sections claiming ROUTED_HOSTS hosts in all.
ROUTED_PROFILES = 100
ROUTED_HOSTS = 10000
RSS_LIMIT_KIB = 4096


class BenchError(Exception):
    """The benchmark could not run (a tool or a peer is missing or failed)."""


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def ms(seconds):
    return seconds * 1e3


# --- settings ----------------------------------------------------------------

class Settings:
    """Iterations: full (the report) or quick (CI: every row, a few runs)."""

    def __init__(self, quick):
        self.quick = quick
        # Rounds per section (interleaved blocks), runs per row per round.
        self.hit_rounds = 1 if quick else 20
        self.hit_runs = 3 if quick else 30
        self.slow_runs = 3 if quick else 6     # keyring peers, git fill
        self.warmup = 1 if quick else 5
        self.refresh_rounds = 1 if quick else 10
        self.refresh_runs = 3 if quick else 6
        self.growth_rounds = 1 if quick else 10
        self.growth_runs = 3 if quick else 20
        self.rss_runs = 1 if quick else 5


def programs():
    """Paths of the helper and of the two small C programs built by meson."""
    main, alias = h.helper_paths()
    build = Path(main).parent
    noop = os.environ.get("BENCH_NOOP") or str(build / "tests" / "bench" / "bench-noop")
    feeder = (os.environ.get("BENCH_STDIN_EXEC")
              or str(build / "tests" / "bench" / "bench-stdin-exec"))
    for p in (noop, feeder):
        if not os.access(p, os.X_OK):
            raise BenchError("%s is missing: build the project first "
                             "(meson compile -C build)" % p)
    return main, alias, noop, feeder


def check_tools():
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        raise BenchError("missing tools: %s (run .ci/install-deps)" % ", ".join(missing))
    if not LIBSECRET_SRC.exists():
        raise BenchError("%s not found (Debian package git)" % LIBSECRET_SRC)
    h.check_prerequisites()


def build_libsecret(workdir):
    """git-credential-libsecret from Debian's git package, into workdir."""
    out = Path(workdir) / "git-credential-libsecret"
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "glib-2.0", "libsecret-1"],
                           capture_output=True, text=True)
    if flags.returncode:
        raise BenchError("pkg-config glib-2.0 libsecret-1 failed: %s "
                         "(apt-get install libsecret-1-dev libglib2.0-dev)" % flags.stderr)
    r = subprocess.run(["cc", "-O2", "-o", str(out), str(LIBSECRET_SRC),
                        *shlex.split(flags.stdout)], capture_output=True, text=True)
    if r.returncode:
        raise BenchError("building git-credential-libsecret failed:\n" + r.stderr)
    return str(out)


# --- the keyring ---------------------------------------------------------------

def start_keyring(workdir):
    """A real gnome-keyring-daemon on this session bus; its variables."""
    home = Path(workdir) / "keyring-home"
    run = home / "run"
    run.mkdir(parents=True)
    run.chmod(0o700)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_RUNTIME_DIR": str(run),
           "XDG_DATA_HOME": str(home / "data"),
           "DBUS_SESSION_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"]}
    r = subprocess.run(["gnome-keyring-daemon", "--unlock", "--components=secrets"],
                       input="bench-keyring-password", env=env, capture_output=True,
                       text=True, timeout=30)
    if r.returncode:
        raise BenchError("gnome-keyring-daemon failed: %s" % r.stderr)
    found = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    found["DBUS_SESSION_BUS_ADDRESS"] = env["DBUS_SESSION_BUS_ADDRESS"]
    return found


# --- timing ----------------------------------------------------------------------

class Row:
    """One timed command: argv run with stdin from a file, in env."""

    def __init__(self, key, label, argv, env, stdin=None, runs=None, expect=None,
                 unavailable=None):
        self.key = key
        self.label = label
        self.argv = argv
        self.env = env
        self.stdin = stdin
        self.runs = runs
        self.expect = expect            # a string stdout must contain
        self.unavailable = unavailable  # why the row cannot run, or None
        self.prepare = None             # hyperfine --prepare argv
        self.rounds = {}                # calibration round: times (s)

    def times(self):
        return [t for ts in self.rounds.values() for t in ts]


def hyperfine(argvs, env, runs, warmup, workdir, prepare=None):
    """Times of each argv (seconds), from hyperfine -N's JSON export."""
    out = Path(tempfile.mkstemp(prefix="hyperfine-", suffix=".json", dir=workdir)[1])
    cmd = ["hyperfine", "-N", "--style", "none", "--runs", str(runs),
           "--warmup", str(warmup), "--export-json", str(out)]
    if prepare:
        cmd += ["--prepare", shlex.join(prepare)]
    cmd += [shlex.join(a) for a in argvs]
    r = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=3600)
    if r.returncode:
        raise BenchError("hyperfine failed on %s:\n%s%s" % (
            " | ".join(shlex.join(a) for a in argvs), r.stdout[-2000:], r.stderr[-2000:]))
    results = json.loads(out.read_text())["results"]
    out.unlink()
    return [res["times"] for res in results]


class Timer:
    """hyperfine through stdin-exec, calibrated round by round.

    Each round starts with the floor timed twice, directly and through
    stdin-exec; their difference is stdin-exec's own cost in that round,
    taken off every row timed in the round. A row's figure is the median
    over rounds of its per-round value, and a ratio the median of per-round
    ratios, so that the machine's load drifting between rounds (it does,
    on a shared machine) cancels out instead of landing on one row.
    """

    def __init__(self, feeder, noop, workdir):
        self.feeder = feeder
        self.noop = noop
        self.workdir = workdir
        self.cal = []      # per round: (floor direct, floor through stdin-exec)
        self.empty = str(Path(workdir) / "empty-stdin")
        Path(self.empty).write_text("")

    def fed(self, row):
        return [self.feeder, row.stdin or self.empty, *row.argv]

    def calibrate(self, env, runs, warmup):
        """Start a round: time the floor, directly and through stdin-exec."""
        direct, via = hyperfine([[self.noop], [self.feeder, self.empty, self.noop]], env,
                                runs, warmup, self.workdir)
        self.cal.append((statistics.median(direct), statistics.median(via)))

    def time(self, row, runs, warmup):
        """Time row in the current round."""
        times = hyperfine([self.fed(row)], row.env, runs, warmup, self.workdir,
                          row.prepare)[0]
        row.rounds.setdefault(len(self.cal) - 1, []).extend(times)

    def _net(self, row):
        """{round: the row's median there less stdin-exec's cost}."""
        return {r: statistics.median(ts) - (self.cal[r][1] - self.cal[r][0])
                for r, ts in row.rounds.items()}

    def net(self, row):
        nets = self._net(row)
        return statistics.median(nets.values()) if nets else None

    def ratio(self, row, ref=None):
        """Median of per-round ratios to ref's round (default: the floor)."""
        nets = self._net(row)
        refs = self._net(ref) if ref else {r: c[0] for r, c in enumerate(self.cal)}
        ratios = [nets[r] / refs[r] for r in nets if r in refs]
        return statistics.median(ratios) if ratios else None

    def floor(self):
        return statistics.median(c[0] for c in self.cal)

    def feeder_cost(self):
        return statistics.median(c[1] - c[0] for c in self.cal)

    def check_output(self, row):
        """Run the row once; its stdout must carry the expected answer."""
        r = subprocess.run(self.fed(row), env=row.env, capture_output=True, text=True,
                           timeout=60)
        if r.returncode or (row.expect and row.expect not in r.stdout):
            raise BenchError("%s does not answer as it should: exit %d\n%s" % (
                row.label, r.returncode, r.stderr[-2000:]))


# --- sign-in and the peers' stores ----------------------------------------------

def sign_in(workdir, provider, **extra):
    """A sandboxed user signed in through the browser; (sandbox, token, result)."""
    sb = h.Sandbox(workdir, provider.issuer, hosts=(HOST,), **extra)
    r = sb.helper("get", REQUEST, timeout=120)
    with contextlib.suppress(AssertionError):
        sb.wait_browsers_done(timeout=30)
    token = h.kv_dict(r.stdout).get("password") if r.returncode == 0 else None
    return sb, token, r


def peers_env(workdir, keyring):
    home = Path(tempfile.mkdtemp(prefix="peers-", dir=workdir))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "XDG_", "CLERK_"))}
    env.update(keyring)
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_CACHE_HOME": str(home / ".cache"), "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_TERMINAL_PROMPT": "0"})
    return home, env


def store_in_peers(libsecret, env, home, token):
    """The same credential in every peer's store; the token only on stdin."""
    cred = REQUEST[:-1] + "username=oauth2\npassword=%s\n\n" % token
    docker = json.dumps({"ServerURL": "https://" + HOST, "Username": "oauth2",
                         "Secret": token})
    sock = str(home / "cc.sock")
    for argv, stdin in (([libsecret, "store"], cred),
                        (["docker-credential-secretservice", "store"], docker),
                        (["git", "credential-store", "--file", str(home / "store"),
                          "store"], cred),
                        (["git", "credential-cache", "--socket", sock,
                          "--timeout", "3600", "store"], cred)):
        r = subprocess.run(argv, input=stdin, env=env, capture_output=True, text=True,
                           timeout=30)
        if r.returncode:
            raise BenchError("%s store failed: %s" % (argv[0], r.stderr))
    return sock


# --- 1. cache hit -------------------------------------------------------------------

def hit_rows(ctx):
    alias, req = ctx["alias"], ctx["req"]
    token, home, penv = ctx["token"], ctx["peers_home"], ctx["peers_env"]
    sock = ctx["cc_sock"]
    git = shutil.which("git")
    fill = [git, "-c", "credential.helper=", "-c"]
    rows = [
        Row("floor", "do-nothing C program (floor)", [ctx["noop"]], penv, req),
        Row("clerk_file", "git-credential-clerk get, file store", [alias, "get"],
            ctx["sb_file"].env, req, expect="password=" + token),
        Row("clerk_keyring", "git-credential-clerk get, keyring store", [alias, "get"],
            ctx["sb_keyring"].env, req, expect="password=" + (ctx["keyring_token"] or ""),
            unavailable=ctx["keyring_why"]),
        Row("libsecret", "git-credential-libsecret get", [ctx["libsecret"], "get"],
            penv, req, expect="password=" + token),
        Row("docker_ss", "docker-credential-secretservice get",
            [shutil.which("docker-credential-secretservice"), "get"], penv,
            ctx["docker_req"], expect='"Secret":"%s"' % token),
        Row("git_cache", "git credential-cache get",
            [git, "credential-cache", "--socket", sock, "get"], penv, req,
            expect="password=" + token),
        Row("git_store", "git credential-store get",
            [git, "credential-store", "--file", str(home / "store"), "get"],
            penv, req, expect="password=" + token),
        Row("fill_clerk", "git credential fill, through git-credential-clerk",
            [*fill, "credential.helper=" + alias, "credential", "fill"],
            ctx["sb_file"].env, req, expect="password=" + token),
        Row("fill_cache", "git credential fill, through credential-cache",
            [*fill, "credential.helper=cache --socket " + sock, "credential", "fill"],
            penv, req, expect="password=" + token),
    ]
    for r in rows:
        if r.key in ("libsecret", "docker_ss", "fill_clerk", "fill_cache", "git_cache",
                     "git_store"):
            r.runs = ctx["settings"].slow_runs
    return rows


def bench_hits(ctx, timer, rows):
    for row in rows:
        if not row.unavailable:
            timer.check_output(row)
    s = ctx["settings"]
    for rnd in range(s.hit_rounds):
        log("cache hit: round %d of %d" % (rnd + 1, s.hit_rounds))
        # The floor is the round's calibration (timed through stdin-exec too).
        timer.calibrate(ctx["peers_env"], s.hit_runs, s.warmup)
        for row in rows:
            if not row.unavailable and row.key != "floor":
                timer.time(row, row.runs or s.hit_runs, s.warmup)
    return rows


# --- 2. refresh ------------------------------------------------------------------

def token_endpoint(issuer):
    with urllib.request.urlopen(issuer + "/.well-known/openid-configuration",
                                timeout=10) as resp:
        return json.load(resp)["token_endpoint"]


def next_curl_form(state_dir):
    """hyperfine's --prepare for the curl rows: the next refresh token's form.

    Takes the refresh token from curl's last answer (or the seed) and writes
    the request body curl reads with --data @form; 0600, never in argv.
    """
    d = Path(state_dir)
    answer = d / "answer.json"
    source = answer if answer.exists() else d / "seed.json"
    rt = json.loads(source.read_text())["refresh_token"]
    form = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": rt,
                                   "client_id": h.CLIENT_ID})
    tmp = d / "form.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(form)
    os.replace(tmp, d / "form")
    with contextlib.suppress(FileNotFoundError):
        answer.unlink()


def seed_curl_chain(sb_curl, state_dir):
    """The curl side's own grant: the refresh token of a second sign-in."""
    tokens = Path(sb_curl.env["XDG_STATE_HOME"]) / "clerk-credential" / "tokens-default.json"
    rt = json.loads(tokens.read_text())["refresh_token"]
    fd = os.open(Path(state_dir) / "seed.json", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"refresh_token": rt}, f)


def count_refreshes(provider, mark, what):
    """Refresh grants in the provider's log since mark; nothing else may be there."""
    reqs = provider.requests(mark)
    bad = [e for e in reqs if e.get("path") != "/oauth/token"
           or e.get("grant_type") != "refresh_token" or e.get("status") != 200]
    if bad:
        raise BenchError("%s: unexpected requests at the provider: %s" % (what, bad[:5]))
    return len(reqs)


def bench_refresh(ctx, timer):
    """[curl, ours (file store), ours (keyring store) when it works], counts."""
    s, provider = ctx["settings"], ctx["provider"]
    state = Path(tempfile.mkdtemp(prefix="curl-", dir=ctx["workdir"]))
    state.chmod(0o700)
    seed_curl_chain(ctx["sb_curl"], state)
    curl = Row("refresh_curl", "curl -X POST, the same refresh_token grant (floor)",
               [shutil.which("curl"), "-sS", "--fail-with-body", "-X", "POST",
                "--data", "@" + str(state / "form"), "-o", str(state / "answer.json"),
                token_endpoint(provider.issuer)], ctx["peers_env"])
    curl.prepare = [sys.executable, str(Path(__file__).resolve()), "--next-curl-form",
                    str(state)]
    rows = [curl]
    for key, store in (("file", "refresh"), ("keyring", "keyring")):
        if key == "keyring" and ctx["keyring_why"]:
            continue
        row = Row("refresh_" + key, "git-credential-clerk get, %s store, token inside "
                  "the margin" % key, [ctx["alias"], "--refresh-margin=86400", "get"],
                  ctx["sb_" + store].env, ctx["req"])
        rows.append(row)
    counts = {r.key: [0, 0] for r in rows}  # token requests, executions
    # One get of each alone first: it must answer, with one request.
    for row in rows[1:]:
        mark = provider.mark()
        timer.check_output(row)
        counts[row.key][0] += count_refreshes(provider, mark, row.label)
        counts[row.key][1] += 1
    for rnd in range(s.refresh_rounds):
        log("refresh: round %d of %d" % (rnd + 1, s.refresh_rounds))
        timer.calibrate(ctx["peers_env"], s.hit_runs, s.warmup)
        for row in rows:
            mark = provider.mark()
            timer.time(row, s.refresh_runs, 1)
            counts[row.key][0] += count_refreshes(provider, mark, row.label)
            counts[row.key][1] += s.refresh_runs + 1
    return rows, counts


def children_of_refresh(ctx):
    """Processes one refresh starts (contract §15: no git subprocess); None untested."""
    if not shutil.which("strace"):
        return None
    trace = Path(ctx["workdir"]) / "refresh.strace"
    argv = ["strace", "-f", "-qq", "-e", "trace=execve", "-o", str(trace),
            ctx["alias"], "--refresh-margin=86400", "get"]
    r = subprocess.run(argv, input=REQUEST, env=ctx["sb_refresh"].env,
                       capture_output=True, text=True, timeout=60)
    if r.returncode:
        raise BenchError("traced refresh failed: %s" % r.stderr)
    execs = [line for line in trace.read_text().splitlines() if "execve(" in line]
    return len(execs) - 1


# --- 3. concurrency -------------------------------------------------------------

def spawn_gets(sb, n, req, options):
    """n gets at once; (wall seconds, [(exit, stdout)])."""
    outs = []
    start = time.monotonic()
    procs = []
    for _ in range(n):
        out = tempfile.TemporaryFile(dir=sb.dir)
        with open(req, "rb") as fin:
            procs.append(subprocess.Popen([sb.alias, *options, "get"], stdin=fin,
                                          stdout=out, stderr=subprocess.DEVNULL,
                                          env=sb.env, cwd=str(sb.dir)))
        outs.append(out)
    codes = [p.wait(120) for p in procs]
    wall = time.monotonic() - start
    results = []
    for code, out in zip(codes, outs):
        out.seek(0)
        results.append((code, out.read().decode()))
        out.close()
    return wall, results


def window(n):
    """Seconds a fresh token stays outside the margin in the round of n gets.

    Each round needs the stored token inside the refresh margin and the
    refreshed one outside it until the last get has looked: so the margin is
    the token's lifetime less this window, and the window outlasts the round.
    """
    return 4 + n // 32


def bench_concurrency(ctx):
    sb, provider = ctx["sb_concurrency"], ctx["provider"]
    expiry = ctx["concurrency_expiry"]
    rows = []
    for n in CONCURRENCY:
        margin = ctx["access_ttl"] - window(n)
        options = ["--refresh-margin=%d" % margin, "--timeout=60"]
        h.wait_for(lambda: expiry - time.time() < margin - 1, window(n) + 5,
                   interval=0.1, what="the token to enter the refresh margin")
        mark = provider.mark()
        wall, results = spawn_gets(sb, n, ctx["req"], options)
        answers = [h.kv_dict(out) for code, out in results if code == 0]
        failures = n - sum(1 for a in answers if a.get("password"))
        refreshes = len(provider.token_requests(mark, "refresh_token"))
        others = len(provider.requests(mark)) - refreshes
        if answers:
            expiry = max(int(a.get("password_expiry_utc", 0)) for a in answers)
        rows.append({"n": n, "wall_ms": ms(wall), "failures": failures,
                     "refreshes": refreshes, "other_requests": others,
                     "distinct_tokens": len({a.get("password") for a in answers}),
                     "window_s": window(n), "within_window": wall < window(n) - 1})
        log("concurrency %d: %.0f ms, %d failures, %d refresh requests"
            % (n, ms(wall), failures, refreshes))
        if wall >= window(n) - 1:
            log("concurrency %d: the round outlasted its %d s window; late gets may "
                "have seen the new token inside the margin" % (n, window(n)))
    return rows


# --- 4. growth -------------------------------------------------------------------

def growth_config(dirpath, nhosts, nprofiles):
    """A config file with nhosts hosts (ours last) and nprofiles profiles."""
    hosts = ["h%05d.example.test" % i for i in range(nhosts - 1)] + [HOST]
    doc = {"hosts": hosts}
    if nprofiles > 1:
        doc["profiles"] = {
            "p%03d" % i: {"issuer": "https://clerk.p%03d.example.test" % i,
                          "client_id": "client_p%03d" % i,
                          "hosts": ["p%03d.example.test" % i]}
            for i in range(1, nprofiles)}
    path = Path(dirpath) / ("config-%d-%d.json" % (nhosts, nprofiles))
    path.write_text(json.dumps(doc, indent=1))
    return path


def routed_name(i):
    return "r%03d" % i


def routed_config(dirpath):
    """ROUTED_PROFILES sections claiming ROUTED_HOSTS hosts, ours the last.

    The top level names no host: the request is ours only through the
    section that claims its host (routing, helper/core/config.h).
    """
    per = ROUTED_HOSTS // ROUTED_PROFILES
    profiles = {}
    for i in range(1, ROUTED_PROFILES + 1):
        hosts = ["%s-h%03d.example.test" % (routed_name(i), k) for k in range(per)]
        if i == ROUTED_PROFILES:
            hosts[-1] = HOST
        profiles[routed_name(i)] = {
            "issuer": "https://clerk.%s.example.test" % routed_name(i),
            "client_id": "client_%s" % routed_name(i), "hosts": hosts}
    path = Path(dirpath) / "config-routed.json"
    path.write_text(json.dumps({"profiles": profiles}, indent=1))
    return path


def seed_routed_cache(sb, token, expiry):
    """Our token in the runtime cache of the profile the request routes to.

    The sandbox's issuer and client id come from its environment, which
    wins over the section's (contract §3): they key the cache.
    """
    d = Path(sb.env["XDG_RUNTIME_DIR"]) / "clerk-credential"
    issuer, client = sb.env["CLERK_ISSUER"], sb.env["CLERK_OAUTH_CLIENT_ID"]
    profile = routed_name(ROUTED_PROFILES)
    path = d / (cache_key(issuer, client, profile) + ".token")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("clerk-credential-cache 1\n%s\n%s\n%s\n%d\n%s\n"
                % (issuer, client, profile, expiry, token))


def seed_profile_caches(sb, nprofiles):
    """Cache files of the other profiles beside ours (helper/core/cache.h format)."""
    d = Path(sb.env["XDG_RUNTIME_DIR"]) / "clerk-credential"
    exp = int(time.time()) + 3600
    for i in range(1, nprofiles):
        issuer = "https://clerk.p%03d.example.test" % i
        client, profile = "client_p%03d" % i, "p%03d" % i
        path = d / (cache_key(issuer, client, profile) + ".token")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("clerk-credential-cache 1\n%s\n%s\n%s\n%d\nother-profile-token-%d\n"
                    % (issuer, client, profile, exp, i))


def bench_growth(ctx, timer):
    sb = ctx["sb_file"]
    env = {k: v for k, v in sb.env.items() if k != "CLERK_CREDENTIAL_HOSTS"}
    seed_profile_caches(sb, max(GROWTH_PROFILES))
    rows = []
    for nh in GROWTH_HOSTS:
        for np_ in GROWTH_PROFILES:
            cfg = growth_config(sb.dir, nh, np_)
            rows.append(Row("growth_%d_%d" % (nh, np_),
                            "%d hosts, %d profiles" % (nh, np_),
                            [ctx["alias"], "--config", str(cfg), "get"], env, ctx["req"],
                            expect="password=" + ctx["token"]))
            rows[-1].hosts, rows[-1].profiles = nh, np_
            rows[-1].routed = False
    cfg = routed_config(sb.dir)
    seed_routed_cache(sb, ctx["token"], ctx.get("file_expiry") or int(time.time()) + 3600)
    rows.append(Row("growth_routed", "%d profiles × %d hosts, routed" % (
        ROUTED_PROFILES, ROUTED_HOSTS), [ctx["alias"], "--config", str(cfg), "get"],
        env, ctx["req"], expect="password=" + ctx["token"]))
    rows[-1].hosts, rows[-1].profiles = ROUTED_HOSTS, ROUTED_PROFILES
    rows[-1].routed = True
    # A config file of 4 KiB or more is compiled into an index by the
    # first get after it has been unchanged for two seconds (helper/core/
    # cfgindex.h): let the files settle, so that the check below builds
    # the indexes and every timed run uses them, as a user's gets do.
    time.sleep(2.2)
    for row in rows:
        timer.check_output(row)
    s = ctx["settings"]
    for rnd in range(s.growth_rounds):
        log("growth: round %d of %d" % (rnd + 1, s.growth_rounds))
        timer.calibrate(env, s.hit_runs, s.warmup)
        for row in rows:
            timer.time(row, s.growth_runs, s.warmup)
    return rows


# --- 5. memory and libraries -------------------------------------------------------

def peak_rss_kib(feeder, row, runs):
    """The highest ru_maxrss of runs runs (stdin-exec -m: a tiny parent)."""
    peak = 0
    for _ in range(runs):
        r = subprocess.run([feeder, "-m", row.stdin, *row.argv], env=row.env,
                           capture_output=True, text=True, timeout=60)
        lines = [x for x in r.stderr.splitlines() if x.startswith("maxrss_kib=")]
        if r.returncode or not lines:
            raise BenchError("%s under stdin-exec -m: exit %d %s" % (
                row.label, r.returncode, r.stderr[-500:]))
        peak = max(peak, int(lines[-1].split("=", 1)[1]))
    return peak


def shared_libraries(row):
    """Shared objects the dynamic loader initialises (LD_DEBUG=libs)."""
    with open(row.stdin, "rb") as fin:
        r = subprocess.run(row.argv, stdin=fin, env={**row.env, "LD_DEBUG": "libs"},
                           capture_output=True, text=True, timeout=60)
    libs = sorted({line.split("calling init:", 1)[1].strip()
                   for line in r.stderr.splitlines() if "calling init:" in line})
    return [os.path.basename(x) for x in libs]


def bench_memory(ctx, rows):
    out = []
    for row in rows:
        if row.unavailable or row.key.startswith("fill_"):
            continue
        libs = shared_libraries(row)
        out.append({"key": row.key, "label": row.label,
                    "peak_rss_kib": peak_rss_kib(ctx["feeder"], row, ctx["settings"].rss_runs),
                    "libraries": len(libs), "library_names": libs})
    return out


# --- the report ---------------------------------------------------------------------

def report_hits(out, ctx, res):
    s = ctx["settings"]
    timer, hits = res
    floor = timer.floor()
    out.lines += [
        "## 1. Cache-hit get (wall time: median of %d rounds × %d runs, %d for the slower "
        "rows)" % (s.hit_rounds, s.hit_runs, s.slow_runs),
        "",
        "Every command runs through stdin-exec; its own cost in each round (%.3f ms in the "
        "median round) is taken off." % ms(timer.feeder_cost()),
        "",
        "| # | command | median (ms) | × floor |",
        "| --- | --- | ---: | ---: |"]
    ratio = {}
    for i, row in enumerate(hits, 1):
        if row.unavailable:
            out.lines.append("| %d | %s | unavailable: %s | |" % (i, row.label,
                                                                  row.unavailable))
            continue
        net = floor if row.key == "floor" else timer.net(row)
        ratio[row.key] = 1.0 if row.key == "floor" else timer.ratio(row)
        out.lines.append("| %d | %s | %.3f | %.2f |" % (i, row.label, ms(net),
                                                       ratio[row.key]))
        out.data.setdefault("cache_hit", {})[row.key] = {
            "label": row.label, "median_ms": ms(net), "ratio": ratio[row.key],
            "runs": len(row.times()) or None}
    out.lines.append("")
    out.data["stdin_exec_cost_ms"] = ms(timer.feeder_cost())
    out.target("cache hit (file store) vs floor", "%.2f×" % ratio["clerk_file"], "≤ 2.5×",
               ratio["clerk_file"] <= 2.5)
    if "clerk_keyring" in ratio:
        out.target("cache hit (keyring store) vs floor", "%.2f×" % ratio["clerk_keyring"],
                   "≤ 2.5×", ratio["clerk_keyring"] <= 2.5)
    lib = timer.ratio(next(r for r in hits if r.key == "libsecret"),
                      next(r for r in hits if r.key == "clerk_file"))
    out.data["libsecret_vs_clerk"] = lib
    out.target("git-credential-libsecret vs our cache hit", "%.1f×" % lib, "≥ 5×", lib >= 5)


def report_refresh(out, ctx, res):
    s = ctx["settings"]
    timer, rows, counts = res
    curl = rows[0]
    kids = ctx.get("refresh_children")
    out.lines += [
        "## 2. Refresh (wall time: median of %d rounds × %d runs; a fresh refresh token "
        "each run)" % (s.refresh_rounds, s.refresh_runs),
        "",
        "| command | median (ms) | × curl | token requests / runs |",
        "| --- | ---: | ---: | ---: |"]
    data = {}
    for row in rows:
        r = 1.0 if row is curl else timer.ratio(row, curl)
        out.lines.append("| %s | %.2f | %.2f | %d / %d |" % (
            row.label, ms(timer.net(row)), r, *counts[row.key]))
        data[row.key] = {"label": row.label, "median_ms": ms(timer.net(row)), "ratio": r,
                         "token_requests": counts[row.key][0], "runs": counts[row.key][1]}
    out.lines += [
        "",
        "Processes one refresh starts: %s." % (
            "not checked (no strace)" if kids is None else kids),
        ""]
    out.data["refresh"] = data
    out.data["refresh_children"] = kids
    ours = data["refresh_file"]
    per = ours["token_requests"] / ours["runs"]
    out.target("token requests per refresh", "%.2f" % per, "1", per == 1)
    out.target("refresh (file store) vs curl floor", "%.2f×" % ours["ratio"], "≤ 1.5×",
               ours["ratio"] <= 1.5)


def report_concurrency(out, ctx, conc):
    out.lines += [
        "## 3. Concurrent gets at expiry",
        "",
        "| gets | wall time (ms) | failures | refresh requests | other requests "
        "| distinct tokens |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in conc:
        out.lines.append("| %d | %.0f | %d | %d | %d | %d |" % (
            r["n"], r["wall_ms"], r["failures"], r["refreshes"], r["other_requests"],
            r["distinct_tokens"]))
    late = [str(r["n"]) for r in conc if not r["within_window"]]
    out.lines.append("")
    if late:
        out.lines += ["Rounds that outlasted their window (a late get may have seen the "
                      "new token inside the margin): %s." % ", ".join(late), ""]
    out.data["concurrency"] = conc
    c64 = next(r for r in conc if r["n"] == 64)
    out.target("64 concurrent gets at expiry", "%d refresh, %d failures" % (
        c64["refreshes"], c64["failures"]), "1 refresh, 0 failures",
        c64["refreshes"] == 1 and c64["failures"] == 0)


def report_growth(out, ctx, res):
    s = ctx["settings"]
    timer, growth = res
    base = growth[0]
    out.lines += [
        "## 4. Growth: cache-hit get, median ms (× the 1 host, 1 profile cell; %d rounds "
        "× %d runs)" % (s.growth_rounds, s.growth_runs),
        "",
        "| hosts \\ profiles | %s |" % " | ".join(str(p) for p in GROWTH_PROFILES),
        "| ---: | %s |" % " | ".join("---:" for _ in GROWTH_PROFILES)]
    ratio = {r.key: 1.0 if r is base else timer.ratio(r, base) for r in growth}
    for nh in GROWTH_HOSTS:
        cells = [r for r in growth if r.hosts == nh and not r.routed]
        out.lines.append("| %d | %s |" % (nh, " | ".join(
            "%.3f (%.2f×)" % (ms(timer.net(r)), ratio[r.key]) for r in cells)))
    out.lines.append("")
    for r in growth:
        if r.routed:
            out.lines.append("%s (the request's host claimed by the last section, "
                             "no --profile): %.3f ms (%.2f×)" % (
                                 r.label, ms(timer.net(r)), ratio[r.key]))
    out.lines.append("")
    out.data["growth"] = [{"hosts": r.hosts, "profiles": r.profiles, "routed": r.routed,
                           "median_ms": ms(timer.net(r)), "ratio": ratio[r.key]}
                          for r in growth]
    worst = max(ratio.values())
    out.target("growth: worst cell vs 1 host, 1 profile", "%.2f×" % worst, "≤ 1.3×",
               worst <= 1.3)


def report_memory(out, ctx, memory):
    out.lines += [
        "## 5. Peak RSS and shared libraries (cache hit)",
        "",
        "| command | peak RSS (KiB) | shared libraries |",
        "| --- | ---: | ---: |"]
    for m in memory:
        out.lines.append("| %s | %d | %d |" % (m["label"], m["peak_rss_kib"],
                                              m["libraries"]))
    ours = next(m for m in memory if m["key"] == "clerk_file")
    out.lines += ["", "git-credential-clerk maps: %s." % ", ".join(ours["library_names"]),
                  ""]
    out.data["memory"] = memory
    out.target("peak RSS of a cache hit", "%d KiB" % ours["peak_rss_kib"], "< 4096 KiB",
               ours["peak_rss_kib"] < RSS_LIMIT_KIB)


class Report:
    """Markdown lines, the numbers for bench.json, and the targets."""

    def __init__(self):
        self.lines = []
        self.data = {}
        self.targets = []

    def target(self, name, measured, limit, met):
        self.targets.append((name, measured, limit, met))

    def text(self):
        lines = self.lines + [
            "## Targets (contract §15, and the growth rule: flat within 1.3×)", "",
            "| target | measured | limit | met |", "| --- | ---: | ---: | --- |"]
        lines += ["| %s | %s | %s | %s |" % (n, m, lim, "yes" if ok else "**no**")
                  for n, m, lim, ok in self.targets]
        return "\n".join(lines) + "\n"


def build_report(ctx, res):
    s = ctx["settings"]
    out = Report()
    out.lines += [
        "# clerk-credential benchmark (%s mode)" % ("quick" if s.quick else "full"), "",
        "%s; %s; %d CPUs; load average %s; hyperfine %s; runtime dir on %s." % (
            time.strftime("%Y-%m-%d %H:%M:%S %Z"), platform.platform(), os.cpu_count(),
            " ".join("%.2f" % x for x in os.getloadavg()), ctx["hyperfine_version"],
            "tmpfs" if ctx["runtime_tmpfs"] else "the work dir (no tmpfs found)"),
        ""]
    if "hits" in res:
        report_hits(out, ctx, res["hits"])
    if "refresh" in res:
        report_refresh(out, ctx, res["refresh"])
    if "concurrency" in res:
        report_concurrency(out, ctx, res["concurrency"])
    if "growth" in res:
        report_growth(out, ctx, res["growth"])
    if "memory" in res:
        report_memory(out, ctx, res["memory"])
    out.data["mode"] = "quick" if s.quick else "full"
    out.data["targets"] = [{"target": t[0], "measured": t[1], "limit": t[2], "met": t[3]}
                           for t in out.targets]
    return out


def rows_without_numbers(res):
    """Quick mode's only check: every row produced a number.

    A row that could not run (the keyring store failing) counts as missing:
    the report says why.
    """
    rows = []
    if "hits" in res:
        rows += [r for r in res["hits"][1] if r.key != "floor"]
    if "refresh" in res:
        rows += res["refresh"][1]
    if "growth" in res:
        rows += res["growth"][1]
    missing = [r.label for r in rows if not r.times()]
    missing += ["%d concurrent gets" % r["n"] for r in res.get("concurrency", [])
                if r["wall_ms"] is None]
    missing += [m["label"] for m in res.get("memory", []) if not m["peak_rss_kib"]]
    return missing


# --- main ------------------------------------------------------------------------------

SECTIONS = ("hits", "memory", "growth", "refresh", "concurrency")
# The signed-in users each section needs.
USERS = {"hits": ("file", "keyring"), "memory": ("file", "keyring"), "growth": ("file",),
         "refresh": ("refresh", "curl", "keyring"), "concurrency": ("concurrency",)}


def tmpfs_dir():
    """/dev/shm when it is a tmpfs: XDG_RUNTIME_DIR is one on a systemd desktop."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            f = line.split()
            if len(f) > 2 and f[1] == "/dev/shm" and f[2] == "tmpfs":
                return "/dev/shm"
    return None


def sign_in_users(stack, ctx, sections):
    workdir, provider = ctx["workdir"], ctx["provider"]
    shm = tmpfs_dir()
    ctx["runtime_tmpfs"] = bool(shm)
    sandboxes = []
    stack.callback(lambda: [sb.cleanup() for sb in sandboxes])
    wanted = {u for sec in sections for u in USERS[sec]}
    for name in ("file", "keyring", "refresh", "curl", "concurrency"):
        if name not in wanted:
            continue
        extra = {}
        if shm:
            run = tempfile.mkdtemp(prefix="clerk-bench-run-", dir=shm)
            stack.callback(shutil.rmtree, run, True)
            extra["XDG_RUNTIME_DIR"] = run
        if name == "keyring":
            extra.update(ctx["keyring"], CLERK_CREDENTIAL_STORAGE="keyring")
        log("signing in: %s" % name)
        sb, token, r = sign_in(workdir, provider, **extra)
        sandboxes.append(sb)
        ctx["sb_" + name] = sb
        if name == "keyring" and not token:
            why = (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]
            ctx["keyring_token"], ctx["keyring_why"] = None, why
            log("keyring row unavailable: %s" % why)
            continue
        if not token:
            raise BenchError("sign-in (%s) failed:\n%s" % (name, h.describe(r)))
        ctx["%s_token" % name] = token
        ctx["%s_expiry" % name] = int(h.kv_dict(r.stdout).get("password_expiry_utc", 0))
    ctx["token"] = ctx.get("file_token")
    ctx.setdefault("keyring_why", None)


def setup(stack, settings, sections):
    main, alias, noop, feeder = programs()
    check_tools()
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="clerk-bench-")))
    ctx = {"settings": settings, "workdir": workdir, "main": main, "alias": alias,
           "noop": noop, "feeder": feeder, "access_ttl": 3600}
    ctx["hyperfine_version"] = subprocess.run(
        ["hyperfine", "--version"], capture_output=True, text=True).stdout.split()[-1]
    ctx["req"] = str(workdir / "request")
    Path(ctx["req"]).write_text(REQUEST)
    ctx["docker_req"] = str(workdir / "docker-request")
    Path(ctx["docker_req"]).write_text("https://%s\n" % HOST)
    log("building git-credential-libsecret from %s" % LIBSECRET_SRC)
    ctx["libsecret"] = build_libsecret(workdir)
    ctx["keyring"] = start_keyring(workdir)
    ctx["provider"] = stack.enter_context(h.Provider(workdir, access_ttl=ctx["access_ttl"]))
    sign_in_users(stack, ctx, sections)
    ctx["peers_home"], ctx["peers_env"] = peers_env(workdir, ctx["keyring"])
    if ctx["token"]:
        ctx["cc_sock"] = store_in_peers(ctx["libsecret"], ctx["peers_env"],
                                        ctx["peers_home"], ctx["token"])
        stack.callback(lambda: subprocess.run(
            ["git", "credential-cache", "--socket", ctx["cc_sock"], "exit"],
            env=ctx["peers_env"], capture_output=True, timeout=30))
    return ctx


def measure(ctx, sections):
    """Each section with its own Timer (its own calibration rounds)."""
    res = {}

    def timer():
        return Timer(ctx["feeder"], ctx["noop"], str(ctx["workdir"]))

    if "hits" in sections or "memory" in sections:
        rows = hit_rows(ctx)
        if "hits" in sections:
            t = timer()
            res["hits"] = (t, bench_hits(ctx, t, rows))
        if "memory" in sections:
            log("peak RSS and shared libraries")
            res["memory"] = bench_memory(ctx, rows)
    if "growth" in sections:
        t = timer()
        res["growth"] = (t, bench_growth(ctx, t))
    if "refresh" in sections:
        t = timer()
        res["refresh"] = (t, *bench_refresh(ctx, t))
        ctx["refresh_children"] = children_of_refresh(ctx)
    if "concurrency" in sections:
        res["concurrency"] = bench_concurrency(ctx)
    return res


def run(settings, outdir, sections):
    with contextlib.ExitStack() as stack:
        ctx = setup(stack, settings, sections)
        res = measure(ctx, sections)
        rep = build_report(ctx, res)
    text = rep.text()
    print(text, flush=True)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "bench.md").write_text(text)
    (outdir / "bench.json").write_text(json.dumps(rep.data, indent=1) + "\n")
    log("wrote %s and %s" % (outdir / "bench.md", outdir / "bench.json"))
    missing = rows_without_numbers(res)
    if missing:
        log("rows without a number: %s" % ", ".join(missing))
        return 1
    missed = [t[0] for t in rep.targets if not t[3]]
    if missed and not settings.quick:
        log("targets missed: %s" % "; ".join(missed))
        return 1
    return 0


def in_own_bus(argv):
    """Re-run inside one dbus-run-session (the keyring peers share its bus)."""
    if os.environ.get(IN_BUS) == "1":
        return None
    env = {**os.environ, IN_BUS: "1"}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return subprocess.run(["dbus-run-session", "--", sys.executable,
                           str(Path(__file__).resolve()), *argv], env=env).returncode


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a few iterations, no target checks (CI)")
    parser.add_argument("--out", default=os.environ.get("BENCH_OUT", "."),
                        help="directory for bench.md and bench.json")
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help="run only this section (repeatable)")
    parser.add_argument("--next-curl-form", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.next_curl_form:
        next_curl_form(args.next_curl_form)
        return 0
    try:
        if not shutil.which("dbus-run-session"):
            raise BenchError("dbus-run-session is missing (apt-get install dbus)")
        code = in_own_bus(argv)
        if code is not None:
            return code
        return run(Settings(args.quick), Path(args.out).resolve(), args.only or SECTIONS)
    except (BenchError, h.HarnessError) as exc:
        log("error: %s" % exc)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
