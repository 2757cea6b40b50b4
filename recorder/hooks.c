/*
 * hooks.c: the interposed malloc family, dlopen/dlclose, start-up and shut-down of the recorder.
 *
 * Per event the hook path does: the real call, a clock read, a stack walk (unwind.c; libunwind
 * when that declines), a lock-free stack table look-up, and a store into the calling thread's
 * ring.  It never calls the intercepted malloc (a thread-local guard sends the recorder's own and
 * libunwind's allocations straight to the real allocator, unrecorded), never uses stdio, takes no
 * lock, and never exits.
 *
 * Ordering: a free is stamped and published before the real free (so its address cannot be handed
 * out again before the free is in the ring); an allocation is stamped after the real allocator
 * returns.  A realloc takes one stamp before the call (release of the old block) and one after
 * (the new block).
 *
 * Start-up: dlsym, used to find the real functions, itself calls calloc; until the real functions
 * are known, requests are served from a small static pool that free() recognises.
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "leakrec.h"
#include "modmap.h"
#include "pool.h"
#include "prim.h"
#include "proto.h"
#include "queue.h"
#include "real.h"
#include "rec.h"
#include "ring.h"
#include "stacktab.h"
#include "tf_enc.h"
#include "unwind.h"
#include "writer.h"

#define EXPORT __attribute__((visibility("default")))

/* ---- state ---- */

static uint32_t depth = CAPTURE_DEFAULT_DEPTH;
static pid_t main_pid;

/* ---- recording ---- */

static ring *my_ring(void)
{
	if (__builtin_expect(rec_self()->ring != NULL, 1))
		return rec_self()->ring;
	ring *r = ring_acquire(rec_tid());
	if (!r) {
		rec_fail("cannot map memory for a thread's event buffer");
		return NULL;
	}
	capture_thread_start(r);
	rec_set_ring(r);
	return r;
}

/* The calling thread's ring with room for two more events (a realloc writes two), or NULL when
 * the event cannot be recorded.  Called before stamping: a thread's first event maps its ring and
 * a full ring waits for the writer, and neither may sit between a stamp and its publication. */
static ring *ring_ready(void)
{
	ring *r = my_ring();
	if (!r)
		return NULL;
	uint64_t waited_from = 0, tail_then = 0;
	if (__builtin_expect(r->head_local + 2 - r->tail_seen <= RING_CAP, 1))
		return r; /* room by the tail seen last: the writer only ever advances it */
	for (;;) {
		uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		r->tail_seen = tail;
		if (r->head_local + 2 - tail <= RING_CAP)
			return r;
		if (!writer_running()) {
			writer_count_dropped();
			return NULL;
		}
		/* The program must never hang on the recorder: a writer that has not taken a single
		 * event of this ring for 10 s is given up on. */
		uint64_t now = prim_now_ns();
		if (!waited_from || tail != tail_then) {
			waited_from = now;
			tail_then = tail;
		} else if (now - waited_from > 10000000000ull) {
			rec_fail("the writer thread stopped taking events");
			writer_count_dropped();
			return NULL;
		}
		writer_kick();
		struct timespec d = {0, 50000};
		nanosleep(&d, NULL);
	}
}

static void push(ring *r, uint8_t kind, uint8_t func, void *p, size_t size, uint32_t stack,
		 uint64_t t)
{
	ring_ev e = {t, (uint64_t)(uintptr_t)p, size, stack, kind, func, 0};
	ring_push(r, &e);
	if ((r->head_local & (RING_CAP / 4 - 1)) == 0)
		writer_nudge();
}

static int start_child_trace(void);

static inline int should_record(void)
{
	int st = rec_state_relaxed();
	if (__builtin_expect(st == REC_ON, 1))
		return rec_self()->guard == 0;
	return st == REC_CHILD && rec_self()->guard == 0 && start_child_trace();
}

static void record_alloc(uint8_t func, void *p, size_t size, const unwind_regs *start)
{
	rec_enter();
	ring *r = my_ring();
	uint32_t stack = r ? capture_stack(r, start) : 0;
	r = stack ? ring_ready() : NULL;
	if (r) {
		ring_begin(r);
		push(r, TF_EV_ALLOC, func, p, size, stack, prim_now_ns()); /* after the real allocator */
		ring_end(r);
	}
	rec_leave();
}

static void record_free(uint8_t func, void *p)
{
	rec_enter();
	ring *r = ring_ready();
	if (r) {
		ring_begin(r);
		push(r, TF_EV_FREE, func, p, 0, 0, prim_now_ns()); /* published before the real free */
		ring_end(r);
	}
	rec_leave();
}

/* ---- the malloc family ---- */

EXPORT void *malloc(size_t n)
{
	if (!real_ready())
		return pool_alloc(n);
	void *p = real.malloc(n);
	if (p && should_record()) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_MALLOC, p, n, &o);
	}
	return p;
}

EXPORT void free(void *p)
{
	if (!p || pool_has(p))
		return;
	if (should_record())
		record_free(TF_FN_FREE, p);
	real.free(p);
}

EXPORT void *calloc(size_t a, size_t b)
{
	if (!real_ready()) {
		size_t n;
		return __builtin_mul_overflow(a, b, &n) ? NULL : pool_alloc(n);
	}
	void *p = real.calloc(a, b);
	if (p && should_record()) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_CALLOC, p, a * b, &o);
	}
	return p;
}

/* realloc and reallocarray (whose size is already checked for overflow). */
static void *realloc_common(uint8_t func, void *p, size_t n, const unwind_regs *start)
{
	if (!should_record())
		return real.realloc(p, n);
	if (!p) {
		void *q = real.malloc(n);
		if (q)
			record_alloc(func, q, n, start);
		return q;
	}
	rec_enter();
	ring *r = ring_ready();
	if (!r) {
		rec_leave();
		return real.realloc(p, n);
	}
	ring_begin(r); /* both stamps stay in flight until both events are published */
	uint64_t t0 = prim_now_ns();
	void *q = real.realloc(p, n);
	if (q) {
		uint32_t stack = capture_stack(r, start);
		if (stack) {
			push(r, TF_EV_RFREE, func, p, 0, 0, t0);
			push(r, TF_EV_RALLOC, func, q, n, stack, prim_now_ns());
		}
	} else if (n == 0) {
		push(r, TF_EV_FREE, func, p, 0, 0, t0); /* glibc's realloc(p, 0) frees p */
	}
	ring_end(r);
	rec_leave();
	return q;
}

static void *realloc_from_pool(void *p, size_t n)
{
	void *q = malloc(n);
	if (q) {
		size_t old = pool_size(p);
		memcpy(q, p, old < n ? old : n);
	}
	return q;
}

EXPORT void *realloc(void *p, size_t n)
{
	if (!real_ready()) {
		void *q = pool_alloc(n);
		if (q && p)
			memcpy(q, p, pool_size(p) < n ? pool_size(p) : n);
		return q;
	}
	if (p && pool_has(p))
		return realloc_from_pool(p, n);
	unwind_regs o = UNWIND_CALLER_REGS();
	return realloc_common(TF_FN_REALLOC, p, n, &o);
}

EXPORT void *reallocarray(void *p, size_t a, size_t b)
{
	size_t n;
	if (__builtin_mul_overflow(a, b, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	if (!real_ready() || (p && pool_has(p)))
		return realloc(p, n);
	unwind_regs o = UNWIND_CALLER_REGS();
	return realloc_common(TF_FN_REALLOCARRAY, p, n, &o);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	if (!real_ready())
		return ENOMEM;
	int rc = real.posix_memalign(out, align, n);
	if (rc == 0 && should_record()) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_POSIX_MEMALIGN, *out, n, &o);
	}
	return rc;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	if (!real_ready())
		return NULL;
	void *p = real.aligned_alloc(align, n);
	if (p && should_record()) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_ALIGNED_ALLOC, p, n, &o);
	}
	return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
	if (!real_ready())
		return NULL;
	void *p = real.memalign(align, n);
	if (p && should_record()) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_MEMALIGN, p, n, &o);
	}
	return p;
}

EXPORT void *valloc(size_t n)
{
	if (!real_ready())
		return NULL;
	void *p = real.valloc(n);
	if (p && should_record()) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_VALLOC, p, n, &o);
	}
	return p;
}

EXPORT void *pvalloc(size_t n)
{
	if (!real_ready())
		return NULL;
	void *p = real.pvalloc(n);
	if (p && should_record()) {
		unwind_regs o = UNWIND_CALLER_REGS();
		record_alloc(TF_FN_PVALLOC, p, n, &o);
	}
	return p;
}

EXPORT size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	if (pool_has(p))
		return pool_size(p);
	if (!real_ready())
		return 0;
	return real.malloc_usable_size(p);
}

/* ---- dynamic loading ---- */

/* The call to the real dlopen must stay a tail call: glibc takes the caller's address to choose
 * the search path (RUNPATH of the calling object), and a tail call leaves the program's own
 * return address in place.  The new module is picked up by the writer's next pass. */
EXPORT void *dlopen(const char *file, int flags)
{
	if (!real_ready())
		real_resolve();
	modmap_mark_dirty();
	return real.dlopen(file, flags);
}

EXPORT int dlclose(void *h)
{
	if (!real_ready())
		real_resolve();
	if (rec_state() == REC_OFF)
		return real.dlclose(h);
	rec_enter();
	modmap_rescan(); /* record any module loaded since the last pass while it is still there */
	int rc = real.dlclose(h);
	modmap_rescan(); /* what is gone now: epoch advances */
	rec_leave();
	return rc;
}

/* ---- marks ---- */

EXPORT void leakrec_record_mark(const char *label)
{
	if (rec_state() == REC_OFF || !label)
		return;
	rec_enter();
	pid_t tid = rec_tid();
	uint8_t buf[320];
	tf_enc e;
	tf_enc_init(&e, buf, sizeof(buf));
	size_t n = strnlen(label, 255);
	uint64_t now = prim_now_ns();
	tf_enc_mark(&e, now > writer_origin() ? now - writer_origin() : 0, (uint64_t)tid, label, n);
	queue_post(buf, e.len);
	rec_leave();
}

/* ---- start and end ---- */

static char trace_path[4096];   /* this process's trace */
static char root_path[4096];    /* the trace the launcher asked for (children derive theirs) */
static _Atomic int child_starting;

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

static void append(char *out, size_t cap, size_t *o, const char *s)
{
	while (*s && *o + 1 < cap)
		out[(*o)++] = *s++;
	out[*o] = '\0';
}

/* Creates the trace file: `want` itself when `exact`, else want's name without ".zst" plus
 * ".PID.zst" (".PID.2.zst", ... when taken: a program that execs keeps its pid).  Never
 * overwrites a trace.  Returns the fd and fills trace_path, or -errno. */
static int create_trace(const char *want, int exact)
{
	if (exact) {
		int fd = open(want, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST) {
			size_t o = 0;
			append(trace_path, sizeof(trace_path), &o, want);
			return fd >= 0 ? fd : -errno;
		}
	}
	size_t blen = strlen(want);
	if (blen > 4 && strcmp(want + blen - 4, ".zst") == 0)
		blen -= 4;
	char pid[24], num[24];
	prim_utoa((uint64_t)getpid(), pid);
	for (unsigned k = 1; k < 1000; k++) {
		size_t o = 0;
		trace_path[0] = '\0';
		for (size_t i = 0; i < blen && o + 1 < sizeof(trace_path); i++)
			trace_path[o++] = want[i];
		trace_path[o] = '\0';
		append(trace_path, sizeof(trace_path), &o, ".");
		append(trace_path, sizeof(trace_path), &o, pid);
		if (k > 1) {
			append(trace_path, sizeof(trace_path), &o, ".");
			append(trace_path, sizeof(trace_path), &o, prim_utoa(k, num));
		}
		append(trace_path, sizeof(trace_path), &o, ".zst");
		int fd = open(trace_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

static void install_signal_handlers(void);

/* Opens this process's trace and starts the writer; recording is on when it returns 0. */
static int start_trace(const char *want, int exact)
{
	int fd = create_trace(want, exact);
	if (fd < 0) {
		prim_log("cannot create trace '", trace_path, "': ", strerror(-fd),
			 "; the program runs unrecorded", NULL);
		return fd;
	}
	main_pid = getpid();
	rec_self()->tid = prim_gettid();
	writer_config cfg = {fd, trace_path, depth};
	int rc = writer_start(&cfg);
	if (rc) {
		prim_log("cannot record to '", trace_path, "': ", strerror(-rc),
			 "; the program runs unrecorded", NULL);
		return rc;
	}
	install_signal_handlers();
	rec_set_state(REC_ON);
	return 0;
}

/* First event of a forked child: its trace is the parent's name with the child's pid. */
static int start_child_trace(void)
{
	if (atomic_exchange(&child_starting, 1))
		return 0; /* another thread of the child is starting it; this event goes unrecorded */
	rec_enter();
	static char parent[4096];
	memcpy(parent, trace_path, sizeof(parent));
	if (start_trace(parent, 0) != 0)
		rec_set_state(REC_OFF);
	rec_leave();
	return rec_state() == REC_ON;
}

static void atfork_child(void)
{
	/* Only the forking thread exists in the child, and the parent's writer does not.  The
	 * parent's pending events are dropped here (the parent writes them); the child's own trace
	 * starts at its first event. */
	int was = rec_state();
	rec_set_state(REC_OFF);
	rec_self()->tid = prim_gettid();
	modmap_atfork_child();
	writer_atfork_child();
	queue_atfork_child();
	ring_atfork_child(rec_self()->ring);
	stacktab_atfork_child();
	atomic_store(&child_starting, 0);
	if (was == REC_ON && strcmp(env_or(PROTO_ENV_CHILDREN, "1"), "0") != 0)
		rec_set_state(REC_CHILD);
}

/* ---- endings ---- */

static void finish(void)
{
	if (getpid() != main_pid)
		return;
	rec_enter();
	rec_set_state(REC_OFF);
	writer_stop();
	capture_report();
	rec_leave();
}

static void finish(void);

/* ---- exec ---- */

/* A successful exec discards the process image with everything the writer has not written yet:
 * the trace is finished first.  The exec'd program (if it is dynamically linked and LD_PRELOAD
 * still names us) starts a trace of its own.  When the exec fails, this process goes on
 * unrecorded: its trace already ends at the exec (said once on stderr). */
extern char **environ;
static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);

static int before_exec(void)
{
	if (!real_ready())
		real_resolve();
	if (getpid() != main_pid || rec_state() != REC_ON)
		return 0;
	finish();
	return 1;
}

static void after_failed_exec(int finished, const char *what)
{
	if (finished)
		prim_log("exec of '", what ? what : "?", "' failed: the rest of this process is not recorded",
			 NULL);
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	int fin = before_exec();
	if (!real_execve)
		real_execve = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT, "execve");
	int rc = real_execve(path, argv, envp);
	int e = errno;
	after_failed_exec(fin, path);
	errno = e;
	return rc;
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	int fin = before_exec();
	if (!real_execvpe)
		real_execvpe = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT, "execvpe");
	int rc = real_execvpe(file, argv, envp);
	int e = errno;
	after_failed_exec(fin, file);
	errno = e;
	return rc;
}

EXPORT int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }
EXPORT int execvp(const char *file, char *const argv[]) { return execvpe(file, argv, environ); }

#define EXEC_MAX_ARGS 4096

/* Copies a list form's arguments, from `first` up to and with the NULL, into args (EXEC_MAX_ARGS
 * slots); *ap is left just after the NULL (execle's envp follows).  Returns 0, or -1 with errno
 * E2BIG when the list is longer. */
static int collect_args(char **args, const char *first, va_list *ap)
{
	size_t n = 0;
	args[n++] = (char *)(uintptr_t)first;
	while (args[n - 1] && n < EXEC_MAX_ARGS)
		args[n++] = va_arg(*ap, char *);
	if (args[n - 1]) {
		errno = E2BIG;
		return -1;
	}
	return 0;
}

/* The list forms build an argv (32 KiB of stack, only on the way to exec) and call the vector
 * forms above, which finish the trace. */
EXPORT int execl(const char *path, const char *arg, ...)
{
	char *args[EXEC_MAX_ARGS];
	va_list ap;
	va_start(ap, arg);
	int rc = collect_args(args, arg, &ap);
	va_end(ap);
	return rc ? rc : execve(path, args, environ);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	char *args[EXEC_MAX_ARGS];
	va_list ap;
	va_start(ap, arg);
	int rc = collect_args(args, arg, &ap);
	va_end(ap);
	return rc ? rc : execvpe(file, args, environ);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char *args[EXEC_MAX_ARGS];
	va_list ap;
	va_start(ap, arg);
	int rc = collect_args(args, arg, &ap);
	char *const *envp = rc ? NULL : va_arg(ap, char *const *);
	va_end(ap);
	return rc ? rc : execve(path, args, envp);
}

static void (*real_exit)(int);

/* _exit and _Exit skip destructors: flush here first.  (exit() reaches glibc's internal _exit,
 * not this one, after the destructor below has run.) */
EXPORT __attribute__((noreturn)) void _exit(int status)
{
	finish();
	if (!real_exit)
		real_exit = (void (*)(int))dlsym(RTLD_NEXT, "_exit");
	if (real_exit)
		real_exit(status);
	for (;;)
		syscall(SYS_exit_group, status); /* not reached */
}

EXPORT __attribute__((noreturn)) void _Exit(int status) { _exit(status); }

/* Signals whose default action ends the process and that a program rarely inspects: on these
 * the trace is finished before the default action runs.  (SIGINT and the like are left alone:
 * programs such as Python install their own handler only when they find SIG_DFL.) */
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS,
				    SIGTERM};

static void on_fatal_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int saved = errno;
	if (getpid() == main_pid && rec_state() == REC_ON) {
		rec_set_state(REC_OFF);
		writer_flush_from_signal();
	}
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	/* A signal sent by kill/raise is sent again; a fault re-occurs when the handler returns. */
	if (si->si_code <= 0 || sig == SIGABRT || sig == SIGTERM)
		raise(sig);
	errno = saved;
}

static void install_signal_handlers(void)
{
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		struct sigaction old, sa;
		if (sigaction(fatal_signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
		    (old.sa_flags & SA_SIGINFO))
			continue; /* the program (or its parent) chose something: keep it */
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_fatal_signal;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
		sigemptyset(&sa.sa_mask);
		sigaction(fatal_signals[i], &sa, NULL);
	}
}

__attribute__((constructor(101))) static void leakrec_init(void)
{
	if (!real_ready())
		return;
	rec_enter();
	/* The process the launcher started writes the trace it asked for; every other process
	 * (exec'd by it, or the same process after an exec) writes one named after its pid. */
	const char *want_pid = getenv(PROTO_ENV_PID);
	char mypid[24];
	prim_utoa((uint64_t)getpid(), mypid);
	int is_root = !want_pid || strcmp(want_pid, mypid) == 0;
	int children = strcmp(env_or(PROTO_ENV_CHILDREN, "1"), "0") != 0;
	if (!is_root && !children) {
		rec_leave();
		return;
	}
	proto_expand_pid(env_or(PROTO_ENV_OUTPUT, PROTO_DEFAULT_OUTPUT), (uint64_t)getpid(), root_path,
			 sizeof(root_path));
	const char *d = getenv(PROTO_ENV_DEPTH);
	if (d && *d) {
		long v = strtol(d, NULL, 10);
		depth = v < 1 ? 1 : v > CAPTURE_MAX_DEPTH ? CAPTURE_MAX_DEPTH : (uint32_t)v;
	}
	capture_init(depth, strcmp(env_or(PROTO_ENV_UNWIND, ""), "libunwind") == 0 ? CAPTURE_LIBUNWIND
			    : strcmp(env_or(PROTO_ENV_UNWIND_CHECK, "0"), "0") != 0 ? CAPTURE_CHECK
										    : CAPTURE_FAST);
	modmap_init_self();
	if (stacktab_init() != 0 || rec_init() != 0) {
		rec_fail("cannot initialise");
		rec_leave();
		return;
	}
	pthread_atfork(NULL, NULL, atfork_child);
	start_trace(root_path, is_root);
	rec_leave();
}

__attribute__((destructor(101))) static void leakrec_fini(void) { finish(); }
