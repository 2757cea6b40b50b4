/*
 * attach: `leakrec -p PID`, the launcher's side of recording a process that is already running.
 * It checks that the process can be attached to (one clear line when not, the process untouched),
 * listens on an abstract unix socket named after the pid, loads libleakrec.so into the process and
 * calls leakrec_attach there (inject.h), then writes what the recorder streams over the socket
 * into the trace file until the duration is over or leakrec gets SIGINT, SIGTERM or SIGHUP; then
 * it asks the recorder to detach (the end of its side of the socket) and waits for the END
 * record.  If leakrec dies, the recorder sees the same end and detaches on its own.
 */
#ifndef LEAKREC_ATTACH_H
#define LEAKREC_ATTACH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct attach_opts {
	pid_t pid;
	const char *output;   /* -o FILE (a folder: the default name inside), or NULL */
	const char *lib;      /* absolute path of libleakrec.so */
	uint64_t duration_ns; /* detach after this long; 0: at a signal */
	uint64_t sample;      /* mean bytes between sampled allocations; 0: every allocation */
	uint64_t max_bytes;   /* ... or once the trace file holds this many bytes; 0: no limit */
	uint32_t depth;       /* frames per stack; 0: the recorder's default */
	int quiet;            /* no "attached" / "detached" lines */
} attach_opts;

/* Runs the attach.  Returns 0 with the trace's path in trace (cap bytes) once the recorder has
 * detached, ATTACH_ENDED when the process ended (or exec'd) while attached; 1 after printing why
 * it could not attach (or why the trace is incomplete: the path is filled then too when a file
 * was written). */
#define ATTACH_ENDED 3
int attach_run(const attach_opts *o, char *trace, size_t cap);

#endif
