/*
 * real.c: looking up the real functions (see real.h).
 */
#include "real.h"

#include <dlfcn.h>
#include <link.h>
#include <sched.h>
#include <string.h>

#include "modmap.h"

real_table real;
_Atomic int real_state;

/* Where the next definitions are looked up: RTLD_NEXT when preloaded (the objects after this
 * one); the global scope when attached (this library was loaded after them all, so nothing
 * comes next, and the program's own symbols are the global scope's). */
static void *next_scope = RTLD_NEXT;

void real_set_attached(void) { next_scope = RTLD_DEFAULT; }

/* 1 when the code at p is a PLT entry (an indirect jump through a GOT slot) rather than a
 * function: jmp *x(%rip), possibly after endbr64 and with a bnd prefix. */
static int is_plt_entry(const unsigned char *p)
{
#if defined(__x86_64__)
	if (p[0] == 0xf3 && p[1] == 0x0f && p[2] == 0x1e && p[3] == 0xfa)
		p += 4;
	if (p[0] == 0xf2)
		p++;
	return p[0] == 0xff && p[1] == 0x25;
#else
	(void)p;
	return 0;
#endif
}

/* 1 when p is the address of a function (not a PLT entry standing for one: dladdr names a
 * non-PIE executable's canonical PLT entries after the functions they stand for).  The name is
 * not compared: dladdr may answer with an alias (cfree for free). */
static int defines(void *p)
{
	Dl_info di;
	return p && dladdr(p, &di) && di.dli_saddr == p && !is_plt_entry(p);
}

#define REAL_MAX_OBJECTS 512
static char object_names[REAL_MAX_OBJECTS][256];

static int object_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	size_t *n = arg;
	const char *name = info->dlpi_name;
	if (name && name[0] == '/' && *n < REAL_MAX_OBJECTS && strlen(name) < sizeof(object_names[0]))
		memcpy(object_names[(*n)++], name, strlen(name) + 1);
	return 0;
}

/* Attached: the global scope's definition of name.  dlsym(RTLD_DEFAULT) answers with the
 * executable's PLT entry when a non-PIE executable takes the function's address (the canonical
 * address, which jumps through the executable's GOT slot: patched, the recorder's own hook); the
 * definition is then the first loaded object's that defines it, in load order (the global scope's
 * order: a preloaded allocator before the C library). */
static void *global_definition(const char *name)
{
	void *p = dlsym(RTLD_DEFAULT, name);
	if (!p || defines(p))
		return p;
	size_t n = 0;
	dl_iterate_phdr(object_cb, &n);
	for (size_t i = 0; i < n; i++) {
		void *h = dlopen(object_names[i], RTLD_LAZY | RTLD_NOLOAD);
		void *q = h ? dlsym(h, name) : NULL;
		if (h)
			dlclose(h);
		if (q && defines(q) && !modmap_is_self((uint64_t)(uintptr_t)q))
			return q;
	}
	return p;
}

int real_check(void)
{
	void *f[] = {(void *)real.malloc, (void *)real.free, (void *)real.calloc, (void *)real.realloc};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!f[i] || modmap_is_self((uint64_t)(uintptr_t)f[i]) || is_plt_entry(f[i]))
			return -1;
	return 0;
}

void *real_next(const char *name)
{
	return next_scope == RTLD_DEFAULT ? global_definition(name) : dlsym(next_scope, name);
}

void real_resolve(void)
{
	int expect = REAL_UNINIT;
	if (!atomic_compare_exchange_strong(&real_state, &expect, REAL_RESOLVING)) {
		while (atomic_load(&real_state) != REAL_READY)
			sched_yield(); /* another thread resolves; its dlsym calls use the pool */
		return;
	}
#define R(name) real.name = (__typeof__(real.name))real_next(#name)
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
