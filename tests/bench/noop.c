/*
 * The floor of the cache-hit benchmark: a C program that does nothing.
 * Its wall time is what exec'ing any dynamically linked C program costs
 * on this machine (fork, execve, the dynamic loader, libc start-up).
 */
int
main(void)
{
	return 0;
}
