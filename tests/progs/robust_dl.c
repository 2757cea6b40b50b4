/*
 * robust_dl.c: dlopen/dlclose of two libraries that allocate.
 *
 * Built three ways.  With -DROBUST_LIB=a (librobust_a.so) or -DROBUST_LIB=b (librobust_b.so) it is
 * a library with one function, robust_liba_leak or robust_libb_leak: the same code, so the two
 * libraries have the same layout and a call from the same site in main gives the same return
 * addresses, only the library differs.  Without it, the program robust_dl DIR:
 *   dlopen DIR/librobust_a.so, robust_liba_leak(1111, 3) (3 blocks of 1111 bytes, leaked), dlclose;
 *   dlopen DIR/librobust_b.so, robust_libb_leak(2222, 5) (5 blocks of 2222 bytes, leaked), dlclose.
 * Prints where each function was ("a 0x... base 0x...", "b ...") and "same_address 1" when B's
 * function landed at A's old address, else "same_address 0".
 */
#ifdef ROBUST_LIB
#include <stdlib.h>

#define CAT2(x, y, z) x##y##z
#define CAT(x, y, z) CAT2(x, y, z)
#define LEAK_FN CAT(robust_lib, ROBUST_LIB, _leak)

void *robust_keep[16];

__attribute__((noinline)) void LEAK_FN(size_t size, int n)
{
	for (int i = 0; i < n && i < 16; i++)
		robust_keep[i] = malloc(size);
}
#else
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*leak_fn)(size_t, int);

static void *fn_addr[2], *base_addr[2];

/* One call site for both libraries. */
__attribute__((noinline)) static void call_leak(leak_fn f, size_t size, int n) { f(size, n); }

static int use(const char *dir, const char *lib, const char *sym, size_t size, int n, int k)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, lib);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	leak_fn f = (leak_fn)dlsym(h, sym);
	if (!f) {
		fprintf(stderr, "dlsym: %s\n", dlerror());
		return 1;
	}
	Dl_info info;
	if (dladdr((void *)f, &info) == 0) {
		fprintf(stderr, "dladdr failed\n");
		return 1;
	}
	fn_addr[k] = (void *)f;
	base_addr[k] = info.dli_fbase;
	printf("%c %p base %p\n", 'a' + k, fn_addr[k], base_addr[k]);
	call_leak(f, size, n);
	if (dlclose(h) != 0) {
		fprintf(stderr, "dlclose: %s\n", dlerror());
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: robust_dl DIR\n");
		return 2;
	}
	if (use(argv[1], "librobust_a.so", "robust_liba_leak", 1111, 3, 0) ||
	    use(argv[1], "librobust_b.so", "robust_libb_leak", 2222, 5, 1))
		return 1;
	printf("same_address %d\n", fn_addr[0] == fn_addr[1]);
	return 0;
}
#endif
