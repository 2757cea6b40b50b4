/*
 * test_livemap.c: the recorder writer's pointer -> allocation-number map (recorder/livemap.c)
 * against a plain reference array: random inserts, overwrites and removals across several
 * growths, with keys that collide in their low bits (heap pointers are 16-byte aligned).
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "livemap.h"

#define N 200000

static uint64_t ref_id[N];  /* 0: not live; else id + 1 */

static uint64_t key(size_t i) { return 0x7f0000000000ull + (uint64_t)i * 16; }

int main(void)
{
	uint64_t seed = 12345, live = 0, id = 0;
	int bad = 0;
	for (long step = 0; step < 2000000; step++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		size_t i = (size_t)(seed >> 33) % N;
		if ((seed >> 20) & 1) {
			if (!ref_id[i])
				live++;
			ref_id[i] = ++id;
			bad += livemap_put(key(i), id - 1, i) != 0;
		} else {
			uint64_t got;
			int had = livemap_take(key(i), &got, NULL);
			if (had != (ref_id[i] != 0) || (had && got != ref_id[i] - 1))
				bad++;
			if (ref_id[i])
				live--;
			ref_id[i] = 0;
		}
	}
	CHECK(bad == 0, "%d mismatches during the random walk", bad);
	CHECK(livemap_count() == live, "count %llu, want %llu", (unsigned long long)livemap_count(),
	      (unsigned long long)live);
	int missing = 0;
	for (size_t i = 0; i < N; i++)
		missing += livemap_has(key(i)) != (ref_id[i] != 0);
	CHECK(missing == 0, "%d keys disagree with the reference at the end", missing);
	CHECK(!livemap_has(0x1234560), "a key never put is absent");
	livemap_reset();
	CHECK(livemap_count() == 0 && !livemap_has(key(1)), "reset empties the map");
	uint64_t got = 0;
	uint64_t size = 0;
	CHECK(livemap_put(0x10, 7, 3) == 0 && livemap_take(0x10, &got, &size) == 1 && got == 7 && size == 3,
	      "after reset: id and size");
	return check_summary();
}
