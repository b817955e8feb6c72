"""The shell completions, the --help texts and the "did you mean" errors.

The bash completion is sourced in a real bash and its function called the
way bash calls it (COMP_WORDS, COMP_CWORD); COMPREPLY is read back. The
command and option lists of both completions must match what the real
binary's --help prints, so a new command or option that is not completed
fails here. The zsh completion is loaded by a real zsh's compinit when zsh
is installed.
"""

import os
import re
import shutil
import subprocess
import unittest
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
BASH_COMP = SRC / "docs" / "completions" / "clerk-credential.bash"
ZSH_COMP = SRC / "docs" / "completions" / "_clerk-credential"
EXE = Path(os.environ.get("CLERK_CREDENTIAL", "clerk-credential"))

DRIVER = r"""
. "$1"; shift
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
_clerk_credential "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


def complete(*words):
    """COMPREPLY for the command line @words (the last one being typed)."""
    out = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", DRIVER, "driver",
         str(BASH_COMP), *words],
        capture_output=True, text=True, timeout=20, check=True)
    return sorted(w for w in out.stdout.split("\n") if w)


def run_helper(*args):
    return subprocess.run([str(EXE), *args], capture_output=True, text=True,
                          timeout=20, env={"PATH": os.environ["PATH"],
                                           "HOME": "/nonexistent"})


def help_lists():
    """(commands, options) as the real binary's --help lists them."""
    out = run_helper("--help").stdout
    commands = re.findall(r"^  ([a-z]+) ", out.split("Options:")[0], re.M)
    options = re.findall(r"^  (--[a-z-]+)", out, re.M)
    return set(commands), set(options)


class BashCompletion(unittest.TestCase):
    def test_commands(self):
        self.assertEqual(complete("clerk-credential", "log"),
                         ["login", "logout"])
        self.assertEqual(complete("clerk-credential", "--verbose", "sta"),
                         ["status"])

    def test_options_and_values(self):
        self.assertEqual(complete("clerk-credential", "--sto"), ["--storage"])
        self.assertEqual(complete("clerk-credential", "--storage", ""),
                         ["auto", "file", "keyring", "memory"])
        # bash splits "--flow=d" into "--flow" "=" "d"
        self.assertEqual(complete("clerk-credential", "--flow", "=", "d"),
                         ["device"])
        self.assertEqual(complete("clerk-credential", "--flow=b"),
                         ["--flow=browser"])

    def test_actions(self):
        # An option's value is not taken for the command.
        self.assertEqual(
            complete("clerk-credential", "--profile", "docker", "docker", ""),
            ["erase", "get", "list", "store", "version"])
        self.assertEqual(complete("clerk-credential", "docker", "get", ""), [])
        self.assertEqual(complete("docker-credential-clerk", "l"), ["list"])
        self.assertEqual(complete("git-credential-clerk", "--host", "h", ""),
                         ["erase", "get", "store"])
        self.assertEqual(complete("terraform-credentials-clerk", "f"),
                         ["forget"])

    def test_lists_match_help(self):
        commands, options = help_lists()
        self.assertIn("login", commands)
        self.assertIn("--host", options)
        self.assertEqual(set(complete("clerk-credential", "")),
                         commands | {"help"})
        self.assertEqual(set(complete("clerk-credential", "-")), options)


@unittest.skipUnless(shutil.which("zsh"), "zsh is not installed")
class ZshCompletion(unittest.TestCase):
    def test_compinit_loads_it(self):
        script = ('fpath=("$1" $fpath); autoload -U compinit; '
                  'compinit -u -D; for c in clerk-credential '
                  'git-credential-clerk docker-credential-clerk '
                  'terraform-credentials-clerk; do print -r -- '
                  '"$c=${_comps[$c]}"; done')
        out = subprocess.run(["zsh", "-f", "-c", script, "zsh",
                              str(ZSH_COMP.parent)], capture_output=True,
                             text=True, timeout=30, check=True).stdout
        for c in ["clerk-credential", "git-credential-clerk",
                  "docker-credential-clerk", "terraform-credentials-clerk"]:
            self.assertIn(c + "=_clerk-credential", out)

    def test_lists_match_help(self):
        commands, options = help_lists()
        text = ZSH_COMP.read_text()
        zcommands = set(re.findall(r"^\t'([a-z]+):", text, re.M))
        zoptions = set(re.findall(r"^\t'(?:\([^)]*\))?\*?(--[a-z-]+)", text,
                                  re.M))
        self.assertEqual(zcommands, commands | {"help"})
        self.assertEqual(zoptions, options)


class HelpAndTypos(unittest.TestCase):
    def test_command_help(self):
        for cmd in ["get", "login", "status", "docker", "terraform"]:
            for argv in ([cmd, "--help"], ["help", cmd]):
                r = run_helper(*argv)
                self.assertEqual(r.returncode, 0, argv)
                self.assertTrue(r.stdout.startswith(
                    "usage: clerk-credential [options] " + cmd), r.stdout)
                self.assertIn("--issuer URL", r.stdout)
                self.assertEqual(r.stderr, "")
        self.assertIn("docker get|store|erase|list|version",
                      run_helper("docker", "--help").stdout)

    def test_unknown_command_suggests(self):
        r = run_helper("logni")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, "clerk-credential: unknown command "
                         "'logni' (did you mean 'login'?)\n")
        r = run_helper("frobnicate")
        self.assertEqual(r.stderr, "clerk-credential: unknown command "
                         "'frobnicate' (see --help)\n")

    def test_unknown_option_suggests_without_its_value(self):
        r = run_helper("--hots=s3cret-value", "get")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "clerk-credential: unknown option "
                         "'--hots' (did you mean '--host'?)\n")
        self.assertNotIn("s3cret", r.stderr)
        r = run_helper("--zzzzzz", "status")
        self.assertEqual(r.stderr, "clerk-credential: unknown option "
                         "'--zzzzzz' (see --help)\n")

    def test_git_alias_ignores_unknown_actions(self):
        alias = EXE.resolve().parent / "git-credential-clerk"
        r = subprocess.run([str(alias), "logni"], capture_output=True,
                           text=True, timeout=20, input="")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
