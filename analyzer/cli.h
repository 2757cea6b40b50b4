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

#include <stdio.h>

#include "growth.h"
#include "json.h"
#include "keydiff.h"
#include "keyset.h"
#include "report.h"
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

/* ---- what the gating commands (check, diff) share ---- */

/* getopt_long values of the shared long options (gating and report commands); a command numbers
 * its own from CLI_OPT_OWN. */
enum {
	CLI_OPT_JSON = 256,
	CLI_OPT_MARKDOWN,
	CLI_OPT_SUPPRESSIONS,
	CLI_OPT_ALLOW_INCOMPLETE,
	CLI_OPT_ALLOC_FRAMES,
	CLI_OPT_FROM,
	CLI_OPT_TO,
	CLI_OPT_POINTS,
	CLI_OPT_MATCH,
	CLI_OPT_NEW_LEAKS,
	CLI_OPT_NEW_LOST,
	CLI_OPT_LEAK_INC,
	CLI_OPT_PEAK_INC,
	CLI_OPT_ALLOCS_INC,
	CLI_OPT_FRAMES,
	CLI_OPT_OWN
};

/* Their shared options: -n N, --json, --markdown, --suppressions FILE, --allow-incomplete. */
typedef struct cli_gate_opts {
	unsigned top;         /* stacks listed (0: all); the caller sets the default */
	int json, markdown;   /* the output format (text when neither) */
	const char *sup_path; /* borrowed from argv, or NULL */
	int allow_incomplete; /* gate an incomplete trace instead of refusing it */
} cli_gate_opts;

/* The long options of cli_gate_opts, for a command's getopt_long table. */
#define CLI_GATE_LONGOPTS                                                                          \
	{"top", required_argument, NULL, 'n'}, {"json", no_argument, NULL, CLI_OPT_JSON},          \
		{"markdown", no_argument, NULL, CLI_OPT_MARKDOWN},                                 \
		{"suppressions", required_argument, NULL, CLI_OPT_SUPPRESSIONS},                   \
		{"allow-incomplete", no_argument, NULL, CLI_OPT_ALLOW_INCOMPLETE}

/* An incomplete trace (one without its END record, damaged, or with events dropped) holds only
 * part of the run: what was live when recording stopped is not what leaked.  Refuses it with
 * "PATH: incomplete trace (reason) ..." (returns CLI_EXIT_ERROR) unless allow, when it says it
 * gates it anyway (returns 0). */
int cli_gate_complete(const trace *t, int allow);
/* For a gate on leak kinds (named by option, "--max-lost"): returns 0 when the trace has its
 * leak kinds, else says why not and returns CLI_EXIT_ERROR. */
int cli_gate_kinds(const trace *t, const char *option);
/* The completeness of a loaded trace as JSON members "<prefix>complete" and
 * "<prefix>incomplete_reason" (prefix "" or "base_", "new_"), and its "<prefix>sample_rate_bytes"
 * (0 for a full trace: a sampled one's figures and gates are estimates). */
void cli_json_complete(json_writer *w, const char *prefix, const trace *t);
/* A text or markdown line saying that the trace (its label: "trace", "base", "new") is sampled
 * (its figures and the gates on them are estimates), one saying that it was recorded by
 * attaching to a running process (report_text_attached: what it covers), and one saying that it
 * is incomplete and why; nothing for a full, complete trace recorded from the start. */
void cli_put_incomplete(FILE *f, const char *label, const trace *t, int markdown);

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

/* ---- what the commands that compare two traces share (diff, html BASE NEW) ---- */

/* The getopt_long entries of their options: --match and the gates. */
#define CLI_DIFF_LONGOPTS                                                                          \
	{"match", required_argument, NULL, CLI_OPT_MATCH},                                         \
	{"fail-on-new-leaks", no_argument, NULL, CLI_OPT_NEW_LEAKS},                               \
	{"fail-on-new-lost", no_argument, NULL, CLI_OPT_NEW_LOST},                                 \
	{"max-leak-increase", required_argument, NULL, CLI_OPT_LEAK_INC},                          \
	{"max-peak-increase", required_argument, NULL, CLI_OPT_PEAK_INC},                          \
	{"max-allocations-increase", required_argument, NULL, CLI_OPT_ALLOCS_INC}

/* Handles what getopt_long returned (opt, with optarg) when it is one of those options: --match
 * into *match, a gate into the gates of d (keydiff_init done).  Returns -1 when opt is none of
 * them, 0 when it was stored, CLI_EXIT_ERROR after a usage error. */
int cli_diff_option(keydiff *d, enum stackkey_match *match, int opt);
/* Checks that exactly two operands, BASE and NEW, follow the options at argv[first]; cmd names
 * the command in the messages.  Returns 0, or prints a usage error and returns CLI_EXIT_ERROR. */
int cli_two_traces(int argc, char **argv, int first, const char *cmd);

/* Two traces loaded and compared. */
typedef struct cli_diff {
	cli_keyed base, new;
	keydiff kd; /* keydiff_init and the gates set by the caller before cli_diff_load */
} cli_diff;

/* Loads the traces at base and new (borrowed, they must outlive *x) with keys made with match and
 * leaks suppressed by sup (borrowed, may be NULL), and compares them into x->kd.  Returns 0, or
 * CLI_EXIT_ERROR after saying why.  Release *x with cli_diff_release in either case. */
int cli_diff_load(cli_diff *x, const char *base, const char *new, enum stackkey_match match,
		  const suppress_list *sup);
void cli_diff_release(cli_diff *x);

/* Writes what suppressions removed as the members "bytes", "allocations" and "stacks"; with a
 * key, as a one-line object under that key. */
void cli_json_use(json_writer *w, const char *key, uint64_t bytes, uint64_t allocations,
		  uint64_t stacks);

/* Ends a gating command's output on stdout: jrc is what writing the JSON returned (0 for the other
 * formats).  Flushes stdout; on failure prints "writing the WHAT: reason".  Returns 0 or
 * CLI_EXIT_ERROR. */
int cli_finish_output(const char *what, int jrc);

/* ---- what the commands that report one trace share (report, html, flamegraph) ---- */

/* A window bound as given on the command line: seconds from the start ("1.5", "1.5s", "250ms"),
 * a percent of the run ("50%") or a mark's label ("warmup done"; "mark:LABEL"). */
typedef struct cli_tspec {
	enum { CLI_T_NONE, CLI_T_NS, CLI_T_PERCENT, CLI_T_MARK } kind;
	uint64_t ns;        /* CLI_T_NS */
	uint64_t pct_nano;  /* CLI_T_PERCENT: the percentage x 1e9 */
	const char *label;  /* CLI_T_MARK */
	const char *arg;    /* as given (borrowed from argv) */
} cli_tspec;

/* Their options: -n N, --show-alloc-frames, --from T, --to T, --points N, --suppressions FILE. */
typedef struct cli_report_opts {
	unsigned top;          /* the caller sets the default */
	int show_alloc_frames;
	unsigned points;       /* timeline points; the caller sets the default */
	cli_tspec from, to;
	const char *sup_path;  /* borrowed from argv, or NULL */
	long frames;           /* frames per stack in text (report_options.frames) */
	int lifetimes;         /* keep lifetimes: the output shows "Held longest" (report, html) */
	/* When set, called once the replay exists, before it runs: fills *obs with an observer that
	 * sees the replay beside the growth analysis (export's massif snapshots); ctx is
	 * observer_ctx. */
	void (*observer)(void *ctx, const replay_ctx *rp, replay_observer *obs);
	void *observer_ctx;
} cli_report_opts;

/* The getopt_long entries of those options, for a command's option table. */
#define CLI_REPORT_LONGOPTS                                                                        \
	{"top", required_argument, NULL, 'n'},                                                     \
	{"show-alloc-frames", no_argument, NULL, CLI_OPT_ALLOC_FRAMES},                            \
	{"from", required_argument, NULL, CLI_OPT_FROM},                                           \
	{"to", required_argument, NULL, CLI_OPT_TO},                                               \
	{"points", required_argument, NULL, CLI_OPT_POINTS},                                       \
	{"suppressions", required_argument, NULL, CLI_OPT_SUPPRESSIONS},                           \
	{"frames", required_argument, NULL, CLI_OPT_FRAMES}

/* Sets the defaults: 10 stacks per list, GROWTH_DEFAULT_POINTS, no window, frames up to the
 * program's own (-1). */
void cli_report_opts_init(cli_report_opts *o);
/* Handles what getopt_long returned (opt, with optarg) when it is none of the command's own
 * options: one of the options above is stored in o, anything else goes to cli_option_other.
 * Returns -1 when parsing goes on, else the status the command returns now. */
int cli_report_option(cli_report_opts *o, int opt, char **argv, void (*usage)(FILE *f));
/* Returns 1 when o asks for a window, timeline points or allocator frames (what a two-trace
 * command does not take); *name receives the first such option's name. */
int cli_report_one_trace_only(const cli_report_opts *o, const char **name);

/* A trace loaded into the report model: replayed in the window with the growth analysis,
 * symbolized, merged into entries, suppressions applied. */
typedef struct cli_report {
	trace *t;
	growth_ctx *gr;
	report_ctx *rep;
	suppress_list *sup;
	replay_observer obs[2]; /* the growth analysis's and the options' observer, in turn */
} cli_report;

/* Loads the trace at path (borrowed: it must outlive *r) with the options o (borrowed too).
 * Returns 0, or CLI_EXIT_ERROR after saying why.  Release *r with cli_report_release in either
 * case. */
int cli_report_load(cli_report *r, const char *path, const cli_report_opts *o);
void cli_report_release(cli_report *r);

/* Writes the output of a command to the file at path ("-": standard output) through write(ctx,
 * f), which returns 0 or a negative code that describe(code) names.  The file is created at
 * path.tmp and renamed when complete; a path that exists and is no regular file (a device, a
 * FIFO) is written in place.  Returns 0, or CLI_EXIT_ERROR after saying why. */
int cli_write_output(const char *path, int (*write)(void *ctx, FILE *f), void *ctx,
		     const char *(*describe)(int code));
/* The output path for a trace when -o is not given: the trace's path with its ".zst" (if any)
 * replaced by ext (".html", ".svg").  Returns a malloc'ed string, or NULL when out of memory. */
char *cli_output_path(const char *trace_path, const char *ext);

/* Subcommands: argv[0] is the subcommand name (or the program name for the default report). */
int cmd_report(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_html(int argc, char **argv);
int cmd_flamegraph(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
