#!/usr/bin/env python3
"""Today's git and git-lfs clients through clerk-credential against servers
that offer only HTTP Basic or only Bearer authentication.

tests/peers/git-server.js serves a repository over smart HTTP and the
git-lfs batch API on the same URL, offering one scheme: Basic (the token as
the password, any user name) or Bearer (RFC 6750). Real git and real
git-lfs clone, push, upload and download through the helper; the provider is
tests/peers/provider.js (consent screen, JWT access tokens) and the user is
headless Chromium.

git sends Bearer only when its credential helper answers with
authtype=Bearer, which needs capability[]=authtype: git 2.46 or later, and
for git-lfs also git-lfs 3.6. Older clients send only Basic, so the Bearer
cases skip there with the reason printed (Debian 12: git 2.39, git-lfs 3.3;
Debian 13: git 2.47, git-lfs 3.6). The Basic cases run everywhere.

Each test asserts and prints the requests it caused: token requests at the
provider, and requests per scheme, 401s and LFS operations at the server.

Run: CLERK_CREDENTIAL=/path/to/build/clerk-credential python3 tests/integration/test_servers.py
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

SIGN_IN_TIMEOUT = 150
AUTHTYPE_GIT = (2, 46)
AUTHTYPE_LFS = (3, 6)


def lfs_version():
    """git-lfs's (major, minor), or None when it is not installed."""
    try:
        out = subprocess.run(["git", "lfs", "version"], capture_output=True,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"git-lfs/(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def version_text(v):
    return "%d.%d" % v if v else "none"


class ServerCase(h.ProviderCase):
    """One provider and one git-server.js offering `scheme` per class."""

    scheme = None

    @classmethod
    def set_up_class(cls):
        super().set_up_class()
        root = cls.workdir / ("repos-" + cls.scheme)
        h.make_bare_repo(root)
        cls.bare = root / "repo.git"
        cls.server = cls._stack.enter_context(h.GitServer(
            cls.workdir, root, cls.provider.issuer, scheme=cls.scheme,
            name="git-server-" + cls.scheme))

    def skip_unless(self, what, *needs):
        """Skip, printing why, unless every (name, have, need) has
        have >= need: clients older than that cannot send Bearer."""
        old = ["%s %s" % (name, version_text(have)) for name, have, need in needs
               if have is None or have < need]
        if old:
            reason = ("%s: %s cannot send a Bearer token (capability[]=authtype "
                      "needs %s)" % (what, " and ".join(old), " and ".join(
                          "%s %s or later" % (name, version_text(need))
                          for name, _, need in needs)))
            print("SKIP %s: %s" % (self.id(), reason))
            self.skipTest(reason)

    def marks(self):
        return self.provider.mark(), self.server.mark()

    def report(self, marks, sb=None):
        """The counts since marks, printed for the record."""
        grants = self.provider.count_grants(marks[0])
        counts = self.server.counts(marks[1])
        print("COUNTS %s (git %s, git-lfs %s): provider token requests %s; "
              "%s server %s" % (self.id(), version_text(h.git_version()),
                                version_text(lfs_version()), grants, self.scheme, counts))
        return grants, counts

    def ok(self, sb, r):
        self.assertEqual(r.returncode, 0, "%s\n--- git server ---\n%s" % (
            self.context(sb, r), self.server.stderr_tail()))

    def git_in(self, sb, cwd, args, timeout=120):
        return sb.git(["-C", str(cwd), *args], timeout=timeout)

    def head(self, cwd, env, ref="HEAD"):
        return subprocess.run(["git", "-C", str(cwd), "rev-parse", ref], env=env,
                              capture_output=True, text=True, check=True).stdout.strip()

    def assert_schemes(self, counts, used):
        """Every accepted request came with `used`; no credentials of the
        other scheme were sent or refused."""
        other = "bearer" if used == "basic" else "basic"
        self.assertEqual(counts.get("ok." + other, 0), 0, counts)
        self.assertEqual(counts.get("refused." + other, 0), 0, counts)
        self.assertEqual(counts.get("refused." + used, 0), 0,
                         "the server refused the helper's token: %s" % counts)
        self.assertEqual(counts["401"], counts.get("refused.none", 0),
                         "a 401 for a request that had credentials: %s" % counts)

    def ask(self, authorization, lfs=False):
        """(status, WWW-Authenticate headers, why) of one git request, or
        with lfs=True of one LFS batch request."""
        mark = self.server.mark()
        headers = {"Authorization": authorization} if authorization else {}
        if lfs:
            headers.update({"Accept": "application/vnd.git-lfs+json",
                            "Content-Type": "application/vnd.git-lfs+json"})
            req = urllib.request.Request(
                self.server.url + "/repo.git/info/lfs/objects/batch", headers=headers,
                data=json.dumps({"operation": "download", "transfers": ["basic"],
                                 "objects": [{"oid": "0" * 64, "size": 1}]}).encode())
        else:
            req = urllib.request.Request(
                self.server.url + "/repo.git/info/refs?service=git-upload-pack",
                headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                resp.read()
                status, headers = resp.status, resp.headers
        except urllib.error.HTTPError as err:
            err.read()
            status, headers = err.code, err.headers
        # The server logs a request once it has answered it.
        entries = h.wait_for(lambda: self.server.entries(mark), 10, what="the server's log")
        why = [e.get("why") for e in entries]
        return status, headers.get_all("WWW-Authenticate") or [], why

    def signed_in_token(self, sb):
        """Sign in through the helper; (access token, stored token set)."""
        r = sb.helper("get", {"protocol": "http", "host": self.server.host},
                      timeout=SIGN_IN_TIMEOUT)
        self.assertEqual(r.returncode, 0, self.context(sb, r))
        stored = json.loads((sb.home / ".local" / "state" / "clerk-credential"
                             / "tokens-default.json").read_text())
        return h.kv_dict(r.stdout)["password"], stored

    # --- the cases ---

    def clone_and_push(self, used):
        sb = self.sandbox(hosts=(self.server.host,))
        marks = self.marks()
        url = self.server.url + "/repo.git"
        work = sb.dir / "work"
        r = sb.git(["clone", "-q", url, str(work)], timeout=SIGN_IN_TIMEOUT)
        self.ok(sb, r)
        self.assertTrue((work / "README").is_file())
        done = sb.wait_browsers_done()
        self.assertEqual([d["result"] for d in done], ["ok"], self.context(sb, r))
        self.assertEqual(done[0]["consent"], ["allow"])

        (work / "NOTES").write_text("pushed through clerk-credential\n")
        env = h.git_env(sb.home)
        subprocess.run(["git", "-C", str(work), "add", "NOTES"], env=env, check=True)
        subprocess.run(["git", "-C", str(work), "commit", "-q", "-m", "Add notes"],
                       env=env, check=True)
        branch = "pushed-" + self.scheme
        r = self.git_in(sb, work, ["push", "-q", "origin", "HEAD:refs/heads/" + branch])
        self.ok(sb, r)
        self.assertEqual(self.head(self.bare, env, branch), self.head(work, env))

        grants, counts = self.report(marks)
        self.assertEqual(grants, {"authorization_code": 1},
                         "one sign-in, then the cached token")
        self.assertEqual(len(sb.browser_launches()), 1)
        self.assert_schemes(counts, used)
        # git asks without credentials once per command (clone, push),
        # then sends the helper's token.
        self.assertEqual(counts["401"], 2, counts)
        self.assertGreaterEqual(counts.get("ok." + used, 0), 4, counts)

    def lfs_push_and_clone(self, used):
        sb = self.sandbox(hosts=(self.server.host,))
        r = sb.run(["git", "lfs", "install", "--skip-repo"])
        self.assertEqual(r.returncode, 0, h.describe(r))
        marks = self.marks()
        url = self.server.url + "/repo.git"
        work = sb.dir / "work"
        r = sb.git(["clone", "-q", url, str(work)], timeout=SIGN_IN_TIMEOUT)
        self.ok(sb, r)
        sb.wait_browsers_done()

        env = h.git_env(sb.home)
        data = os.urandom(300 * 1024)
        oid = hashlib.sha256(data).hexdigest()
        subprocess.run(["git", "-C", str(work), "lfs", "track", "*.bin"], env=env,
                       check=True, capture_output=True)
        (work / "blob.bin").write_bytes(data)
        subprocess.run(["git", "-C", str(work), "add", ".gitattributes", "blob.bin"],
                       env=env, check=True)
        subprocess.run(["git", "-C", str(work), "commit", "-q", "-m", "Add a blob"],
                       env=env, check=True)
        branch = "lfs-" + self.scheme
        # git-lfs's pre-push hook uploads the object (batch, PUT, verify).
        r = self.git_in(sb, work, ["push", "-q", "origin", "HEAD:refs/heads/" + branch])
        self.ok(sb, r)
        stored = self.server.root / ".lfs-objects" / oid
        self.assertTrue(stored.is_file(), "git-lfs uploaded nothing")
        self.assertEqual(hashlib.sha256(stored.read_bytes()).hexdigest(), oid)

        # A fresh clone's smudge filter downloads it.
        fresh = sb.dir / "fresh"
        r = sb.git(["clone", "-q", "-b", branch, url, str(fresh)])
        self.ok(sb, r)
        self.assertEqual((fresh / "blob.bin").read_bytes(), data,
                         "the smudge filter did not download the object")
        # A clone without smudging has the pointer; git lfs pull fetches it.
        lazy = sb.dir / "lazy"
        git = ["git", "-c", "credential.helper=",
               "-c", "credential.helper=" + sb.helper_string()]
        r = sb.run(git + ["clone", "-q", "-b", branch, url, str(lazy)],
                   env=dict(sb.env, GIT_LFS_SKIP_SMUDGE="1"))
        self.ok(sb, r)
        self.assertNotEqual((lazy / "blob.bin").read_bytes(), data)
        r = self.git_in(sb, lazy, ["lfs", "pull"])
        self.ok(sb, r)
        self.assertEqual((lazy / "blob.bin").read_bytes(), data,
                         "git lfs pull did not download the object")

        grants, counts = self.report(marks)
        self.assertEqual(grants, {"authorization_code": 1},
                         "one sign-in, then the cached token")
        self.assertEqual(len(sb.browser_launches()), 1)
        self.assert_schemes(counts, used)
        self.assertEqual(counts.get("lfs.upload", 0), 1, counts)
        self.assertEqual(counts.get("lfs.verify", 0), 1, counts)
        self.assertEqual(counts.get("lfs.download", 0), 2, counts)
        self.assertGreaterEqual(counts.get("lfs.batch", 0), 3, counts)


class TestBasicOnly(ServerCase):
    """A server that offers only Basic: every git and git-lfs works."""

    scheme = "basic"

    def test_git_clone_and_push(self):
        self.clone_and_push("basic")

    def test_server_accepts_only_the_access_token(self):
        """The server's own check, as a resource server behind Clerk: the
        JWT access token as a Basic password, nothing else."""
        sb = self.sandbox(hosts=(self.server.host,))
        token, stored = self.signed_in_token(sb)
        header, claims = (json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
                          for part in token.split(".")[:2])
        self.assertEqual(header["typ"], "at+jwt")
        self.assertEqual(header["alg"], "RS256")
        self.assertEqual(claims["iss"], self.provider.issuer)

        def basic(password, user="oauth2"):
            return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

        self.assertEqual(self.ask(basic(token))[0], 200)
        self.assertEqual(self.ask(basic(token, user="anyone"))[0], 200)
        self.assertEqual(self.ask(basic(token), lfs=True)[0], 200)
        self.assertEqual(self.ask(None, lfs=True)[:2], (401, ['Basic realm="clerk-test"']))
        status, challenges, why = self.ask(None)
        self.assertEqual((status, challenges), (401, ['Basic realm="clerk-test"']))
        self.assertEqual(self.ask("Bearer " + token)[:2],
                         (401, ['Basic realm="clerk-test"']), "Bearer on a Basic-only server")
        sig = token.rsplit(".", 1)[1]
        tampered = token[:-len(sig)] + ("A" if sig[0] != "A" else "B") + sig[1:]
        self.assertEqual(self.ask(basic(tampered))[::2], (401, ["signature"]))
        self.assertEqual(self.ask(basic(stored["id_token"]))[::2],
                         (401, ["not an access token"]))
        self.assertEqual(self.ask(basic("bogus"))[::2], (401, ["introspection"]))
        # A revocation as the server sees it.
        self.server.refuse(token)
        self.assertEqual(self.ask(basic(token))[::2], (401, ["refused"]))

    def test_lfs_upload_and_download(self):
        if lfs_version() is None:
            print("SKIP %s: git-lfs is not installed" % self.id())
            self.skipTest("git-lfs is not installed (Debian: apt-get install git-lfs)")
        self.lfs_push_and_clone("basic")


class TestBearerOnly(ServerCase):
    """A server that offers only Bearer: git 2.46+ (and git-lfs 3.6+)."""

    scheme = "bearer"

    def test_git_clone_and_push(self):
        self.skip_unless("Bearer-only git server", ("git", h.git_version(), AUTHTYPE_GIT))
        self.clone_and_push("bearer")

    def test_server_accepts_only_bearer(self):
        """The server's own check (no git needed): the access token as a
        Bearer token, RFC 6750's challenges, nothing over Basic."""
        sb = self.sandbox(hosts=(self.server.host,))
        token, _ = self.signed_in_token(sb)
        challenge = 'Bearer realm="clerk-test"'
        refused = challenge + ', error="invalid_token"'
        self.assertEqual(self.ask("Bearer " + token)[0], 200)
        self.assertEqual(self.ask("bearer " + token, lfs=True)[0], 200)
        self.assertEqual(self.ask(None)[:2], (401, [challenge]))
        self.assertEqual(self.ask(None, lfs=True)[:2], (401, [challenge]))
        basic = "Basic " + base64.b64encode(("oauth2:" + token).encode()).decode()
        self.assertEqual(self.ask(basic), (401, [challenge], ["scheme not offered"]))
        self.assertEqual(self.ask("Bearer bogus"), (401, [refused], ["introspection"]))
        self.server.refuse(token)
        self.assertEqual(self.ask("Bearer " + token), (401, [refused], ["refused"]))
        counts = self.server.counts()
        self.assertGreaterEqual(counts.get("ok.bearer", 0), 2, counts)

    def test_lfs_upload_and_download(self):
        # git-lfs 3.3 asks git credential fill with protocol and host only
        # (no capability[], no wwwauth[]); 3.6 announces authtype, which
        # git passes on from 2.46.
        self.skip_unless("Bearer-only LFS server", ("git", h.git_version(), AUTHTYPE_GIT),
                         ("git-lfs", lfs_version(), AUTHTYPE_LFS))
        self.lfs_push_and_clone("bearer")


class TestOpaqueTokens(ServerCase):
    """An application with opaque access tokens and its consent screen
    turned off (both Clerk settings): the server asks the provider."""

    scheme = "basic"
    provider_options = {"access_format": "opaque", "consent": False}

    def test_git_clone_with_an_opaque_token(self):
        sb = self.sandbox(hosts=(self.server.host,))
        marks = self.marks()
        r = sb.git(["clone", "-q", self.server.url + "/repo.git", str(sb.dir / "work")],
                   timeout=SIGN_IN_TIMEOUT)
        self.ok(sb, r)
        done = sb.wait_browsers_done()
        self.assertEqual([d["result"] for d in done], ["ok"], self.context(sb, r))
        self.assertEqual(done[0]["consent"], [], "a consent screen although it is off")
        token = h.kv_dict(sb.helper("get", {"protocol": "http",
                                            "host": self.server.host}).stdout)["password"]
        self.assertNotIn(".", token, "not an opaque token")
        self.assertTrue(self.provider.is_active(token))
        grants, counts = self.report(marks)
        self.assertEqual(grants, {"authorization_code": 1})
        self.assert_schemes(counts, "basic")
        accepted = {e.get("why") for e in self.server.entries(marks[1]) if e["auth"] == "ok"}
        self.assertEqual(accepted, {"introspection"})


if __name__ == "__main__":
    sys.exit(h.run_tests("test_servers.py"))
