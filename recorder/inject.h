/*
 * inject: calling a function inside another running process (leakrec -p), with ptrace.  One
 * thread of the target is stopped (PTRACE_SEIZE + PTRACE_INTERRUPT); only a thread whose whole
 * call stack (walked with libunwind-ptrace) is outside the C library's allocator, the dynamic
 * loader, the recorder library and the few C library functions that hold a lock the injected code
 * may take (fork, pthread_create, atexit, dl*) is kept, else it is resumed and another one (or the
 * same one a little later) is tried.  The other threads are never stopped: whatever lock they
 * hold, they go on and release it, so the injected call cannot wait on a stopped thread.
 *
 * A call runs on the kept thread's stack, below its red zone, with a return address of 0: its
 * return faults, the fault stops the thread for the tracer, and the thread's registers are put
 * back.  A system call the thread was in is restarted as if nothing had happened (the kernel's
 * restart rules see the original registers again); signals that arrive meanwhile are held and
 * delivered at the detach.  x86-64 only.
 */
#ifndef LEAKREC_INJECT_H
#define LEAKREC_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct inject inject;

enum {
	INJECT_EPERM = -1,   /* ptrace refused */
	INJECT_ESRCH = -2,   /* the process (or every thread tried) is gone */
	INJECT_EBUSY = -3,   /* no thread was outside the allocator long enough (timeout) */
	INJECT_ECRASH = -4,  /* the injected call faulted */
	INJECT_ETIME = -5,   /* the injected call did not return in time */
	INJECT_EARCH = -6,   /* not supported on this architecture */
	INJECT_ENOMEM = -7,
	INJECT_ESYS = -8,    /* another ptrace or memory access failure (errno kept in the handle) */
	INJECT_ENOSYM = -9,  /* a module or symbol of the target was not found */
};

/* Stops one thread of process pid outside the allocator (see above), trying for at most
 * timeout_ms.  On success returns 0 and *out (owned by the caller: inject_free).  Errors are
 * INJECT_*; errno is kept for INJECT_EPERM/INJECT_ESYS. */
int inject_create(pid_t pid, unsigned timeout_ms, inject **out);
/* The thread that was kept. */
pid_t inject_tid(const inject *in);
/* Copies n bytes into the kept thread's scratch area (below its stack pointer, kept across calls);
 * *addr receives their address in the target.  Returns 0 or INJECT_*. */
int inject_push(inject *in, const void *data, size_t n, uint64_t *addr);
/* Calls fn(args[0], ..., args[nargs-1]) (nargs <= 6, integer or pointer arguments) on the kept
 * thread and waits at most timeout_ms for its return value (*ret).  Returns 0 or INJECT_*. */
int inject_call(inject *in, uint64_t fn, const uint64_t *args, int nargs, unsigned timeout_ms,
		uint64_t *ret);
/* Puts the kept thread's registers back and lets it run on (held signals delivered); frees in.
 * NULL is ignored. */
void inject_free(inject *in);
/* The address of symbol sym (.dynsym, a function or object) in the target's loaded module whose
 * file name starts with `module` (e.g. "libc.so"), or whose path is `module` when it starts with
 * '/': 0 when not loaded or not defined there.  A file deleted since it was mapped is not one. */
uint64_t inject_symbol(pid_t pid, const char *module, const char *sym);
/* A message for an INJECT_* code (errno is appended by the caller where it applies). */
const char *inject_strerror(int code);

#endif
