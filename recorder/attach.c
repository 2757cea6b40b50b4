/*
 * attach.c: leakrec -p (see attach.h).
 */
#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "inject.h"

#define ATTACH_PICK_MS 3000   /* to find a thread outside the allocator */
#define ATTACH_CALL_MS 10000  /* for dlopen and leakrec_attach to return */
#define ATTACH_END_MS 30000   /* for the END record once the recorder was asked to detach */

/* What /proc/PID/status says. */
typedef struct proc_info {
	char name[64];
	long uid, euid;
	long tracer;
	char state;
	int threads;
} proc_info;

static int read_status(pid_t pid, proc_info *pi)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	memset(pi, 0, sizeof(*pi));
	pi->uid = pi->euid = -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Name:", 5) == 0)
			sscanf(line + 5, " %63[^\n]", pi->name);
		else if (strncmp(line, "Uid:", 4) == 0)
			sscanf(line + 4, "%ld %ld", &pi->uid, &pi->euid);
		else if (strncmp(line, "TracerPid:", 10) == 0)
			sscanf(line + 10, "%ld", &pi->tracer);
		else if (strncmp(line, "State:", 6) == 0)
			sscanf(line + 6, " %c", &pi->state);
		else if (strncmp(line, "Threads:", 8) == 0)
			pi->threads = atoi(line + 8);
	}
	fclose(f);
	return 0;
}

/* 1 when the process maps a C library (a dynamically linked program). */
static int has_libc(pid_t pid)
{
	char path[64], line[4400];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int found = 0;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *slash = strrchr(line, '/');
		found = slash && strncmp(slash + 1, "libc.so", 7) == 0;
	}
	fclose(f);
	return found;
}

static void fail(pid_t pid, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(pid_t pid, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "leakrec: cannot attach to %d: %s\n", (int)pid, msg);
}

/* Says why ptrace was refused, as precisely as the system tells. */
static void explain_eperm(pid_t pid, const proc_info *pi)
{
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int scope = -1;
	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = -1;
		fclose(f);
	}
	proc_info now;
	if (read_status(pid, &now) == 0 && now.tracer) {
		fail(pid, "ptrace is not allowed: it is being traced by process %ld already (a "
			  "debugger or strace): detach that first", now.tracer);
		return;
	}
	if (scope > 0 && geteuid() != 0) {
		fail(pid, "ptrace is not allowed: kernel.yama.ptrace_scope is %d (%s); run leakrec as "
			  "root, or allow it with 'sysctl kernel.yama.ptrace_scope=0'", scope,
		     scope == 1 ? "only a parent may trace its children" :
		     scope == 2 ? "only root may trace" : "no process may trace");
		return;
	}
	if (scope == 3) {
		fail(pid, "ptrace is not allowed: kernel.yama.ptrace_scope is 3 (no process may "
			  "trace, not even root, until the next boot)");
		return;
	}
	char dir[64];
	struct stat st;
	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	if (stat(dir, &st) == 0 && (long)st.st_uid != pi->euid && st.st_uid == 0)
		fail(pid, "ptrace is not allowed: the process is not dumpable (it called "
			  "prctl(PR_SET_DUMPABLE, 0), or it changed its user or group); as root it "
			  "can be attached to");
	else
		fail(pid, "ptrace is not allowed (%s): leakrec needs the right to trace it "
			  "(CAP_SYS_PTRACE, e.g. docker run --cap-add=SYS_PTRACE)", strerror(EPERM));
}

/* Reads a NUL-terminated string of at most cap-1 bytes at addr in pid. */
static void read_string(pid_t pid, uint64_t addr, char *out, size_t cap)
{
	struct iovec l = {out, cap - 1}, r = {(void *)(uintptr_t)addr, cap - 1};
	ssize_t n = addr ? process_vm_readv(pid, &l, 1, &r, 1, 0) : -1;
	out[n > 0 ? (size_t)n : 0] = '\0';
	out[cap - 1] = '\0';
}

/* Creates the trace file: `want` (replaced when it exists) or leakrec.PID.zst (inside `want` when
 * it is a folder), that one never over an existing file (.2.zst, .3.zst, ... then).  Returns the
 * fd, with the path in out. */
static int create_trace(const char *want, pid_t pid, char *out, size_t cap)
{
	char base[PATH_MAX];
	struct stat st;
	int explicit = 0;
	if (!want)
		snprintf(base, sizeof(base), "leakrec.%d.zst", (int)pid);
	else if (stat(want, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(base, sizeof(base), "%s%sleakrec.%d.zst", want,
			 want[strlen(want) - 1] == '/' ? "" : "/", (int)pid);
	else {
		snprintf(base, sizeof(base), "%s", want);
		explicit = 1;
	}
	size_t blen = strlen(base);
	int zst = blen > 4 && strcmp(base + blen - 4, ".zst") == 0;
	for (unsigned k = 1; k < 1000; k++) {
		if (k == 1)
			snprintf(out, cap, "%s", base);
		else
			snprintf(out, cap, "%.*s.%u.zst", (int)(zst ? blen - 4 : blen), base, k);
		/* A file named with -o is replaced, as by the launcher; the default name is not. */
		int fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC | (explicit ? O_TRUNC : O_EXCL), 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

static void exe_link(pid_t pid, char *out, size_t cap)
{
	char exe[64];
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(exe, out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
}

static uint64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Threads of pid now, or -1. */
static int count_threads(pid_t pid)
{
	proc_info pi;
	return read_status(pid, &pi) == 0 ? pi.threads : -1;
}

/* One byte of pid's memory at addr (process_vm_readv, or writev when `write`): 0, or -1. */
static int peek_byte(pid_t pid, uint64_t addr, char *v, int write)
{
	struct iovec l = {v, 1}, r = {(void *)(uintptr_t)addr, 1};
	ssize_t n = write ? process_vm_writev(pid, &l, 1, &r, 1, 0) : process_vm_readv(pid, &l, 1, &r, 1, 0);
	return n == 1 ? 0 : -1;
}

/* glibc marks a process multi-threaded at its first pthread_create and never back, and its malloc
 * takes the locking path from then on: a process that had one thread before the attach is given
 * its flag back (__libc_single_threaded, the byte libc's malloc reads) once the recorder's thread
 * is gone, with its only thread stopped outside the allocator (inject.h) so that no call sees the
 * flag change half-way and no thread can start meanwhile.  Any failure leaves it as it is. */
static void restore_single_threaded(pid_t pid, uint64_t flag)
{
	for (int i = 0; i < 200 && count_threads(pid) != 1; i++) {
		struct timespec d = {0, 10000000};
		nanosleep(&d, NULL);
	}
	if (count_threads(pid) != 1)
		return;
	inject *in;
	if (inject_create(pid, 1000, &in) != 0)
		return;
	char v = 1, one = 1;
	if (count_threads(pid) == 1 && peek_byte(pid, flag, &v, 0) == 0 && v == 0)
		peek_byte(pid, flag, &one, 1);
	inject_free(in);
}

/* Loads the library into the process and calls leakrec_attach(conf) there.  Returns 0, or 1 after
 * saying why not. */
static int inject_recorder(const attach_opts *o, const proc_info *pi, const char *conf)
{
	pid_t pid = o->pid;
	uint64_t dlopen_fn = inject_symbol(pid, "libc.so", "dlopen");
	uint64_t dlerror_fn = inject_symbol(pid, "libc.so", "dlerror");
	if (!dlopen_fn) {
		dlopen_fn = inject_symbol(pid, "libc.so", "__libc_dlopen_mode"); /* glibc < 2.34 */
		dlerror_fn = 0;
	}
	if (!dlopen_fn) {
		fail(pid, "its C library has no dlopen (not glibc?)");
		return 1;
	}
	inject *in;
	int rc = inject_create(pid, ATTACH_PICK_MS, &in);
	if (rc == INJECT_EPERM) {
		explain_eperm(pid, pi);
		return 1;
	}
	if (rc == INJECT_ESYS) {
		fail(pid, "%s: %s", inject_strerror(rc), strerror(errno));
		return 1;
	}
	if (rc == INJECT_EBUSY) {
		fail(pid, "%s (%u ms): its threads were always inside malloc or the dynamic loader; "
			  "try again", inject_strerror(rc), ATTACH_PICK_MS);
		return 1;
	}
	if (rc) {
		fail(pid, "%s", inject_strerror(rc));
		return 1;
	}
	uint64_t lib_addr, conf_addr, ret = 0;
	rc = inject_push(in, o->lib, strlen(o->lib) + 1, &lib_addr);
	if (!rc)
		rc = inject_push(in, conf, strlen(conf) + 1, &conf_addr);
	uint64_t args[2] = {lib_addr, 2 /* RTLD_NOW */};
	if (!rc)
		rc = inject_call(in, dlopen_fn, args, 2, ATTACH_CALL_MS, &ret);
	if (rc) {
		fail(pid, "loading %s: %s", o->lib, inject_strerror(rc));
		inject_free(in);
		return 1;
	}
	if (!ret) {
		char why[512] = "";
		uint64_t msg = 0;
		if (dlerror_fn && inject_call(in, dlerror_fn, NULL, 0, ATTACH_CALL_MS, &msg) == 0)
			read_string(pid, msg, why, sizeof(why));
		inject_free(in);
		fail(pid, "cannot load %s into it: %s", o->lib, why[0] ? why : "dlopen failed");
		return 1;
	}
	uint64_t attach_fn = inject_symbol(pid, o->lib, "leakrec_attach");
	if (!attach_fn) {
		inject_free(in);
		fail(pid, "leakrec_attach is not in the libleakrec.so it loaded (an older version?)");
		return 1;
	}
	args[0] = conf_addr;
	rc = inject_call(in, attach_fn, args, 1, ATTACH_CALL_MS, &ret);
	inject_free(in);
	if (rc) {
		fail(pid, "starting the recorder: %s", inject_strerror(rc));
		return 1;
	}
	int err = (int)(int32_t)ret;
	if (err == -EALREADY)
		fail(pid, "it is recorded already: it was started under leakrec (libleakrec.so is "
			  "preloaded)");
	else if (err == -EBUSY)
		fail(pid, "leakrec is attached to it already (or still detaching)");
	else if (err == -ECONNREFUSED || err == -ENOENT)
		fail(pid, "the recorder cannot reach leakrec's socket (is the process in another "
			  "network namespace?)");
	else if (err == -ENOSYS)
		fail(pid, "the recorder found no C library malloc to pass calls on to (its own "
			  "allocator?); nothing was changed");
	else if (err)
		fail(pid, "the recorder did not start: %s", strerror(-err));
	return err ? 1 : 0;
}

/* Undoes attach_run's set-up when it could not attach: no trace file is left.  Returns 1. */
static int give_up(int out, char *trace, int ls, int sfd, const sigset_t *old)
{
	close(out);
	unlink(trace);
	trace[0] = '\0';
	close(ls);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, old, NULL);
	return 1;
}

int attach_run(const attach_opts *o, char *trace, size_t cap)
{
	pid_t pid = o->pid;
	trace[0] = '\0';
	proc_info pi;
	if (pid <= 0 || read_status(pid, &pi) != 0 || (kill(pid, 0) != 0 && errno == ESRCH)) {
		fail(pid, "no such process");
		return 1;
	}
	if (pid == getpid()) {
		fail(pid, "that is leakrec itself");
		return 1;
	}
	if (geteuid() != 0 && pi.uid != (long)getuid() && pi.euid != (long)getuid()) {
		fail(pid, "the process belongs to another user (uid %ld); run leakrec as that user or "
			  "as root", pi.euid);
		return 1;
	}
	if (pi.tracer) {
		fail(pid, "it is being traced by process %ld already (a debugger or strace): detach "
			  "that first", pi.tracer);
		return 1;
	}
	if (pi.state == 'T' || pi.state == 't') {
		fail(pid, "it is stopped: continue it first (kill -CONT %d)", (int)pid);
		return 1;
	}
	if (pi.state == 'Z') {
		fail(pid, "it has ended (a zombie)");
		return 1;
	}
	int libc = has_libc(pid);
	if (libc < 0 && (errno == EACCES || errno == EPERM)) {
		explain_eperm(pid, &pi); /* its maps are readable by whoever may trace it */
		return 1;
	}
	if (libc < 0) {
		fail(pid, "cannot read its memory map: %s", strerror(errno));
		return 1;
	}
	if (!libc) {
		char target[PATH_MAX];
		exe_link(pid, target, sizeof(target));
		fail(pid, "'%s' is statically linked (or uses no GNU C library): its allocations "
			  "cannot be intercepted", target[0] ? target : pi.name);
		return 1;
	}

	/* The socket first: it also tells whether another leakrec is attached. */
	char name[64];
	snprintf(name, sizeof(name), "leakrec-attach-%d", (int)pid);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path + 1, name, strlen(name));
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, alen) != 0 || listen(ls, 4) != 0) {
		if (errno == EADDRINUSE)
			fail(pid, "leakrec is attached to it already (another leakrec -p)");
		else
			fail(pid, "socket: %s", strerror(errno));
		if (ls >= 0)
			close(ls);
		return 1;
	}
	int out = create_trace(o->output, pid, trace, cap);
	if (out < 0) {
		fail(pid, "cannot create trace '%s': %s", trace, strerror(-out));
		close(ls);
		trace[0] = '\0';
		return 1;
	}
	/* Signals wait in a signalfd from here on: none may end leakrec while a thread of the
	 * process runs the injected call (the kernel would let it run on with its registers). */
	sigset_t sigs, old;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGPIPE);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);

	char conf[256];
	int cl = snprintf(conf, sizeof(conf), "socket=%s\n", name);
	if (o->depth)
		cl += snprintf(conf + cl, sizeof(conf) - (size_t)cl, "depth=%u\n", o->depth);
	if (o->sample)
		snprintf(conf + cl, sizeof(conf) - (size_t)cl, "sample=%llu\n",
			 (unsigned long long)o->sample);
	/* Single-threaded now? (restore_single_threaded) */
	uint64_t st_flag = inject_symbol(pid, "libc.so", "__libc_single_threaded");
	char st_before = 0;
	if (st_flag && count_threads(pid) == 1 && peek_byte(pid, st_flag, &st_before, 0) != 0)
		st_before = 0;
	if (inject_recorder(o, &pi, conf) != 0) {
		return give_up(out, trace, ls, sfd, &old);
	}
	/* The recorder connected from inside leakrec_attach: the connection is in the backlog. */
	int cs = -1;
	struct pollfd lp = {ls, POLLIN, 0};
	while (cs < 0 && poll(&lp, 1, 5000) > 0) {
		cs = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		struct ucred cr;
		socklen_t crl = sizeof(cr);
		if (cs >= 0 && (getsockopt(cs, SOL_SOCKET, SO_PEERCRED, &cr, &crl) != 0 || cr.pid != pid)) {
			close(cs); /* not the process: someone else's connection */
			cs = -1;
		}
	}
	if (cs < 0) {
		fail(pid, "the recorder did not connect to leakrec");
		return give_up(out, trace, ls, sfd, &old);
	}
	if (!o->quiet)
		fprintf(stderr, "leakrec: attached to %d (%s); recording to %s; %s\n", (int)pid,
			pi.name, trace, o->duration_ns ? "detaching after the duration or at Ctrl-C"
							: "Ctrl-C detaches");
	char exe_then[PATH_MAX] = "";
	exe_link(pid, exe_then, sizeof(exe_then));
	uint64_t start = mono_ms();
	uint64_t deadline = o->duration_ns ? start + (o->duration_ns + 999999) / 1000000 : 0;
	uint64_t asked = 0; /* when the detach was asked for */
	int status = 0, write_err = 0, ended = 0;
	uint64_t written = 0;
	static char buf[1 << 16];
	for (;;) {
		uint64_t now = mono_ms();
		if (!asked && deadline && now >= deadline) {
			shutdown(cs, SHUT_WR);
			asked = now;
		}
		if (asked && now - asked > ATTACH_END_MS) {
			fprintf(stderr, "leakrec: the recorder in %d did not finish the trace in %u s; "
					"the trace is incomplete\n", (int)pid, ATTACH_END_MS / 1000);
			status = 1;
			break;
		}
		int wait = asked ? 1000 : deadline ? (int)(deadline - now) : 1000;
		struct pollfd p[2] = {{cs, POLLIN, 0}, {sfd, POLLIN, 0}};
		int n = poll(p, sfd >= 0 ? 2 : 1, wait > 1000 ? 1000 : wait);
		if (n < 0 && errno != EINTR)
			break;
		if (sfd >= 0 && (p[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) && si.ssi_signo != SIGPIPE) {
				if (asked) {
					fprintf(stderr, "leakrec: not waiting for the end of the trace; "
							"the recorder in %d detaches on its own\n", (int)pid);
					status = 1;
					break;
				}
				shutdown(cs, SHUT_WR);
				asked = mono_ms();
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(cs, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break; /* the recorder closed the stream: END written, or it has gone */
			size_t off = 0;
			while (!write_err && off < (size_t)r) {
				ssize_t w = write(out, buf + off, (size_t)r - off);
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0) {
					write_err = errno ? errno : EIO;
					fprintf(stderr, "leakrec: cannot write %s: %s; detaching\n", trace,
						strerror(write_err));
					if (!asked) {
						shutdown(cs, SHUT_WR);
						asked = mono_ms();
					}
					break;
				}
				off += (size_t)w;
			}
			written += (uint64_t)r;
			if (o->max_bytes && written >= o->max_bytes && !asked) {
				shutdown(cs, SHUT_WR);
				asked = mono_ms();
			}
		}
	}
	close(cs);
	close(ls);
	if (status == 0 && asked && st_before == 1)
		restore_single_threaded(pid, st_flag);
	if (close(out) != 0 && !write_err)
		write_err = errno;
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (status == 0 && !o->quiet) {
		/* The stream ended unasked: the process is exiting (its exit handler wrote the END)
		 * or the recorder stopped; a process that exits is gone within moments. */
		proc_info now;
		int alive = 0;
		for (int i = 0; !asked && i < 200; i++) {
			alive = read_status(pid, &now) == 0 && now.state != 'Z' && now.state != 'X';
			if (!alive)
				break;
			struct timespec d = {0, 10000000};
			nanosleep(&d, NULL);
		}
		char exe_now[PATH_MAX] = "";
		if (!asked && alive)
			exe_link(pid, exe_now, sizeof(exe_now));
		if (!asked && alive && strcmp(exe_now, exe_then) != 0) {
			fprintf(stderr, "leakrec: %d exec'd %s while attached: the trace ends there; "
					"trace %s\n", (int)pid, exe_now, trace);
			ended = 1;
		} else if (!asked && alive) {
			fprintf(stderr, "leakrec: the recorder in %d stopped early (see the process's "
					"stderr); trace %s\n", (int)pid, trace);
			status = 1;
		} else if (!asked) {
			fprintf(stderr, "leakrec: %d ended while attached; trace %s\n", (int)pid, trace);
			ended = 1;
		}
		else
			fprintf(stderr, "leakrec: detached from %d after %.1f s; trace %s\n", (int)pid,
				(double)(mono_ms() - start) / 1000.0, trace);
	}
	return status || write_err ? 1 : ended ? ATTACH_ENDED : 0;
}
