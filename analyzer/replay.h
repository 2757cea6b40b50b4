/*
 * replay: streams the records of a trace and replays its heap events in global time order
 * (prefix replay_).
 *
 * The recorder writes every thread's events in one global time order, and a free names the
 * allocation it releases by number (docs/trace-format.md), so replay applies events in file
 * order.  Memory grows with the live allocations, the distinct stacks and the threads, not with
 * the number of events.
 *
 * The result: a live map allocation -> (size, stack, time, thread); per-stack figures (allocations,
 * bytes, live, temporary, live at the global peak, exactly); global figures with a histogram of
 * allocation sizes; the lifetimes and byte-seconds per stack (lifetime.h); the header, module
 * records, marks and stacks.  Observers see every processed
 * event in merged order (growth, dump --merged).  Symbolization is not done here: the module
 * records are kept for the reports.
 *
 * A window [from, to) (replay_set_window) restricts the figures to a stretch of the run: every event
 * is still replayed from the start (the live map needs them), but only events processed once the
 * window opened (the first event at or after `from`) are counted; the first event at or after
 * `to` closes it and nothing after it is applied.  Within a window: allocations, bytes, frees,
 * temporaries and the histogram count what happened in it; the peak is the largest heap in it
 * (the heap as the window opens included); "live" per stack means allocated in the window and
 * still live at its end, and the heap_* figures every block live at its end.  replay_scan_times reads
 * a trace's duration and marks beforehand, so a window can be given in percent or by mark.
 */
#ifndef LEAKREC_REPLAY_H
#define LEAKREC_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "lifetime.h"
#include "tf_reader.h"

enum {
	REPLAY_OK = 0,
	REPLAY_ENOMEM = -1,   /* out of memory */
	REPLAY_ENOTRACE = -2, /* nothing could be read: no header (the reason went to the warn callback) */
	REPLAY_EINVAL = -3,   /* bad argument (replay_run called twice, ...) */
};

/* Returns a static description of an REPLAY_E* code. */
const char *replay_strerror(int err);

typedef struct replay_ctx replay_ctx;

/* How replay booked an event (replay_event.status). */
enum replay_status {
	REPLAY_ST_OK = 0,        /* applied normally */
	REPLAY_ST_FIXUP,         /* an implicit FREE (the recorder saw the address handed out again
				  * without a recorded free), or an ALLOC/RALLOC whose number is
				  * still live (a damaged trace): the older block was freed */
	REPLAY_ST_STALE,         /* FREE/RFREE older than the block it names: ignored */
	REPLAY_ST_UNMATCHED,     /* FREE/RFREE of an allocation that is not live: ignored */
	REPLAY_ST_INVALID,       /* ALLOC/RALLOC numbered 2^64-1 (it has no key): ignored */
};

/* One processed event, as handed to observers (valid during the callback only). */
typedef struct replay_event {
	uint64_t time_ns; /* relative to the header's clock origin */
	uint64_t tid;
	uint8_t kind;     /* TF_EV_* */
	uint8_t func;     /* TF_FN_* */
	uint8_t status;   /* REPLAY_ST_* */
	uint8_t temporary; /* FREE of a temporary allocation */
	uint8_t counted;  /* ALLOC/RALLOC counted as an allocation */
	uint64_t id;      /* the allocation's number; FREE/RFREE: the number of the one released */
	uint64_t size;    /* ALLOC/RALLOC: requested size; FREE/RFREE: size of the freed block (in a
			   * sampled trace: the bytes it stands for, estimate.h) */
	uint64_t stack;   /* ALLOC/RALLOC: stack id; FREE/RFREE: stack id of the freed block */
	uint64_t heap_bytes; /* live heap bytes after the event */
	uint64_t stack_live_bytes; /* ALLOC/RALLOC, FREE/RFREE applied: live bytes of `stack` after
				    * the event (every block of it, wherever the window starts) */
	uint32_t stack_index;  /* index of `stack` for replay_stack_at (valid with stack_live_bytes) */
	uint8_t in_window;     /* processed while the window is open (always, without a window) */
	uint64_t recorded_size; /* the size as recorded (= size in a full trace) */
} replay_event;

/* Observer of processed events (merged order) and RSS samples (file order).  Either function may
 * be NULL; ctx is passed back unchanged. */
typedef struct replay_observer {
	void (*event)(void *ctx, const replay_event *ev);
	void (*rss)(void *ctx, uint64_t time_ns, uint64_t rss_bytes);
	void *ctx;
} replay_observer;

/* Receives one line of diagnostic text per problem (no file name, no newline), e.g.
 * "truncated at byte 12345 (last frame incomplete); reporting what came before". */
typedef void (*replay_warn_fn)(void *ctx, const char *msg);

/* Per-stack figures.  Valid (peak_* included) after replay_run returned 0. */
typedef struct replay_stack {
	uint64_t id;
	uint64_t epoch;
	int defined;              /* a STACK record was read for this id */
	uint32_t nframes;
	const uint64_t *frames;   /* innermost first, call-site addresses; owned by the replay_ctx */
	uint64_t allocations;     /* calls that returned memory (realloc: when it moved or grew) */
	uint64_t allocated_bytes; /* sum of requested sizes of those allocations */
	uint64_t live_bytes;      /* still allocated (at the end of the trace after replay_run) */
	uint64_t live_allocations;
	uint64_t temporary;       /* freed by the same thread before it allocated anything else
				   * (0 in a sampled trace: not estimated) */
	uint64_t peak_bytes;      /* live at the moment of the global heap peak */
	uint64_t peak_allocations;
	/* Every block of this stack live at the end (of the window), including blocks allocated
	 * before the window opened; without a window equal to live_*. */
	uint64_t heap_bytes;
	uint64_t heap_allocations;
	/* Of live_*: the blocks by leak kind (index TF_REACH_*; 0 unused), when the trace has the
	 * scan's results and they apply (replay_summary.reach_applies). */
	uint64_t kind_bytes[TF_REACH_KINDS];
	uint64_t kind_allocations[TF_REACH_KINDS];
} replay_stack;

/* A mark recorded by leakrec_mark() (label owned by whoever handed out the replay_mark). */
typedef struct replay_mark {
	uint64_t time_ns;
	uint64_t tid;
	const char *label; /* NUL-terminated; a label holding NUL bytes is cut at the first */
} replay_mark;

/* Allocation size classes of the histogram: class 0 holds sizes 0-15, class k >= 1 the sizes
 * [2^(k+3), 2^(k+4)); the last class ends at 2^64. */
#define REPLAY_SIZE_CLASSES 61
typedef struct replay_size_class {
	uint64_t allocations, bytes; /* counted allocations (as summary.allocations) and their bytes */
} replay_size_class;

/* Returns the size class of a requested size (< REPLAY_SIZE_CLASSES).  Without a branch (it runs
 * for every allocation, and sizes below 16 come and go unpredictably): size | 8 has the top bit
 * of size when size >= 16, and bit 3 (class 0) below. */
static inline unsigned replay_size_class_of(uint64_t size)
{
	return (unsigned)(63 - __builtin_clzll(size | 8)) - 3u;
}
/* Returns the smallest size of class k (k < REPLAY_SIZE_CLASSES). */
static inline uint64_t replay_size_class_min(unsigned k) { return k ? (uint64_t)1 << (k + 3) : 0; }

/* The trace header, copied (strings owned by the replay_ctx, NUL-terminated). */
typedef struct replay_header {
	uint32_t version, pid, ppid, max_depth;
	uint64_t clock_origin_ns, realtime_ns;
	const char *exe;
	uint32_t argc;
	const char *const *argv;
	uint64_t sample_rate; /* mean bytes between sampled allocations; 0: a full trace */
	int attached;         /* 1: recorded by attaching to a running process (leakrec -p): blocks
			       * allocated before are unknown, and summary.unmatched_frees counts
			       * their frees (expected, no anomaly) */
} replay_header;

/* A module load or unload record, in file order (strings owned by the replay_ctx). */
typedef struct replay_modrec {
	int unload;        /* 1: only mod.id and mod.epoch are meaningful */
	tf_module mod;     /* mod.path points at a NUL-terminated copy */
} replay_modrec;

/* Global figures.  Valid after replay_run. */
typedef struct replay_summary {
	int have_header, have_end;
	tf_end end;                /* the END record, when have_end */
	uint64_t duration_ns;      /* END time, else the latest time seen */
	uint64_t allocations, frees, allocated_bytes, temporary;
	uint64_t heap_bytes, live_allocations; /* at the end */
	uint64_t peak_heap_bytes, peak_time_ns, peak_allocations;
	uint64_t peak_rss_bytes, peak_rss_time_ns, rss_samples;
	uint64_t records, events_read, syncs;
	uint64_t fixups;           /* implicit frees, and allocations of a still-live number (the
				    * older block freed): REPLAY_ST_FIXUP */
	uint64_t stale_frees;      /* frees older than the block they name (ignored) */
	uint64_t unmatched_frees;  /* frees of allocations that were not live (ignored), and the
				    * frees of unknown pointers the recorder counted (END record) */
	uint64_t invalid_events;   /* allocations numbered 2^64-1 (ignored) */
	uint64_t late_events;      /* events whose time is before an earlier event's (0 in a sane trace) */
	uint64_t undefined_stacks; /* stack ids referenced by events but never defined */
	int damaged;               /* a truncation or corruption was reported */
	/* Why the trace is incomplete (the first reason found), "" when it is complete: an END
	 * record that agrees with what was read, no damage, nothing dropped. */
	char incomplete[192];
	/* The window the figures describe: [window_from_ns, window_to_ns), window_to_ns clamped to
	 * duration_ns; without a window [0, duration_ns).  duration_ns stays the whole run's. */
	int windowed;
	uint64_t window_from_ns, window_to_ns;
	replay_size_class sizes[REPLAY_SIZE_CLASSES]; /* the histogram of allocation sizes */
	/* The reachability scan at the end (REACH records).  have_reach: its record was read
	 * (reach.note points at reach_note); reach_applies: it scanned and its kinds were booked
	 * (not with a window that ends before the trace does); reach_unknown: blocks it named that
	 * were not live here, or live blocks it did not name (0 in a sane trace). */
	int have_reach, reach_applies;
	tf_reach reach;
	char reach_note[192];
	uint64_t reach_unknown;
} replay_summary;

/* Creates an empty replay.  Returns 0 and *out, or REPLAY_ENOMEM.  Free with replay_free. */
int replay_create(replay_ctx **out);
/* Frees the replay and everything it handed out.  Accepts NULL. */
void replay_free(replay_ctx *rp);

/* Installs an observer (copied); call before replay_run.  NULL removes it. */
void replay_set_observer(replay_ctx *rp, const replay_observer *obs);
/* Keeps no lifetimes (replay_get_lifetimes then returns NULL): for the outputs that show none,
 * which then save the per-free work.  Call before replay_run. */
void replay_skip_lifetimes(replay_ctx *rp);
/* Installs the diagnostics callback; without one, diagnostics are dropped. */
void replay_set_warn(replay_ctx *rp, replay_warn_fn fn, void *ctx);
/* Restricts the figures to the window [from_ns, to_ns) (see above); call before replay_run.
 * to_ns = UINT64_MAX: to the end of the trace.  Returns 0, or REPLAY_EINVAL when from_ns > to_ns. */
int replay_set_window(replay_ctx *rp, uint64_t from_ns, uint64_t to_ns);

/* Reads every record of `r` (owned by the caller, left open) and replays it.  Problems in the
 * input (truncation, corruption, counters of the END record that do not match) go to the warn
 * callback, one line each, and reading goes on where it can.  Returns 0 when a header was read
 * (the figures then describe everything before the damage), REPLAY_ENOTRACE when nothing could be
 * read, REPLAY_ENOMEM, or REPLAY_EINVAL on a second call. */
int replay_run(replay_ctx *rp, tf_reader *r);

/* Reads every record of r (borrowed, left open) in file order: each record goes to on_record,
 * whose non-zero return stops the reading and is returned; each read error goes to on_error (may
 * be NULL) with the byte offset where it was found, once for a corrupt stretch that yields
 * several errors in a row.  The loop of replay_run, replay_scan_times and the dump command.
 * Returns 0 at the end of the file (an empty file included), REPLAY_ENOMEM, or what on_record
 * returned. */
int replay_read_records(tf_reader *r, int (*on_record)(void *ctx, tf_record *rec),
			void (*on_error)(void *ctx, int rc, uint64_t offset), void *ctx);

/* Formats the message for a tf_reader_next error (rc < 0 at byte offset `off`) into buf;
 * `after_header` says whether a header had been read.  Shared by the dump command. */
void replay_format_read_error(char *buf, size_t n, int rc, uint64_t off, int after_header);

/* Accessors; the returned pointers are owned by the replay_ctx and valid until replay_free.  From an
 * observer callback during replay_run, stack pointers are valid only until the callback returns
 * (the stack table may grow) and peak_* are not yet computed. */
const replay_summary *replay_get_summary(const replay_ctx *rp);
/* The lifetimes and byte-seconds per stack index (lifetime.h): every block the replay released
 * or held at the end (of the window), each by the stack index of its ALLOC or RALLOC.  Owned by
 * the replay; not const although the replay is, since lifetime_figures_of reorders the kept
 * lifetimes (the figures stay the same). */
lifetime_tab *replay_get_lifetimes(const replay_ctx *rp);
const replay_header *replay_get_header(const replay_ctx *rp);
size_t replay_stack_count(const replay_ctx *rp);
const replay_stack *replay_stack_at(const replay_ctx *rp, size_t i); /* i < replay_stack_count */
/* Returns the stack with this id, or NULL when it was never seen. */
const replay_stack *replay_stack_find(const replay_ctx *rp, uint64_t id);
size_t replay_modrec_count(const replay_ctx *rp);
const replay_modrec *replay_modrec_at(const replay_ctx *rp, size_t i);
/* The marks of the whole trace (not only the window's), in file order. */
size_t replay_mark_count(const replay_ctx *rp);
const replay_mark *replay_mark_at(const replay_ctx *rp, size_t i);

/* ---- a quick first pass: duration and marks, before choosing a window ---- */

typedef struct replay_times replay_times;

/* Reads every record of `r` (borrowed, left open; read it with a fresh reader afterwards) without
 * replaying anything: the duration the replay will report (END time, else the latest time of
 * any record or event; the same figure as replay_summary.duration_ns) and the marks.  Damage is
 * skipped silently (the replay reports it).  Returns 0 and *out (free with replay_times_free), or
 * REPLAY_ENOMEM, or REPLAY_ENOTRACE when no header could be read. */
int replay_scan_times(replay_times **out, tf_reader *r);
/* Frees the result of replay_scan_times.  Accepts NULL. */
void replay_times_free(replay_times *t);
uint64_t replay_times_duration(const replay_times *t);
size_t replay_times_mark_count(const replay_times *t);
/* The i-th mark in file order (owned by t). */
const replay_mark *replay_times_mark_at(const replay_times *t, size_t i);

#endif
