/*
 * tf_dec.c: the trace format's decoder (see tf_dec.h and docs/trace-format.md).  Every decoder
 * checks each length and index against the end of its payload.
 */
#include "tf_dec.h"

#include <string.h>

int tf_dec_u(tf_dec *d, uint64_t *v)
{
	uint64_t r = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (d->p >= d->end)
			return TF_ETRUNC;
		uint8_t b = *d->p++;
		if (shift == 63 && b > 1)
			return TF_ECORRUPT;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return TF_ECORRUPT;
}

int tf_dec_s(tf_dec *d, int64_t *v)
{
	uint64_t u;
	int rc = tf_dec_u(d, &u);
	if (rc == 0)
		*v = tf_unzigzag(u);
	return rc;
}

int tf_dec_byte(tf_dec *d, uint8_t *b)
{
	if (d->p >= d->end)
		return TF_ETRUNC;
	*b = *d->p++;
	return 0;
}

int tf_dec_str(tf_dec *d, const char **s, size_t *n)
{
	uint64_t len;
	int rc = tf_dec_u(d, &len);
	if (rc)
		return rc;
	if (len > (uint64_t)(d->end - d->p))
		return TF_ETRUNC;
	*s = (const char *)d->p;
	*n = (size_t)len;
	d->p += len;
	return 0;
}

/* Helpers that keep the decoders below readable: each evaluates to a return on error. */
#define DU(v)                                                                                      \
	do {                                                                                       \
		uint64_t tmp_;                                                                     \
		int rc_ = tf_dec_u(&d, &tmp_);                                                     \
		if (rc_)                                                                           \
			return rc_;                                                                \
		(v) = tmp_;                                                                        \
	} while (0)
#define DU32(v)                                                                                    \
	do {                                                                                       \
		uint64_t tmp32_;                                                                   \
		DU(tmp32_);                                                                        \
		if (tmp32_ > UINT32_MAX)                                                           \
			return TF_ECORRUPT;                                                        \
		(v) = (uint32_t)tmp32_;                                                            \
	} while (0)
#define DSTR(s, n)                                                                                 \
	do {                                                                                       \
		int rc_ = tf_dec_str(&d, &(s), &(n));                                              \
		if (rc_)                                                                           \
			return rc_;                                                                \
	} while (0)

static int dec_header(tf_dec d, tf_header *h)
{
	if ((size_t)(d.end - d.p) < TF_MAGIC_LEN || memcmp(d.p, TF_MAGIC, TF_MAGIC_LEN) != 0)
		return TF_EMAGIC;
	d.p += TF_MAGIC_LEN;
	DU32(h->version);
	if (h->version > TF_VERSION)
		return TF_EVERSION;
	DU32(h->pid);
	DU32(h->ppid);
	DU(h->clock_origin_ns);
	DU(h->realtime_ns);
	DU32(h->max_depth);
	DSTR(h->exe, h->exe_len);
	DU32(h->argc);
	DSTR(h->argv, h->argv_len);
	/* argv must hold exactly argc NUL-terminated strings. */
	uint32_t nul = 0;
	for (size_t i = 0; i < h->argv_len; i++)
		nul += h->argv[i] == '\0';
	if (nul != h->argc || (h->argv_len && h->argv[h->argv_len - 1] != '\0'))
		return TF_ECORRUPT;
	/* Additions within version 1: absent in older traces, and when 0 (and no later one) */
	h->sample_rate = 0;
	h->attached = 0;
	if (d.p < d.end)
		DU(h->sample_rate);
	if (d.p < d.end)
		DU32(h->attached);
	return 0;
}

static int dec_module(tf_dec d, tf_module *m)
{
	const char *bid;
	size_t bid_len;
	DU(m->id);
	DU(m->epoch);
	DU(m->bias);
	DSTR(m->path, m->path_len);
	DSTR(bid, bid_len);
	if (bid_len > TF_MAX_BUILD_ID)
		return TF_ECORRUPT;
	memcpy(m->build_id, bid, bid_len);
	m->build_id_len = bid_len;
	DU32(m->nseg);
	if (m->nseg > TF_MAX_SEGMENTS)
		return TF_ECORRUPT;
	for (uint32_t i = 0; i < m->nseg; i++) {
		DU(m->seg[i].vaddr);
		DU(m->seg[i].memsz);
		DU(m->seg[i].offset);
		DU32(m->seg[i].flags);
	}
	return 0;
}

static int dec_stack(tf_dec d, tf_stack *s)
{
	DU(s->id);
	DU(s->epoch);
	DU32(s->nframes);
	if (s->nframes > TF_MAX_FRAMES)
		return TF_ECORRUPT;
	uint64_t prev = 0;
	for (uint32_t i = 0; i < s->nframes; i++) {
		int64_t delta;
		int rc = tf_dec_s(&d, &delta);
		if (rc)
			return rc;
		prev += (uint64_t)delta;
		s->frames[i] = prev;
	}
	return 0;
}

static int dec_end(tf_dec d, tf_end *e)
{
	DU(e->time_ns);
	DU(e->allocs);
	DU(e->frees);
	DU(e->events);
	DU(e->dropped);
	DU(e->stacks);
	DU(e->modules);
	DU(e->threads);
	/* added in the same version; absent in traces of early builds */
	e->unmatched_frees = e->implicit_frees = e->calls_allocs = e->calls_frees = 0;
	e->have_calls = 0;
	if (d.p < d.end)
		DU(e->unmatched_frees);
	if (d.p < d.end)
		DU(e->implicit_frees);
	if (d.p < d.end) {
		DU(e->calls_allocs);
		DU(e->calls_frees);
		e->have_calls = 1;
	}
	return 0;
}

int tf_dec_record(tf_record *rec)
{
	tf_dec d = {rec->payload, rec->payload + rec->len};
	switch (rec->type) {
	case TF_REC_HEADER:
		return dec_header(d, &rec->u.header);
	case TF_REC_MODULE_LOAD:
		return dec_module(d, &rec->u.module);
	case TF_REC_MODULE_UNLOAD:
		DU(rec->u.unload.id);
		DU(rec->u.unload.epoch);
		return 0;
	case TF_REC_STACK:
		return dec_stack(d, &rec->u.stack);
	case TF_REC_EVENTS: {
		tf_dec_events *it = &rec->u.events;
		DU(it->base_time);
		DU32(it->shift);
		DU(it->next_id);
		DU(it->count);
		if (it->shift > TF_MAX_SHIFT || it->count > TF_EVENTS_MAX)
			return TF_ECORRUPT;
		for (int i = 0; i < TF_NCOLS; i++) {
			const char *p;
			size_t n;
			DSTR(p, n);
			it->col[i].p = (const uint8_t *)p;
			it->col[i].end = (const uint8_t *)p + n;
		}
		it->done = 0;
		it->ticks = 0;
		memset(it->tids, 0, sizeof(it->tids));
		return 0;
	}
	case TF_REC_SYNC:
		DU(rec->u.sync.time_ns);
		return 0;
	case TF_REC_RSS:
		DU(rec->u.rss.time_ns);
		DU(rec->u.rss.rss_bytes);
		return 0;
	case TF_REC_MARK:
		DU(rec->u.mark.time_ns);
		DU(rec->u.mark.tid);
		DSTR(rec->u.mark.label, rec->u.mark.label_len);
		return 0;
	case TF_REC_THREAD:
		DU(rec->u.thread.tid);
		DSTR(rec->u.thread.name, rec->u.thread.name_len);
		return 0;
	case TF_REC_END:
		return dec_end(d, &rec->u.end);
	case TF_REC_REACH: {
		tf_reach *r = &rec->u.reach;
		DU32(r->scanned);
		DU(r->scan_ns);
		DU(r->root_bytes);
		DU(r->heap_bytes);
		DU32(r->threads);
		DU32(r->threads_stopped);
		DSTR(r->note, r->note_len);
		return r->scanned > 1 ? TF_ECORRUPT : 0;
	}
	case TF_REC_REACH_BLOCKS: {
		tf_reach_blocks *b = &rec->u.reach_blocks;
		DU(b->count);
		if (b->count > (uint64_t)(d.end - d.p))
			return TF_ECORRUPT;
		b->kinds = d.p;
		b->p = d.p + b->count;
		b->end = d.end;
		b->done = b->prev = 0;
		return 0;
	}
	}
	return 0; /* unknown record types are skipped by readers */
}

int tf_dec_reach_next(tf_reach_blocks *it, uint64_t *id, unsigned *kind)
{
	if (it->done >= it->count)
		return 0;
	tf_dec d = {it->p, it->end};
	uint64_t delta;
	int rc = tf_dec_u(&d, &delta);
	if (rc)
		return TF_ECORRUPT;
	unsigned k = it->kinds[it->done];
	if (k < TF_REACH_DEFINITELY_LOST || k >= TF_REACH_KINDS || (it->done && !delta) ||
	    delta > UINT64_MAX - it->prev)
		return TF_ECORRUPT;
	it->p = d.p;
	it->prev += delta;
	it->done++;
	*id = it->prev;
	*kind = k;
	return 1;
}

/* The varint at *pp (column end `end`), the one- and two-byte cases inline (sizes of 128 bytes
 * to 16 KiB take two); advances *pp. */
static inline int dec_u_col(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	if (p < end && *p < 0x80) {
		*v = *p;
		*pp = p + 1;
		return 0;
	}
	if (end - p >= 2 && p[1] < 0x80) {
		*v = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
		*pp = p + 2;
		return 0;
	}
	tf_dec d = {p, end};
	int rc = tf_dec_u(&d, v);
	*pp = d.p;
	return rc;
}

/*
 * The event decoder proper, column by column.  The analyzer replays tens of millions of events:
 * decoding them one at a time costs a branch on the event's kind per column (allocations and
 * frees interleave unpredictably) and keeps nine column positions in memory.  Here the columns
 * are read in three loops over a chunk of events, each with few positions to keep in registers:
 * the columns every event has (op, tid, dt: kinds, functions, threads, times; this loop also
 * lists which events are allocations and which are frees), then the allocations' columns, then
 * the frees'.
 *
 * Damage: an event is valid when every check of every column holds for it (the checks of one
 * event depend only on the events before it), so each pass stops at its first bad event and the
 * later passes go no further than the earliest stop so far; the chunk's valid events are those
 * before the earliest of all.  That is exactly the set a decoder taking one event at a time would
 * return before failing.
 */
#define TF_READ_CHUNK 256

/* Decodes up to max (<= TF_READ_CHUNK) events into ev.  Returns how many are valid; fewer than
 * max means the next one is damaged, and the iterator is then left in an error state (see
 * tf_dec_events_read). */
static size_t read_chunk(tf_dec_events *it, tf_event *ev, size_t max)
{
	uint16_t alloc_at[TF_READ_CHUNK], free_at[TF_READ_CHUNK];
	uint16_t allocs_before[TF_READ_CHUNK]; /* per free: the chunk's allocations before it */
	size_t lim = max, na = 0, nf = 0, k, j;

	/* op, tid and dt columns: kinds, functions, threads, times */
	const uint8_t *op = it->col[TF_COL_OP].p;
	if ((size_t)(it->col[TF_COL_OP].end - op) < lim)
		lim = (size_t)(it->col[TF_COL_OP].end - op);
	const uint8_t *tp = it->col[TF_COL_TID].p, *tend = it->col[TF_COL_TID].end;
	uint64_t t0 = it->tids[0], t1 = it->tids[1], t2 = it->tids[2];
	const uint8_t *dp = it->col[TF_COL_DT].p, *dend = it->col[TF_COL_DT].end;
	const uint64_t base = it->base_time;
	const unsigned shift = it->shift;
	/* The largest tick count whose time base + ticks << shift neither overflows the shift nor
	 * the sum: one comparison per event for both checks (ticks never exceeds it). */
	uint64_t tick_lim = UINT64_MAX >> shift;
	if (tick_lim > (UINT64_MAX - base) >> shift)
		tick_lim = (UINT64_MAX - base) >> shift;
	uint64_t ticks = it->ticks;
	for (k = 0; k < lim; k++) {
		unsigned o = op[k];
		unsigned kind = o & 3, func = (o >> 2) & 15, slot = o >> 6;
		if (func >= TF_FN_COUNT)
			break;
		uint64_t tid;
		if (slot == TF_TID_SLOTS) {
			if (dec_u_col(&tp, tend, &tid))
				break;
		} else {
			tid = slot == 0 ? t0 : slot == 1 ? t1 : t2;
		}
		/* Move to front as the encoder's tid_slot does: the first entry equal to tid moves
		 * (with duplicate entries that need not be `slot`), else the last one drops out. */
		if (tid != t0) {
			if (tid != t1)
				t2 = t1;
			t1 = t0;
			t0 = tid;
		}
		uint64_t dt;
		if (dec_u_col(&dp, dend, &dt) || dt > tick_lim - ticks)
			break;
		ticks += dt;
		tf_event *e = &ev[k];
		e->kind = (uint8_t)kind;
		e->func = (uint8_t)func;
		e->tid = tid;
		e->time_ns = base + (ticks << shift);
		/* FREE (1) and RFREE (2) have exactly one of the two low bits set; listing both
		 * ways without a branch keeps the unpredictable kind out of the branch predictor */
		unsigned is_free = (kind ^ (kind >> 1)) & 1;
		alloc_at[na] = (uint16_t)k;
		free_at[nf] = (uint16_t)k;
		allocs_before[nf] = (uint16_t)na;
		na += !is_free;
		nf += is_free;
	}
	lim = k;
	const uint8_t *op_end = op + k;
	const uint8_t *dt_p = dp;

	/* the allocations' columns: size, stack, inplace; their numbers */
	const uint8_t *sz = it->col[TF_COL_SIZE].p, *sz_end = it->col[TF_COL_SIZE].end;
	const uint8_t *slo = it->col[TF_COL_STACK_LO].p, *slo_end = it->col[TF_COL_STACK_LO].end;
	const uint8_t *shi = it->col[TF_COL_STACK_HI].p, *shi_end = it->col[TF_COL_STACK_HI].end;
	const uint8_t *inp = it->col[TF_COL_INPLACE].p, *inp_end = it->col[TF_COL_INPLACE].end;
	const uint64_t first_id = it->next_id;
	uint64_t next_id = first_id;
	for (j = 0; j < na && alloc_at[j] < lim; j++) {
		tf_event *e = &ev[alloc_at[j]];
		uint64_t size, hi;
		if (dec_u_col(&sz, sz_end, &size) || slo >= slo_end ||
		    dec_u_col(&shi, shi_end, &hi) || hi > (UINT64_MAX >> 8) || next_id == UINT64_MAX)
			break;
		e->inplace = 0;
		if (e->kind == TF_EV_RALLOC) {
			if (inp >= inp_end || *inp > 1)
				break;
			e->inplace = *inp++;
		}
		e->size = size;
		e->stack = hi << 8 | *slo++;
		e->id = next_id++;
	}
	if (j < na && alloc_at[j] < lim)
		lim = alloc_at[j];

	/* the frees' columns: back */
	const uint8_t *blo = it->col[TF_COL_BACK_LO].p, *blo_end = it->col[TF_COL_BACK_LO].end;
	const uint8_t *bhi = it->col[TF_COL_BACK_HI].p, *bhi_end = it->col[TF_COL_BACK_HI].end;
	for (j = 0; j < nf && free_at[j] < lim; j++) {
		uint64_t hi;
		if (blo >= blo_end || dec_u_col(&bhi, bhi_end, &hi) || hi > (UINT64_MAX >> 8))
			break;
		uint64_t back = hi << 8 | *blo++;
		/* the number the next allocation would get; no overflow: the allocations before
		 * this free are valid, so none of them had number UINT64_MAX */
		uint64_t nid = first_id + allocs_before[j];
		if (back == 0 || back > nid)
			break;
		tf_event *e = &ev[free_at[j]];
		e->id = nid - back;
		e->size = 0;
		e->stack = 0;
		e->inplace = 0;
	}
	if (j < nf && free_at[j] < lim)
		lim = free_at[j];

	if (lim < max) {
		/* Damaged: the passes may have read past the bad event in some columns, so the
		 * state is not that of `lim` events; an empty op column makes every later call
		 * fail again. */
		it->col[TF_COL_OP].p = it->col[TF_COL_OP].end;
		it->done += lim;
		return lim;
	}
	it->col[TF_COL_OP].p = op_end;
	it->col[TF_COL_TID].p = tp;
	it->col[TF_COL_DT].p = dt_p;
	it->col[TF_COL_SIZE].p = sz;
	it->col[TF_COL_STACK_LO].p = slo;
	it->col[TF_COL_STACK_HI].p = shi;
	it->col[TF_COL_INPLACE].p = inp;
	it->col[TF_COL_BACK_LO].p = blo;
	it->col[TF_COL_BACK_HI].p = bhi;
	it->tids[0] = t0;
	it->tids[1] = t1;
	it->tids[2] = t2;
	it->ticks = ticks;
	it->next_id = next_id;
	it->done += lim;
	return lim;
}

int tf_dec_events_read(tf_dec_events *it, tf_event *ev, size_t max, size_t *n)
{
	uint64_t left = it->count > it->done ? it->count - it->done : 0;
	if (max > left)
		max = (size_t)left;
	size_t done = 0;
	while (done < max) {
		size_t want = max - done < TF_READ_CHUNK ? max - done : TF_READ_CHUNK;
		size_t got = read_chunk(it, ev + done, want);
		done += got;
		if (got < want) {
			*n = done;
			return TF_ECORRUPT;
		}
	}
	*n = done;
	return 0;
}

int tf_dec_events_next(tf_dec_events *it, tf_event *ev)
{
	size_t n;
	int rc = tf_dec_events_read(it, ev, 1, &n);
	return rc ? rc : (int)n;
}
