/*
 * merge.c: the k-way merge (see merge.h).  The sources sit in a binary min-heap on the stamp of
 * their next event; the heap grows in mmap'd memory.
 */
#include "merge.h"

#include "livemap.h"
#include "prim.h"

static uint64_t cur_time(const merge_src *s) { return s->ev[s->cur & s->mask].time; }

static const ring_ev *cur_ev(const merge_src *s) { return &s->ev[s->cur & s->mask]; }

static uint64_t rel(const merge *m, uint64_t t) { return t > m->out.origin ? t - m->out.origin : 0; }

static void heap_sift(merge *m, size_t i)
{
	merge_src **h = m->heap, *x = h[i];
	while (i > 0 && cur_time(x) < cur_time(h[(i - 1) / 2])) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= m->len)
			break;
		if (c + 1 < m->len && cur_time(h[c + 1]) < cur_time(h[c]))
			c++;
		if (cur_time(h[c]) >= cur_time(x))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

void merge_init(merge *m, const merge_out *out) { m->out = *out; }

int merge_add(merge *m, merge_src *src)
{
	if (m->len == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 256;
		merge_src **n = prim_map(ncap * sizeof(*n));
		if (!n) {
			m->len = 0;
			return MERGE_ENOMEM;
		}
		for (size_t i = 0; i < m->len; i++)
			n[i] = m->heap[i];
		prim_unmap(m->heap, m->cap * sizeof(*m->heap));
		m->heap = n;
		m->cap = ncap;
	}
	m->heap[m->len++] = src;
	heap_sift(m, m->len - 1);
	return 0;
}

/* 1 when writing e now would contradict the live map. */
static int conflicts(const ring_ev *e)
{
	int live = livemap_has(e->ptr);
	return (e->kind == TF_EV_FREE || e->kind == TF_EV_RFREE) ? !live : live;
}

static void end_record(merge *m)
{
	if (tf_enc_events_end(&m->rec) == 0)
		m->events += m->rec.count;
	m->rec_open = 0;
}

static void emit(merge *m, const tf_event *ev, uint64_t base, uint32_t shift)
{
	if (!m->rec_open) {
		m->out.reserve(m->out.ctx, MERGE_EVENTS_PER_RECORD * 48 + 64);
		tf_enc_events_begin(&m->rec, m->out.enc, base, shift, m->next_id);
		m->rec_open = 1;
	}
	tf_enc_events_add(&m->rec, ev);
	if (ev->kind == TF_EV_ALLOC || ev->kind == TF_EV_RALLOC)
		m->allocs++;
	else
		m->frees++;
	if (m->rec.count >= MERGE_EVENTS_PER_RECORD)
		end_record(m);
}

/* Writes one raw event of source s: frees name their allocation's number (the live map turns the
 * pointer into it), allocations get the next number. */
static void write_event(merge *m, merge_src *s, const ring_ev *e, uint64_t base, uint32_t shift)
{
	tf_event ev = {e->kind, e->func, 0, rel(m, e->time), s->tid, 0, e->size, e->stack};
	uint64_t id;
	if (e->kind == TF_EV_ALLOC || e->kind == TF_EV_RALLOC) {
		if (livemap_take(e->ptr, &id)) {
			/* The allocator reused an address whose free we never saw (a release inside
			 * the C library): that block is gone, say so explicitly. */
			tf_event f = {TF_EV_FREE, TF_FN_IMPLICIT, 0, ev.time_ns, ev.tid, id, 0, 0};
			emit(m, &f, base, shift);
			m->implicit++;
		}
		ev.inplace = e->kind == TF_EV_RALLOC && s->rf_ptr == e->ptr;
		if (livemap_put(e->ptr, m->next_id) != 0) {
			m->failed = 1;
			return;
		}
		ev.id = m->next_id;
		emit(m, &ev, base, shift); /* may open a record: its first number is this one */
		m->next_id++;
	} else {
		if (e->kind == TF_EV_RFREE)
			s->rf_ptr = e->ptr;
		if (!livemap_take(e->ptr, &id)) {
			m->unmatched++; /* allocated before recording started, or by a C library internal */
			return;
		}
		ev.id = id;
		emit(m, &ev, base, shift);
	}
}

int merge_window(merge *m, uint64_t base, uint32_t shift)
{
	m->failed = 0;
	while (m->len) {
		size_t pick = 0;
		const ring_ev *e0 = cur_ev(m->heap[0]);
		if (m->len > 1 && conflicts(e0)) {
			for (size_t k = 1; k < m->len; k++) {
				const ring_ev *ek = cur_ev(m->heap[k]);
				if (ek->time == e0->time && !conflicts(ek)) {
					pick = k;
					break;
				}
			}
		}
		merge_src *s = m->heap[pick];
		write_event(m, s, cur_ev(s), base, shift);
		if (++s->cur == s->end) {
			m->heap[pick] = m->heap[--m->len];
			if (pick < m->len)
				heap_sift(m, pick);
		} else {
			heap_sift(m, pick);
		}
	}
	if (m->rec_open)
		end_record(m);
	return m->failed ? MERGE_ENOMEM : 0;
}

void merge_reset(merge *m)
{
	m->next_id = m->allocs = m->frees = m->events = m->unmatched = m->implicit = 0;
	m->rec_open = 0;
	m->len = 0; /* a fork may have copied a merge in progress */
	livemap_reset();
}
