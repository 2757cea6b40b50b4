/*
 * stackkey.c: symbolic stack keys, key sets, loaded traces, limits and the output pieces shared
 * by `diff` and `check` (see stackkey.h).
 *
 * Key sets hash each key (FNV-1a) into a util_map from hash to group index; a hash taken by
 * another key is rehashed until a free or matching slot turns up, so distinct keys never merge.
 */
#include "stackkey.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "frameclass.h"
#include "report_json.h"
#include "text.h"
#include "util.h"

const char *stackkey_strerror(int err)
{
	switch (err) {
	case STACKKEY_OK: return "success";
	case STACKKEY_ENOMEM: return "out of memory";
	case STACKKEY_EINPUT: return "unreadable trace";
	case STACKKEY_EINVAL: return "invalid value";
	}
	return "unknown error";
}

/* ---- keys ---- */

/* A growing string (owned buffer, always NUL-terminated once anything was added). */
typedef struct sbuf {
	char *s;
	size_t len, cap;
	int nomem;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n)
{
	if (b->nomem)
		return;
	if (n > SIZE_MAX - b->len - 1 || util_grow((void **)&b->s, &b->cap, b->len + n + 1, 1)) {
		b->nomem = 1;
		return;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_add(sbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }

static void sb_write(void *ctx, const char *s, size_t n) { sb_addn(ctx, s, n); }

/* Key components: '\' and ';' get a backslash, control bytes become \xHH, all else stays. */
static const text_style key_style = {
	.subst = {['\\'] = "\\\\", [';'] = "\\;"},
	.hex = "\\x",
	.raw_high = 1,
};

/* Appends s[0..n) escaped as a key component. */
static void sb_add_escaped(sbuf *b, const char *s, size_t n)
{
	text_sink out = {sb_write, b};
	text_escape(&out, &key_style, s, n);
}

/* The length of a function name without the compiler's clone suffixes: GCC's ".constprop.0",
 * ".isra.0", ".part.0", ".cold", ".lto_priv.0", ".localalias", clang's ".llvm.123" (any chain
 * of them), and the demangler's " [clone .isra.0]" form. */
static size_t name_len(const char *name)
{
	static const char *const words[] = {"constprop", "isra", "part", "cold", "lto_priv",
					    "localalias", "llvm", "lto", "str", "clone"};
	const char *clone = strstr(name, " [clone .");
	size_t n = clone ? (size_t)(clone - name) : strlen(name);
	for (size_t i = 1; i < n; i++) {
		if (name[i] != '.')
			continue;
		/* does name[i..n) consist of ".word" and ".digits" segments only, starting with a
		 * word? */
		size_t k = i;
		int ok = 1, first = 1;
		while (ok && k < n) {
			size_t j = k + 1;
			while (j < n && name[j] != '.')
				j++;
			size_t seglen = j - k - 1;
			int digits = seglen > 0, word = 0;
			for (size_t m = k + 1; m < j; m++)
				if (name[m] < '0' || name[m] > '9')
					digits = 0;
			for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
				if (strlen(words[w]) == seglen && memcmp(words[w], name + k + 1, seglen) == 0)
					word = 1;
			ok = word || (digits && !first);
			first = 0;
			k = j;
		}
		if (ok)
			return i;
	}
	return n;
}

/* Appends the key component of frame f to b. */
static void add_component(sbuf *b, const sym_frame *f, enum stackkey_match match)
{
	if (f->function && *f->function) {
		sb_add_escaped(b, f->function, name_len(f->function));
	} else {
		const char *m = f->module ? util_base_name(f->module) : "[unknown]";
		sb_add_escaped(b, m, strlen(m));
		sb_add(b, "?");
	}
	if (match == STACKKEY_MATCH_LINES && f->file) {
		char line[16];
		const char *fb = util_base_name(f->file);
		sb_add(b, "@");
		sb_add_escaped(b, fb, strlen(fb));
		snprintf(line, sizeof(line), ":%u", f->line);
		sb_add(b, line);
	}
}

int stackkey_key(const sym_frame *frames, size_t n, enum stackkey_match match, char **key, size_t *len)
{
	sbuf b = {NULL, 0, 0, 0};
	sbuf c = {NULL, 0, 0, 0}; /* the current component */
	size_t end = frameclass_trim_startup(frames, n);
	size_t prev_off = 0, prev_len = 0;
	int have_prev = 0;
	sb_add(&b, "");
	for (size_t i = 0; i < end; i++) {
		c.len = 0;
		add_component(&c, &frames[i], match);
		if (c.nomem)
			break;
		if (have_prev && prev_len == c.len && memcmp(b.s + prev_off, c.s, c.len) == 0)
			continue; /* recursion: adjacent equal frames count once */
		if (have_prev)
			sb_add(&b, ";");
		prev_off = b.len;
		prev_len = c.len;
		sb_addn(&b, c.s ? c.s : "", c.len);
		have_prev = 1;
	}
	free(c.s);
	if (b.nomem || c.nomem) {
		free(b.s);
		return STACKKEY_ENOMEM;
	}
	*key = b.s;
	*len = b.len;
	return 0;
}

/* ---- key sets ---- */

struct stackkey_set {
	stackkey_group *groups;
	size_t n, cap;
	util_map index; /* key hash -> group index */
	stackkey_figures totals;
	uint64_t suppressed_stacks;
	stackkey_rule_use *rules;
	size_t nrules;
};

/* Finds the group of key: returns 1 and *idx when present; else 0 and *slot, the hash under
 * which the key is to be inserted. */
static int find_group(const stackkey_set *s, const char *key, uint32_t *idx, uint64_t *slot)
{
	uint64_t h = util_fnv1a(key);
	for (;;) {
		uint32_t v;
		if (!util_map_get(&s->index, h, &v)) {
			*slot = h;
			return 0;
		}
		if (strcmp(s->groups[v].key, key) == 0) {
			*idx = v;
			return 1;
		}
		h = util_hash64(h + 1);
	}
}

const stackkey_group *stackkey_set_find(const stackkey_set *s, const char *key)
{
	uint32_t idx;
	uint64_t slot;
	return find_group(s, key, &idx, &slot) ? &s->groups[idx] : NULL;
}

static void add_figures(stackkey_figures *a, const stackkey_figures *b)
{
	a->allocations += b->allocations;
	a->allocated_bytes += b->allocated_bytes;
	a->temporary += b->temporary;
	a->leaked_bytes += b->leaked_bytes;
	a->leaked_allocations += b->leaked_allocations;
	a->runtime_bytes += b->runtime_bytes;
	a->runtime_allocations += b->runtime_allocations;
	a->suppressed_bytes += b->suppressed_bytes;
	a->suppressed_allocations += b->suppressed_allocations;
	a->peak_bytes += b->peak_bytes;
	a->peak_allocations += b->peak_allocations;
}

/* 1 when stack a should represent its group rather than stack b. */
static int holds_more(const replay_stack *a, const replay_stack *b)
{
	if (a->live_bytes != b->live_bytes)
		return a->live_bytes > b->live_bytes;
	if (a->peak_bytes != b->peak_bytes)
		return a->peak_bytes > b->peak_bytes;
	if (a->allocations != b->allocations)
		return a->allocations > b->allocations;
	return a->id < b->id;
}

int stackkey_set_build(stackkey_set **out, symstack_set *stacks, enum stackkey_match match,
		       const suppress_list *sup)
{
	const replay_ctx *rp = symstack_replay(stacks);
	*out = NULL;
	stackkey_set *s = calloc(1, sizeof(*s));
	if (!s)
		return STACKKEY_ENOMEM;
	util_map_init(&s->index);
	s->nrules = suppress_count(sup);
	s->rules = calloc(s->nrules ? s->nrules : 1, sizeof(stackkey_rule_use));
	if (!s->rules)
		goto nomem;
	for (size_t i = 0; i < replay_stack_count(rp); i++) {
		const replay_stack *st = replay_stack_at(rp, i);
		if (!st->allocations && !st->live_bytes && !st->live_allocations && !st->peak_bytes &&
		    !st->peak_allocations)
			continue;
		const symstack *ss = symstack_get(stacks, i);
		if (!ss)
			goto nomem;
		const sym_frame *frames = ss->frames;
		size_t nf = ss->nframes;
		int runtime = ss->runtime;
		char *key;
		size_t klen;
		if (st->defined) {
			if (stackkey_key(frames, nf, match, &key, &klen))
				goto nomem;
		} else {
			/* no frames to name: every such stack shares one key no real stack has */
			key = strdup(";[stack not recorded]");
			if (!key)
				goto nomem;
		}
		stackkey_figures f = {0};
		f.allocations = st->allocations;
		f.allocated_bytes = st->allocated_bytes;
		f.temporary = st->temporary;
		f.peak_bytes = st->peak_bytes;
		f.peak_allocations = st->peak_allocations;
		long rule = -1;
		if (runtime) {
			f.runtime_bytes = st->live_bytes;
			f.runtime_allocations = st->live_allocations;
		} else if (st->live_bytes || st->live_allocations) {
			rule = suppress_match_stack(sup, frames, nf);
			if (rule >= 0) {
				f.suppressed_bytes = st->live_bytes;
				f.suppressed_allocations = st->live_allocations;
				s->rules[rule].bytes += st->live_bytes;
				s->rules[rule].allocations += st->live_allocations;
			} else {
				f.leaked_bytes = st->live_bytes;
				f.leaked_allocations = st->live_allocations;
			}
		}
		uint32_t gi;
		uint64_t slot;
		if (find_group(s, key, &gi, &slot)) {
			free(key);
		} else {
			if (s->n >= UINT32_MAX - 1 ||
			    util_grow((void **)&s->groups, &s->cap, s->n + 1, sizeof(stackkey_group))) {
				free(key);
				goto nomem;
			}
			gi = (uint32_t)s->n;
			stackkey_group *g = &s->groups[gi];
			memset(g, 0, sizeof(*g));
			g->key = key;
			g->rep_idx = i;
			g->frames = frames;
			g->nframes = nf;
			g->defined = st->defined;
			g->rule = -1;
			s->n++;
			if (util_map_put(&s->index, slot, gi))
				goto nomem;
		}
		stackkey_group *g = &s->groups[gi];
		if (g->stacks && holds_more(st, replay_stack_at(rp, g->rep_idx))) {
			g->rep_idx = i;
			g->frames = frames;
			g->nframes = nf;
			g->defined = st->defined;
		}
		g->stacks++;
		if (rule >= 0 && g->rule < 0)
			g->rule = rule;
		add_figures(&g->fig, &f);
		add_figures(&s->totals, &f);
	}
	for (size_t i = 0; i < s->n; i++) {
		const stackkey_group *g = &s->groups[i];
		if (g->fig.suppressed_bytes || g->fig.suppressed_allocations) {
			s->suppressed_stacks++;
			if (g->rule >= 0)
				s->rules[g->rule].stacks++;
		}
	}
	*out = s;
	return 0;
nomem:
	stackkey_set_free(s);
	return STACKKEY_ENOMEM;
}

void stackkey_set_free(stackkey_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free((char *)(uintptr_t)s->groups[i].key);
	free(s->groups);
	free(s->rules);
	util_map_release(&s->index);
	free(s);
}

size_t stackkey_set_count(const stackkey_set *s) { return s->n; }
const stackkey_group *stackkey_set_at(const stackkey_set *s, size_t i) { return &s->groups[i]; }
const stackkey_figures *stackkey_set_totals(const stackkey_set *s) { return &s->totals; }
uint64_t stackkey_set_suppressed_stacks(const stackkey_set *s) { return s->suppressed_stacks; }
const stackkey_rule_use *stackkey_set_rule_use(const stackkey_set *s, size_t i) { return &s->rules[i]; }

/* ---- a loaded trace ---- */

struct stackkey_trace {
	const char *path;
	replay_ctx *rp;
	sym_ctx *sym;
	symstack_set *stacks;
	stackkey_set *set;
};

int stackkey_trace_load(stackkey_trace **out, const char *path, enum stackkey_match match, const suppress_list *sup)
{
	*out = NULL;
	stackkey_trace *t = calloc(1, sizeof(*t));
	if (!t)
		return STACKKEY_ENOMEM;
	t->path = path;
	if (cli_replay_new(&t->rp, path, NULL) || cli_symbolize(t->rp, path, 0, &t->sym, &t->stacks)) {
		stackkey_trace_free(t);
		return STACKKEY_EINPUT;
	}
	if (stackkey_set_build(&t->set, t->stacks, match, sup)) {
		stackkey_trace_free(t);
		return STACKKEY_ENOMEM;
	}
	*out = t;
	return 0;
}

void stackkey_trace_free(stackkey_trace *t)
{
	if (!t)
		return;
	stackkey_set_free(t->set);
	symstack_free(t->stacks);
	sym_free(t->sym);
	replay_free(t->rp);
	free(t);
}

const char *stackkey_trace_path(const stackkey_trace *t) { return t->path; }
const replay_ctx *stackkey_trace_replay(const stackkey_trace *t) { return t->rp; }
const stackkey_set *stackkey_trace_set(const stackkey_trace *t) { return t->set; }

int stackkey_load_suppressions(const char *path, suppress_list **out)
{
	unsigned line;
	int rc = suppress_load(out, path, &line);
	if (rc == 0)
		return 0;
	if (rc == SUPPRESS_ENOMEM)
		return STACKKEY_ENOMEM;
	if (rc == SUPPRESS_EIO)
		cli_error("cannot read suppressions '%s': %s", path, strerror(errno));
	else
		cli_error("%s:%u: %s", path, line, suppress_strerror(rc));
	return STACKKEY_EINPUT;
}

/* ---- limits ---- */

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

static int ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* Parses "digits[.digits]" at s: the integer part in *ip, up to 9 fraction digits as a
 * numerator over 10^9 in *frac; returns the end, or NULL when there is no digit or the integer
 * part overflows. */
static const char *parse_decimal(const char *s, uint64_t *ip, uint64_t *frac)
{
	uint64_t v = 0, f = 0, scale = 100000000u;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t digit = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return NULL;
		v = v * 10 + digit;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return NULL;
		for (; *p >= '0' && *p <= '9'; p++) {
			f += (uint64_t)(*p - '0') * scale;
			scale /= 10;
		}
	}
	*ip = v;
	*frac = f;
	return p;
}

int stackkey_parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *name;
		uint64_t mult;
	} units[] = {
		{"", 1}, {"b", 1},
		{"k", 1ULL << 10}, {"kib", 1ULL << 10}, {"kb", 1000ULL},
		{"m", 1ULL << 20}, {"mib", 1ULL << 20}, {"mb", 1000000ULL},
		{"g", 1ULL << 30}, {"gib", 1ULL << 30}, {"gb", 1000000000ULL},
		{"t", 1ULL << 40}, {"tib", 1ULL << 40}, {"tb", 1000000000000ULL},
	};
	uint64_t ip, frac;
	const char *p = parse_decimal(s, &ip, &frac);
	if (!p)
		return STACKKEY_EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!ieq(p, units[i].name))
			continue;
		uint64_t m = units[i].mult;
		if (m > 1 && ip > UINT64_MAX / m)
			return STACKKEY_EINVAL;
		uint64_t v = ip * m;
		/* the fraction of the unit, rounded down to whole bytes (m < 2^41, frac < 10^9) */
		uint64_t fb = (uint64_t)((long double)frac * (long double)m / 1e9L);
		if (v > UINT64_MAX - fb)
			return STACKKEY_EINVAL;
		*out = v + fb;
		return 0;
	}
	return STACKKEY_EINVAL;
}

int stackkey_parse_limit(const char *s, int sizes, stackkey_limit *out)
{
	size_t n = strlen(s);
	memset(out, 0, sizeof(*out));
	if (n > 1 && s[n - 1] == '%') {
		uint64_t ip, frac;
		const char *p = parse_decimal(s, &ip, &frac);
		if (!p || p != s + n - 1)
			return STACKKEY_EINVAL;
		out->percent = 1;
		out->value = (double)ip + (double)frac / 1e9;
		return 0;
	}
	if (sizes)
		return stackkey_parse_size(s, &out->amount);
	uint64_t ip, frac;
	const char *p = parse_decimal(s, &ip, &frac);
	if (!p || *p || frac)
		return STACKKEY_EINVAL;
	out->amount = ip;
	return 0;
}

int stackkey_limit_crossed(const stackkey_limit *l, uint64_t base, uint64_t cur)
{
	if (cur <= base)
		return 0;
	uint64_t inc = cur - base;
	if (!l->percent)
		return inc > l->amount;
	if (base == 0)
		return 1;
	/* stackkey_parse_limit keeps at most 9 decimals: compare in whole billionths of a percent, so
	 * that an increase of exactly the limit passes although 0.3 (say) is 0.2999... in binary */
	long double nano = roundl((long double)l->value * 1e9L);
	if (nano >= 0 && nano < 18446744073709551616.0L)
		return (unsigned __int128)inc * 100000000000u >
		       (unsigned __int128)(uint64_t)nano * base;
	return (long double)inc * 100.0L > (long double)l->value * (long double)base;
}

void stackkey_format_limit(char *buf, size_t n, const stackkey_limit *l, int sizes)
{
	if (l->percent)
		snprintf(buf, n, "%g%%", l->value);
	else if (sizes)
		text_format_size(buf, n, l->amount);
	else
		snprintf(buf, n, "%" PRIu64, l->amount);
}

/* ---- output ---- */

int64_t stackkey_change(uint64_t base, uint64_t cur)
{
	if (cur >= base)
		return cur - base > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(cur - base);
	return base - cur > (uint64_t)INT64_MAX ? -INT64_MAX : -(int64_t)(base - cur);
}

void stackkey_write_culprit_json(json_writer *w, const stackkey_group *g, uint64_t amount)
{
	json_begin_object(w, 0);
	json_key(w, "key");
	json_str(w, g->key);
	json_key(w, "amount");
	json_uint(w, amount);
	report_json_frames(w, g->frames, g->nframes);
	json_end_object(w);
}
