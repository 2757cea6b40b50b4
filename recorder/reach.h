/*
 * reach: the leak kinds of the blocks still live when the program ends, by a conservative scan as
 * valgrind's memcheck and LeakSanitizer do it (docs/leakrec.md, "Leak kinds").
 *
 * Roots are the writable PT_LOAD segments of every loaded module but the recorder itself (.data,
 * .bss, relro), every program thread's registers, its stack from its stack pointer (less the
 * 128-byte red zone) to the end of the mapping that holds it, and its static TLS block.  Any
 * aligned 8-byte word that points into a live block references it: a block whose start some
 * scanned memory points at is reachable, one reached only through interior pointers is possibly
 * lost, the rest are lost.  Among the lost blocks, those in a group that no other lost block
 * points into (a strongly connected component without incoming edges) give one definitely lost
 * block, the group's oldest; every other lost block is indirectly lost.
 *
 * The scan runs in a helper process that shares the program's memory (clone with CLONE_VM, as
 * LeakSanitizer's tracer does): it stops every other program thread with ptrace (PTRACE_SEIZE +
 * PTRACE_INTERRUPT, so that no system call of theirs sees EINTR), reads their registers, scans,
 * and lets them go.  A fault in the scan ends the helper, never the program; a helper that does
 * not finish in time is killed.  Nothing here calls malloc: memory comes from mmap.
 */
#ifndef LEAKREC_REACH_H
#define LEAKREC_REACH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One live block: filled by the caller, `kind` set by reach_scan (TF_REACH_*). */
typedef struct reach_block {
	uint64_t ptr, size, id;
	uint32_t kind;
	uint32_t pad;
} reach_block;

/* What a scan did. */
typedef struct reach_result {
	int scanned;           /* 1: every block's kind is set */
	char note[192];        /* why there was no scan, or what it could not see; "" when none */
	uint64_t scan_ns;      /* from the call to its return */
	uint64_t root_bytes;   /* root memory scanned (segments, stacks, TLS, registers) */
	uint64_t heap_bytes;   /* heap block bytes scanned */
	uint32_t threads;      /* program threads found (the calling one included) */
	uint32_t threads_stopped; /* other threads stopped and scanned */
} reach_result;

/* Looks up what the scan needs from the C library (the size of the static TLS area).  Call once
 * at start-up, outside the hook path. */
void reach_init(void);

/* Classifies blocks[0..n) (owned by the caller; any order, sorted by id on return) and fills
 * *res.  self_sp: the lowest address of the calling thread's stack that holds program frames (the
 * callers of the recorder's exit path), or 0 when the calling thread is the recorder's own;
 * skip_tid: a recorder thread neither stopped nor scanned, or 0.  Must not run while another
 * thread of the process is inside the dynamic loader's lock (it calls dl_iterate_phdr first).
 * Returns 0 (res says whether a scan happened and why not). */
int reach_scan(reach_block *blocks, size_t n, uintptr_t self_sp, pid_t skip_tid,
	       reach_result *res);

#endif
