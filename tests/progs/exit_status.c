/*
 * exit_status.c: writes known output to stdout and stderr, echoes stdin, then ends as told by its
 * first argument: "exit N" (exit status N), "signal N" (killed by signal N after a flush),
 * "return" (return 0 from main).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	printf("out: %d args\n", argc);
	fprintf(stderr, "err: %s\n", argc > 1 ? argv[1] : "none");
	char line[256];
	while (fgets(line, sizeof(line), stdin))
		printf("in: %s", line);
	char *keep = malloc(100);
	strcpy(keep, "leaked");
	fflush(NULL);
	if (argc > 2 && strcmp(argv[1], "exit") == 0)
		exit(atoi(argv[2]));
	if (argc > 2 && strcmp(argv[1], "signal") == 0) {
		signal(atoi(argv[2]), SIG_DFL);
		raise(atoi(argv[2]));
	}
	return 0;
}
