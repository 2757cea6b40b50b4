/*
 * reach_nodump.c: a program that makes itself non-dumpable (as ssh-agent and gpg-agent do) and
 * has a second thread blocked when main returns.  Run by a user without CAP_SYS_PTRACE, its
 * threads cannot be stopped with ptrace: the leak-kind scan must say so and the program must end
 * as without leakrec (tests/e2e/test_reach.py).  Leaks one block of 321 bytes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	pthread_t t;
	pthread_create(&t, NULL, idle, NULL);
	((char *)malloc(321))[0] = 1;
	printf("done\n");
	return 3;
}
