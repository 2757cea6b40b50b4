/*
 * writer.c: the writer thread (see writer.h).
 *
 * Data path: rings (raw 32-byte events) -> tf encoder (varints, per-record deltas) into `enc` ->
 * zstd streaming compression into `out` -> write(2).  A SYNC record after each pass tells the
 * analyzer that every event stamped before the pass began has been written.  All buffers and the
 * zstd context are mmap'd once at start, so the writer never calls malloc either.
 *
 * Limits (leakrec --duration, --max-size): after a pass that finds the trace old enough, or its
 * file big enough, the writer turns recording off for good, writes the last pass and the END
 * record as at exit, closes the file and ends; the program runs on unrecorded.  With a size limit
 * every pass flushes the compressor, so that the bytes written are the trace so far.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_initStaticCStream: the context lives in our mmap */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zstd.h>

#include "livemap.h"
#include "merge.h"
#include "modmap.h"
#include "prim.h"
#include "queue.h"
#include "reach.h"
#include "rec.h"
#include "ring.h"
#include "stacktab.h"
#include "tf_enc.h"

#define WRITER_PASS_NS (20u * 1000000u)   /* at most this long between passes */
#define WRITER_FRAME_NS (100u * 1000000u) /* a zstd frame ends at least this often */
#define WRITER_FRAME_BYTES (8u << 20)     /* ... or after this much input */
#define WRITER_ENC_CAP (2u << 20)
#define WRITER_ENC_FLUSH (1u << 20)
#define WRITER_LEVEL 3
#define WRITER_STACK (1u << 20)  /* the writer's stack, from prim_map (so never a scan root) */
#define WRITER_REACH_BLOCKS 65536 /* blocks per REACH_BLOCKS record (< WRITER_ENC_FLUSH / 11) */
#define WRITER_TIME_SHIFT 16 /* times in 65.5 us ticks: the order is the file's, time is for charts */

static struct {
	int fd;
	const char *path;
	ZSTD_CStream *zs;
	uint8_t *enc_buf;
	tf_enc enc;
	uint8_t *out_buf;
	size_t out_cap;
	uint64_t origin;
	uint64_t frame_start_ns;
	uint64_t frame_in;
	uint64_t written;     /* bytes written to the file */
	uint64_t duration_ns, max_bytes; /* limits, 0: none */
	pthread_t thread;
	int thread_started;
	_Atomic int running;
	_Atomic int stop;
	uint32_t kick; /* futex word: bumped to wake the writer (accessed with __atomic builtins) */
	int waiting;   /* 1 while the writer sleeps on kick (__atomic builtins) */
	_Atomic uint64_t dropped;
	uint64_t stacks, threads;
	int rss_fd;
	int stat_fd;
	uint64_t passes;
	int failed;
	int membarrier_ok;
	uint64_t last_sync;
	void *zmem;
	size_t zsize;
	_Atomic int final_req;  /* a fatal signal asks for the last pass */
	uint32_t final_done;    /* futex word: 1 once the END record is written */
	pid_t writer_tid;
	int reach;              /* scan at the end (writer_config.reach) */
	int end_scan;           /* this end is the program's: scan */
	uintptr_t end_sp;       /* the ending thread's program frames start here (0: none) */
	uint32_t final_busy;    /* the last pass is scanning: a dying thread waits longer */
	char *stack;            /* the writer thread's stack: a guard page, then WRITER_STACK */
	int attached;           /* writer_config.attached: fd is the launcher's socket */
	void (*tick)(void);
	void (*detach)(int done);
	_Atomic int end_claimed; /* attached: the end is being written (by writer_stop or a detach) */
	uint32_t end_done;      /* futex word: 1 once that end is written */
	int need_join;          /* a detach ended the last thread, which nobody has joined */
} W = {.fd = -1, .rss_fd = -1, .stat_fd = -1};

uint64_t writer_origin(void) { return W.origin; }
int writer_running(void) { return atomic_load_explicit(&W.running, memory_order_relaxed); }
void writer_count_dropped(void) { atomic_fetch_add_explicit(&W.dropped, 1, memory_order_relaxed); }

void writer_nudge(void)
{
	if (__atomic_load_n(&W.waiting, __ATOMIC_RELAXED))
		writer_kick();
}

void writer_kick(void)
{
	__atomic_fetch_add(&W.kick, 1, __ATOMIC_RELEASE);
	prim_futex_wake(&W.kick, 1);
}

/* ---- output ---- */

static void write_fail(int err)
{
	if (W.failed)
		return;
	W.failed = 1;
	atomic_store(&W.running, 0);
	char num[24];
	prim_log("cannot write trace '", W.path, "': ", strerror(err), " (errno ", prim_utoa((uint64_t)err, num),
		 "); recording stopped, the program continues", NULL);
	rec_disable();
}

enum { OUT_CONTINUE, OUT_END_FRAME, OUT_FLUSH };

/* Compresses what is in the encoder; ends the frame (OUT_END_FRAME) or flushes the compressor's
 * buffered input to the file (OUT_FLUSH) or neither (OUT_CONTINUE). */
static void compress_out(int how)
{
	int end_frame = how == OUT_END_FRAME;
	if (W.failed) {
		W.enc.len = 0;
		return;
	}
	ZSTD_inBuffer in = {W.enc_buf, W.enc.len, 0};
	W.frame_in += W.enc.len;
	ZSTD_EndDirective mode = end_frame ? ZSTD_e_end : how == OUT_FLUSH ? ZSTD_e_flush
									     : ZSTD_e_continue;
	for (;;) {
		ZSTD_outBuffer out = {W.out_buf, W.out_cap, 0};
		size_t rem = ZSTD_compressStream2(W.zs, &out, &in, mode);
		if (ZSTD_isError(rem)) {
			prim_log("zstd: ", ZSTD_getErrorName(rem), NULL);
			write_fail(EIO);
			break;
		}
		if (out.pos) {
			int rc = W.attached ? prim_send_all(W.fd, W.out_buf, out.pos)
					    : prim_write_all(W.fd, W.out_buf, out.pos);
			if (rc) {
				write_fail(-rc);
				break;
			}
			W.written += out.pos;
		}
		if (how != OUT_CONTINUE ? rem == 0 : in.pos == in.size)
			break;
	}
	W.enc.len = 0;
	if (end_frame) {
		W.frame_start_ns = prim_now_ns();
		W.frame_in = 0;
	}
}

/* Makes room for a record of up to `need` bytes. */
static void reserve(size_t need)
{
	if (W.enc.len + need > WRITER_ENC_FLUSH)
		compress_out(OUT_CONTINUE);
}

static uint64_t rel(uint64_t t) { return t > W.origin ? t - W.origin : 0; }

static void sample_rss(uint64_t now)
{
	if (W.rss_fd < 0)
		return;
	char buf[128];
	ssize_t n = pread(W.rss_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* statm: size resident shared ... (pages) */
	const char *p = buf;
	while (*p && *p != ' ')
		p++;
	uint64_t pages = 0;
	while (*p == ' ')
		p++;
	while (*p >= '0' && *p <= '9')
		pages = pages * 10 + (uint64_t)(*p++ - '0');
	reserve(32);
	tf_enc_rss(&W.enc, rel(now), pages * (uint64_t)sysconf(_SC_PAGESIZE));
}

/* Writes the records other threads queued (modules, marks). */
static void drain_queue(void)
{
	for (queue_node *n = queue_take(); n; n = n->next) {
		reserve(n->len);
		if (W.enc.len + n->len <= WRITER_ENC_CAP) {
			memcpy(W.enc_buf + W.enc.len, n->data, n->len);
			W.enc.len += n->len;
		}
	}
}

static void drain_stacks(void)
{
	for (stacktab_node *s = stacktab_take_new(); s; s = s->next_new) {
		reserve(16 + (size_t)s->n * 10 + 32);
		tf_enc_stack(&W.enc, s->id, s->epoch, s->frames, s->n);
		W.stacks++;
	}
}

/* ---- the rings' windows ---- */

/* What the writer keeps of each ring (by the ring's index): its window in the merge. */
typedef struct consumer {
	merge_src src;        /* the window; src.rf_ptr lives on from pass to pass */
	uint64_t snap;        /* head as read at the start of the pass */
	uint64_t win;         /* events of this pass's window */
	uint32_t idle_passes; /* passes without events, to check whether the thread lives */
} consumer;

static consumer *cons;
static size_t ncons;

/* The writer's record of ring r (the array grows at the first sight of a new ring), or NULL when
 * out of memory (recording is then stopped).  Not while a merge holds records (cons_at). */
static consumer *cons_of(const ring *r)
{
	if (r->index >= ncons) {
		size_t n = ncons ? ncons : 64;
		while (n <= r->index)
			n *= 2;
		consumer *c = prim_grow(cons, ncons * sizeof(*cons), n * sizeof(*c));
		if (!c) {
			rec_fail("out of memory in the writer");
			return NULL;
		}
		cons = c;
		ncons = n;
	}
	return &cons[r->index];
}

/* The record of ring r if it has one yet, or NULL. */
static consumer *cons_at(const ring *r) { return r->index < ncons ? &cons[r->index] : NULL; }

static void reserve_for_merge(void *ctx, size_t need)
{
	(void)ctx;
	reserve(need);
}

/* Writes the windows of every ring in one time order (merge.h), then advances the rings' tails. */
static void write_windows(uint64_t base, uint32_t shift)
{
	for (ring *r = ring_list(); r; r = r->next) {
		consumer *c = cons_at(r); /* a ring without one is newer than the window */
		if (!c || !c->win)
			continue;
		c->src.ev = r->ev;
		c->src.mask = RING_MASK;
		c->src.tid = (uint64_t)r->tid;
		c->src.cur = atomic_load_explicit(&r->tail, memory_order_relaxed);
		c->src.end = c->src.cur + c->win;
		if (merge_add(&c->src) != 0) {
			rec_fail("out of memory in the writer");
			return;
		}
	}
	if (merge_window(base, shift) != 0)
		rec_fail("out of memory for the writer's map of live blocks");
	for (ring *r = ring_list(); r; r = r->next) {
		consumer *c = cons_at(r);
		if (c && c->win)
			atomic_store_explicit(&r->tail, c->src.end, memory_order_release);
	}
}

/* Number of events of r, from its tail up to its head as snapped, stamped before `limit`. */
static uint64_t in_window(const ring *r, uint64_t snap, uint64_t limit)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed), i = tail;
	while (i < snap && r->ev[i & RING_MASK].time < limit)
		i++;
	return i - tail;
}

/* The SYNC promise: every event stamped before `now` is written by the end of this pass.  After
 * the barrier, a thread that took a stamp before `now` shows `inflight` until it has published the
 * event; if any does, the promise is not advanced this pass.  Returns the time promised. */
static uint64_t sync_point(uint64_t now)
{
	/* One producer thread cannot race another one: the barrier (an interrupt on every CPU
	 * running the program) is needed only when several rings are in use. */
	int producers = 0;
	for (ring *r = ring_list(); r && producers < 2; r = r->next)
		producers += atomic_load_explicit(&r->state, memory_order_relaxed) != RING_FREE;
	if (producers > 1 && W.membarrier_ok && prim_membarrier() != 0)
		W.membarrier_ok = 0;
	uint64_t sync = now;
	for (ring *r = ring_list(); r; r = r->next)
		if (atomic_load_explicit(&r->inflight, memory_order_acquire))
			sync = W.last_sync;
	return sync;
}

/* After a pass's merge: a ring whose thread is gone (found so every 50 idle passes when its key
 * destructor did not run) and whose events are all written is handed back for reuse. */
static void retire_rings(void)
{
	for (ring *r = ring_list(); r; r = r->next) {
		int st = atomic_load_explicit(&r->state, memory_order_acquire);
		consumer *c = st == RING_FREE ? NULL : cons_of(r);
		if (!c)
			continue;
		if (c->win) {
			c->idle_passes = 0;
		} else if (st == RING_OWNED && ++c->idle_passes >= 50) {
			/* A thread that ended without its key destructor (killed, or after fork). */
			c->idle_passes = 0;
			if (!prim_thread_alive(r->tid)) {
				int expect = RING_OWNED;
				atomic_compare_exchange_strong(&r->state, &expect, RING_DEAD);
				st = RING_DEAD;
			}
		}
		if (st == RING_DEAD && atomic_load_explicit(&r->tail, memory_order_relaxed) == c->snap &&
		    atomic_load_explicit(&r->head, memory_order_acquire) == c->snap) {
			c->idle_passes = 0; /* for the ring's next thread */
			atomic_store_explicit(&r->state, RING_FREE, memory_order_release);
			W.threads++;
		}
	}
}

/* One pass: see the file comment.  `final` ends the frame whatever its age. */
static void pass(int final)
{
	if (modmap_take_dirty())
		modmap_rescan();
	uint64_t now = prim_now_ns();
	uint64_t window_start = W.last_sync, sync = sync_point(now);
	W.last_sync = sync;
	/* This pass writes the events stamped in [window_start, sync): exactly the events between
	 * the previous SYNC record and this one, merged into one time order. */
	uint64_t limit = final ? UINT64_MAX : sync;
	/* Read every ring's head before taking the new stacks: a stack is queued before the event
	 * that uses it is published, so all stacks of these events are in the queue now. */
	for (ring *r = ring_list(); r; r = r->next) {
		consumer *c = cons_of(r);
		if (c)
			c->snap = atomic_load_explicit(&r->head, memory_order_acquire);
	}
	drain_queue();
	drain_stacks();
	for (ring *r = ring_list(); r; r = r->next) {
		consumer *c = cons_of(r);
		if (c)
			c->win = atomic_load_explicit(&r->state, memory_order_acquire) == RING_FREE
					 ? 0
					 : in_window(r, c->snap, limit);
	}
	write_windows(rel(window_start), WRITER_TIME_SHIFT);
	retire_rings();
	reserve(32);
	tf_enc_sync(&W.enc, rel(sync));
	sample_rss(now);
	if (final || now - W.frame_start_ns >= WRITER_FRAME_NS || W.frame_in >= WRITER_FRAME_BYTES)
		compress_out(OUT_END_FRAME);
	else if (W.max_bytes)
		compress_out(OUT_FLUSH); /* the file size is then the trace's */
	else if (W.enc.len >= WRITER_ENC_FLUSH / 2)
		compress_out(OUT_CONTINUE);
}

/* 1 when a limit of the recording is reached (after a pass). */
static int limit_reached(void)
{
	if (W.duration_ns && prim_now_ns() - W.origin >= W.duration_ns)
		return 1;
	return W.max_bytes && W.written >= W.max_bytes;
}

static void write_end(void);

/* 1 when every thread of the program has ended and only the writer is left: the main thread
 * called pthread_exit (it stays a zombie) and the last other thread returned.  glibc would end the
 * process with exit(0) when its last thread ends, but it counts the writer as a thread too. */
static int writer_alone(void)
{
	if (W.stat_fd < 0)
		return 0;
	char buf[512];
	ssize_t n = pread(W.stat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] != 'Z')
		return 0; /* the main thread is alive */
	/* field 20 is num_threads; p + 2 is field 3 */
	int field = 3;
	for (p += 2; *p && field < 20; p++)
		field += *p == ' ';
	long threads = 0;
	while (*p >= '0' && *p <= '9')
		threads = threads * 10 + (*p++ - '0');
	return threads == 2; /* the zombie main thread and the writer */
}

/* Attached: 1 when the launcher asked to stop (a byte on the socket) or has gone (its end). */
static int launcher_says_stop(void)
{
	char b;
	ssize_t n = recv(W.fd, &b, 1, MSG_DONTWAIT);
	return n > 0 || n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Attached, on the writer thread: the detach.  The session puts the program's calls back and
 * turns recording off, then the last pass and the END go out, and the thread ends on its own. */
static void detach_end(void)
{
	if (atomic_exchange(&W.end_claimed, 1))
		return; /* writer_stop is writing the end (the program exits): it joins this thread */
	if (W.detach)
		W.detach(0);
	atomic_store(&W.running, 0);
	if (!W.failed) {
		write_end();
	} else if (W.fd >= 0) {
		close(W.fd);
		W.fd = -1;
	}
	/* Nothing of the recorder stays open in the process (writer_start opens them again). */
	if (W.rss_fd >= 0)
		close(W.rss_fd);
	if (W.stat_fd >= 0)
		close(W.stat_fd);
	W.rss_fd = W.stat_fd = -1;
	W.thread_started = 0;
	W.need_join = 1; /* by the next writer_start, before its thread takes over this stack */
	__atomic_store_n(&W.end_done, 1, __ATOMIC_RELEASE);
	prim_futex_wake(&W.end_done, INT32_MAX);
	if (W.detach)
		W.detach(1);
}

static void *writer_main(void *arg)
{
	(void)arg;
	rec_enter(); /* the writer's own calls are never recorded */
	W.writer_tid = prim_gettid();
	while (!atomic_load(&W.stop)) {
		uint32_t k = __atomic_load_n(&W.kick, __ATOMIC_ACQUIRE);
		if (!atomic_load(&W.final_req)) {
			__atomic_store_n(&W.waiting, 1, __ATOMIC_RELAXED);
			prim_futex_wait(&W.kick, k, WRITER_PASS_NS);
			__atomic_store_n(&W.waiting, 0, __ATOMIC_RELAXED);
		}
		if (atomic_load(&W.final_req)) {
			/* A thread is dying of a signal: finish the trace, then stop.  The dying
			 * thread is stopped and scanned like every other program thread. */
			atomic_store(&W.running, 0);
			W.end_scan = 1;
			W.end_sp = 0;
			write_end();
			__atomic_store_n(&W.final_done, 1, __ATOMIC_RELEASE);
			prim_futex_wake(&W.final_done, 1);
			return NULL;
		}
		pass(0);
		if (W.attached) {
			if (W.tick && !W.failed)
				W.tick();
			if (W.failed || launcher_says_stop()) {
				detach_end();
				return NULL;
			}
		}
		if (limit_reached() && !W.failed) {
			/* As at exit: recording off first, so that no new event starts, then the
			 * last pass; a call racing with it belongs after the end. */
			rec_set_state(REC_OFF);
			atomic_store(&W.running, 0);
			write_end();
			return NULL;
		}
		if (++W.passes % 8 == 0 && writer_alone())
			exit(0); /* as glibc would: atexit handlers, destructors (our END record) */
	}
	return NULL;
}

int writer_is_current(void) { return W.writer_tid && W.writer_tid == prim_gettid(); }

void writer_flush_from_signal(void)
{
	if (!W.thread_started || writer_is_current() || W.fd < 0)
		return;
	atomic_store(&W.final_req, 1);
	writer_kick();
	/* About 2 s, and as long as the scan at the end takes (it ends itself in time). */
	for (int i = 0; i < 20 && !__atomic_load_n(&W.final_done, __ATOMIC_ACQUIRE); i++) {
		prim_futex_wait(&W.final_done, 0, 100u * 1000000u);
		if (__atomic_load_n(&W.final_busy, __ATOMIC_ACQUIRE))
			i = 0;
	}
}

static void write_header(const writer_config *cfg)
{
	static char exe[4096], args[32768];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	size_t alen = 0;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t r;
		while (alen < sizeof(args) && (r = read(fd, args + alen, sizeof(args) - alen)) > 0)
			alen += (size_t)r;
		close(fd);
	}
	if (alen == sizeof(args)) { /* cut: keep whole strings only */
		while (alen > 0 && args[alen - 1] != '\0')
			alen--;
	}
	uint32_t argc = 0;
	for (size_t i = 0; i < alen; i++)
		argc += args[i] == '\0';
	tf_header h = {
		.version = TF_VERSION,
		.pid = (uint32_t)getpid(),
		.ppid = (uint32_t)getppid(),
		.clock_origin_ns = W.origin,
		.realtime_ns = prim_realtime_ns(),
		.max_depth = cfg->depth,
		.exe = exe,
		.exe_len = strlen(exe),
		.argv = args,
		.argv_len = alen,
		.argc = argc,
		.sample_rate = cfg->sample_rate,
		.attached = (uint32_t)cfg->attached,
	};
	tf_enc_header(&W.enc, &h);
}

int writer_start(const writer_config *cfg)
{
	W.path = cfg->path;
	W.fd = cfg->fd;
	W.reach = cfg->reach;
	W.end_scan = 0;
	W.origin = prim_now_ns();
	W.failed = 0;
	W.enc.len = 0;
	W.frame_in = 0;
	W.written = 0;
	W.duration_ns = cfg->duration_ns;
	W.max_bytes = cfg->max_bytes;
	W.frame_start_ns = W.origin;
	if (W.need_join) {
		pthread_join(W.thread, NULL);
		W.need_join = 0;
	}
	W.attached = cfg->attached;
	W.tick = cfg->tick;
	W.detach = cfg->detach;
	atomic_store(&W.end_claimed, 0);
	W.end_done = 0;
	if (!W.zmem) {
		W.zsize = ZSTD_estimateCStreamSize(WRITER_LEVEL);
		W.zmem = prim_map(W.zsize);
		W.enc_buf = prim_map(WRITER_ENC_CAP);
		W.out_cap = ZSTD_CStreamOutSize();
		W.out_buf = prim_map(W.out_cap);
		if (!W.zmem || !W.enc_buf || !W.out_buf)
			return -ENOMEM;
	}
	W.zs = ZSTD_initStaticCStream(W.zmem, W.zsize); /* also resets a forked child's copy */
	if (!W.zs)
		return -ENOMEM;
	ZSTD_CCtx_setParameter(W.zs, ZSTD_c_compressionLevel, WRITER_LEVEL);
	ZSTD_CCtx_setParameter(W.zs, ZSTD_c_checksumFlag, 1);
	tf_enc_init(&W.enc, W.enc_buf, WRITER_ENC_CAP);
	if (W.rss_fd < 0)
		W.rss_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (W.stat_fd < 0)
		W.stat_fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	merge_out mo = {&W.enc, reserve_for_merge, NULL, W.origin};
	merge_init(&mo);
	W.membarrier_ok = prim_membarrier_init() == 0;
	W.last_sync = W.origin;
	write_header(cfg);
	modmap_rescan();
	drain_queue();
	compress_out(OUT_END_FRAME); /* the header goes out at once: even a trace killed now is readable */
	if (W.failed)
		return -EIO;
	atomic_store(&W.running, 1);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* The writer's stack is the recorder's own memory (prim_map): the leak-kind scan never reads
	 * it, though it held every block's address once.  A forked child reuses its copy. */
	if (!W.stack && (W.stack = prim_map(WRITER_STACK + 4096)) != NULL)
		mprotect(W.stack, 4096, PROT_NONE);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (W.stack)
		pthread_attr_setstack(&attr, W.stack + 4096, WRITER_STACK);
	rec_enter();
	int rc = pthread_create(&W.thread, &attr, writer_main, NULL);
	rec_leave();
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		atomic_store(&W.running, 0);
		return -rc;
	}
	W.thread_started = 1;
	return 0;
}

static uint64_t live_rings(void)
{
	uint64_t n = 0;
	for (ring *r = ring_list(); r; r = r->next)
		n += atomic_load(&r->state) != RING_FREE;
	return n;
}

void writer_stop(int ends, uintptr_t self_sp)
{
	if (W.attached && atomic_exchange(&W.end_claimed, 1)) {
		/* the writer is detaching: wait for its END (it ends the file on its own) */
		while (!__atomic_load_n(&W.end_done, __ATOMIC_ACQUIRE))
			prim_futex_wait(&W.end_done, 0, 100u * 1000000u);
		return;
	}
	if (W.fd < 0)
		return;
	W.end_scan = ends;
	W.end_sp = self_sp;
	if (W.thread_started && !writer_is_current()) {
		atomic_store(&W.stop, 1);
		writer_kick();
		pthread_join(W.thread, NULL);
	}
	W.thread_started = 0;
	atomic_store(&W.running, 0);
	write_end();
}

/* The last pass and the END record; closes the file.  On a program thread (exit, _exit, exec)
 * signals are blocked meanwhile as on the writer thread: a write beyond `ulimit -f` must fail
 * with EFBIG, not kill the program with the SIGXFSZ it would raise, which is then discarded. */
static void write_end_locked(void);

static void write_end(void)
{
	if (W.fd < 0)
		return;
	if (writer_is_current()) {
		write_end_locked();
		return;
	}
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	write_end_locked();
	sigset_t xfsz;
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	struct timespec zero = {0, 0};
	if (W.failed && !sigismember(&old, SIGXFSZ))
		while (sigtimedwait(&xfsz, NULL, &zero) == SIGXFSZ)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The REACH records: the scan of the blocks live now (every event has been taken). */
static void write_reach(void)
{
	uint64_t n = livemap_count();
	size_t bytes = (size_t)n * sizeof(reach_block);
	reach_block *b = n ? prim_map(bytes) : NULL;
	reach_result res;
	size_t k = 0;
	if (n && !b) {
		memset(&res, 0, sizeof(res));
		memcpy(res.note, "out of memory", 14);
	} else {
		for (size_t s = 0, slots = livemap_slots(); s < slots && k < n; s++) {
			uint64_t p, id, size;
			if (livemap_at(s, &p, &id, &size))
				b[k++] = (reach_block){p, size, id, 0, 0};
		}
		__atomic_store_n(&W.final_busy, 1, __ATOMIC_RELEASE);
		reach_scan(b, k, writer_is_current() ? 0 : W.end_sp, W.writer_tid, &res);
		__atomic_store_n(&W.final_busy, 0, __ATOMIC_RELEASE);
	}
	tf_reach tr = {
		.scanned = (uint32_t)res.scanned,
		.scan_ns = res.scan_ns,
		.root_bytes = res.root_bytes,
		.heap_bytes = res.heap_bytes,
		.threads = res.threads,
		.threads_stopped = res.threads_stopped,
		.note = res.note,
		.note_len = strlen(res.note),
	};
	reserve(256);
	tf_enc_reach(&W.enc, &tr);
	for (size_t i = 0; res.scanned && i < k; i += WRITER_REACH_BLOCKS) {
		size_t m = k - i < WRITER_REACH_BLOCKS ? k - i : WRITER_REACH_BLOCKS;
		reserve(m * 11 + 32);
		tf_enc_reach_blocks(&W.enc, &b[i].id, &b[i].kind, sizeof(*b), m);
	}
	if (b)
		prim_unmap(b, bytes);
}

static void write_end_locked(void)
{
	pass(1); /* every event in the rings, whatever its stamp */
	if (W.reach && W.end_scan)
		write_reach();
	const merge_counts *mc = merge_totals();
	tf_end end = {
		.time_ns = rel(prim_now_ns()),
		.allocs = mc->allocs,
		.frees = mc->frees,
		.events = mc->events,
		.dropped = atomic_load(&W.dropped),
		.stacks = W.stacks,
		.modules = modmap_count(),
		.threads = W.threads + live_rings(),
		.unmatched_frees = mc->unmatched,
		.implicit_frees = mc->implicit,
		.have_calls = 1,
		.calls_allocs = mc->calls_allocs,
		.calls_frees = mc->calls_frees,
	};
	reserve(128);
	tf_enc_end(&W.enc, &end);
	compress_out(OUT_END_FRAME);
	if (W.attached)
		shutdown(W.fd, SHUT_RDWR); /* the end of the stream, even if a child holds a copy */
	close(W.fd);
	W.fd = -1;
}

/* Forgets the last trace's writer thread and counters (writer_reset, writer_atfork_child). */
static void forget_last(void)
{
	atomic_store(&W.stop, 0);
	atomic_store(&W.final_req, 0);
	W.final_done = 0;
	W.writer_tid = 0;
	W.stacks = W.threads = 0;
	merge_reset();
	atomic_store(&W.dropped, 0);
}

void writer_reset(void)
{
	forget_last();
	W.passes = 0;
	/* What a thread stamped after the last pass of the previous trace belongs to none. */
	for (ring *r = ring_list(); r; r = r->next) {
		uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
		atomic_store_explicit(&r->tail, head, memory_order_release);
		if (r->index < ncons) {
			cons[r->index].snap = head;
			cons[r->index].win = 0;
			cons[r->index].idle_passes = 0;
		}
	}
}

void writer_atfork_child(void)
{
	/* The writer thread does not exist in the child; the parent's file must not be touched. */
	W.thread_started = 0;
	atomic_store(&W.running, 0);
	if (W.fd >= 0)
		close(W.fd); /* the parent's file description stays open in the parent */
	W.fd = -1;
	forget_last();
	for (size_t i = 0; i < ncons; i++)
		cons[i].idle_passes = 0; /* ring_atfork_child freed the parent's other rings */
}
