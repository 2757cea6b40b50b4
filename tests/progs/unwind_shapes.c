/*
 * unwind_shapes.c: allocations from many stack shapes, for the fast unwinder's tests
 * (tests/e2e/test_unwind.py).  The fast unwinder reads the .eh_frame CFI itself and must give
 * exactly libunwind's stacks; every function below makes the compiler describe its frame in a
 * different way.  tests/unwind.mk builds this one source five ways, so that each shape is seen
 * with a frame pointer, without one, optimised for size, inlined, and with stack-clash probes:
 *   unwind_shapes        -O0 -fno-omit-frame-pointer (CFA = RBP + 16 everywhere)
 *   unwind_shapes_O2     -O2 -fomit-frame-pointer    (CFA = RSP + n, RBP a plain callee-saved
 *                                                      register; cold parts, shrink-wrapping)
 *   unwind_shapes_Os     -Os -fomit-frame-pointer    (no function alignment: a call that ends a
 *                                                      function returns to the next function)
 *   unwind_shapes_O3     -O3 -fomit-frame-pointer    (inlining, cloning, vectorising)
 *   unwind_shapes_clash  -O2 -fomit-frame-pointer -fstack-clash-protection (probe loops)
 * Every leaked block is counted under the function that allocates it (see unwind_common.h); the
 * program prints the "expect" lines at the end.  One allocation (the DRAP-realigned frame, whose
 * CFA is a DWARF expression) and the 1.5 MiB frame use the "may decline" sizes.  (Frames of the
 * Microsoft calling convention, which libunwind cannot step through, are in unwind_msabi.c.)
 * Deterministic, single-threaded, exits 0.
 */
#define _GNU_SOURCE
#include <alloca.h>
#include <malloc.h>
#include <search.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unwind_common.h"

/* Reads a byte the compiler cannot predict, so that buffers stay used. */
static volatile int uw_seed = 1;
static volatile char uw_byte;

static int rec_deep(int n);

/* Fills a frame's array with words that look like return addresses (inside rec_deep), so that
 * an unwinder reading the return address at a wrong CFA finds a plausible frame and gives a
 * wrong stack, instead of an address no FDE covers (which would only make it decline). */
static void fill_plausible(void *buf, size_t size)
{
	uintptr_t ra = (uintptr_t)rec_deep + 20;
	for (size_t i = 0; i + sizeof(ra) <= size; i += sizeof(ra))
		memcpy((char *)buf + i, &ra, sizeof(ra));
	uw_barrier();
}

/* ---- constructor and atexit: allocations outside main (_dl_init, __run_exit_handlers) ---- */

__attribute__((constructor)) static void ctor_leak(void)
{
	uw_keep(malloc(115)); /* counted in main: the registry is printed there */
}

NOIPA static void atexit_leak(void)
{
	uw_keep(malloc(116)); /* counted in main, before the lines are printed */
}

/* ---- deep recursion: 250 frames, more than the recorder's default depth of 128 ---- */

static long shape_alloca(int n);

NOIPA static int rec_deep(int n)
{
	if (n == 0) {
		uw_keep(malloc(101));
		uw_count("rec_deep", 101);
		return (int)shape_alloca(33); /* RBP-based frames on top of a long stack */
	}
	int r = rec_deep(n - 1);
	uw_barrier(); /* not a tail call: no build turns the recursion into a loop */
	return r + (n & 1);
}

/* ---- mutual recursion: two functions alternating, each leaks at its own bottom ---- */

NOIPA static int mut_odd(int n);

NOIPA static int mut_even(int n)
{
	if (n == 0) {
		uw_keep(malloc(102));
		uw_count("mut_even", 102);
		return 0;
	}
	int r = mut_odd(n - 1);
	uw_barrier();
	return r + 1;
}

NOIPA static int mut_odd(int n)
{
	if (n == 0) {
		uw_keep(malloc(103));
		uw_count("mut_odd", 103);
		return 1;
	}
	int r = mut_even(n - 1);
	uw_barrier();
	return r + 1;
}

/* ---- callee-saved registers: seven values live across malloc use RBX, RBP, R12-R15 (RBP as a
 * plain register when there is no frame pointer); the caller (alloca/VLA, below) computes its CFA
 * from RBP, so its frame is only found if RBP is restored from this frame's save slot ---- */

NOIPA static long regs_pressure(const char *p)
{
	long a = p[0] * 3L, b = p[1] * 5L, c = p[2] * 7L, d = p[3] * 11L;
	long e = p[4] * 13L, f = p[5] * 17L, g = p[6] * 19L, h = p[7] * 23L;
	uw_keep(malloc(105));
	uw_count("regs_pressure", 105);
	uw_barrier();
	return (a ^ b) + (c ^ d) * (e ^ f) - (g ^ h) + a * h;
}

/* ---- alloca and a variable-length array: the stack pointer moves by an amount known only at run
 * time, so even -fomit-frame-pointer builds use RBP as the CFA register ---- */

NOIPA static long shape_alloca(int n)
{
	char *buf = alloca((size_t)n);
	memset(buf, n, (size_t)n);
	uw_keep(malloc(104));
	uw_count("shape_alloca", 104);
	long r = regs_pressure(buf);
	uw_byte = buf[n - 1];
	return r;
}

NOIPA static long shape_vla(int n)
{
	char vla[n];
	memset(vla, n + 1, sizeof(vla));
	uw_keep(malloc(117));
	uw_count("shape_vla", 117);
	long r = regs_pressure(vla);
	uw_byte = vla[n / 2];
	return r;
}

/* ---- big frames: a 64 KiB local array (a CFA offset of three LEB128 bytes; stack-clash probes
 * in the _clash build), one just under 1 MiB, and a 1.5 MiB one (beyond what a compact rule may
 * encode: may decline) ---- */

NOIPA static void shape_big_frame(void)
{
	char big[65536];
	fill_plausible(big, sizeof(big));
	uw_keep(malloc(106));
	uw_count("shape_big_frame", 106);
	uw_byte = big[uw_seed * 1000];
}

NOIPA static void shape_1m_frame(void)
{
	char big[1024 * 1024 - 256]; /* a CFA offset just under 1 MiB: must still be unwound */
	fill_plausible(big, sizeof(big));
	uw_keep(malloc(119));
	uw_count("shape_1m_frame", 119);
	uw_byte = big[uw_seed * 500000];
}

NOIPA static void shape_huge_frame(void)
{
	char huge[1536 * 1024];
	fill_plausible(huge, sizeof(huge));
	uw_keep(malloc(UW_DECLINE(1)));
	uw_count("shape_huge_frame", UW_DECLINE(1));
	uw_byte = huge[uw_seed * 100000];
}

/* ---- stack realignment with a VLA: GCC keeps the incoming stack pointer in a register (DRAP)
 * and describes the CFA with DW_CFA_def_cfa_expression: may decline ---- */

NOIPA static void shape_realign(int n)
{
	_Alignas(64) char a[64];
	char vla[n];
	memset(a, 3, sizeof(a));
	memset(vla, 4, sizeof(vla));
	uw_keep(malloc(UW_DECLINE(2)));
	uw_count("shape_realign", UW_DECLINE(2));
	uw_byte = (char)(a[uw_seed] + vla[n - 1]);
}

/* ---- tail calls: with optimisation tail_mid and tail_alloc jump instead of calling, their
 * frames vanish and malloc returns straight into shape_tail ---- */

NOIPA static void *tail_alloc(size_t n) { return malloc(n); }

NOIPA static void *tail_mid(size_t n) { return tail_alloc(n); }

NOIPA static void shape_tail(void)
{
	void *p = tail_mid(107);
	uw_barrier();
	uw_keep(p);
	uw_count("shape_tail", 107);
}

/* ---- a call to a noreturn function as the last instruction of nr_last_call: its return
 * address is the first byte after the function (the next function, or padding), so the rule must
 * be looked up at the return address minus one ---- */

static jmp_buf nr_env;

NOIPA __attribute__((noreturn)) static void nr_leak_and_jump(void)
{
	uw_keep(malloc(108));
	uw_count("nr_leak_and_jump", 108);
	longjmp(nr_env, 1);
}

NOIPA static void nr_last_call(void) { nr_leak_and_jump(); }

NOIPA static void shape_noreturn(void)
{
	if (setjmp(nr_env) == 0)
		nr_last_call();
}

/* ---- a cold call: with optimisation the call sits in shape_cold.cold, a separate piece of
 * code in .text.unlikely with its own FDE ---- */

NOIPA __attribute__((cold)) static void cold_leak(void)
{
	uw_keep(malloc(109));
	uw_count("cold_leak", 109);
}

NOIPA static int shape_cold(int x)
{
	if (x == 12345) {
		cold_leak();
		uw_barrier();
		return 7;
	}
	return x + 1;
}

/* ---- several returns: -O2 shrink-wraps and emits remember_state/restore_state around the early
 * epilogues that come before the call in the code ---- */

NOIPA static long shape_multi_exit(int k, const char *s)
{
	if (k < 0)
		return -1;
	if (s[0] == 'x')
		return 2;
	long a = s[1] * 3L, b = s[2] * 5L, c = s[3] * 7L;
	if (k == 99)
		return a + b;
	uw_keep(malloc(118));
	uw_count("shape_multi_exit", 118);
	uw_barrier();
	return a ^ b ^ c;
}

/* ---- stack arguments: four of ten arguments are pushed, the CFA offset changes at each push
 * before the call ---- */

NOIPA static void many_args(long a, long b, long c, long d, long e, long f, long g, long h, long i,
			    long j)
{
	size_t n = (size_t)(113 + (a + b + c + d + e + f + g + h + i + j) % 2);
	uw_keep(malloc(n));
	uw_count("many_args", n);
}

NOIPA static void shape_many_args(void)
{
	many_args(uw_seed, 1, 1, 1, 1, 1, 1, 1, 1, 1); /* the sum is even: 113 bytes */
	uw_barrier();
}

/* ---- function pointers, and callbacks called from inside the C library (qsort's merge sort
 * recursion, twalk's tree recursion) ---- */

NOIPA static void cb_leak_a(int k)
{
	uw_keep(malloc((size_t)(110 + k)));
	uw_count("cb_leak_a", (size_t)(110 + k));
}

NOIPA static void cb_leak_b(int k)
{
	uw_keep(malloc((size_t)(120 + k)));
	uw_count("cb_leak_b", (size_t)(120 + k));
}

static void (*volatile callbacks[])(int) = {cb_leak_a, cb_leak_b, cb_leak_a};

NOIPA static void shape_callbacks(void)
{
	for (int i = 0; i < 3; i++)
		callbacks[i](i);
}

static int cmp_calls;

NOIPA static int cmp_leak(const void *a, const void *b)
{
	if (cmp_calls++ % 16 == 0) {
		uw_keep(malloc(111));
		uw_count("cmp_leak", 111);
	}
	void *volatile tmp = malloc(24); /* a temporary one as well */
	free(tmp);
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

NOIPA static int cmp_plain(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

NOIPA static void shape_qsort(void)
{
	int small[64];
	unsigned v = 12345;
	for (int i = 0; i < 64; i++)
		small[i] = (int)((v = v * 1103515245u + 12345u) >> 16);
	qsort(small, 64, sizeof(int), cmp_leak);
	/* 3000 ints: qsort takes its merge buffer from malloc (a stack that starts in libc) */
	int *big = malloc(3000 * sizeof(int));
	for (int i = 0; i < 3000; i++)
		big[i] = (int)((v = v * 1103515245u + 12345u) >> 16);
	qsort(big, 3000, sizeof(int), cmp_plain);
	free(big);
}

static int tree_keys[40];

NOIPA static void walk_leak(const void *node, VISIT which, int depth)
{
	(void)node;
	if (which == leaf || which == endorder) {
		size_t n = (size_t)(140 + depth % 4);
		uw_keep(malloc(n));
		uw_count("walk_leak", n);
	}
}

static void free_nothing(void *p) { (void)p; }

NOIPA static void shape_tree(void)
{
	void *root = NULL;
	for (int i = 0; i < 40; i++) {
		tree_keys[i] = (i * 17) % 40;
		tsearch(&tree_keys[i], &root, cmp_plain); /* libc allocates the nodes */
	}
	twalk(root, walk_leak);
	tdestroy(root, free_nothing); /* frees the nodes, not the keys */
}

/* ---- every allocation function: each enters the recorder through another hook, whose frames
 * (stripped from the stack afterwards) are unwound too ---- */

NOIPA static void shape_family(void)
{
	void *p = NULL;
	uw_keep(calloc(3, 50));
	uw_count("shape_family", 150);
	if (posix_memalign(&p, 64, 160) == 0)
		uw_keep(p);
	uw_count("shape_family", 160);
	uw_keep(aligned_alloc(64, 192));
	uw_count("shape_family", 192);
	uw_keep(memalign(32, 170));
	uw_count("shape_family", 170);
	uw_keep(valloc(180));
	uw_count("shape_family", 180);
	uw_keep(pvalloc(190));
	uw_count("shape_family", 190);
	uw_keep(reallocarray(NULL, 10, 20));
	uw_count("shape_family", 200);
}

/* ---- allocations made by the C library for the caller ---- */

NOIPA static void shape_libc(void)
{
	char *s = strdup("unwind shapes");
	uw_keep(s);
	uw_count("shape_libc", strlen(s) + 1);
	char *t = strndup("abcdefghij", 4);
	uw_keep(t);
	uw_count("shape_libc", 5);
}

/* ---- inlining: helpers without noinline, folded into shape_inline at -O2/-O3 (the stack then
 * has inlined frames at one address) ---- */

static inline void *make_block(size_t n)
{
	char *p = malloc(n);
	p[0] = (char)n;
	return p;
}

static inline void *make_pair(size_t n)
{
	void *a = make_block(n);
	uw_keep(a);
	return make_block(n + 1);
}

NOIPA static void shape_inline(void)
{
	for (int i = 0; i < 4; i++) {
		uw_keep(make_pair(130));
		uw_count("shape_inline", 130);
		uw_count("shape_inline", 131);
	}
}

/* ---- realloc from a deep frame: the new block's stack is captured too ---- */

NOIPA static void shape_realloc(void)
{
	char *p = malloc(10);
	for (size_t n = 200; n <= 1600; n *= 2)
		p = realloc(p, n);
	uw_keep(p);
	uw_count("shape_realloc", 1600);
}

/* Runs every shape once (rec_deep's bottom calls shape_alloca as well). */
NOIPA static void all_shapes(void)
{
	uw_byte = (char)shape_alloca(40 + uw_seed);
	uw_byte = (char)shape_vla(56 + uw_seed);
	shape_big_frame();
	shape_1m_frame();
	shape_huge_frame();
	shape_realign(24 + uw_seed);
	shape_tail();
	shape_noreturn();
	uw_byte = (char)shape_cold(12344 + uw_seed);
	uw_byte = (char)shape_multi_exit(3, "abcd");
	shape_many_args();
	shape_callbacks();
	shape_qsort();
	shape_tree();
	shape_libc();
	shape_family();
	shape_inline();
	shape_realloc();
}

int main(void)
{
	uw_count("ctor_leak", 115);
	atexit(atexit_leak);
	uw_count("atexit_leak", 116);

	rec_deep(250);
	mut_even(121); /* ends in mut_odd(0) */
	mut_even(120); /* ends in mut_even(0) */
	all_shapes();
	uw_print_expect();
	return 0;
}
