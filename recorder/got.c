/*
 * got.c: rewriting global offset table slots (see got.h).
 *
 * A module's relocations are read from its dynamic section in memory: DT_JMPREL/DT_PLTRELSZ (the
 * PLT's JUMP_SLOT relocations) and DT_RELA/DT_RELASZ (GLOB_DAT: a function's address taken, or
 * called through the GOT by code built with -fno-plt), with DT_SYMTAB/DT_STRTAB for the names.
 * The dynamic loader has already made those entries absolute; one that is still below the load
 * bias is an offset and gets the bias added.
 *
 * The kept values live in an open-addressing table keyed by slot address (the recorder's own
 * mapping): a module unloaded and another loaded at the same address finds its slots again, and
 * the table's value is replaced by what the new module holds.
 */
#include "got.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "modmap.h"
#include "prim.h"

#if defined(__x86_64__)
#define GOT_R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define GOT_R_GLOB_DAT R_X86_64_GLOB_DAT
#elif defined(__aarch64__)
#define GOT_R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define GOT_R_GLOB_DAT R_AARCH64_GLOB_DAT
#else
#error "got.c: no relocation types for this architecture"
#endif

typedef struct slot_rec {
	uintptr_t slot; /* 0: empty */
	uintptr_t orig; /* the value found there */
	uintptr_t hook; /* the value written */
	int first;      /* got_hook.first: restored after the others */
} slot_rec;

#define GOT_TABLE_BITS 16 /* 65536 slots: modules x intercepted names, with room */
#define GOT_TABLE (1u << GOT_TABLE_BITS)

static slot_rec *table;
static _Atomic int busy; /* one walk at a time: the attach, the writer's pass, a dlopen, the detach */
static size_t npatched;
static unsigned long long seen_adds = ~0ull, seen_subs = ~0ull;

static slot_rec *rec_for(uintptr_t slot, int create)
{
	if (!table) {
		if (!create || !(table = prim_map(GOT_TABLE * sizeof(slot_rec))))
			return NULL;
	}
	size_t h = (size_t)((slot >> 3) * 0x9E3779B97F4A7C15ull >> (64 - GOT_TABLE_BITS));
	for (size_t i = 0; i < GOT_TABLE; i++, h = (h + 1) & (GOT_TABLE - 1)) {
		if (table[h].slot == slot)
			return &table[h];
		if (!table[h].slot) {
			if (!create || npatched >= GOT_TABLE / 2)
				return NULL;
			table[h].slot = slot;
			return &table[h];
		}
	}
	return NULL;
}

/* Stores v into the slot; pages of the RELRO segment are opened for the store. */
static void store(uintptr_t slot, uintptr_t v, uintptr_t relro_lo, uintptr_t relro_hi)
{
	int ro = slot >= relro_lo && slot < relro_hi;
	uintptr_t page = slot & ~(uintptr_t)4095;
	if (ro && mprotect((void *)page, 4096, PROT_READ | PROT_WRITE) != 0)
		return;
	__atomic_store_n((uintptr_t *)slot, v, __ATOMIC_RELEASE);
	if (ro)
		mprotect((void *)page, 4096, PROT_READ);
}

typedef struct walk {
	const got_hook *hooks;
	size_t n;
	int restore; /* 0: patch, 1: put the kept values back */
	int phase;   /* patching: 0 the hooks marked first, 1 the others */
	int count;
	int full;
} walk;

static uintptr_t abs_addr(uintptr_t v, uintptr_t bias) { return v < bias ? v + bias : v; }

static const got_hook *find_hook(const walk *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->hooks[i].name, name) == 0)
			return &w->hooks[i];
	return NULL;
}

static void do_relocs(walk *w, const ElfW(Rela) * r, size_t bytes, const ElfW(Sym) * syms,
		      const char *strs, size_t strsz, uintptr_t bias, uintptr_t rlo, uintptr_t rhi)
{
	for (size_t i = 0; i < bytes / sizeof(*r); i++) {
		unsigned type = (unsigned)ELF64_R_TYPE(r[i].r_info);
		if (type != GOT_R_JUMP_SLOT && type != GOT_R_GLOB_DAT)
			continue;
		size_t si = ELF64_R_SYM(r[i].r_info);
		if (!si || syms[si].st_name >= strsz)
			continue;
		uintptr_t slot = bias + r[i].r_offset;
		if (w->restore) {
			slot_rec *rec = rec_for(slot, 0);
			if (rec && rec->first == w->phase &&
			    __atomic_load_n((uintptr_t *)slot, __ATOMIC_ACQUIRE) == rec->hook) {
				store(slot, rec->orig, rlo, rhi);
				w->count++;
			}
			continue;
		}
		const got_hook *h = find_hook(w, strs + syms[si].st_name);
		if (!h || (h->first ? 0 : 1) != w->phase)
			continue;
		uintptr_t cur = __atomic_load_n((uintptr_t *)slot, __ATOMIC_ACQUIRE);
		if (cur == h->fn)
			continue; /* patched already */
		slot_rec *rec = rec_for(slot, 1);
		if (!rec) {
			w->full = 1;
			return;
		}
		rec->orig = cur;
		rec->hook = h->fn;
		rec->first = h->first;
		store(slot, h->fn, rlo, rhi);
		npatched++;
		w->count++;
	}
}

static int module_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	walk *w = arg;
	uintptr_t bias = (uintptr_t)info->dlpi_addr;
	const char *name = info->dlpi_name ? info->dlpi_name : "";
	if (strstr(name, "linux-vdso") || strstr(name, "linux-gate") || strstr(name, "/ld-linux"))
		return 0;
	const ElfW(Dyn) *dyn = NULL;
	uintptr_t rlo = 0, rhi = 0, first = UINTPTR_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(bias + ph->p_vaddr);
		else if (ph->p_type == PT_GNU_RELRO) {
			rlo = (bias + ph->p_vaddr) & ~(uintptr_t)4095;
			rhi = (bias + ph->p_vaddr + ph->p_memsz + 4095) & ~(uintptr_t)4095;
		} else if (ph->p_type == PT_LOAD && bias + ph->p_vaddr < first)
			first = bias + ph->p_vaddr;
	}
	if (!dyn || (first != UINTPTR_MAX && modmap_is_self(first)))
		return 0; /* nothing to patch, or the recorder itself */
	const ElfW(Sym) *syms = NULL;
	const char *strs = NULL;
	size_t strsz = 0, jmpsz = 0, relasz = 0;
	const ElfW(Rela) *jmprel = NULL, *rela = NULL;
	int pltrela = 1;
	for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_SYMTAB: syms = (const ElfW(Sym) *)abs_addr(d->d_un.d_ptr, bias); break;
		case DT_STRTAB: strs = (const char *)abs_addr(d->d_un.d_ptr, bias); break;
		case DT_STRSZ: strsz = d->d_un.d_val; break;
		case DT_JMPREL: jmprel = (const ElfW(Rela) *)abs_addr(d->d_un.d_ptr, bias); break;
		case DT_PLTRELSZ: jmpsz = d->d_un.d_val; break;
		case DT_PLTREL: pltrela = d->d_un.d_val == DT_RELA; break;
		case DT_RELA: rela = (const ElfW(Rela) *)abs_addr(d->d_un.d_ptr, bias); break;
		case DT_RELASZ: relasz = d->d_un.d_val; break;
		default: break;
		}
	}
	if (!syms || !strs)
		return 0;
	if (jmprel && pltrela)
		do_relocs(w, jmprel, jmpsz, syms, strs, strsz, bias, rlo, rhi);
	if (rela && !w->full)
		do_relocs(w, rela, relasz, syms, strs, strsz, bias, rlo, rhi);
	return w->full;
}

static int counts_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	unsigned long long *c = arg;
	c[0] = info->dlpi_adds;
	c[1] = info->dlpi_subs;
	return 1; /* the counters are the same in every entry */
}

int got_modules_changed(void)
{
	unsigned long long c[2] = {0, 0};
	dl_iterate_phdr(counts_cb, c);
	return c[0] != seen_adds || c[1] != seen_subs;
}

static void lock(void)
{
	while (atomic_exchange(&busy, 1))
		sched_yield(); /* another walk takes a few milliseconds at most */
}

static void unlock(void) { atomic_store(&busy, 0); }

int got_patch(const got_hook *hooks, size_t n)
{
	lock();
	unsigned long long c[2] = {0, 0};
	dl_iterate_phdr(counts_cb, c);
	walk w = {hooks, n, 0, 0, 0, 0};
	dl_iterate_phdr(module_cb, &w);
	w.phase = 1;
	if (!w.full)
		dl_iterate_phdr(module_cb, &w);
	seen_adds = c[0];
	seen_subs = c[1];
	unlock();
	return w.full ? -ENOMEM : w.count;
}

int got_unpatch(void)
{
	lock();
	walk w = {NULL, 0, 1, 0, 0, 0};
	if (table) {
		/* the allocating functions first: a block allocated before this and freed meanwhile
		 * is still seen freed */
		dl_iterate_phdr(module_cb, &w);
		w.phase = 1;
		dl_iterate_phdr(module_cb, &w);
		memset(table, 0, GOT_TABLE * sizeof(slot_rec));
	}
	npatched = 0;
	seen_adds = seen_subs = ~0ull;
	unlock();
	return w.count;
}

size_t got_patched(void) { return npatched; }
