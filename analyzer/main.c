/*
 * main.c: leakanalyze's entry point.  Dispatches to a subcommand from a table (git-style
 * cmd_<name>); a first argument that names no subcommand means `report`.  Only this function
 * exits: subcommands return the exit status.
 *
 * A trace given as "-" is read from standard input: it is copied once into an anonymous file
 * (memfd) that the commands then open as /dev/fd/N, as often as they need (a window given in
 * percent reads the trace twice).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"

typedef struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} command;

static const command commands[] = {
	{"report", cmd_report},
	{"dump", cmd_dump},
	{"diff", cmd_diff},
	{"check", cmd_check},
	{"html", cmd_html},
	{"flamegraph", cmd_flamegraph},
	{"export", cmd_export},
};

/* Copies standard input into an anonymous file; returns its /dev/fd path (static), or NULL after
 * saying why. */
static const char *spool_stdin(void)
{
	static char path[32];
	if (path[0])
		return path;
	int fd = memfd_create("stdin", 0);
	if (fd < 0) {
		cli_error("cannot read the trace from standard input: %s", strerror(errno));
		return NULL;
	}
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, buf, (size_t)n) != n) {
			cli_error("cannot read the trace from standard input: %s", strerror(errno));
			close(fd);
			return NULL;
		}
	}
	snprintf(path, sizeof(path), "/dev/fd/%d", fd);
	return path;
}

int main(int argc, char **argv)
{
	/* the operands are the last arguments: a "-" there is standard input (diff's two traces
	 * cannot both be) */
	for (int i = argc - 1; i >= 2 && i >= argc - 2; i--) {
		if (strcmp(argv[i], "-") != 0 || strcmp(argv[i - 1], "-o") == 0 ||
		    strcmp(argv[i - 1], "--output") == 0)
			continue;
		const char *p = spool_stdin();
		if (!p)
			return CLI_EXIT_ERROR;
		argv[i] = (char *)(uintptr_t)p;
	}
	if (argc < 2) {
		cli_usage(stderr);
		return CLI_EXIT_ERROR;
	}
	if (strcmp(argv[1], "help") == 0) {
		cli_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	return cmd_report(argc, argv);
}
