/*
 * sym.c: symbolization of recorded addresses with elfutils (see sym.h).
 *
 * Module records are kept in the order they were added, each valid in the stack epochs
 * [epoch, end).  Records that name the same file with the same build-id share one `sym_file`,
 * which owns a Dwfl session holding that single ELF file reported at bias 0; an address is looked
 * up there at its module offset (address - recorded bias), so a library loaded at another place
 * after a dlclose/dlopen reuses the same debug information.  A file is opened on first use: a
 * missing file, a file that is not ELF or whose build-id differs from the recorded one marks
 * every frame of that module `module_missing` and is never symbolized; what was wrong is kept as
 * the file's note (sym_note_at), as is a file found without DWARF at its first look-up.
 *
 * Two caches make a repeated look-up free: (epoch, address) -> frames handed out, and
 * (file, module offset) -> the symbolic part (function, file, line, inlined chain), which is the
 * only place libdw is called.  Every string and array handed out lives in an arena that sym_free
 * releases; function and file names are interned (arena.h) and demangled (demangle.h).
 */
#include "sym.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "demangle.h"
#include "symfetch.h"
#include "util.h"

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
	sym_note note;      /* what is wrong with the file (note.problem 0: nothing known) */
	int dwarf_checked;  /* note says whether it has DWARF */
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
	arena arena;
	struct sym_module *mods;
	size_t nmods, capmods;
	struct sym_file *files;
	size_t nfiles, capfiles;
	util_pairmap by_addr; /* (epoch, address) -> sym_result */
	util_pairmap by_off;  /* (file index, module offset) -> sym_syms */
	symfetch *fetch;      /* watches debuginfod lookups, or NULL */
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
	util_pairmap_release(&s->by_addr);
	util_pairmap_release(&s->by_off);
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
	d->path = arena_intern(&s->arena, s->files[file].path);
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

/* ---- libdw ---- */

static const Dwfl_Callbacks dwfl_cb = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = symfetch_find_debuginfo, /* the standard lookup, debuginfod watched */
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = NULL, /* the default: next to the file, .debug/, /usr/lib/debug */
};

void sym_set_fetch(sym_ctx *s, struct symfetch *f) { s->fetch = f; }

/* Says what is wrong with f (a path that is not a file, like the vDSO's, is never noted). */
static void file_note(struct sym_file *f, sym_problem problem, int err)
{
	if (f->path[0] != '/')
		return;
	f->note.problem = problem;
	f->note.err = err;
}

static void file_open(sym_ctx *s, struct sym_file *f)
{
	char id[2 * TF_MAX_BUILD_ID + 1];
	f->state = -1;
	util_hex(id, f->build_id, f->build_id_len);
	f->note.path = f->path;
	f->note.build_id = arena_intern(&s->arena, id);
	f->note.found_build_id = "";
	if (!f->note.build_id)
		f->note.build_id = "";
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		file_note(f, errno == ENOENT || errno == ENOTDIR ? SYM_PROBLEM_MISSING
								 : SYM_PROBLEM_UNREADABLE, errno);
		return;
	}
	f->dwfl = dwfl_begin(&dwfl_cb);
	if (!f->dwfl) {
		close(fd);
		return;
	}
	symfetch_attach(s->fetch, f->dwfl);
	dwfl_report_begin(f->dwfl);
	/* at bias 0: addresses in this session are module offsets */
	f->mod = dwfl_report_elf(f->dwfl, f->path, f->path, fd, 0, true);
	if (!f->mod) {
		close(fd); /* consumed only on success */
		file_note(f, SYM_PROBLEM_NOT_ELF, 0);
	} else {
		symfetch_watch(s->fetch, f->mod);
	}
	dwfl_report_end(f->dwfl, NULL, NULL);
	if (f->mod && f->build_id_len) {
		const unsigned char *bits = NULL;
		GElf_Addr vaddr;
		int n = dwfl_module_build_id(f->mod, &bits, &vaddr);
		if (n <= 0 || (size_t)n != f->build_id_len || memcmp(bits, f->build_id, (size_t)n) != 0) {
			if (n > 0 && (size_t)n <= TF_MAX_BUILD_ID) {
				util_hex(id, bits, (size_t)n);
				const char *found = arena_intern(&s->arena, id);
				f->note.found_build_id = found ? found : "";
			}
			file_note(f, SYM_PROBLEM_REBUILT, 0);
			f->mod = NULL;
		}
	}
	if (!f->mod) {
		dwfl_end(f->dwfl);
		f->dwfl = NULL;
		return;
	}
	f->state = 1;
}

size_t sym_note_count(const sym_ctx *s)
{
	size_t n = 0;
	for (size_t i = 0; s && i < s->nfiles; i++)
		n += s->files[i].note.problem != SYM_PROBLEM_NONE;
	return n;
}

const sym_note *sym_note_at(const sym_ctx *s, size_t i)
{
	for (size_t k = 0; s && k < s->nfiles; k++)
		if (s->files[k].note.problem != SYM_PROBLEM_NONE && i-- == 0)
			return &s->files[k].note;
	return NULL;
}

const char *sym_problem_name(sym_problem p)
{
	switch (p) {
	case SYM_PROBLEM_NONE: return "none";
	case SYM_PROBLEM_MISSING: return "missing";
	case SYM_PROBLEM_UNREADABLE: return "unreadable";
	case SYM_PROBLEM_NOT_ELF: return "not_elf";
	case SYM_PROBLEM_REBUILT: return "rebuilt";
	case SYM_PROBLEM_NO_DEBUG: return "no_debug_info";
	}
	return "unknown";
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
	char *d = demangle_symbol(raw);
	const char *r = arena_intern(&s->arena, d ? d : raw);
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
		return arena_intern(&s->arena, name);
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
			*file = arena_intern(&s->arena, f);
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
	struct sym_syms *r = util_pairmap_get(&s->by_off, fi, off);
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
	if (!f->dwarf_checked) {
		f->dwarf_checked = 1;
		Dwarf_Addr b;
		if (!dwfl_module_getdwarf(f->mod, &b))
			file_note(f, SYM_PROBLEM_NO_DEBUG, 0);
	}
	const char *lfile = NULL;
	unsigned lline = 0;
	Dwarf_Line *dl = cu ? dwarf_getsrc_die(cu, off - dbias) : NULL;
	if (dl) {
		int ln = 0;
		const char *src = dwarf_linesrc(dl, NULL, NULL);
		if (src)
			lfile = arena_intern(&s->arena, src);
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
	if (util_pairmap_put(&s->by_off, fi, off, r))
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
	struct sym_result *res = util_pairmap_get(&s->by_addr, epoch, addr);
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
			file_open(s, f);
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
	if (util_pairmap_put(&s->by_addr, epoch, addr, res))
		return SYM_ENOMEM;
	*frames = fr;
	return n;
}
