/*
 * pool: the bootstrap pool.  dlsym, which finds the real allocator, itself calls calloc; until the
 * real functions are known (real.h), the hooks serve requests from this small static pool, and
 * free() recognises its blocks and ignores them.  Blocks are never reused.
 *
 * Inline, as the hooks were written with it: the check in free() is two compares.  Each block
 * has a 16-byte header holding its size.
 */
#ifndef LEAKREC_POOL_H
#define LEAKREC_POOL_H

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#define POOL_BYTES (64 * 1024)

extern unsigned char pool_mem[POOL_BYTES] __attribute__((visibility("hidden")));
extern _Atomic size_t pool_used __attribute__((visibility("hidden")));

/* 1 when p is a block of the pool (or points into one). */
static inline int pool_has(const void *p)
{
	return (const unsigned char *)p >= pool_mem && (const unsigned char *)p < pool_mem + POOL_BYTES;
}

/* A zeroed 16-byte aligned block of n bytes, or NULL when the pool is used up.  Lock-free; the
 * block stays the pool's (free() of it does nothing). */
static inline void *pool_alloc(size_t n)
{
	size_t need = ((n + 15) & ~(size_t)15) + 16;
	size_t off = atomic_fetch_add(&pool_used, need);
	if (off + need > sizeof(pool_mem))
		return NULL;
	memcpy(pool_mem + off, &n, sizeof(n));
	return pool_mem + off + 16; /* zeroed: static storage, never reused */
}

/* The size that pool block p was asked for. */
static inline size_t pool_size(const void *p)
{
	size_t n;
	memcpy(&n, (const unsigned char *)p - 16, sizeof(n));
	return n;
}

#endif
