/*
 * real: the C library's own malloc family and dlopen/dlclose, which the hooks call after (or
 * instead of) recording.  They are found with dlsym(RTLD_NEXT) at the first call of any hook
 * (dlsym(RTLD_DEFAULT) when the library was loaded into a running process: real_set_attached).
 * dlsym itself allocates: while it runs, real_ready() answers 0 and the hooks serve those
 * requests from the bootstrap pool (pool.h) instead.
 */
#ifndef LEAKREC_REAL_H
#define LEAKREC_REAL_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct real_table {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*malloc_usable_size)(void *);
	void *(*dlopen)(const char *, int);
	int (*dlclose)(void *);
} real_table;

/* The real functions: valid once real_ready() has returned 1. */
extern real_table real __attribute__((visibility("hidden")));

enum { REAL_UNINIT, REAL_RESOLVING, REAL_READY };
extern _Atomic int real_state __attribute__((visibility("hidden")));

/* Looks the real functions up (once; a second caller waits for the first). */
void real_resolve(void);

/* The library was loaded into a running process (leakrec -p): the next definitions are the
 * global scope's.  Call before the first real_resolve. */
void real_set_attached(void);
/* 0 when the real malloc, free, calloc and realloc are functions of another library (not this
 * one's, not a PLT entry that could lead back to it), else -1. */
int real_check(void);
/* The next definition of the function `name` after this library's own (dlsym; NULL if none). */
void *real_next(const char *name);

/* 1 when the real functions can be called (looking them up first if nobody has), 0 while dlsym
 * is looking them up (maybe on this very thread: then use the pool). */
static inline int real_ready(void)
{
	if (__builtin_expect(atomic_load_explicit(&real_state, memory_order_acquire) == REAL_READY, 1))
		return 1;
	if (atomic_load(&real_state) == REAL_RESOLVING)
		return 0; /* dlsym is running (maybe on this thread): use the pool */
	real_resolve();
	return 1;
}

#endif
