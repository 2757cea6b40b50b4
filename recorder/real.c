/*
 * real.c: looking up the real functions (see real.h).
 */
#include "real.h"

#include <dlfcn.h>
#include <sched.h>

real_table real;
_Atomic int real_state;

void real_resolve(void)
{
	int expect = REAL_UNINIT;
	if (!atomic_compare_exchange_strong(&real_state, &expect, REAL_RESOLVING)) {
		while (atomic_load(&real_state) != REAL_READY)
			sched_yield(); /* another thread resolves; its dlsym calls use the pool */
		return;
	}
#define R(name) real.name = (__typeof__(real.name))dlsym(RTLD_NEXT, #name)
	R(malloc);
	R(free);
	R(calloc);
	R(realloc);
	R(posix_memalign);
	R(aligned_alloc);
	R(memalign);
	R(valloc);
	R(pvalloc);
	R(malloc_usable_size);
	R(dlopen);
	R(dlclose);
#undef R
	atomic_store(&real_state, REAL_READY);
}
