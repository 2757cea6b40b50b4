/*
 * cli: what the leakanalyze subcommands share (prefix cli_): messages in the tool's voice,
 * the usage text, opening and replaying a trace with one stderr line per problem, and the
 * subcommand entry points that main() dispatches to.
 *
 * Subcommands return the process exit status (0 success, 1 a threshold was crossed, 2 usage or
 * input error); only main() exits.
 */
#ifndef LEAKREC_CLI_H
#define LEAKREC_CLI_H

#include <stdio.h>

#include "replay.h"
#include "tf.h"

#define LEAKANALYZE_VERSION "0.1.0"

/* Exit statuses. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_THRESHOLD = 1,
	CLI_EXIT_ERROR = 2,
};

/* Prints "leakanalyze: <message>\n" on stderr. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
void cli_error(const char *fmt, ...);

/* Prints the usage of every subcommand on f. */
void cli_usage(FILE *f);
/* Prints the version line on stdout. */
void cli_version(void);
/* Reports a usage error: the message, then a hint to --help, on stderr.  Returns CLI_EXIT_ERROR. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
int cli_usage_error(const char *fmt, ...);

/* Parses a non-negative decimal count for option `opt`.  Returns 0 and *out, or prints a usage
 * error and returns CLI_EXIT_ERROR. */
int cli_parse_count(const char *opt, const char *arg, unsigned *out);

/* Opens a trace for reading.  Returns 0 and *out (close with tf_reader_close), or prints
 * "cannot open 'PATH': reason" and returns CLI_EXIT_ERROR. */
int cli_open_trace(const char *path, tf_reader **out);

/* Replays the trace at path into rp (problems printed as "leakanalyze: PATH: ...").  Returns 0
 * when a header was read, else CLI_EXIT_ERROR after saying why. */
int cli_replay(rp_ctx *rp, const char *path);

/* Subcommands: argv[0] is the subcommand name (or the program name for the default report). */
int cmd_report(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
