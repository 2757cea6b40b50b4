/*
 * attach_dl.c: a process that calls dlopen while `leakrec -p` is attached
 * (tests/e2e/test_attach.py).
 *
 * Built twice.  With -DATTACH_DL_LIB it is libattach_dl.so, whose one function attach_dl_work()
 * allocates DL_BLOCKS blocks of DL_SIZE bytes and keeps them (a leak).  Without it, the program:
 * it prints "ready PID", then per byte on stdin
 *   'd'  dlopen()s libattach_dl.so from its own folder (the first time; RTLD_NOW), calls
 *        attach_dl_work() and prints "dl CALLS SUM" (SUM from the blocks' contents)
 * and at EOF prints "done" and exits 0.  The library is never unloaded.
 */
#define DL_BLOCKS 7
#define DL_SIZE 1234

#ifdef ATTACH_DL_LIB
#include <stdlib.h>
#include <string.h>

static unsigned char *kept[64][DL_BLOCKS];
static int calls;

__attribute__((noinline)) unsigned long attach_dl_work(void)
{
	unsigned long s = 0;
	int c = calls < 64 ? calls : 63;
	for (int i = 0; i < DL_BLOCKS; i++) {
		kept[c][i] = malloc(DL_SIZE);
		memset(kept[c][i], i + c, DL_SIZE);
		s = s * 13 + kept[c][i][DL_SIZE - 1];
	}
	calls++;
	return s;
}
#else
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 32);
	if (n <= 0)
		return 1;
	self[n] = 0;
	strcpy(strrchr(self, '/') + 1, "libattach_dl.so");
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	unsigned long (*work)(void) = NULL;
	int calls = 0;
	char c;
	for (;;) {
		ssize_t r = read(0, &c, 1);
		if (r < 0 && errno == EINTR) {
			printf("EINTR in read\n");
			continue;
		}
		if (r <= 0)
			break;
		if (c != 'd')
			continue;
		if (!work) {
			void *h = dlopen(self, RTLD_NOW);
			if (!h) {
				printf("dlopen failed: %s\n", dlerror());
				return 1;
			}
			work = (unsigned long (*)(void))dlsym(h, "attach_dl_work");
			if (!work) {
				printf("no attach_dl_work\n");
				return 1;
			}
		}
		unsigned long s = work();
		printf("dl %d %lu\n", ++calls, s);
		fflush(stdout);
	}
	printf("done\n");
	return 0;
}
#endif
