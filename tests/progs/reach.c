/*
 * reach.c: one block per leak kind, each from its own function and of its own size, for the
 * leak-kind tests (tests/e2e/test_reach.py), which compare leakrec's kinds with valgrind
 * memcheck's (built -O0: nothing is optimized away).  When main returns, two threads are still blocked in pause(): one keeps its block
 * in a local on its stack, the other only in a callee-saved register.
 *
 *   1001 global          reachable (a global)
 *   1002 static_local    reachable (a function's static)
 *   1003 tls             reachable (the main thread's __thread variable)
 *   1004 thread_stack    reachable (the stack of a thread blocked at exit)
 *   1005 thread_reg      reachable (a register of a thread blocked at exit; x86-64 only)
 *   1006 interior        possibly lost (only a pointer 100 bytes into it)
 *   1007 outer           definitely lost, pointing at
 *   1008 inner           indirectly lost
 *   1009 cycle_a         definitely lost (the oldest of a three-block cycle)
 *   1010 cycle_b         indirectly lost
 *   1011 cycle_c         indirectly lost
 *   1012 hidden_xor      definitely lost (the pointer is kept XORed)
 *   1013 forgotten       definitely lost
 *   1014 thread_tls      reachable (the __thread variable of the thread blocked at exit)
 *
 * With the argument "term" the program ends by SIGTERM instead of returning from main.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

void *g_global;
static uintptr_t volatile g_xor;
static char *volatile g_interior;
static __thread void *volatile t_tls;
static __thread void *volatile t_thread_tls;
static pthread_barrier_t ready;

static NOINLINE void *fill(size_t n)
{
	void *p = malloc(n);
	memset(p, 0, n);
	return p;
}

static NOINLINE void global(void) { g_global = fill(1001); }

static NOINLINE void static_local(void)
{
	static void *volatile keep;
	keep = fill(1002);
}

static NOINLINE void tls(void) { t_tls = fill(1003); }

static NOINLINE void interior(void) { g_interior = (char *)fill(1006) + 100; }

static NOINLINE void inner_outer(void)
{
	void **outer = fill(1007);
	outer[3] = fill(1008);
}

static NOINLINE void cycle(void)
{
	void **a = fill(1009);
	void **b = fill(1010);
	void **c = fill(1011);
	a[1] = b;
	b[1] = c;
	c[1] = a;
}

static NOINLINE void hidden_xor(void) { g_xor = (uintptr_t)fill(1012) ^ 0x5a5a5a5a5a5a5a5aull; }

static NOINLINE void forgotten(void) { ((char *)fill(1013))[0] = 1; }

/* Overwrites the dead stack below the caller, where copies of forgotten pointers could be. */
static NOINLINE void scrub(void)
{
	volatile char junk[16384];
	memset((char *)junk, 0, sizeof(junk));
}

static NOINLINE void *thread_stack(void *arg)
{
	(void)arg;
	void *volatile keep = fill(1004);
	t_thread_tls = fill(1014);
	pthread_barrier_wait(&ready);
	for (;;)
		pause();
	return keep;
}

static NOINLINE void *thread_reg(void *arg)
{
	(void)arg;
#if defined(__x86_64__)
	/* The pointer goes to r12 (callee-saved: every function called keeps it) and its stack
	 * copy is overwritten. */
	void *volatile keep = fill(1005);
	__asm__ volatile("mov %0, %%r12" : : "r"(keep) : "r12");
	keep = NULL;
	scrub();
	pthread_barrier_wait(&ready);
	for (;;)
		__asm__ volatile("mov $34, %%eax\n\tsyscall" /* pause */
				 : : : "rax", "rcx", "r11", "memory");
#else
	void *volatile keep = fill(1005);
	pthread_barrier_wait(&ready);
	for (;;)
		pause();
	return keep;
#endif
}

int main(int argc, char **argv)
{
	pthread_t t1, t2;
	pthread_barrier_init(&ready, NULL, 3);
	pthread_create(&t1, NULL, thread_stack, NULL);
	pthread_create(&t2, NULL, thread_reg, NULL);
	global();
	static_local();
	tls();
	interior();
	inner_outer();
	cycle();
	hidden_xor();
	forgotten();
	scrub();
	pthread_barrier_wait(&ready);
	if (argc > 1 && strcmp(argv[1], "term") == 0) {
		/* the end by a signal: the trace is finished by the writer thread */
		kill(getpid(), SIGTERM);
		for (;;)
			pause();
	}
	return 0;
}
