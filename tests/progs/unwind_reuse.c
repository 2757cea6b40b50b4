/*
 * unwind_reuse.c: stacks that come back to the same addresses with other contents, for the fast
 * unwinder's tests (tests/e2e/test_unwind.py).  An unwinder that remembers what it found at a
 * stack address (per-thread walk caches, rule caches keyed by address) must notice when the
 * frames there now belong to another call chain.
 *   - via_a and via_b have the same code, so the common chain below them sits at the same stack
 *     addresses with the same instruction addresses; only the return address into via_a or via_b
 *     differs, several frames up.  They alternate for 300 rounds, each round leaking one block
 *     at the bottom of the chain: a stale outer part would put via_a's blocks under via_b.
 *   - the same with the choice made one level higher (pick_a / pick_b call the same via_c).
 *   - two stacks that differ only in one frame pointer (same_sp, see there).
 *   - two coroutines (makecontext/swapcontext) run one after the other on the same malloc'ed
 *     64 KiB stack, with different call chains, switching back to main between allocations.  A
 *     coroutine's outermost frame returns to the first byte of glibc's __start_context, which no
 *     FDE covers at that address minus one: these allocations have "may decline" sizes.
 * Built -O2 -fomit-frame-pointer (unwind_reuse) and -O0 with frame pointers (unwind_reuse_O0) by
 * tests/unwind.mk.  Leaks known bytes per function (printed as "expect" lines); deterministic,
 * exits 0.
 */
#define _GNU_SOURCE
#include <alloca.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "unwind_common.h"

#define ROUNDS 300

static volatile char uw_byte;

/* ---- one chain, two callers ---- */

NOIPA static void chain_leaf(size_t n)
{
	uw_keep(malloc(n));
	uw_barrier();
}

NOIPA static int chain(int depth, size_t n)
{
	if (depth == 0) {
		chain_leaf(n);
		return 0;
	}
	int r = chain(depth - 1, n);
	uw_barrier();
	return r + 1;
}

NOIPA static void via_a(size_t n)
{
	chain(12, n);
	uw_barrier();
}

NOIPA static void via_b(size_t n)
{
	chain(12, n);
	uw_barrier();
}

NOIPA static void via_c(size_t n)
{
	chain(6, n);
	uw_barrier();
}

NOIPA static void pick_a(size_t n)
{
	via_c(n);
	uw_barrier();
}

NOIPA static void pick_b(size_t n)
{
	via_c(n);
	uw_barrier();
}

static void (*volatile vias[2])(size_t) = {via_a, via_b};
static void (*volatile picks[2])(size_t) = {pick_a, pick_b};

NOIPA static void alternate(void)
{
	for (int i = 0; i < ROUNDS; i++) {
		size_t n = (size_t)(800 + i % 2);
		vias[i % 2](n);
		uw_count(i % 2 ? "via_b" : "via_a", n);
		size_t m = (size_t)(810 + i % 2);
		picks[i % 2](m);
		uw_count(i % 2 ? "pick_b" : "pick_a", m);
	}
}

/* ---- the same stack pointer and instruction address, another frame pointer ----
 *
 * sp_frame has an alloca frame (its CFA is RBP + 16) and sizes its alloca so that the stack
 * pointer reaches the same target address whether it was called straight from the loop or
 * through sp_wrap (which has a frame pointer of its own), both from one call site through a
 * function pointer.  So sp_chain and sp_leaf run at the same stack addresses, return to the same
 * addresses, and the words above are the same return addresses and saved RBPs, except sp_frame's
 * RBP: only it tells the two stacks apart (kept in RBP through the chain in the -O2 build, saved
 * by the chain's outermost frame in the -O0 one).  The direct calls' blocks are freed, sp_wrap's
 * leak. */

static uintptr_t target_sp;

NOIPA static void *sp_leaf(const char *p)
{
	long a = p[0] * 3L, b = p[1] * 5L, c = p[2] * 7L, d = p[3] * 11L;
	long e = p[4] * 13L, f = p[5] * 17L, g = p[6] * 19L, h = p[7] * 23L;
	void *r = malloc(840);
	uw_barrier();
	uw_byte = (char)((a ^ b) + (c ^ d) * (e ^ f) - (g ^ h) + a * h);
	return r;
}

/* Twelve frames between sp_frame and sp_leaf: a walk that finds the outer part of its stack in
 * a cache after fewer frames may not cache its own, and the stacks must be cached to be reused. */
NOIPA static void *sp_chain(const char *p, int depth)
{
	if (depth == 0)
		return sp_leaf(p);
	void *r = sp_chain(p, depth - 1);
	uw_barrier();
	return r;
}

NOIPA static void *sp_frame(int keep)
{
	uintptr_t top = (uintptr_t)alloca(16);
	size_t k = (size_t)((top - target_sp) & ~(uintptr_t)15);
	char *pad = alloca(k);
	memset(pad, 9, 64);
	void *r = sp_chain(pad, 12);
	uw_barrier();
	uw_byte = pad[keep];
	return r;
}

__attribute__((optimize("no-omit-frame-pointer"))) NOIPA static void *sp_wrap(int keep)
{
	char buf[96];
	memset(buf, keep, sizeof(buf));
	void *r = sp_frame(keep);
	uw_barrier();
	uw_byte = buf[keep];
	return r;
}

static void *(*volatile sp_entries[2])(int) = {sp_frame, sp_wrap};

NOIPA static void same_sp_run(void)
{
	for (int i = 0; i < 60; i++) {
		void *p = sp_entries[i % 2](1); /* one call site for both */
		if (i % 2) {
			uw_keep(p);
			uw_count("sp_wrap", 840);
		} else {
			free(p);
		}
	}
}

NOIPA static void same_sp_deeper(void)
{
	same_sp_run(); /* one frame more: the walks are indexed at the other frames */
	uw_barrier();
}

NOIPA static void same_sp(void)
{
	char *here = alloca(16);
	target_sp = ((uintptr_t)here - 16384) & ~(uintptr_t)15;
	same_sp_run();
	same_sp_deeper();
}

/* ---- coroutines on one reused stack ---- */

static ucontext_t main_ctx, co_ctx;

NOIPA static void co_one_leak(int k)
{
	uw_keep(malloc(UW_DECLINE(17 + k)));
	uw_count("co_one_leak", UW_DECLINE(17 + k));
	swapcontext(&co_ctx, &main_ctx); /* back to main between allocations */
}

NOIPA static void co_one_mid(int k)
{
	char pad[200];
	memset(pad, k, sizeof(pad));
	co_one_leak(k);
	uw_barrier();
	co_one_leak(k + 1);
	__asm__ __volatile__("" : : "r"(pad) : "memory");
}

static void co_one(void)
{
	for (int k = 0; k < 3; k++)
		co_one_mid(k);
}

NOIPA static void co_two_leak(int k)
{
	uw_keep(malloc(UW_DECLINE(21 + k)));
	uw_count("co_two_leak", UW_DECLINE(21 + k));
	swapcontext(&co_ctx, &main_ctx);
}

NOIPA static void co_two_deeper(int k, int depth)
{
	if (depth == 0) {
		co_two_leak(k);
		return;
	}
	co_two_deeper(k, depth - 1);
	uw_barrier();
}

static void co_two(void)
{
	for (int k = 0; k < 3; k++)
		co_two_deeper(k, k + 2);
}

NOIPA static void run_coroutine(void *stack, size_t size, void (*fn)(void), int switches)
{
	getcontext(&co_ctx);
	co_ctx.uc_stack.ss_sp = stack;
	co_ctx.uc_stack.ss_size = size;
	co_ctx.uc_link = &main_ctx;
	makecontext(&co_ctx, fn, 0);
	for (int i = 0; i < switches; i++)
		swapcontext(&main_ctx, &co_ctx);
}

NOIPA static void coroutines(void)
{
	size_t size = 64 * 1024;
	char *stack = malloc(size);
	run_coroutine(stack, size, co_one, 6 + 1); /* six allocations, then the end */
	memset(stack, 0, size);
	run_coroutine(stack, size, co_two, 3 + 1); /* the same stack, another chain */
	free(stack);
}

int main(void)
{
	alternate();
	same_sp();
	coroutines();
	uw_print_expect();
	return 0;
}
