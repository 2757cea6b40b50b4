/*
 * unwind_common.h: helpers shared by the programs of the fast unwinder's tests
 * (tests/progs/unwind_*.c, tests/e2e/test_unwind.py).
 *
 * Each program leaks known bytes from known functions and prints the truth at the end, one line
 * per function: "expect FUNCTION ALLOCATIONS BYTES".  The test attributes every leaked stack to
 * its innermost frame whose function is one of the printed names and checks the totals exactly,
 * so a leak must be counted (uw_count) under the name of a function that really has a frame (or
 * an inlined frame) in the stack of that allocation.
 *
 * Size convention: an allocation whose stack goes through a frame that the fast unwinder may
 * legitimately hand over to libunwind (a signal frame, a CFA given by an expression or by an
 * unusual register, code without CFI, a frame larger than its rule table can describe) has a
 * requested size in [UW_DECLINE_MIN, UW_DECLINE_MAX] (see UW_DECLINE), and no other allocation of
 * these programs has such a size.  The test counts those allocations in the trace and requires
 * that the fast unwinder declined at most that many stacks.  (The range stays below 1032 bytes,
 * so that glibc serves these sizes from its per-thread cache, without a lock, inside handlers.)
 */
#ifndef UNWIND_COMMON_H
#define UNWIND_COMMON_H

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define UW_DECLINE_MIN 1000
#define UW_DECLINE_MAX 1023
#define UW_DECLINE(k) ((size_t)(UW_DECLINE_MIN + (k)))

/* A function that keeps its own frame: not inlined, not cloned, not merged. */
#define NOIPA __attribute__((noipa))

/* The compiler must assume memory changed here: no code moves across, and a call just before
 * it is never a tail call. */
#define uw_barrier() __asm__ __volatile__("" ::: "memory")

/* Leaked blocks are stored here so that no allocation can be optimised away. */
static void *volatile uw_sink[4096];
static unsigned uw_nsink;
static pthread_mutex_t uw_lock = PTHREAD_MUTEX_INITIALIZER;

struct uw_expect {
	const char *fn;
	long allocs, bytes;
};
static struct uw_expect uw_expects[64];
static int uw_nexpect;

/* Keeps p (a leaked block) reachable from a volatile sink. */
static inline void uw_keep(void *p)
{
	pthread_mutex_lock(&uw_lock);
	uw_sink[uw_nsink++ % 4096] = p;
	pthread_mutex_unlock(&uw_lock);
}

/* Counts one leaked block of `size` bytes under function name fn (no allocation). */
static inline void uw_count(const char *fn, size_t size)
{
	pthread_mutex_lock(&uw_lock);
	int i = 0;
	while (i < uw_nexpect && strcmp(uw_expects[i].fn, fn) != 0)
		i++;
	if (i == uw_nexpect && uw_nexpect < 64) {
		uw_expects[i].fn = fn;
		uw_nexpect++;
	}
	if (i < 64) {
		uw_expects[i].allocs++;
		uw_expects[i].bytes += (long)size;
	}
	pthread_mutex_unlock(&uw_lock);
}

/* Prints the "expect FUNCTION ALLOCATIONS BYTES" lines, sorted by name (threads count in any
 * order, the output must not depend on it). */
static inline void uw_print_expect(void)
{
	for (int i = 1; i < uw_nexpect; i++)
		for (int j = i; j > 0 && strcmp(uw_expects[j - 1].fn, uw_expects[j].fn) > 0; j--) {
			struct uw_expect t = uw_expects[j];
			uw_expects[j] = uw_expects[j - 1];
			uw_expects[j - 1] = t;
		}
	for (int i = 0; i < uw_nexpect; i++)
		printf("expect %s %ld %ld\n", uw_expects[i].fn, uw_expects[i].allocs,
		       uw_expects[i].bytes);
}

#endif
