/*
 * export_pprof.c: the pprof profile (see export_pprof.h).
 *
 * The tables (strings, functions, mappings, locations) fill as the samples are encoded; every
 * message goes into one buffer in the order of profile.proto's fields but for the string
 * table, which comes last, once complete (a message's fields may come in any order).  The whole
 * message is then gzipped (zlib) onto the stream.
 */
#include "export_pprof.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pbenc.h"
#include "text.h"
#include "util.h"

/* profile.proto's field numbers */
enum {
	P_SAMPLE_TYPE = 1, P_SAMPLE = 2, P_MAPPING = 3, P_LOCATION = 4, P_FUNCTION = 5,
	P_STRING_TABLE = 6, P_TIME_NANOS = 9, P_DURATION_NANOS = 10, P_PERIOD_TYPE = 11,
	P_PERIOD = 12, P_COMMENT = 13, P_DEFAULT_SAMPLE_TYPE = 14,
};
enum { VT_TYPE = 1, VT_UNIT = 2 };
enum { S_LOCATION_ID = 1, S_VALUE = 2, S_LABEL = 3 };
enum { LB_KEY = 1, LB_NUM = 3 };
enum {
	M_ID = 1, M_MEMORY_START = 2, M_MEMORY_LIMIT = 3, M_FILE_OFFSET = 4, M_FILENAME = 5,
	M_BUILD_ID = 6, M_HAS_FUNCTIONS = 7, M_HAS_FILENAMES = 8, M_HAS_LINE_NUMBERS = 9,
	M_HAS_INLINE_FRAMES = 10,
};
enum { L_ID = 1, L_MAPPING_ID = 2, L_ADDRESS = 3, L_LINE = 4 };
enum { LN_FUNCTION_ID = 1, LN_LINE = 2 };
enum { F_ID = 1, F_NAME = 2, F_SYSTEM_NAME = 3, F_FILENAME = 4 };

#define PAGE 4096u

typedef struct mapping {
	const char *module; /* the frames' module string */
	uint64_t bias;
	uint64_t id;
} mapping;

typedef struct location {
	const sym_frame *frames; /* the address's frames (borrowed from the stack model) */
	size_t n;
	uint64_t id;
} location;

typedef struct pprof {
	const export_input *in;
	pbenc out;     /* the Profile message but for its string table */
	pbenc msg, sub; /* scratch for nested messages */
	/* strings: index -> escaped text; hash -> index */
	char **strs;
	size_t nstrs, capstrs;
	util_map str_index;
	/* functions: (name index << 32 | file index) -> function id */
	util_map fn_index;
	uint64_t nfns;
	mapping *maps;
	size_t nmaps, capmaps;
	location *locs;
	size_t nlocs, caplocs;
	util_pairmap loc_index; /* (hash, address) -> location index + 1 */
	int nomem;
} pprof;

/* ---- the string table ---- */

static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	text_put_escaped(f, &text_plain, s, strlen(s));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The index of s (raw text from the trace; NULL: "") in the string table, added when new. */
static uint64_t str(pprof *p, const char *s)
{
	if (!s || !*s || p->nomem)
		return 0;
	char *e = escaped(s);
	if (!e) {
		p->nomem = 1;
		return 0;
	}
	uint64_t h = util_fnv1a(e);
	for (;;) {
		uint32_t v;
		if (!util_map_get(&p->str_index, h, &v))
			break;
		if (strcmp(p->strs[v], e) == 0) {
			free(e);
			return v;
		}
		h = util_hash64(h + 1);
	}
	if (p->nstrs >= UINT32_MAX - 1 ||
	    util_grow((void **)&p->strs, &p->capstrs, p->nstrs + 1, sizeof(*p->strs)) ||
	    util_map_put(&p->str_index, h, (uint32_t)p->nstrs)) {
		free(e);
		p->nomem = 1;
		return 0;
	}
	p->strs[p->nstrs] = e;
	return p->nstrs++;
}

/* ---- functions, mappings, locations ---- */

static uint64_t function(pprof *p, const sym_frame *f)
{
	uint64_t name = str(p, f->function), file = str(p, f->file);
	uint64_t key = name << 32 | file;
	uint32_t id;
	if (util_map_get(&p->fn_index, key, &id))
		return id;
	if (p->nfns >= UINT32_MAX - 2 || util_map_put(&p->fn_index, key, (uint32_t)(p->nfns + 1))) {
		p->nomem = 1;
		return 0;
	}
	id = (uint32_t)++p->nfns;
	pbenc_reset(&p->msg);
	pbenc_uint(&p->msg, F_ID, id);
	pbenc_uint(&p->msg, F_NAME, name);
	pbenc_uint(&p->msg, F_SYSTEM_NAME, name);
	pbenc_uint(&p->msg, F_FILENAME, file);
	pbenc_message(&p->out, P_FUNCTION, &p->msg);
	return id;
}

/* The module record loaded at bias whose path is module, or NULL. */
static const tf_module *module_record(const replay_ctx *rp, const char *module, uint64_t bias)
{
	for (size_t i = 0; i < replay_modrec_count(rp); i++) {
		const replay_modrec *m = replay_modrec_at(rp, i);
		if (!m->unload && m->mod.bias == bias && m->mod.path && strcmp(m->mod.path, module) == 0)
			return &m->mod;
	}
	return NULL;
}

/* The mapping id of frame f's module (0: none), the mapping written when new. */
static uint64_t mapping_of(pprof *p, const sym_frame *f)
{
	if (!f->module || strcmp(f->module, "[unknown]") == 0)
		return 0;
	uint64_t bias = f->address - f->module_offset;
	for (size_t i = 0; i < p->nmaps; i++)
		if (p->maps[i].bias == bias &&
		    (p->maps[i].module == f->module || strcmp(p->maps[i].module, f->module) == 0))
			return p->maps[i].id;
	const tf_module *m = module_record(p->in->rp, f->module, bias);
	if (!m)
		return 0;
	if (util_grow((void **)&p->maps, &p->capmaps, p->nmaps + 1, sizeof(*p->maps))) {
		p->nomem = 1;
		return 0;
	}
	uint64_t id = p->nmaps + 1;
	p->maps[p->nmaps++] = (mapping){f->module, bias, id};
	/* the executable segment (else every segment) */
	uint64_t lo = UINT64_MAX, hi = 0, off = 0;
	for (int pass = 0; pass < 2 && lo > hi; pass++) {
		for (uint32_t k = 0; k < m->nseg; k++) {
			const tf_segment *sg = &m->seg[k];
			if (pass == 0 && !(sg->flags & PF_X))
				continue;
			if (sg->vaddr < lo) {
				lo = sg->vaddr;
				off = sg->offset;
			}
			if (sg->vaddr + sg->memsz > hi)
				hi = sg->vaddr + sg->memsz;
		}
	}
	if (lo > hi)
		lo = hi = off = 0;
	char bid[2 * TF_MAX_BUILD_ID + 1];
	util_hex(bid, m->build_id, m->build_id_len);
	int symbolized = !f->module_missing;
	pbenc_reset(&p->msg);
	pbenc_uint(&p->msg, M_ID, id);
	pbenc_uint(&p->msg, M_MEMORY_START, bias + (lo & ~(uint64_t)(PAGE - 1)));
	pbenc_uint(&p->msg, M_MEMORY_LIMIT, bias + ((hi + PAGE - 1) & ~(uint64_t)(PAGE - 1)));
	pbenc_uint(&p->msg, M_FILE_OFFSET, off & ~(uint64_t)(PAGE - 1));
	pbenc_uint(&p->msg, M_FILENAME, str(p, f->module));
	pbenc_uint(&p->msg, M_BUILD_ID, str(p, bid));
	pbenc_uint(&p->msg, M_HAS_FUNCTIONS, symbolized);
	pbenc_uint(&p->msg, M_HAS_FILENAMES, symbolized);
	pbenc_uint(&p->msg, M_HAS_LINE_NUMBERS, symbolized);
	pbenc_uint(&p->msg, M_HAS_INLINE_FRAMES, symbolized);
	pbenc_message(&p->out, P_MAPPING, &p->msg);
	return id;
}

static int same_frames(const sym_frame *a, const sym_frame *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const sym_frame *x = &a[i], *y = &b[i];
		if (x->address != y->address || x->line != y->line || x->inlined != y->inlined ||
		    x->module_offset != y->module_offset)
			return 0;
		if ((x->function != y->function &&
		     (!x->function || !y->function || strcmp(x->function, y->function) != 0)) ||
		    (x->file != y->file && (!x->file || !y->file || strcmp(x->file, y->file) != 0)) ||
		    (x->module != y->module && strcmp(x->module, y->module) != 0))
			return 0;
	}
	return 1;
}

static uint64_t frames_hash(const sym_frame *fr, size_t n)
{
	uint64_t h = util_hash64(n);
	for (size_t i = 0; i < n; i++) {
		h = util_hash64(h ^ fr[i].address);
		h = util_hash64(h ^ (fr[i].function ? util_fnv1a(fr[i].function) : 0) ^ fr[i].line);
		h = util_hash64(h ^ (fr[i].module ? util_fnv1a(fr[i].module) : 0) ^
				(uint64_t)fr[i].inlined);
	}
	return h;
}

/* The location id of the n frames of one address (innermost first), written when new. */
static uint64_t location_of(pprof *p, const sym_frame *fr, size_t n)
{
	uint64_t h = frames_hash(fr, n);
	for (;;) {
		void *v = util_pairmap_get(&p->loc_index, h, fr[0].address);
		if (!v)
			break;
		const location *l = &p->locs[(uintptr_t)v - 1];
		if (l->n == n && same_frames(l->frames, fr, n))
			return l->id;
		h = util_hash64(h + 1);
	}
	if (util_grow((void **)&p->locs, &p->caplocs, p->nlocs + 1, sizeof(*p->locs)) ||
	    util_pairmap_put(&p->loc_index, h, fr[0].address, (void *)(uintptr_t)(p->nlocs + 1))) {
		p->nomem = 1;
		return 0;
	}
	uint64_t id = p->nlocs + 1;
	p->locs[p->nlocs++] = (location){fr, n, id};
	uint64_t map = mapping_of(p, &fr[0]);
	/* the functions first: they use p->msg */
	uint64_t *fns = malloc(n * sizeof(*fns));
	if (!fns) {
		p->nomem = 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		fns[i] = fr[i].function ? function(p, &fr[i]) : 0;
	pbenc_reset(&p->msg);
	pbenc_uint(&p->msg, L_ID, id);
	pbenc_uint(&p->msg, L_MAPPING_ID, map);
	pbenc_uint(&p->msg, L_ADDRESS, fr[0].address);
	for (size_t i = 0; i < n; i++) {
		if (!fns[i])
			continue; /* an unsymbolized address has no line */
		pbenc_reset(&p->sub);
		pbenc_uint(&p->sub, LN_FUNCTION_ID, fns[i]);
		pbenc_uint(&p->sub, LN_LINE, fr[i].line);
		pbenc_message(&p->msg, L_LINE, &p->sub);
	}
	free(fns);
	pbenc_message(&p->out, P_LOCATION, &p->msg);
	return id;
}

/* ---- samples ---- */

/* What a stack whose record was never read shows as. */
static const sym_frame unrecorded = {.function = "[stack not recorded]", .module = "[unknown]"};

/* Appends the location ids of entry e's frames, innermost first, to *ids. */
static int sample_locations(pprof *p, const symstack_entry *e, uint64_t **ids, size_t *n,
			    size_t *cap)
{
	const sym_frame *fr = e->stack->recorded ? e->stack->frames : &unrecorded;
	size_t nf = e->stack->recorded ? e->stack->nframes : 1;
	*n = 0;
	for (size_t i = 0; i < nf;) {
		/* one address: its inlined frames, then the frame they were inlined into */
		size_t j = i;
		while (j + 1 < nf && fr[j].inlined && fr[j + 1].address == fr[i].address)
			j++;
		if (util_grow((void **)ids, cap, *n + 1, sizeof(**ids)))
			return -1;
		(*ids)[(*n)++] = location_of(p, &fr[i], j - i + 1);
		i = j + 1;
	}
	return p->nomem ? -1 : 0;
}

static void value_type(pprof *p, unsigned field, const char *type, const char *unit)
{
	pbenc_reset(&p->msg);
	pbenc_uint(&p->msg, VT_TYPE, str(p, type));
	pbenc_uint(&p->msg, VT_UNIT, str(p, unit));
	pbenc_message(&p->out, field, &p->msg);
}

/* Writes the program's executable as mapping 1 (the trace's first module record): pprof takes
 * the first mapping for the main binary and names it in its reports ("File: svc"). */
static void main_mapping(pprof *p)
{
	const replay_ctx *rp = p->in->rp;
	for (size_t i = 0; i < replay_modrec_count(rp); i++) {
		const replay_modrec *m = replay_modrec_at(rp, i);
		if (m->unload || !m->mod.path || m->mod.path[0] != '/')
			continue;
		sym_frame f;
		memset(&f, 0, sizeof(f));
		f.module = m->mod.path;
		f.address = m->mod.bias;
		mapping_of(p, &f);
		return;
	}
}

static int encode(pprof *p, int at_peak)
{
	const export_input *in = p->in;
	enum profile_kind inuse = at_peak ? PROFILE_PEAK : PROFILE_LEAKED;
	value_type(p, P_SAMPLE_TYPE, "alloc_objects", "count");
	value_type(p, P_SAMPLE_TYPE, "alloc_space", "bytes");
	value_type(p, P_SAMPLE_TYPE, "inuse_objects", "count");
	value_type(p, P_SAMPLE_TYPE, "inuse_space", "bytes");
	main_mapping(p);

	uint64_t *ids = NULL;
	size_t nids = 0, capids = 0;
	uint64_t key = str(p, "stack_id");
	for (size_t i = 0; i < symstack_entry_count(in->stacks); i++) {
		uint64_t v[4] = {
			export_count(in, i, PROFILE_ALLOCATIONS), export_value(in, i, PROFILE_ALLOCATED),
			export_count(in, i, inuse), export_value(in, i, inuse),
		};
		if (!v[0] && !v[1] && !v[2] && !v[3])
			continue;
		const symstack_entry *e = symstack_entry_at(in->stacks, i);
		if (sample_locations(p, e, &ids, &nids, &capids)) {
			free(ids);
			return EXPORT_ENOMEM;
		}
		pbenc_reset(&p->msg);
		pbenc_packed(&p->msg, S_LOCATION_ID, ids, nids);
		pbenc_packed(&p->msg, S_VALUE, v, 4);
		pbenc_reset(&p->sub);
		pbenc_uint(&p->sub, LB_KEY, key);
		pbenc_int(&p->sub, LB_NUM, (int64_t)e->fig.id);
		pbenc_message(&p->msg, S_LABEL, &p->sub);
		pbenc_message(&p->out, P_SAMPLE, &p->msg);
	}
	free(ids);

	const replay_header *h = replay_get_header(in->rp);
	const replay_summary *s = replay_get_summary(in->rp);
	pbenc_int(&p->out, P_TIME_NANOS, (int64_t)(h->realtime_ns + s->window_from_ns));
	pbenc_int(&p->out, P_DURATION_NANOS, (int64_t)(s->window_to_ns - s->window_from_ns));
	value_type(p, P_PERIOD_TYPE, "space", "bytes");
	pbenc_int(&p->out, P_PERIOD, 1);

	char *desc = export_describe(in);
	if (!desc)
		return EXPORT_ENOMEM;
	uint64_t comments[2] = {str(p, desc), 0};
	free(desc);
	comments[1] = str(p, at_peak ? "inuse: live at the heap peak"
				     : "inuse: live at the end (leaked; runtime-owned memory left out)");
	pbenc_packed(&p->out, P_COMMENT, comments, 2);
	pbenc_int(&p->out, P_DEFAULT_SAMPLE_TYPE, (int64_t)str(p, "inuse_space"));

	pbenc_bytes(&p->out, P_STRING_TABLE, "", 0);
	for (size_t i = 1; i < p->nstrs; i++)
		pbenc_bytes(&p->out, P_STRING_TABLE, p->strs[i], strlen(p->strs[i]));
	if (p->nomem || pbenc_error(&p->out) || pbenc_error(&p->msg) || pbenc_error(&p->sub))
		return EXPORT_ENOMEM;
	return 0;
}

/* Writes the n bytes at buf to f as one gzip member. */
static int gzip_write(const uint8_t *buf, size_t n, FILE *f)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return EXPORT_ENOMEM;
	unsigned char chunk[65536];
	int rc = 0, zr;
	size_t left = n;
	z.next_in = (Bytef *)(uintptr_t)buf;
	do {
		unsigned take = left > (1u << 30) ? 1u << 30 : (unsigned)left;
		z.avail_in = take;
		left -= take;
		int flush = left ? Z_NO_FLUSH : Z_FINISH;
		do {
			z.next_out = chunk;
			z.avail_out = sizeof(chunk);
			zr = deflate(&z, flush);
			size_t have = sizeof(chunk) - z.avail_out;
			if (have && fwrite(chunk, 1, have, f) != have)
				rc = EXPORT_EIO;
		} while (z.avail_out == 0 && !rc);
	} while (left && !rc);
	if (!rc && zr != Z_STREAM_END)
		rc = EXPORT_ENOMEM;
	deflateEnd(&z);
	return rc;
}

int export_pprof_write(const export_input *in, int at_peak, FILE *f)
{
	pprof p;
	memset(&p, 0, sizeof(p));
	p.in = in;
	pbenc_init(&p.out);
	pbenc_init(&p.msg);
	pbenc_init(&p.sub);
	util_map_init(&p.str_index);
	util_map_init(&p.fn_index);
	int rc = 0;
	/* string 0 is "" */
	p.strs = malloc(sizeof(*p.strs));
	if (p.strs) {
		p.capstrs = 1;
		p.strs[0] = NULL;
		p.nstrs = 1;
		rc = encode(&p, at_peak);
	} else {
		rc = EXPORT_ENOMEM;
	}
	if (!rc)
		rc = gzip_write(p.out.buf, p.out.len, f);
	for (size_t i = 1; i < p.nstrs; i++)
		free(p.strs[i]);
	free(p.strs);
	free(p.maps);
	free(p.locs);
	util_map_release(&p.str_index);
	util_map_release(&p.fn_index);
	util_pairmap_release(&p.loc_index);
	pbenc_release(&p.out);
	pbenc_release(&p.msg);
	pbenc_release(&p.sub);
	return rc;
}
