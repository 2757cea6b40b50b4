/*
 * capture: the call stack of a hook's caller, as a stack table id.  The unwinder is chosen once at
 * start-up: the recorder's own walker (unwind.h) with libunwind's unw_backtrace where it declines;
 * libunwind alone where the walker is not available or LEAKREC_UNWIND asks for it; or both,
 * compared, for LEAKREC_UNWIND_CHECK.  The recorder's own frames are dropped, the rest cut to the
 * configured depth and interned in the stack table.
 *
 * The frame buffers and the walker's per-thread state live in the scratch memory of the calling
 * thread's ring (ring.h), whose size capture_init gives the rings: a program thread's own stack
 * may be far too small for a 1024-frame stack.
 */
#ifndef LEAKREC_CAPTURE_H
#define LEAKREC_CAPTURE_H

#include <stdint.h>

#include "ring.h"
#include "unwind.h"

#define CAPTURE_DEFAULT_DEPTH 128
#define CAPTURE_MAX_DEPTH 1024

/* Which unwinder captures stacks. */
enum { CAPTURE_FAST, CAPTURE_LIBUNWIND, CAPTURE_CHECK };

/* Sets up capturing at most `depth` frames (1..CAPTURE_MAX_DEPTH) per stack with the unwinder
 * `mode` asks for (CAPTURE_FAST and CAPTURE_CHECK become CAPTURE_LIBUNWIND where the fast walker is
 * not available), and gives the rings (ring_init) the scratch size the captures need.  Call once,
 * before the first ring is acquired. */
void capture_init(uint32_t depth, int mode);
/* Prepares r's scratch for the calling thread, which has just acquired r: the walks the ring's
 * previous thread left in the walker's cache are forgotten. */
void capture_thread_start(ring *r);
/* The stack of the hook's caller (start: that frame, see UNWIND_CALLER_REGS), captured with r's
 * scratch (r: the calling thread's ring).  Returns its stack id, or 0 when the stack table is out
 * of memory (recording is then stopped: rec_fail). */
uint32_t capture_stack(ring *r, const unwind_regs *start);
/* For LEAKREC_UNWIND_CHECK: says on stderr how many stacks were compared and how many differed.
 * Does nothing in the other modes. */
void capture_report(void);

#endif
