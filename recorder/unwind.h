/*
 * unwind: the recorder's fast stack walker for x86-64.
 *
 * It follows the same unwind information as libunwind (the .eh_frame CFI the compiler emits for
 * every function), but keeps, per instruction address, only the three rules a walk needs (where
 * the frame's CFA is, where the return address and the caller's RBP were saved) in a lock-free
 * table shared by all threads, so that a frame costs a table probe and two loads.  Whatever it
 * does not handle exactly (no CFI, a signal frame, a CFA given by an expression or by another
 * register, a caller's RBP kept anywhere but in the frame) makes it decline the whole stack, and
 * the caller asks libunwind instead: the result is always libunwind's stack.
 */
#ifndef LEAKREC_UNWIND_H
#define LEAKREC_UNWIND_H

#include <stdint.h>

/* A thread's own state of the walker (rule cache, pointer to its walk cache): UNWIND_THREAD_BYTES of
 * zeroed memory that the caller provides (not TLS: static TLS comes out of every thread's stack),
 * used by one thread at a time. */
typedef struct unwind_thread unwind_thread;
#define UNWIND_THREAD_BYTES 8208

/* Maps the rule table.  Returns 0, or -1 when the fast walker is not available here (no memory,
 * not x86-64, or a C library without _dl_find_object); unwind_backtrace then always declines. */
int unwind_init(void);

/* A frame to start walking from: pc is a return address (the walk looks it up at pc - 1), sp the
 * caller's stack pointer after the return (the callee's CFA), bp the caller's RBP. */
typedef struct unwind_regs {
	uint64_t pc, sp, bp;
} unwind_regs;

/* The frame that called the current function, for a function compiled with frame pointers (the
 * recorder is): its CFA is RBP + 16, its return address at RBP + 8, the caller's RBP at RBP. */
#define UNWIND_CALLER_REGS()                                                                           \
	((unwind_regs){(uint64_t)(uintptr_t)__builtin_return_address(0),                               \
		   (uint64_t)(uintptr_t)__builtin_frame_address(0) + 16,                           \
		   *(const uint64_t *)__builtin_frame_address(0)})

/* What unwind_backtrace knows of the stack it returned: frames ips[from..n) are the whole rest of a
 * walk, whose call sites (each ip - 1) hash to `hash` under stacktab_hash_fold; from == -1 when
 * nothing is known. */
typedef struct unwind_suffix {
	int from;
	uint64_t hash;
} unwind_suffix;

/* Fills ips[0..max) with the return addresses of the calling thread's stack (th: its state),
 * innermost first, from frame `start` on (see UNWIND_CALLER_REGS).  `epoch` is the module epoch
 * (see modmap.h): rules learnt under another epoch are not used.  Returns the number of frames and
 * fills *sfx, or returns -1 when it declines (the caller falls back to libunwind).
 * Async-signal-safe, no malloc, no lock. */
int unwind_backtrace(unwind_thread *th, const unwind_regs *start, void **ips, int max, uint64_t epoch,
		 unwind_suffix *sfx);

/* Releases th's cache of recent walks: call before th's memory serves another thread (the cache
 * holds addresses on its old owner's stack). */
void unwind_thread_reset(unwind_thread *th);

#endif
