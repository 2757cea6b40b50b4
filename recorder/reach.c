/*
 * reach.c: the conservative scan of the live heap at the end (see reach.h).
 *
 * Steps: the caller collects the roots it can name itself (module segments, its own stack and
 * TLS) and starts the helper; the helper stops the other threads, reads their registers, parses
 * /proc/PID/maps (so that nothing is read that is not mapped readable), sorts the blocks by
 * address, marks from the roots, classifies the lost blocks (Tarjan's strongly connected
 * components, iteratively), lets the threads go and exits.  The caller waits on the helper's
 * CLONE_CHILD_CLEARTID word with a deadline.
 */

#include "reach.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "modmap.h"
#include "prim.h"
#include "tf.h"

#define RED_ZONE 128
#define HELPER_STACK (1u << 20)
#define HEAP_ALIGN ((uint64_t)64 << 20) /* glibc's HEAP_MAX_SIZE on 64-bit */
#define CHUNK_SHIFT 14 /* the lookup index: one entry per 16 KiB of address space a block covers */

/* ---- memory ---- */

/* A growable array in mmap'd memory. */
typedef struct vec {
	void *p;
	size_t n, cap, elem;
} vec;

static void *vec_push(vec *v)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 256;
		void *q = prim_grow(v->p, v->cap * v->elem, ncap * v->elem);
		if (!q)
			return NULL;
		v->p = q;
		v->cap = ncap;
	}
	return (char *)v->p + v->elem * v->n++;
}

static void vec_free(vec *v)
{
	if (v->p)
		prim_unmap(v->p, v->cap * v->elem);
	v->p = NULL;
	v->n = v->cap = 0;
}

typedef struct range {
	uint64_t lo, hi;
} range;

/* ---- what the caller hands the helper ---- */

#if defined(__x86_64__)
typedef struct user_regs_struct regs_t;
static uint64_t regs_sp(const regs_t *r) { return r->rsp; }
static uint64_t regs_tp(const regs_t *r) { return r->fs_base; }
#define REACH_SUPPORTED 1
#elif defined(__aarch64__)
typedef struct user_regs_struct regs_t;
static uint64_t regs_sp(const regs_t *r) { return r->sp; }
static uint64_t regs_tp(const regs_t *r) { (void)r; return 0; } /* TPIDR_EL0 is another regset */
#define REACH_SUPPORTED 1
#else
typedef struct { uint64_t w[1]; } regs_t;
static uint64_t regs_sp(const regs_t *r) { (void)r; return 0; }
static uint64_t regs_tp(const regs_t *r) { (void)r; return 0; }
#define REACH_SUPPORTED 0
#endif

typedef struct thread {
	pid_t tid;
	int stopped;   /* seized and stopped */
	int attached;  /* seized (must be detached) */
	int resig;     /* signal to hand back at detach */
	regs_t regs;
} thread;

typedef struct job {
	pid_t pid, self_tid, skip_tid;
	uintptr_t self_sp, self_tp;
	reach_block *blocks;
	size_t n;
	vec segs;      /* range: writable module segments */
	vec threads;   /* thread */
	vec maps;      /* range: readable mappings, merged, sorted */
	vec anon;      /* range: anonymous writable mappings (not the heap, not [stack]) */
	char *mapsbuf; /* the text of /proc/PID/maps, kept mapped: see read_maps */
	size_t mapsbuf_cap;
	reach_block *own; /* the recorder's own mappings (ptr, size), sorted: never roots */
	size_t nown, own_bytes;
	uint64_t *starts; /* block starts, sorted (blocks sorted alike) */
	uint64_t *ends;   /* start + size (at least start + 1) */
	uint8_t *state;
	uint32_t *work;
	size_t nwork;
	uint64_t lo, span; /* every block lies in [lo, lo + span) */
	uint64_t *chunk_key; /* open addressing: chunk number + 1 (0 empty) */
	uint32_t *chunk_first, *chunk_last;
	size_t chunk_cap;
	uint64_t root_bytes, heap_bytes;
	uint32_t stopped, unreadable;
	uint32_t *tid_slot; /* open addressing: index + 1 into threads, by tid */
	size_t tid_cap;
	size_t pending;     /* attached threads not yet stopped */
	int failed;
	char note[192];
	uint32_t go; /* futex: the caller has allowed the helper to trace it */
} job;

static size_t tls_static_size;

void reach_init(void)
{
	void (*info)(size_t *, size_t *) =
		(void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
	size_t size = 0, align = 0;
	if (info)
		info(&size, &align);
	tls_static_size = size ? size : 8192;
}

static void note(job *j, const char *a, const char *b)
{
	size_t o = 0;
	for (const char *s = a; s && *s && o + 1 < sizeof(j->note); s++)
		j->note[o++] = *s;
	for (const char *s = b; s && *s && o + 1 < sizeof(j->note); s++)
		j->note[o++] = *s;
	j->note[o] = '\0';
}

/* ---- module segments (caller side: dl_iterate_phdr takes the loader's lock) ---- */

static int seg_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	job *j = arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || !ph->p_memsz)
			continue;
		uint64_t lo = info->dlpi_addr + ph->p_vaddr;
		if (modmap_is_self(lo))
			continue; /* the recorder's own globals point at its own memory only */
		range *r = vec_push(&j->segs);
		if (!r)
			return 1;
		r->lo = lo & ~(uint64_t)7;
		r->hi = lo + ph->p_memsz;
	}
	return 0;
}

/* ---- /proc ---- */

/* Reads a whole /proc file into a growing mmap'd buffer (*buf, *cap); returns its length or -1. */
static ssize_t read_file(const char *path, char **buf, size_t *cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	for (;;) {
		if (len + 4096 > *cap) {
			size_t ncap = *cap ? *cap * 2 : 1 << 16;
			char *q = prim_grow(*buf, *cap, ncap);
			if (!q) {
				close(fd);
				return -1;
			}
			*buf = q;
			*cap = ncap;
		}
		ssize_t r = read(fd, *buf + len, *cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	(*buf)[len] = '\0';
	return (ssize_t)len;
}

static uint64_t hex(const char **p)
{
	uint64_t v = 0;
	for (;; (*p)++) {
		char c = **p;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return v;
		v = v << 4 | (uint64_t)d;
	}
}

/* The readable mappings of the process, merged where they touch. */
static int read_maps(job *j)
{
	char path[64] = "/proc/", num[24];
	size_t o = strlen(path);
	const char *s = prim_utoa((uint64_t)j->pid, num);
	while (*s)
		path[o++] = *s++;
	memcpy(path + o, "/maps", 6);
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len = read_file(path, &buf, &cap);
	if (len < 0)
		return -1;
	/* Nothing the listing shows may be unmapped before the scan reads it: the text stays
	 * mapped until the end, and the lists are sized once, after the reading. */
	j->mapsbuf = buf;
	j->mapsbuf_cap = cap;
	size_t lines = 1;
	for (ssize_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	j->maps.p = prim_map(lines * sizeof(range));
	j->anon.p = prim_map(lines * sizeof(range));
	if (!j->maps.p || !j->anon.p)
		return -1;
	j->maps.cap = j->anon.cap = lines;
	for (const char *p = buf; *p;) {
		uint64_t lo = hex(&p);
		if (*p == '-')
			p++;
		uint64_t hi = hex(&p);
		int readable = p[0] == ' ' && p[1] == 'r';
		/* [vvar] pages may not all be readable; no root or block lies there */
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		int vvar = memmem(p, (size_t)(eol - p), "[vvar", 5) != NULL;
		/* fields after the range: perms offset dev inode [path] */
		const char *f = p;
		for (int k = 0; k < 4 && f < eol; k++) {
			while (f < eol && *f == ' ')
				f++;
			while (f < eol && *f != ' ')
				f++;
		}
		while (f < eol && *f == ' ')
			f++;
		int anon = readable && p[2] == 'w' && (f == eol || strncmp(f, "[anon", 5) == 0);
		if (anon && hi > lo && j->anon.n < j->anon.cap)
			((range *)j->anon.p)[j->anon.n++] = (range){lo, hi};
		if (readable && !vvar && hi > lo) {
			range *last = j->maps.n ? (range *)j->maps.p + j->maps.n - 1 : NULL;
			if (last && last->hi == lo)
				last->hi = hi;
			else if (j->maps.n < j->maps.cap)
				((range *)j->maps.p)[j->maps.n++] = (range){lo, hi};
		}
		p = *eol ? eol + 1 : eol;
	}
	return 0;
}

/* The readable mapping that holds a, or NULL. */
static const range *map_of(const job *j, uint64_t a)
{
	const range *m = j->maps.p;
	size_t lo = 0, hi = j->maps.n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m[mid].hi <= a)
			lo = mid + 1;
		else if (m[mid].lo > a)
			hi = mid;
		else
			return &m[mid];
	}
	return NULL;
}

static int readable(const job *j, uint64_t lo, uint64_t hi)
{
	const range *m = map_of(j, lo);
	return m && hi <= m->hi;
}

/* ---- sorting (no qsort: glibc's may call malloc) ---- */

/* LSD radix sort of blocks by ptr (by_id 0) or by id (1), through tmp: 11-bit digits (the counts
 * stay in the L1 cache), from the lowest bit that is not 0 in every key (pointers are 16-byte
 * aligned). */
static void sort_blocks(reach_block *b, reach_block *tmp, size_t n, int by_id)
{
	static uint32_t count[1 << 11];
	uint64_t any = 0, all = ~(uint64_t)0;
	for (size_t i = 0; i < n; i++) {
		uint64_t k = by_id ? b[i].id : b[i].ptr;
		any |= k;
		all &= k;
	}
	uint64_t differ = any & ~all; /* bits that are not the same in every key */
	if (!differ)
		return;
	unsigned first = (unsigned)__builtin_ctzll(differ), last = 63u - (unsigned)__builtin_clzll(differ);
	reach_block *src = b, *dst = tmp;
	for (unsigned shift = first; shift <= last; shift += 11) {
		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[((by_id ? src[i].id : src[i].ptr) >> shift) & 2047]++;
		uint32_t sum = 0;
		for (size_t k = 0; k < 2048; k++) {
			uint32_t c = count[k];
			count[k] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[((by_id ? src[i].id : src[i].ptr) >> shift) & 2047]++] = src[i];
		reach_block *t = src;
		src = dst;
		dst = t;
	}
	if (src != b)
		memcpy(b, src, n * sizeof(*b));
}

/* ---- the block index ---- */

static size_t chunk_home(const job *j, uint64_t c)
{
	return (size_t)((c * 0x9e3779b97f4a7c15ull) >> 24) & (j->chunk_cap - 1);
}

static int index_build(job *j)
{
	/* distinct chunks (blocks are in address order): a few per 16 KiB of heap, not per block */
	size_t entries = 0;
	uint64_t last = 0;
	int any = 0;
	for (size_t i = 0; i < j->n; i++) {
		uint64_t c0 = j->starts[i] >> CHUNK_SHIFT, c1 = (j->ends[i] - 1) >> CHUNK_SHIFT;
		if (any && c0 <= last)
			c0 = last + 1;
		if (c1 >= c0)
			entries += (size_t)(c1 - c0 + 1);
		if (!any || c1 > last)
			last = c1;
		any = 1;
	}
	size_t cap = 1024;
	while (cap < entries * 2)
		cap *= 2;
	j->chunk_cap = cap;
	j->chunk_key = prim_map(cap * sizeof(uint64_t));
	j->chunk_first = prim_map(cap * sizeof(uint32_t));
	j->chunk_last = prim_map(cap * sizeof(uint32_t));
	if (!j->chunk_key || !j->chunk_first || !j->chunk_last)
		return -1;
	for (size_t i = 0; i < j->n; i++) {
		for (uint64_t c = j->starts[i] >> CHUNK_SHIFT; c <= (j->ends[i] - 1) >> CHUNK_SHIFT; c++) {
			size_t h = chunk_home(j, c);
			while (j->chunk_key[h] && j->chunk_key[h] != c + 1)
				h = (h + 1) & (cap - 1);
			if (!j->chunk_key[h]) {
				j->chunk_key[h] = c + 1;
				j->chunk_first[h] = (uint32_t)i;
			}
			j->chunk_last[h] = (uint32_t)i;
		}
	}
	return 0;
}

/* The block that holds address v, or -1. */
static inline long find(const job *j, uint64_t v)
{
	if (v - j->lo >= j->span)
		return -1;
	uint64_t c = v >> CHUNK_SHIFT;
	size_t h = chunk_home(j, c);
	while (j->chunk_key[h] != c + 1) {
		if (!j->chunk_key[h])
			return -1;
		h = (h + 1) & (j->chunk_cap - 1);
	}
	/* the last block of the chunk's range that starts at or before v */
	size_t lo = j->chunk_first[h], hi = (size_t)j->chunk_last[h] + 1;
	if (j->starts[lo] > v)
		return -1;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (j->starts[mid] <= v)
			lo = mid;
		else
			hi = mid;
	}
	return v < j->ends[lo] ? (long)lo : -1;
}

/* ---- marking ---- */

enum { ST_LOST = 0, ST_INTERIOR = 1, ST_START = 2, ST_UNREADABLE = 3 };

static inline void reach_one(job *j, uint64_t v)
{
	long i = find(j, v);
	if (i < 0)
		return;
	uint8_t st = j->state[i];
	if (st == ST_START || st == ST_UNREADABLE)
		return;
	if (v == j->starts[i]) {
		j->state[i] = ST_START;
		if (st == ST_LOST)
			j->work[j->nwork++] = (uint32_t)i;
	} else if (st == ST_LOST) {
		/* glibc's malloc keeps pointers to chunk headers (the top chunk, free chunks); the
		 * header of the chunk after a block overlaps the block's last 8 bytes, at a multiple
		 * of 16 from its start.  No program pointer in valgrind's view: not counted. */
		uint64_t off = v - j->starts[i];
		if ((off & 15) == 0 && off + 8 >= j->blocks[i].size)
			return;
		j->state[i] = ST_INTERIOR;
		j->work[j->nwork++] = (uint32_t)i;
	}
}

static void scan_words(job *j, uint64_t lo, uint64_t hi)
{
	/* most words are no heap address: the range test first, in registers */
	const uint64_t base = j->lo, span = j->span;
	lo = (lo + 7) & ~(uint64_t)7;
	for (const uint64_t *w = (const uint64_t *)(uintptr_t)lo; (uint64_t)(uintptr_t)(w + 1) <= hi; w++) {
		uint64_t v = *w;
		if (__builtin_expect(v - base < span, 0))
			reach_one(j, v);
	}
}

/* Scans a root range, clipped to the readable mappings. */
static void scan_mapped(job *j, uint64_t lo, uint64_t hi)
{
	while (lo < hi) {
		const range *m = map_of(j, lo);
		if (!m) {
			/* skip to the next mapping */
			const range *r = j->maps.p;
			size_t k = 0;
			while (k < j->maps.n && r[k].hi <= lo)
				k++;
			if (k == j->maps.n || r[k].lo >= hi)
				return;
			lo = r[k].lo;
			continue;
		}
		uint64_t end = hi < m->hi ? hi : m->hi;
		scan_words(j, lo, end);
		j->root_bytes += end - lo;
		lo = end;
	}
}

/* Scans a root range, less the recorder's own mappings (its rings hold every block's address). */
static void scan_root(job *j, uint64_t lo, uint64_t hi)
{
	size_t a = 0, b = j->nown;
	while (a < b) { /* the first mapping that ends after lo */
		size_t mid = (a + b) / 2;
		if (j->own[mid].ptr + j->own[mid].size <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	for (size_t k = a; k < j->nown && lo < hi; k++) {
		uint64_t olo = j->own[k].ptr, ohi = olo + j->own[k].size;
		if (olo >= hi)
			break;
		if (olo > lo)
			scan_mapped(j, lo, olo);
		if (ohi > lo)
			lo = ohi;
	}
	if (lo < hi)
		scan_mapped(j, lo, hi);
}

/* The recorder's mappings, sorted (reach_block as ptr and size). */
static int own_maps(job *j)
{
	size_t slots = prim_map_slots();
	j->own_bytes = (slots + 2) * sizeof(reach_block) * 2;
	j->own = prim_map(j->own_bytes);
	if (!j->own)
		return -1;
	for (size_t i = 0; i < slots; i++) {
		uint64_t lo, hi;
		if (prim_map_at(i, &lo, &hi))
			j->own[j->nown++] = (reach_block){lo, hi - lo, 0, 0, 0};
	}
	/* the recorder library itself: its .bss (an anonymous mapping) holds its own tables */
	uint64_t slo, shi;
	modmap_self_range(&slo, &shi);
	if (shi > slo)
		j->own[j->nown++] = (reach_block){slo, shi - slo, 0, 0, 0};
	sort_blocks(j->own, j->own + slots + 2, j->nown, 0);
	return 0;
}

/* Scans [lo, hi) less the blocks in it (and the 16-byte chunk header before each): what lies
 * between them is not malloc's (a large block has its own mapping, which may have merged with
 * the program's next to it). */
static void scan_between_blocks(job *j, uint64_t lo, uint64_t hi)
{
	size_t a = 0, b = j->n;
	while (a < b) { /* the first block that starts at or after lo */
		size_t mid = (a + b) / 2;
		if (j->starts[mid] < lo)
			a = mid + 1;
		else
			b = mid;
	}
	if (a > 0 && j->ends[a - 1] > lo)
		lo = j->ends[a - 1];
	for (size_t i = a; i < j->n && j->starts[i] < hi && lo < hi; i++) {
		uint64_t head = j->starts[i] >= 16 ? j->starts[i] - 16 : 0;
		if (head > lo)
			scan_root(j, lo, head);
		if (j->ends[i] > lo)
			lo = j->ends[i];
	}
	if (lo < hi)
		scan_root(j, lo, hi);
}

/* 1 when the 64 MiB-aligned address h starts a heap of one of glibc malloc's thread arenas (its
 * heap_info: the arena, the previous heap, the size in use, the size made writable). */
static int arena_heap(const job *j, uint64_t h)
{
	if (!readable(j, h, h + 32))
		return 0;
	const uint64_t *w = (const uint64_t *)(uintptr_t)h;
	uint64_t size = w[2], prot = w[3];
	return w[0] && size && size <= HEAP_ALIGN && !(size & 4095) && prot >= size &&
	       prot <= HEAP_ALIGN;
}

/* The program's other anonymous writable memory, as memcheck scans it: a language runtime's
 * arenas (Python's obmalloc), a program's own pools.  Left out: malloc's memory (the brk heap,
 * [heap], is no anonymous mapping here; thread arenas' heaps, 64 MiB-aligned, hold freed chunks'
 * stale pointers; blocks are scanned only when reached), stacks a thread runs on (scanned from
 * its stack pointer) and the recorder's (scan_root leaves those out). */
static void scan_anon(job *j)
{
	const range *a = j->anon.p;
	const thread *t = j->threads.p;
	for (size_t k = 0; k < j->anon.n; k++) {
		uint64_t lo = a[k].lo, hi = a[k].hi;
		int stack = j->self_sp >= lo && j->self_sp < hi;
		for (size_t i = 0; i < j->threads.n && !stack; i++) {
			uint64_t sp = t[i].stopped ? regs_sp(&t[i].regs) : 0;
			stack = sp >= lo && sp < hi;
		}
		/* a module's .bss: scanned with its segment */
		const range *seg = j->segs.p;
		for (size_t i = 0; i < j->segs.n && !stack; i++)
			stack = lo >= seg[i].lo && hi <= ((seg[i].hi + 4095) & ~(uint64_t)4095);
		if (stack)
			continue;
		uint64_t at = lo;
		for (uint64_t h = (lo + HEAP_ALIGN - 1) & ~(HEAP_ALIGN - 1); h < hi; h += HEAP_ALIGN) {
			if (!arena_heap(j, h))
				continue;
			if (h > at)
				scan_between_blocks(j, at, h);
			at = h + HEAP_ALIGN < hi ? h + HEAP_ALIGN : hi;
		}
		if (at < hi)
			scan_between_blocks(j, at, hi);
	}
}

/* Scans a thread's stack from sp: to the end of the block or mapping that holds it. */
static void scan_stack(job *j, uint64_t sp)
{
	if (!sp)
		return;
	uint64_t lo = sp > RED_ZONE ? sp - RED_ZONE : sp;
	long b = find(j, sp);
	if (b >= 0) {
		/* a stack inside a heap block (a coroutine's): that block is in use */
		j->state[b] = ST_START;
		scan_root(j, lo < j->starts[b] ? j->starts[b] : lo, j->ends[b]);
		return;
	}
	const range *m = map_of(j, sp);
	if (m)
		scan_root(j, lo < m->lo ? m->lo : lo, m->hi);
}

static void scan_tls(job *j, uint64_t tp)
{
	if (!tp)
		return;
	const range *m = map_of(j, tp);
	if (!m)
		return;
#if defined(__aarch64__)
	/* TLS variant I: the thread's descriptor below tp, the TLS blocks above it */
	uint64_t lo = tp > 4096 ? tp - 4096 : 0, hi = tp + tls_static_size;
#else
	/* TLS variant II: the TLS blocks below tp, the thread's descriptor from tp up */
	uint64_t lo = tp > tls_static_size ? tp - tls_static_size : 0, hi = tp + 4096;
#endif
	scan_root(j, lo < m->lo ? m->lo : lo, hi > m->hi ? m->hi : hi);
}

static void drain(job *j)
{
	while (j->nwork) {
		uint32_t i = j->work[--j->nwork];
		j->heap_bytes += j->blocks[i].size;
		scan_words(j, j->starts[i], j->starts[i] + j->blocks[i].size);
	}
}

/* ---- lost blocks: strongly connected components ---- */

typedef struct frame {
	uint32_t v;
	uint64_t at; /* next word to look at */
} frame;

/* Among the lost blocks (state ST_LOST), the oldest of each group no other lost block points
 * into is definitely lost, the others indirectly (see reach.h).  Returns 0 or -1 (no memory). */
static int classify_lost(job *j)
{
	size_t n = j->n;
	uint32_t *idx = prim_map(n * sizeof(uint32_t)), *low = prim_map(n * sizeof(uint32_t));
	uint32_t *scc = prim_map(n * sizeof(uint32_t)), *stk = prim_map(n * sizeof(uint32_t));
	uint32_t *oldest = prim_map(n * sizeof(uint32_t));
	uint8_t *has_in = prim_map(n + 1), *on = prim_map(n + 1);
	frame *fr = prim_map(n * sizeof(frame));
	int rc = -1;
	if (!idx || !low || !scc || !stk || !oldest || !has_in || !on || !fr)
		goto out;
	uint32_t counter = 0, nscc = 0;
	size_t nstk = 0;
	for (size_t root = 0; root < n; root++) {
		if (j->state[root] != ST_LOST || idx[root])
			continue;
		size_t nfr = 0;
		fr[nfr++] = (frame){(uint32_t)root, j->starts[root]};
		idx[root] = low[root] = ++counter;
		stk[nstk++] = (uint32_t)root;
		on[root] = 1;
		while (nfr) {
			frame *f = &fr[nfr - 1];
			uint32_t v = f->v;
			uint64_t end = j->starts[v] + (j->blocks[v].size & ~(uint64_t)7);
			int descended = 0;
			while (f->at + 8 <= end) {
				uint64_t w = *(const uint64_t *)(uintptr_t)f->at;
				f->at += 8;
				long t = find(j, w);
				if (t < 0 || (uint32_t)t == v || j->state[t] != ST_LOST)
					continue;
				if (!idx[t]) {
					idx[t] = low[t] = ++counter;
					stk[nstk++] = (uint32_t)t;
					on[t] = 1;
					fr[nfr++] = (frame){(uint32_t)t, j->starts[t]};
					descended = 1;
					break;
				}
				if (on[t]) {
					if (idx[t] < low[v])
						low[v] = idx[t];
				} else
					has_in[scc[t]] = 1; /* into a finished component */
			}
			if (descended)
				continue;
			if (low[v] == idx[v]) {
				uint32_t s = nscc++, old = v, m;
				do {
					m = stk[--nstk];
					on[m] = 0;
					scc[m] = s;
					if (j->blocks[m].id < j->blocks[old].id)
						old = m;
				} while (m != v);
				oldest[s] = old;
			}
			nfr--;
			if (nfr) {
				uint32_t u = fr[nfr - 1].v;
				if (on[v]) {
					if (low[v] < low[u])
						low[u] = low[v];
				} else
					has_in[scc[v]] = 1;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (j->state[i] == ST_LOST)
			j->blocks[i].kind = TF_REACH_INDIRECTLY_LOST;
	for (uint32_t s = 0; s < nscc; s++)
		if (!has_in[s])
			j->blocks[oldest[s]].kind = TF_REACH_DEFINITELY_LOST;
	rc = 0;
out:
	if (idx) prim_unmap(idx, n * sizeof(uint32_t));
	if (low) prim_unmap(low, n * sizeof(uint32_t));
	if (scc) prim_unmap(scc, n * sizeof(uint32_t));
	if (stk) prim_unmap(stk, n * sizeof(uint32_t));
	if (oldest) prim_unmap(oldest, n * sizeof(uint32_t));
	if (has_in) prim_unmap(has_in, n + 1);
	if (on) prim_unmap(on, n + 1);
	if (fr) prim_unmap(fr, n * sizeof(frame));
	return rc;
}

/* ---- the scan proper (in the helper, with the other threads stopped) ---- */

static int classify(job *j)
{
	size_t n = j->n;
	if (read_maps(j) != 0) {
		note(j, "cannot read /proc/PID/maps", NULL);
		return -1;
	}
	if (own_maps(j) != 0) {
		note(j, "out of memory", NULL);
		return -1;
	}
	reach_block *tmp = n ? prim_map(n * sizeof(reach_block)) : NULL;
	j->starts = prim_map((n + 1) * sizeof(uint64_t));
	j->ends = prim_map((n + 1) * sizeof(uint64_t));
	j->state = prim_map(n + 1);
	j->work = prim_map((n + 1) * sizeof(uint32_t));
	if ((n && !tmp) || !j->starts || !j->ends || !j->state || !j->work) {
		note(j, "out of memory", NULL);
		return -1;
	}
	sort_blocks(j->blocks, tmp, n, 0);
	uint64_t lo = UINT64_MAX, hi = 0;
	const range *m = NULL;
	for (size_t i = 0; i < n; i++) {
		reach_block *b = &j->blocks[i];
		j->starts[i] = b->ptr;
		j->ends[i] = b->ptr + (b->size ? b->size : 1);
		if (j->starts[i] < lo)
			lo = j->starts[i];
		if (j->ends[i] > hi)
			hi = j->ends[i];
		/* blocks come in address order: most lie in the mapping of the one before */
		if (!(m && b->ptr >= m->lo && b->ptr + b->size <= m->hi) &&
		    !((m = map_of(j, b->ptr)) && readable(j, b->ptr, b->ptr + b->size))) {
			j->state[i] = ST_UNREADABLE; /* freed after recording stopped: not scanned */
			j->unreadable++;
		}
	}
	j->lo = n ? lo : 1;
	j->span = n ? hi - lo : 0;
	if (n && index_build(j) != 0) {
		note(j, "out of memory", NULL);
		return -1;
	}
	if (n) {
		const range *seg = j->segs.p;
		for (size_t k = 0; k < j->segs.n; k++)
			scan_root(j, seg[k].lo, seg[k].hi);
		drain(j);
		if (j->self_sp) {
			scan_stack(j, j->self_sp + RED_ZONE);
			scan_tls(j, j->self_tp);
			drain(j);
		}
		thread *t = j->threads.p;
		for (size_t k = 0; k < j->threads.n; k++) {
			if (!t[k].stopped)
				continue;
			const uint64_t *w = (const uint64_t *)&t[k].regs;
			for (size_t r = 0; r < sizeof(regs_t) / 8; r++)
				reach_one(j, w[r]);
			j->root_bytes += sizeof(regs_t);
			scan_stack(j, regs_sp(&t[k].regs));
			scan_tls(j, regs_tp(&t[k].regs));
			drain(j);
		}
		scan_anon(j);
		drain(j);
	}
	for (size_t i = 0; i < n; i++)
		j->blocks[i].kind = j->state[i] == ST_INTERIOR ? TF_REACH_POSSIBLY_LOST
							       : TF_REACH_REACHABLE;
	if (n && classify_lost(j) != 0) {
		note(j, "out of memory", NULL);
		return -1;
	}
	sort_blocks(j->blocks, tmp, n, 1);
	if (tmp)
		prim_unmap(tmp, n * sizeof(reach_block));
	return 0;
}

/* ---- stopping the other threads (in the helper) ---- */

static int parse_int(const char *s, long *out)
{
	long v = 0;
	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	*out = v;
	return *s ? -1 : 0;
}

static size_t tid_home(const job *j, pid_t tid)
{
	return (size_t)(((uint64_t)(uint32_t)tid * 0x9e3779b97f4a7c15ull) >> 32) & (j->tid_cap - 1);
}

static thread *thread_of(job *j, pid_t tid)
{
	if (!j->tid_cap)
		return NULL;
	thread *t = j->threads.p;
	for (size_t h = tid_home(j, tid); j->tid_slot[h]; h = (h + 1) & (j->tid_cap - 1))
		if (t[j->tid_slot[h] - 1].tid == tid)
			return &t[j->tid_slot[h] - 1];
	return NULL;
}

/* Indexes threads[k] by its tid; returns 0 or -1 (no memory). */
static int tid_index(job *j, size_t k)
{
	if ((k + 1) * 2 > j->tid_cap) {
		size_t ncap = j->tid_cap ? j->tid_cap * 2 : 1024;
		uint32_t *ns = prim_map(ncap * sizeof(uint32_t));
		if (!ns)
			return -1;
		if (j->tid_slot)
			prim_unmap(j->tid_slot, j->tid_cap * sizeof(uint32_t));
		j->tid_slot = ns;
		j->tid_cap = ncap;
		for (size_t i = 0; i < k; i++) {
			size_t h = tid_home(j, ((thread *)j->threads.p)[i].tid);
			while (j->tid_slot[h])
				h = (h + 1) & (ncap - 1);
			j->tid_slot[h] = (uint32_t)i + 1;
		}
	}
	size_t h = tid_home(j, ((thread *)j->threads.p)[k].tid);
	while (j->tid_slot[h])
		h = (h + 1) & (j->tid_cap - 1);
	j->tid_slot[h] = (uint32_t)k + 1;
	return 0;
}

/* 1 when the task is a zombie or dead (it can never stop). */
static int task_dead(const job *j, pid_t tid)
{
	char path[96] = "/proc/", num[24], buf[512];
	size_t o = strlen(path);
	for (const char *s = prim_utoa((uint64_t)j->pid, num); *s;)
		path[o++] = *s++;
	memcpy(path + o, "/task/", 6);
	o += 6;
	for (const char *s = prim_utoa((uint64_t)tid, num); *s;)
		path[o++] = *s++;
	memcpy(path + o, "/stat", 6);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X' || p[2] == 'x';
}

/* Seizes and interrupts every task not seen yet; returns how many were new, or -1 on a refusal. */
static long seize_new(job *j, int dirfd)
{
	long added = 0;
	char buf[8192];
	lseek(dirfd, 0, SEEK_SET);
	for (;;) {
		long nread = syscall(SYS_getdents64, dirfd, buf, sizeof(buf));
		if (nread <= 0)
			break;
		for (long off = 0; off < nread;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			long tid;
			if (parse_int(d->d_name, &tid) != 0 || tid == j->self_tid || tid == j->skip_tid ||
			    thread_of(j, (pid_t)tid))
				continue;
			thread *t = vec_push(&j->threads);
			if (!t)
				return -1;
			memset(t, 0, sizeof(*t));
			t->tid = (pid_t)tid;
			if (tid_index(j, j->threads.n - 1) != 0)
				return -1;
			added++;
			if (task_dead(j, t->tid))
				continue;
			if (ptrace(PTRACE_SEIZE, t->tid, NULL, NULL) != 0) {
				if (errno == ESRCH)
					continue;
				note(j, "cannot stop the program's other threads: ptrace: ", strerrordesc_np(errno));
				return -1;
			}
			t->attached = 1;
			j->pending++;
			if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) != 0)
				continue;
		}
	}
	return added;
}

/* Takes the stop of thread th (status st from waitpid). */
static void took_stop(job *j, thread *th, int st)
{
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		j->pending--;
		th->attached = 0;
		return;
	}
	if (!WIFSTOPPED(st))
		return;
	j->pending--;
	int event = st >> 16, sig = WSTOPSIG(st);
	if (event == 0 && sig != SIGTRAP)
		th->resig = sig; /* a signal-delivery stop: hand the signal back */
	struct iovec iov = {&th->regs, sizeof(th->regs)};
	th->stopped = ptrace(PTRACE_GETREGSET, th->tid, (void *)NT_PRSTATUS, &iov) == 0 ? 1 : -1;
}

/* Waits until every attached thread has stopped (at most about 2 s).  One waitpid per thread
 * (waitpid(-1) walks every tracee: quadratic with 10,000 threads). */
static void wait_stops(job *j)
{
	uint64_t deadline = prim_now_ns() + 2000000000ull;
	while (j->pending && prim_now_ns() <= deadline) {
		size_t before = j->pending;
		thread *t = j->threads.p;
		for (size_t k = 0; k < j->threads.n && j->pending; k++) {
			if (!t[k].attached || t[k].stopped)
				continue;
			int st;
			pid_t w = waitpid(t[k].tid, &st, __WALL | WNOHANG);
			if (w == t[k].tid)
				took_stop(j, &t[k], st);
			else if (w < 0 && errno == ECHILD) {
				t[k].attached = 0; /* gone */
				j->pending--;
			}
		}
		if (j->pending == before) {
			struct timespec d = {0, 20000};
			nanosleep(&d, NULL);
		}
	}
}

static void release_threads(job *j)
{
	thread *t = j->threads.p;
	for (size_t k = 0; k < j->threads.n; k++)
		if (t[k].attached)
			ptrace(PTRACE_DETACH, t[k].tid, NULL, (void *)(long)t[k].resig);
}

static int helper_main(void *arg)
{
	job *j = arg;
	/* The helper has a copy of the program's signal dispositions: a fault here must end the
	 * helper, never run the program's or the recorder's handlers. */
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} dfl = {0};
	for (int s = 1; s <= 64; s++)
		syscall(SYS_rt_sigaction, s, &dfl, NULL, 8);
	uint64_t all = ~(uint64_t)0;
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 8);
	for (int i = 0; i < 1000 && !__atomic_load_n(&j->go, __ATOMIC_ACQUIRE); i++)
		prim_futex_wait(&j->go, 0, 10000000u);
	char path[64] = "/proc/", num[24];
	size_t o = strlen(path);
	for (const char *s = prim_utoa((uint64_t)j->pid, num); *s;)
		path[o++] = *s++;
	memcpy(path + o, "/task", 6);
	int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		note(j, "cannot list the program's threads", NULL);
		j->failed = 1;
		return 0;
	}
	/* Threads may start threads until they are stopped: list again until no new one shows. */
	for (int round = 0; round < 16; round++) {
		long added = seize_new(j, dirfd);
		if (added < 0) {
			j->failed = 1;
			break;
		}
		wait_stops(j);
		if (!added)
			break;
	}
	close(dirfd);
	thread *t = j->threads.p;
	for (size_t k = 0; k < j->threads.n; k++)
		if (t[k].stopped == 1)
			j->stopped++;
		else
			t[k].stopped = 0;
	if (!j->failed && classify(j) != 0)
		j->failed = 1;
	release_threads(j);
	return 0;
}

/* ---- the caller ---- */

static job J;

int reach_scan(reach_block *blocks, size_t n, uintptr_t self_sp, pid_t skip_tid,
	       reach_result *res)
{
	uint64_t t0 = prim_now_ns();
	memset(res, 0, sizeof(*res));
	memset(&J, 0, sizeof(J));
	job *j = &J;
	j->segs.elem = sizeof(range);
	j->threads.elem = sizeof(thread);
	j->maps.elem = sizeof(range);
	j->anon.elem = sizeof(range);
	j->pid = getpid();
	j->self_tid = prim_gettid();
	j->skip_tid = skip_tid;
	j->self_sp = self_sp;
	j->blocks = blocks;
	j->n = n;
#if defined(__x86_64__)
	if (self_sp)
		__asm__ volatile("mov %%fs:0, %0" : "=r"(j->self_tp));
#elif defined(__aarch64__)
	if (self_sp)
		__asm__ volatile("mrs %0, tpidr_el0" : "=r"(j->self_tp));
#endif
	for (size_t i = 0; i < n; i++)
		blocks[i].kind = TF_REACH_REACHABLE;
	if (!REACH_SUPPORTED) {
		note(j, "not supported on this architecture", NULL);
		goto done;
	}
	dl_iterate_phdr(seg_cb, j);

	char *stack = prim_map(HELPER_STACK);
	if (!stack) {
		note(j, "out of memory", NULL);
		goto done;
	}
	static pid_t ctid;
	__atomic_store_n(&ctid, 1, __ATOMIC_RELEASE);
	pid_t h = clone(helper_main, stack + HELPER_STACK,
			CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED | CLONE_CHILD_CLEARTID, j,
			NULL, NULL, &ctid);
	if (h < 0) {
		note(j, "cannot start the scan: clone: ", strerrordesc_np(errno));
		prim_unmap(stack, HELPER_STACK);
		goto done;
	}
	/* Yama's ptrace_scope 1 lets only a named process trace an ancestor. */
	prctl(PR_SET_PTRACER, (unsigned long)h, 0, 0, 0);
	__atomic_store_n(&j->go, 1, __ATOMIC_RELEASE);
	prim_futex_wake(&j->go, 1);
	/* The deadline grows with the heap: 30 s and 1 s per 256 MiB. */
	uint64_t heap = 0;
	for (size_t i = 0; i < n; i++)
		heap += blocks[i].size;
	uint64_t deadline = t0 + 30000000000ull + (heap >> 28) * 1000000000ull;
	int timed_out = 0;
	for (;;) {
		pid_t c = __atomic_load_n(&ctid, __ATOMIC_ACQUIRE);
		if (!c)
			break;
		if (prim_now_ns() > deadline) {
			kill(h, SIGKILL);
			timed_out = 1;
			break;
		}
		/* not FUTEX_PRIVATE: the kernel's wake at the helper's exit is a shared one */
		struct timespec ts = {0, 100000000};
		syscall(SYS_futex, &ctid, FUTEX_WAIT, c, &ts, NULL, 0);
	}
	int st = 0;
	while (waitpid(h, &st, __WALL) < 0 && errno == EINTR)
		;
	prctl(PR_SET_PTRACER, 0, 0, 0, 0);
	prim_unmap(stack, HELPER_STACK);
	if (timed_out)
		note(j, "the scan took too long and was stopped", NULL);
	else if (!WIFEXITED(st)) {
		char num[24];
		note(j, "the scan failed: its helper process died of signal ",
		     prim_utoa(WIFSIGNALED(st) ? (uint64_t)WTERMSIG(st) : 0, num));
	}
	else if (!j->failed)
		res->scanned = 1;
	if (!res->scanned)
		for (size_t i = 0; i < n; i++)
			blocks[i].kind = TF_REACH_REACHABLE;
	else if (j->unreadable && !j->note[0]) {
		char num[24];
		note(j, prim_utoa(j->unreadable, num),
		     " blocks no longer mapped (freed after recording stopped) count as reachable");
	}
done:
	res->threads = 1 + (uint32_t)j->threads.n;
	res->threads_stopped = j->stopped;
	res->root_bytes = j->root_bytes;
	res->heap_bytes = j->heap_bytes;
	memcpy(res->note, j->note, sizeof(res->note));
	vec_free(&j->segs);
	vec_free(&j->threads);
	vec_free(&j->maps);
	vec_free(&j->anon);
	if (j->mapsbuf)
		prim_unmap(j->mapsbuf, j->mapsbuf_cap);
	if (j->own) prim_unmap(j->own, j->own_bytes);
	if (j->tid_slot) prim_unmap(j->tid_slot, j->tid_cap * sizeof(uint32_t));
	if (j->starts) prim_unmap(j->starts, (n + 1) * sizeof(uint64_t));
	if (j->ends) prim_unmap(j->ends, (n + 1) * sizeof(uint64_t));
	if (j->state) prim_unmap(j->state, n + 1);
	if (j->work) prim_unmap(j->work, (n + 1) * sizeof(uint32_t));
	if (j->chunk_key) prim_unmap(j->chunk_key, j->chunk_cap * sizeof(uint64_t));
	if (j->chunk_first) prim_unmap(j->chunk_first, j->chunk_cap * sizeof(uint32_t));
	if (j->chunk_last) prim_unmap(j->chunk_last, j->chunk_cap * sizeof(uint32_t));
	res->scan_ns = prim_now_ns() - t0;
	return 0;
}
