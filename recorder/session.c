/*
 * session.c: start-up, trace files, fork, the end of the trace (see session.h).
 */
#include "session.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "capture.h"
#include "got.h"
#include "leakrec.h"
#include "modmap.h"
#include "prim.h"
#include "proto.h"
#include "queue.h"
#include "reach.h"
#include "real.h"
#include "rec.h"
#include "ring.h"
#include "sample.h"
#include "signals.h"
#include "stacktab.h"
#include "tf_enc.h"
#include "writer.h"

#define EXPORT __attribute__((visibility("default")))

/* ---- configuration ---- */

/* What the launcher asked for (the environment, read once at start-up). */
typedef struct config {
	char output[4096]; /* the trace it asked for, %p expanded (children derive theirs) */
	int is_root;       /* this is the process it started: it writes `output` itself */
	int children;      /* forked and exec'd processes record too */
	uint32_t depth;    /* frames per stack */
	int unwind;        /* CAPTURE_* */
	int reach;         /* the leak-kind scan at the end */
	uint64_t sample;   /* mean bytes between sampled allocations, 0: all (LEAKREC_SAMPLE) */
	uint64_t seed;     /* LEAKREC_SAMPLE_SEED, when have_seed */
	int have_seed;
	uint64_t duration_ns; /* recording stops after this long, 0: never (LEAKREC_DURATION) */
	uint64_t max_bytes;   /* ... or when the trace reaches this size, 0: never */
} config;

static config cfg = {.depth = CAPTURE_DEFAULT_DEPTH, .reach = 1};

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

static void config_read(config *c)
{
	/* The process the launcher started writes the trace it asked for; every other process
	 * (exec'd by it, or the same process after an exec) writes one named after its pid. */
	const char *want_pid = getenv(PROTO_ENV_PID);
	char mypid[24];
	prim_utoa((uint64_t)getpid(), mypid);
	c->is_root = !want_pid || strcmp(want_pid, mypid) == 0;
	c->children = strcmp(env_or(PROTO_ENV_CHILDREN, "1"), "0") != 0;
	proto_expand_pid(env_or(PROTO_ENV_OUTPUT, PROTO_DEFAULT_OUTPUT), (uint64_t)getpid(), c->output,
			 sizeof(c->output));
	const char *d = getenv(PROTO_ENV_DEPTH);
	if (d && *d) {
		long v = strtol(d, NULL, 10);
		c->depth = v < 1 ? 1 : v > CAPTURE_MAX_DEPTH ? CAPTURE_MAX_DEPTH : (uint32_t)v;
	}
	c->reach = strcmp(env_or(PROTO_ENV_REACH, "1"), "0") != 0;
	/* Values the launcher checked; one set by hand that does not parse is ignored. */
	if (proto_parse_size(getenv(PROTO_ENV_SAMPLE), &c->sample) != 0)
		c->sample = 0;
	c->have_seed = proto_parse_size(getenv(PROTO_ENV_SAMPLE_SEED), &c->seed) == 0;
	if (proto_parse_duration(getenv(PROTO_ENV_DURATION), &c->duration_ns) != 0)
		c->duration_ns = 0;
	if (proto_parse_size(getenv(PROTO_ENV_MAX_SIZE), &c->max_bytes) != 0)
		c->max_bytes = 0;
	c->unwind = strcmp(env_or(PROTO_ENV_UNWIND, ""), "libunwind") == 0 ? CAPTURE_LIBUNWIND
		    : strcmp(env_or(PROTO_ENV_UNWIND_CHECK, "0"), "0") != 0 ? CAPTURE_CHECK
									    : CAPTURE_FAST;
}

/* ---- the trace file ---- */

static char trace_path[4096]; /* this process's trace */
static pid_t main_pid;        /* the process that started it */
static _Atomic int child_starting;
static int daemon_finished;   /* daemon(3) finished the trace: its child is to record */

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
	/* A sampled trace has no leak-kind scan: the blocks it does not hold are not scanned, so a
	 * block they point to would look lost. */
	writer_config wc = {fd,         trace_path,      cfg.depth,    cfg.reach && !cfg.sample,
			    cfg.sample, cfg.duration_ns, cfg.max_bytes, 0, NULL, NULL};
	int rc = writer_start(&wc);
	if (rc) {
		prim_log("cannot record to '", trace_path, "': ", strerror(-rc),
			 "; the program runs unrecorded", NULL);
		return rc;
	}
	signals_install(main_pid);
	rec_set_state(REC_ON);
	return 0;
}

static int start_child(void)
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

/* A new trace in this process (a forked child's, an attach after a detach): the modules, the
 * stacks, the queued records and the sampled blocks of the last one are forgotten.  forked: only
 * this thread exists (the sampled set is then remapped rather than cleared). */
static void forget_trace(int forked)
{
	modmap_atfork_child();
	queue_atfork_child();
	stacktab_atfork_child();
	if (forked)
		sample_atfork_child();
	else
		sample_reset();
}

static void atfork_child(void)
{
	/* Only the forking thread exists in the child, and the parent's writer does not.  The
	 * parent's pending events are dropped here (the parent writes them); the child's own trace
	 * starts at its first event. */
	int was = rec_state();
	int armed = was == REC_ON || was == REC_CHILD || daemon_finished;
	rec_set_state(REC_OFF);
	rec_self()->tid = prim_gettid();
	writer_atfork_child();
	ring_atfork_child(rec_self()->ring);
	forget_trace(1);
	atomic_store(&child_starting, 0);
	daemon_finished = 0;
	/* A child of a child that never allocated (a daemon's middle process) is armed too. */
	if (armed && cfg.children)
		rec_set_state(REC_CHILD);
}

/* ---- the end ---- */

int session_records_children(void) { return cfg.children; }

int session_active(void) { return getpid() == main_pid && rec_state() == REC_ON; }

/* noinline: its frame marks where the program's frames end (reach_scan's self_sp) */
__attribute__((noinline)) void session_finish(int ends)
{
	if (getpid() != main_pid)
		return;
	/* Every callee-saved register is stored in this frame from here on: a pointer the caller
	 * kept in one is on the stack the scan reads. */
	__builtin_unwind_init();
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
#if defined(__x86_64__)
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
#elif defined(__aarch64__)
	__asm__ volatile("mov %0, sp" : "=r"(sp));
#endif
	rec_enter();
	rec_set_state(REC_OFF);
	writer_stop(ends, sp);
	capture_report();
	rec_leave();
}

/* ---- dynamic loading ---- */

static int loaded_late; /* dlopen'ed into a running process: only leakrec_attach records */
static void attach_patch_new(void);

/* The call to the real dlopen must stay a tail call: glibc takes the caller's address to choose
 * the search path (RUNPATH of the calling object), and a tail call leaves the program's own
 * return address in place.  The new module is picked up by the writer's next pass. */
EXPORT void *dlopen(const char *file, int flags)
{
	if (!real_ready())
		real_resolve();
	modmap_mark_dirty();
	if (loaded_late && file && strchr(file, '/') && rec_state() == REC_ON) {
		/* Attached: the new module is patched before its first call.  A path needs no
		 * search, so the caller's address does not matter here (a bare name keeps the tail
		 * call and is patched at the writer's next pass). */
		void *h = real.dlopen(file, flags);
		if (h)
			attach_patch_new();
		return h;
	}
	return real.dlopen(file, flags);
}

EXPORT int dlclose(void *h)
{
	if (!real_ready())
		real_resolve();
	if (rec_state() != REC_ON && rec_state() != REC_CHILD)
		return real.dlclose(h);
	rec_enter();
	modmap_rescan(); /* record any module loaded since the last pass while it is still there */
	int rc = real.dlclose(h);
	modmap_rescan(); /* what is gone now: epoch advances */
	rec_leave();
	return rc;
}

/* ---- daemon(3) ---- */

/* glibc's daemon forks and leaves the parent with its internal _exit, which no hook sees: the
 * parent's trace is finished first, and the child, armed as a forked child, records into its
 * own.  When daemon fails, this process goes on unrecorded (said once). */
EXPORT int daemon(int nochdir, int noclose)
{
	static int (*next_daemon)(int, int);
	if (!real_ready())
		real_resolve();
	if (!next_daemon)
		next_daemon = (int (*)(int, int))real_next("daemon");
	int finished = session_active();
	if (finished) {
		session_finish(1);
		daemon_finished = cfg.children;
	}
	int rc = next_daemon(nochdir, noclose);
	if (rc != 0 && finished)
		prim_log("daemon() failed: the rest of this process is not recorded", NULL);
	return rc;
}

/* ---- marks ---- */

EXPORT void leakrec_record_mark(const char *label)
{
	if (rec_state() != REC_ON || !label)
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

/* ---- start-up ---- */

extern char **environ;
static _Atomic int init_started;
static int exit_handler_armed;


/* Sets the recorder up and starts the trace, once.  Returns 1 when events are recorded now. */
static int session_init(void)
{
	/* Before the C library has set up the environment (allocations of the dynamic loader
	 * itself, very early): too soon to know what to record; a later event starts it. */
	if (!environ)
		return 0;
	if (atomic_exchange(&init_started, 1))
		return rec_state() == REC_ON;
	rec_enter();
	config_read(&cfg);
	if (!cfg.is_root && !cfg.children) {
		rec_set_state(REC_OFF);
		rec_leave();
		return 0;
	}
	capture_init(cfg.depth, cfg.unwind);
	reach_init();
	modmap_init_self();
	if (stacktab_init() != 0 || rec_init() != 0 ||
	    sample_init(cfg.sample, cfg.seed, cfg.have_seed) != 0) {
		rec_fail("cannot initialise");
		rec_leave();
		return 0;
	}
	pthread_atfork(NULL, NULL, atfork_child);
	if (start_trace(cfg.output, cfg.is_root) != 0)
		rec_set_state(REC_OFF);
	rec_leave();
	return rec_state() == REC_ON;
}

int session_start(int st)
{
	return st == REC_START ? session_init() : st == REC_CHILD ? start_child() : 0;
}

/* The exit handler. */
static void at_exit(void *arg)
{
	(void)arg;
	session_finish(1);
}

/* The C library's exit-handler registration.  atexit() would register the handler under this
 * library's DSO handle, and the C library runs such handlers when it runs this library's
 * destructors (__cxa_finalize), early; under no handle it runs only from exit(), in order. */
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

/* The recorder's constructor: starts it if no allocation did, and registers the exit handler
 * that finishes the trace.  Constructors of preloaded libraries run before the C library's
 * start-up registers the handler that runs every destructor, and exit handlers run in reverse
 * order: this one runs after all destructors, whose frees are then still recorded.  (It is
 * registered here rather than at the first allocation, which may come from inside atexit.) */
__attribute__((constructor(101))) static void leakrec_init(void)
{
	/* Loaded into a running process (leakrec -p: dlopen, after every symbol was bound): it
	 * does nothing until leakrec_attach.  Preloaded, LD_PRELOAD names it, or (preloaded some
	 * other way) the global scope's malloc is this library's.  (Only as a second test: a
	 * non-PIE executable that takes malloc's address defines malloc as its own PLT entry.) */
	modmap_init_self();
	const char *pre = getenv("LD_PRELOAD");
	void *m = pre && strstr(pre, "libleakrec") ? NULL : dlsym(RTLD_DEFAULT, "malloc");
	if (m && !modmap_is_self((uint64_t)(uintptr_t)m)) {
		loaded_late = 1;
		rec_set_state(REC_OFF);
		return;
	}
	if (!real_ready())
		return;
	if (rec_state() == REC_START)
		session_init();
	if (rec_state() != REC_OFF && __cxa_atexit(at_exit, NULL, NULL) == 0)
		exit_handler_armed = 1;
}

/* Runs among the destructors: the trace is finished by the exit handler, after them, unless
 * there is none. */
__attribute__((destructor(101))) static void leakrec_fini(void)
{
	if (!exit_handler_armed)
		session_finish(1);
}

/* ---- attaching to a running process (leakrec -p) ---- */

/* The functions whose GOT slots are sent to the recorder (got.h): what exports.map interposes,
 * but for the signal functions (the recorder installs no handlers in a process it attaches to). */
static const char *const hooked[] = {
	"malloc",  "free",   "calloc",  "realloc", "reallocarray", "posix_memalign", "aligned_alloc",
	"memalign", "valloc", "pvalloc", "dlopen", "dlclose", "daemon", "_exit", "_Exit", "execve",
	"execv",   "execvp", "execvpe", "execl",   "execlp",       "execle"};
#define NHOOKED (sizeof(hooked) / sizeof(hooked[0]))
static got_hook hooks[NHOOKED];
static size_t nhooks;
static int attach_ready;         /* the modules are set up (first attach) */
static _Atomic int attach_busy;  /* from leakrec_attach until the detach has written the END */

/* This library's own definitions of the hooked names (dlsym on its own handle: a lookup from
 * here by name would find the C library's first). */
static int find_hooks(void)
{
	Dl_info di;
	if (!dladdr((void *)(uintptr_t)find_hooks, &di) || !di.dli_fname)
		return -1;
	void *self = dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	if (!self)
		return -1;
	nhooks = 0;
	for (size_t i = 0; i < NHOOKED; i++) {
		void *f = dlsym(self, hooked[i]);
		int first = strcmp(hooked[i], "free") == 0 || strncmp(hooked[i], "realloc", 7) == 0;
		if (f && modmap_is_self((uint64_t)(uintptr_t)f))
			hooks[nhooks++] = (got_hook){hooked[i], (uintptr_t)f, first};
	}
	dlclose(self);
	return nhooks ? 0 : -1;
}

/* Patches the modules loaded since the last patch (the writer's pass, a dlopen of a path). */
static void attach_patch_new(void)
{
	rec_enter();
	if (got_modules_changed() && got_patch(hooks, nhooks) < 0)
		prim_log("too many modules to patch: allocations in the newest go unrecorded", NULL);
	rec_leave();
}

/* Writer thread, every pass: modules loaded since the last pass are patched. */
static void attach_tick(void)
{
	if (got_modules_changed()) {
		modmap_rescan();
		attach_patch_new();
	}
}

/* Writer thread, on the launcher's word: the program's calls go back to the C library, then the
 * last pass and the END are written (writer.c), then another attach may come. */
static void attach_detach(int done)
{
	if (!done) {
		got_unpatch();
		rec_set_state(REC_OFF);
	} else {
		atomic_store(&attach_busy, 0);
	}
}

/* Copies the value of `key=` from conf (lines of key=value) into out; returns 0, or -1. */
static int conf_get(const char *conf, const char *key, char *out, size_t cap)
{
	size_t k = strlen(key);
	for (const char *p = conf; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > k && p[k] == '=' && memcmp(p, key, k) == 0 && n - k - 1 < cap) {
			memcpy(out, p + k + 1, n - k - 1);
			out[n - k - 1] = '\0';
			return 0;
		}
		p = end ? end + 1 : NULL;
	}
	return -1;
}

/* Connects to the launcher's abstract unix socket `name`: the trace goes there. */
static int connect_launcher(const char *name)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	size_t n = strlen(name);
	if (n + 1 > sizeof(a.sun_path)) {
		close(fd);
		return -ENAMETOOLONG;
	}
	memcpy(a.sun_path + 1, name, n); /* sun_path[0] == 0: the abstract namespace */
	if (connect(fd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

EXPORT int leakrec_attach(const char *conf)
{
	if (!loaded_late)
		return -EALREADY;
	if (atomic_exchange(&attach_busy, 1))
		return -EBUSY;
	rec_enter();
	char v[256];
	int rc = 0;
	if (!attach_ready) {
		uint64_t depth = CAPTURE_DEFAULT_DEPTH;
		if (conf_get(conf, "depth", v, sizeof(v)) == 0 && proto_parse_size(v, &depth) == 0)
			depth = depth < 1 ? 1 : depth > CAPTURE_MAX_DEPTH ? CAPTURE_MAX_DEPTH : depth;
		int unwind = conf_get(conf, "unwind", v, sizeof(v)) == 0 && strcmp(v, "libunwind") == 0
				     ? CAPTURE_LIBUNWIND
				     : CAPTURE_FAST;
		cfg.depth = (uint32_t)depth;
		real_set_attached();
		real_resolve();
		if (real_check() != 0) {
			rc = -ENOSYS; /* the C library's allocator was not found */
			goto fail;
		}
		capture_init(cfg.depth, unwind);
		if (stacktab_init() != 0 || rec_init() != 0 || find_hooks() != 0) {
			rc = -ENOMEM;
			goto fail;
		}
		pthread_atfork(NULL, NULL, atfork_child);
		if (__cxa_atexit(at_exit, NULL, NULL) == 0)
			exit_handler_armed = 1;
		attach_ready = 1;
	} else {
		/* Attached again: a new trace, with stacks, modules and sampled blocks of its own. */
		writer_reset();
		forget_trace(0);
	}
	cfg.sample = 0;
	cfg.have_seed = 0;
	if (conf_get(conf, "sample", v, sizeof(v)) == 0 && proto_parse_size(v, &cfg.sample) != 0)
		cfg.sample = 0;
	if (conf_get(conf, "seed", v, sizeof(v)) == 0)
		cfg.have_seed = proto_parse_size(v, &cfg.seed) == 0;
	if (sample_init(cfg.sample, cfg.seed, cfg.have_seed) != 0) {
		rc = -ENOMEM;
		goto fail;
	}
	cfg.is_root = 1;
	cfg.children = 0;
	cfg.reach = 0;
	if (conf_get(conf, "socket", v, sizeof(v)) != 0) {
		rc = -EINVAL;
		goto fail;
	}
	int fd = connect_launcher(v);
	if (fd < 0) {
		rc = fd;
		goto fail;
	}
	main_pid = getpid();
	rec_self()->tid = prim_gettid();
	size_t o = 0;
	trace_path[0] = '\0';
	append(trace_path, sizeof(trace_path), &o, "the socket of leakrec -p");
	writer_config wc = {fd, trace_path, cfg.depth, 0, cfg.sample, 0, 0, 1, attach_tick, attach_detach};
	rc = writer_start(&wc);
	if (rc) {
		close(fd);
		goto fail;
	}
	rec_set_state(REC_ON);
	rc = got_patch(hooks, nhooks);
	if (rc < 0) {
		got_unpatch();
		/* The launcher sees the stream end before any END: the writer stops on its word. */
		rec_set_state(REC_OFF);
		rec_leave();
		return rc;
	}
	rec_leave();
	return 0;
fail:
	rec_set_state(REC_OFF);
	atomic_store(&attach_busy, 0);
	rec_leave();
	return rc;
}
