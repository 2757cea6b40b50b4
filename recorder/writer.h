/*
 * writer: the writer thread.  Every pass (at most 20 ms apart, sooner when a ring fills) it takes
 * the records queued by other threads (modules, marks: queue.h), the stacks new to the stack
 * table, and every thread's new events; encodes them (tf), compresses them with one static zstd
 * context into independent frames (a frame ends at least every 100 ms) and writes them.  It also
 * samples RSS.  Only writer_kick, writer_nudge, writer_running and writer_count_dropped are called
 * from the hook path; none of them allocates or takes a lock.
 */
#ifndef LEAKREC_WRITER_H
#define LEAKREC_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct writer_config {
	int fd;           /* the trace file, open for writing; the writer owns it from now on */
	const char *path; /* its name, for messages; must stay valid */
	uint32_t depth;
	int reach;        /* classify the blocks live at the end (reach.h) when the program ends */
	uint64_t sample_rate; /* written into the header (0: every allocation is recorded) */
	uint64_t duration_ns; /* recording stops this long after the start (0: never) */
	uint64_t max_bytes;   /* ... or once the file holds this many bytes (0: never) */
	/* Attached to a running process (leakrec -p): fd is a connected socket to the launcher,
	 * which says when to stop (a byte, or the end of the stream); the header says so. */
	int attached;
	void (*tick)(void);       /* attached: called on the writer thread after every pass */
	void (*detach)(int done); /* attached: called on the writer thread when the launcher says
				   * stop, before the last pass (done 0) and after the END (done 1) */
} writer_config;

/* Writes the header and module map to cfg->fd and starts the writer thread (with every signal
 * blocked, so that signals go to the program's threads and a write beyond `ulimit -f` fails with
 * EFBIG instead of killing the program).  Returns 0, or -errno (nothing is recorded then; the
 * caller says so once).  May be called again in a forked child after writer_atfork_child. */
int writer_start(const writer_config *cfg);
/* From a fatal-signal handler: asks the writer to write everything and the END record, and waits
 * for it (at most about 2 s).  Async-signal-safe. */
void writer_flush_from_signal(void);
/* 1 when called on the writer thread. */
int writer_is_current(void);
/* Wakes the writer now (a ring is filling up). */
void writer_kick(void);
/* writer_kick only when the writer sleeps (a busy writer takes the events at its next pass anyway,
 * and a wake-up is a system call): for the producers' periodic nudge.  A full ring still calls
 * writer_kick. */
void writer_nudge(void);
/* 1 while the writer accepts events. */
int writer_running(void);
/* Stops the writer thread (or, attached, waits for the detach it is doing), writes every pending event, then (when `ends`: the program ends here,
 * and the configuration asks for it) the leak kinds of the blocks still live (REACH records), and
 * the END record; closes the file.  self_sp: the lowest address of the calling thread's stack that
 * holds the program's frames (reach_scan).  (The writer does the same on its own, without the
 * leak kinds and with recording off for good, when the configured duration or size is reached:
 * the program runs on unrecorded.) */
void writer_stop(int ends, uintptr_t self_sp);
/* Counts an event that could not be recorded. */
void writer_count_dropped(void);
/* Clock origin of the trace (prim_now_ns() at start). */
uint64_t writer_origin(void);
/* Before a new trace of the same process (attached again after a detach, the thread of the last
 * one ended): forget the last one's counters and the events left in the rings. */
void writer_reset(void);
/* In a forked child: forget the parent's writer (its thread does not exist here), its file and
 * its pending records; writer_start may then start a new trace. */
void writer_atfork_child(void);

#endif
