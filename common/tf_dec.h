/*
 * tf_dec: the trace format's decoder (analyzer and launcher side): bounded views of payload
 * bytes, decoded records, and the iterator over an EVENTS record's columns.  Every length and
 * index is checked against the end of its payload; nothing here allocates.
 */
#ifndef LEAKREC_TF_DEC_H
#define LEAKREC_TF_DEC_H

#include <stddef.h>
#include <stdint.h>

#include "tf.h"

/* A bounded view of payload bytes.  All tf_dec_* functions fail with TF_ECORRUPT or TF_ETRUNC
 * rather than read outside [p, end). */
typedef struct tf_dec {
	const uint8_t *p;
	const uint8_t *end;
} tf_dec;

int tf_dec_u(tf_dec *d, uint64_t *v);
int tf_dec_s(tf_dec *d, int64_t *v);
int tf_dec_byte(tf_dec *d, uint8_t *b);
/* Points *s into the payload (not NUL-terminated); valid while the payload is. */
int tf_dec_str(tf_dec *d, const char **s, size_t *n);

/* An EVENTS payload being iterated: the decoder keeps the per-record state. */
typedef struct tf_dec_events {
	uint64_t base_time; /* ns; every event of the record is at or after it */
	uint32_t shift;     /* times are base_time + ticks << shift */
	uint64_t next_id;   /* number of the record's next allocation */
	uint64_t count, done;
	uint64_t ticks;     /* delta state */
	uint64_t tids[TF_TID_SLOTS]; /* most recently used first */
	tf_dec col[TF_NCOLS];
} tf_dec_events;


typedef struct tf_record {
	unsigned type;
	uint64_t offset;   /* file offset of the zstd frame that holds the record */
	const uint8_t *payload;
	size_t len;
	union {
		tf_header header;
		tf_module module;
		tf_module_unload unload;
		tf_stack stack;
		tf_dec_events events; /* iterate with tf_dec_events_read or tf_dec_events_next */
		struct { uint64_t time_ns; } sync;
		struct { uint64_t time_ns, rss_bytes; } rss;
		struct { uint64_t time_ns, tid; const char *label; size_t label_len; } mark;
		struct { uint64_t tid; const char *name; size_t name_len; } thread;
		tf_end end;
		tf_reach reach;
		tf_reach_blocks reach_blocks; /* iterate with tf_dec_reach_next */
	} u;
} tf_record;

/* Decodes the payload of a record of the given type into rec->u.  Unknown types are left
 * undecoded (return 0).  For EVENTS only the record header is decoded: call tf_dec_events_read. */
int tf_dec_record(tf_record *rec);
/* Decodes the next event of an EVENTS record.  Returns 1 with *ev filled, 0 after the last one,
 * or a negative TF_E* code. */
int tf_dec_events_next(tf_dec_events *it, tf_event *ev);
/* Decodes the next events of an EVENTS record into ev[0 .. max), as that many tf_dec_events_next
 * calls would (the fast path for whole records).  Returns 0 with *n events filled (fewer than
 * max at the end of the record, 0 after it), or TF_ECORRUPT at a damaged event: *n then counts
 * the valid events before it.  After an error every later call (and tf_dec_events_next) fails
 * again. */
int tf_dec_events_read(tf_dec_events *it, tf_event *ev, size_t max, size_t *n);

/* The next block of a REACH_BLOCKS record: returns 1 with its allocation number and kind, 0
 * after the last, or TF_ECORRUPT (numbers not ascending, a kind out of range, a damaged varint). */
int tf_dec_reach_next(tf_reach_blocks *it, uint64_t *id, unsigned *kind);

#endif
