"""The layering of helper/ (docs/architecture.md), checked on every build.

- core/ is libc and cJSON only: its files include only core headers.
  commands/ sees the core and itself; net/ and keyring/, the modules,
  see the core and themselves; main.c sees the core and the commands.
  The include paths of helper/*/meson.build already make the compiler
  refuse most crossings, but a quoted include is looked up beside the
  including file first, so "../net/http.h" would get through; this test
  resolves every quoted include the way the compiler does.
- Each outside library is used in one folder only: cJSON in core/,
  libcurl and GnuTLS in net/, libsecret and GLib in keyring/, by header
  and, with nm on the built static libraries, by symbol. libqrencode is
  opened with dlopen() by net/qr.c, so nothing refers to its symbols.
  A folder calls no function that only a folder it does not see defines;
  weak references are how the core finds the modules' tables when all is
  linked statically (unit tests, fuzz targets), and are allowed.
- Every .c file under helper/ includes "banned.h" last (core/banned.h).
- No import loop: taking a file and its header as one module (config.c
  and config.h are "config"), no module reaches itself through the
  headers its files include (config -> store -> config was one).

Environment (set by tests/meson.build): CLERK_SOURCE_ROOT, and for the
symbol check CLERK_NM and CLERK_LIB_<FOLDER> (the static libraries).
Without them the source checks still run from this file's tree.
"""

import os
import re
import subprocess
import unittest
from pathlib import Path

SOURCE = Path(os.environ.get("CLERK_SOURCE_ROOT") or
              Path(__file__).resolve().parents[2])
HELPER = SOURCE / "helper"

# Folder of helper/ -> the folders whose headers and functions it may use.
# "." is helper/ itself: main.c.
SEES = {
    "core": ("core",),
    "commands": ("core", "commands"),
    "net": ("core", "net"),
    "keyring": ("core", "keyring"),
    ".": ("core", "commands"),
}

# Outside libraries: header prefix (<...>) -> (library, folders that may
# include it).
HEADERS = {
    "cjson/": ("cJSON", ("core",)),
    "curl/": ("libcurl", ("net",)),
    "gnutls/": ("GnuTLS", ("net",)),
    "qrencode.h": ("libqrencode", ("net",)),
    "libsecret/": ("libsecret", ("keyring",)),
    "glib": ("GLib", ("keyring",)),
    "gio/": ("GLib", ("keyring",)),
}

# Symbol prefix -> (library, folders whose objects may refer to it). Only
# for symbols the project does not define itself (core's secret_free() is
# not libsecret's).
SYMBOLS = {
    "cJSON_": ("cJSON", ("core",)),
    "curl_": ("libcurl", ("net",)),
    "Curl_": ("libcurl", ("net",)),
    "gnutls_": ("GnuTLS", ("net",)),
    "QRcode_": ("libqrencode", ()),  # dlopen()ed by net/qr.c
    "secret_": ("libsecret", ("keyring",)),
    "g_": ("GLib", ("keyring",)),
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def folder_of(path):
    """The folder of helper/ that holds @path ("." for helper/ itself)."""
    parts = path.relative_to(HELPER).parts
    return parts[0] if len(parts) > 1 else "."


def sources():
    return sorted(p for p in HELPER.rglob("*.[ch]") if p.is_file())


def includes(path):
    """(line number, '<' or '"', name) of each #include of @path."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                out.append((n, m.group(1), m.group(2)))
    return out


def resolve(path, name):
    """The header a quoted include of @name in @path reaches, or None.

    Beside the including file first, as the compiler does, then in the
    include path of its folder; else anywhere in helper/, to name the
    folder it would have taken.
    """
    seen = SEES[folder_of(path)]
    candidates = [path.parent / name]
    candidates += [HELPER / d / name for d in seen]
    candidates += [HELPER / d / name for d in sorted(SEES) if d != "."]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    return None


def refuse(test, bad):
    """Fail @test with one line per violation, if any."""
    if bad:
        test.fail("%d violation(s):\n%s" % (len(bad), "\n".join(bad)))


def where(folder):
    return "helper/" if folder == "." else "%s/" % folder


class Includes(unittest.TestCase):
    def test_every_folder_has_rules(self):
        folders = {folder_of(p) for p in sources()}
        self.assertTrue(folders, "no C sources under %s" % HELPER)
        unknown = sorted(folders - set(SEES))
        self.assertEqual(unknown, [],
                         "folders of helper/ missing from SEES in %s: "
                         "say what they may include" % Path(__file__).name)

    def test_quoted_includes_stay_in_their_layer(self):
        bad = []
        helper = HELPER.resolve()
        for path in sources():
            folder = folder_of(path)
            for n, kind, name in includes(path):
                if kind != '"':
                    continue
                where_line = "%s:%d" % (path.relative_to(SOURCE), n)
                target = resolve(path, name)
                if target is None or helper not in target.parents:
                    bad.append('%s: "%s" is no header of helper/' %
                               (where_line, name))
                    continue
                owner = folder_of(target)
                if owner not in SEES[folder]:
                    bad.append('%s: "%s" is a header of %s; a file of %s '
                               "includes headers of %s only" %
                               (where_line, name, where(owner),
                                where(folder),
                                " and ".join(where(d)
                                             for d in SEES[folder])))
        refuse(self, bad)

    def test_library_headers_stay_in_their_folder(self):
        bad = []
        for path in sources():
            folder = folder_of(path)
            for n, kind, name in includes(path):
                if kind != "<":
                    continue
                for prefix, (lib, folders) in HEADERS.items():
                    if name.startswith(prefix) and folder not in folders:
                        bad.append("%s:%d: <%s> is %s, which only %s uses" %
                                   (path.relative_to(SOURCE), n, name, lib,
                                    " and ".join(where(d) for d in folders)))
        refuse(self, bad)

    def test_banned_h_is_the_last_include(self):
        bad = []
        for path in sources():
            incs = includes(path)
            rel = path.relative_to(SOURCE)
            if path.suffix == ".h":
                bad += ['%s:%d: a header never includes "banned.h"' %
                        (rel, n) for n, _, name in incs
                        if name == "banned.h" and path.name != "banned.h"]
            elif not incs or incs[-1][2] != "banned.h":
                bad.append('%s: #include "banned.h" must be its last '
                           "include (helper/core/banned.h)" % rel)
        refuse(self, bad)

    def test_no_import_loop(self):
        # module -> the modules whose headers its .c and .h include
        graph = {}
        for path in sources():
            mod = path.stem
            for _, kind, name in includes(path):
                dep = Path(name).stem
                if kind == '"' and dep not in (mod, "banned", "error"):
                    graph.setdefault(mod, set()).add(dep)
        # Depth first; an edge back to a module on the current path
        # closes a loop, named by that path.
        loops, state, path = [], {}, []

        def visit(mod):
            state[mod] = "open"
            path.append(mod)
            for dep in sorted(graph.get(mod, ())):
                if state.get(dep) == "open":
                    loop = path[path.index(dep):] + [dep]
                    loops.append(" -> ".join(loop))
                elif dep not in state:
                    visit(dep)
            path.pop()
            state[mod] = "done"

        for mod in sorted(graph):
            if mod not in state:
                visit(mod)
        refuse(self, ["import loop: %s" % loop for loop in loops])


def nm_symbols(nm, lib):
    """(member, symbol, type) of every global or undefined symbol."""
    r = subprocess.run([nm, "-P", "-A", str(lib)], capture_output=True,
                       text=True, check=True)
    out = []
    for line in r.stdout.splitlines():
        m = re.match(r"^(.*?)(?:\[(.*)\])?: (\S+) (\S)", line)
        if not m:
            continue
        member = os.path.basename(m.group(2) or m.group(1))
        out.append((member, m.group(3), m.group(4)))
    return out


class Symbols(unittest.TestCase):
    def setUp(self):
        self.nm = os.environ.get("CLERK_NM")
        if not self.nm:
            self.skipTest("no nm (CLERK_NM): symbols not checked")
        self.libs = {}
        for folder in SEES:
            if folder == ".":
                continue  # main.c: checked by its includes
            lib = os.environ.get("CLERK_LIB_" + folder.upper())
            if not lib:
                self.skipTest("CLERK_LIB_%s not set: run through meson test"
                              % folder.upper())
            self.libs[folder] = lib

    def test_objects_call_only_what_they_see(self):
        defined = {}  # symbol -> folder
        undefined = []  # (folder, member, symbol, weak)
        for folder, lib in self.libs.items():
            syms = nm_symbols(self.nm, lib)
            mine = [s for _, s, t in syms if t.isupper() and t != "U"]
            if not mine:
                self.skipTest("nm sees no symbol in %s (an LTO build?)" % lib)
            for s in mine:
                defined[s] = folder
            undefined += [(folder, member, s, t in "wv")
                          for member, s, t in syms if t in "Uwv"]
        bad = []
        for folder, member, sym, weak in undefined:
            obj = "%s%s" % (where(folder), member)
            if sym in defined:
                owner = defined[sym]
                if owner not in SEES[folder] and not weak:
                    bad.append("%s: refers to %s() of %s; %s calls only %s" %
                               (obj, sym, where(owner), where(folder),
                                " and ".join(where(d)
                                             for d in SEES[folder])))
                continue
            for prefix, (lib, folders) in SYMBOLS.items():
                if sym.startswith(prefix) and folder not in folders:
                    bad.append("%s: refers to %s of %s, which %s" %
                               (obj, sym, lib,
                                "only %s uses" % " and ".join(
                                    where(d) for d in folders)
                                if folders else "is opened with dlopen()"))
        refuse(self, bad)


if __name__ == "__main__":
    unittest.main(verbosity=2)
