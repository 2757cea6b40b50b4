/*
 * prim: the recorder's only contact with the operating system (after mimalloc's prim.h).
 *
 * Everything here is safe to call from inside a malloc hook: no malloc, no stdio, no locks.
 * Memory comes from mmap; logging formats into a stack buffer and calls write(2) directly.
 */
#ifndef LEAKREC_PRIM_H
#define LEAKREC_PRIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Monotonic nanoseconds (CLOCK_MONOTONIC: one clock for every CPU). */
uint64_t prim_now_ns(void);
/* Wall clock nanoseconds since the Unix epoch. */
uint64_t prim_realtime_ns(void);
pid_t prim_gettid(void);

/* Anonymous private mapping of n bytes (zeroed), or NULL.  Release with prim_unmap. */
void *prim_map(size_t n);
void prim_unmap(void *p, size_t n);
/* The recorder's own mappings (prim_map's): slot i < prim_map_slots() returns 1 with its range
 * [*lo, *hi) while it is mapped, else 0.  Lock-free; a slot may change while it is read. */
size_t prim_map_slots(void);
int prim_map_at(size_t i, uint64_t *lo, uint64_t *hi);
/* Grows the mapping of old_n bytes at p (NULL when old_n is 0) to a new zeroed mapping of new_n
 * bytes that starts with the old bytes, and unmaps p.  Returns the new mapping, or NULL (p is then
 * left as it was). */
void *prim_grow(void *p, size_t old_n, size_t new_n);

/* Writes all n bytes to fd, retrying on EINTR and short writes.  Returns 0 or -errno. */
int prim_write_all(int fd, const void *p, size_t n);
/* The same on a connected socket, without SIGPIPE when the peer has gone (EPIPE instead). */
int prim_send_all(int fd, const void *p, size_t n);

/* Writes "leakrec: " + the strings (NULL-terminated list) + "\n" to stderr in one write. */
void prim_log(const char *first, ...);
/* Formats v in decimal into buf (at least 21 bytes); returns buf. */
char *prim_utoa(uint64_t v, char *buf);

/* Futex wait on *addr while it equals val, at most timeout_ns (0: forever).  Futex wake n. */
void prim_futex_wait(uint32_t *addr, uint32_t val, uint64_t timeout_ns);
void prim_futex_wake(uint32_t *addr, int n);

/* Process-wide memory barrier: when it returns, every thread of the process has passed a full
 * barrier (membarrier(2), private expedited).  prim_membarrier_init registers once; both return
 * 0 or -errno (then the caller does without). */
int prim_membarrier_init(void);
int prim_membarrier(void);

/* 1 when thread tid of this process still exists. */
int prim_thread_alive(pid_t tid);

/* Lock-free bump allocator on mmap'd chunks, for memory the recorder keeps until exit (stack
 * table nodes, module records).  Returns 8-byte aligned zeroed memory, or NULL. */
void *prim_arena_alloc(size_t n);
/* Bytes obtained from the system by the arena so far. */
size_t prim_arena_bytes(void);

#endif
