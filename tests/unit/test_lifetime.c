/*
 * test_lifetime: the lifetime table (analyzer/lifetime.c) against figures worked out by hand:
 * nearest-rank percentiles, byte-seconds clipped to a window, blocks allocated before the window,
 * a damaged death before its birth, merged stacks, and the reservoir beyond the budget (bounded,
 * deterministic, close to the truth).
 */
#include <stdlib.h>

#include "check.h"
#include "lifetime.h"

static lifetime_figures figures(lifetime_tab *t, const size_t *stacks, size_t n)
{
	lifetime_figures f;
	int rc = lifetime_figures_of(t, stacks, n, &f);
	CHECK(rc == 0, "lifetime_figures_of returned %d", rc);
	return f;
}

static void test_exact(void)
{
	lifetime_tab *t;
	EXPECT(lifetime_create(&t, LIFETIME_BUDGET_DEFAULT) == 0);
	/* stack 0: lifetimes 100 .. 1000 ns, 2 bytes each, given out of order */
	static const unsigned order[10] = {7, 2, 9, 1, 10, 4, 3, 8, 6, 5};
	for (int i = 0; i < 10; i++)
		EXPECT(lifetime_end(t, 0, 2, 1000, 1000 + order[i] * 100u) == 0);
	size_t s0 = 0;
	lifetime_figures f = figures(t, &s0, 1);
	CHECK_U("freed", f.freed, 10);
	CHECK_U("kept", f.kept, 10);
	CHECK_U("p50 (5th of 10)", f.p50_ns, 500);
	CHECK_U("p90 (9th of 10)", f.p90_ns, 900);
	CHECK_U("max", f.max_ns, 1000);
	CHECK(f.byte_seconds == 2 * 5500 / 1e9, "byte-seconds %g", f.byte_seconds);

	/* small counts: 1 -> itself; 2 -> the lower one for p50, the upper for p90; 3 */
	EXPECT(lifetime_end(t, 1, 1, 0, 7) == 0);
	size_t s1 = 1;
	f = figures(t, &s1, 1);
	CHECK_U("n=1 p50", f.p50_ns, 7);
	CHECK_U("n=1 p90", f.p90_ns, 7);
	EXPECT(lifetime_end(t, 1, 1, 0, 3) == 0);
	f = figures(t, &s1, 1);
	CHECK_U("n=2 p50", f.p50_ns, 3);
	CHECK_U("n=2 p90", f.p90_ns, 7);
	EXPECT(lifetime_end(t, 1, 1, 0, 5) == 0);
	f = figures(t, &s1, 1);
	CHECK_U("n=3 p50", f.p50_ns, 5);
	CHECK_U("n=3 p90", f.p90_ns, 7);

	/* a merged entry: stacks 0 and 1 together (13 lifetimes: 3 5 7 100 .. 1000) */
	size_t both[3] = {0, 1, 99}; /* 99: never seen, ignored */
	f = figures(t, both, 3);
	CHECK_U("merged freed", f.freed, 13);
	CHECK_U("merged p50 (7th of 13)", f.p50_ns, 400);
	CHECK_U("merged p90 (12th of 13)", f.p90_ns, 900);
	CHECK_U("merged max", f.max_ns, 1000);

	/* a damaged trace: death before birth is a lifetime of 0 and holds nothing */
	EXPECT(lifetime_end(t, 2, 100, 50, 10) == 0);
	size_t s2 = 2;
	f = figures(t, &s2, 1);
	CHECK_U("damaged freed", f.freed, 1);
	CHECK_U("damaged max", f.max_ns, 0);
	CHECK(f.byte_seconds == 0, "damaged byte-seconds %g", f.byte_seconds);
	CHECK(lifetime_byte_seconds(t, 12345) == 0, "unseen stack %g", lifetime_byte_seconds(t, 12345));
	f = figures(t, NULL, 0);
	CHECK_U("no stacks", f.freed + f.kept + f.p50_ns + f.max_ns, 0);
	lifetime_free(t);
	lifetime_free(NULL);
}

static void test_window(void)
{
	lifetime_tab *t;
	EXPECT(lifetime_create(&t, LIFETIME_BUDGET_DEFAULT) == 0);
	lifetime_set_window(t, 250);
	EXPECT(lifetime_end(t, 0, 3, 100, 200) == 0); /* dead before the window: nothing */
	EXPECT(lifetime_end(t, 0, 3, 100, 400) == 0); /* allocated before: 150 ns held, no lifetime */
	EXPECT(lifetime_end(t, 0, 3, 300, 500) == 0); /* inside: 200 ns */
	/* live at the end: allocated before (750 ns held), inside (400 ns) */
	lifetime_acc acc = lifetime_term(3, 100, 250) + lifetime_term(3, 600, 250);
	EXPECT(lifetime_held_total(t, 0, 6, acc, 1000) == 0);
	EXPECT(lifetime_held_total(t, 0, 6, acc, 250) == 0); /* an empty window: nothing */
	EXPECT(lifetime_held_total(t, 0, 0, 0, 1000) == 0);  /* nothing live */
	size_t s0 = 0;
	lifetime_figures f = figures(t, &s0, 1);
	CHECK_U("window freed", f.freed, 1);
	CHECK_U("window p50", f.p50_ns, 200);
	CHECK_U("window max", f.max_ns, 200);
	CHECK(f.byte_seconds == 3 * (150 + 200 + 750 + 400) / 1e9, "window byte-seconds %.17g",
	      f.byte_seconds);
	lifetime_free(t);
}

/* Feeds stack `si` the lifetimes 1 .. n ns in a scrambled order. */
static void feed(lifetime_tab *t, uint32_t si, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t life = (i * 7919) % n + 1; /* 7919 is prime: a permutation of 1 .. n */
		EXPECT(lifetime_end(t, si, 1, 0, life) == 0);
	}
}

static void test_reservoir(void)
{
	lifetime_tab *a, *b;
	EXPECT(lifetime_create(&a, 1000 * 4) == 0); /* 1000 lifetimes below 4.29 s */
	EXPECT(lifetime_create(&b, 1000 * 4) == 0);
	feed(a, 0, 800);   /* within the budget: exact */
	feed(a, 1, 10000); /* what is left (at least LIFETIME_RESERVOIR_MIN): a sample */
	feed(b, 0, 800);
	feed(b, 1, 10000);
	size_t s0 = 0, s1 = 1, both[2] = {0, 1};
	lifetime_figures f0 = figures(a, &s0, 1), f1 = figures(a, &s1, 1), g1 = figures(b, &s1, 1);
	CHECK_U("exact kept", f0.kept, 800);
	CHECK_U("exact p50", f0.p50_ns, 400);
	CHECK_U("sampled freed", f1.freed, 10000);
	CHECK_U("sampled max (exact)", f1.max_ns, 10000);
	CHECK(f1.kept >= LIFETIME_RESERVOIR_MIN && f1.kept <= 1000 - 800 + LIFETIME_RESERVOIR_MIN,
	      "kept %" PRIu64, f1.kept);
	CHECK(f1.p50_ns >= 4000 && f1.p50_ns <= 6000, "sampled p50 %" PRIu64, f1.p50_ns);
	CHECK(f1.p90_ns >= 8000 && f1.p90_ns <= 9800, "sampled p90 %" PRIu64, f1.p90_ns);
	CHECK(f1.p50_ns == g1.p50_ns && f1.p90_ns == g1.p90_ns && f1.kept == g1.kept,
	      "the same input gave %" PRIu64 "/%" PRIu64 " and %" PRIu64 "/%" PRIu64, f1.p50_ns,
	      f1.p90_ns, g1.p50_ns, g1.p90_ns);
	CHECK(f1.byte_seconds == 10000.0 * 10001 / 2 / 1e9, "sampled byte-seconds %.17g",
	      f1.byte_seconds);
	/* merged: the sampled stack weighs 10000, the exact one 800 (of 10800 lifetimes, the median
	 * is near 5000 - 800/2) */
	lifetime_figures m = figures(a, both, 2);
	CHECK_U("merged freed", m.freed, 10800);
	CHECK(m.p50_ns >= 3500 && m.p50_ns <= 5600, "merged p50 %" PRIu64, m.p50_ns);
	lifetime_free(a);
	lifetime_free(b);
}

/* Lifetimes are kept in 32 bits until one does not fit: the array widens, values kept. */
static void test_widen(void)
{
	lifetime_tab *t;
	EXPECT(lifetime_create(&t, LIFETIME_BUDGET_DEFAULT) == 0);
	const uint64_t tick = 1u << 16;
	for (uint64_t k = 1; k <= 9; k++)
		EXPECT(lifetime_end(t, 0, 1, 0, k * tick) == 0);
	size_t s0 = 0;
	lifetime_figures f = figures(t, &s0, 1);
	CHECK_U("narrow p50", f.p50_ns, 5 * tick);
	CHECK_U("narrow p90", f.p90_ns, 9 * tick);
	EXPECT(lifetime_end(t, 0, 1, 0, 12345) == 0);
	EXPECT(lifetime_end(t, 0, 1, 0, (tick << 32) + tick) == 0); /* past 2^32 ns: widens */
	f = figures(t, &s0, 1);
	CHECK_U("widened kept", f.kept, 11);
	CHECK_U("widened p50 (6th of 11)", f.p50_ns, 5 * tick);
	CHECK_U("widened p90 (10th of 11)", f.p90_ns, 9 * tick);
	CHECK_U("widened max", f.max_ns, (tick << 32) + tick);
	/* a long lifetime first: wide from the start */
	EXPECT(lifetime_end(t, 1, 1, 0, (uint64_t)1 << 60) == 0);
	EXPECT(lifetime_end(t, 1, 1, 0, tick) == 0);
	size_t s1 = 1;
	f = figures(t, &s1, 1);
	CHECK_U("wide p50", f.p50_ns, tick);
	CHECK_U("wide max", f.max_ns, (uint64_t)1 << 60);
	lifetime_free(t);
}

/* Large arrays select with 16-bit digits: exact ranks over 100000 lifetimes, below and above 2^32,
 * with many equal ones. */
static void test_large(void)
{
	lifetime_tab *t;
	EXPECT(lifetime_create(&t, LIFETIME_BUDGET_DEFAULT) == 0);
	const uint64_t n = 100000, mult = 65537;
	int ok = 1;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t k = (i * 7919) % n + 1;
		ok &= lifetime_end(t, 0, 1, 0, k * mult) == 0;            /* up to 6.6e9 ns */
		ok &= lifetime_end(t, 1, 1, 0, k <= 60000 ? 5 : k) == 0;   /* 60% equal */
	}
	EXPECT(ok);
	size_t s0 = 0, s1 = 1;
	lifetime_figures f = figures(t, &s0, 1);
	CHECK_U("large p50", f.p50_ns, 50000 * mult);
	CHECK_U("large p90", f.p90_ns, 90000 * mult);
	CHECK_U("large max", f.max_ns, n * mult);
	f = figures(t, &s1, 1);
	CHECK_U("equal p50", f.p50_ns, 5);
	CHECK_U("equal p90", f.p90_ns, 90000);
	lifetime_free(t);
}

int main(void)
{
	test_large();
	test_widen();
	test_exact();
	test_window();
	test_reservoir();
	return check_summary();
}
