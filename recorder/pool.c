/*
 * pool.c: the bootstrap pool's memory (see pool.h).
 */
#include "pool.h"

_Alignas(16) unsigned char pool_mem[POOL_BYTES];
_Atomic size_t pool_used;
