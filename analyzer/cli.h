/*
 * cli: what the leakanalyze subcommands share (prefix cli_): messages in the tool's voice (and
 * the log through which library code says its problems), the usage text, option handling, and
 * the subcommand entry points that main() dispatches to.
 *
 * Subcommands return the process exit status (0 success, 1 a threshold was crossed, 2 usage or
 * input error); only main() exits.
 */
#ifndef LEAKREC_CLI_H
#define LEAKREC_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "keyset.h"
#include "stackkey.h"
#include "suppress.h"
#include "trace.h"
#include "util.h"

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

/* The log that library code says its problems through: each line printed as cli_error does. */
extern const util_log cli_log;

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

/* Handles what getopt_long returned (opt) when it is none of the command's own options: -h
 * (prints usage(stdout)), -V (the version), a missing argument (':') or an unknown option (the
 * messages quote argv[optind - 1]).  Returns the status the command returns now: 0 after -h or
 * -V, else CLI_EXIT_ERROR after a usage error. */
int cli_option_other(int opt, char **argv, void (*usage)(FILE *f));

/* Checks that exactly one operand, the trace, follows the options at argv[first]; prefix ("" or
 * "dump: ", borrowed) opens the messages.  Returns 0, or prints a usage error and returns
 * CLI_EXIT_ERROR. */
int cli_one_trace(int argc, char **argv, int first, const char *prefix);

/* ---- the window of the commands that replay one trace (--from, --to) ---- */

/* A window bound as given on the command line: seconds from the start ("1.5", "1.5s", "250ms"),
 * a percent of the run ("50%") or a mark's label ("warmup done"; "mark:LABEL" when the label
 * looks like a time). */
typedef struct cli_tspec {
	enum { CLI_T_NONE, CLI_T_NS, CLI_T_PERCENT, CLI_T_MARK } kind;
	uint64_t ns;        /* CLI_T_NS */
	uint64_t pct_nano;  /* CLI_T_PERCENT: the percentage x 1e9 */
	const char *label;  /* CLI_T_MARK (borrowed from argv) */
	const char *arg;    /* as given (borrowed from argv) */
} cli_tspec;

/* --from and --to; zero it before the options are parsed. */
typedef struct cli_window {
	cli_tspec from, to;
} cli_window;

/* Parses the argument (borrowed: it must outlive w) of --from (to = 0) or --to (to = 1) into w.
 * Returns 0, or prints a usage error and returns CLI_EXIT_ERROR. */
int cli_window_option(cli_window *w, int to, const char *arg);
/* The argument of --from (to = 0) or --to as given, or NULL when the option was not given. */
const char *cli_window_arg(const cli_window *w, int to);
/* Works out the window [*from, *to) of the trace at path (*to = UINT64_MAX: to the end).  Percent
 * and labels need the run's duration and marks before the replay starts: only then a first pass
 * reads the trace (replay_scan_times).  Returns 0, or CLI_EXIT_ERROR after saying why (a label no
 * mark has, --from after --to, a trace that cannot be opened). */
int cli_window_resolve(const cli_window *w, const char *path, uint64_t *from, uint64_t *to);

/* ---- what the gating commands (check, diff) share ---- */

/* getopt_long values of their shared long options; a command numbers its own from CLI_OPT_OWN. */
enum { CLI_OPT_JSON = 256, CLI_OPT_MARKDOWN, CLI_OPT_SUPPRESSIONS, CLI_OPT_OWN };

/* Their shared options: -n N, --json, --markdown, --suppressions FILE. */
typedef struct cli_gate_opts {
	unsigned top;         /* stacks listed (0: all); the caller sets the default */
	int json, markdown;   /* the output format (text when neither) */
	const char *sup_path; /* borrowed from argv, or NULL */
} cli_gate_opts;

/* Handles what getopt_long returned (opt, with optarg) when it is none of the command's own
 * options: one of the shared options is stored in o, anything else goes to cli_option_other.
 * Returns -1 when parsing goes on, else the status the command returns now. */
int cli_gate_option(cli_gate_opts *o, int opt, char **argv, void (*usage)(FILE *f));

/* A trace loaded for a gating command: replayed, symbolized and its stacks merged by key. */
typedef struct cli_keyed {
	trace *t;
	keyset *set;
} cli_keyed;

/* Loads the trace at path (borrowed) into *k, keys made with match, leaks suppressed by sup
 * (borrowed, may be NULL).  Returns 0, or CLI_EXIT_ERROR after saying why.  Release *k with
 * cli_keyed_release in either case. */
int cli_keyed_load(cli_keyed *k, const char *path, enum stackkey_match match,
		   const suppress_list *sup);
void cli_keyed_release(cli_keyed *k);

/* Writes what suppressions removed as the members "bytes", "allocations" and "stacks"; with a
 * key, as a one-line object under that key. */
void cli_json_use(json_writer *w, const char *key, uint64_t bytes, uint64_t allocations,
		  uint64_t stacks);

/* Ends a gating command's output on stdout: jrc is what writing the JSON returned (0 for the other
 * formats).  Flushes stdout; on failure prints "writing the WHAT: reason".  Returns 0 or
 * CLI_EXIT_ERROR. */
int cli_finish_output(const char *what, int jrc);

/* Subcommands: argv[0] is the subcommand name (or the program name for the default report). */
int cmd_report(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
