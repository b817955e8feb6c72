/*
 * Runs a program with its stdin read from a file, without a shell.
 *
 *	stdin-exec FILE [PROGRAM [ARG...]]
 *	stdin-exec -m FILE PROGRAM [ARG...]
 *
 * The first form opens FILE as stdin and execs PROGRAM in place (no
 * fork); without PROGRAM it exits 0, which measures its own cost. The
 * benchmark needs it because Debian 12's hyperfine (1.15) has no --input
 * and a shell would add more noise than the programs under test cost.
 * It is linked statically so that its own exec costs next to nothing.
 *
 * With -m it forks, runs PROGRAM as its child and prints the child's peak
 * resident set size, "maxrss_kib=N", on stderr, then exits with the
 * child's status. Linux keeps the peak across exec, so the measuring
 * parent must itself be tiny: a Python or shell parent would add its own
 * pages to the child's peak.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int
open_stdin(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0) {
		perror(path);
		return -1;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}

static int
run_measured(char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		return 127;
	}
	if (pid == 0) {
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 127;
	}
	fprintf(stderr, "maxrss_kib=%ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int
main(int argc, char **argv)
{
	int measure = argc > 1 && strcmp(argv[1], "-m") == 0;
	int first = measure ? 2 : 1;

	if (argc <= first || (measure && argc <= first + 1)) {
		fputs("usage: stdin-exec [-m] FILE [PROGRAM [ARG...]]\n",
		      stderr);
		return 2;
	}
	if (open_stdin(argv[first]))
		return 127;
	if (argc == first + 1)
		return 0;
	if (measure)
		return run_measured(argv + first + 1);
	execv(argv[first + 1], argv + first + 1);
	perror(argv[first + 1]);
	return 127;
}
