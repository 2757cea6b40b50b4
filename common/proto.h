/*
 * proto: what the launcher (leakrec), the preload library and leakanalyze agree on beyond the
 * trace format: the environment variables through which the launcher configures the library,
 * how trace files are named, and the version of the tools.  Nothing here allocates or calls
 * stdio, so the preload library can use it anywhere.
 */
#ifndef LEAKREC_PROTO_H
#define LEAKREC_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* The version of leakrec and leakanalyze (the trace format has its own, TF_VERSION). */
#define PROTO_VERSION "0.1.0"

/* Environment variables the launcher sets for the library (docs/leakrec.md lists them). */
#define PROTO_ENV_OUTPUT "LEAKREC_OUTPUT"     /* trace path or pattern; %p is the pid */
#define PROTO_ENV_PID "LEAKREC_PID"           /* pid of the process the launcher started: it
					       * writes to PROTO_ENV_OUTPUT exactly */
#define PROTO_ENV_CHILDREN "LEAKREC_CHILDREN" /* "0": forked and exec'd processes unrecorded */
#define PROTO_ENV_DEPTH "LEAKREC_DEPTH"       /* most frames recorded per stack */
#define PROTO_ENV_UNWIND "LEAKREC_UNWIND"     /* "libunwind": libunwind walks every stack */
#define PROTO_ENV_UNWIND_CHECK "LEAKREC_UNWIND_CHECK" /* "1": both walkers, compared */
#define PROTO_ENV_REACH "LEAKREC_REACHABILITY" /* "0": no leak-kind scan at the end */
#define PROTO_ENV_SAMPLE "LEAKREC_SAMPLE"     /* mean bytes between sampled allocations */
#define PROTO_ENV_SAMPLE_SEED "LEAKREC_SAMPLE_SEED" /* the sampler's seed (reproducible runs) */
#define PROTO_ENV_DURATION "LEAKREC_DURATION" /* recording stops this long after it started */
#define PROTO_ENV_MAX_SIZE "LEAKREC_MAX_SIZE" /* recording stops when the trace reaches this */

/* The trace of a process the library starts on its own (no launcher). */
#define PROTO_DEFAULT_OUTPUT "leakrec.%p.zst"

/* Writes pattern to out (cap bytes, cap >= 1) with every "%p" replaced by pid, cut to fit and
 * always NUL-terminated.  Returns the length written. */
size_t proto_expand_pid(const char *pattern, uint64_t pid, char *out, size_t cap);

/* Parses a size: a whole number with an optional binary suffix K, M, G, T (1024-based; "KB",
 * "KiB", "k" too), e.g. "512K", "1M", "4096".  Returns 0 and *out, or -1 when s is not one (or
 * overflows). */
int proto_parse_size(const char *s, uint64_t *out);
/* Parses a duration: a number (fractions allowed) with an optional unit ms, s, m, h (default s),
 * e.g. "10s", "1.5m", "250ms", "30".  Returns 0 and *out in nanoseconds, or -1. */
int proto_parse_duration(const char *s, uint64_t *out_ns);

#endif
