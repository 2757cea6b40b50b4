/*
 * replay.c: the time-ordered replay of a trace's heap events (see replay.h).
 *
 * Order: the recorder writes every event in one global time order (its writer merges the
 * threads' events and names each freed block by its allocation's number), so replay applies
 * events in file order.  The live map is keyed by allocation number + 1.
 *
 * Peak: the per-stack bytes live at the global peak are kept lazily.  peak_gen counts new maxima;
 * before a stack's live figures change, if the stack has not been touched since the latest peak,
 * its current figures (its figures at that peak) are saved.  At the end a stack touched since
 * the latest peak reports its saved figures, any other its final ones.
 *
 * Window: events are applied from the start of the trace whatever the window (the live map needs
 * them) but counted only while it is open.  A stack keeps its live figures over every block (the
 * peak needs them) and, when the window starts after 0, win_* over the blocks allocated in the
 * window; at the end win_* become live_* and the full figures heap_*.  Opening the window makes
 * the heap at that moment the first peak candidate.  Once closed nothing is applied or observed:
 * the figures are those at the window's end.
 *
 * Sampled traces (a header with a sample rate): a block keeps its recorded size, and every figure
 * takes the bytes and the count it stands for (estimate.h) where a full trace takes its size and
 * 1; observers see the estimated bytes in replay_event.size.  The END record's counts are those
 * of the recorded events, checked against raw counts kept beside the estimates.
 */
#include "replay.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estimate.h"
#include "lifetime.h"
#include "util.h"

/* Forces the inlining of a function of the per-event path. */
#if defined(__GNUC__)
#define REPLAY_INLINE inline __attribute__((always_inline))
#else
#define REPLAY_INLINE inline
#endif


typedef struct stk {
	replay_stack pub;
	uint64_t *frames;
	uint64_t gen; /* peak generation at which saved_* were taken */
	uint64_t saved_bytes, saved_allocs;
	uint64_t win_bytes, win_allocs; /* live blocks allocated in the window (win_from > 0 only) */
	lifetime_acc held; /* lifetime_term summed over its live blocks (lifetime.h) */
} stk;

/* A live block.  32 bytes, two to a cache line: the hash table below is the replay's largest
 * working set and is probed at random, so its size decides how often a probe misses the caches.
 * The thread is an index into thrs (a bijection with thread ids) rather than the id. */
typedef struct blk {
	uint64_t key; /* allocation number + 1; 0: empty slot */
	uint64_t size, time;
	uint32_t stack; /* index into stks */
	uint32_t thr;   /* index into thrs */
} blk;

/* A growing list of marks with their own label copies. */
typedef struct markset {
	replay_mark *v;
	size_t n, cap;
} markset;

typedef struct thr {
	uint64_t tid;
	/* Key of the block of this thread's latest ALLOC; 0 once it allocated otherwise.  Keys are
	 * unique among live blocks, and a later block at the same key with this thread would have come
	 * from a later allocation of this thread (which resets this field), so a live block with this
	 * thread and this key is that very block. */
	uint64_t last_key;
	int rf_active, rf_known; /* an RFREE waits for its RALLOC */
	int rf_in;               /* that RFREE was processed in the window */
	uint64_t rf_size;        /* the size of the block it released (rf_known) */
	uint64_t rf_count;       /* the allocations that block stands for (sampled traces) */
} thr;

struct replay_ctx {
	replay_observer obs;
	replay_warn_fn warn;
	void *warn_ctx;
	replay_summary sum;
	replay_header hdr;
	char *exe, *argbuf;
	char **argv;

	stk *stks;
	size_t nstk, capstk;
	util_map stkmap;

	thr *thrs;
	size_t nthr, capthr;
	util_map thrmap;
	uint32_t last_thr;  /* thread of the previous event */
	uint64_t last_tid;  /* its id (when nthr > 0) */
	uint32_t *direct;   /* stack id -> index + 1 (0: not seen), for ids < ndirect */
	size_t ndirect;

	blk *live;
	size_t livecap, livecount;
	unsigned liveshift; /* 64 - log2(livecap) */
	uint64_t max_key;   /* largest key ever inserted */
	blk *recent;        /* REPLAY_RECENT blocks indexed by key (see the live map), or NULL */

	replay_modrec *mods;
	size_t nmod, capmod;
	markset marks;

	uint64_t win_from, win_to;
	int win_open, win_closed;

	uint64_t last_time, max_time;
	uint64_t now;       /* time of the event being applied */
	lifetime_tab *life; /* per-stack lifetimes and byte-seconds (lifetime.h) */
	uint64_t peak_gen;
	int ran;
	int nomem;
	uint64_t rate;                  /* the header's sample rate (0: full trace) */
	uint64_t raw_allocs, raw_frees; /* as summary.allocations, frees, unweighted (END check) */
};

/* The bytes and the allocations a recorded block stands for (estimate.h): its size and 1 in a
 * full trace. */
static inline uint64_t blk_bytes(const replay_ctx *rp, uint64_t size)
{
	return __builtin_expect(rp->rate == 0, 1) ? size : estimate_bytes(size, rp->rate);
}
static inline uint64_t blk_count(const replay_ctx *rp, uint64_t size, uint64_t key)
{
	return __builtin_expect(rp->rate == 0, 1) ? 1 : estimate_count(size, rp->rate, key);
}

const char *replay_strerror(int err)
{
	switch (err) {
	case REPLAY_OK: return "success";
	case REPLAY_ENOMEM: return "out of memory";
	case REPLAY_ENOTRACE: return "nothing could be read";
	case REPLAY_EINVAL: return "invalid argument";
	}
	return "unknown error";
}

/* ---- marks ---- */

static int markset_add(markset *m, uint64_t time_ns, uint64_t tid, const char *label, size_t n)
{
	if (util_grow((void **)&m->v, &m->cap, m->n + 1, sizeof(replay_mark)))
		return REPLAY_ENOMEM;
	size_t len = strnlen(label, n);
	char *copy = malloc(len + 1);
	if (!copy)
		return REPLAY_ENOMEM;
	memcpy(copy, label, len);
	copy[len] = '\0';
	m->v[m->n].time_ns = time_ns;
	m->v[m->n].tid = tid;
	m->v[m->n].label = copy;
	m->n++;
	return 0;
}

static void markset_release(markset *m)
{
	for (size_t i = 0; i < m->n; i++)
		free((char *)(uintptr_t)m->v[i].label);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

int replay_create(replay_ctx **out)
{
	*out = NULL;
	replay_ctx *rp = calloc(1, sizeof(*rp));
	if (!rp)
		return REPLAY_ENOMEM;
	util_map_init(&rp->stkmap);
	util_map_init(&rp->thrmap);
	rp->win_to = UINT64_MAX;
	if (lifetime_create(&rp->life, LIFETIME_BUDGET_DEFAULT)) {
		replay_free(rp);
		return REPLAY_ENOMEM;
	}
	*out = rp;
	return 0;
}

void replay_free(replay_ctx *rp)
{
	if (!rp)
		return;
	for (size_t i = 0; i < rp->nstk; i++)
		free(rp->stks[i].frames);
	free(rp->stks);
	util_map_release(&rp->stkmap);
	free(rp->thrs);
	util_map_release(&rp->thrmap);
	free(rp->direct);
	free(rp->live);
	free(rp->recent);
	for (size_t i = 0; i < rp->nmod; i++)
		free((char *)(uintptr_t)rp->mods[i].mod.path);
	free(rp->mods);
	free(rp->exe);
	free(rp->argbuf);
	free(rp->argv);
	markset_release(&rp->marks);
	lifetime_free(rp->life);
	free(rp);
}

void replay_set_observer(replay_ctx *rp, const replay_observer *obs)
{
	if (obs)
		rp->obs = *obs;
	else
		memset(&rp->obs, 0, sizeof(rp->obs));
}

void replay_set_warn(replay_ctx *rp, replay_warn_fn fn, void *ctx)
{
	rp->warn = fn;
	rp->warn_ctx = ctx;
}

int replay_set_window(replay_ctx *rp, uint64_t from_ns, uint64_t to_ns)
{
	if (from_ns > to_ns || rp->ran)
		return REPLAY_EINVAL;
	rp->win_from = from_ns;
	rp->win_to = to_ns;
	rp->sum.windowed = from_ns > 0 || to_ns != UINT64_MAX;
	if (rp->life)
		lifetime_set_window(rp->life, from_ns);
	return 0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void warnf(replay_ctx *rp, const char *fmt, ...);

static void warnf(replay_ctx *rp, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (rp->warn)
		rp->warn(rp->warn_ctx, buf);
}

/* Records why the trace is incomplete, unless a reason is known already. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void set_incomplete(replay_ctx *rp, const char *fmt, ...)
{
	if (rp->sum.incomplete[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rp->sum.incomplete, sizeof(rp->sum.incomplete), fmt, ap);
	va_end(ap);
}

void replay_format_read_error(char *buf, size_t n, int rc, uint64_t off, int after_header)
{
	switch (rc) {
	case TF_EEMPTY:
		snprintf(buf, n, "empty file: not a leakrec trace");
		break;
	case TF_EMAGIC:
		snprintf(buf, n, "not a leakrec trace");
		break;
	case TF_EVERSION:
		snprintf(buf, n, "written by a newer leakrec (trace format version above %d); cannot "
				 "read it",
			 TF_VERSION);
		break;
	case TF_ETRUNC:
		if (after_header)
			snprintf(buf, n, "truncated at byte %" PRIu64 " (last frame incomplete); "
					 "reporting what came before",
				 off);
		else
			snprintf(buf, n, "truncated at byte %" PRIu64 " before the header was "
					 "complete; nothing to report",
				 off);
		break;
	case TF_ECORRUPT:
		if (after_header)
			snprintf(buf, n, "corrupt data at byte %" PRIu64 " (damaged frame skipped); "
					 "reporting the rest",
				 off);
		else
			snprintf(buf, n, "corrupt data at byte %" PRIu64 ": not a readable leakrec "
					 "trace",
				 off);
		break;
	default:
		snprintf(buf, n, "%s at byte %" PRIu64, tf_strerror(rc), off);
		break;
	}
}

/* ---- stacks ---- */

/* Stack ids are small dense numbers in a sane trace: ids below this are looked up in a direct
 * array, larger ones (only in a damaged or hostile trace) in the hash map. */
#define REPLAY_DIRECT_STACKS (1u << 20)

/* The index of key in a dense array (*arr: *n elements of elem bytes, *cap allocated) indexed
 * by map; when key is new, a zeroed element is appended for it and *made set.  -1 when out of
 * memory. */
static int64_t dense_index(util_map *map, void **arr, size_t *cap, size_t *n, size_t elem,
			   uint64_t key, int *made)
{
	uint32_t idx;
	*made = 0;
	if (util_map_get(map, key, &idx))
		return idx;
	if (*n >= UINT32_MAX - 1 || util_grow(arr, cap, *n + 1, elem))
		return -1;
	idx = (uint32_t)*n;
	if (util_map_put(map, key, idx))
		return -1;
	memset((char *)*arr + (size_t)idx * elem, 0, elem);
	(*n)++;
	*made = 1;
	return idx;
}

static int64_t stack_slow(replay_ctx *rp, uint64_t id)
{
	int made;
	int64_t idx = dense_index(&rp->stkmap, (void **)&rp->stks, &rp->capstk, &rp->nstk,
				  sizeof(stk), id, &made);
	if (idx < 0 || !made)
		return idx;
	if (id < REPLAY_DIRECT_STACKS) {
		if (id >= rp->ndirect) {
			size_t old = rp->ndirect;
			if (util_grow((void **)&rp->direct, &rp->ndirect, (size_t)id + 1,
				    sizeof(*rp->direct)))
				return -1;
			memset(rp->direct + old, 0, (rp->ndirect - old) * sizeof(*rp->direct));
		}
		rp->direct[id] = (uint32_t)idx + 1;
	}
	stk *s = &rp->stks[idx];
	s->pub.id = id;
	s->gen = rp->peak_gen; /* nothing was live in it at any earlier peak */
	return idx;
}

/* Finds or creates the stack entry of `id`; returns its index, or -1 when out of memory.  The
 * direct array inline, the rest out of line: this runs for every allocation. */
static inline int64_t stack_index(replay_ctx *rp, uint64_t id)
{
	if (id < rp->ndirect && rp->direct[id])
		return rp->direct[id] - 1;
	return stack_slow(rp, id);
}

static int define_stack(replay_ctx *rp, const tf_stack *ts)
{
	int64_t idx = stack_index(rp, ts->id);
	if (idx < 0)
		return REPLAY_ENOMEM;
	stk *s = &rp->stks[idx];
	if (s->pub.defined)
		return 0; /* a second definition of the same id: the first one stands */
	if (ts->nframes) {
		s->frames = malloc(ts->nframes * sizeof(uint64_t));
		if (!s->frames)
			return REPLAY_ENOMEM;
		memcpy(s->frames, ts->frames, ts->nframes * sizeof(uint64_t));
	}
	s->pub.defined = 1;
	s->pub.epoch = ts->epoch;
	s->pub.nframes = ts->nframes;
	s->pub.frames = s->frames;
	return 0;
}

/* Saves a stack's figures before their first change after the latest peak. */
static void touch(replay_ctx *rp, stk *s)
{
	if (s->gen != rp->peak_gen) {
		s->saved_bytes = s->pub.live_bytes;
		s->saved_allocs = s->pub.live_allocations;
		s->gen = rp->peak_gen;
	}
}

/* ---- live map ----
 *
 * Keys are allocation numbers + 1: consecutive, and most blocks die young.  The REPLAY_RECENT most
 * recent allocations sit in an array indexed by their key (`recent`): an allocation writes the
 * next slot in turn, a free finds its block at a known place.  A block still live when its slot
 * comes round again moves to a hash table (open addressing, backward-shift deletion).
 *
 * The array is large (2^18 blocks: 8 MiB of address space, allocated on first use, resident only
 * as far as the trace's allocations reach) because a block that reaches the hash table costs an
 * insert, a probe and a delete at random places, with probe lengths no branch predictor guesses,
 * where the array costs a store in sequence and one load: blocks that live a few thousand
 * allocations (most of those of churning programs) never reach the table.  The layout of the
 * map is never observable: only the blocks in it are.
 */
#define REPLAY_RECENT ((size_t)1 << 18) /* a power of two */

static inline size_t live_slot(const replay_ctx *rp, uint64_t key)
{
	/* keys are allocation numbers + 1, mostly consecutive: Fibonacci hashing (the top bits of
	 * the product) spreads them */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> rp->liveshift);
}

static blk *hash_find(replay_ctx *rp, uint64_t key)
{
	if (!rp->livecap)
		return NULL;
	size_t mask = rp->livecap - 1;
	for (size_t i = live_slot(rp, key);; i = (i + 1) & mask) {
		if (rp->live[i].key == 0)
			return NULL;
		if (rp->live[i].key == key)
			return &rp->live[i];
	}
}

/* Doubles the hash table.  Returns 0 or REPLAY_ENOMEM. */
static int hash_grow(replay_ctx *rp)
{
	size_t ncap = rp->livecap ? rp->livecap * 2 : 1024;
	if (ncap > SIZE_MAX / sizeof(blk))
		return REPLAY_ENOMEM;
	blk *nt = calloc(ncap, sizeof(blk));
	if (!nt)
		return REPLAY_ENOMEM;
	blk *old = rp->live;
	size_t ocap = rp->livecap;
	rp->live = nt;
	rp->livecap = ncap;
	rp->liveshift = 64;
	for (size_t c = ncap; c > 1; c >>= 1)
		rp->liveshift--;
	for (size_t i = 0; i < ocap; i++) {
		if (old[i].key) {
			size_t j = live_slot(rp, old[i].key);
			while (nt[j].key)
				j = (j + 1) & (ncap - 1);
			nt[j] = old[i];
		}
	}
	free(old);
	return 0;
}

static int hash_insert(replay_ctx *rp, const blk *b)
{
	/* at most half full: short probes */
	if ((rp->livecount + 1) * 2 > rp->livecap && hash_grow(rp))
		return REPLAY_ENOMEM;
	size_t mask = rp->livecap - 1;
	size_t i = live_slot(rp, b->key);
	while (rp->live[i].key)
		i = (i + 1) & mask;
	rp->live[i] = *b;
	rp->livecount++;
	return 0;
}

static void hash_delete(replay_ctx *rp, blk *b)
{
	size_t mask = rp->livecap - 1;
	size_t i = (size_t)(b - rp->live);
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (rp->live[j].key == 0)
			break;
		size_t home = live_slot(rp, rp->live[j].key);
		/* move j into the hole at i unless its home lies cyclically in (i, j] */
		int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
		if (!stays) {
			rp->live[i] = rp->live[j];
			i = j;
		}
	}
	rp->live[i].key = 0;
	rp->livecount--;
}

/* The live block with this key, or NULL. */
static inline blk *live_find(replay_ctx *rp, uint64_t key)
{
	if (rp->recent) {
		blk *r = &rp->recent[key & (REPLAY_RECENT - 1)];
		if (r->key == key)
			return r;
	}
	return hash_find(rp, key);
}

/* Adds a block whose key is not live.  Returns 0 or REPLAY_ENOMEM. */
static inline int live_insert(replay_ctx *rp, const blk *b)
{
	if (__builtin_expect(!rp->recent, 0)) {
		rp->recent = calloc(REPLAY_RECENT, sizeof(blk));
		if (!rp->recent)
			return REPLAY_ENOMEM;
	}
	blk *r = &rp->recent[b->key & (REPLAY_RECENT - 1)];
	if (r->key && hash_insert(rp, r))
		return REPLAY_ENOMEM;
	*r = *b;
	return 0;
}

/* Removes a block live_find returned. */
static inline void live_delete(replay_ctx *rp, blk *b)
{
	if (b >= rp->recent && b < rp->recent + REPLAY_RECENT)
		b->key = 0;
	else
		hash_delete(rp, b);
}

/* Removes a live block from the books (not from the map). */
static inline void release_block(replay_ctx *rp, const blk *b)
{
	stk *s = &rp->stks[b->stack];
	touch(rp, s);
	uint64_t bytes = blk_bytes(rp, b->size), n = blk_count(rp, b->size, b->key);
	s->pub.live_bytes -= bytes;
	s->pub.live_allocations -= n;
	if (rp->win_from && b->time >= rp->win_from) {
		s->win_bytes -= bytes;
		s->win_allocs -= n;
	}
	rp->sum.heap_bytes -= bytes;
	rp->sum.live_allocations -= n;
	s->held -= lifetime_term(bytes, b->time, rp->win_from);
	if (rp->life && lifetime_end(rp->life, b->stack, bytes, b->time, rp->now))
		rp->nomem = 1;
}

/* ---- applying events ----
 *
 * The replay of one event is: count it, find its thread (and for an allocation its stack), let
 * it open or close the window, apply it, hand it to the observer.  The kinds take different
 * paths through all of it, and the order of allocations and frees in a trace is not predictable:
 * the loop in read_events branches on the kind once and each kind's path is straight-line code
 * (apply_alloc, apply_free for plain ALLOC and FREE, which are nearly all events; apply_other
 * for the rest), instead of a branch on the kind in each step.
 */

/* A thread's RFREE not followed by its RALLOC: the realloc released the block (size 0). */
static inline void end_rfree(replay_ctx *rp, thr *t)
{
	if (t->rf_active && t->rf_known && t->rf_in) {
		rp->sum.frees += t->rf_count;
		rp->raw_frees++;
	}
	t->rf_active = 0;
}

/* Applies an ALLOC or RALLOC of block `key` by thread `ti` (out->status and the figures).
 * Inlined into both callers: a call per allocation would cost about as much as the work. */
static REPLAY_INLINE void do_alloc(replay_ctx *rp, uint32_t ti, uint64_t key, uint64_t size, uint64_t time,
			    uint32_t si, int counted, replay_event *out)
{
	if (key == 0) {
		rp->sum.invalid_events++;
		out->status = REPLAY_ST_INVALID;
		return;
	}
	/* Allocation numbers only grow in a sane trace: a number above every one seen cannot be
	 * live, and the (unsuccessful, hence long) probe is skipped. */
	if (__builtin_expect(key <= rp->max_key, 0)) {
		blk *old = live_find(rp, key);
		if (old) {
			rp->sum.fixups++;
			out->status = REPLAY_ST_FIXUP;
			release_block(rp, old);
			live_delete(rp, old);
		}
	} else {
		rp->max_key = key;
	}
	blk b = {key, size, time, si, ti};
	if (live_insert(rp, &b)) {
		rp->nomem = 1;
		return;
	}
	stk *s = &rp->stks[si];
	touch(rp, s);
	uint64_t bytes = blk_bytes(rp, size), n = blk_count(rp, size, key);
	out->size = bytes;
	s->pub.live_bytes += bytes;
	s->pub.live_allocations += n;
	s->held += lifetime_term(bytes, time, rp->win_from);
	out->stack_live_bytes = s->pub.live_bytes;
	out->stack_index = si;
	rp->sum.heap_bytes += bytes;
	rp->sum.live_allocations += n;
	if (!rp->win_open)
		return; /* before the window: only the live figures */
	if (rp->win_from && time >= rp->win_from) {
		s->win_bytes += bytes;
		s->win_allocs += n;
	}
	if (counted) {
		s->pub.allocations += n;
		s->pub.allocated_bytes += bytes;
		rp->sum.allocations += n;
		rp->sum.allocated_bytes += bytes;
		rp->raw_allocs++;
		replay_size_class *c = &rp->sum.sizes[replay_size_class_of(size)];
		c->allocations += n;
		c->bytes += bytes;
		out->counted = 1;
	}
	if (rp->sum.heap_bytes > rp->sum.peak_heap_bytes) {
		rp->sum.peak_heap_bytes = rp->sum.heap_bytes;
		rp->sum.peak_time_ns = time;
		rp->sum.peak_allocations = rp->sum.live_allocations;
		rp->peak_gen++;
	}
}

/* Looks up the block a FREE/RFREE of `key` at `time` releases; NULL when it is ignored (status
 * set). */
static inline blk *free_target(replay_ctx *rp, uint64_t key, uint64_t time, replay_event *out)
{
	blk *b = live_find(rp, key);
	if (!b) {
		rp->sum.unmatched_frees++;
		out->status = REPLAY_ST_UNMATCHED;
		return NULL;
	}
	if (time < b->time) {
		rp->sum.stale_frees++;
		out->status = REPLAY_ST_STALE;
		return NULL;
	}
	out->recorded_size = b->size;
	out->size = blk_bytes(rp, b->size);
	out->stack = rp->stks[b->stack].pub.id;
	out->stack_index = b->stack;
	return b;
}

/* Opens the window: the heap as it stands is the first peak candidate. */
static void open_window(replay_ctx *rp)
{
	rp->win_open = 1;
	if (rp->sum.heap_bytes > rp->sum.peak_heap_bytes) {
		rp->sum.peak_heap_bytes = rp->sum.heap_bytes;
		rp->sum.peak_time_ns = rp->win_from;
		rp->sum.peak_allocations = rp->sum.live_allocations;
		rp->peak_gen++;
	}
}

/* Lets an event at `time` open or close the window.  Returns 1 when it is not applied (the
 * window is closed: nothing after it is applied or observed). */
static inline int window_gate(replay_ctx *rp, uint64_t time)
{
	if (rp->win_closed)
		return 1;
	if (time >= rp->win_to) {
		if (!rp->win_open)
			open_window(rp);
		rp->win_closed = 1;
		return 1;
	}
	if (!rp->win_open && time >= rp->win_from)
		open_window(rp);
	return 0;
}

/* ---- reading events ---- */

static int64_t thread_slow(replay_ctx *rp, uint64_t tid)
{
	int made;
	int64_t idx = dense_index(&rp->thrmap, (void **)&rp->thrs, &rp->capthr, &rp->nthr,
				  sizeof(thr), tid, &made);
	if (idx < 0)
		return idx;
	if (made)
		rp->thrs[idx].tid = tid;
	rp->last_thr = (uint32_t)idx;
	rp->last_tid = tid;
	return idx;
}

/* The index of a thread in thrs (created when new), or -1 when out of memory. */
static inline int64_t thread_index(replay_ctx *rp, uint64_t tid)
{
	if (rp->nthr && rp->last_tid == tid)
		return rp->last_thr; /* consecutive events are mostly one thread's */
	return thread_slow(rp, tid);
}

/* What every event does before it is applied: counted, its thread found (*ti), the latest time
 * kept.  Returns 0, or REPLAY_ENOMEM. */
static inline int event_start(replay_ctx *rp, const tf_event *ev, uint32_t *ti)
{
	rp->sum.events_read++;
	int64_t i = thread_index(rp, ev->tid);
	if (i < 0)
		return REPLAY_ENOMEM;
	*ti = (uint32_t)i;
	return 0;
}

static inline void event_time(replay_ctx *rp, uint64_t time)
{
	if (time > rp->max_time)
		rp->max_time = time;
}

/* What every applied event does first: its time checked against the previous one's. */
static inline void event_order(replay_ctx *rp, uint64_t time)
{
	if (time < rp->last_time)
		rp->sum.late_events++;
	else
		rp->last_time = time;
}

/* After event_start (and the stack look-up): the latest time kept, the window gate (1: the event
 * is not applied), then *out's common fields and the order check.  Returns 1 when gated. */
static inline int event_apply(replay_ctx *rp, const tf_event *ev, uint32_t ti, replay_event *out)
{
	uint64_t time = ev->time_ns;
	event_time(rp, time);
	if (window_gate(rp, time))
		return 1;
	*out = (replay_event){.time_ns = time, .tid = rp->thrs[ti].tid, .kind = ev->kind,
			  .func = ev->func, .id = ev->id, .in_window = (uint8_t)rp->win_open};
	rp->now = time;
	event_order(rp, time);
	return 0;
}

/* Hands an applied event to the observer. */
static inline void event_done(replay_ctx *rp, replay_event *out)
{
	out->heap_bytes = rp->sum.heap_bytes;
	if (rp->obs.event)
		rp->obs.event(rp->obs.ctx, out);
}

/* A plain ALLOC.  Returns 0 or REPLAY_ENOMEM. */
static inline int apply_alloc(replay_ctx *rp, const tf_event *ev)
{
	uint32_t ti;
	if (event_start(rp, ev, &ti))
		return REPLAY_ENOMEM;
	int64_t si = stack_index(rp, ev->stack);
	if (si < 0)
		return REPLAY_ENOMEM;
	replay_event out;
	if (event_apply(rp, ev, ti, &out))
		return 0;
	uint64_t time = ev->time_ns, key = ev->id + 1;
	thr *t = &rp->thrs[ti];
	out.size = out.recorded_size = ev->size;
	out.stack = rp->stks[si].pub.id;
	end_rfree(rp, t);
	do_alloc(rp, ti, key, ev->size, time, (uint32_t)si, 1, &out);
	if (out.status != REPLAY_ST_INVALID)
		t->last_key = key;
	event_done(rp, &out);
	return rp->nomem ? REPLAY_ENOMEM : 0;
}

/* A FREE made by a call (not an implicit one).  Returns 0 or REPLAY_ENOMEM. */
static inline int apply_free(replay_ctx *rp, const tf_event *ev)
{
	uint32_t ti;
	if (event_start(rp, ev, &ti))
		return REPLAY_ENOMEM;
	replay_event out;
	if (event_apply(rp, ev, ti, &out))
		return 0;
	uint64_t time = ev->time_ns, key = ev->id + 1;
	thr *t = &rp->thrs[ti];
	end_rfree(rp, t);
	blk *b = free_target(rp, key, time, &out);
	if (b) {
		/* temporary when it is the block of this thread's latest ALLOC */
		if (rp->win_open && b->thr == ti && key == t->last_key && b->time >= rp->win_from) {
			rp->stks[b->stack].pub.temporary++;
			rp->sum.temporary++;
			out.temporary = 1;
		}
		if (rp->win_open) {
			rp->sum.frees += blk_count(rp, b->size, b->key);
			rp->raw_frees++;
		}
		release_block(rp, b);
		out.stack_live_bytes = rp->stks[b->stack].pub.live_bytes;
		live_delete(rp, b);
	}
	event_done(rp, &out);
	return 0;
}

/* RALLOC, RFREE and implicit FREE events.  Returns 0 or REPLAY_ENOMEM. */
static int apply_other(replay_ctx *rp, const tf_event *ev)
{
	uint32_t ti;
	if (event_start(rp, ev, &ti))
		return REPLAY_ENOMEM;
	uint32_t si = 0;
	if (ev->kind == TF_EV_RALLOC) {
		int64_t i = stack_index(rp, ev->stack);
		if (i < 0)
			return REPLAY_ENOMEM;
		si = (uint32_t)i;
	}
	replay_event out;
	if (event_apply(rp, ev, ti, &out))
		return 0;
	uint64_t time = ev->time_ns, key = ev->id + 1;
	thr *t = &rp->thrs[ti];
	if (ev->kind == TF_EV_RALLOC) {
		out.size = out.recorded_size = ev->size;
		out.stack = rp->stks[si].pub.id;
	}
	switch (ev->kind) {
	case TF_EV_RALLOC: {
		int known = t->rf_active && t->rf_known;
		int counted = !known || !ev->inplace || ev->size > t->rf_size;
		t->rf_active = 0;
		t->last_key = 0;
		do_alloc(rp, ti, key, ev->size, time, si, counted, &out);
		break;
	}
	case TF_EV_FREE: {
		/* implicit: the recorder saw the address handed out again without a recorded free
		 * (a release inside the C library): the block is gone, no call made */
		blk *b = free_target(rp, key, time, &out);
		if (b) {
			rp->sum.fixups++;
			out.status = REPLAY_ST_FIXUP;
			release_block(rp, b);
			out.stack_live_bytes = rp->stks[b->stack].pub.live_bytes;
			live_delete(rp, b);
		}
		break;
	}
	case TF_EV_RFREE: {
		end_rfree(rp, t);
		t->last_key = 0;
		blk *b = free_target(rp, key, time, &out);
		t->rf_active = 1;
		t->rf_known = b != NULL;
		t->rf_in = rp->win_open;
		if (b) {
			t->rf_size = b->size;
			t->rf_count = blk_count(rp, b->size, b->key);
			release_block(rp, b);
			out.stack_live_bytes = rp->stks[b->stack].pub.live_bytes;
			live_delete(rp, b);
		}
		break;
	}
	}
	event_done(rp, &out);
	return rp->nomem ? REPLAY_ENOMEM : 0;
}

/* Events are decoded REPLAY_BATCH at a time (tf_dec_events_read decodes column by column). */
#define REPLAY_BATCH 256


/* A record whose payload does not decode past some point: said once, the trace is damaged. */
static void record_damaged(replay_ctx *rp, const char *what, uint64_t offset)
{
	warnf(rp, "corrupt %s record at byte %" PRIu64 " (rest of the record skipped)", what, offset);
	set_incomplete(rp, "damaged at byte %" PRIu64, offset);
	rp->sum.damaged = 1;
}

/* Applies the events of an EVENTS record: the recorder wrote them in one time order.  Returns 0
 * or REPLAY_ENOMEM. */
static int read_events(replay_ctx *rp, tf_record *rec)
{
	tf_dec_events *it = &rec->u.events;
	tf_event evs[REPLAY_BATCH];
	size_t n;
	int rc;
	do {
		rc = tf_dec_events_read(it, evs, REPLAY_BATCH, &n);
		for (size_t i = 0; i < n; i++) {
			const tf_event *ev = &evs[i];
			int ret;
			if (ev->kind == TF_EV_ALLOC)
				ret = apply_alloc(rp, ev);
			else if (ev->kind == TF_EV_FREE && ev->func != TF_FN_IMPLICIT)
				ret = apply_free(rp, ev);
			else
				ret = apply_other(rp, ev);
			if (ret)
				return ret;
		}
	} while (rc == 0 && n);
	if (rc < 0)
		record_damaged(rp, "events", rec->offset);
	return 0;
}

static int read_header(replay_ctx *rp, const tf_header *h)
{
	rp->exe = malloc(h->exe_len + 1);
	rp->argbuf = malloc(h->argv_len + 1);
	rp->argv = calloc((size_t)h->argc + 1, sizeof(char *));
	if (!rp->exe || !rp->argbuf || !rp->argv)
		return REPLAY_ENOMEM;
	memcpy(rp->exe, h->exe, h->exe_len);
	rp->exe[h->exe_len] = '\0';
	memcpy(rp->argbuf, h->argv, h->argv_len);
	rp->argbuf[h->argv_len] = '\0';
	/* the decoder checked: exactly argc NUL-terminated strings */
	size_t pos = 0;
	for (uint32_t i = 0; i < h->argc && pos < h->argv_len; i++) {
		rp->argv[i] = rp->argbuf + pos;
		pos += strlen(rp->argbuf + pos) + 1;
	}
	rp->hdr.version = h->version;
	rp->hdr.pid = h->pid;
	rp->hdr.ppid = h->ppid;
	rp->hdr.max_depth = h->max_depth;
	rp->hdr.clock_origin_ns = h->clock_origin_ns;
	rp->hdr.realtime_ns = h->realtime_ns;
	rp->hdr.exe = rp->exe;
	rp->hdr.argc = h->argc;
	rp->hdr.argv = (const char *const *)rp->argv;
	rp->hdr.sample_rate = h->sample_rate;
	rp->hdr.attached = h->attached != 0;
	rp->rate = h->sample_rate;
	rp->sum.have_header = 1;
	return 0;
}

static int add_modrec(replay_ctx *rp, const tf_record *rec)
{
	if (util_grow((void **)&rp->mods, &rp->capmod, rp->nmod + 1, sizeof(replay_modrec)))
		return REPLAY_ENOMEM;
	replay_modrec *m = &rp->mods[rp->nmod];
	memset(m, 0, sizeof(*m));
	if (rec->type == TF_REC_MODULE_UNLOAD) {
		m->unload = 1;
		m->mod.id = rec->u.unload.id;
		m->mod.epoch = rec->u.unload.epoch;
		m->mod.path = NULL;
	} else {
		m->mod = rec->u.module;
		char *path = malloc(m->mod.path_len + 1);
		if (!path)
			return REPLAY_ENOMEM;
		memcpy(path, rec->u.module.path, m->mod.path_len);
		path[m->mod.path_len] = '\0';
		m->mod.path = path;
	}
	rp->nmod++;
	return 0;
}

/* Books the leak kinds of a REACH_BLOCKS record on the stacks of the blocks it names (which are
 * the blocks live at the end: every event came before it).  With a window, only the blocks the
 * window counts as live (allocated in it); a window closed before the end takes none. */
static int read_reach_blocks(replay_ctx *rp, const tf_record *rec)
{
	tf_reach_blocks blocks = rec->u.reach_blocks, *it = &blocks;
	if (!rp->sum.reach_applies)
		return 0;
	uint64_t id;
	unsigned kind;
	int rc;
	while ((rc = tf_dec_reach_next(it, &id, &kind)) == 1) {
		blk *b = id < UINT64_MAX ? live_find(rp, id + 1) : NULL;
		if (!b) {
			rp->sum.reach_unknown++;
			continue;
		}
		if (rp->win_from && b->time < rp->win_from)
			continue;
		stk *s = &rp->stks[b->stack];
		s->pub.kind_bytes[kind] += blk_bytes(rp, b->size);
		s->pub.kind_allocations[kind] += blk_count(rp, b->size, b->key);
	}
	if (rc < 0)
		record_damaged(rp, "leak-kind", rec->offset);
	return 0;
}

/* Handles one decoded record. */
static int handle(replay_ctx *rp, tf_record *rec)
{
	rp->sum.records++;
	switch (rec->type) {
	case TF_REC_HEADER:
		if (!rp->sum.have_header)
			return read_header(rp, &rec->u.header);
		return 0;
	case TF_REC_MODULE_LOAD:
	case TF_REC_MODULE_UNLOAD:
		return add_modrec(rp, rec);
	case TF_REC_STACK:
		return define_stack(rp, &rec->u.stack);
	case TF_REC_EVENTS:
		return read_events(rp, rec);
	case TF_REC_SYNC:
		rp->sum.syncs++;
		return 0;
	case TF_REC_RSS:
		if (rec->u.rss.time_ns > rp->max_time)
			rp->max_time = rec->u.rss.time_ns;
		if (rp->obs.rss)
			rp->obs.rss(rp->obs.ctx, rec->u.rss.time_ns, rec->u.rss.rss_bytes);
		if (rec->u.rss.time_ns < rp->win_from || rec->u.rss.time_ns >= rp->win_to)
			return 0;
		rp->sum.rss_samples++;
		if (rec->u.rss.rss_bytes > rp->sum.peak_rss_bytes) {
			rp->sum.peak_rss_bytes = rec->u.rss.rss_bytes;
			rp->sum.peak_rss_time_ns = rec->u.rss.time_ns;
		}
		return 0;
	case TF_REC_MARK:
		if (rec->u.mark.time_ns > rp->max_time)
			rp->max_time = rec->u.mark.time_ns;
		return markset_add(&rp->marks, rec->u.mark.time_ns, rec->u.mark.tid,
				   rec->u.mark.label, rec->u.mark.label_len);
	case TF_REC_REACH:
		if (!rp->sum.have_reach) {
			tf_reach *t = &rp->sum.reach;
			*t = rec->u.reach;
			size_t n = t->note_len < sizeof(rp->sum.reach_note) - 1
					   ? t->note_len
					   : sizeof(rp->sum.reach_note) - 1;
			memcpy(rp->sum.reach_note, t->note, n);
			rp->sum.reach_note[n] = '\0';
			t->note = rp->sum.reach_note;
			t->note_len = n;
			rp->sum.have_reach = 1;
			rp->sum.reach_applies = t->scanned && !rp->win_closed;
		}
		return 0;
	case TF_REC_REACH_BLOCKS:
		return read_reach_blocks(rp, rec);
	case TF_REC_END:
		if (!rp->sum.have_end) {
			rp->sum.have_end = 1;
			rp->sum.end = rec->u.end;
		}
		return 0;
	}
	return 0; /* THREAD and unknown records carry nothing the figures need */
}

static void finish(replay_ctx *rp)
{
	if (!rp->win_closed)
		for (size_t i = 0; i < rp->nthr; i++)
			end_rfree(rp, &rp->thrs[i]);
	if (!rp->win_open)
		open_window(rp); /* no event at or after `from`: the window opens at the end */
	for (size_t i = 0; i < rp->nstk; i++) {
		stk *s = &rp->stks[i];
		if (s->gen == rp->peak_gen && rp->peak_gen) {
			s->pub.peak_bytes = s->saved_bytes;
			s->pub.peak_allocations = s->saved_allocs;
		} else if (rp->peak_gen) {
			s->pub.peak_bytes = s->pub.live_bytes;
			s->pub.peak_allocations = s->pub.live_allocations;
		}
		if (rp->rate)
			s->pub.temporary = 0; /* not estimated (estimate.h): no figure at all */
		if (!s->pub.defined)
			rp->sum.undefined_stacks++;
		s->pub.heap_bytes = s->pub.live_bytes;
		s->pub.heap_allocations = s->pub.live_allocations;
		if (rp->win_from) {
			s->pub.live_bytes = s->win_bytes;
			s->pub.live_allocations = s->win_allocs;
		}
		if (rp->sum.reach_applies) {
			uint64_t named = 0;
			for (int k = 0; k < TF_REACH_KINDS; k++)
				named += s->pub.kind_allocations[k];
			if (named < s->pub.live_allocations)
				rp->sum.reach_unknown += s->pub.live_allocations - named;
		}
	}
	replay_summary *sum = &rp->sum;
	if (rp->rate)
		sum->temporary = 0;
	sum->duration_ns = rp->max_time;
	if (sum->have_end && sum->end.time_ns > sum->duration_ns)
		sum->duration_ns = sum->end.time_ns;
	if (sum->reach_applies && rp->win_to < sum->duration_ns) {
		/* the kinds are the end's, and the window ends before it */
		sum->reach_applies = 0;
		for (size_t i = 0; i < rp->nstk; i++) {
			memset(rp->stks[i].pub.kind_bytes, 0, sizeof(rp->stks[i].pub.kind_bytes));
			memset(rp->stks[i].pub.kind_allocations, 0,
			       sizeof(rp->stks[i].pub.kind_allocations));
		}
		sum->reach_unknown = 0;
	}
	sum->window_from_ns = rp->win_from < sum->duration_ns ? rp->win_from : sum->duration_ns;
	sum->window_to_ns = rp->win_to < sum->duration_ns ? rp->win_to : sum->duration_ns;
	for (size_t i = 0; i < rp->nstk; i++) /* the blocks live at the end, held until then */
		if (rp->life && lifetime_held_total(rp->life, (uint32_t)i, rp->stks[i].pub.heap_bytes,
					rp->stks[i].held, sum->window_to_ns))
			rp->nomem = 1;
}

static void check_end(replay_ctx *rp)
{
	replay_summary *sum = &rp->sum;
	if (sum->have_end)
		sum->unmatched_frees += sum->end.unmatched_frees; /* the recorder drops those */
	if (!sum->have_end) {
		if (!sum->damaged)
			warnf(rp, "no end record: the recording stopped early (the process was killed, "
				  "a write failed, or it is still running); reporting what was recorded");
		set_incomplete(rp, "no END record: the recording stopped early (the process was "
				   "killed, a write failed, or it is still running)");
		return;
	}
	if (sum->end.events != sum->events_read) {
		warnf(rp, "the end record counts %" PRIu64 " events but %" PRIu64 " were read",
		      sum->end.events, sum->events_read);
		set_incomplete(rp, "the END record counts %" PRIu64 " events, %" PRIu64 " were read",
			       sum->end.events, sum->events_read);
	}
	if (sum->end.dropped) {
		warnf(rp, "the recorder dropped %" PRIu64 " events: figures are incomplete",
		      sum->end.dropped);
		set_incomplete(rp, "the recorder dropped %" PRIu64 " events", sum->end.dropped);
	}
	if (sum->end.have_calls && !sum->windowed &&
	    (sum->end.calls_allocs != rp->raw_allocs || sum->end.calls_frees != rp->raw_frees)) {
		warnf(rp, "the end record counts %" PRIu64 " allocations and %" PRIu64 " frees, the "
			  "replay %" PRIu64 " and %" PRIu64, sum->end.calls_allocs, sum->end.calls_frees,
		      rp->raw_allocs, rp->raw_frees);
		set_incomplete(rp, "the END record's counts differ from the replay's");
	}
	if (sum->late_events)
		warnf(rp, "%" PRIu64 " events are out of time order in the file", sum->late_events);
}

int replay_read_records(tf_reader *r, int (*on_record)(void *ctx, tf_record *rec),
			void (*on_error)(void *ctx, int rc, uint64_t offset), void *ctx)
{
	tf_record *rec = malloc(sizeof(*rec));
	if (!rec)
		return REPLAY_ENOMEM;
	int last_err = 0, ret = 0;
	for (;;) {
		int rc = tf_reader_next(r, rec);
		if (rc == 0)
			break;
		if (rc == TF_ENOMEM) {
			ret = REPLAY_ENOMEM;
			break;
		}
		if (rc < 0) {
			/* a corrupt stretch that yields several errors in a row (false frame magics
			 * inside it) is one problem */
			if (on_error && !(rc == TF_ECORRUPT && last_err == TF_ECORRUPT))
				on_error(ctx, rc, tf_reader_error_offset(r));
			last_err = rc;
			if (rc == TF_EEMPTY)
				break;
			continue;
		}
		last_err = 0;
		ret = on_record(ctx, rec);
		if (ret)
			break;
	}
	free(rec);
	return ret;
}

static int run_record(void *ctx, tf_record *rec) { return handle(ctx, rec); }

/* A read error: one line to the warn callback; after the header, the trace is damaged. */
static void run_error(void *ctx, int rc, uint64_t offset)
{
	replay_ctx *rp = ctx;
	char msg[256];
	replay_format_read_error(msg, sizeof(msg), rc, offset, rp->sum.have_header);
	if (rp->warn)
		rp->warn(rp->warn_ctx, msg);
	if (rc != TF_EEMPTY && rp->sum.have_header) {
		rp->sum.damaged = 1;
		set_incomplete(rp, "%s at byte %" PRIu64, rc == TF_ETRUNC ? "truncated" : "damaged",
			       offset);
	}
}

int replay_run(replay_ctx *rp, tf_reader *r)
{
	if (rp->ran)
		return REPLAY_EINVAL;
	rp->ran = 1;
	int ret = replay_read_records(r, run_record, run_error, rp);
	if (ret == 0 && rp->nomem)
		ret = REPLAY_ENOMEM;
	if (ret)
		return ret;
	if (!rp->sum.have_header)
		return REPLAY_ENOTRACE;
	finish(rp);
	if (rp->nomem)
		return REPLAY_ENOMEM;
	check_end(rp);
	return 0;
}

const replay_summary *replay_get_summary(const replay_ctx *rp) { return &rp->sum; }
lifetime_tab *replay_get_lifetimes(const replay_ctx *rp) { return rp->life; }

void replay_skip_lifetimes(replay_ctx *rp)
{
	lifetime_free(rp->life);
	rp->life = NULL;
}
const replay_header *replay_get_header(const replay_ctx *rp) { return &rp->hdr; }
size_t replay_stack_count(const replay_ctx *rp) { return rp->nstk; }
const replay_stack *replay_stack_at(const replay_ctx *rp, size_t i) { return &rp->stks[i].pub; }

const replay_stack *replay_stack_find(const replay_ctx *rp, uint64_t id)
{
	uint32_t idx;
	if (!util_map_get(&rp->stkmap, id, &idx))
		return NULL;
	return &rp->stks[idx].pub;
}

size_t replay_modrec_count(const replay_ctx *rp) { return rp->nmod; }
const replay_modrec *replay_modrec_at(const replay_ctx *rp, size_t i) { return &rp->mods[i]; }
size_t replay_mark_count(const replay_ctx *rp) { return rp->marks.n; }
const replay_mark *replay_mark_at(const replay_ctx *rp, size_t i) { return &rp->marks.v[i]; }

/* ---- the first pass: duration and marks ---- */

struct replay_times {
	uint64_t duration_ns;
	markset marks;
	uint64_t max_time, end_time; /* while scanning */
	int have_header, have_end;
};

/* Takes the times of one record (damage is skipped: the replay reports it). */
static int scan_record(void *ctx, tf_record *rec)
{
	replay_times *t = ctx;
	uint64_t time = 0;
	switch (rec->type) {
	case TF_REC_HEADER:
		t->have_header = 1;
		break;
	case TF_REC_EVENTS: {
		tf_event evs[REPLAY_BATCH];
		size_t n;
		int erc;
		do {
			/* the events before a damaged one count (erc < 0, n > 0) */
			erc = tf_dec_events_read(&rec->u.events, evs, REPLAY_BATCH, &n);
			for (size_t i = 0; i < n; i++)
				if (evs[i].time_ns > t->max_time)
					t->max_time = evs[i].time_ns;
		} while (erc == 0 && n);
		break;
	}
	case TF_REC_RSS:
		time = rec->u.rss.time_ns;
		break;
	case TF_REC_MARK:
		time = rec->u.mark.time_ns;
		if (markset_add(&t->marks, time, rec->u.mark.tid, rec->u.mark.label,
				rec->u.mark.label_len))
			return REPLAY_ENOMEM;
		break;
	case TF_REC_END:
		if (!t->have_end)
			t->end_time = rec->u.end.time_ns;
		t->have_end = 1;
		break;
	}
	if (time > t->max_time)
		t->max_time = time;
	return 0;
}

int replay_scan_times(replay_times **out, tf_reader *r)
{
	*out = NULL;
	replay_times *t = calloc(1, sizeof(*t));
	if (!t)
		return REPLAY_ENOMEM;
	int ret = replay_read_records(r, scan_record, NULL, t);
	if (!ret && !t->have_header)
		ret = REPLAY_ENOTRACE;
	if (ret) {
		replay_times_free(t);
		return ret;
	}
	t->duration_ns = t->end_time > t->max_time ? t->end_time : t->max_time;
	*out = t;
	return 0;
}

void replay_times_free(replay_times *t)
{
	if (!t)
		return;
	markset_release(&t->marks);
	free(t);
}

uint64_t replay_times_duration(const replay_times *t) { return t->duration_ns; }
size_t replay_times_mark_count(const replay_times *t) { return t->marks.n; }
const replay_mark *replay_times_mark_at(const replay_times *t, size_t i) { return &t->marks.v[i]; }
