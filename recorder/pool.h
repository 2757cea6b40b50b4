/*
 * pool: the bootstrap pool.  dlsym, which finds the real allocator, itself calls calloc; until the
 * real functions are known (real.h), the hooks serve requests from this small static pool, and
 * free() recognises its blocks and ignores them.  Blocks are never reused.
 */
#ifndef LEAKREC_POOL_H
#define LEAKREC_POOL_H

#include <stddef.h>

#define POOL_BYTES (64 * 1024)

extern unsigned char pool_mem[POOL_BYTES] __attribute__((visibility("hidden")));

/* 1 when p is a block of the pool (or points into one). */
static inline int pool_has(const void *p)
{
	return (const unsigned char *)p >= pool_mem && (const unsigned char *)p < pool_mem + POOL_BYTES;
}

/* A zeroed 16-byte aligned block of n bytes, or NULL when the pool is used up.  Lock-free; the
 * block stays the pool's (free() of it does nothing). */
void *pool_alloc(size_t n);
/* The size that pool block p was asked for. */
size_t pool_size(const void *p);

#endif
