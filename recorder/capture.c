/*
 * capture.c: stack capture (see capture.h).
 *
 * A ring's scratch holds four frame arrays of SCRATCH_PART words: the unwinder's return addresses
 * and the kept call sites, then the same two for the fast walker when LEAKREC_UNWIND_CHECK
 * compares it with libunwind; after them the walker's per-thread state (UNWIND_THREAD_BYTES).
 */
#include "capture.h"

#define UNW_LOCAL_ONLY /* the fast local-only unwinder, in libunwind.so */
#include <libunwind.h>
#include <stdatomic.h>
#include <string.h>

#include "modmap.h"
#include "prim.h"
#include "rec.h"
#include "stacktab.h"

#define SELF_FRAMES 8 /* extra frames asked of libunwind to cover the recorder's own */
#define SCRATCH_PART (CAPTURE_MAX_DEPTH + SELF_FRAMES) /* words per array in a ring's scratch */
#define SCRATCH_WORDS (4 * SCRATCH_PART + (UNWIND_THREAD_BYTES + 7) / 8)
#define SCRATCH_UW(r) ((unwind_thread *)(void *)((r)->scratch + 4 * SCRATCH_PART))

static int unwinder = CAPTURE_FAST;
static uint32_t depth = CAPTURE_DEFAULT_DEPTH;
static _Atomic uint64_t check_stacks, check_differ, check_declined;

void capture_init(uint32_t max_depth, int mode)
{
	depth = max_depth;
	unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
	unwinder = mode;
	if (mode == CAPTURE_LIBUNWIND || unwind_init() != 0)
		unwinder = CAPTURE_LIBUNWIND;
	ring_init(SCRATCH_WORDS * sizeof(uint64_t));
}

void capture_thread_start(ring *r) { unwind_thread_reset(SCRATCH_UW(r)); }

/* ips[0..n) (of a walk asked for at most max frames) without the recorder's own frames, as call
 * sites, at most `depth` of them; when the depth limit cut the stack, a last frame 0 marks it
 * (no call site is 0: see docs/trace-format.md). */
static uint32_t keep_frames(void **ips, int n, int max, uint64_t *frames)
{
	int i = 0;
	while (i < n && modmap_is_self((uint64_t)(uintptr_t)ips[i]))
		i++;
	uint32_t m = 0;
	for (; i < n && m < depth; i++)
		frames[m++] = (uint64_t)(uintptr_t)ips[i] - 1; /* return address -> call site */
	if (m == depth && (i < n || n >= max))
		frames[m++] = 0;
	return m;
}

/* LEAKREC_UNWIND_CHECK: both unwinders, libunwind's stack kept; the first difference is shown. */
static uint32_t check_unwinders(ring *r, const unwind_regs *start, void **ips, int n,
				uint64_t *frames, uint64_t epoch)
{
	void **fast_ips = (void **)(r->scratch + 2 * SCRATCH_PART);
	uint64_t *fast = r->scratch + 3 * SCRATCH_PART;
	unwind_suffix sfx;
	int fn = unwind_backtrace(SCRATCH_UW(r), start, fast_ips, (int)depth + SELF_FRAMES, epoch, &sfx);
	uint32_t m = keep_frames(ips, n, (int)depth + SELF_FRAMES, frames);
	atomic_fetch_add_explicit(&check_stacks, 1, memory_order_relaxed);
	if (fn < 0) {
		atomic_fetch_add_explicit(&check_declined, 1, memory_order_relaxed);
		return m;
	}
	uint32_t fm = keep_frames(fast_ips, fn, (int)depth + SELF_FRAMES, fast);
	if (fm == m && memcmp(fast, frames, m * sizeof(*frames)) == 0)
		return m;
	if (atomic_fetch_add_explicit(&check_differ, 1, memory_order_relaxed) == 0) {
		char a[24], b[24], c[24];
		uint32_t i = 0;
		while (i < m && i < fm && fast[i] == frames[i])
			i++;
		prim_log("unwind check: first difference at frame ", prim_utoa(i, a), " of ",
			 prim_utoa(m, b), " (libunwind) / ", prim_utoa(fm, c), " (fast)", NULL);
		for (uint32_t k = i; k < i + 3 && (k < m || k < fm); k++) {
			char x[24], y[24];
			prim_log("  libunwind ", k < m ? prim_utoa(frames[k], x) : "-", "  fast ",
				 k < fm ? prim_utoa(fast[k], y) : "-", NULL);
		}
	}
	return m;
}

uint32_t capture_stack(ring *r, const unwind_regs *start)
{
	/* In the thread's ring, not on its stack: that may be only a few KiB. */
	void **ips = (void **)r->scratch;
	uint64_t *frames = r->scratch + SCRATCH_PART;
	uint64_t epoch = modmap_epoch();
	int max = (int)depth + SELF_FRAMES;
	unwind_suffix sfx;
	int n = unwinder == CAPTURE_FAST ? unwind_backtrace(SCRATCH_UW(r), start, ips, max, epoch, &sfx) : -1;
	if (n < 0) {
		n = unw_backtrace(ips, max);
		sfx.from = -1;
	}
	uint32_t m = unwinder == CAPTURE_CHECK ? check_unwinders(r, start, ips, n, frames, epoch)
					   : keep_frames(ips, n, max, frames);
	uint32_t id;
	if (sfx.from >= 0 && m == (uint32_t)n && m > 0 && frames[m - 1] != 0) {
		/* Every frame kept (no recorder frame, no depth cut, so no end marker): the walker
		 * knows the hash of the outer part; only the inner frames are folded in. */
		uint64_t h = sfx.hash;
		for (int i = sfx.from; i-- > 0;)
			h = stacktab_hash_fold(h, frames[i]);
		id = stacktab_intern_hashed(frames, m, epoch, stacktab_hash_final(h, m, epoch));
	} else {
		id = stacktab_intern(frames, m, epoch);
	}
	if (!id)
		rec_fail("cannot map memory for the stack table");
	return id;
}

void capture_report(void)
{
	if (unwinder != CAPTURE_CHECK)
		return;
	char a[24], b[24], c[24];
	prim_log("unwind check: ", prim_utoa(atomic_load(&check_stacks), a), " stacks compared, ",
		 prim_utoa(atomic_load(&check_differ), b), " differ, ",
		 prim_utoa(atomic_load(&check_declined), c), " by libunwind", NULL);
}
