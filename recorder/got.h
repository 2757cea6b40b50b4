/*
 * got: sending a running process's calls to the recorder by rewriting the slots of its modules'
 * global offset tables (leakrec -p).  A preloaded library wins the symbol lookup at start-up; a
 * library loaded into a running process comes too late for that, so every loaded module's
 * JUMP_SLOT and GLOB_DAT relocations against an intercepted name (malloc, free, dlopen, ...) get
 * the recorder's function written into their slot, and the value found there is kept to be put
 * back.  Each slot is one aligned word, stored atomically while the program runs: a call reads
 * either the old function or the new one.  Pages of the read-only-after-relocation segment
 * (PT_GNU_RELRO) are made writable for the store and read-only again.
 *
 * Modules loaded later are patched by the next got_patch (the writer calls it at every pass when
 * the loader's count of loaded objects has changed).  got_unpatch walks the modules loaded now
 * and restores each slot that still holds the recorder's function: a module unloaded meanwhile is
 * never written to.  None of this is for the malloc hook path.  got_patch and got_unpatch may be
 * called from any thread (the attaching thread, the writer, a dlopen of the program's): each walk
 * waits for the one under way, which takes a few milliseconds at most.
 */
#ifndef LEAKREC_GOT_H
#define LEAKREC_GOT_H

#include <stddef.h>
#include <stdint.h>

/* One intercepted function: its name and the recorder's definition. */
typedef struct got_hook {
	const char *name;
	uintptr_t fn;
	int first; /* patched in every module before the others: free and realloc come before the
		    * allocating functions, so that no block the recorder saw allocated is freed
		    * past it (a free it has not seen allocated is merely unknown) */
} got_hook;

/* Patches the modules loaded now that are not patched yet (every one on the first call), except
 * the recorder library itself, the dynamic loader and the vDSO.  hooks (n entries) must stay
 * valid until got_unpatch.  Returns the number of slots patched by this call, or -ENOMEM when the
 * table of kept values is full (the slots patched so far stay patched). */
int got_patch(const got_hook *hooks, size_t n);
/* 1 when modules were loaded or unloaded since the last got_patch (cheap: one loader call). */
int got_modules_changed(void);
/* Restores every slot of a module loaded now that still holds a hook, and forgets them all.
 * Returns the number of slots restored. */
int got_unpatch(void);
/* Slots patched now. */
size_t got_patched(void);

#endif
