/*
 * stacktab.c: lock-free stack table (see stacktab.h).
 *
 * A chain of open-addressing tables of growing size holds pointers to immutable nodes in arena
 * memory.  A slot goes from NULL to a node once (compare-and-swap) and never changes again, so a
 * reader needs no lock and sees either NULL or a complete node.  When the newest table is half
 * full, a table twice as large is added; lookups probe every table.  Two threads that insert the
 * same new stack at the moment a table is added may give it two ids; the analyzer merges stacks
 * with equal frames, so that costs a few bytes, never a wrong figure.
 */
#include "stacktab.h"

#include <stdatomic.h>
#include <string.h>

#include "prim.h"

#define STACKTAB_TABLES 20
#define STACKTAB_FIRST_BITS 12

typedef struct stacktab_table {
	uint32_t bits;
	_Atomic uint32_t used;
	_Atomic(stacktab_node *) slot[];
} stacktab_table;

static _Atomic(stacktab_table *) tables[STACKTAB_TABLES];
static _Atomic int ntables;
static _Atomic uint32_t next_id = 1;
static lifo new_stacks;

static stacktab_table *table_new(uint32_t bits)
{
	stacktab_table *t = prim_map(sizeof(stacktab_table) + ((size_t)1 << bits) * sizeof(stacktab_node *));
	if (t)
		t->bits = bits;
	return t;
}

int stacktab_init(void)
{
	if (atomic_load(&ntables) > 0)
		return 0;
	stacktab_table *t = table_new(STACKTAB_FIRST_BITS);
	if (!t)
		return -1;
	atomic_store(&tables[0], t);
	atomic_store(&ntables, 1);
	return 0;
}

void stacktab_atfork_child(void)
{
	for (int i = 0; i < STACKTAB_TABLES; i++)
		atomic_store(&tables[i], NULL);
	atomic_store(&ntables, 0);
	atomic_store(&next_id, 1);
	atomic_store(&new_stacks, NULL);
	stacktab_init();
}

static uint64_t hash_frames(const uint64_t *f, uint32_t n, uint64_t epoch)
{
	uint64_t h = STACKTAB_HASH_SEED;
	for (uint32_t i = n; i-- > 0;)
		h = stacktab_hash_fold(h, f[i]);
	return stacktab_hash_final(h, n, epoch);
}

static int node_eq(const stacktab_node *nd, uint64_t h, const uint64_t *f, uint32_t n, uint64_t epoch)
{
	return nd->hash == h && nd->n == n && nd->epoch == epoch &&
	       memcmp(nd->frames, f, n * sizeof(*f)) == 0;
}

/* Looks in table t: returns the matching node, or NULL after finding an empty slot (*empty). */
static stacktab_node *probe(stacktab_table *t, uint64_t h, const uint64_t *f, uint32_t n, uint64_t epoch)
{
	uint32_t mask = (1u << t->bits) - 1;
	for (uint32_t i = (uint32_t)h & mask, k = 0; k <= mask; i = (i + 1) & mask, k++) {
		stacktab_node *nd = atomic_load_explicit(&t->slot[i], memory_order_acquire);
		if (!nd)
			return NULL;
		if (node_eq(nd, h, f, n, epoch))
			return nd;
	}
	return NULL;
}

uint32_t stacktab_intern(const uint64_t *frames, uint32_t n, uint64_t epoch)
{
	return stacktab_intern_hashed(frames, n, epoch, hash_frames(frames, n, epoch));
}

uint32_t stacktab_intern_hashed(const uint64_t *frames, uint32_t n, uint64_t epoch, uint64_t h)
{
	int nt = atomic_load_explicit(&ntables, memory_order_acquire);
	for (int k = 0; k < nt; k++) {
		stacktab_node *nd = probe(atomic_load_explicit(&tables[k], memory_order_acquire), h, frames,
				     n, epoch);
		if (nd)
			return nd->id;
	}
	stacktab_node *mine = prim_arena_alloc(sizeof(stacktab_node) + n * sizeof(uint64_t));
	if (!mine)
		return 0;
	mine->hash = h;
	mine->epoch = epoch;
	mine->n = n;
	memcpy(mine->frames, frames, n * sizeof(uint64_t));
	for (;;) {
		nt = atomic_load_explicit(&ntables, memory_order_acquire);
		stacktab_table *t = atomic_load_explicit(&tables[nt - 1], memory_order_acquire);
		uint32_t mask = (1u << t->bits) - 1;
		if (atomic_load_explicit(&t->used, memory_order_relaxed) > mask / 2 && nt < STACKTAB_TABLES) {
			/* Grow: whoever wins the race installs the next table. */
			stacktab_table *nt_tab = table_new(t->bits + 1);
			if (!nt_tab)
				return 0;
			stacktab_table *expect = NULL;
			if (atomic_compare_exchange_strong(&tables[nt], &expect, nt_tab)) {
				atomic_store(&ntables, nt + 1);
			} else {
				prim_unmap(nt_tab, sizeof(stacktab_table) + ((size_t)1 << nt_tab->bits) *
									  sizeof(stacktab_node *));
				/* Wait until the winner publishes the count. */
				while (atomic_load(&ntables) == nt)
					;
			}
			continue;
		}
		for (uint32_t i = (uint32_t)h & mask, k = 0; k <= mask; i = (i + 1) & mask, k++) {
			stacktab_node *nd = atomic_load_explicit(&t->slot[i], memory_order_acquire);
			if (!nd) {
				if (!mine->id)
					mine->id = atomic_fetch_add(&next_id, 1);
				if (atomic_compare_exchange_strong_explicit(
					    &t->slot[i], &nd, mine, memory_order_acq_rel,
					    memory_order_acquire)) {
					atomic_fetch_add_explicit(&t->used, 1, memory_order_relaxed);
					lifo_push(&new_stacks, mine);
					return mine->id;
				}
			}
			if (node_eq(nd, h, frames, n, epoch))
				return nd->id; /* another thread inserted it first */
		}
		return 0; /* table full and cannot grow */
	}
}

stacktab_node *stacktab_take_new(void) { return lifo_take(&new_stacks); }

uint32_t stacktab_count(void) { return atomic_load(&next_id) - 1; }
