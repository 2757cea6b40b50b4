/*
 * tf_enc.c: the trace format's encoder (see tf_enc.h and docs/trace-format.md).  Nothing here
 * allocates or calls stdio, so the recorder can use it inside its hooks.
 */
#include "tf_enc.h"

#include <string.h>

void tf_enc_init(tf_enc *e, uint8_t *buf, size_t cap)
{
	e->buf = buf;
	e->cap = cap;
	e->len = 0;
	e->rec_start = 0;
	e->overflow = 0;
}

void tf_enc_u(tf_enc *e, uint64_t v)
{
	if (e->cap - e->len < 10) {
		e->overflow = 1;
		return;
	}
	e->len += tf_put_uvarint(e->buf + e->len, v);
}

void tf_enc_s(tf_enc *e, int64_t v) { tf_enc_u(e, tf_zigzag(v)); }

void tf_enc_byte(tf_enc *e, uint8_t b)
{
	if (e->len >= e->cap) {
		e->overflow = 1;
		return;
	}
	e->buf[e->len++] = b;
}

void tf_enc_bytes(tf_enc *e, const void *p, size_t n)
{
	if (e->cap - e->len < n) {
		e->overflow = 1;
		return;
	}
	memcpy(e->buf + e->len, p, n);
	e->len += n;
}

void tf_enc_str(tf_enc *e, const void *p, size_t n)
{
	tf_enc_u(e, n);
	tf_enc_bytes(e, p, n);
}

/* A record is written as type, 5 reserved bytes, payload; end_record puts the real length varint
 * in and moves the payload down if the varint is shorter than 5 bytes. */
#define TF_LEN_RESERVE 5

void tf_enc_begin_record(tf_enc *e, unsigned type)
{
	e->overflow = 0;
	e->rec_start = e->len;
	tf_enc_u(e, type);
	if (e->cap - e->len < TF_LEN_RESERVE)
		e->overflow = 1;
	else
		e->len += TF_LEN_RESERVE;
}

int tf_enc_end_record(tf_enc *e)
{
	if (e->overflow) {
		e->len = e->rec_start;
		return TF_ESPACE;
	}
	size_t type_len = 1;
	while (e->buf[e->rec_start + type_len - 1] & 0x80)
		type_len++;
	size_t len_pos = e->rec_start + type_len;
	size_t payload = len_pos + TF_LEN_RESERVE;
	size_t plen = e->len - payload;
	if (plen > TF_MAX_PAYLOAD) {
		e->len = e->rec_start;
		return TF_ESPACE;
	}
	uint8_t tmp[10];
	size_t n = tf_put_uvarint(tmp, plen);
	memcpy(e->buf + len_pos, tmp, n);
	if (n < TF_LEN_RESERVE) {
		memmove(e->buf + len_pos + n, e->buf + payload, plen);
		e->len -= TF_LEN_RESERVE - n;
	}
	return 0;
}

void tf_enc_header(tf_enc *e, const tf_header *h)
{
	tf_enc_begin_record(e, TF_REC_HEADER);
	tf_enc_bytes(e, TF_MAGIC, TF_MAGIC_LEN);
	tf_enc_u(e, TF_VERSION);
	tf_enc_u(e, h->pid);
	tf_enc_u(e, h->ppid);
	tf_enc_u(e, h->clock_origin_ns);
	tf_enc_u(e, h->realtime_ns);
	tf_enc_u(e, h->max_depth);
	tf_enc_str(e, h->exe, h->exe_len);
	tf_enc_u(e, h->argc);
	tf_enc_str(e, h->argv, h->argv_len);
	/* Additions within version 1, each absent when it and every later one are 0. */
	if (h->sample_rate || h->attached)
		tf_enc_u(e, h->sample_rate);
	if (h->attached)
		tf_enc_u(e, h->attached);
	tf_enc_end_record(e);
}

void tf_enc_module(tf_enc *e, const tf_module *m)
{
	tf_enc_begin_record(e, TF_REC_MODULE_LOAD);
	tf_enc_u(e, m->id);
	tf_enc_u(e, m->epoch);
	tf_enc_u(e, m->bias);
	tf_enc_str(e, m->path, m->path_len);
	tf_enc_str(e, m->build_id, m->build_id_len);
	tf_enc_u(e, m->nseg);
	for (uint32_t i = 0; i < m->nseg; i++) {
		tf_enc_u(e, m->seg[i].vaddr);
		tf_enc_u(e, m->seg[i].memsz);
		tf_enc_u(e, m->seg[i].offset);
		tf_enc_u(e, m->seg[i].flags);
	}
	tf_enc_end_record(e);
}

void tf_enc_module_unload(tf_enc *e, uint64_t id, uint64_t epoch)
{
	tf_enc_begin_record(e, TF_REC_MODULE_UNLOAD);
	tf_enc_u(e, id);
	tf_enc_u(e, epoch);
	tf_enc_end_record(e);
}

void tf_enc_stack(tf_enc *e, uint64_t id, uint64_t epoch, const uint64_t *frames, uint32_t n)
{
	tf_enc_begin_record(e, TF_REC_STACK);
	tf_enc_u(e, id);
	tf_enc_u(e, epoch);
	tf_enc_u(e, n);
	uint64_t prev = 0;
	for (uint32_t i = 0; i < n; i++) {
		tf_enc_s(e, (int64_t)(frames[i] - prev));
		prev = frames[i];
	}
	tf_enc_end_record(e);
}

void tf_enc_sync(tf_enc *e, uint64_t time_ns)
{
	tf_enc_begin_record(e, TF_REC_SYNC);
	tf_enc_u(e, time_ns);
	tf_enc_end_record(e);
}

void tf_enc_rss(tf_enc *e, uint64_t time_ns, uint64_t rss_bytes)
{
	tf_enc_begin_record(e, TF_REC_RSS);
	tf_enc_u(e, time_ns);
	tf_enc_u(e, rss_bytes);
	tf_enc_end_record(e);
}

void tf_enc_mark(tf_enc *e, uint64_t time_ns, uint64_t tid, const char *label, size_t n)
{
	tf_enc_begin_record(e, TF_REC_MARK);
	tf_enc_u(e, time_ns);
	tf_enc_u(e, tid);
	tf_enc_str(e, label, n);
	tf_enc_end_record(e);
}

void tf_enc_thread(tf_enc *e, uint64_t tid, const char *name, size_t n)
{
	tf_enc_begin_record(e, TF_REC_THREAD);
	tf_enc_u(e, tid);
	tf_enc_str(e, name, n);
	tf_enc_end_record(e);
}

void tf_enc_end(tf_enc *e, const tf_end *end)
{
	tf_enc_begin_record(e, TF_REC_END);
	tf_enc_u(e, end->time_ns);
	tf_enc_u(e, end->allocs);
	tf_enc_u(e, end->frees);
	tf_enc_u(e, end->events);
	tf_enc_u(e, end->dropped);
	tf_enc_u(e, end->stacks);
	tf_enc_u(e, end->modules);
	tf_enc_u(e, end->threads);
	tf_enc_u(e, end->unmatched_frees);
	tf_enc_u(e, end->implicit_frees);
	if (end->have_calls) {
		tf_enc_u(e, end->calls_allocs);
		tf_enc_u(e, end->calls_frees);
	}
	tf_enc_end_record(e);
}

void tf_enc_reach(tf_enc *e, const tf_reach *r)
{
	tf_enc_begin_record(e, TF_REC_REACH);
	tf_enc_u(e, r->scanned);
	tf_enc_u(e, r->scan_ns);
	tf_enc_u(e, r->root_bytes);
	tf_enc_u(e, r->heap_bytes);
	tf_enc_u(e, r->threads);
	tf_enc_u(e, r->threads_stopped);
	tf_enc_str(e, r->note, r->note_len);
	tf_enc_end_record(e);
}

void tf_enc_reach_blocks(tf_enc *e, const void *ids, const void *kinds, size_t stride, size_t n)
{
	const uint8_t *pi = ids, *pk = kinds;
	tf_enc_begin_record(e, TF_REC_REACH_BLOCKS);
	tf_enc_u(e, n);
	for (size_t i = 0; i < n; i++) {
		uint32_t k;
		memcpy(&k, pk + i * stride, sizeof(k));
		tf_enc_byte(e, (uint8_t)k);
	}
	uint64_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t id;
		memcpy(&id, pi + i * stride, sizeof(id));
		tf_enc_u(e, id - prev);
		prev = id;
	}
	tf_enc_end_record(e);
}

void tf_enc_events_begin(tf_enc_events *w, tf_enc *e, uint64_t base_time, uint32_t shift, uint64_t first_id)
{
	w->e = e;
	w->count = 0;
	w->overflow = 0;
	w->base = base_time;
	w->shift = shift > TF_MAX_SHIFT ? TF_MAX_SHIFT : shift;
	w->ticks = 0;
	w->next_id = first_id;
	memset(w->tids, 0, sizeof(w->tids));
	tf_enc_init(&w->col[TF_COL_OP], w->buf_op, sizeof(w->buf_op));
	tf_enc_init(&w->col[TF_COL_TID], w->buf_tid, sizeof(w->buf_tid));
	tf_enc_init(&w->col[TF_COL_DT], w->buf_dt, sizeof(w->buf_dt));
	tf_enc_init(&w->col[TF_COL_SIZE], w->buf_size, sizeof(w->buf_size));
	tf_enc_init(&w->col[TF_COL_STACK_LO], w->buf_stack_lo, sizeof(w->buf_stack_lo));
	tf_enc_init(&w->col[TF_COL_STACK_HI], w->buf_stack_hi, sizeof(w->buf_stack_hi));
	tf_enc_init(&w->col[TF_COL_BACK_LO], w->buf_back_lo, sizeof(w->buf_back_lo));
	tf_enc_init(&w->col[TF_COL_BACK_HI], w->buf_back_hi, sizeof(w->buf_back_hi));
	tf_enc_init(&w->col[TF_COL_INPLACE], w->buf_inplace, sizeof(w->buf_inplace));
	tf_enc_begin_record(e, TF_REC_EVENTS);
	tf_enc_u(e, base_time);
	tf_enc_u(e, w->shift);
	tf_enc_u(e, first_id);
}

/* Move-to-front table of the last threads: returns the slot of tid (moving it to the front), or
 * TF_TID_SLOTS when it is not there (then it is pushed in front). */
static unsigned tid_slot(uint64_t *tids, uint64_t tid)
{
	unsigned k = 0;
	while (k < TF_TID_SLOTS && tids[k] != tid)
		k++;
	unsigned slot = k;
	if (k == TF_TID_SLOTS)
		k = TF_TID_SLOTS - 1;
	memmove(tids + 1, tids, k * sizeof(*tids));
	tids[0] = tid;
	return slot;
}

void tf_enc_events_add(tf_enc_events *w, const tf_event *ev)
{
	if (w->count >= TF_EVENTS_MAX) {
		w->overflow = 1;
		return;
	}
	tf_enc *c = w->col;
	unsigned slot = tid_slot(w->tids, ev->tid);
	tf_enc_byte(&c[TF_COL_OP], (uint8_t)(ev->kind | (ev->func << 2) | (slot << 6)));
	if (slot == TF_TID_SLOTS)
		tf_enc_u(&c[TF_COL_TID], ev->tid);
	/* Events are in time order; a clock that stepped back is clamped. */
	uint64_t t = ev->time_ns > w->base ? (ev->time_ns - w->base) >> w->shift : 0;
	if (t < w->ticks)
		t = w->ticks;
	tf_enc_u(&c[TF_COL_DT], t - w->ticks);
	w->ticks = t;
	if (ev->kind == TF_EV_ALLOC || ev->kind == TF_EV_RALLOC) {
		tf_enc_u(&c[TF_COL_SIZE], ev->size);
		tf_enc_byte(&c[TF_COL_STACK_LO], (uint8_t)ev->stack);
		tf_enc_u(&c[TF_COL_STACK_HI], ev->stack >> 8);
		if (ev->kind == TF_EV_RALLOC)
			tf_enc_byte(&c[TF_COL_INPLACE], ev->inplace ? 1 : 0);
		w->next_id++;
	} else {
		uint64_t back = w->next_id - ev->id; /* >= 1: how many allocations back */
		tf_enc_byte(&c[TF_COL_BACK_LO], (uint8_t)back);
		tf_enc_u(&c[TF_COL_BACK_HI], back >> 8);
	}
	w->count++;
}

int tf_enc_events_end(tf_enc_events *w)
{
	tf_enc *e = w->e;
	tf_enc_u(e, w->count);
	for (int i = 0; i < TF_NCOLS; i++) {
		if (w->col[i].overflow)
			w->overflow = 1;
		tf_enc_str(e, w->col[i].buf, w->col[i].len);
	}
	if (w->overflow)
		e->overflow = 1;
	return tf_enc_end_record(e);
}
