/*
 * livemap.c: open addressing with linear probing and backward-shift deletion (see livemap.h).
 */
#include "livemap.h"

#include <stddef.h>

#include "prim.h"

typedef struct slot {
	uint64_t ptr; /* 0: empty */
	uint64_t id;
	uint64_t size;
} slot;

static slot *tab;
static size_t cap, count; /* cap is a power of two */

static size_t home(uint64_t ptr)
{
	uint64_t h = (ptr >> 4) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 20) & (cap - 1);
}

static int grow(void)
{
	size_t ncap = cap ? cap * 2 : 4096;
	slot *nt = prim_map(ncap * sizeof(slot));
	if (!nt)
		return -1;
	slot *old = tab;
	size_t ocap = cap;
	tab = nt;
	cap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (!old[i].ptr)
			continue;
		size_t j = home(old[i].ptr);
		while (tab[j].ptr)
			j = (j + 1) & (cap - 1);
		tab[j] = old[i];
	}
	prim_unmap(old, ocap * sizeof(slot));
	return 0;
}

static slot *find(uint64_t ptr)
{
	if (!cap)
		return NULL;
	for (size_t i = home(ptr);; i = (i + 1) & (cap - 1)) {
		if (tab[i].ptr == ptr)
			return &tab[i];
		if (!tab[i].ptr)
			return NULL;
	}
}

int livemap_put(uint64_t ptr, uint64_t id, uint64_t size)
{
	if ((count + 1) * 2 > cap && grow() != 0)
		return -1;
	size_t i = home(ptr);
	while (tab[i].ptr && tab[i].ptr != ptr)
		i = (i + 1) & (cap - 1);
	if (!tab[i].ptr)
		count++;
	tab[i].ptr = ptr;
	tab[i].id = id;
	tab[i].size = size;
	return 0;
}

int livemap_has(uint64_t ptr) { return find(ptr) != NULL; }

int livemap_take(uint64_t ptr, uint64_t *id, uint64_t *size)
{
	slot *s = find(ptr);
	if (!s)
		return 0;
	*id = s->id;
	if (size)
		*size = s->size;
	size_t i = (size_t)(s - tab), j = i;
	for (;;) {
		j = (j + 1) & (cap - 1);
		if (!tab[j].ptr)
			break;
		size_t h = home(tab[j].ptr);
		/* j may move into the hole at i unless its home lies cyclically in (i, j] */
		int stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
		if (!stays) {
			tab[i] = tab[j];
			i = j;
		}
	}
	tab[i].ptr = 0;
	count--;
	return 1;
}

void livemap_reset(void)
{
	prim_unmap(tab, cap * sizeof(slot));
	tab = NULL;
	cap = count = 0;
}

uint64_t livemap_count(void) { return count; }

size_t livemap_slots(void) { return cap; }

int livemap_at(size_t i, uint64_t *ptr, uint64_t *id, uint64_t *size)
{
	if (i >= cap || !tab[i].ptr)
		return 0;
	*ptr = tab[i].ptr;
	*id = tab[i].id;
	*size = tab[i].size;
	return 1;
}
