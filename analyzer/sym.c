/*
 * sym.c: symbolization of recorded addresses with elfutils (see sym.h).
 *
 * Module records are kept in the order they were added, each valid in the stack epochs
 * [epoch, end).  Records that name the same file with the same build-id share one `sym_file`,
 * which owns a Dwfl session holding that single ELF file reported at bias 0; an address is looked
 * up there at its module offset (address - recorded bias), so a library loaded at another place
 * after a dlclose/dlopen reuses the same debug information.  A file is opened on first use: a
 * missing file, a file that is not ELF or whose build-id differs from the recorded one marks
 * every frame of that module `module_missing` and is never symbolized.
 *
 * Two caches make a repeated look-up free: (epoch, address) -> frames handed out, and
 * (file, module offset) -> the symbolic part (function, file, line, inlined chain), which is the
 * only place libdw is called.  Every string and array handed out lives in an arena that sym_free
 * releases; function and file names are interned.
 */
#include "sym.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libelf.h>
#include <libiberty/demangle.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- arena: bump allocation in chunks, freed all at once ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	max_align_t data[]; /* cap bytes */
};

struct arena {
	struct arena_chunk *head;
};

#define ARENA_CHUNK (64u * 1024u)

static void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	struct arena_chunk *c = a->head;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		if (a->head && n > ARENA_CHUNK) {
			/* keep filling the current chunk: put the big one behind it */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

static void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- hash table: (u64, u64) -> pointer, open addressing ---- */

struct pair_slot {
	uint64_t a, b;
	void *val; /* NULL: empty */
};

struct pair_table {
	struct pair_slot *slot;
	size_t cap; /* power of two or 0 */
	size_t len;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t pair_hash(uint64_t a, uint64_t b)
{
	return mix64(a * 0x9e3779b97f4a7c15ULL ^ mix64(b));
}

static void *pair_get(const struct pair_table *t, uint64_t a, uint64_t b)
{
	if (!t->cap)
		return NULL;
	size_t mask = t->cap - 1;
	for (size_t i = (size_t)pair_hash(a, b) & mask;; i = (i + 1) & mask) {
		const struct pair_slot *s = &t->slot[i];
		if (!s->val)
			return NULL;
		if (s->a == a && s->b == b)
			return s->val;
	}
}

static int pair_grow(struct pair_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 256;
	struct pair_slot *slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return SYM_ENOMEM;
	for (size_t j = 0; j < t->cap; j++) {
		const struct pair_slot *o = &t->slot[j];
		if (!o->val)
			continue;
		size_t i = (size_t)pair_hash(o->a, o->b) & (cap - 1);
		while (slot[i].val)
			i = (i + 1) & (cap - 1);
		slot[i] = *o;
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

/* Inserts a key known to be absent. */
static int pair_put(struct pair_table *t, uint64_t a, uint64_t b, void *val)
{
	if ((t->len + 1) * 2 > t->cap) {
		int err = pair_grow(t);
		if (err)
			return err;
	}
	size_t mask = t->cap - 1;
	size_t i = (size_t)pair_hash(a, b) & mask;
	while (t->slot[i].val)
		i = (i + 1) & mask;
	t->slot[i] = (struct pair_slot){ a, b, val };
	t->len++;
	return 0;
}

/* ---- string interning ---- */

struct str_table {
	const char **slot;
	uint64_t *hash;
	size_t cap, len;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static int str_grow(struct str_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 256;
	const char **slot = calloc(cap, sizeof(*slot));
	uint64_t *hash = calloc(cap, sizeof(*hash));
	if (!slot || !hash) {
		free(slot);
		free(hash);
		return SYM_ENOMEM;
	}
	for (size_t j = 0; j < t->cap; j++) {
		if (!t->slot[j])
			continue;
		size_t i = (size_t)t->hash[j] & (cap - 1);
		while (slot[i])
			i = (i + 1) & (cap - 1);
		slot[i] = t->slot[j];
		hash[i] = t->hash[j];
	}
	free(t->slot);
	free(t->hash);
	t->slot = slot;
	t->hash = hash;
	t->cap = cap;
	return 0;
}

/* ---- the context ---- */

struct sym_file {
	char *path;
	uint8_t build_id[TF_MAX_BUILD_ID];
	size_t build_id_len;
	int state; /* 0: not opened yet, 1: usable, -1: missing, not ELF or build-id mismatch */
	Dwfl *dwfl;
	Dwfl_Module *mod;
	/* CU address ranges, built on first need when libdw finds no CU for an address (objects
	 * without .debug_aranges, as clang writes them, on elfutils before 0.192) */
	struct cu_range *cus;
	size_t ncus;
	int cus_built;
	/* subprograms with code, by address (see function_chain), built on first need */
	struct cu_range *fns;
	size_t nfns, capfns;
	int fns_built;
};

struct cu_range {
	Dwarf_Addr lo, hi; /* [lo, hi) in DWARF addresses */
	Dwarf_Die die;     /* a CU, or a subprogram */
};

struct sym_module {
	uint64_t id;
	uint64_t epoch, end; /* loaded in epochs [epoch, end) */
	uint64_t bias;
	const char *path; /* arena */
	uint32_t nseg;
	tf_segment *seg; /* arena */
	size_t file;     /* index into sym_ctx.files */
};

/* The symbolic part of a resolved address, shared by every load of the same file. */
struct sym_sym {
	const char *function, *file;
	unsigned line;
	int inlined;
};

struct sym_syms {
	int n;
	struct sym_sym *v;
};

struct sym_result {
	int n;
	sym_frame *frames;
};

struct sym_ctx {
	struct arena arena;
	struct sym_module *mods;
	size_t nmods, capmods;
	struct sym_file *files;
	size_t nfiles, capfiles;
	struct pair_table by_addr; /* (epoch, address) -> sym_result */
	struct pair_table by_off;  /* (file index, module offset) -> sym_syms */
	struct str_table strs;
};

const char *sym_strerror(int err)
{
	switch (err) {
	case SYM_OK: return "success";
	case SYM_ENOMEM: return "out of memory";
	case SYM_EINVAL: return "invalid argument";
	}
	return "unknown error";
}

/* Returns the interned copy of the string, or NULL when out of memory. */
static const char *intern(sym_ctx *s, const char *str)
{
	struct str_table *t = &s->strs;
	if ((t->len + 1) * 2 > t->cap && str_grow(t))
		return NULL;
	uint64_t h = str_hash(str);
	size_t mask = t->cap - 1;
	size_t i = (size_t)h & mask;
	for (; t->slot[i]; i = (i + 1) & mask)
		if (t->hash[i] == h && strcmp(t->slot[i], str) == 0)
			return t->slot[i];
	const char *p = arena_strndup(&s->arena, str, strlen(str));
	if (!p)
		return NULL;
	t->slot[i] = p;
	t->hash[i] = h;
	t->len++;
	return p;
}

int sym_create(sym_ctx **out)
{
	*out = NULL;
	sym_ctx *s = calloc(1, sizeof(*s));
	if (!s)
		return SYM_ENOMEM;
	elf_version(EV_CURRENT);
	*out = s;
	return 0;
}

void sym_free(sym_ctx *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nfiles; i++) {
		if (s->files[i].dwfl)
			dwfl_end(s->files[i].dwfl);
		free(s->files[i].cus);
		free(s->files[i].fns);
		free(s->files[i].path);
	}
	free(s->files);
	free(s->mods);
	free(s->by_addr.slot);
	free(s->by_off.slot);
	free(s->strs.slot);
	free(s->strs.hash);
	arena_release(&s->arena);
	free(s);
}

/* Returns the index of the file record for (path, build-id), adding it if needed, or -1. */
static long file_for(sym_ctx *s, const char *path, size_t path_len, const uint8_t *bid,
		     size_t bid_len)
{
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct sym_file *f = &s->files[i];
		if (strlen(f->path) == path_len && memcmp(f->path, path, path_len) == 0 &&
		    f->build_id_len == bid_len && memcmp(f->build_id, bid, bid_len) == 0)
			return (long)i;
	}
	if (s->nfiles == s->capfiles) {
		size_t cap = s->capfiles ? s->capfiles * 2 : 16;
		struct sym_file *files = realloc(s->files, cap * sizeof(*files));
		if (!files)
			return -1;
		s->files = files;
		s->capfiles = cap;
	}
	struct sym_file *f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = malloc(path_len + 1);
	if (!f->path)
		return -1;
	memcpy(f->path, path, path_len);
	f->path[path_len] = '\0';
	memcpy(f->build_id, bid, bid_len);
	f->build_id_len = bid_len;
	return (long)s->nfiles++;
}

int sym_add_module(sym_ctx *s, const tf_module *m)
{
	if (!s || !m || m->nseg > TF_MAX_SEGMENTS || m->build_id_len > TF_MAX_BUILD_ID ||
	    (m->path_len && !m->path))
		return SYM_EINVAL;
	if (s->nmods == s->capmods) {
		size_t cap = s->capmods ? s->capmods * 2 : 16;
		struct sym_module *mods = realloc(s->mods, cap * sizeof(*mods));
		if (!mods)
			return SYM_ENOMEM;
		s->mods = mods;
		s->capmods = cap;
	}
	const char *path = m->path ? m->path : "";
	long file = file_for(s, path, m->path_len, m->build_id, m->build_id_len);
	if (file < 0)
		return SYM_ENOMEM;
	struct sym_module *d = &s->mods[s->nmods];
	d->id = m->id;
	d->epoch = m->epoch;
	d->end = UINT64_MAX;
	d->bias = m->bias;
	d->path = intern(s, s->files[file].path);
	d->nseg = m->nseg;
	d->seg = arena_alloc(&s->arena, (m->nseg ? m->nseg : 1) * sizeof(tf_segment));
	d->file = (size_t)file;
	if (!d->path || !d->seg)
		return SYM_ENOMEM;
	memcpy(d->seg, m->seg, m->nseg * sizeof(tf_segment));
	s->nmods++;
	return 0;
}

int sym_unload_module(sym_ctx *s, uint64_t id, uint64_t epoch)
{
	if (!s)
		return SYM_EINVAL;
	/* the most recent load of that id that is still loaded */
	for (size_t i = s->nmods; i-- > 0;) {
		struct sym_module *m = &s->mods[i];
		if (m->id == id && m->end == UINT64_MAX) {
			m->end = epoch;
			return 0;
		}
	}
	return SYM_EINVAL;
}

/* ---- demangling ---- */

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int is_ident(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c == '$';
}

/* Removes every Rust legacy hash segment "::h<16 hex>" that ends a path, in place. */
static void strip_rust_hash(char *s)
{
	char *w = s;
	for (const char *r = s; *r;) {
		if (r[0] == ':' && r[1] == ':' && r[2] == 'h') {
			int k = 0;
			while (k < 16 && is_hex(r[3 + k]))
				k++;
			if (k == 16 && !is_ident(r[19])) {
				r += 19;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
}

/* A legacy Rust symbol: _ZN ... 17h<16 hex>E, possibly followed by a ".llvm.*"-like suffix. */
static int looks_rust_legacy(const char *name)
{
	if (strncmp(name, "_ZN", 3) != 0)
		return 0;
	const char *p = strstr(name, "17h");
	for (; p; p = strstr(p + 1, "17h")) {
		int k = 0;
		while (k < 16 && is_hex(p[3 + k]))
			k++;
		if (k == 16 && p[19] == 'E' && (p[20] == '\0' || p[20] == '.'))
			return 1;
	}
	return 0;
}

char *sym_demangle(const char *name)
{
	if (!name)
		return NULL;
	char *out = NULL;
	if (strncmp(name, "_R", 2) == 0) {
		out = cplus_demangle(name, DMGL_RUST);
	} else if (strncmp(name, "_Z", 2) == 0) {
		if (looks_rust_legacy(name))
			out = cplus_demangle(name, DMGL_RUST);
		if (!out)
			out = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI);
	}
	if (out)
		strip_rust_hash(out);
	return out;
}

/* ---- libdw ---- */

static const Dwfl_Callbacks dwfl_cb = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = NULL, /* the default: next to the file, .debug/, /usr/lib/debug */
};

static void file_open(struct sym_file *f)
{
	f->state = -1;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	f->dwfl = dwfl_begin(&dwfl_cb);
	if (!f->dwfl) {
		close(fd);
		return;
	}
	dwfl_report_begin(f->dwfl);
	/* at bias 0: addresses in this session are module offsets */
	f->mod = dwfl_report_elf(f->dwfl, f->path, f->path, fd, 0, true);
	if (!f->mod)
		close(fd); /* consumed only on success */
	dwfl_report_end(f->dwfl, NULL, NULL);
	if (f->mod && f->build_id_len) {
		const unsigned char *bits = NULL;
		GElf_Addr vaddr;
		int n = dwfl_module_build_id(f->mod, &bits, &vaddr);
		if (n <= 0 || (size_t)n != f->build_id_len || memcmp(bits, f->build_id, (size_t)n) != 0)
			f->mod = NULL;
	}
	if (!f->mod) {
		dwfl_end(f->dwfl);
		f->dwfl = NULL;
		return;
	}
	f->state = 1;
}

static int is_function_die(Dwarf_Die *d)
{
	int tag = dwarf_tag(d);
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_entry_point;
}

static const char *die_linkage_name(Dwarf_Die *d)
{
	Dwarf_Attribute a;
	if (dwarf_attr_integrate(d, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(d, DW_AT_MIPS_linkage_name, &a))
		return dwarf_formstring(&a);
	return NULL;
}

/* Interns the demangled form of a symbol name, or the name itself when it is not mangled. */
static const char *intern_symbol(sym_ctx *s, const char *raw)
{
	if (strncmp(raw, "__GI_", 5) == 0 && raw[5]) /* glibc's internal alias of a function */
		raw += 5;
	char *d = sym_demangle(raw);
	const char *r = intern(s, d ? d : raw);
	free(d);
	return r;
}

static int is_mangled(const char *name)
{
	return name && name[0] == '_' && (name[1] == 'Z' || name[1] == 'R');
}

/* The name of a function DIE: its demangled linkage name, else (for the physical function) the
 * demangled ELF symbol, else DW_AT_name, else the linkage name or ELF symbol as they are.  A
 * linkage name that is not mangled is an asm label (glibc's __GI_ aliases): DW_AT_name wins. */
static const char *die_function_name(sym_ctx *s, Dwarf_Die *d, const char *elfsym)
{
	const char *link = die_linkage_name(d);
	if (is_mangled(link))
		return intern_symbol(s, link);
	if (is_mangled(elfsym))
		return intern_symbol(s, elfsym);
	const char *name = dwarf_diename(d);
	if (name)
		return intern(s, name);
	if (link)
		return intern_symbol(s, link);
	return elfsym ? intern_symbol(s, elfsym) : NULL;
}

/* The file and line of the call an inlined_subroutine DIE stands for. */
static void die_call_site(sym_ctx *s, Dwarf_Die *d, const char **file, unsigned *line)
{
	Dwarf_Attribute a;
	Dwarf_Word w;
	*file = NULL;
	*line = 0;
	if (dwarf_attr(d, DW_AT_call_line, &a) && dwarf_formudata(&a, &w) == 0)
		*line = (unsigned)w;
	Dwarf_Die cu;
	Dwarf_Files *files;
	if (dwarf_attr(d, DW_AT_call_file, &a) && dwarf_formudata(&a, &w) == 0 &&
	    dwarf_diecu(d, &cu, NULL, NULL) && dwarf_getsrcfiles(&cu, &files, NULL) == 0) {
		const char *f = dwarf_filesrc(files, (size_t)w, NULL, NULL);
		if (f)
			*file = intern(s, f);
	}
}

#define SYM_MAX_INLINE 64

static int cu_range_cmp(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void build_cu_ranges(struct sym_file *f)
{
	f->cus_built = 1;
	size_t cap = 0;
	Dwarf_Die *cu = NULL;
	Dwarf_Addr bias;
	while ((cu = dwfl_module_nextcu(f->mod, cu, &bias)) != NULL) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t it = 0;
		while ((it = dwarf_ranges(cu, it, &base, &lo, &hi)) > 0) {
			if (lo >= hi)
				continue;
			if (f->ncus == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct cu_range *r = realloc(f->cus, ncap * sizeof(*r));
				if (!r)
					return; /* best effort: the ranges so far */
				f->cus = r;
				cap = ncap;
			}
			f->cus[f->ncus++] = (struct cu_range){ lo, hi, *cu };
		}
	}
	if (f->ncus)
		qsort(f->cus, f->ncus, sizeof(*f->cus), cu_range_cmp);
}

/* The entry of a table sorted by lo whose [lo, hi) holds pc, or NULL. */
static struct cu_range *range_find(struct cu_range *t, size_t n, Dwarf_Addr pc)
{
	size_t lo = 0, hi = n; /* first entry with lo > pc */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0;) {
		if (pc < t[i].hi)
			return &t[i];
		if (lo - i > 8) /* ranges rarely nest; do not scan the whole table */
			break;
	}
	return NULL;
}

/* The CU DIE containing module offset `off`, and the DWARF bias; NULL when there is none. */
static Dwarf_Die *find_cu(struct sym_file *f, uint64_t off, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(f->mod, off, bias);
	if (cu)
		return cu;
	if (!dwfl_module_getdwarf(f->mod, bias))
		return NULL;
	if (!f->cus_built)
		build_cu_ranges(f);
	struct cu_range *r = range_find(f->cus, f->ncus, off - *bias);
	return r ? &r->die : NULL;
}

static void index_subprograms(struct sym_file *f, Dwarf_Die *parent, int depth)
{
	Dwarf_Die child, next;
	if (depth > 64 || dwarf_child(parent, &child) != 0)
		return;
	for (;;) {
		switch (dwarf_tag(&child)) {
		case DW_TAG_subprogram: {
			Dwarf_Addr base, lo, hi;
			ptrdiff_t it = 0;
			while ((it = dwarf_ranges(&child, it, &base, &lo, &hi)) > 0) {
				if (lo >= hi)
					continue;
				if (f->nfns == f->capfns) {
					size_t cap = f->capfns ? f->capfns * 2 : 256;
					struct cu_range *t = realloc(f->fns, cap * sizeof(*t));
					if (!t)
						return;
					f->fns = t;
					f->capfns = cap;
				}
				f->fns[f->nfns++] = (struct cu_range){ lo, hi, child };
			}
			break;
		}
		case DW_TAG_namespace:
		case DW_TAG_module:
		case DW_TAG_structure_type:
		case DW_TAG_class_type:
		case DW_TAG_union_type:
		case DW_TAG_interface_type:
			index_subprograms(f, &child, depth + 1);
			break;
		default:
			break;
		}
		if (dwarf_siblingof(&child, &next) != 0)
			break;
		child = next;
	}
}

/* The subprogram DIE whose code holds DWARF address pc, from the index of every CU. */
static Dwarf_Die *find_subprogram(struct sym_file *f, Dwarf_Addr pc)
{
	if (!f->fns_built) {
		f->fns_built = 1;
		Dwarf_Die *cu = NULL;
		Dwarf_Addr bias;
		while ((cu = dwfl_module_nextcu(f->mod, cu, &bias)) != NULL)
			index_subprograms(f, cu, 0);
		if (f->nfns)
			qsort(f->fns, f->nfns, sizeof(*f->fns), cu_range_cmp);
	}
	struct cu_range *r = range_find(f->fns, f->nfns, pc);
	return r ? &r->die : NULL;
}

/* Fills chain[] with the function DIEs at pc, innermost inlined instance first and the
 * subprogram last.  Returns their number (0 when no function is known).
 *
 * The subprogram comes from a per-file index (one pass over every CU, descending into
 * namespaces and types), then the blocks and inlined instances holding pc are followed down
 * from it.  dwarf_getscopes alone is no good here: it does not look inside DW_TAG_namespace,
 * where rustc puts every function, and it walks the CU from the top for every address.  It is
 * still the fallback for code the index does not cover (nested functions). */
static int function_chain(struct sym_file *f, Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *chain,
			  int max)
{
	int n = 0;
	Dwarf_Die *sp = find_subprogram(f, pc);
	if (sp) {
		Dwarf_Die cur = *sp, child, next;
		chain[n++] = cur;
		for (int depth = 0; depth < 256 && n < max; depth++) {
			int found = 0;
			if (dwarf_child(&cur, &child) == 0) {
				for (;;) {
					int tag = dwarf_tag(&child);
					if ((tag == DW_TAG_inlined_subroutine ||
					     tag == DW_TAG_lexical_block || tag == DW_TAG_try_block ||
					     tag == DW_TAG_catch_block || tag == DW_TAG_with_stmt) &&
					    dwarf_haspc(&child, pc) > 0) {
						found = 1;
						break;
					}
					if (dwarf_siblingof(&child, &next) != 0)
						break;
					child = next;
				}
			}
			if (!found)
				break;
			cur = child;
			if (dwarf_tag(&cur) == DW_TAG_inlined_subroutine)
				chain[n++] = cur;
		}
		for (int i = 0; i < n / 2; i++) { /* innermost first */
			Dwarf_Die t = chain[i];
			chain[i] = chain[n - 1 - i];
			chain[n - 1 - i] = t;
		}
		return n;
	}

	Dwarf_Die *scopes = NULL;
	int ns = dwarf_getscopes(cu, pc, &scopes);
	Dwarf_Die fn;
	int have_fn = 0;
	for (int i = 0; i < ns; i++) {
		if (is_function_die(&scopes[i])) {
			fn = scopes[i];
			have_fn = 1;
			break;
		}
	}
	free(scopes);
	scopes = NULL;
	if (!have_fn)
		return 0;
	/* the concrete scopes around the innermost function: inlined instances, then the
	 * subprogram they are inlined into */
	ns = dwarf_getscopes_die(&fn, &scopes);
	for (int i = 0; i < ns && n < max; i++) {
		if (!is_function_die(&scopes[i]))
			continue;
		chain[n++] = scopes[i];
		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			break;
	}
	free(scopes);
	return n;
}

/* Symbolizes module offset `off` of an open file.  Returns the cached entry or NULL (ENOMEM). */
static struct sym_syms *symbolize(sym_ctx *s, size_t fi, uint64_t off)
{
	struct sym_syms *r = pair_get(&s->by_off, fi, off);
	if (r)
		return r;
	struct sym_file *f = &s->files[fi];
	struct sym_sym v[SYM_MAX_INLINE];
	int n = 0;

	GElf_Off symoff;
	GElf_Sym elfsym;
	const char *symname = dwfl_module_addrinfo(f->mod, off, &symoff, &elfsym, NULL, NULL, NULL);
	Dwarf_Addr dbias = 0;
	Dwarf_Die *cu = find_cu(f, off, &dbias);
	const char *lfile = NULL;
	unsigned lline = 0;
	Dwarf_Line *dl = cu ? dwarf_getsrc_die(cu, off - dbias) : NULL;
	if (dl) {
		int ln = 0;
		const char *src = dwarf_linesrc(dl, NULL, NULL);
		if (src)
			lfile = intern(s, src);
		if (dwarf_lineno(dl, &ln) == 0 && ln > 0)
			lline = (unsigned)ln;
	}

	Dwarf_Die chain[SYM_MAX_INLINE];
	int nc = cu ? function_chain(f, cu, off - dbias, chain, SYM_MAX_INLINE) : 0;
	const char *file = lfile;
	unsigned line = lline;
	for (int i = 0; i < nc; i++) {
		Dwarf_Die *d = &chain[i];
		int inl = dwarf_tag(d) == DW_TAG_inlined_subroutine;
		v[n].function = die_function_name(s, d, inl ? NULL : symname);
		v[n].file = file;
		v[n].line = line;
		v[n].inlined = inl;
		n++;
		if (inl)
			die_call_site(s, d, &file, &line);
	}
	if (n > 0 && v[n - 1].inlined) {
		/* the chain ended without a subprogram: the last frame is the physical one */
		v[n - 1].inlined = 0;
	}
	if (n == 0) {
		v[0].function = symname ? intern_symbol(s, symname) : NULL;
		v[0].file = lfile;
		v[0].line = lline;
		v[0].inlined = 0;
		n = 1;
	}

	r = arena_alloc(&s->arena, sizeof(*r));
	struct sym_sym *copy = arena_alloc(&s->arena, (size_t)n * sizeof(*copy));
	if (!r || !copy)
		return NULL;
	memcpy(copy, v, (size_t)n * sizeof(*copy));
	r->n = n;
	r->v = copy;
	if (pair_put(&s->by_off, fi, off, r))
		return NULL;
	return r;
}

static const struct sym_module *find_module(const sym_ctx *s, uint64_t epoch, uint64_t addr)
{
	for (size_t i = s->nmods; i-- > 0;) {
		const struct sym_module *m = &s->mods[i];
		if (epoch < m->epoch || epoch >= m->end)
			continue;
		uint64_t off = addr - m->bias;
		for (uint32_t k = 0; k < m->nseg; k++)
			if (off >= m->seg[k].vaddr && off - m->seg[k].vaddr < m->seg[k].memsz)
				return m;
	}
	return NULL;
}

int sym_resolve(sym_ctx *s, uint64_t epoch, uint64_t addr, const sym_frame **frames)
{
	if (!s || !frames)
		return SYM_EINVAL;
	struct sym_result *res = pair_get(&s->by_addr, epoch, addr);
	if (res) {
		*frames = res->frames;
		return res->n;
	}
	sym_frame base = { .address = addr, .module = "[unknown]", .module_offset = addr };
	const struct sym_syms *syms = NULL;
	const struct sym_module *m = find_module(s, epoch, addr);
	if (m) {
		base.module = m->path;
		base.module_offset = addr - m->bias;
		struct sym_file *f = &s->files[m->file];
		if (f->state == 0)
			file_open(f);
		if (f->state < 0) {
			base.module_missing = 1;
		} else {
			syms = symbolize(s, m->file, base.module_offset);
			if (!syms)
				return SYM_ENOMEM;
		}
	}
	int n = syms ? syms->n : 1;
	res = arena_alloc(&s->arena, sizeof(*res));
	sym_frame *fr = arena_alloc(&s->arena, (size_t)n * sizeof(*fr));
	if (!res || !fr)
		return SYM_ENOMEM;
	for (int i = 0; i < n; i++) {
		fr[i] = base;
		if (syms) {
			fr[i].function = syms->v[i].function;
			fr[i].file = syms->v[i].file;
			fr[i].line = syms->v[i].line;
			fr[i].inlined = syms->v[i].inlined;
		}
	}
	res->n = n;
	res->frames = fr;
	if (pair_put(&s->by_addr, epoch, addr, res))
		return SYM_ENOMEM;
	*frames = fr;
	return n;
}

/* ---- frame classification ---- */

/*
 * Names are compared as "skeletons": the demangled name without template or generic arguments,
 * without the parameter list and what follows it (const, [clone .cold]), without a C++ return
 * type, and with a Rust inherent-impl self type `<path<T>>::f` written `path::f`.  Examples:
 *   void std::vector<int, std::allocator<int> >::_M_realloc_insert<int>(...)
 *                                                      -> std::vector::_M_realloc_insert
 *   operator new[](unsigned long, std::nothrow_t const&)   -> operator new[]
 *   <alloc::raw_vec::RawVec<u8>>::grow_one                 -> alloc::raw_vec::RawVec::grow_one
 *   <alloc::alloc::Global as core::alloc::Allocator>::allocate   (kept: trait impls keep <..>)
 *   <alloc::raw_vec::RawVecInner<_>>::reserve::do_reserve_and_handle::<alloc::alloc::Global>
 *                                    -> alloc::raw_vec::RawVecInner::reserve::do_reserve_and_handle
 * Patterns are fnmatch(3) globs over the whole skeleton, so "alloc::alloc::*" matches
 * "alloc::alloc::exchange_malloc" and never "my::alloc::alloc::f" or "alloc::alloc_x".
 */

#define SKEL_MAX 1024

struct skel {
	char buf[SKEL_MAX];
	size_t len;
	int overflow;
};

static void skel_put(struct skel *k, const char *p, size_t n)
{
	if (k->len + n >= SKEL_MAX) {
		k->overflow = 1;
		return;
	}
	memcpy(k->buf + k->len, p, n);
	k->len += n;
	k->buf[k->len] = '\0';
}

/* Index just past the bracket that closes the one at s[i] (open/close given), or n. */
static size_t skip_balanced(const char *s, size_t i, size_t n, char open, char close)
{
	int depth = 0;
	for (; i < n; i++) {
		if (s[i] == open)
			depth++;
		else if (s[i] == close && --depth == 0)
			return i + 1;
	}
	return n;
}

static size_t find_top_level(const char *s, size_t n, const char *what)
{
	size_t wl = strlen(what);
	int depth = 0;
	for (size_t i = 0; i + wl <= n; i++) {
		if (s[i] == '<')
			depth++;
		else if (s[i] == '>')
			depth--;
		else if (depth == 0 && memcmp(s + i, what, wl) == 0)
			return i;
	}
	return n;
}

static void skeleton(struct skel *k, const char *s, size_t n)
{
	static const char opchars[] = "+-*/%^&|~!=<>,[]()";
	size_t i = 0;
	while (i < n && !k->overflow) {
		char c = s[i];
		int seg_start = i == 0 || (i >= 2 && s[i - 1] == ':' && s[i - 2] == ':') ||
				s[i - 1] == ' ';
		if (c == '(' && n - i >= 21 && memcmp(s + i, "(anonymous namespace)", 21) == 0) {
			skel_put(k, s + i, 21);
			i += 21;
		} else if (seg_start && n - i >= 8 && memcmp(s + i, "operator", 8) == 0 &&
			   (i + 8 == n || !is_ident(s[i + 8]))) {
			size_t j = i + 8;
			if (j < n && s[j] == ' ' && j + 1 < n && (s[j + 1] == 'n' || s[j + 1] == 'd')) {
				/* operator new, operator new[], operator delete[] */
				j++;
				while (j < n && is_ident(s[j]))
					j++;
				if (n - j >= 2 && s[j] == '[' && s[j + 1] == ']')
					j += 2;
			} else if (n - j >= 2 && s[j] == '(' && s[j + 1] == ')') {
				j += 2;
			} else {
				while (j < n && strchr(opchars, s[j]) && s[j] != '(')
					j++;
			}
			skel_put(k, s + i, j - i);
			i = j;
		} else if (c == '<' && seg_start && n - i >= 6 && memcmp(s + i, "<impl ", 6) == 0) {
			/* legacy Rust impl block: keep as written */
			size_t j = skip_balanced(s, i, n, '<', '>');
			skel_put(k, s + i, j - i);
			i = j;
		} else if (c == '<' && (i == 0 || s[i - 1] == ' ') && !(i >= 2 && s[i - 1] == ':')) {
			/* qualified self type: <T as Trait>::f keeps its form, <T>::f becomes T::f */
			size_t j = skip_balanced(s, i, n, '<', '>');
			const char *in = s + i + 1;
			size_t inlen = j > i + 1 ? j - i - 2 : 0;
			size_t as = find_top_level(in, inlen, " as ");
			if (as < inlen) {
				skel_put(k, "<", 1);
				skeleton(k, in, as);
				skel_put(k, " as ", 4);
				skeleton(k, in + as + 4, inlen - as - 4);
				skel_put(k, ">", 1);
			} else {
				skeleton(k, in, inlen);
			}
			i = j;
		} else if (c == '<') {
			/* template or generic arguments (also the turbofish ::<..>) */
			i = skip_balanced(s, i, n, '<', '>');
			if (k->len >= 2 && k->buf[k->len - 1] == ':' && k->buf[k->len - 2] == ':') {
				k->len -= 2;
				k->buf[k->len] = '\0';
			}
		} else if (c == '[' && n - i >= 5 && memcmp(s + i, "[abi:", 5) == 0) {
			i = skip_balanced(s, i, n, '[', ']');
		} else if (c == '{') {
			size_t j = skip_balanced(s, i, n, '{', '}');
			skel_put(k, s + i, j - i);
			i = j;
		} else if (c == '(') {
			break; /* parameter list: the rest is not part of the name */
		} else if (c == ' ') {
			/* a space outside brackets ends a C++ return type */
			k->len = 0;
			k->buf[0] = '\0';
			i++;
		} else {
			skel_put(k, s + i, 1);
			i++;
		}
	}
}

static int match_any(const char *name, const char *const *pats, size_t npats)
{
	struct skel k = { .len = 0, .overflow = 0 };
	k.buf[0] = '\0';
	skeleton(&k, name, strlen(name));
	if (k.overflow)
		return 0;
	for (size_t i = 0; i < npats; i++)
		if (fnmatch(pats[i], k.buf, 0) == 0)
			return 1;
	return 0;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Allocator plumbing (skeletons, see above).  These sit between the user's call and malloc and
 * are folded out of a stack:
 *  - the malloc family and glibc's internal names for it;
 *  - C++: operator new / new[] (every overload); std::allocator, std::__new_allocator,
 *    __gnu_cxx::new_allocator, std::allocator_traits, __gnu_cxx::__alloc_traits ::allocate;
 *    the libstdc++ container helpers that only obtain memory (_M_allocate, _M_allocate_node,
 *    _M_allocate_buckets, _M_allocate_map, _M_get_node, _M_create_node, basic_string::_M_create);
 *    shared_ptr creation (std::make_shared, std::allocate_shared, std::__make_shared,
 *    std::__allocate_shared, std::__allocate_guarded, the shared_ptr / __shared_ptr /
 *    __shared_count constructors that allocate the control block) and std::make_unique.
 *    std::_Sp_counted_* never allocates (it is constructed in memory obtained above), so it is
 *    not listed;
 *  - Rust: __rust_alloc, __rust_alloc_zeroed, __rust_realloc, __rdl_alloc, __rdl_alloc_zeroed,
 *    __rdl_realloc, __rg_alloc, __rg_alloc_zeroed, __rg_realloc (bare, or under the __rustc::
 *    or std::alloc::__default_lib_allocator:: paths newer and older toolchains give them),
 *    alloc::alloc::*, alloc::raw_vec::*, <alloc::alloc::Global as core::alloc::Allocator>::*,
 *    the System allocator (<std::alloc::System as core::alloc::global::GlobalAlloc>::*, its
 *    legacy `<impl ... for std::alloc::System>` form, std::alloc::System::*,
 *    std::sys::*::aligned_malloc), and the constructors that only box a value:
 *    alloc::boxed::Box::new / new_uninit / new_zeroed / pin / try_new*, alloc::boxed::box_new*,
 *    alloc::rc::Rc::new, alloc::sync::Arc::new; and the internals of vec![x; n] and
 *    Vec::with_capacity (alloc::vec::from_elem, SpecFromElem::from_elem,
 *    alloc::vec::Vec::with_capacity_in).  Container methods the program calls itself
 *    (Vec::push, String::push_str, std::vector::push_back ...) are not plumbing and stay.
 */
static const char *const alloc_patterns[] = {
	"malloc", "calloc", "realloc", "reallocarray", "posix_memalign",
	"aligned_alloc", "memalign", "valloc", "pvalloc",
	"__libc_malloc", "__libc_calloc", "__libc_realloc", "__libc_reallocarray",
	"__libc_memalign", "__libc_valloc", "__libc_pvalloc", "__posix_memalign",
	"operator new", "operator new\\[\\]",
	"std::allocator::allocate", "std::__new_allocator::allocate",
	"__gnu_cxx::new_allocator::allocate", "std::allocator_traits::allocate",
	"__gnu_cxx::__alloc_traits::allocate",
	"std::*::_M_allocate", "std::*::_M_allocate_node", "std::*::_M_allocate_buckets",
	"std::*::_M_allocate_map", "std::*::_M_get_node", "std::*::_M_create_node",
	"std::basic_string::_M_create", "std::__cxx11::basic_string::_M_create",
	"std::make_shared", "std::allocate_shared", "std::__make_shared", "std::__allocate_shared",
	"std::__allocate_guarded", "std::shared_ptr::shared_ptr", "std::__shared_ptr::__shared_ptr",
	"std::__shared_count::__shared_count", "std::make_unique",
	"__rust_alloc", "__rust_alloc_zeroed", "__rust_realloc",
	"__rdl_alloc", "__rdl_alloc_zeroed", "__rdl_realloc",
	"__rg_alloc", "__rg_alloc_zeroed", "__rg_realloc",
	"__rustc::__rust_alloc", "__rustc::__rust_alloc_zeroed", "__rustc::__rust_realloc",
	"__rustc::__rdl_alloc", "__rustc::__rdl_alloc_zeroed", "__rustc::__rdl_realloc",
	"__rustc::__rg_alloc", "__rustc::__rg_alloc_zeroed", "__rustc::__rg_realloc",
	"std::alloc::__default_lib_allocator::__rdl_alloc",
	"std::alloc::__default_lib_allocator::__rdl_alloc_zeroed",
	"std::alloc::__default_lib_allocator::__rdl_realloc",
	"alloc::alloc::*", "alloc::raw_vec::*",
	"<alloc::alloc::Global as core::alloc::Allocator>::*",
	"<std::alloc::System as core::alloc::global::GlobalAlloc>::*",
	"std::sys::*<impl core::alloc::global::GlobalAlloc for std::alloc::System>::*",
	"std::alloc::System::*", "std::sys::*::aligned_malloc",
	"alloc::boxed::Box::new", "alloc::boxed::Box::new_uninit", "alloc::boxed::Box::new_zeroed",
	"alloc::boxed::Box::pin", "alloc::boxed::Box::try_new*", "alloc::boxed::box_new*",
	"alloc::rc::Rc::new", "alloc::sync::Arc::new",
	"alloc::vec::Vec::with_capacity_in", "alloc::vec::from_elem",
	"<* as alloc::vec::spec_from_elem::SpecFromElem>::from_elem",
};

int sym_is_alloc_frame(const sym_frame *f)
{
	if (!f || !f->function)
		return 0;
	return match_any(f->function, alloc_patterns, COUNT(alloc_patterns));
}

/*
 * Frames through which the runtime runs the program's own code.  They are never runtime frames
 * even where a pattern below would match (or where they live in ld.so): otherwise every
 * allocation of a Rust program (std::rt::lang_start_internal), of a Rust thread
 * (std::sys::pal::unix::thread::Thread::new::thread_start) or of a shared library's constructor
 * (_dl_init, dl_open_worker) would count as the runtime's.
 */
static const char *const boundary_patterns[] = {
	"_start", "_dl_start", "_dl_start_user", "_dl_init", "call_init", "_dl_fini",
	"_dl_call_fini", "_dl_catch_exception", "_dl_catch_error", "dl_open_worker",
	"dl_open_worker_begin", "_dl_open", "dlopen_doit", "_dl_runtime_resolve*", "_dl_fixup",
	"std::rt::lang_start*", "std::sys::*thread_start*", "std::sys::*__rust_begin_short_backtrace",
	"std::sys_common::backtrace::__rust_begin_short_backtrace",
};

/*
 * Runtime-owned memory (skeletons).  An allocation with one of these on its stack is kept by
 * the C, C++ or Rust runtime for the life of the process (or of a thread):
 *  - the dynamic loader: every frame in ld-linux*.so / ld.so (except the boundaries above),
 *    and by name _dl_allocate_tls, _dl_allocate_tls_init, _dl_new_object, _dl_map_object*,
 *    allocate_dtv, _dl_resize_dtv, _dl_update_slotinfo, __tls_get_addr;
 *    (_dlerror_run and dl_open_worker are not listed: they also run the constructors of the
 *    libraries dlopen loads, whose leaks are the program's);
 *  - threads: pthread_create / __pthread_create_2_1 / allocate_stack (stack and TLS);
 *  - stdio buffers: _IO_file_doallocate, _IO_wfile_doallocate, _IO_doallocbuf, _IO_wdoallocbuf;
 *  - locale and time zone data: __libc_setlocale, setlocale, _nl_*, __tzfile_read, tzset_internal;
 *  - atexit lists: __new_exitfn; libc's own dlopen: __libc_dlopen_mode, __libc_unwind_link_get;
 *  - C++: __cxa_get_globals, __cxa_get_globals_fast, the emergency exception pool
 *    ((anonymous namespace)::pool::pool, __gnu_cxx::__freeres), std::locale initialisation
 *    (std::locale::_S_initialize*, std::locale::classic, std::locale::locale,
 *    std::locale::_Impl::_Impl), std::ios_base::Init::Init;
 *  - Rust std: std::rt::* (but not lang_start*), std::thread::Thread::new*,
 *    std::thread::current*, std::sys::*thread_local*, std::sys::thread_local::*,
 *    std::io::stdio::*, std::sys::pal::* (but not thread_start).
 * Allocator plumbing (sym_is_alloc_frame) is never a runtime frame: the System allocator lives
 * under std::sys::pal in some toolchains.
 */
static const char *const runtime_patterns[] = {
	"_dl_allocate_tls", "_dl_allocate_tls_init", "_dl_new_object", "_dl_map_object*",
	"allocate_dtv", "_dl_resize_dtv", "_dl_update_slotinfo", "__tls_get_addr",
	"pthread_create", "__pthread_create_2_1", "allocate_stack",
	"_IO_file_doallocate", "_IO_wfile_doallocate", "_IO_doallocbuf", "_IO_wdoallocbuf",
	"__libc_setlocale", "setlocale", "_nl_*", "__tzfile_read", "tzset_internal",
	"__new_exitfn", "__libc_dlopen_mode", "__libc_unwind_link_get",
	"__cxa_get_globals", "__cxa_get_globals_fast", "(anonymous namespace)::pool::pool",
	"__gnu_cxx::__freeres", "std::locale::_S_initialize*", "std::locale::classic",
	"std::locale::locale", "std::locale::_Impl::_Impl", "std::ios_base::Init::Init",
	"std::rt::*", "std::thread::Thread::new*", "std::thread::current*",
	"std::sys::*thread_local*", "std::io::stdio::*", "std::sys::pal::*",
};

static int in_dynamic_loader(const char *module)
{
	const char *base = strrchr(module, '/');
	base = base ? base + 1 : module;
	return strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "ld.so", 5) == 0 ||
	       strncmp(base, "ld64.so", 7) == 0;
}

int sym_is_runtime_frame(const sym_frame *f)
{
	if (!f)
		return 0;
	if (f->function && (match_any(f->function, boundary_patterns, COUNT(boundary_patterns)) ||
			    sym_is_alloc_frame(f)))
		return 0;
	if (f->module && in_dynamic_loader(f->module))
		return 1;
	if (!f->function)
		return 0;
	return match_any(f->function, runtime_patterns, COUNT(runtime_patterns));
}
