/*
 * unwind.c: the fast stack walker (see unwind.h).
 *
 * A walk starts from the registers of the malloc hook's caller (UNWIND_CALLER_REGS) and steps from
 * frame to frame with
 *   CFA = RSP or RBP + offset;  return address = *(CFA - 8);  RBP = *(CFA + n) or unchanged;
 *   RSP = CFA
 * which is exactly what the DWARF CFI of x86-64 code says for every instruction of a normal
 * function.  The rule for an instruction address is found once: _dl_find_object gives the object's
 * .eh_frame_hdr (lock-free, no allocation), its binary search table gives the FDE, and the CIE's
 * and FDE's CFA programs are run up to that address.  The result (or "decline") goes into a table
 * of rules shared by all threads, one sequence counter per slot: a reader that races a writer sees
 * a changed counter and treats the slot as empty, so no torn rule is ever used.
 *
 * As libunwind does, every frame is looked up at its return address minus one (the call
 * instruction, which may be the last of its function).  The walk stops after a frame whose
 * return address is undefined by its CFI (_start, a thread's clone) or is zero.
 */
#include "unwind.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "prim.h"
#include "stacktab.h"

#if defined(__x86_64__)

/* _dl_find_object appeared in glibc 2.35: weak, so that the library still loads on an older one
 * (the walker then declines every stack). */
extern int _dl_find_object(void *address, struct dl_find_object *result) __attribute__((weak));

/* ---- rules ---- */

/* A rule packed in 32 bits (0 = decline). */
#define R_OK (1u << 0)       /* usable */
#define R_LAST (1u << 1)     /* the return address is undefined: outermost frame */
#define R_CFA_RBP (1u << 2)  /* CFA = RBP + offset (else RSP + offset) */
#define R_RBP_SAVED (1u << 3) /* the caller's RBP is at CFA + rbp offset (else unchanged) */
#define R_RBP_SHIFT 4        /* bits 4..11: rbp offset / 8, signed */
#define R_CFA_SHIFT 12       /* bits 12..31: CFA offset in bytes */
#define R_CFA_MAX ((1u << 20) - 1)

#define DW_RBP 6
#define DW_RSP 7
#define DW_RA 16

enum { K_SAME, K_UNDEF, K_OFFSET, K_OTHER };

typedef struct cfa_state {
	int cfa_reg;     /* DWARF register number, -1 for an expression */
	int64_t cfa_off;
	int rbp_kind, ra_kind;
	int64_t rbp_off, ra_off;
} cfa_state;

/* ---- the shared table of rules ---- */

#define UNWIND_BITS 14
#define UNWIND_SLOTS (1u << UNWIND_BITS)
#define UNWIND_PROBES 4

typedef struct unwind_slot {
	_Atomic uint32_t seq; /* odd while a writer fills the slot */
	_Atomic uint32_t rule;
	_Atomic uint64_t key; /* pc << 16 | low 16 bits of the epoch; 0 = empty */
	_Atomic uint64_t ehi; /* the epoch's other bits */
} unwind_slot;

static unwind_slot *table;

static inline uint64_t key_of(uint64_t pc, uint64_t epoch) { return pc << 16 | (epoch & 0xffff); }

static inline uint32_t slot_of(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> (64 - UNWIND_BITS));
}

/* The rule of (key, ehi), or -1 when the table does not hold it. */
static inline int64_t table_get(uint64_t key, uint64_t ehi)
{
	uint32_t i = slot_of(key);
	for (int p = 0; p < UNWIND_PROBES; p++, i = (i + 1) & (UNWIND_SLOTS - 1)) {
		unwind_slot *s = &table[i];
		uint32_t s1 = atomic_load_explicit(&s->seq, memory_order_acquire);
		uint64_t k = atomic_load_explicit(&s->key, memory_order_relaxed);
		uint32_t r = atomic_load_explicit(&s->rule, memory_order_relaxed);
		uint64_t e = atomic_load_explicit(&s->ehi, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) != s1 || (s1 & 1))
			continue; /* being written: as if empty */
		if (k == key && e == ehi)
			return r;
		if (k == 0)
			return -1;
	}
	return -1;
}

static void table_put(uint64_t key, uint64_t ehi, uint32_t rule)
{
	uint32_t i = slot_of(key), victim = i;
	for (int p = 0; p < UNWIND_PROBES; p++, i = (i + 1) & (UNWIND_SLOTS - 1)) {
		if (atomic_load_explicit(&table[i].key, memory_order_relaxed) == 0) {
			victim = i;
			break;
		}
	}
	unwind_slot *s = &table[victim];
	uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
	if ((seq & 1) || !atomic_compare_exchange_strong(&s->seq, &seq, seq + 1))
		return; /* another thread is writing it: drop ours, it is only a cache */
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&s->key, key, memory_order_relaxed);
	atomic_store_explicit(&s->ehi, ehi, memory_order_relaxed);
	atomic_store_explicit(&s->rule, rule, memory_order_relaxed);
	atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
}

/* ---- reading .eh_frame ---- */

typedef struct reader {
	const uint8_t *p, *end;
	int bad;
} reader;

static uint64_t rd_fixed(reader *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return 0;
	}
	uint64_t v = 0;
	memcpy(&v, r->p, n); /* little-endian */
	r->p += n;
	return v;
}

static uint64_t rd_uleb(reader *r)
{
	uint64_t v = 0;
	for (unsigned shift = 0; !r->bad; shift += 7) {
		if (r->p >= r->end || shift > 63) {
			r->bad = 1;
			break;
		}
		uint8_t b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	return 0;
}

static int64_t rd_sleb(reader *r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b = 0;
	do {
		if (r->bad || r->p >= r->end || shift > 63) {
			r->bad = 1;
			return 0;
		}
		b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	return (int64_t)v;
}

/* Reads a pointer in DW_EH_PE encoding enc (absolute, pc-relative or relative to datarel).
 * Indirect pointers are read as their address: only their size matters here. */
static uint64_t rd_enc(reader *r, uint8_t enc, uint64_t datarel)
{
	uint64_t at = (uint64_t)(uintptr_t)r->p, v;
	switch (enc & 0x0f) {
	case 0x00: v = rd_fixed(r, 8); break;
	case 0x01: v = rd_uleb(r); break;
	case 0x02: v = rd_fixed(r, 2); break;
	case 0x03: v = rd_fixed(r, 4); break;
	case 0x04: v = rd_fixed(r, 8); break;
	case 0x09: v = (uint64_t)rd_sleb(r); break;
	case 0x0a: v = (uint64_t)(int64_t)(int16_t)rd_fixed(r, 2); break;
	case 0x0b: v = (uint64_t)(int64_t)(int32_t)rd_fixed(r, 4); break;
	case 0x0c: v = rd_fixed(r, 8); break;
	default: r->bad = 1; return 0;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case 0x10: v += at; break;
	case 0x30: v += datarel; break;
	default: r->bad = 1; return 0;
	}
	return v;
}

/* One CIE's parameters. */
typedef struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint8_t fde_enc;
	int has_z;
	const uint8_t *insns, *end;
} cie;

/* Reads a length-prefixed CIE or FDE record at p; sets body to what follows the length. */
static int rd_record(const uint8_t *p, reader *body)
{
	reader r = {p, p + 12, 0};
	uint64_t len = rd_fixed(&r, 4);
	if (r.bad || len == 0 || len >= 0xfffffff0u)
		return -1; /* 64-bit records are not emitted for x86-64 code: decline */
	body->p = r.p;
	body->end = r.p + len;
	body->bad = 0;
	return 0;
}

static int parse_cie(const uint8_t *p, uint64_t datarel, cie *c)
{
	reader r;
	if (rd_record(p, &r) != 0 || rd_fixed(&r, 4) != 0)
		return -1; /* not a CIE */
	uint8_t version = (uint8_t)rd_fixed(&r, 1);
	if (r.bad || (version != 1 && version != 3))
		return -1;
	const char *aug = (const char *)r.p;
	size_t alen = strnlen(aug, (size_t)(r.end - r.p));
	if (alen == (size_t)(r.end - r.p))
		return -1;
	r.p += alen + 1;
	c->code_align = rd_uleb(&r);
	c->data_align = rd_sleb(&r);
	uint64_t ra = version == 1 ? rd_fixed(&r, 1) : rd_uleb(&r);
	if (r.bad || ra != DW_RA)
		return -1;
	c->fde_enc = 0; /* absptr */
	c->has_z = aug[0] == 'z';
	if (c->has_z) {
		uint64_t n = rd_uleb(&r);
		if (r.bad || n > (uint64_t)(r.end - r.p))
			return -1;
		reader a = {r.p, r.p + n, 0};
		for (const char *s = aug + 1; *s; s++) {
			if (*s == 'R') {
				c->fde_enc = (uint8_t)rd_fixed(&a, 1);
			} else if (*s == 'L') {
				rd_fixed(&a, 1);
			} else if (*s == 'P') {
				uint8_t pe = (uint8_t)rd_fixed(&a, 1);
				rd_enc(&a, pe & 0x7f, datarel);
			} else {
				return -1; /* 'S' (signal frame) and anything unknown */
			}
		}
		if (a.bad)
			return -1;
		r.p += n;
	} else if (aug[0] != '\0') {
		return -1;
	}
	c->insns = r.p;
	c->end = r.end;
	return r.bad ? -1 : 0;
}

static void set_reg(cfa_state *st, uint64_t reg, int kind, int64_t off)
{
	if (reg == DW_RBP) {
		st->rbp_kind = kind;
		st->rbp_off = off;
	} else if (reg == DW_RA) {
		st->ra_kind = kind;
		st->ra_off = off;
	}
}

static void restore_reg(cfa_state *st, const cfa_state *init, uint64_t reg)
{
	if (reg == DW_RBP) {
		st->rbp_kind = init->rbp_kind;
		st->rbp_off = init->rbp_off;
	} else if (reg == DW_RA) {
		st->ra_kind = init->ra_kind;
		st->ra_off = init->ra_off;
	}
}

#define REMEMBER_MAX 8

/* Runs the CFA program [p, end) from location *loc up to `target` (the rules that hold at target
 * stay in st).  init holds the CIE's rules (for DW_CFA_restore).  0, or -1 on anything not
 * understood. */
static int run_cfa(const uint8_t *p, const uint8_t *end, const cie *c, uint64_t datarel,
		   uint64_t *loc, uint64_t target, cfa_state *st, const cfa_state *init)
{
	cfa_state saved[REMEMBER_MAX];
	int nsaved = 0;
	reader r = {p, end, 0};
	while (r.p < r.end && !r.bad) {
		uint8_t op = *r.p++;
		uint64_t reg, delta = 0;
		int advance = 0;
		switch (op & 0xc0) {
		case 0x40:
			delta = (uint64_t)(op & 0x3f) * c->code_align;
			advance = 1;
			break;
		case 0x80:
			set_reg(st, op & 0x3f, K_OFFSET, (int64_t)rd_uleb(&r) * c->data_align);
			continue;
		case 0xc0:
			restore_reg(st, init, op & 0x3f);
			continue;
		default: break;
		}
		if (!advance) {
			switch (op) {
			case 0x00: continue; /* nop */
			case 0x01: { /* set_loc */
				uint64_t to = rd_enc(&r, c->fde_enc, datarel);
				if (r.bad)
					return -1;
				if (to > target)
					return 0;
				*loc = to;
				continue;
			}
			case 0x02: delta = rd_fixed(&r, 1) * c->code_align; break;
			case 0x03: delta = rd_fixed(&r, 2) * c->code_align; break;
			case 0x04: delta = rd_fixed(&r, 4) * c->code_align; break;
			case 0x05: /* offset_extended */
				reg = rd_uleb(&r);
				set_reg(st, reg, K_OFFSET, (int64_t)rd_uleb(&r) * c->data_align);
				continue;
			case 0x06: restore_reg(st, init, rd_uleb(&r)); continue;
			case 0x07: set_reg(st, rd_uleb(&r), K_UNDEF, 0); continue;
			case 0x08: set_reg(st, rd_uleb(&r), K_SAME, 0); continue;
			case 0x09: /* register */
				reg = rd_uleb(&r);
				rd_uleb(&r);
				set_reg(st, reg, K_OTHER, 0);
				continue;
			case 0x0a: /* remember_state */
				if (nsaved == REMEMBER_MAX)
					return -1;
				saved[nsaved++] = *st;
				continue;
			case 0x0b: /* restore_state: every rule, the CFA's too */
				if (nsaved == 0)
					return -1;
				*st = saved[--nsaved];
				continue;
			case 0x0c: /* def_cfa */
				st->cfa_reg = (int)rd_uleb(&r);
				st->cfa_off = (int64_t)rd_uleb(&r);
				continue;
			case 0x0d: st->cfa_reg = (int)rd_uleb(&r); continue;
			case 0x0e: st->cfa_off = (int64_t)rd_uleb(&r); continue;
			case 0x0f: { /* def_cfa_expression */
				uint64_t n = rd_uleb(&r);
				if (r.bad || n > (uint64_t)(r.end - r.p))
					return -1;
				r.p += n;
				st->cfa_reg = -1;
				continue;
			}
			case 0x10:   /* expression */
			case 0x16: { /* val_expression */
				reg = rd_uleb(&r);
				uint64_t n = rd_uleb(&r);
				if (r.bad || n > (uint64_t)(r.end - r.p))
					return -1;
				r.p += n;
				set_reg(st, reg, K_OTHER, 0);
				continue;
			}
			case 0x11: /* offset_extended_sf */
				reg = rd_uleb(&r);
				set_reg(st, reg, K_OFFSET, rd_sleb(&r) * c->data_align);
				continue;
			case 0x12: /* def_cfa_sf */
				st->cfa_reg = (int)rd_uleb(&r);
				st->cfa_off = rd_sleb(&r) * c->data_align;
				continue;
			case 0x13: st->cfa_off = rd_sleb(&r) * c->data_align; continue;
			case 0x14: /* val_offset */
				reg = rd_uleb(&r);
				rd_uleb(&r);
				set_reg(st, reg, K_OTHER, 0);
				continue;
			case 0x15: /* val_offset_sf */
				reg = rd_uleb(&r);
				rd_sleb(&r);
				set_reg(st, reg, K_OTHER, 0);
				continue;
			case 0x2e: rd_uleb(&r); continue; /* GNU_args_size: no effect on the CFA */
			case 0x2f: /* GNU_negative_offset_extended */
				reg = rd_uleb(&r);
				set_reg(st, reg, K_OFFSET, -(int64_t)rd_uleb(&r) * c->data_align);
				continue;
			default: return -1;
			}
		}
		if (r.bad)
			return -1;
		if (*loc + delta > target)
			return 0; /* the rules in st hold at target */
		*loc += delta;
	}
	return r.bad ? -1 : 0;
}

/* Computes the rule for instruction address pc (0 = decline). */
static uint32_t find_rule(uint64_t pc)
{
	struct dl_find_object fo;
	if (!_dl_find_object || _dl_find_object((void *)(uintptr_t)pc, &fo) != 0 || !fo.dlfo_eh_frame)
		return 0;
	/* .eh_frame_hdr: version, eh_frame_ptr encoding, fde_count encoding, table encoding. */
	const uint8_t *hdr = fo.dlfo_eh_frame;
	uint64_t datarel = (uint64_t)(uintptr_t)hdr;
	if (hdr[0] != 1 || hdr[3] != 0x3b) /* the table as every linker writes it: datarel sdata4 */
		return 0;
	reader r = {hdr + 4, hdr + 4 + 16, 0};
	rd_enc(&r, hdr[1], datarel);
	uint64_t count = rd_enc(&r, hdr[2], datarel);
	if (r.bad || count == 0 || count > (1u << 28))
		return 0;
	const int32_t *tab = (const int32_t *)(const void *)r.p; /* 4-byte aligned by the format */
	int64_t rel = (int64_t)(pc - datarel);
	if (rel < tab[0])
		return 0;
	uint64_t lo = 0, hi = count; /* last entry with initial location <= pc */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (tab[2 * mid] <= rel)
			lo = mid;
		else
			hi = mid;
	}
	const uint8_t *fde = hdr + tab[2 * lo + 1];
	reader f;
	if (rd_record(fde, &f) != 0)
		return 0;
	const uint8_t *idp = f.p;
	uint32_t cie_off = (uint32_t)rd_fixed(&f, 4);
	if (f.bad || cie_off == 0)
		return 0;
	cie c;
	if (parse_cie(idp - cie_off, datarel, &c) != 0)
		return 0;
	uint64_t begin = rd_enc(&f, c.fde_enc, datarel);
	uint64_t range = rd_enc(&f, c.fde_enc & 0x0f, datarel);
	if (f.bad || pc < begin || pc - begin >= range)
		return 0;
	if (c.has_z) {
		uint64_t n = rd_uleb(&f);
		if (f.bad || n > (uint64_t)(f.end - f.p))
			return 0;
		f.p += n;
	}
	cfa_state st = {.cfa_reg = -1, .rbp_kind = K_SAME, .ra_kind = K_SAME};
	uint64_t loc = begin;
	if (run_cfa(c.insns, c.end, &c, datarel, &loc, UINT64_MAX, &st, &st) != 0)
		return 0;
	loc = begin;
	cfa_state init = st;
	if (run_cfa(f.p, f.end, &c, datarel, &loc, pc, &st, &init) != 0)
		return 0;

	if ((st.cfa_reg != DW_RSP && st.cfa_reg != DW_RBP) || st.cfa_off < 8 || st.cfa_off > R_CFA_MAX)
		return 0;
	uint32_t rule = R_OK | (uint32_t)st.cfa_off << R_CFA_SHIFT;
	if (st.cfa_reg == DW_RBP)
		rule |= R_CFA_RBP;
	if (st.ra_kind == K_UNDEF)
		rule |= R_LAST;
	else if (st.ra_kind != K_OFFSET || st.ra_off != -8)
		return 0;
	if (st.rbp_kind == K_OFFSET) {
		if (st.rbp_off % 8 || st.rbp_off < -128 * 8 || st.rbp_off > 127 * 8)
			return 0;
		rule |= R_RBP_SAVED | ((uint32_t)(st.rbp_off / 8) & 0xff) << R_RBP_SHIFT;
	} else if (st.rbp_kind != K_SAME) {
		return 0;
	}
	return rule;
}

/* Each thread keeps the rules it used last in a small direct-mapped table of its own (in the
 * caller's unwind_thread memory, not in TLS: static TLS is carved out of every thread's stack): a
 * frame then costs one plain load and compare instead of a probe of the shared table. */
#define TL_SLOTS 512
struct tl_rule {
	uint64_t key;
	uint64_t rule; /* the rule, and the epoch's bits above the key's 16 in the upper half */
};

struct unwind_walks;
struct unwind_thread {
	struct tl_rule rules[TL_SLOTS];
	struct unwind_walks *walks; /* cache of recent walks, mapped after WC_AFTER captures */
	uint32_t captures;
};
_Static_assert(sizeof(struct unwind_thread) <= UNWIND_THREAD_BYTES, "UNWIND_THREAD_BYTES");

static inline uint32_t rule_for(unwind_thread *th, uint64_t pc, uint64_t epoch)
{
	uint64_t key = key_of(pc, epoch), ehi = epoch >> 16;
	struct tl_rule *t = &th->rules[(pc ^ (pc >> 9)) & (TL_SLOTS - 1)];
	if (__builtin_expect(t->key == key && t->rule >> 32 == (ehi & 0xffffffffu), 1))
		return (uint32_t)t->rule;
	int64_t r = table_get(key, ehi);
	uint32_t rule;
	if (r >= 0) {
		rule = (uint32_t)r;
	} else {
		rule = find_rule(pc);
		table_put(key, ehi, rule);
	}
	t->key = key;
	t->rule = rule | (ehi & 0xffffffffu) << 32; /* 2^48 epochs: more dlcloses than can be */
	return rule;
}

int unwind_init(void)
{
	if (table)
		return 0;
	if (!_dl_find_object)
		return -1;
	table = prim_map(UNWIND_SLOTS * sizeof(unwind_slot));
	return table ? 0 : -1;
}

#define MAX_FRAME (16u << 20) /* a step that moves the stack pointer further is not believed */

/* ---- the per-thread cache of recent walks ----
 *
 * Consecutive allocations of a thread mostly share the outer part of their stacks (main, the
 * event loop, the request handler...).  A thread keeps its last WC_WALKS complete walks: for each
 * frame, the registers the walk had there (sp, pc, bp) and the rule it used.  A walk is a function
 * of the registers at its first frame and of the memory words it read (the saved return addresses
 * and RBPs), nothing else.  So when a new walk reaches a frame with the same sp and pc as frame k
 * of a cached walk (and the same bp, if the rest of that walk used bp before reloading it), and
 * every word the cached walk read from frame k outwards still holds the value it read then, the
 * rest of the new walk is the rest of the cached one, frame for frame: it is copied instead of
 * walked.  Checking costs one load per frame, with no dependency between the loads; the words are
 * checked from the outermost inwards, where the stacks of different callers differ first.
 *
 * Only this thread's own walks are used, so every word checked lies between the current stack
 * pointer and the base of the same stack.  Walks are indexed by (sp, pc) at every WC_EVERY-th
 * frame counted from the outermost, so that walks that share a suffix share index positions. */
#define WC_WALKS 32
#define WC_FRAMES 160   /* longer walks are not cached */
#define WC_INDEX_BITS 9 /* buckets of WC_WAYS entries */
#define WC_WAYS 4
#define WC_EVERY 2
#define WC_AFTER 32 /* captures before a thread maps its cache (short-lived threads never do) */

typedef struct wc_walk {
	uint64_t epoch;
	uint32_t n;      /* frames; 0 = empty */
	uint32_t zero_end; /* 1: ended on a zero return address read at end_cfa - 8 */
	uint64_t end_cfa;
	/* One record per frame, so that a short walk touches one page, not one per field. */
	struct wc_frame {
		uint64_t sp, pc, bp;
		uint64_t sh;     /* stack hash fold of the call sites of frames j..n-1 */
		uint32_t rule;
		uint32_t need_bp; /* the rest of the walk uses bp as it is at this frame */
	} f[WC_FRAMES];
} wc_walk;

typedef struct wc_ent {
	uint64_t sp, pc;
	uint32_t w, k;
} wc_ent;

typedef struct unwind_walks {
	uint32_t next; /* the walk slot to fill next (round robin) */
	wc_ent index[1u << WC_INDEX_BITS][WC_WAYS];
	wc_walk walk[WC_WALKS];
} unwind_walks;

static inline uint32_t wc_slot(uint64_t sp, uint64_t pc)
{
	uint64_t h = (sp ^ (pc * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> (64 - WC_INDEX_BITS));
}

static inline uint64_t rbp_slot(uint32_t rule, uint64_t cfa)
{
	return cfa + (uint64_t)((int64_t)(int8_t)((rule >> R_RBP_SHIFT) & 0xff) * 8);
}

static inline uint64_t word(uint64_t addr) { return *(const volatile uint64_t *)(uintptr_t)addr; }

/* Frames k.. of walk W are the rest of the current walk (see above): 1 or 0. */
static int wc_valid(const wc_walk *W, uint32_t k, uint64_t bp)
{
	if (W->f[k].need_bp && W->f[k].bp != bp)
		return 0;
	if (W->zero_end && word(W->end_cfa - 8) != 0)
		return 0;
	for (uint32_t j = W->n - 1; j > k; j--) { /* the words frame j-1 read */
		if (word(W->f[j].sp - 8) != W->f[j].pc)
			return 0;
		uint32_t r = W->f[j - 1].rule;
		if ((r & R_RBP_SAVED) && word(rbp_slot(r, W->f[j].sp)) != W->f[j].bp)
			return 0;
	}
	return 1;
}

/* Makes walk W (n frames, filled; sh[] already valid from frame `known` on) usable: suffix
 * hashes, bp needs, then index entries. */
static void wc_commit(unwind_walks *c, wc_walk *W, uint32_t n, uint32_t known, int zero_end,
		      uint64_t end_cfa)
{
	uint64_t h = known < n ? W->f[known].sh : STACKTAB_HASH_SEED;
	for (uint32_t j = known; j-- > 0;)
		W->f[j].sh = h = stacktab_hash_fold(h, W->f[j].pc - 1);
	uint8_t need = zero_end ? (W->f[n - 1].rule & R_CFA_RBP) != 0 : 0;
	W->f[n - 1].need_bp = need;
	for (uint32_t j = n - 1; j-- > 0;) {
		uint32_t r = W->f[j].rule;
		need = (r & R_CFA_RBP) || (!(r & R_RBP_SAVED) && need);
		W->f[j].need_bp = need;
	}
	W->zero_end = (uint32_t)zero_end;
	W->end_cfa = end_cfa;
	W->n = n;
	uint32_t w = (uint32_t)(W - c->walk);
	for (uint32_t j = n; j-- > 0;) {
		if ((n - 1 - j) % WC_EVERY)
			continue;
		/* Newest first; the bucket's oldest entry goes. */
		wc_ent *b = c->index[wc_slot(W->f[j].sp, W->f[j].pc)], *e = &b[0];
		memmove(&b[1], &b[0], (WC_WAYS - 1) * sizeof(*b));
		e->sp = W->f[j].sp;
		e->pc = W->f[j].pc;
		e->w = w;
		e->k = j;
	}
	c->next = (c->next + 1) % WC_WALKS;
}

/* Copies the rest of a cached walk when one matches the frame (sp, pc, bp) reached after n
 * walked frames; returns the new total of frames, or -1.  When many frames had to be walked
 * first, the combined walk is cached too (into `filling`), so that the next stack of the same
 * shape finds it early. */
static inline int wc_try(unwind_walks *c, uint64_t sp, uint64_t pc, uint64_t bp, uint64_t epoch,
			 wc_walk *filling, void **ips, int n, int max, unwind_suffix *sfx)
{
	const wc_ent *b = c->index[wc_slot(sp, pc)];
	const wc_walk *W = NULL;
	uint32_t k = 0;
	for (int i = 0; i < WC_WAYS; i++) {
		const wc_ent *e = &b[i];
		if (e->sp != sp || e->pc != pc)
			continue;
		const wc_walk *C = &c->walk[e->w];
		if (C != filling && e->k < C->n && C->epoch == epoch && C->f[e->k].sp == sp &&
		    C->f[e->k].pc == pc && wc_valid(C, e->k, bp)) {
			W = C;
			k = e->k;
			break;
		}
	}
	if (!W)
		return -1;
	int total = n;
	for (uint32_t j = k; j < W->n && total < max; j++)
		ips[total++] = (void *)(uintptr_t)W->f[j].pc;
	uint32_t rest = W->n - k;
	if (total == n + (int)rest) { /* not cut by max: the suffix is whole */
		sfx->from = n;
		sfx->hash = W->f[k].sh;
	}
	if (n >= 8 && (uint64_t)n + rest <= WC_FRAMES && total < max) {
		memcpy(&filling->f[n], &W->f[k], rest * sizeof(W->f[0]));
		wc_commit(c, filling, (uint32_t)n + rest, (uint32_t)n, (int)W->zero_end,
			  W->end_cfa);
	}
	return total;
}

void unwind_thread_reset(unwind_thread *th)
{
	if (th->walks)
		prim_unmap(th->walks, sizeof(unwind_walks));
	th->walks = NULL;
	th->captures = 0;
}

int unwind_backtrace(unwind_thread *th, const unwind_regs *start, void **ips,
					  int max, uint64_t epoch, unwind_suffix *sfx)
{
	sfx->from = -1; /* nothing known (set when a whole suffix is) */
	if (!table)
		return -1;
	uint64_t pc = start->pc, sp = start->sp, bp = start->bp, look = pc - 1;
	unwind_walks *c = th->walks;
	if (__builtin_expect(!c, 0) && ++th->captures == WC_AFTER)
		c = th->walks = prim_map(sizeof(unwind_walks));
	wc_walk *W = NULL; /* the slot this walk is recorded into */
	if (c) {
		W = &c->walk[c->next];
		W->n = 0; /* invalid while it is being filled */
		W->epoch = epoch;
	}
	int n = 0, zero_end = 0;
	uint64_t cfa = 0;
	while (n < max) {
		if (c) {
			int m = wc_try(c, sp, pc, bp, epoch, W, ips, n, max, sfx);
			if (m >= 0)
				return m;
		}
		uint32_t rule = rule_for(th, look, epoch);
		if (!(rule & R_OK))
			return -1;
		if (W && n < WC_FRAMES) {
			W->f[n].sp = sp;
			W->f[n].pc = pc;
			W->f[n].bp = bp;
			W->f[n].rule = rule;
		}
		ips[n++] = (void *)(uintptr_t)pc;
		if (rule & R_LAST)
			break;
		cfa = ((rule & R_CFA_RBP) ? bp : sp) + (rule >> R_CFA_SHIFT);
		if (cfa <= sp || cfa - sp > MAX_FRAME || (cfa & 7))
			return -1;
		uint64_t ra = *(const uint64_t *)(uintptr_t)(cfa - 8);
		if (rule & R_RBP_SAVED)
			bp = *(const uint64_t *)(uintptr_t)rbp_slot(rule, cfa);
		sp = cfa;
		pc = ra;
		if (!pc) {
			zero_end = 1;
			break;
		}
		look = pc - 1;
	}
	/* Only whole walks are kept: one cut by max would not tell where the stack really ends. */
	sfx->from = n;
	sfx->hash = STACKTAB_HASH_SEED;
	if (W && n > 0 && n <= WC_FRAMES && (n < max || zero_end || (W->f[n - 1].rule & R_LAST))) {
		wc_commit(c, W, (uint32_t)n, (uint32_t)n, zero_end, cfa);
		sfx->from = 0; /* the whole walk is known now */
		sfx->hash = W->f[0].sh;
	}
	return n;
}

#else /* not x86-64: always libunwind */

int unwind_init(void) { return -1; }
void unwind_thread_reset(unwind_thread *th) { (void)th; }
int unwind_backtrace(unwind_thread *th, const unwind_regs *start, void **ips, int max, uint64_t epoch,
		 unwind_suffix *sfx)
{
	(void)th;
	(void)sfx;
	(void)start;
	(void)ips;
	(void)max;
	(void)epoch;
	return -1;
}

#endif
