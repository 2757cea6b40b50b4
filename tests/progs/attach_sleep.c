/*
 * attach_sleep.c: a single-threaded process asleep in a system call when `leakrec -p` attaches
 * (tests/e2e/test_attach.py).  Also the target of the error tests, built a second time statically
 * (attach_sleep.static).
 *
 *   attach_sleep read     prints "ready PID", then reads stdin with read(2) (blocked there while
 *                         nothing comes).  Per line: on_line() allocates 100 bytes per byte of the
 *                         line (newline included) and keeps the block; prints "got N LINE".  At
 *                         EOF prints "eof LINES BYTES", frees the blocks and exits 5.  A read that
 *                         fails prints "read error ERRNO" (EINTR included) and exits 6.
 *   attach_sleep nodump   the same after prctl(PR_SET_DUMPABLE, 0)
 *   attach_sleep sleep MS prints "ready PID", sleeps MS milliseconds in one nanosleep(2), prints
 *                         "slept rc=R errno=E elapsed_us=U" (R = 0, E = 0 when nothing interrupted
 *                         it), allocates and frees one block, exits 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define MAXLINES 1024

static void *blocks[MAXLINES];

NOINLINE static void *on_line(size_t len)
{
	void *p = malloc(len * 100);
	memset(p, (int)len, len * 100);
	return p;
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int read_mode(void)
{
	char line[4096];
	size_t have = 0, lines = 0, bytes = 0;
	for (;;) {
		ssize_t r = read(0, line + have, sizeof(line) - 1 - have);
		if (r < 0) {
			printf("read error %d\n", errno);
			return 6;
		}
		if (r == 0)
			break;
		have += (size_t)r;
		char *nl;
		while ((nl = memchr(line, '\n', have))) {
			size_t len = (size_t)(nl - line) + 1;
			if (lines < MAXLINES)
				blocks[lines] = on_line(len);
			lines++;
			bytes += len;
			printf("got %zu %.*s\n", len, (int)len - 1, line);
			fflush(stdout);
			memmove(line, nl + 1, have - len);
			have -= len;
		}
		if (have == sizeof(line) - 1)
			have = 0;
	}
	printf("eof %zu %zu\n", lines, bytes);
	for (size_t i = 0; i < lines && i < MAXLINES; i++)
		free(blocks[i]);
	return 5;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "read";
	if (!strcmp(mode, "nodump"))
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (!strcmp(mode, "sleep")) {
		long ms = argc > 2 ? atol(argv[2]) : 1000;
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		long long t0 = now_us();
		errno = 0;
		int rc = nanosleep(&ts, NULL);
		int e = errno;
		long long t1 = now_us();
		printf("slept rc=%d errno=%d elapsed_us=%lld\n", rc, e, t1 - t0);
		free(on_line(10));
		return 0;
	}
	return read_mode();
}
