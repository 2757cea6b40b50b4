/*
 * pool.c: a bump allocator over a static array (see pool.h).  Each block has a 16-byte header
 * holding its size.
 */
#include "pool.h"

#include <stdatomic.h>
#include <string.h>

_Alignas(16) unsigned char pool_mem[POOL_BYTES];
static _Atomic size_t pool_used;

void *pool_alloc(size_t n)
{
	/* 16-byte header holding the size, then the block. */
	size_t need = ((n + 15) & ~(size_t)15) + 16;
	size_t off = atomic_fetch_add(&pool_used, need);
	if (off + need > sizeof(pool_mem))
		return NULL;
	memcpy(pool_mem + off, &n, sizeof(n));
	return pool_mem + off + 16; /* zeroed: static storage, never reused */
}

size_t pool_size(const void *p)
{
	size_t n;
	memcpy(&n, (const unsigned char *)p - 16, sizeof(n));
	return n;
}
