/*
 * merge.c: the k-way merge (see merge.h).  The sources sit in a binary min-heap on the stamp of
 * their next event; the heap grows in mmap'd memory.
 */
#include "merge.h"

#include "livemap.h"
#include "prim.h"

static merge_out out;
static merge_counts C;
static merge_src **heap; /* sources with events left, a binary min-heap on their next stamp */
static size_t len, cap;
static int failed, rec_open;
static uint64_t rec_base; /* the window's time base and shift, for its records */
static uint32_t rec_shift;
static tf_enc_events rec; /* the EVENTS record being filled */

static uint64_t cur_time(const merge_src *s) { return s->ev[s->cur & s->mask].time; }

static const ring_ev *cur_ev(const merge_src *s) { return &s->ev[s->cur & s->mask]; }

static uint64_t rel(uint64_t t) { return t > out.origin ? t - out.origin : 0; }

static void heap_sift(size_t i)
{
	merge_src *x = heap[i];
	while (i > 0 && cur_time(x) < cur_time(heap[(i - 1) / 2])) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= len)
			break;
		if (c + 1 < len && cur_time(heap[c + 1]) < cur_time(heap[c]))
			c++;
		if (cur_time(heap[c]) >= cur_time(x))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = x;
}

void merge_init(const merge_out *o) { out = *o; }

const merge_counts *merge_totals(void) { return &C; }

int merge_add(merge_src *src)
{
	if (len == cap) {
		size_t ncap = cap ? cap * 2 : 256;
		merge_src **n = prim_grow(heap, cap * sizeof(*heap), ncap * sizeof(*n));
		if (!n) {
			len = 0;
			return MERGE_ENOMEM;
		}
		heap = n;
		cap = ncap;
	}
	heap[len++] = src;
	heap_sift(len - 1);
	return 0;
}

/* 1 when writing e now would contradict the live map. */
static int conflicts(const ring_ev *e)
{
	int live = livemap_has(e->ptr);
	return (e->kind == TF_EV_FREE || e->kind == TF_EV_RFREE) ? !live : live;
}

static void end_record(void)
{
	if (tf_enc_events_end(&rec) == 0)
		C.events += rec.count;
	rec_open = 0;
}

static void emit(const tf_event *ev)
{
	if (!rec_open) {
		out.reserve(out.ctx, MERGE_EVENTS_PER_RECORD * 48 + 64);
		tf_enc_events_begin(&rec, out.enc, rec_base, rec_shift, C.next_id);
		rec_open = 1;
	}
	tf_enc_events_add(&rec, ev);
	if (ev->kind == TF_EV_ALLOC || ev->kind == TF_EV_RALLOC)
		C.allocs++;
	else
		C.frees++;
	if (rec.count >= MERGE_EVENTS_PER_RECORD)
		end_record();
}

/* Writes one raw event of source s: frees name their allocation's number (the live map turns the
 * pointer into it), allocations get the next number. */
static void write_event(merge_src *s, const ring_ev *e)
{
	tf_event ev = {e->kind, e->func, 0, rel(e->time), s->tid, 0, e->size, e->stack};
	uint64_t id;
	if (e->kind == TF_EV_ALLOC || e->kind == TF_EV_RALLOC) {
		if (livemap_take(e->ptr, &id, NULL)) {
			/* The allocator reused an address whose free we never saw (a release inside
			 * the C library): that block is gone, say so explicitly. */
			tf_event f = {TF_EV_FREE, TF_FN_IMPLICIT, 0, ev.time_ns, ev.tid, id, 0, 0};
			emit(&f);
			C.implicit++;
		}
		ev.inplace = e->kind == TF_EV_RALLOC && s->rf_ptr == e->ptr;
		if (livemap_put(e->ptr, C.next_id, e->size) != 0) {
			failed = 1;
			return;
		}
		/* counted as the analyzer counts allocations: a realloc when it moved or grew */
		C.calls_allocs += e->kind == TF_EV_ALLOC || !ev.inplace || !s->rf_known ||
				  e->size > s->rf_size;
		ev.id = C.next_id;
		emit(&ev); /* may open a record: its first number is this one */
		C.next_id++;
	} else {
		uint64_t size;
		int known = livemap_take(e->ptr, &id, &size);
		if (e->kind == TF_EV_RFREE) {
			s->rf_ptr = e->ptr;
			s->rf_known = known;
			s->rf_size = size;
		}
		if (!known) {
			C.unmatched++; /* allocated before recording started, or by a C library internal */
			return;
		}
		C.calls_frees += e->kind == TF_EV_FREE && e->func != TF_FN_IMPLICIT;
		ev.id = id;
		emit(&ev);
	}
}

int merge_window(uint64_t base, uint32_t shift)
{
	failed = 0;
	rec_base = base;
	rec_shift = shift;
	while (len) {
		size_t pick = 0;
		const ring_ev *e0 = cur_ev(heap[0]);
		if (len > 1 && conflicts(e0)) {
			for (size_t k = 1; k < len; k++) {
				const ring_ev *ek = cur_ev(heap[k]);
				if (ek->time == e0->time && !conflicts(ek)) {
					pick = k;
					break;
				}
			}
		}
		merge_src *s = heap[pick];
		write_event(s, cur_ev(s));
		if (++s->cur == s->end) {
			heap[pick] = heap[--len];
			if (pick < len)
				heap_sift(pick);
		} else {
			heap_sift(pick);
		}
	}
	if (rec_open)
		end_record();
	return failed ? MERGE_ENOMEM : 0;
}

void merge_reset(void)
{
	C = (merge_counts){0};
	rec_open = 0;
	len = 0; /* a fork may have copied a merge in progress */
	livemap_reset();
}
