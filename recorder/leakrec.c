/*
 * leakrec: the launcher.  `leakrec [-o FILE] [--depth N] [--] PROGRAM [ARGS...]` runs PROGRAM
 * with libleakrec.so preloaded, waits for it, then says on stderr where the trace is, how many
 * allocations and frees it holds, and what to run next.  The program keeps its stdin, stdout,
 * stderr and signals; leakrec exits with its status (128+N when it died of signal N).
 *
 * The library is looked for next to this executable (the build tree), then in LEAKREC_LIBDIR
 * (PREFIX/lib/leakrec after `make install`).
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "proto.h"
#include "tf_reader.h"

#ifndef LEAKREC_LIBDIR
#define LEAKREC_LIBDIR "/usr/local/lib/leakrec"
#endif

static const char usage_text[] =
	"usage: leakrec [OPTIONS] [--] PROGRAM [ARGS...]\n"
	"       leakrec -p PID [-o FILE] [--duration DUR] [--sample SIZE] [--max-size SIZE]\n"
	"\n"
	"Runs PROGRAM and records every heap allocation and free with its call stack into a trace\n"
	"file for leakanalyze.  With -p, records the running process PID instead, from now until\n"
	"the duration is over or leakrec gets Ctrl-C (SIGINT, SIGTERM, SIGHUP), then detaches: the\n"
	"process runs on as before.\n"
	"\n"
	"  -p, --pid PID       attach to the running process PID (default trace leakrec.PID.zst);\n"
	"                      blocks it allocated before are unknown to the trace\n"
	"  -o, --output FILE   trace file (default leakrec.PROGRAM.PID.zst; %p is replaced by the pid)\n"
	"  -d, --depth N       record at most N frames per stack (default 128, at most 1024)\n"
	"  -n, --no-children   record only PROGRAM, not the processes it starts (fork, exec)\n"
	"  -s, --sample SIZE   record one allocation per SIZE bytes allocated on average (512K, 1M,\n"
	"                      4096), chosen at random: a trace small and cheap enough for\n"
	"                      production, whose figures leakanalyze estimates\n"
	"      --duration DUR  stop recording after DUR (10s, 1.5m, 250ms, 2h); the program runs on\n"
	"      --max-size SIZE stop recording when the trace file reaches SIZE (100M, 1G)\n"
	"      --no-reachability  do not scan the heap when the program ends (no leak kinds:\n"
	"                      definitely/indirectly/possibly lost, still reachable)\n"
	"  -q, --quiet         do not print the summary at the end\n"
	"  -h, --help          show this help and exit\n"
	"  -V, --version       show the version and exit\n"
	"\n"
	"Processes the program starts are recorded too, each into a trace named after the parent's\n"
	"with the child's pid (leakrec.app.1234.zst -> leakrec.app.1234.1240.zst).\n"
	"\n"
	"The exit status is the program's own (128+N when it was killed by signal N), 126 when it\n"
	"cannot be recorded (static or setuid), 127 when it cannot be started, 2 on a usage error.\n"
	"With -p: 0 once detached (or when the process ended while attached), 1 when it cannot\n"
	"attach (the reason is said in one line) or the trace is incomplete.\n";

static pid_t child = -1;
static time_t started; /* traces of this run are not older */

/* The signals passed on to the program (forward). */
static const int passed_on[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
#define NPASSED (sizeof(passed_on) / sizeof(passed_on[0]))

/* The sentinel: a process of the launcher's group that keeps the passed-on signals blocked, so
 * that a signal sent to the whole group stays pending there, where forward can see it; it takes
 * one off its pending set when told (a signal number on sentinel_cmd) and ends when the
 * launcher does (end of file). */
static pid_t sentinel = -1;
static int sentinel_cmd = -1;

static void sentinel_main(int cmd)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < NPASSED; i++)
		sigaddset(&set, passed_on[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd); /* not holding the terminal or the caller's pipes */
	unsigned char sig;
	while (read(cmd, &sig, 1) == 1) {
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, sig);
		struct timespec zero = {0, 0};
		while (sigtimedwait(&one, NULL, &zero) > 0)
			;
	}
	_exit(0);
}

static void start_sentinel(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return;
	sentinel = fork();
	if (sentinel == 0) {
		close(p[1]);
		sentinel_main(p[0]);
	}
	close(p[0]);
	if (sentinel < 0) {
		close(p[1]);
		return;
	}
	sentinel_cmd = p[1];
}

static void stop_sentinel(void)
{
	if (sentinel <= 0)
		return;
	close(sentinel_cmd);
	while (waitpid(sentinel, NULL, 0) < 0 && errno == EINTR)
		;
}

/* 1 when sig is pending in the sentinel (its ShdPnd line in /proc, read with async-signal-safe
 * calls only). */
static int sentinel_has(int sig)
{
	char path[64] = "/proc/", digits[16];
	size_t n = 0, len = 6;
	for (unsigned v = (unsigned)sentinel; v || !n; v /= 10)
		digits[n++] = (char)('0' + v % 10);
	while (n)
		path[len++] = digits[--n];
	memcpy(path + len, "/status", 8);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	static char buf[4096];
	ssize_t got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return 0;
	buf[got] = '\0';
	const char *p = strstr(buf, "ShdPnd:");
	if (!p)
		return 0;
	p += 7;
	while (*p == ' ' || *p == '\t')
		p++;
	uint64_t mask = 0;
	for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
		mask = mask << 4 | (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
	return (mask >> (sig - 1)) & 1;
}

/* A signal sent to the launcher alone (kill PID, docker stop, a supervisor that knows one pid) is
 * passed on to the program.  One sent to the whole process group (kill -PGID, timeout, systemd's
 * control-group kill) has reached the program already, as the sentinel's pending set shows;
 * so has one the terminal sent (Ctrl-C: si_code SI_KERNEL).  Passing those on too would deliver
 * them twice: a second Ctrl-C for Python, an immediate exit for a service that shuts down
 * gracefully on the first SIGTERM. */
static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int saved = errno;
	int group = 0;
	if (sentinel > 0) {
		group = sentinel_has(sig);
		if (!group) { /* a group's members are signalled one after another: look again */
			struct timespec ms2 = {0, 2 * 1000 * 1000};
			nanosleep(&ms2, NULL);
			group = sentinel_has(sig);
		}
		if (group) { /* taken off, so that the next signal is seen afresh */
			unsigned char b = (unsigned char)sig;
			if (write(sentinel_cmd, &b, 1) < 0) {
				/* the sentinel is gone: nothing to take off */
			}
		}
	}
	if (child > 0 && !group && si->si_code <= 0 && si->si_pid != child)
		kill(child, sig);
	errno = saved;
}

/* Finds libleakrec.so: next to our own executable, else the installed library directory. */
static int find_library(char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (snprintf(out, cap, "%s/libleakrec.so", self) < (int)cap &&
			    access(out, R_OK) == 0)
				return 0;
			if (snprintf(out, cap, "%s/../lib/leakrec/libleakrec.so", self) < (int)cap &&
			    access(out, R_OK) == 0)
				return 0;
		}
	}
	const char *env = getenv("LEAKREC_LIBDIR");
	if (snprintf(out, cap, "%s/libleakrec.so", env && *env ? env : LEAKREC_LIBDIR) >= (int)cap)
		return -1;
	return access(out, R_OK) == 0 ? 0 : -1;
}

/* Expands %p; a relative result is made absolute so that a program that changes directory still
 * writes where the user expects. */
static void trace_path(const char *pattern, const char *prog, pid_t pid, char *out, size_t cap)
{
	char tmp[PATH_MAX];
	const char *base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	struct stat st;
	if (!pattern) {
		snprintf(tmp, sizeof(tmp), "leakrec.%s.%d.zst", base, (int)pid);
	} else if (stat(pattern, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* an existing folder: the default name inside it */
		snprintf(tmp, sizeof(tmp), "%s%sleakrec.%s.%d.zst", pattern,
			 pattern[strlen(pattern) - 1] == '/' ? "" : "/", base, (int)pid);
	} else {
		proto_expand_pid(pattern, (uint64_t)pid, tmp, sizeof(tmp));
	}
	char cwd[PATH_MAX];
	int n;
	if (tmp[0] != '/' && getcwd(cwd, sizeof(cwd)))
		n = snprintf(out, cap, "%s/%s", cwd, tmp);
	else
		n = snprintf(out, cap, "%s", tmp);
	if (n >= (int)cap) /* too long to make absolute: keep it as given */
		snprintf(out, cap, "%.*s", (int)cap - 1, tmp);
}

/* What summarize finds in a trace: the allocations and frees as leakanalyze counts them (the END
 * record's calls_allocs and calls_frees), the allocation and free events it decodes itself (with
 * the requested bytes), whether the END record was reached (`complete`), the pid of the process
 * that wrote it, and the first and the highest RSS samples.  A damaged record is skipped, any
 * other read error ends the count. */
typedef struct trace_counts {
	uint64_t allocs, frees;           /* from the END record, when have_calls */
	uint64_t alloc_events, free_events, bytes, peak_rss, first_rss;
	int complete, have_calls;
	uint32_t pid;
	uint64_t sample_rate; /* from the header: 0 for a full trace */
} trace_counts;

static int summarize(const char *path, trace_counts *tc)
{
	tf_reader *r;
	memset(tc, 0, sizeof(*tc));
	if (tf_reader_open(&r, path) != 0)
		return -1;
	tf_record rec;
	int rc;
	uint64_t a = 0, f = 0;
	while ((rc = tf_reader_next(r, &rec)) != 0) {
		if (rc < 0) {
			if (rc == TF_ECORRUPT)
				continue;
			break;
		}
		if (rec.type == TF_REC_HEADER) {
			tc->pid = rec.u.header.pid;
			tc->sample_rate = rec.u.header.sample_rate;
		}
		if (rec.type == TF_REC_END) {
			tc->complete = 1;
			tc->have_calls = rec.u.end.have_calls;
			tc->allocs = rec.u.end.calls_allocs;
			tc->frees = rec.u.end.calls_frees;
			break;
		}
		if (rec.type == TF_REC_RSS) {
			if (!tc->first_rss)
				tc->first_rss = rec.u.rss.rss_bytes;
			if (rec.u.rss.rss_bytes > tc->peak_rss)
				tc->peak_rss = rec.u.rss.rss_bytes;
		}
		if (rec.type == TF_REC_EVENTS) {
			tf_event ev;
			while (tf_dec_events_next(&rec.u.events, &ev) > 0) {
				if (ev.kind == TF_EV_ALLOC || ev.kind == TF_EV_RALLOC) {
					a++;
					tc->bytes += ev.size;
				} else {
					f++;
				}
			}
		}
	}
	tf_reader_close(r);
	tc->alloc_events = a;
	tc->free_events = f;
	return 0;
}

static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

/* "SIGSEGV" for signal 11; "signal N" for one without a name. */
static const char *signal_name(int sig, char *buf, size_t cap)
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		snprintf(buf, cap, "SIG%s", abbrev);
	else
		snprintf(buf, cap, "signal %d", sig);
	return buf;
}

static uint64_t trace_allocs(const trace_counts *tc)
{
	return tc->have_calls ? tc->allocs : tc->alloc_events;
}

/* Prints one trace's line from what summarize found (tc; NULL: the trace could not be read),
 * and a warning when the heap recorded cannot explain the RSS.  killed_by is the signal that
 * ended the process that wrote it, when known (0: none or not known).  Returns 1 when the trace
 * could be read. */
static int report_trace(const char *path, const trace_counts *tc, int killed_by)
{
	if (!tc) {
		fprintf(stderr, "leakrec: cannot read %s\n", path);
		return 0;
	}
	if (tc->complete) {
		uint64_t a = trace_allocs(tc);
		uint64_t f = tc->have_calls ? tc->frees : tc->free_events;
		if (tc->sample_rate)
			fprintf(stderr, "leakrec: trace %s: %llu sampled allocation%s, %llu free%s "
				"(one per %llu bytes allocated on average; leakanalyze estimates the "
				"whole)\n", path, (unsigned long long)a, plural(a), (unsigned long long)f,
				plural(f), (unsigned long long)tc->sample_rate);
		else
			fprintf(stderr, "leakrec: trace %s: %llu allocation%s, %llu free%s\n", path,
				(unsigned long long)a, plural(a), (unsigned long long)f, plural(f));
	} else {
		char why[128], sig[32];
		if (!tc->pid)
			snprintf(why, sizeof(why), "its process has only just started writing it (a "
				 "daemon?): read it once that process has ended");
		else if ((pid_t)tc->pid != child && kill((pid_t)tc->pid, 0) == 0)
			snprintf(why, sizeof(why), "still being written by process %u (a daemon?): "
				 "read it once that process has ended", tc->pid);
		else if (killed_by == SIGKILL)
			snprintf(why, sizeof(why), "the program was killed by SIGKILL, which cannot be "
				 "caught: its last moments are missing");
		else if (killed_by)
			snprintf(why, sizeof(why), "the program was killed by %s before the recorder "
				 "could finish", signal_name(killed_by, sig, sizeof(sig)));
		else
			snprintf(why, sizeof(why), "the recording stopped early (a write error? see "
				 "above)");
		fprintf(stderr, "leakrec: trace %s: incomplete: %s; %llu allocation and %llu free "
			"events written\n", path, why, (unsigned long long)tc->alloc_events,
			(unsigned long long)tc->free_events);
	}
	/* A program with its own allocator (jemalloc or tcmalloc linked in, a static malloc) grows
	 * its RSS without calling malloc: say so rather than show an empty profile. */
	uint64_t grew = tc->peak_rss > tc->first_rss ? tc->peak_rss - tc->first_rss : 0;
	/* A sampled allocation of s bytes stands for s / (1 - exp(-s/R)) < s + R bytes. */
	uint64_t bytes = tc->bytes + tc->alloc_events * tc->sample_rate;
	if (grew >= (64u << 20) && bytes < grew / 20)
		fprintf(stderr,
			"leakrec: warning: %s: RSS grew by %llu MiB but only %llu KiB went through malloc: "
			"the program may use its own allocator, which leakrec does not see\n",
			path, (unsigned long long)(grew >> 20), (unsigned long long)(bytes >> 10));
	return 1;
}

/* Finds prog as execvp would; returns 0 with the path in out. */
static int which(const char *prog, char *out, size_t cap)
{
	if (strchr(prog, '/'))
		return snprintf(out, cap, "%s", prog) < (int)cap ? 0 : -1;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		if (snprintf(out, cap, "%.*s/%s", (int)n, n ? path : ".", prog) < (int)cap &&
		    access(out, X_OK) == 0)
			return 0;
		path += n + (end != NULL);
	}
	return -1;
}

/* Why the dynamic loader would not preload the library into this program, or NULL. */
static const char *cannot_preload(const char *prog)
{
	char path[PATH_MAX];
	struct stat st;
	if (which(prog, path, sizeof(path)) != 0 || stat(path, &st) != 0)
		return NULL; /* execvp will say what is wrong */
	if (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
	    ((st.st_mode & S_ISGID) && st.st_gid != getegid()))
		return "is setuid or setgid: the dynamic loader ignores LD_PRELOAD for it";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	Elf64_Ehdr eh;
	const char *why = NULL;
	if (read(fd, &eh, sizeof(eh)) == (ssize_t)sizeof(eh) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
		int dynamic = 0;
		for (int i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) !=
			    (ssize_t)sizeof(ph))
				break;
			dynamic |= ph.p_type == PT_INTERP;
		}
		if (!dynamic)
			why = "is statically linked: there is no dynamic loader to preload the recorder";
	}
	close(fd);
	return why;
}

/* One trace of this run, as list_traces found it. */
typedef struct found_trace {
	char path[PATH_MAX];
	trace_counts tc;
	int readable;
} found_trace;

/* Orders trace names with their numbers compared as numbers ("x.9.zst" before "x.10.zst"). */
static int name_cmp(const void *pa, const void *pb)
{
	const char *a = ((const found_trace *)pa)->path, *b = ((const found_trace *)pb)->path;
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			char *ea, *eb;
			unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

/* The generation of an exec image of the root process in a child trace's name: "PID.zst" is 1,
 * "PID.N.zst" is N; 0 when the name (after the prefix) is not one of the root pid's images. */
static unsigned long exec_generation(const char *rest, pid_t root)
{
	char *end;
	unsigned long pid = strtoul(rest, &end, 10);
	if (pid != (unsigned long)root || *end != '.')
		return 0;
	if (strcmp(end, ".zst") == 0)
		return 1;
	unsigned long gen = strtoul(end + 1, &end, 10);
	return strcmp(end, ".zst") == 0 && gen >= 2 ? gen : 0;
}

/* How many traces are listed one per line before the rest are summed up in one line. */
#define LIST_MAX 16

/* Prints the traces of this run: the root one and the children's and exec images' (same name +
 * ".PID...zst"), then the command to run next on the trace of the program as it finally ran
 * (the root process's last exec image: a shell script or wrapper usually execs the program).
 * With more than LIST_MAX traces, the root, that final image, incomplete traces and the ones with
 * the most allocations are listed and the others counted.  killed_by is the signal that ended
 * the program (0: none); it belongs to the final image. */
static void list_traces(const char *root, int killed_by)
{
	char dir[PATH_MAX], prefix[PATH_MAX];
	const char *slash = strrchr(root, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - root) : 1, slash ? root : ".");
	size_t blen = strlen(slash ? slash + 1 : root);
	const char *base = slash ? slash + 1 : root;
	if (blen > 4 && strcmp(base + blen - 4, ".zst") == 0)
		blen -= 4;
	snprintf(prefix, sizeof(prefix), "%.*s.", (int)blen, base);
	size_t pl = strlen(prefix);

	found_trace *all = NULL;
	size_t n = 0, cap = 0;
	size_t final = 0; /* index of the root process's last image (0: the root trace) */
	unsigned long final_gen = 0;
	struct stat st;
	int have_root = stat(root, &st) == 0;
	DIR *d = opendir(dir[0] ? dir : "/");
	for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
		size_t len = strlen(de->d_name);
		if (len <= pl + 4 || strncmp(de->d_name, prefix, pl) != 0 ||
		    strcmp(de->d_name + len - 4, ".zst") != 0 || de->d_name[pl] < '0' ||
		    de->d_name[pl] > '9')
			continue;
		char cpath[PATH_MAX * 2];
		snprintf(cpath, sizeof(cpath), "%s/%s", dir, de->d_name);
		struct stat cs;
		if (strlen(cpath) >= PATH_MAX || stat(cpath, &cs) != 0 || cs.st_mtime < started)
			continue;
		if (n + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 16;
			found_trace *m = realloc(all, ncap * sizeof(*m));
			if (!m)
				break;
			all = m;
			cap = ncap;
		}
		found_trace *t = &all[1 + n++]; /* all[0] is the root */
		snprintf(t->path, sizeof(t->path), "%s", cpath);
	}
	if (d)
		closedir(d);
	if (!all && !(all = calloc(1, sizeof(*all))))
		return;
	qsort(all + 1, n, sizeof(*all), name_cmp);
	snprintf(all[0].path, sizeof(all[0].path), "%s", root);
	size_t total = n + 1;
	for (size_t i = 1; i < total; i++) {
		unsigned long g = exec_generation(all[i].path + strlen(dir) + 1 + pl, child);
		if (g > final_gen) {
			final_gen = g;
			final = i;
		}
	}
	for (size_t i = have_root ? 0 : 1; i < total; i++)
		all[i].readable = summarize(all[i].path, &all[i].tc) == 0;

	/* which ones get a line of their own */
	char *shown = calloc(total, 1);
	if (!shown) {
		free(all);
		return;
	}
	shown[0] = shown[final] = 1;
	size_t nshown = final ? 2 : 1;
	for (size_t i = 1; i < total && total > LIST_MAX; i++)
		if (!shown[i] && (!all[i].readable || !all[i].tc.complete) && nshown < LIST_MAX)
			shown[i] = 1, nshown++;
	while (nshown < LIST_MAX) {
		size_t best = 0;
		for (size_t i = 1; i < total; i++)
			if (!shown[i] && (!best || trace_allocs(&all[i].tc) > trace_allocs(&all[best].tc)))
				best = i;
		if (!best)
			break;
		shown[best] = 1;
		nshown++;
	}

	int readable = 0;
	uint64_t rest_allocs = 0;
	size_t rest = 0;
	if (!have_root)
		fprintf(stderr, "leakrec: no trace was written to %s\n", root);
	for (size_t i = have_root ? 0 : 1; i < total; i++) {
		if (!shown[i]) {
			rest++;
			rest_allocs += trace_allocs(&all[i].tc);
			readable |= all[i].readable;
			continue;
		}
		readable |= report_trace(all[i].path, all[i].readable ? &all[i].tc : NULL,
					 i == final ? killed_by : 0);
	}
	if (rest)
		fprintf(stderr, "leakrec: ... and %zu more trace%s of child processes (%llu allocation%s "
			"in all): %s/%s*.zst\n", rest, rest == 1 ? "" : "s",
			(unsigned long long)rest_allocs, plural(rest_allocs), dir, prefix);
	if (readable && final)
		fprintf(stderr, "leakrec: next: leakanalyze %s   (the program as it ran after %lu "
			"exec%s; the first image's trace is %s)\n", all[final].path, final_gen,
			final_gen == 1 ? "" : "s", root);
	else if (readable)
		fprintf(stderr, "leakrec: next: leakanalyze %s\n", root);
	free(shown);
	free(all);
}

static void set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	if (old && *old) {
		size_t n = strlen(lib) + strlen(old) + 2;
		char *v = malloc(n);
		if (!v)
			return;
		snprintf(v, n, "%s:%s", lib, old);
		setenv("LD_PRELOAD", v, 1);
		free(v);
	} else {
		setenv("LD_PRELOAD", lib, 1);
	}
}

/* leakrec -p: attach (attach.h), then the trace's line as after a run. */
static int attach_main(pid_t pid, const char *output, const char *lib, const char *depth,
		       const char *sample, const char *duration, const char *max_size, int quiet)
{
	char abs_lib[PATH_MAX];
	if (!realpath(lib, abs_lib))
		snprintf(abs_lib, sizeof(abs_lib), "%s", lib);
	attach_opts o = {pid, output, abs_lib, 0, 0, 0, 0, quiet};
	if (duration[0])
		proto_parse_duration(duration, &o.duration_ns);
	if (sample[0])
		proto_parse_size(sample, &o.sample);
	if (max_size[0])
		proto_parse_size(max_size, &o.max_bytes);
	if (depth)
		o.depth = (uint32_t)strtoul(depth, NULL, 10);
	char trace[PATH_MAX];
	int rc = attach_run(&o, trace, sizeof(trace));
	if (trace[0] && !quiet) {
		trace_counts tc;
		child = pid; /* report_trace: the process that wrote it */
		int ok = summarize(trace, &tc) == 0;
		if (ok && !tc.complete && rc == ATTACH_ENDED)
			fprintf(stderr, "leakrec: trace %s: incomplete: the process ended without "
				"exiting (killed by a signal?) before the recorder could finish; %llu "
				"allocation and %llu free events written\n", trace,
				(unsigned long long)tc.alloc_events, (unsigned long long)tc.free_events);
		else
			report_trace(trace, ok ? &tc : NULL, 0);
	}
	return rc == ATTACH_ENDED ? 0 : rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'}, {"depth", required_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
		{"no-children", no_argument, NULL, 'n'},  {"sample", required_argument, NULL, 's'},
		{"duration", required_argument, NULL, 'D'}, {"max-size", required_argument, NULL, 'M'},
		{"no-reachability", no_argument, NULL, 'R'}, {"pid", required_argument, NULL, 'p'},
		{"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	const char *output = NULL;
	const char *depth = NULL;
	char sample[24] = "", duration[24] = "", max_size[24] = "";
	uint64_t v64;
	int quiet = 0, no_children = 0, no_reach = 0, c;
	pid_t attach_pid = 0;
	while ((c = getopt_long(argc, argv, "+o:d:s:p:nqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'd': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1024) {
				fprintf(stderr, "leakrec: invalid depth '%s' (1 to 1024)\n", optarg);
				return 2;
			}
			depth = optarg;
			break;
		}
		case 's':
			if (proto_parse_size(optarg, &v64) != 0 || v64 == 0) {
				fprintf(stderr, "leakrec: invalid sample size '%s' (bytes, e.g. 512K, 1M, "
					"4096)\n", optarg);
				return 2;
			}
			snprintf(sample, sizeof(sample), "%llu", (unsigned long long)v64);
			break;
		case 'D':
			if (proto_parse_duration(optarg, &v64) != 0 || v64 == 0) {
				fprintf(stderr, "leakrec: invalid duration '%s' (e.g. 10s, 1.5m, 250ms)\n",
					optarg);
				return 2;
			}
			snprintf(duration, sizeof(duration), "%llums",
				 (unsigned long long)((v64 + 999999) / 1000000));
			break;
		case 'M':
			if (proto_parse_size(optarg, &v64) != 0 || v64 == 0) {
				fprintf(stderr, "leakrec: invalid size '%s' (bytes, e.g. 100M, 1G)\n",
					optarg);
				return 2;
			}
			snprintf(max_size, sizeof(max_size), "%llu", (unsigned long long)v64);
			break;
		case 'p': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > INT_MAX) {
				fprintf(stderr, "leakrec: invalid pid '%s'\n", optarg);
				return 2;
			}
			attach_pid = (pid_t)v;
			break;
		}
		case 'q': quiet = 1; break;
		case 'n': no_children = 1; break;
		case 'R': no_reach = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("leakrec %s (trace format %d)\n", PROTO_VERSION, TF_VERSION); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (attach_pid && optind < argc) {
		fprintf(stderr, "leakrec: -p attaches to a running process: no program is given with "
			"it\n%s", usage_text);
		return 2;
	}
	if (attach_pid && (no_children || no_reach)) {
		fprintf(stderr, "leakrec: --%s does not apply to -p (an attached process's children "
			"and leak kinds are not recorded)\n", no_children ? "no-children" : "no-reachability");
		return 2;
	}
	if (!attach_pid && optind >= argc) {
		fprintf(stderr, "leakrec: no program given\n%s", usage_text);
		return 2;
	}
	struct stat ost;
	if (output && !strstr(output, "%p") && stat(output, &ost) == 0 && !S_ISREG(ost.st_mode) &&
	    !S_ISDIR(ost.st_mode)) {
		/* the trace replaces the file at that path: never a device such as /dev/null */
		fprintf(stderr, "leakrec: '%s' is no regular file: -o takes a trace file or a folder\n",
			output);
		return 2;
	}
	char lib[PATH_MAX];
	if (find_library(lib, sizeof(lib)) != 0) {
		fprintf(stderr, "leakrec: cannot find libleakrec.so next to leakrec or in %s\n",
			LEAKREC_LIBDIR);
		return 127;
	}
	if (attach_pid)
		return attach_main(attach_pid, output, lib, depth, sample, duration, max_size, quiet);
	char **prog = argv + optind;
	const char *why = cannot_preload(prog[0]);
	if (why) {
		fprintf(stderr, "leakrec: cannot record '%s': it %s\n", prog[0], why);
		return 126;
	}
	fflush(NULL);
	started = time(NULL) - 1;
	start_sentinel();
	/* Installed before the program starts, so that none is missed.  Signals a terminal sends go
	 * to the whole foreground group, the program included: the launcher waits.  Signals sent to
	 * the launcher alone are passed on (forward). */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	struct sigaction old_action[NPASSED];
	for (size_t i = 0; i < NPASSED; i++)
		sigaction(passed_on[i], &sa, &old_action[i]);
	int errpipe[2];
	if (pipe2(errpipe, O_CLOEXEC) != 0) {
		fprintf(stderr, "leakrec: pipe: %s\n", strerror(errno));
		return 127;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "leakrec: fork: %s\n", strerror(errno));
		return 127;
	}
	if (child == 0) {
		close(errpipe[0]);
		for (size_t i = 0; i < NPASSED; i++) /* the program starts with them as given */
			sigaction(passed_on[i], &old_action[i], NULL);
		char path[PATH_MAX], pid[32];
		trace_path(output, prog[0], getpid(), path, sizeof(path));
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		/* A trace left at this path by an earlier run is replaced: the recorder itself never
		 * overwrites a trace (a program that execs keeps its pid, see docs/leakrec.md). */
		unlink(path);
		setenv(PROTO_ENV_OUTPUT, path, 1);
		setenv(PROTO_ENV_PID, pid, 1);
		if (depth)
			setenv(PROTO_ENV_DEPTH, depth, 1);
		setenv(PROTO_ENV_CHILDREN, no_children ? "0" : "1", 1);
		if (*sample)
			setenv(PROTO_ENV_SAMPLE, sample, 1);
		if (*duration)
			setenv(PROTO_ENV_DURATION, duration, 1);
		if (*max_size)
			setenv(PROTO_ENV_MAX_SIZE, max_size, 1);
		setenv(PROTO_ENV_REACH, no_reach ? "0" : "1", 1);
		set_preload(lib);
		execvp(prog[0], prog);
		int e = errno;
		if (write(errpipe[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(errpipe[1]);
	int exec_errno = 0;
	ssize_t got = read(errpipe[0], &exec_errno, sizeof(exec_errno));
	close(errpipe[0]);
	int status;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	stop_sentinel();
	if (got == (ssize_t)sizeof(exec_errno)) {
		fprintf(stderr, "leakrec: cannot run '%s': %s\n", prog[0], strerror(exec_errno));
		return 127;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	int killed_by = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	char path[PATH_MAX];
	trace_path(output, prog[0], child, path, sizeof(path));
	if (!quiet) {
		if (killed_by) {
			char sig[32];
			fprintf(stderr, "leakrec: program killed by %s%s\n",
				signal_name(killed_by, sig, sizeof(sig)),
				WCOREDUMP(status) ? " (core dumped)" : "");
		}
		list_traces(path, killed_by);
	}
	return code;
}
