/*
 * test_replay.c: unit tests of analyzer/replay.c against exact known figures.
 *
 * Synthetic traces are built with the tf encoder and compressed with zstd (one frame per writer
 * pass) into a temporary file.  The builder takes events as the recorder's threads make them
 * (thread, kind, time, pointer ...) and writes them as the recorder's writer does: in the order
 * they are listed (the file order is the time order), each allocation numbered in file order, a
 * free naming the number of the allocation it releases, a free of an unknown pointer not written
 * but counted in the END record, an allocation of a still-live pointer preceded by an implicit
 * free, a RALLOC flagged in place when it returned the pointer its RFREE released.
 *
 * Covered: several threads (more than the move-to-front slots), realloc moving, shrinking and
 * growing in place, a realloc racing with another thread that gets the old address, temporaries,
 * equal timestamps, frees of unknown pointers (from the END record), implicit frees (fixups), a
 * record whose times go back (applied in file order, counted late), a stale free, a stack never
 * defined.  Then the main trace cut at every byte offset and with flipped bytes: the replay must
 * never crash (run this under -fsanitize=address,undefined) and must report what precedes the
 * damage.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -Icommon -Ianalyzer tests/unit/test_replay.c
 *        analyzer/replay.c analyzer/util.c common/tf.c common/tf_reader.c -lzstd
 * Output: a `FAIL ...` line per failed check, then `N passed, M failed`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "check.h"
#include "replay.h"
#include "tf_enc.h"
#include "tf_reader.h"

/* ---- trace builder ---- */

#define MAX_TB_FRAMES 256
#define TB_MAX_PTRS 64    /* pointers live at once */
#define TB_MAX_THREADS 16
#define TB_LOG 256        /* written events remembered (the first ones) */

/* An event as written (to compare with what the observer sees). */
typedef struct tb_written {
	uint64_t time, tid, id;
	uint8_t kind, func;
} tb_written;

typedef struct tb {
	uint8_t raw[1 << 16];
	tf_enc e;
	tf_enc_events w;
	int rec_open;
	uint64_t rec_base, rec_last; /* the open record's base time and latest event time */
	uint32_t rec_limit;          /* events per record, then a new record (0: no limit) */
	/* the writer's state: pointer -> allocation number, each thread's last RFREE pointer */
	struct { uint64_t ptr, id; } live[TB_MAX_PTRS];
	size_t nlive;
	struct { uint64_t tid, rf_ptr; } thr[TB_MAX_THREADS];
	size_t nthr;
	uint64_t next_id, allocs, frees, unmatched, implicit;
	tb_written log[TB_LOG];
	uint8_t *file;
	size_t len, cap;
	size_t nframes;
	size_t frame_start[MAX_TB_FRAMES];
	size_t frame_end[MAX_TB_FRAMES];
	uint64_t events_before[MAX_TB_FRAMES]; /* events in the frames before this one */
	uint64_t events;                       /* events written */
	int checksum_odd; /* odd frames carry a zstd checksum */
} tb;

static void tb_init(tb *b)
{
	memset(b, 0, sizeof(*b));
	tf_enc_init(&b->e, b->raw, sizeof(b->raw));
	b->checksum_odd = 1;
}

static void tb_release(tb *b) { free(b->file); }

static void tb_die(const char *why)
{
	fprintf(stderr, "test_replay: trace builder: %s\n", why);
	abort();
}

/* Compresses what was encoded since the last flush into one zstd frame. */
static void tb_flush(tb *b)
{
	if (b->rec_open)
		tb_die("flush inside an EVENTS record");
	size_t bound = ZSTD_compressBound(b->e.len);
	if (b->len + bound > b->cap) {
		b->cap = (b->len + bound) * 2;
		b->file = realloc(b->file, b->cap);
		if (!b->file)
			abort();
	}
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, b->checksum_odd && (b->nframes & 1));
	size_t n = ZSTD_compress2(cc, b->file + b->len, bound, b->raw, b->e.len);
	ZSTD_freeCCtx(cc);
	if (ZSTD_isError(n) || b->nframes >= MAX_TB_FRAMES)
		abort();
	b->frame_start[b->nframes] = b->len;
	b->frame_end[b->nframes] = b->len + n;
	b->nframes++;
	b->len += n;
	tf_enc_init(&b->e, b->raw, sizeof(b->raw));
	if (b->nframes < MAX_TB_FRAMES)
		b->events_before[b->nframes] = b->events;
}

static void tb_header(tb *b, unsigned version)
{
	static const char argv[] = "./prog\0--fast\0a b\0";
	if (version == TF_VERSION) {
		tf_header h;
		memset(&h, 0, sizeof(h));
		h.pid = 4242;
		h.ppid = 1;
		h.clock_origin_ns = 1000000;
		h.realtime_ns = 1700000000000000000ull;
		h.max_depth = 128;
		h.exe = "/usr/bin/prog";
		h.exe_len = strlen(h.exe);
		h.argv = argv;
		h.argv_len = sizeof(argv) - 1;
		h.argc = 3;
		tf_enc_header(&b->e, &h);
		return;
	}
	tf_enc_begin_record(&b->e, TF_REC_HEADER);
	tf_enc_bytes(&b->e, TF_MAGIC, TF_MAGIC_LEN);
	tf_enc_u(&b->e, version);
	for (int i = 0; i < 5; i++)
		tf_enc_u(&b->e, 1);
	tf_enc_str(&b->e, "x", 1);
	tf_enc_u(&b->e, 0);
	tf_enc_str(&b->e, "", 0);
	tf_enc_end_record(&b->e);
}

static void tb_stack(tb *b, uint64_t id, uint64_t a0)
{
	uint64_t frames[3] = {a0, a0 + 0x100, a0 + 0x200};
	tf_enc_stack(&b->e, id, 0, frames, 3);
}

/* Opens an EVENTS record whose times are nanoseconds (shift 0) after `base`; its first
 * allocation gets the next number. */
static void tb_begin(tb *b, uint64_t base)
{
	if (b->rec_open)
		tb_die("record already open");
	tf_enc_events_begin(&b->w, &b->e, base, 0, b->next_id);
	b->rec_open = 1;
	b->rec_base = b->rec_last = base;
}

static void tb_end(tb *b)
{
	if (!b->rec_open)
		tb_die("no record open");
	if (tf_enc_events_end(&b->w) != 0)
		tb_die("EVENTS record too large");
	b->rec_open = 0;
}

/* Writes one event in the open record. */
static void tb_put(tb *b, const tf_event *ev)
{
	if (!b->rec_open)
		tb_die("event outside a record");
	/* The encoder clamps a time before the record's base or before the previous event of the
	 * record; the tests never rely on that (a time that goes back starts a record). */
	if (ev->time_ns < b->rec_last)
		tb_die("time goes back inside a record");
	if (b->rec_limit && b->w.count >= b->rec_limit) {
		tb_end(b);
		tb_begin(b, b->rec_base);
	}
	b->rec_last = ev->time_ns;
	tf_enc_events_add(&b->w, ev);
	if (b->events < TB_LOG)
		b->log[b->events] = (tb_written){ev->time_ns, ev->tid, ev->id, ev->kind, ev->func};
	b->events++;
	if (ev->kind == TF_EV_ALLOC || ev->kind == TF_EV_RALLOC) {
		b->allocs++;
		b->next_id++;
		if (b->w.next_id != b->next_id)
			tb_die("allocation numbers out of step with the encoder");
	} else {
		b->frees++;
	}
}

/* Removes ptr from the builder's live map: 1 and its number, or 0 when it is not live. */
static int tb_take(tb *b, uint64_t ptr, uint64_t *id)
{
	for (size_t i = 0; i < b->nlive; i++) {
		if (b->live[i].ptr == ptr) {
			*id = b->live[i].id;
			b->live[i] = b->live[--b->nlive];
			return 1;
		}
	}
	return 0;
}

static uint64_t *tb_rf_ptr(tb *b, uint64_t tid)
{
	for (size_t i = 0; i < b->nthr; i++)
		if (b->thr[i].tid == tid)
			return &b->thr[i].rf_ptr;
	if (b->nthr == TB_MAX_THREADS)
		tb_die("too many threads");
	b->thr[b->nthr].tid = tid;
	b->thr[b->nthr].rf_ptr = 0;
	return &b->thr[b->nthr++].rf_ptr;
}

/* An event as a thread made it, written as the recorder's writer writes it. */
static void tb_ev(tb *b, uint64_t tid, unsigned kind, unsigned func, uint64_t t, uint64_t ptr,
		  uint64_t size, uint64_t stack)
{
	uint64_t *rf_ptr = tb_rf_ptr(b, tid);
	uint64_t id;
	if (kind == TF_EV_ALLOC || kind == TF_EV_RALLOC) {
		if (tb_take(b, ptr, &id)) {
			/* the address came back without a recorded free */
			tf_event f = {TF_EV_FREE, TF_FN_IMPLICIT, 0, t, tid, id, 0, 0};
			tb_put(b, &f);
			b->implicit++;
		}
		if (b->nlive == TB_MAX_PTRS)
			tb_die("too many live pointers");
		b->live[b->nlive].ptr = ptr;
		b->live[b->nlive].id = b->next_id;
		b->nlive++;
		uint8_t inplace = kind == TF_EV_RALLOC && *rf_ptr == ptr;
		tf_event ev = {(uint8_t)kind, (uint8_t)func, inplace, t, tid, b->next_id, size, stack};
		tb_put(b, &ev);
	} else {
		if (kind == TF_EV_RFREE)
			*rf_ptr = ptr;
		if (!tb_take(b, ptr, &id)) {
			b->unmatched++; /* not written: the END record counts it */
			return;
		}
		tf_event ev = {(uint8_t)kind, (uint8_t)func, 0, t, tid, id, 0, 0};
		tb_put(b, &ev);
	}
}

/* The END record with the builder's counters. */
static void tb_end_record(tb *b, uint64_t time, uint64_t stacks, uint64_t modules, uint64_t threads)
{
	tf_end end = {
		.time_ns = time,
		.allocs = b->allocs,
		.frees = b->frees,
		.events = b->events,
		.stacks = stacks,
		.modules = modules,
		.threads = threads,
		.unmatched_frees = b->unmatched,
		.implicit_frees = b->implicit,
	};
	tf_enc_end(&b->e, &end);
}

#define ALLOC(tid, t, p, sz, st) tb_ev(b, tid, TF_EV_ALLOC, TF_FN_MALLOC, t, p, sz, st)
#define FREE(tid, t, p) tb_ev(b, tid, TF_EV_FREE, TF_FN_FREE, t, p, 0, 0)
#define RFREE(tid, t, p) tb_ev(b, tid, TF_EV_RFREE, TF_FN_REALLOC, t, p, 0, 0)
#define RALLOC(tid, t, p, sz, st) tb_ev(b, tid, TF_EV_RALLOC, TF_FN_REALLOC, t, p, sz, st)

enum { T1 = 101, T2 = 102, T3 = 103, T4 = 104, T5 = 105 };
enum { S1 = 1, S2 = 2, S3 = 3, S4 = 4, S99 = 99 };

/* The main scenario; the expected figures are worked out in test_main_figures.  Each pass is
 * written as the writer merges it: the threads' events in one time order. */
static void build_main(tb *b)
{
	tb_header(b, TF_VERSION);
	tf_module m;
	memset(&m, 0, sizeof(m));
	m.id = 1;
	m.bias = 0x400000;
	m.path = "/usr/bin/prog";
	m.path_len = strlen(m.path);
	m.build_id_len = 4;
	memcpy(m.build_id, "\x01\x02\x03\x04", 4);
	m.nseg = 1;
	m.seg[0].vaddr = 0x1000;
	m.seg[0].memsz = 0x2000;
	m.seg[0].flags = 5;
	tf_enc_module(&b->e, &m);
	tb_stack(b, S1, 0x401000);
	tb_stack(b, S2, 0x402000);
	tb_stack(b, S3, 0x403000);
	tb_stack(b, S4, 0x404000);
	tf_enc_thread(&b->e, T1, "main", 4);
	tb_flush(b);

	/* pass 1 */
	tb_begin(b, 100);
	ALLOC(T1, 100, 0x1000, 100, S1);
	ALLOC(T2, 105, 0x3000, 50, S3);
	ALLOC(T1, 110, 0x2000, 200, S2);
	FREE(T2, 120, 0x3000); /* temporary (S3) */
	FREE(T1, 130, 0x2000); /* temporary (S2) */
	tb_end(b);
	tf_enc_rss(&b->e, 500, 4096);
	tf_enc_sync(&b->e, 1000);
	tb_flush(b);

	/* pass 2 */
	tb_begin(b, 1000);
	FREE(T3, 1050, 0x1000); /* T1's block, freed by another thread */
	ALLOC(T1, 1100, 0x2000, 300, S2);
	ALLOC(T2, 1150, 0x1000, 40, S4); /* address reused after T3's free */
	FREE(T3, 1200, 0xdead);          /* unknown pointer: not written, counted in END */
	ALLOC(T2, 1900, 0x6000, 1000, S4);
	tb_end(b);
	tf_enc_sync(&b->e, 2000);
	tb_flush(b);

	/* pass 3: T1 reallocs while T2 gets the old address; two records, the realloc's RFREE in
	 * the first and its RALLOC in the second */
	tb_begin(b, 2000);
	RFREE(T1, 2100, 0x2000);
	ALLOC(T2, 2105, 0x2000, 10, S3);
	tb_end(b);
	tb_begin(b, 2000);
	RALLOC(T1, 2110, 0x5000, 600, S1); /* moved and grew: counted */
	RFREE(T1, 2200, 0x5000);
	RALLOC(T1, 2201, 0x5000, 500, S1); /* shrank in place: not counted */
	RFREE(T1, 2300, 0x5000);
	RALLOC(T1, 2300, 0x5000, 800, S2); /* grew in place: counted; the peak (1850) */
	FREE(T2, 2400, 0x6000); /* not temporary: T2 allocated 0x2000 since */
	tb_end(b);
	tf_enc_rss(&b->e, 2500, 16384);
	tf_enc_sync(&b->e, 3000);
	tb_flush(b);

	/* pass 4 */
	tb_begin(b, 3000);
	ALLOC(T3, 3100, 0x7000, 70, S99); /* a stack never defined */
	FREE(T1, 3200, 0x2000);           /* T2's block */
	ALLOC(T3, 3300, 0x7000, 7, S99);  /* still live: an implicit free first (a fixup) */
	tb_end(b);
	tf_enc_sync(&b->e, 4000);
	tb_flush(b);

	/* pass 5: equal times, in the order the writer gives them (a free before the allocation
	 * that gets its address back) */
	tb_begin(b, 4000);
	ALLOC(T1, 4500, 0x8000, 5, S1);
	ALLOC(T3, 4600, 0x9000, 8, S3);
	FREE(T3, 4600, 0x9000); /* same time as its allocation: temporary */
	ALLOC(T2, 4650, 0xa000, 16, S4);
	FREE(T1, 4700, 0xa000);
	ALLOC(T2, 4700, 0xa000, 32, S4);
	tb_end(b);
	tf_enc_rss(&b->e, 4500, 8192);
	tf_enc_sync(&b->e, 5000);
	tb_flush(b);

	/* pass 6: a record whose time goes back (the recorder never writes one): applied in file
	 * order, counted late.  Its free names the block allocated at 3300, later than the free's
	 * time: booked as stale and ignored (the block stays live). */
	tb_begin(b, 3000);
	FREE(T3, 3250, 0x7000);
	tb_end(b);
	tb_begin(b, 5000);
	FREE(T1, 5100, 0x8000); /* temporary (S1) */
	tb_end(b);
	tf_enc_sync(&b->e, 6000);
	tb_end_record(b, 6100, 4, 1, 3);
	tb_flush(b);
}

static char tmp_path[64];

static void write_file(const uint8_t *p, size_t n)
{
	FILE *f = fopen(tmp_path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		perror(tmp_path);
		abort();
	}
}

typedef struct warns {
	int n;
	char text[8192];
} warns;

static void warn_cb(void *ctx, const char *msg)
{
	warns *w = ctx;
	w->n++;
	size_t len = strlen(w->text);
	snprintf(w->text + len, sizeof(w->text) - len, "%s\n", msg);
}

/* What an observer saw: the first TB_LOG events as (time, tid, allocation number, kind, func), and counts. */
typedef struct seen {
	uint64_t time, tid, id;
	uint8_t kind, func;
} seen;

typedef struct order {
	uint64_t n, last_t, decreasing;
	uint64_t statuses[8];
	uint64_t implicit, temporary;
	uint64_t final_heap;
	seen log[TB_LOG];
} order;

static void obs_event(void *ctx, const replay_event *ev)
{
	order *o = ctx;
	if (o->n < TB_LOG)
		o->log[o->n] = (seen){ev->time_ns, ev->tid, ev->id, ev->kind, ev->func};
	o->n++;
	if (ev->time_ns < o->last_t)
		o->decreasing++;
	o->last_t = ev->time_ns;
	if (ev->status < 8)
		o->statuses[ev->status]++;
	o->implicit += ev->func == TF_FN_IMPLICIT;
	o->temporary += ev->temporary;
	o->final_heap = ev->heap_bytes;
}

/* Number of observed events that differ from the written ones (order, time, thread, kind,
 * function, allocation number), over the first TB_LOG. */
static uint64_t order_mismatches(const tb *b, const order *o)
{
	uint64_t bad = o->n != b->events;
	for (uint64_t i = 0; i < o->n && i < b->events && i < TB_LOG; i++) {
		const tb_written *x = &b->log[i];
		const seen *y = &o->log[i];
		if (x->time != y->time || x->tid != y->tid || x->id != y->id ||
		    x->kind != y->kind || x->func != y->func) {
			if (!bad)
				printf("# event %" PRIu64 ": wrote t=%" PRIu64 " tid=%" PRIu64
				       " id=%" PRIu64 " kind=%u, saw t=%" PRIu64 " tid=%" PRIu64
				       " id=%" PRIu64 " kind=%u\n",
				       i, x->time, x->tid, x->id, x->kind, y->time, y->tid, y->id,
				       y->kind);
			bad++;
		}
	}
	return bad;
}

/* Replays `n` bytes; returns replay_run's code, *out the replay (caller frees). */
static int run_bytes(const uint8_t *p, size_t n, replay_ctx **out, warns *w, order *o)
{
	write_file(p, n);
	replay_ctx *rp;
	if (replay_create(&rp))
		abort();
	if (w) {
		memset(w, 0, sizeof(*w));
		replay_set_warn(rp, warn_cb, w);
	}
	if (o) {
		memset(o, 0, sizeof(*o));
		replay_observer obs = {obs_event, NULL, o};
		replay_set_observer(rp, &obs);
	}
	tf_reader *r;
	if (tf_reader_open(&r, tmp_path)) {
		replay_free(rp);
		*out = NULL;
		return -100;
	}
	int rc = replay_run(rp, r);
	tf_reader_close(r);
	*out = rp;
	return rc;
}

static void check_stack(const replay_ctx *rp, uint64_t id, uint64_t allocs, uint64_t bytes,
			uint64_t live, uint64_t live_n, uint64_t temp, uint64_t peak, uint64_t peak_n)
{
	char what[96];
	const replay_stack *s = replay_stack_find(rp, id);
	snprintf(what, sizeof(what), "stack %" PRIu64 " exists", id);
	CHECK_MSG(s != NULL, what, NULL);
	if (!s)
		return;
#define CS(field, want)                                                                            \
	do {                                                                                       \
		snprintf(what, sizeof(what), "stack %" PRIu64 " " #field, id);                     \
		CHECK_U(what, s->field, want);                                                     \
	} while (0)
	CS(allocations, allocs);
	CS(allocated_bytes, bytes);
	CS(live_bytes, live);
	CS(live_allocations, live_n);
	CS(temporary, temp);
	CS(peak_bytes, peak);
	CS(peak_allocations, peak_n);
#undef CS
}

static void test_main_figures(const tb *b)
{
	replay_ctx *rp;
	warns w;
	order *o = malloc(sizeof(*o));
	int rc = run_bytes(b->file, b->len, &rp, &w, o);
	CHECK_U("main: replay_run", (uint64_t)(int64_t)rc, 0);
	const replay_summary *s = replay_get_summary(rp);
	const replay_header *h = replay_get_header(rp);
	CHECK_U("main: pid", h->pid, 4242);
	CHECK_MSG(strcmp(h->exe, "/usr/bin/prog") == 0, "main: exe", NULL);
	CHECK_MSG(h->argc == 3 && strcmp(h->argv[2], "a b") == 0, "main: argv", NULL);
	/* 29 events listed, the free of 0xdead not written, one implicit free added */
	CHECK_U("main: events written", b->events, 29);
	CHECK_U("main: events read", s->events_read, b->events);
	CHECK_U("main: allocations", s->allocations, 15);
	CHECK_U("main: allocated bytes", s->allocated_bytes, 3238);
	CHECK_U("main: frees", s->frees, 8);
	CHECK_U("main: temporary", s->temporary, 4);
	CHECK_U("main: heap at end", s->heap_bytes, 879);
	CHECK_U("main: live allocations at end", s->live_allocations, 4);
	CHECK_U("main: peak heap", s->peak_heap_bytes, 1850);
	CHECK_U("main: peak time", s->peak_time_ns, 2300);
	CHECK_U("main: peak allocations", s->peak_allocations, 4);
	CHECK_U("main: peak rss", s->peak_rss_bytes, 16384);
	CHECK_U("main: duration", s->duration_ns, 6100);
	CHECK_U("main: fixups (the implicit free)", s->fixups, 1);
	CHECK_U("main: stale frees", s->stale_frees, 1);
	CHECK_U("main: unmatched frees (from the end record)", s->unmatched_frees, 1);
	CHECK_U("main: end record unmatched", s->end.unmatched_frees, 1);
	CHECK_U("main: end record implicit", s->end.implicit_frees, 1);
	CHECK_U("main: late events", s->late_events, 1);
	CHECK_U("main: undefined stacks", s->undefined_stacks, 1);
	CHECK_U("main: syncs", s->syncs, 6);
	CHECK_MSG(s->have_end && !s->damaged, "main: complete", NULL);
	/* the record whose time goes back produces a warning; nothing else */
	CHECK_U("main: warnings", (uint64_t)w.n, 1);
	CHECK_MSG(strstr(w.text, "1 events are out of time order in the file") != NULL,
	      "main: late warning text", NULL);
	/*                 id   allocs bytes live live_n temp peak peak_n */
	check_stack(rp, S1, 3, 705, 0, 0, 1, 0, 0);
	check_stack(rp, S2, 3, 1300, 800, 1, 1, 800, 1);
	check_stack(rp, S3, 3, 68, 0, 0, 2, 10, 1);
	check_stack(rp, S4, 4, 1088, 72, 2, 0, 1040, 2);
	check_stack(rp, S99, 2, 77, 7, 1, 0, 0, 0);
	const replay_stack *s1 = replay_stack_find(rp, S1), *s99 = replay_stack_find(rp, S99);
	CHECK_MSG(s1 && s1->defined && s1->nframes == 3 && s1->frames[1] == 0x401100,
	      "main: stack frames kept", NULL);
	CHECK_MSG(s99 && !s99->defined && s99->nframes == 0, "main: undefined stack", NULL);
	CHECK_U("main: module records", replay_modrec_count(rp), 1);
	CHECK_MSG(replay_modrec_count(rp) == 1 && strcmp(replay_modrec_at(rp, 0)->mod.path, "/usr/bin/prog") == 0,
	      "main: module path", NULL);
	CHECK_U("main: observer events", o->n, b->events);
	CHECK_U("main: observer saw the file order", order_mismatches(b, o), 0);
	CHECK_U("main: observer time went back", o->decreasing, 1); /* the late free only */
	CHECK_U("main: observer implicit frees", o->implicit, 1);
	CHECK_U("main: observer fixups", o->statuses[REPLAY_ST_FIXUP], 1);
	CHECK_U("main: observer stale", o->statuses[REPLAY_ST_STALE], 1);
	CHECK_U("main: observer unmatched (none written)", o->statuses[REPLAY_ST_UNMATCHED], 0);
	CHECK_U("main: observer temporaries", o->temporary, 4);
	CHECK_U("main: observer final heap", o->final_heap, 879);
	replay_free(rp);
	free(o);
}

/* The END record says more events than were read, and dropped events; its unmatched frees
 * reach the summary without a warning. */
static void test_end_mismatch(void)
{
	tb *b = malloc(sizeof(*b));
	tb_init(b);
	tb_header(b, TF_VERSION);
	tb_begin(b, 0);
	ALLOC(T1, 10, 0x10, 8, S1);
	tb_end(b);
	tf_end end = {.time_ns = 20, .allocs = 1, .events = 5, .dropped = 2, .threads = 1,
		      .unmatched_frees = 3, .implicit_frees = 0};
	tf_enc_end(&b->e, &end);
	tb_flush(b);
	replay_ctx *rp;
	warns w;
	int rc = run_bytes(b->file, b->len, &rp, &w, NULL);
	CHECK_U("end mismatch: replay_run", (uint64_t)(int64_t)rc, 0);
	CHECK_U("end mismatch: warnings", (uint64_t)w.n, 2);
	CHECK_MSG(strstr(w.text, "counts 5 events but 1 were read") != NULL, "end mismatch: events text", NULL);
	CHECK_MSG(strstr(w.text, "dropped 2 events") != NULL, "end mismatch: dropped text", NULL);
	CHECK_U("end mismatch: leaked stays", replay_get_summary(rp)->heap_bytes, 8);
	CHECK_U("end mismatch: unmatched frees from the end record",
		replay_get_summary(rp)->unmatched_frees, 3);
	replay_free(rp);
	tb_release(b);
	free(b);
}

/* Replay applies the events in file order, whatever their times.  At equal times on different
 * threads the writer puts an allocation before the free that names it and a free before the
 * allocation that gets its address back; replay keeps that order.  A record whose times go back
 * (the recorder never writes one) is applied where it is, its events counted late; five threads,
 * more than the move-to-front slots. */
static void test_file_order(void)
{
	tb *b = malloc(sizeof(*b));
	tb_init(b);
	tb_header(b, TF_VERSION);
	tb_stack(b, S1, 0x401000);
	tb_begin(b, 0);
	ALLOC(T3, 10, 0x50, 8, S1);
	tb_end(b);
	tf_enc_sync(&b->e, 100);
	tb_begin(b, 100);
	ALLOC(T1, 128, 0x40, 24, S1);
	FREE(T2, 128, 0x40);
	FREE(T3, 192, 0x50); /* temporary: T3's latest allocation */
	ALLOC(T1, 192, 0x50, 32, S1);
	tb_end(b);
	tf_enc_sync(&b->e, 256);
	tb_begin(b, 50); /* back in time */
	ALLOC(T4, 60, 0x60, 16, S1); /* the peak (48), at a time before the events above */
	FREE(T4, 70, 0x60);          /* after its allocation: applied, temporary */
	ALLOC(T5, 80, 0x70, 4, S1);
	tb_end(b);
	tb_begin(b, 256);
	ALLOC(T1, 300, 0x80, 2, S1); /* in order again */
	tb_end(b);
	tb_end_record(b, 400, 1, 0, 5);
	tb_flush(b);
	replay_ctx *rp;
	warns w;
	order *o = malloc(sizeof(*o));
	int rc = run_bytes(b->file, b->len, &rp, &w, o);
	const replay_summary *s = replay_get_summary(rp);
	CHECK_U("file order: replay_run", (uint64_t)(int64_t)rc, 0);
	CHECK_U("file order: unmatched frees", s->unmatched_frees, 0);
	CHECK_U("file order: fixups", s->fixups, 0);
	CHECK_U("file order: stale frees", s->stale_frees, 0);
	CHECK_U("file order: live at end", s->heap_bytes, 38);
	CHECK_U("file order: frees", s->frees, 3);
	CHECK_U("file order: temporary", s->temporary, 2);
	CHECK_U("file order: late events", s->late_events, 3);
	CHECK_U("file order: peak heap", s->peak_heap_bytes, 48);
	CHECK_U("file order: peak time", s->peak_time_ns, 60);
	CHECK_U("file order: peak allocations", s->peak_allocations, 2);
	CHECK_U("file order: duration", s->duration_ns, 400);
	CHECK_U("file order: warnings", (uint64_t)w.n, 1);
	CHECK_MSG(strstr(w.text, "3 events are out of time order in the file") != NULL,
	      "file order: late warning text", NULL);
	CHECK_U("file order: observer saw the file order", order_mismatches(b, o), 0);
	CHECK_U("file order: observer time went back", o->decreasing, 1);
	/*                 id  allocs bytes live live_n temp peak peak_n */
	check_stack(rp, S1, 6, 86, 38, 3, 2, 48, 2);
	replay_free(rp);
	free(o);
	tb_release(b);
	free(b);
}

/* Realloc counting from the RALLOC's inplace flag: moved (grown or shrunk) counts as an
 * allocation, in place counts only when it grew; a realloc of a block replay never saw counts;
 * an RFREE without its RALLOC (realloc released the block) is a free; an implicit free between
 * an RFREE and its RALLOC (the realloc got an address the recorder still thought live) is a
 * fixup, not a free, and leaves the realloc's pairing alone. */
static void test_realloc(void)
{
	tb *b = malloc(sizeof(*b));
	tb_init(b);
	tb_header(b, TF_VERSION);
	tb_stack(b, S1, 0x401000);
	tb_stack(b, S2, 0x402000);
	tb_begin(b, 0);
	ALLOC(T1, 10, 0x100, 100, S1);     /* the peak (100) */
	RFREE(T1, 20, 0x100);
	RALLOC(T1, 21, 0x200, 50, S1);     /* moved and shrank: counted */
	RFREE(T1, 30, 0x200);
	RALLOC(T1, 31, 0x200, 50, S1);     /* in place, same size: not counted */
	RFREE(T1, 40, 0x200);
	RALLOC(T1, 41, 0x200, 70, S1);     /* in place, grew: counted */
	RFREE(T1, 50, 0x999);              /* unknown: not written, counted in END */
	RALLOC(T1, 51, 0x999, 30, S2);     /* flagged in place, but no RFREE was read: counted */
	RFREE(T1, 60, 0x200);              /* no RALLOC follows: a free */
	ALLOC(T2, 70, 0x200, 8, S2);       /* the address again, no longer live */
	ALLOC(T2, 80, 0x300, 16, S2);
	RFREE(T1, 90, 0x999);
	RALLOC(T1, 91, 0x300, 40, S1);     /* 0x300 still live: implicit free first; moved: counted */
	tb_end(b);
	tb_end_record(b, 100, 2, 0, 2);
	tb_flush(b);
	CHECK_U("realloc: implicit frees written", b->implicit, 1);
	replay_ctx *rp;
	warns w;
	order *o = malloc(sizeof(*o));
	int rc = run_bytes(b->file, b->len, &rp, &w, o);
	const replay_summary *s = replay_get_summary(rp);
	CHECK_U("realloc: replay_run", (uint64_t)(int64_t)rc, 0);
	CHECK_U("realloc: warnings", (uint64_t)w.n, 0);
	CHECK_U("realloc: allocations", s->allocations, 7);
	CHECK_U("realloc: allocated bytes", s->allocated_bytes, 314);
	CHECK_U("realloc: frees", s->frees, 1);
	CHECK_U("realloc: fixups", s->fixups, 1);
	CHECK_U("realloc: unmatched frees", s->unmatched_frees, 1);
	CHECK_U("realloc: temporary", s->temporary, 0);
	CHECK_U("realloc: heap at end", s->heap_bytes, 48);
	CHECK_U("realloc: live allocations", s->live_allocations, 2);
	CHECK_U("realloc: peak heap", s->peak_heap_bytes, 100);
	CHECK_U("realloc: peak time", s->peak_time_ns, 10);
	CHECK_U("realloc: observer saw the file order", order_mismatches(b, o), 0);
	CHECK_U("realloc: observer fixups", o->statuses[REPLAY_ST_FIXUP], 1);
	/*                 id  allocs bytes live live_n temp peak peak_n */
	check_stack(rp, S1, 4, 260, 40, 1, 0, 100, 1);
	check_stack(rp, S2, 3, 54, 8, 1, 0, 0, 0);
	replay_free(rp);
	free(o);
	tb_release(b);
	free(b);
}

/* Not a trace, empty, newer version: nothing read, one line each. */
static void test_bad_input(void)
{
	replay_ctx *rp;
	warns w;
	uint8_t junk[300];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	int rc = run_bytes(junk, sizeof(junk), &rp, &w, NULL);
	CHECK_U("random bytes: no trace", (uint64_t)(int64_t)rc, (uint64_t)(int64_t)REPLAY_ENOTRACE);
	CHECK_MSG(w.n == 1 && strstr(w.text, "not a leakrec trace"), "random bytes: one message", NULL);
	replay_free(rp);

	rc = run_bytes(junk, 0, &rp, &w, NULL);
	CHECK_U("empty file: no trace", (uint64_t)(int64_t)rc, (uint64_t)(int64_t)REPLAY_ENOTRACE);
	CHECK_MSG(w.n == 1 && strstr(w.text, "empty file"), "empty file: one message", NULL);
	replay_free(rp);

	tb *b = malloc(sizeof(*b));
	tb_init(b);
	tb_header(b, TF_VERSION + 1);
	tb_flush(b);
	rc = run_bytes(b->file, b->len, &rp, &w, NULL);
	CHECK_U("newer version: no trace", (uint64_t)(int64_t)rc, (uint64_t)(int64_t)REPLAY_ENOTRACE);
	CHECK_MSG(w.n == 1 && strstr(w.text, "newer leakrec"), "newer version: one message", NULL);
	replay_free(rp);
	tb_release(b);
	free(b);
}

/* The main trace cut at every byte offset. */
static void test_truncation(const tb *b)
{
	unsigned bad_rc = 0, bad_events = 0, bad_msg = 0, runs = 0;
	for (size_t cut = 0; cut < b->len; cut++) {
		replay_ctx *rp;
		warns w;
		int rc = run_bytes(b->file, cut, &rp, &w, NULL);
		runs++;
		/* frames complete before the cut */
		size_t k = 0;
		while (k < b->nframes && b->frame_end[k] <= cut)
			k++;
		if (k == 0) {
			bad_rc += rc != REPLAY_ENOTRACE;
		} else {
			uint64_t want = k < b->nframes ? b->events_before[k] : b->events;
			bad_rc += rc != 0;
			bad_events += replay_get_summary(rp)->events_read != want;
			char expect[96];
			if (cut == b->frame_end[k - 1])
				snprintf(expect, sizeof(expect), "no end record");
			else
				snprintf(expect, sizeof(expect), "truncated at byte %zu ",
					 b->frame_start[k]);
			if (w.n != 1 || !strstr(w.text, expect)) {
				if (!bad_msg)
					printf("# cut %zu: want '%s', got '%s'\n", cut, expect, w.text);
				bad_msg++;
			}
		}
		replay_free(rp);
	}
	char what[96];
	snprintf(what, sizeof(what), "truncation: %u cuts, return codes", runs);
	CHECK_U(what, bad_rc, 0);
	CHECK_U("truncation: events read before the cut", bad_events, 0);
	CHECK_U("truncation: exactly one message naming the offset", bad_msg, 0);
}

/* Every byte of the main trace flipped in turn. */
static void test_flips(const tb *b)
{
	uint8_t *copy = malloc(b->len);
	unsigned bad = 0, runs = 0;
	for (size_t pos = 0; pos < b->len; pos++) {
		memcpy(copy, b->file, b->len);
		copy[pos] ^= (uint8_t)(0x5a + pos);
		if (copy[pos] == b->file[pos])
			copy[pos] ^= 1;
		replay_ctx *rp;
		warns w;
		int rc = run_bytes(copy, b->len, &rp, &w, NULL);
		runs++;
		size_t k = 0; /* the damaged frame */
		while (k < b->nframes && b->frame_end[k] <= pos)
			k++;
		if (k > 0) {
			/* everything before the damaged frame is read */
			if (rc != 0 || replay_get_summary(rp)->events_read < b->events_before[k]) {
				if (!bad)
					printf("# flip at %zu: rc %d, %" PRIu64 " events\n", pos, rc,
					       replay_get_summary(rp)->events_read);
				bad++;
			}
		}
		replay_free(rp);
	}
	free(copy);
	char what[96];
	snprintf(what, sizeof(what), "flips: %u runs without crash, the part before the damage read",
		 runs);
	CHECK_U(what, bad, 0);
}

/* Many passes of alloc/free pairs on three threads, merged in time order and split into records
 * of at most 256 events (allocation numbers run on across records): figures exact. */
static void test_long(void)
{
	tb *b = malloc(sizeof(*b));
	tb_init(b);
	b->checksum_odd = 0;
	b->rec_limit = 256;
	tb_header(b, TF_VERSION);
	tb_stack(b, S1, 0x1000);
	uint64_t t = 0;
	for (int pass = 0; pass < 200; pass++) {
		tb_begin(b, t);
		for (int i = 0; i < 100; i++) {
			for (uint64_t tid = 1; tid <= 3; tid++) {
				uint64_t p = 0x100000 * tid + (uint64_t)(i % 7) * 16;
				ALLOC(tid, t + (uint64_t)i * 10 + tid, p, 24, S1);
			}
			for (uint64_t tid = 1; tid <= 3; tid++) {
				uint64_t p = 0x100000 * tid + (uint64_t)(i % 7) * 16;
				FREE(tid, t + (uint64_t)i * 10 + tid + 5, p);
			}
		}
		tb_end(b);
		t += 1000;
		tf_enc_sync(&b->e, t);
		tb_flush(b);
	}
	tb_end_record(b, t, 1, 0, 3);
	tb_flush(b);
	replay_ctx *rp;
	warns w;
	int rc = run_bytes(b->file, b->len, &rp, &w, NULL);
	const replay_summary *s = replay_get_summary(rp);
	CHECK_U("long: replay_run", (uint64_t)(int64_t)rc, 0);
	CHECK_U("long: warnings", (uint64_t)w.n, 0);
	CHECK_U("long: events read", s->events_read, 120000);
	CHECK_U("long: allocations", s->allocations, 60000);
	CHECK_U("long: frees", s->frees, 60000);
	CHECK_U("long: temporary", s->temporary, 60000);
	CHECK_U("long: heap at end", s->heap_bytes, 0);
	CHECK_U("long: peak", s->peak_heap_bytes, 72);
	CHECK_U("long: late", s->late_events, 0);
	CHECK_U("long: fixups", s->fixups, 0);
	CHECK_U("long: unmatched", s->unmatched_frees, 0);
	replay_free(rp);
	tb_release(b);
	free(b);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *dir = getenv("TMPDIR");
	snprintf(tmp_path, sizeof(tmp_path), "%s/test_replay.XXXXXX",
		 dir && strlen(dir) < 40 ? dir : "/tmp");
	int fd = mkstemp(tmp_path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);

	tb *b = malloc(sizeof(*b));
	tb_init(b);
	build_main(b);
	test_main_figures(b);
	test_end_mismatch();
	test_file_order();
	test_realloc();
	test_bad_input();
	test_truncation(b);
	test_flips(b);
	test_long();
	tb_release(b);
	free(b);
	unlink(tmp_path);
	return check_summary();
}
