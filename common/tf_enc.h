/*
 * tf_enc: the trace format's encoder (recorder side).  tf_enc writes records into a caller-owned
 * buffer; it never allocates and never calls stdio, so it is safe inside the preload library.
 */
#ifndef LEAKREC_TF_ENC_H
#define LEAKREC_TF_ENC_H

#include <stddef.h>
#include <stdint.h>

#include "tf.h"

/* An output buffer owned by the caller.  Writes past cap set `overflow` and are dropped. */
typedef struct tf_enc {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t rec_start; /* where the open record's type byte is */
	int overflow;
} tf_enc;

void tf_enc_init(tf_enc *e, uint8_t *buf, size_t cap);
void tf_enc_u(tf_enc *e, uint64_t v);                      /* unsigned varint */
void tf_enc_s(tf_enc *e, int64_t v);                       /* zigzag varint */
void tf_enc_byte(tf_enc *e, uint8_t b);
void tf_enc_bytes(tf_enc *e, const void *p, size_t n);      /* raw bytes, no length */
void tf_enc_str(tf_enc *e, const void *p, size_t n);        /* length + bytes */
/* Opens a record of the given type; its payload is everything written until tf_enc_end_record. */
void tf_enc_begin_record(tf_enc *e, unsigned type);
/* Closes the open record.  Returns 0, or TF_ESPACE when the buffer overflowed (the record and
 * everything after the last successful record are then discarded: len is rolled back). */
int tf_enc_end_record(tf_enc *e);

/* ---- whole records ---- */

void tf_enc_header(tf_enc *e, const tf_header *h);
void tf_enc_module(tf_enc *e, const tf_module *m);
void tf_enc_module_unload(tf_enc *e, uint64_t id, uint64_t epoch);
void tf_enc_stack(tf_enc *e, uint64_t id, uint64_t epoch, const uint64_t *frames, uint32_t n);
void tf_enc_sync(tf_enc *e, uint64_t time_ns);
void tf_enc_rss(tf_enc *e, uint64_t time_ns, uint64_t rss_bytes);
void tf_enc_mark(tf_enc *e, uint64_t time_ns, uint64_t tid, const char *label, size_t n);
void tf_enc_thread(tf_enc *e, uint64_t tid, const char *name, size_t n);
void tf_enc_end(tf_enc *e, const tf_end *end);
void tf_enc_reach(tf_enc *e, const tf_reach *r);
/* A REACH_BLOCKS record of n blocks: the i-th allocation number is the uint64_t at
 * ids + i * stride bytes, its kind the uint32_t at kinds + i * stride (numbers ascending). */
void tf_enc_reach_blocks(tf_enc *e, const void *ids, const void *kinds, size_t stride, size_t n);

/* Streaming EVENTS encoder: begin, add events in order (at most TF_EVENTS_MAX), finish.  The
 * state and the column buffers live in the tf_enc_events (about 450 KiB: keep it off small stacks), so
 * a record is self-contained.  Times are stored in ticks of 2^shift ns after base_time, rounded
 * down (an event before base_time is stored at base_time): shift 0 keeps nanoseconds.
 * `first_id` is the number the record's first allocation gets; an allocation's ev->id is ignored
 * (it is the next number), a free's ev->id must be below it. */
typedef struct tf_enc_events {
	tf_enc *e;
	uint64_t count;
	uint64_t base;
	uint32_t shift;
	uint64_t ticks;
	uint64_t next_id;
	uint64_t tids[TF_TID_SLOTS];
	int overflow; /* more than TF_EVENTS_MAX events were added */
	tf_enc col[TF_NCOLS];
	uint8_t buf_op[TF_EVENTS_MAX], buf_tid[TF_EVENTS_MAX * 10], buf_dt[TF_EVENTS_MAX * 10];
	uint8_t buf_size[TF_EVENTS_MAX * 10], buf_stack_lo[TF_EVENTS_MAX];
	uint8_t buf_stack_hi[TF_EVENTS_MAX * 10], buf_back_lo[TF_EVENTS_MAX];
	uint8_t buf_back_hi[TF_EVENTS_MAX * 10], buf_inplace[TF_EVENTS_MAX];
} tf_enc_events;

void tf_enc_events_begin(tf_enc_events *w, tf_enc *e, uint64_t base_time, uint32_t shift, uint64_t first_id);
void tf_enc_events_add(tf_enc_events *w, const tf_event *ev);
/* Writes the columns and closes the record.  Returns 0, or TF_ESPACE when the output buffer was
 * too small or more than TF_EVENTS_MAX events were added (the record is then discarded). */
int tf_enc_events_end(tf_enc_events *w);

#endif
