/*
 * unwind_dso.c: allocations from shared libraries, for the fast unwinder's tests
 * (tests/e2e/test_unwind.py).  One source, three roles (tests/unwind.mk builds them all at -O2
 * without frame pointers):
 *
 *   -DUW_LIB      libuwdso.so, linked to the program and called through the PLT: it leaks, calls
 *                 back into the program through function pointers (program frames above library
 *                 frames above program frames), recurses, and has an alloca frame (CFA = RBP).
 *   -DUW_PLUG=a   libuwplug_a.so and libuwplug_b.so, opened with dlopen and closed again.
 *   -DUW_PLUG=b   Their code is the same but for the size of uwplug_leak's local array (4 KiB /
 *                 8 KiB, both encoded as 32-bit immediates): the same instruction address has a
 *                 different CFA rule in each.  uwplug_tls touches a __thread array (general
 *                 dynamic model): the first touch in a thread allocates the module's TLS block
 *                 inside __tls_get_addr.
 *   (neither)     the program:
 *                   unwind_dso         calls libuwdso.so, then opens libuwplug_a.so, allocates
 *                                      through it from main and from a new thread (TLS), closes it;
 *                   unwind_dso reload  opens, uses and closes a, b, a, b in turn: each lands at
 *                                      the address the previous one was unloaded from, so a rule
 *                                      remembered from the unloaded library would give a wrong
 *                                      stack (libunwind 1.6 itself keeps the old library's rule:
 *                                      its stack for b reads a return address from b's array).
 *                 Both print the "expect" lines.
 *
 * Deterministic, exits 0.  The plugins are looked for next to the executable.
 */
#if defined(UW_LIB)
#include <alloca.h>
#include <stdlib.h>
#include <string.h>

void *uwlib_keep[64];
static int uwlib_n;

__attribute__((noipa)) void uwlib_leak(int n)
{
	for (int i = 0; i < n; i++)
		uwlib_keep[uwlib_n++ % 64] = malloc(401);
}

__attribute__((noipa)) void uwlib_callback(void (*cb)(int), int k)
{
	cb(k);
	__asm__ __volatile__("" ::: "memory");
}

__attribute__((noipa)) int uwlib_recurse(int n, void (*cb)(int))
{
	if (n == 0) {
		uwlib_callback(cb, 7);
		return 0;
	}
	int r = uwlib_recurse(n - 1, cb);
	__asm__ __volatile__("" ::: "memory");
	return r + 1;
}

__attribute__((noipa)) void uwlib_alloca(int n, void (*cb)(int))
{
	char *buf = alloca((size_t)n);
	memset(buf, 5, (size_t)n);
	uwlib_keep[uwlib_n++ % 64] = malloc(402);
	cb(buf[n - 1]);
}

#elif defined(UW_PLUG)
#include <stdlib.h>
#include <string.h>

#define UW_CAT2(x, y) x##y
#define UW_CAT(x, y) UW_CAT2(x, y)
#define UW_PLUG_a 4096
#define UW_PLUG_b 8192
#define PLUG_FRAME UW_CAT(UW_PLUG_, UW_PLUG)

void *uwplug_keep[16];
static int uwplug_n;
volatile char uwplug_byte;
__thread char uwplug_tls_buf[512];

/* First in the file, so that it has the same address in both libraries. */
__attribute__((noipa)) void uwplug_leak(size_t size, int seed)
{
	char frame[PLUG_FRAME];
	memset(frame, seed, sizeof(frame));
	__asm__ __volatile__("" : : "r"(frame) : "memory"); /* the array stays in the frame */
	uwplug_keep[uwplug_n++ % 16] = malloc(size);
	uwplug_byte = frame[seed];
}

__attribute__((noipa)) void uwplug_tls(size_t size)
{
	uwplug_tls_buf[0]++;
	uwplug_keep[uwplug_n++ % 16] = malloc(size);
}

#else
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind_common.h"

void uwlib_leak(int n);
void uwlib_callback(void (*cb)(int), int k);
int uwlib_recurse(int n, void (*cb)(int));
void uwlib_alloca(int n, void (*cb)(int));

static char dir[PATH_MAX];

/* Called back from the library's frames. */
NOIPA static void from_lib(int k)
{
	size_t n = (size_t)(420 + k % 8);
	uw_keep(malloc(n));
	uw_count("from_lib", n);
}

typedef void (*plug_leak_fn)(size_t, int);
typedef void (*plug_tls_fn)(size_t);

/* One call site for both plugins. */
NOIPA static void call_plug(plug_leak_fn f, size_t size) { f(size, 3); uw_barrier(); }

static plug_tls_fn tls_fn;

NOIPA static void *tls_thread(void *arg)
{
	(void)arg;
	tls_fn(430); /* the TLS block allocated inside __tls_get_addr, then 430 bytes */
	uw_barrier();
	return NULL;
}

static int use_plugin(char which, int with_thread)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/libuwplug_%c.so", dir, which);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	plug_leak_fn f = (plug_leak_fn)dlsym(h, "uwplug_leak");
	tls_fn = (plug_tls_fn)dlsym(h, "uwplug_tls");
	if (!f || !tls_fn) {
		fprintf(stderr, "dlsym: %s\n", dlerror());
		return 1;
	}
	size_t size = which == 'a' ? 411 : 412;
	call_plug(f, size);
	call_plug(f, size);
	uw_count("uwplug_leak", size);
	uw_count("uwplug_leak", size);
	if (with_thread) {
		pthread_t t;
		pthread_create(&t, NULL, tls_thread, NULL);
		pthread_join(t, NULL);
		uw_count("uwplug_tls", 430);
	}
	dlclose(h);
	return 0;
}

int main(int argc, char **argv)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 1;
	exe[n] = 0;
	snprintf(dir, sizeof(dir), "%s", dirname(exe));

	if (argc > 1 && strcmp(argv[1], "reload") == 0) {
		/* a, b, a, b: each usually at the address the previous one was unloaded from */
		if (use_plugin('a', 0) || use_plugin('b', 0) || use_plugin('a', 0) || use_plugin('b', 0))
			return 1;
		uw_print_expect();
		return 0;
	}
	uwlib_leak(3);
	uw_count("uwlib_leak", 401);
	uw_count("uwlib_leak", 401);
	uw_count("uwlib_leak", 401);
	uwlib_callback(from_lib, 1);
	uwlib_recurse(20, from_lib);
	uwlib_alloca(50, from_lib); /* from_lib(5) */
	uw_count("uwlib_alloca", 402);
	if (use_plugin('a', 1))
		return 1;
	uw_print_expect();
	return 0;
}
#endif
