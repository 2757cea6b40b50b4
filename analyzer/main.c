/*
 * main.c: leakanalyze's entry point.  Dispatches to a subcommand from a table (git-style
 * cmd_<name>); a first argument that names no subcommand means `report`.  Only this function
 * exits: subcommands return the exit status.
 */
#include <string.h>

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
	{"export", cmd_export},
};

int main(int argc, char **argv)
{
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
