#!/bin/sh
# FAKE BROWSER for the unit test tests/unit/test_browser.c only. The test
# sets $BROWSER to this script; it opens nothing and records how it was
# started, appending these lines to the file named by $FAKE_BROWSER_LOG:
#   arg=<argument>   one line per argument, in order
#   fd0=<target>     where descriptors 0, 1 and 2 point (/dev/null wanted)
#   fd1=<target>
#   fd2=<target>
#   fds=<list>       every descriptor it has open, blank-separated
#   pid=<pid>        its process id, parent and session
#   ppid=<pid>
#   sid=<sid>
#   via=<name>       $FAKE_BROWSER_VIA, set by a fake xdg-open
#   end              written last: the record is complete
PATH=/usr/bin:/bin
export PATH
log=${FAKE_BROWSER_LOG:?FAKE_BROWSER_LOG is not set}

# Read before any redirection, so the descriptors are the inherited ones.
fd0=$(readlink "/proc/$$/fd/0")
fd1=$(readlink "/proc/$$/fd/1")
fd2=$(readlink "/proc/$$/fd/2")
fds=$(ls "/proc/$$/fd" | tr '\n' ' ')
read -r _pid _comm _state ppid _pgrp sid _rest < "/proc/$$/stat"

{
	for a in "$@"; do
		printf 'arg=%s\n' "$a"
	done
	printf 'fd0=%s\nfd1=%s\nfd2=%s\n' "$fd0" "$fd1" "$fd2"
	printf 'fds= %s\n' "$fds"
	printf 'pid=%s\nppid=%s\nsid=%s\n' "$$" "$ppid" "$sid"
	printf 'via=%s\n' "${FAKE_BROWSER_VIA:-}"
	printf 'end\n'
} >> "$log"
