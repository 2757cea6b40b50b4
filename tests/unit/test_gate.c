/*
 * test_gate: the CI gates of check and diff (analyzer/gate.c): what crosses each kind of gate,
 * the order of the culprits, and the text, markdown and JSON the gates are written as, against
 * exact expected output.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "frames.h"
#include "gate.h"

static const gate_spec total = {"max-leaked", "leaked", "bytes", GATE_TOTAL, 1};
static const gate_spec inc_bytes = {"max-peak-increase", "peak heap", "bytes", GATE_INCREASE, 1};
static const gate_spec inc_count = {"max-allocations-increase", "allocations", "allocations",
				    GATE_INCREASE, 0};
static const gate_spec any = {"fail-on-new-leaks", "new leaking stacks", "stacks", GATE_ANY, 0};

/* A group with one frame named fn leaking bytes in allocs allocations. */
static keyset_group group(const char *key, sym_frame *frame, uint64_t bytes, uint64_t allocs)
{
	keyset_group g;
	memset(&g, 0, sizeof(g));
	g.key = key;
	g.frames = frame;
	g.nframes = 1;
	g.fig.leaked_bytes = bytes;
	g.fig.leaked_allocations = allocs;
	return g;
}

static sym_frame frame(const char *fn)
{
	sym_frame f = fr(fn, NULL, 0, "/bin/app");
	f.address = f.module_offset = 0;
	return f;
}

static char *capture_text(const gate *g, size_t n, unsigned top, int md)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	if (md == 1) {
		gate_write_md_title(f, "T", g, n);
		gate_write_md_table(f, g, n);
	} else {
		gate_write_text(f, g, n, top);
	}
	fclose(f);
	return buf;
}

static char *capture_json(const gate *g, size_t n, unsigned top)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_writer *w;
	if (!f || json_create(&w, f))
		return NULL;
	json_begin_object(w, 1);
	gate_write_json(w, g, n, top);
	json_end_object(w);
	json_finish(w);
	json_free(w);
	fclose(f);
	return buf;
}

static void check_str_at(int at, char *got, const char *want)
{
	CHECK(got && strcmp(got, want) == 0, "line %d: got\n%s\nwant\n%s", at, got ? got : "(null)",
	      want);
	free(got);
}
#define check_str(got, want) check_str_at(__LINE__, got, want)

static void test_decide(void)
{
	/* a total crosses when above the amount, never at it */
	gate g = {.spec = &total, .on = 1, .lim = {0, 0, 100}};
	gate_decide(&g, 0, 100);
	CHECK(!g.crossed && g.base == 0 && g.cur == 100, "total at the limit");
	gate_decide(&g, 5, 101);
	CHECK(g.crossed && g.base == 0, "total over the limit, base ignored");
	/* an increase by an amount or a percentage of base */
	gate i = {.spec = &inc_bytes, .on = 1, .lim = {1, 10.0, 0}};
	gate_decide(&i, 1000, 1100);
	CHECK(!i.crossed, "10%% exactly");
	gate_decide(&i, 1000, 1101);
	CHECK(i.crossed && i.base == 1000 && i.cur == 1101, "over 10%%");
	gate_decide(&i, 1000, 10);
	CHECK(!i.crossed, "shrank");
	/* any culprit crosses; cur counts them */
	sym_frame fa = frame("a");
	keyset_group ga = group("a", &fa, 0, 1);
	gate a = {.spec = &any, .on = 1};
	gate_decide(&a, 7, 9);
	CHECK(!a.crossed && a.cur == 0 && a.base == 0, "no culprit");
	CHECK(gate_add_culprit(&a, &ga, 0, 1) == 0, "add");
	gate_decide(&a, 7, 9);
	CHECK(a.crossed && a.cur == 1, "one culprit");
	gate_release(&a);
	CHECK(a.culprits == NULL && a.nculprits == 0, "released");
	gate_release(&a); /* twice is fine */

	gate set[] = {g, i, {.spec = &any}};
	CHECK_U("on", gate_count_on(set, N(set)), 2);
	CHECK_U("crossed", gate_count_crossed(set, N(set)), 1);
	set[1].on = 0;
	CHECK_U("crossed but off", gate_count_crossed(set, N(set)), 1);
}

static void test_culprits_sorted(void)
{
	sym_frame f = frame("f");
	keyset_group gs[] = {group("k2", &f, 1, 1), group("k1", &f, 1, 1), group("k3", &f, 1, 1),
			     group("k0", &f, 1, 1)};
	gate g = {.spec = &inc_count, .on = 1};
	uint64_t ranks[] = {5, 9, 5, 1};
	for (size_t k = 0; k < N(gs); k++)
		CHECK(gate_add_culprit(&g, &gs[k], ranks[k] * 10, ranks[k]) == 0, "add %zu", k);
	gate_sort_culprits(&g);
	static const char *const want[] = {"k1", "k2", "k3", "k0"};
	for (size_t k = 0; k < N(want); k++)
		CHECK(strcmp(g.culprits[k].group->key, want[k]) == 0 &&
			      g.culprits[k].amount == g.culprits[k].rank * 10,
		      "%zu: %s", k, g.culprits[k].group->key);
	gate_release(&g);
	gate empty = {.spec = &any};
	gate_sort_culprits(&empty); /* no culprits: nothing to do */
	CHECK(empty.nculprits == 0, "empty");
}

static void test_output(void)
{
	sym_frame fa = frame("leak_a"), fb = frame("leak_b"), fc = frame("leak_c");
	keyset_group ga = group("leak_a", &fa, 2048, 2), gb = group("leak_b", &fb, 0, 1),
		     gc = group("leak_c", &fc, 10, 1);
	gate gates[4] = {
		{.spec = &any, .on = 1},
		{.spec = &inc_bytes, .on = 1, .lim = {0, 0, 1024}},
		{.spec = &inc_count, .on = 1, .lim = {1, 5.0, 0}},
		{.spec = &total, .on = 0},
	};
	gate_add_culprit(&gates[0], &ga, 2048, 2048);
	gate_add_culprit(&gates[0], &gb, 0, 1);
	gate_add_culprit(&gates[0], &gc, 10, 10);
	gate_sort_culprits(&gates[0]);
	gate_decide(&gates[0], 0, 0);
	gate_add_culprit(&gates[1], &ga, 4096, 4096);
	gate_decide(&gates[1], 8192, 12288);
	gate_decide(&gates[2], 200, 205);

	check_str(capture_text(gates, N(gates), 2, 0),
		  "\nGates\n"
		  "  FAIL  --fail-on-new-leaks: new leaking stacks: 3\n"
		  "        2.0 KiB in 2 allocations  leak_a\n"
		  "        10 B in 1 allocation  leak_c\n"
		  "        (1 more)\n"
		  "  FAIL  --max-peak-increase 1.0 KiB: peak heap: +4.0 KiB (+50.0%)\n"
		  "        +4.0 KiB  leak_a\n"
		  "  pass  --max-allocations-increase 5%: allocations: +5 (+2.5%)\n"
		  "\nresult: FAIL (2 of 3 gates crossed)\n");
	check_str(capture_text(gates, N(gates), 0, 1),
		  "### T — ❌ 2 of 3 gates crossed\n\n"
		  "\n| gate | limit | value | result |\n|:--|--:|--:|:--|\n"
		  "| `--fail-on-new-leaks` | none | 3 | ❌ crossed |\n"
		  "| `--max-peak-increase` | 1.0 KiB | +4.0 KiB (+50.0%) | ❌ crossed |\n"
		  "| `--max-allocations-increase` | 5% | +5 (+2.5%) | ✅ ok |\n");
	check_str(capture_json(gates + 1, 2, 0),
		  "{\"gates\": [{\"name\": \"max-peak-increase\", \"unit\": \"bytes\", \"limit\": 1024, "
		  "\"value\": 4096, \"base\": 8192, \"new\": 12288, \"crossed\": true, \"stacks\": "
		  "[{\"key\": \"leak_a\", \"amount\": 4096, \"stack\": [{\"function\": \"leak_a\", "
		  "\"file\": null, \"line\": null, \"module\": \"/bin/app\", \"address\": \"0x0\", "
		  "\"inlined\": false}]}]}, {\"name\": \"max-allocations-increase\", \"unit\": "
		  "\"percent\", \"limit\": 5, \"value\": 2.5, \"base\": 200, \"new\": 205, \"crossed\": "
		  "false, \"stacks\": []}]}\n");

	/* a total: no base and new in JSON, sizes in text; a gate not crossed lists no stack */
	gate t = {.spec = &total, .on = 1, .lim = {0, 0, 0}};
	gate_add_culprit(&t, &gc, 10, 0);
	gate_decide(&t, 0, 10);
	check_str(capture_text(&t, 1, 0, 0),
		  "\nGates\n  FAIL  --max-leaked 0 B: leaked: 10 B\n        10 B  leak_c\n"
		  "\nresult: FAIL (1 of 1 gate crossed)\n");
	check_str(capture_json(&t, 1, 0),
		  "{\"gates\": [{\"name\": \"max-leaked\", \"unit\": \"bytes\", \"limit\": 0, \"value\": "
		  "10, \"crossed\": true, \"stacks\": [{\"key\": \"leak_c\", \"amount\": 10, \"stack\": "
		  "[{\"function\": \"leak_c\", \"file\": null, \"line\": null, \"module\": \"/bin/app\", "
		  "\"address\": \"0x0\", \"inlined\": false}]}]}]}\n");
	t.lim.amount = 10;
	gate_decide(&t, 0, 10);
	check_str(capture_text(&t, 1, 0, 1),
		  "### T — ✅ no gate crossed\n\n"
		  "\n| gate | limit | value | result |\n|:--|--:|--:|:--|\n"
		  "| `--max-leaked` | 10 B | 10 B | ✅ ok |\n");
	/* a total of a count: no sign, no unit */
	static const gate_spec count = {"max-allocations", "allocations", "allocations", GATE_TOTAL, 0};
	gate c = {.spec = &count, .on = 1, .lim = {0, 0, 3}};
	gate_add_culprit(&c, &ga, 4, 0);
	gate_decide(&c, 0, 4);
	check_str(capture_text(&c, 1, 0, 0),
		  "\nGates\n  FAIL  --max-allocations 3: allocations: 4\n        4  leak_a\n"
		  "\nresult: FAIL (1 of 1 gate crossed)\n");
	gate_release(&c);
	/* no gate asked for: nothing but the title */
	t.on = 0;
	check_str(capture_text(&t, 1, 0, 0), "");
	check_str(capture_text(&t, 1, 0, 1), "### T\n\n");
	check_str(capture_json(&t, 1, 0), "{\"gates\": []}\n");
	gate_release(&t);
	for (size_t k = 0; k < N(gates); k++)
		gate_release(&gates[k]);
}

int main(void)
{
	test_decide();
	test_culprits_sorted();
	test_output();
	return check_summary();
}
