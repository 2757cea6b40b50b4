/*
 * robust_exec.c LEAKER: starts the program LEAKER (robust_leaker) twice: with fork + execv
 * (tag "forkexec") and with system("exec LEAKER system") (through /bin/sh, tag "system").
 * Leaks one block of 4444 bytes itself.  The forked child allocates two blocks of 5555 bytes
 * before it execs (its own trace, ended by the exec, holds them).  Prints "exec PID", "child PID"
 * and both exit statuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *keep;

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: robust_exec LEAKER\n");
		return 2;
	}
	keep = malloc(4444);
	printf("exec %d\n", (int)getpid());
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		for (int i = 0; i < 2; i++)
			((char *volatile)malloc(5555))[0] = 1;
		execl(argv[1], "robust_leaker", "forkexec", (char *)NULL);
		perror("execl");
		_exit(127);
	}
	int st = 0;
	waitpid(c, &st, 0);
	printf("child %d\n", (int)c);
	printf("forkexec status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fflush(stdout);
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "exec '%s' system", argv[1]);
	int rc = system(cmd);
	printf("system status %d\n", WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
	return 0;
}
