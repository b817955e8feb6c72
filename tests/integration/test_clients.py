#!/usr/bin/env python3
"""The real clients: skopeo, kubectl and cargo against token-checking servers.

Contract §6, §7 and §16. One real sign-in per class (oidc-provider, headless
Chromium), then the real tools call the helper the way their users
configure it:

- skopeo (Debian) with `credHelpers` pointing at `clerk` in an isolated
  REGISTRY_AUTH_FILE and DOCKER_CONFIG, pushing and inspecting an image on
  Debian's docker-registry behind tests/peers/registry-front.js, which
  accepts only tokens the provider's introspection calls active;
- kubectl with an exec user, every exec apiVersion it supports, against
  tests/peers/kube-api.js (`kubectl get --raw /api`, bearer token checked);
- cargo with `credential-provider` pointing at the helper, against the
  sparse registry tests/peers/cargo-registry.js with `auth-required`.

A client that is missing, or too old for the protocol, skips its tests
with the reason printed. Set CLERK_TEST_KUBECTL to a colon-separated list
of further kubectl binaries to run the kubectl tests with each.

Run: CLERK_CREDENTIAL=/path/to/build/clerk-credential \
    python3 tests/integration/test_clients.py
"""

import base64
import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

SIGN_IN_TIMEOUT = 120
KUBE_V1 = "client.authentication.k8s.io/v1"
KUBE_V1BETA1 = "client.authentication.k8s.io/v1beta1"
# Credential providers are stable since cargo 1.74.
CARGO_MIN = (1, 74)


def skip_note(reason):
    """Print why a client test is skipped (never silently) and skip it."""
    print("SKIP: %s" % reason, file=sys.stderr, flush=True)
    raise unittest.SkipTest(reason)


def tool_version(argv, pattern):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(pattern, out.stdout + out.stderr)
    return tuple(int(x) for x in m.groups()) if m else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peer:
    """A tests/peers/*.js server (prints its ready line)."""

    def __init__(self, workdir, script, *args):
        self.name = Path(script).name
        self.log_path = Path(workdir) / (self.name + ".log")
        self.stderr_path = Path(workdir) / (self.name + ".stderr")
        self.argv = [h.node(), str(h.PEERS_DIR / script), "--port", "0",
                     "--log", str(self.log_path), *args]
        self.proc = None
        self.url = None

    def __enter__(self):
        err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=err,
                                     cwd=str(h.TESTS_DIR), start_new_session=True)
        err.close()
        line = b""
        deadline = time.monotonic() + 30
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1)
            chunk = os.read(self.proc.stdout.fileno(), 256) if ready else b""
            if ready and not chunk:
                break
            line += chunk
        m = re.fullmatch(r"ready (https?://127\.0\.0\.1:\d+)\n", line.decode())
        if not m:
            h._stop(self.proc)
            raise h.HarnessError("%s did not get ready (%r):\n%s" % (
                self.name, line, self.stderr_path.read_text()[-2000:]))
        self.url = m.group(1)
        return self

    def __exit__(self, *exc):
        if self.proc:
            h._stop(self.proc)
            self.proc = None
        return False

    @property
    def host(self):
        return self.url.split("://", 1)[1]

    def entries(self):
        return h.read_json_lines(self.log_path)


class Shared:
    """The provider and the one signed-in user that every class shares.

    Started by the first class that runs (a class whose client is missing
    starts nothing); stopped by tearDownModule.
    """

    stack = None

    @classmethod
    def get(cls):
        if cls.stack:
            return cls
        cls.stack = contextlib.ExitStack()
        try:
            cls.workdir = Path(cls.stack.enter_context(
                tempfile.TemporaryDirectory(prefix="clerk-clients-")))
            cls.provider = cls.stack.enter_context(h.Provider(cls.workdir))
            cls.sb = h.Sandbox(cls.workdir, cls.provider.issuer, hosts=())
            cls.stack.callback(cls.sb.cleanup)
            bindir = str(Path(cls.sb.main).parent)
            # skopeo finds docker-credential-clerk on PATH.
            cls.sb.env["PATH"] = bindir + os.pathsep + cls.sb.env.get("PATH", "")
            r = cls.sb.run([cls.sb.main, "login"], timeout=SIGN_IN_TIMEOUT)
            if r.returncode != 0:
                raise h.HarnessError("sign-in failed:\n" + h.describe(r))
            cls.sb.wait_browsers_done()
            cls.token = cls.sb.run([cls.sb.main, "token"]).stdout.strip()
        except BaseException:
            cls.close()
            raise
        return cls

    @classmethod
    def close(cls):
        if cls.stack:
            cls.stack.close()
            cls.stack = None


def tearDownModule():
    Shared.close()


class ClientCase(unittest.TestCase):
    """The class's peers, and the shared user allowed to reach them."""

    @classmethod
    def setUpClass(cls):
        h.check_prerequisites()
        cls.check_client()
        shared = Shared.get()
        cls.provider, cls.sb, cls.token = shared.provider, shared.sb, shared.token
        cls._stack = contextlib.ExitStack()
        try:
            cls.workdir = Path(cls._stack.enter_context(
                tempfile.TemporaryDirectory(prefix="peers-", dir=str(shared.workdir))))
            cls.start_peers()
        except BaseException:
            cls._stack.close()
            raise
        cls.sb.env["CLERK_CREDENTIAL_HOSTS"] = ",".join(cls.hosts())

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def setUp(self):
        self.launches = len(self.sb.browser_launches())

    def assert_no_sign_in(self):
        self.assertEqual(len(self.sb.browser_launches()), self.launches,
                         "a sign-in beyond the shared one")

    @classmethod
    def check_client(cls):
        pass

    @classmethod
    def start_peers(cls):
        pass

    @classmethod
    def hosts(cls):
        return ()

    def run_tool(self, argv, env=None, timeout=120, stdin=""):
        full = dict(self.sb.env)
        full.update(env or {})
        return subprocess.run(argv, input=stdin, env=full, cwd=str(self.sb.dir),
                              capture_output=True, text=True, timeout=timeout,
                              start_new_session=True)

    def assert_ok(self, r, what):
        self.assertEqual(r.returncode, 0, "%s\n%s" % (what, h.describe(r)))


# --- skopeo and docker-registry ---------------------------------------------

def oci_layout(root):
    """root: an OCI image layout with one small image tagged v1.

    Returns the manifest's digest.
    """
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data):
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return "sha256:" + digest, len(data)

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = b"signed in once, pulled with a Clerk token\n"
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        tar.addfile(info, io.BytesIO(data))
    diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
    layer = blob(gzip.compress(raw.getvalue(), mtime=0))
    config = blob(json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }).encode())
    manifest = blob(json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config[0], "size": config[1]},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer[0], "size": layer[1]}],
    }).encode())
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (root / "index.json").write_text(json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": manifest[0], "size": manifest[1],
                       "annotations": {"org.opencontainers.image.ref.name": "v1"}}],
    }))
    return manifest[0]


class Registry:
    """Debian's docker-registry on 127.0.0.1, storing under workdir."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.proc = None
        self.url = None

    def __enter__(self):
        exe = shutil.which("docker-registry")
        for _ in range(3):
            port = free_port()
            conf = self.workdir / "registry.yml"
            conf.write_text(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                "    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%d\n"
                % (self.workdir / "registry-data", port))
            err = open(self.workdir / "registry.stderr", "ab")
            self.proc = subprocess.Popen([exe, "serve", str(conf)], stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err, start_new_session=True)
            err.close()
            self.url = "http://127.0.0.1:%d" % port
            if self._ready():
                return self
            h._stop(self.proc)
        raise h.HarnessError("docker-registry did not start:\n" +
                             (self.workdir / "registry.stderr").read_text()[-2000:])

    def _ready(self):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and self.proc.poll() is None:
            with contextlib.suppress(OSError, urllib.error.URLError):
                with urllib.request.urlopen(self.url + "/v2/", timeout=2) as resp:
                    if resp.status == 200:
                        return True
            time.sleep(0.1)
        return False

    def __exit__(self, *exc):
        if self.proc:
            h._stop(self.proc)
        return False


class TestSkopeo(ClientCase):
    """skopeo through credHelpers → docker-credential-clerk get."""

    @classmethod
    def check_client(cls):
        for tool, pkg in (("skopeo", "skopeo"), ("docker-registry", "docker-registry")):
            if not shutil.which(tool):
                skip_note("%s is not installed (Debian: apt-get install %s)" % (tool, pkg))
        cls.skopeo_version = tool_version(["skopeo", "--version"], r"(\d+)\.(\d+)\.(\d+)")
        print("skopeo %s, docker-registry %s" % (
            ".".join(map(str, cls.skopeo_version or ())),
            subprocess.run(["docker-registry", "--version"], capture_output=True,
                           text=True).stdout.split()[-1]), file=sys.stderr)

    @classmethod
    def start_peers(cls):
        cls.registry = cls._stack.enter_context(Registry(cls.workdir))
        cls.front = cls._stack.enter_context(Peer(
            cls.workdir, "registry-front.js", "--upstream", cls.registry.url,
            "--issuer", cls.provider.issuer, "--client-id", h.CLIENT_ID))

    @classmethod
    def hosts(cls):
        return (cls.front.host,)

    def setUp(self):
        super().setUp()
        d = Path(tempfile.mkdtemp(prefix="skopeo-", dir=str(self.sb.dir)))
        self.auth_file = d / "auth.json"
        self.docker_config = d / "docker"
        self.docker_config.mkdir()
        self.policy = d / "policy.json"
        self.policy.write_text('{"default":[{"type":"insecureAcceptAnything"}]}')
        self.set_helpers({self.front.host: "clerk"})

    def set_helpers(self, helpers):
        text = json.dumps({"credHelpers": helpers})
        self.auth_file.write_text(text)
        (self.docker_config / "config.json").write_text(text)

    def skopeo(self, *args, env=None):
        full = {"REGISTRY_AUTH_FILE": str(self.auth_file),
                "DOCKER_CONFIG": str(self.docker_config)}
        full.update(env or {})
        return self.run_tool(["skopeo", "--policy", str(self.policy), *args], env=full)

    def image(self, tag="v1"):
        return "docker://%s/clerk/demo:%s" % (self.front.host, tag)

    pushed = None

    def push(self):
        """skopeo copy of a local OCI image through the front (once)."""
        if not TestSkopeo.pushed:
            layout = Path(tempfile.mkdtemp(prefix="oci-", dir=str(self.sb.dir)))
            digest = oci_layout(layout)
            r = self.skopeo("copy", "--dest-tls-verify=false", "oci:%s:v1" % layout,
                            self.image())
            self.assert_ok(r, "skopeo copy to the registry through the front")
            TestSkopeo.pushed = digest
        return TestSkopeo.pushed

    def test_push_and_inspect_with_the_token(self):
        digest = self.push()
        r = self.skopeo("inspect", "--tls-verify=false", "--raw", self.image())
        self.assert_ok(r, "skopeo inspect --raw")
        self.assertEqual("sha256:" + hashlib.sha256(r.stdout.encode()).hexdigest(), digest)
        r = self.skopeo("inspect", "--tls-verify=false", self.image())
        self.assert_ok(r, "skopeo inspect")
        info = json.loads(r.stdout)
        self.assertEqual(info["Digest"], digest)
        self.assertEqual(info["Os"], "linux")
        # The front saw the token, as Basic auth, and the provider said active.
        authed = [e for e in self.front.entries() if e["auth"] == "ok"]
        self.assertTrue(any(e["method"] == "GET" and "/manifests/" in e["path"]
                            for e in authed), self.front.entries())
        self.assert_no_sign_in()

    def test_refused_without_the_helper(self):
        self.push()
        # No credHelpers: skopeo goes anonymous and the front says 401.
        self.set_helpers({})
        r = self.skopeo("inspect", "--tls-verify=false", self.image())
        self.assertNotEqual(r.returncode, 0, h.describe(r))
        self.assertRegex(r.stderr, r"(?i)unauthori[sz]ed|authentication required")

    def test_host_rule(self):
        self.push()
        # The helper is configured, but the host is not in the host list:
        # the helper says "not found" and skopeo goes anonymous (401).
        r = self.skopeo("inspect", "--tls-verify=false", self.image(),
                        env={"CLERK_CREDENTIAL_HOSTS": "registry.example.test"})
        self.assertNotEqual(r.returncode, 0, h.describe(r))
        self.assertRegex(r.stderr, r"(?i)unauthori[sz]ed|authentication required")
        self.assertNotIn(self.token, r.stderr + r.stdout)


# --- kubectl ----------------------------------------------------------------

def kubectl_candidates():
    seen, out = set(), []
    extra = [p for p in os.environ.get("CLERK_TEST_KUBECTL", "").split(":") if p]
    for path in extra + [shutil.which("kubectl")]:
        if path and os.access(path, os.X_OK):
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                out.append(path)
    return out


def kubectl_version(path):
    try:
        out = subprocess.run([path, "version", "--client", "-o", "json"],
                             capture_output=True, text=True, timeout=60).stdout
        v = json.loads(out)["clientVersion"]
        return (int(v["major"]), int(re.match(r"\d+", v["minor"]).group())), v["gitVersion"]
    except (OSError, ValueError, KeyError, AttributeError, subprocess.TimeoutExpired):
        return None, None


def self_signed(workdir):
    """A certificate for 127.0.0.1 and its key (kubectl sends a token only
    over TLS): (cert path, key path)."""
    cert, key = Path(workdir) / "kube-cert.pem", Path(workdir) / "kube-key.pem"
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", str(key), "-out", str(cert), "-days", "2",
                        "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise h.HarnessError("openssl req failed: %s" % r.stderr)
    return cert, key


class TestKubectl(ClientCase):
    """kubectl's exec credential plugin against a bearer-checking API."""

    @classmethod
    def check_client(cls):
        cls.kubectls = []
        for path in kubectl_candidates():
            version, text = kubectl_version(path)
            if version:
                cls.kubectls.append((path, version, text))
                print("kubectl %s (%s)" % (text, path), file=sys.stderr)
        if not cls.kubectls:
            skip_note("kubectl is not installed (Debian: apt-get install kubernetes-client)")
        if not shutil.which("openssl"):
            skip_note("openssl is not installed (Debian: apt-get install openssl)")

    @classmethod
    def start_peers(cls):
        cls.cert, key = self_signed(cls.workdir)
        cls.api = cls._stack.enter_context(Peer(
            cls.workdir, "kube-api.js", "--issuer", cls.provider.issuer,
            "--client-id", h.CLIENT_ID, "--tls-cert", str(cls.cert),
            "--tls-key", str(key)))

    @classmethod
    def hosts(cls):
        return (cls.api.host,)

    def kubeconfig(self, api_version, cluster_info=False, env=None, args=("kubectl",)):
        exec_ = {"apiVersion": api_version, "command": self.sb.main, "args": list(args)}
        if api_version == KUBE_V1:
            exec_["interactiveMode"] = "IfAvailable"
        if cluster_info:
            exec_["provideClusterInfo"] = True
        if env:
            exec_["env"] = [{"name": k, "value": v} for k, v in env.items()]
        config = {
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "test", "cluster": {
                "server": self.api.url,
                "certificate-authority-data": base64.b64encode(
                    self.cert.read_bytes()).decode()}}],
            "users": [{"name": "clerk", "user": {"exec": exec_}}],
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": "clerk"}}],
            "current-context": "test",
        }
        fd, path = tempfile.mkstemp(prefix="kubeconfig-", suffix=".json", dir=str(self.sb.dir))
        with os.fdopen(fd, "w") as f:
            json.dump(config, f)
        return path

    def kubectl(self, path, kubeconfig):
        return self.run_tool([path, "--kubeconfig", kubeconfig, "get", "--raw", "/api"],
                             env={"KUBECONFIG": kubeconfig})

    def api_versions(self, version):
        # Exec plugins speak v1 from kubectl 1.22 on, v1beta1 from 1.11.
        return [KUBE_V1, KUBE_V1BETA1] if version >= (1, 22) else [KUBE_V1BETA1]

    def test_get_raw_api_with_the_token(self):
        for path, version, text in self.kubectls:
            for api in self.api_versions(version):
                with self.subTest(kubectl=text, api=api):
                    mark = len(self.api.entries())
                    r = self.kubectl(path, self.kubeconfig(api))
                    self.assert_ok(r, "kubectl %s with an exec user of %s" % (text, api))
                    self.assertEqual(json.loads(r.stdout)["kind"], "APIVersions")
                    seen = h.wait_for(lambda: [e for e in self.api.entries()[mark:]
                                               if e["path"] == "/api"], 5,
                                      what="the API's log of GET /api")
                    self.assertEqual([e["auth"] for e in seen], ["ok"])
        self.assert_no_sign_in()

    def test_cluster_info_host_rule(self):
        for path, version, text in self.kubectls:
            api = self.api_versions(version)[0]
            with self.subTest(kubectl=text, api=api):
                r = self.kubectl(path, self.kubeconfig(api, cluster_info=True))
                self.assert_ok(r, "kubectl %s, provideClusterInfo" % text)
                # The server kubectl names is not in the host list: refused.
                r = self.kubectl(path, self.kubeconfig(
                    api, cluster_info=True,
                    env={"CLERK_CREDENTIAL_HOSTS": "k8s.other.example"}))
                self.assertNotEqual(r.returncode, 0, h.describe(r))
                self.assertIn("clerk-credential: the cluster server %s is not in the "
                              "host list" % self.api.host, r.stderr)

    def test_not_signed_in_fails_fast(self):
        # Another profile has no tokens; kubectl is not interactive here.
        for path, version, text in self.kubectls:
            api = self.api_versions(version)[0]
            with self.subTest(kubectl=text, api=api):
                r = self.kubectl(path, self.kubeconfig(
                    api, env={"CLERK_PROFILE": "nobody", "CLERK_CREDENTIAL_INTERACTIVE": "0"}))
                self.assertNotEqual(r.returncode, 0, h.describe(r))
                self.assertIn("clerk-credential login", r.stderr)
                self.assert_no_sign_in()


# --- cargo ------------------------------------------------------------------

def crate_file(name, version):
    """A .crate (gzip'd tar of NAME-VERSION/) and its sha256."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for rel, text in (("Cargo.toml", '[package]\nname = "%s"\nversion = "%s"\n'
                           'edition = "2021"\n' % (name, version)),
                          ("src/lib.rs", "pub fn hello() -> &'static str { \"hi\" }\n")):
            data = text.encode()
            info = tarfile.TarInfo("%s-%s/%s" % (name, version, rel))
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    data = gzip.compress(raw.getvalue(), mtime=0)
    return data, hashlib.sha256(data).hexdigest()


class TestCargo(ClientCase):
    """cargo with credential-provider → clerk-credential --cargo-plugin."""

    CRATE = "clerkdemo"

    @classmethod
    def check_client(cls):
        cargo = shutil.which("cargo")
        if not cargo:
            skip_note("cargo is not installed: the Cargo client test did not run")
        cls.cargo_env = {}
        rustup = os.environ.get("RUSTUP_HOME") or str(Path.home() / ".rustup")
        if os.path.isdir(rustup):
            cls.cargo_env["RUSTUP_HOME"] = rustup   # rustup's cargo in a new HOME
        cls.cargo_version = tool_version([cargo, "--version"], r"cargo (\d+)\.(\d+)")
        print("cargo %s (%s)" % (".".join(map(str, cls.cargo_version or ())), cargo),
              file=sys.stderr)
        if not cls.cargo_version or cls.cargo_version < CARGO_MIN:
            skip_note("cargo %s has no credential providers (they need cargo %d.%d): "
                      "the Cargo client test did not run" % (
                          ".".join(map(str, cls.cargo_version or ("?",))), *CARGO_MIN))

    @classmethod
    def start_peers(cls):
        root = cls.workdir / "crates"
        data, cksum = crate_file(cls.CRATE, "0.1.0")
        (root / "crates").mkdir(parents=True)
        (root / "crates" / ("%s-0.1.0.crate" % cls.CRATE)).write_bytes(data)
        index = root / "index" / cls.CRATE[:2] / cls.CRATE[2:4]
        index.mkdir(parents=True)
        (index / cls.CRATE).write_text(json.dumps({
            "name": cls.CRATE, "vers": "0.1.0", "deps": [], "cksum": cksum,
            "features": {}, "yanked": False}) + "\n")
        cls.registry = cls._stack.enter_context(Peer(
            cls.workdir, "cargo-registry.js", "--root", str(root),
            "--issuer", cls.provider.issuer, "--client-id", h.CLIENT_ID))

    @classmethod
    def hosts(cls):
        return (cls.registry.host,)

    def project(self, provider_args=()):
        """A crate depending on clerkdemo from the registry; its CARGO_HOME."""
        d = Path(tempfile.mkdtemp(prefix="cargo-", dir=str(self.sb.dir)))
        home = d / "cargo-home"
        home.mkdir()
        provider = json.dumps([self.sb.main, *provider_args])
        (home / "config.toml").write_text(
            '[registries.clerk]\nindex = "sparse+%s/index/"\n'
            "credential-provider = %s\n[net]\nretry = 0\n"
            % (self.registry.url, provider))
        (d / "src").mkdir()
        (d / "src" / "main.rs").write_text("fn main() { println!(\"{}\", clerkdemo::hello()); }\n")
        (d / "Cargo.toml").write_text(
            '[package]\nname = "consumer"\nversion = "0.1.0"\nedition = "2021"\n\n'
            '[dependencies]\n%s = { version = "0.1.0", registry = "clerk" }\n' % self.CRATE)
        return d, home

    def run_cargo(self, project, home, *args, env=None):
        full = dict(self.sb.env, **self.cargo_env, CARGO_HOME=str(home),
                    CARGO_TERM_COLOR="never")
        full.update(env or {})
        return subprocess.run(["cargo", *args], cwd=str(project), env=full, input="",
                              capture_output=True, text=True, timeout=180,
                              start_new_session=True)

    def test_fetch_with_the_token(self):
        project, home = self.project()
        mark = len(self.registry.entries())
        r = self.run_cargo(project, home, "fetch")
        self.assert_ok(r, "cargo fetch from an auth-required sparse registry")
        entries = self.registry.entries()[mark:]
        paths = [e["path"] for e in entries if e["auth"] == "ok"]
        self.assertIn("/index/config.json", paths)
        self.assertIn("/index/cl/er/%s" % self.CRATE, paths)
        self.assertIn("/api/v1/crates/%s/0.1.0/download" % self.CRATE, paths)
        self.assertTrue((project / "Cargo.lock").exists())
        self.assert_no_sign_in()

    def test_host_rule(self):
        # The registry is not in the host list: url-not-supported, and
        # cargo has no other provider for it.
        project, home = self.project(["--host=crates.other.example"])
        r = self.run_cargo(project, home, "generate-lockfile",
                           env={"CLERK_CREDENTIAL_HOSTS": ""})
        self.assertNotEqual(r.returncode, 0, h.describe(r))
        self.assertIn("no credential providers could handle the request", r.stderr)
        self.assertNotIn(self.token, r.stderr)

    def test_login_and_logout(self):
        # A profile of its own, named in the provider's arguments.
        project, home = self.project(["--profile=cargo"])
        env = {"CLERK_CREDENTIAL_INTERACTIVE": "0"}
        r = self.run_cargo(project, home, "generate-lockfile", env=env)
        self.assertNotEqual(r.returncode, 0, h.describe(r))
        self.assertIn("clerk-credential login", r.stderr)
        r = self.run_cargo(project, home, "login", "--registry", "clerk")
        self.assert_ok(r, "cargo login (a browser sign-in)")
        self.sb.wait_browsers_done()
        # One sign-in: cargo reads the index first (get), then login finds
        # the fresh token and opens no second browser.
        self.assertEqual(len(self.sb.browser_launches()), self.launches + 1)
        self.assertIn("already signed in", r.stderr)
        r = self.run_cargo(project, home, "generate-lockfile", env=env)
        self.assert_ok(r, "cargo generate-lockfile after cargo login")
        r = self.run_cargo(project, home, "logout", "--registry", "clerk")
        self.assert_ok(r, "cargo logout")
        self.assertIn("signed out", r.stderr)
        (project / "Cargo.lock").unlink()
        r = self.run_cargo(project, home, "generate-lockfile", env=env)
        self.assertNotEqual(r.returncode, 0, h.describe(r))
        self.assertIn("clerk-credential login", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
