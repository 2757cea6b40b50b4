/*
 * inject.c: ptrace calls into a running process (see inject.h).
 *
 * The unsafe address ranges are found from the target's maps and its C library's dynamic symbol
 * table: the dynamic loader and the recorder library whole; the named functions that take a lock
 * the injected code takes too; and the allocator, which glibc builds as one object file whose
 * static functions (_int_malloc, _int_free, sysmalloc, arena_get2, ...) are not exported: its span
 * is taken from the end of the last other exported function below the lowest malloc-family symbol
 * to the start of the first other exported function above the highest one, a superset.
 */
#include "inject.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <libunwind-ptrace.h>
#endif

#define INJECT_MAX_RANGES 64
#define INJECT_MAX_HELD 16

typedef struct range {
	uint64_t lo, hi;
} range;

struct inject {
	pid_t pid, tid;
#if defined(__x86_64__)
	struct user_regs_struct saved;
	/* The FPU/SSE/AVX state (XSAVE area; the legacy FXSAVE area where the kernel offers no
	 * XSTATE regset): the injected calls use xmm registers, the thread's must come back. */
	unsigned char xstate[16384] __attribute__((aligned(64)));
	size_t xstate_len; /* 0: fpregs holds it */
	struct user_fpregs_struct fpregs;
	int have_fp;
#endif
	uint64_t scratch; /* the next push goes below this */
	int held[INJECT_MAX_HELD];
	int nheld;
	int dead; /* the thread is gone: nothing to restore */
};

pid_t inject_tid(const inject *in) { return in->tid; }

const char *inject_strerror(int code)
{
	switch (code) {
	case INJECT_EPERM: return "ptrace is not allowed";
	case INJECT_ESRCH: return "no such process";
	case INJECT_EBUSY: return "no thread left the allocator or the dynamic loader in time";
	case INJECT_ECRASH: return "the injected call crashed";
	case INJECT_ETIME: return "the injected call did not return in time";
	case INJECT_EARCH: return "attaching is supported on x86-64 only";
	case INJECT_ENOMEM: return "out of memory";
	case INJECT_ESYS: return "ptrace failed";
	case INJECT_ENOSYM: return "a function it needs was not found in the process";
	default: return "unknown error";
	}
}

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec d = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&d, NULL);
}

/* ---- the target's modules ---- */

typedef struct mapping {
	uint64_t lo, hi, off;
	char path[4096];
} mapping;

/* Calls fn for every line of /proc/pid/maps that names a file; stops when fn returns non-zero
 * and returns that.  -1 when the maps cannot be read. */
static int each_mapping(pid_t pid, int (*fn)(const mapping *m, void *arg), void *arg)
{
	char name[64];
	snprintf(name, sizeof(name), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(name, "re");
	if (!f)
		return -1;
	char line[4300];
	mapping m;
	int rc = 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off;
		int n = 0;
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &lo, &hi, &off, &n) < 3 || !n)
			continue;
		char *p = line + n;
		p[strcspn(p, "\n")] = '\0';
		if (p[0] != '/')
			continue;
		m.lo = lo;
		m.hi = hi;
		m.off = off;
		snprintf(m.path, sizeof(m.path), "%s", p);
		rc = fn(&m, arg);
	}
	fclose(f);
	return rc;
}

static int starts_with_base(const char *path, const char *prefix)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	return strncmp(b, prefix, strlen(prefix)) == 0;
}

typedef struct find_mod {
	const char *prefix;
	uint64_t lo, hi; /* all its mappings */
	uint64_t first;  /* the mapping at file offset 0 */
	char path[4096];
} find_mod;

static int find_mod_cb(const mapping *m, void *arg)
{
	find_mod *fm = arg;
	size_t n = strlen(m->path);
	if (n > 10 && strcmp(m->path + n - 10, " (deleted)") == 0)
		return 0; /* a file replaced since it was loaded (a newer build is loaded beside it) */
	if (fm->prefix[0] == '/' ? strcmp(m->path, fm->prefix) != 0 : !starts_with_base(m->path, fm->prefix))
		return 0;
	if (fm->path[0] && strcmp(fm->path, m->path) != 0)
		return 0; /* another file of the same name: the first one wins */
	if (!fm->path[0]) {
		snprintf(fm->path, sizeof(fm->path), "%s", m->path);
		fm->lo = m->lo;
	}
	if (m->off == 0 && !fm->first)
		fm->first = m->lo;
	if (m->hi > fm->hi)
		fm->hi = m->hi;
	return 0;
}

/* Opens the target's file by its path as the target sees it (its root first). */
static int open_target_file(pid_t pid, const char *path)
{
	char p[4200];
	snprintf(p, sizeof(p), "/proc/%d/root%s", (int)pid, path);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? fd : open(path, O_RDONLY | O_CLOEXEC);
}

/* Calls fn(name, value, size) for every defined function or object of the file's .dynsym;
 * *first_vaddr gets the lowest PT_LOAD address (page-aligned).  Returns 0 or -1. */
static int each_dynsym(int fd, void (*fn)(const char *, uint64_t, uint64_t, void *), void *arg,
		       uint64_t *first_vaddr)
{
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return -1;
	size_t nph = 0;
	*first_vaddr = UINT64_MAX;
	if (elf_getphdrnum(e, &nph) == 0)
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < *first_vaddr)
				*first_vaddr = ph.p_vaddr & ~(uint64_t)4095;
		}
	if (*first_vaddr == UINT64_MAX)
		*first_vaddr = 0;
	for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s)) != NULL;) {
		GElf_Shdr sh;
		if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(s, NULL);
		size_t n = d ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			int t = GELF_ST_TYPE(sym.st_info);
			if (t != STT_FUNC && t != STT_GNU_IFUNC && t != STT_OBJECT)
				continue;
			const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (name)
				fn(name, sym.st_value, sym.st_size, arg);
		}
	}
	elf_end(e);
	return 0;
}

typedef struct one_sym {
	const char *want;
	uint64_t value;
} one_sym;

static void one_sym_cb(const char *name, uint64_t v, uint64_t size, void *arg)
{
	(void)size;
	one_sym *o = arg;
	if (!o->value && strcmp(name, o->want) == 0)
		o->value = v;
}

uint64_t inject_symbol(pid_t pid, const char *module, const char *sym)
{
	find_mod fm = {module, 0, 0, 0, ""};
	if (each_mapping(pid, find_mod_cb, &fm) < 0 || !fm.first)
		return 0;
	int fd = open_target_file(pid, fm.path);
	if (fd < 0)
		return 0;
	one_sym o = {sym, 0};
	uint64_t first = 0;
	int rc = each_dynsym(fd, one_sym_cb, &o, &first);
	close(fd);
	return rc == 0 && o.value ? fm.first - first + o.value : 0;
}

/* ---- where a thread must not be stopped for a call ---- */

/* The malloc family, in glibc's malloc.o. */
static const char *const alloc_names[] = {
	"malloc", "free", "calloc", "realloc", "memalign", "aligned_alloc", "posix_memalign",
	"valloc", "pvalloc", "malloc_usable_size", "malloc_trim", "mallinfo", "mallinfo2",
	"malloc_stats", "malloc_info", "mallopt", "__libc_malloc", "__libc_free", "__libc_calloc",
	"__libc_realloc", "__libc_memalign", "__libc_valloc", "__libc_pvalloc", "__libc_mallopt",
	"__libc_mallinfo", "__default_morecore", "cfree"};
/* Functions that hold a lock the injected code takes (or are half-way through a change the
 * dynamic loader or the allocator depends on). */
static const char *const locked_names[] = {
	"fork", "_Fork", "vfork", "__libc_fork", "system", "posix_spawn", "posix_spawnp", "popen",
	"pthread_create", "pthread_exit", "pthread_atfork", "__register_atfork", "exit",
	"quick_exit", "__cxa_atexit", "atexit", "__cxa_finalize", "__cxa_thread_atexit_impl",
	"dlopen", "dlmopen", "dlclose", "dlsym", "dlvsym", "dladdr", "dladdr1", "dlinfo", "dlerror",
	"dl_iterate_phdr", "__libc_dlopen_mode", "__libc_dlsym", "__libc_dlvsym", "__libc_dlclose",
	"reallocarray", "__libc_reallocarray", "abort"};

static int in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return 1;
	return 0;
}

typedef struct libc_scan {
	uint64_t fam_lo, fam_hi;  /* the malloc family's extent */
	range locked[INJECT_MAX_RANGES];
	int nlocked;
	/* second pass: the neighbours of the family */
	int second;
	uint64_t below, above;
} libc_scan;

#define NAMES(a) (sizeof(a) / sizeof((a)[0]))

static void libc_cb(const char *name, uint64_t v, uint64_t size, void *arg)
{
	libc_scan *s = arg;
	int fam = in_list(name, alloc_names, NAMES(alloc_names));
	if (!s->second) {
		if (fam) {
			if (v < s->fam_lo)
				s->fam_lo = v;
			if (v + size > s->fam_hi)
				s->fam_hi = v + size;
		} else if (in_list(name, locked_names, NAMES(locked_names)) &&
			   s->nlocked < INJECT_MAX_RANGES) {
			s->locked[s->nlocked++] = (range){v, v + (size ? size : 1)};
		}
		return;
	}
	if (fam || !size)
		return;
	if (v + size <= s->fam_lo && v + size > s->below)
		s->below = v + size;
	if (v >= s->fam_hi && v < s->above)
		s->above = v;
}

typedef struct unsafe {
	range r[INJECT_MAX_RANGES * 2 + 8];
	int n;
} unsafe;

static void add_range(unsafe *u, uint64_t lo, uint64_t hi)
{
	if (u->n < (int)NAMES(u->r) && lo < hi)
		u->r[u->n++] = (range){lo, hi};
}

static int whole_module_cb(const mapping *m, void *arg)
{
	unsafe *u = arg;
	if (strstr(m->path, "/ld-linux") || strstr(m->path, "/ld-musl") ||
	    starts_with_base(m->path, "libleakrec.so"))
		add_range(u, m->lo, m->hi);
	return 0;
}

/* Fills u for process pid.  Returns 0, or INJECT_ENOSYM when its C library is not found. */
static int find_unsafe(pid_t pid, unsafe *u)
{
	u->n = 0;
	each_mapping(pid, whole_module_cb, u);
	find_mod fm = {"libc.so", 0, 0, 0, ""};
	if (each_mapping(pid, find_mod_cb, &fm) < 0 || !fm.first)
		return INJECT_ENOSYM;
	int fd = open_target_file(pid, fm.path);
	if (fd < 0)
		return INJECT_ENOSYM;
	libc_scan s;
	memset(&s, 0, sizeof(s));
	s.fam_lo = UINT64_MAX;
	uint64_t first = 0;
	each_dynsym(fd, libc_cb, &s, &first);
	s.second = 1;
	s.below = 0;
	s.above = UINT64_MAX;
	if (s.fam_lo != UINT64_MAX)
		each_dynsym(fd, libc_cb, &s, &first);
	close(fd);
	uint64_t bias = fm.first - first;
	if (s.fam_lo == UINT64_MAX)
		return INJECT_ENOSYM; /* not glibc: no malloc found */
	add_range(u, bias + (s.below ? s.below : s.fam_lo),
		  bias + (s.above != UINT64_MAX ? s.above : s.fam_hi));
	for (int i = 0; i < s.nlocked; i++)
		add_range(u, bias + s.locked[i].lo, bias + s.locked[i].hi);
	return 0;
}

static int is_unsafe(const unsafe *u, uint64_t pc)
{
	for (int i = 0; i < u->n; i++)
		if (pc >= u->r[i].lo && pc < u->r[i].hi)
			return 1;
	return 0;
}

#if defined(__x86_64__)

/* 1 when the stopped thread tid's call stack touches no unsafe range. */
static int thread_is_safe(pid_t tid, const unsafe *u)
{
	unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);
	if (!as)
		return 0;
	void *ui = _UPT_create(tid);
	int safe = 0;
	unw_cursor_t c;
	if (ui && unw_init_remote(&c, as, ui) == 0) {
		safe = 1;
		int signal_frame = 1; /* the first pc is exact, like one after a signal frame */
		for (int depth = 0; depth < 1024; depth++) {
			unw_word_t ip = 0;
			if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || !ip)
				break;
			if (is_unsafe(u, signal_frame ? ip : ip - 1)) {
				safe = 0;
				break;
			}
			signal_frame = unw_is_signal_frame(&c) > 0;
			if (unw_step(&c) <= 0)
				break;
		}
	}
	if (ui)
		_UPT_destroy(ui);
	unw_destroy_addr_space(as);
	return safe;
}

/* Waits for tid to stop; held signals are kept (they are delivered at the detach).  Returns 0 when
 * it is in a ptrace stop, with *sig the signal of a signal-delivery stop (0 for other stops),
 * INJECT_ESRCH when it is gone, INJECT_ETIME after timeout_ms. */
static int wait_stop(pid_t tid, unsigned timeout_ms, int *sig)
{
	uint64_t end = now_ms() + timeout_ms;
	for (;;) {
		int st;
		pid_t r = waitpid(tid, &st, __WALL | WNOHANG);
		if (r < 0)
			return errno == EINTR ? wait_stop(tid, timeout_ms, sig) : INJECT_ESRCH;
		if (r == tid) {
			if (WIFEXITED(st) || WIFSIGNALED(st))
				return INJECT_ESRCH;
			if (WIFSTOPPED(st)) {
				int event = st >> 16;
				*sig = event ? 0 : WSTOPSIG(st);
				return 0;
			}
		}
		if (now_ms() >= end)
			return INJECT_ETIME;
		sleep_ms(1);
	}
}

static void hold(inject *in, int sig)
{
	if (!sig || sig == SIGSTOP)
		return;
	if (in->nheld < INJECT_MAX_HELD)
		in->held[in->nheld++] = sig;
}

/* Seizes tid and stops it.  Returns 0, INJECT_EPERM, INJECT_ESRCH or INJECT_ETIME. */
static int stop_thread(inject *in, pid_t tid)
{
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0)
		return errno == EPERM ? INJECT_EPERM : errno == ESRCH ? INJECT_ESRCH : INJECT_ESYS;
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0) {
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return INJECT_ESRCH;
	}
	int sig = 0;
	int rc = wait_stop(tid, 2000, &sig);
	if (rc) {
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return rc;
	}
	in->tid = tid;
	in->nheld = 0;
	hold(in, sig);
	if (sig) {
		/* It stopped for a signal first; the interrupt is still to come: take it too. */
		ptrace(PTRACE_CONT, tid, NULL, NULL);
		if (wait_stop(tid, 2000, &sig) == 0)
			hold(in, sig);
	}
	return 0;
}

/* Resumes tid (seized by stop_thread) with its held signals. */
static void release_thread(inject *in)
{
	int first = in->nheld ? in->held[0] : 0;
	ptrace(PTRACE_DETACH, in->tid, NULL, (void *)(intptr_t)first);
	for (int i = 1; i < in->nheld; i++)
		syscall(SYS_tgkill, in->pid, in->tid, in->held[i]);
	in->nheld = 0;
}

/* The threads of pid, main thread first (at most cap); zombies left out. */
static int list_threads(pid_t pid, pid_t *out, int cap)
{
	char name[64];
	snprintf(name, sizeof(name), "/proc/%d/task", (int)pid);
	DIR *d = opendir(name);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < cap) {
		pid_t t = (pid_t)atoi(e->d_name);
		if (t <= 0)
			continue;
		char st[96], buf[512];
		snprintf(st, sizeof(st), "/proc/%d/task/%d/stat", (int)pid, (int)t);
		int fd = open(st, O_RDONLY | O_CLOEXEC);
		ssize_t k = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (k <= 0)
			continue;
		buf[k] = '\0';
		const char *p = strrchr(buf, ')');
		if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
			continue;
		out[n++] = t;
	}
	closedir(d);
	for (int i = 1; i < n; i++)
		if (out[i] == pid) { /* the main thread first */
			out[i] = out[0];
			out[0] = pid;
		}
	return n;
}

int inject_create(pid_t pid, unsigned timeout_ms, inject **out)
{
	*out = NULL;
	unsafe *u = calloc(1, sizeof(*u));
	inject *in = calloc(1, sizeof(*in));
	enum { MAX_THREADS = 4096 };
	pid_t *tids = malloc(MAX_THREADS * sizeof(pid_t));
	int rc = (!u || !in || !tids) ? INJECT_ENOMEM : find_unsafe(pid, u);
	if (rc)
		goto done;
	in->pid = pid;
	uint64_t end = now_ms() + timeout_ms;
	rc = INJECT_EBUSY;
	for (int round = 0; rc == INJECT_EBUSY; round++) {
		int n = list_threads(pid, tids, MAX_THREADS);
		if (!n) {
			rc = INJECT_ESRCH;
			break;
		}
		int gone = 0;
		for (int i = 0; i < n; i++) {
			int s = stop_thread(in, tids[i]);
			if (s == INJECT_EPERM || s == INJECT_ESYS) {
				rc = s;
				break;
			}
			if (s) {
				gone++;
				continue;
			}
			if (thread_is_safe(tids[i], u)) {
				rc = 0;
				break;
			}
			release_thread(in);
		}
		if (rc != INJECT_EBUSY)
			break;
		if (gone == n && kill(pid, 0) != 0) {
			rc = INJECT_ESRCH;
			break;
		}
		if (now_ms() >= end)
			break;
		sleep_ms(round < 10 ? 1 : 10);
	}
	if (rc == 0) {
		struct iovec xv = {in->xstate, sizeof(in->xstate)};
		if (ptrace(PTRACE_GETREGSET, in->tid, (void *)(uintptr_t)NT_X86_XSTATE, &xv) == 0) {
			in->xstate_len = xv.iov_len;
			in->have_fp = 1;
		} else if (ptrace(PTRACE_GETFPREGS, in->tid, NULL, &in->fpregs) == 0) {
			in->have_fp = 1;
		}
		if (!in->have_fp || ptrace(PTRACE_GETREGS, in->tid, NULL, &in->saved) != 0) {
			release_thread(in);
			rc = INJECT_ESYS;
		} else {
			/* below the red zone (128 bytes), with room */
			in->scratch = (in->saved.rsp - 256) & ~(uint64_t)15;
		}
	}
done:
	free(tids);
	free(u);
	if (rc) {
		free(in);
		return rc;
	}
	*out = in;
	return 0;
}

static int write_mem(pid_t pid, uint64_t addr, const void *data, size_t n)
{
	struct iovec local = {(void *)(uintptr_t)data, n};
	struct iovec remote = {(void *)(uintptr_t)addr, n};
	if (process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)n)
		return 0;
	/* word by word through ptrace (works where process_vm_writev is refused) */
	const unsigned char *c = data;
	for (size_t o = 0; o < n; o += sizeof(long)) {
		long w = 0;
		size_t k = n - o < sizeof(long) ? n - o : sizeof(long);
		if (k < sizeof(long)) {
			errno = 0;
			w = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)(addr + o), NULL);
			if (errno)
				return INJECT_ESYS;
		}
		memcpy(&w, c + o, k);
		if (ptrace(PTRACE_POKEDATA, pid, (void *)(uintptr_t)(addr + o), (void *)w) != 0)
			return INJECT_ESYS;
	}
	return 0;
}

int inject_push(inject *in, const void *data, size_t n, uint64_t *addr)
{
	uint64_t a = (in->scratch - n) & ~(uint64_t)15;
	if (in->saved.rsp - a > (1u << 20))
		return INJECT_ENOMEM;
	int rc = write_mem(in->tid, a, data, n);
	if (rc)
		return rc;
	in->scratch = a;
	*addr = a;
	return 0;
}

int inject_call(inject *in, uint64_t fn, const uint64_t *args, int nargs, unsigned timeout_ms,
		uint64_t *ret)
{
	if (in->dead)
		return INJECT_ESRCH;
	struct user_regs_struct r = in->saved;
	uint64_t sp = ((in->scratch - 64) & ~(uint64_t)15) - 8;
	uint64_t zero = 0;
	int rc = write_mem(in->tid, sp, &zero, sizeof(zero)); /* the return address: 0 */
	if (rc)
		return rc;
	unsigned long long *argr[6] = {&r.rdi, &r.rsi, &r.rdx, &r.rcx, &r.r8, &r.r9};
	for (int i = 0; i < nargs && i < 6; i++)
		*argr[i] = args[i];
	r.rsp = sp;
	r.rip = fn;
	r.rax = 0;
	r.orig_rax = (unsigned long long)-1; /* no system call to restart around this one */
	if (ptrace(PTRACE_SETREGS, in->tid, NULL, &r) != 0)
		return INJECT_ESYS;
	if (ptrace(PTRACE_CONT, in->tid, NULL, NULL) != 0)
		return INJECT_ESYS;
	uint64_t end = now_ms() + timeout_ms;
	for (;;) {
		int sig = 0;
		uint64_t now = now_ms();
		rc = wait_stop(in->tid, now < end ? (unsigned)(end - now) : 1, &sig);
		if (rc == INJECT_ESRCH) {
			in->dead = 1;
			return rc;
		}
		if (rc == INJECT_ETIME) {
			/* Stop it where it is; inject_free puts its registers back. */
			ptrace(PTRACE_INTERRUPT, in->tid, NULL, NULL);
			int s2 = 0;
			if (wait_stop(in->tid, 2000, &s2) == 0)
				hold(in, s2);
			return INJECT_ETIME;
		}
		struct user_regs_struct now_regs;
		if (ptrace(PTRACE_GETREGS, in->tid, NULL, &now_regs) != 0)
			return INJECT_ESYS;
		if (sig == SIGSEGV && now_regs.rip == 0) {
			*ret = now_regs.rax;
			return 0;
		}
		if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE)
			return INJECT_ECRASH;
		hold(in, sig); /* delivered at the detach, after the registers are back */
		if (ptrace(PTRACE_CONT, in->tid, NULL, NULL) != 0)
			return INJECT_ESYS;
	}
}

void inject_free(inject *in)
{
	if (!in)
		return;
	if (!in->dead) {
		if (in->xstate_len) {
			struct iovec xv = {in->xstate, in->xstate_len};
			ptrace(PTRACE_SETREGSET, in->tid, (void *)(uintptr_t)NT_X86_XSTATE, &xv);
		} else {
			ptrace(PTRACE_SETFPREGS, in->tid, NULL, &in->fpregs);
		}
		ptrace(PTRACE_SETREGS, in->tid, NULL, &in->saved);
		release_thread(in);
	}
	free(in);
}

#else /* !__x86_64__ */

int inject_create(pid_t pid, unsigned timeout_ms, inject **out)
{
	(void)pid;
	(void)timeout_ms;
	(void)is_unsafe;
	*out = NULL;
	return INJECT_EARCH;
}
int inject_push(inject *in, const void *data, size_t n, uint64_t *addr)
{
	(void)in, (void)data, (void)n, (void)addr;
	return INJECT_EARCH;
}
int inject_call(inject *in, uint64_t fn, const uint64_t *args, int nargs, unsigned timeout_ms,
		uint64_t *ret)
{
	(void)in, (void)fn, (void)args, (void)nargs, (void)timeout_ms, (void)ret;
	return INJECT_EARCH;
}
void inject_free(inject *in) { free(in); }

#endif
