/*
 * tf: the leakrec trace format, shared by the recorder (which encodes, tf_enc.h) and the analyzer
 * and launcher (which decode, tf_dec.h, and read files, tf_reader.h).  The normative description
 * is docs/trace-format.md; this header is its C binding: constants, error codes, record types and
 * the plain structs of decoded records.
 *
 * A trace file is a sequence of independent zstd frames.  Each frame decompresses to a sequence of
 * whole records; a record is <type varint><payload length varint><payload>.  Integers inside
 * payloads are LEB128 varints (signed ones zigzag-encoded), strings are <length varint><bytes>.
 * Nothing here allocates or calls stdio.
 */
#ifndef LEAKREC_TF_H
#define LEAKREC_TF_H

#define LEAKREC_TF_H

#include <stddef.h>
#include <stdint.h>

#define TF_MAGIC "LEAKREC\x1a" /* 8 bytes at the start of the header payload */
#define TF_MAGIC_LEN 8
#define TF_VERSION 1

/* Largest payload a reader accepts and a writer produces (a frame may hold several). */
#define TF_MAX_PAYLOAD (16u << 20)
/* Largest decompressed frame a reader accepts. */
#define TF_MAX_FRAME (256u << 20)
#define TF_MAX_FRAMES 1024 /* frames in one STACK record */

/* Error codes: every function returning int returns 0 (or a count) or one of these. */
enum {
	TF_OK = 0,
	TF_EIO = -1,        /* read or write failed: see errno */
	TF_ETRUNC = -2,     /* the data ends inside a record or frame */
	TF_ECORRUPT = -3,   /* a length, index or value is out of range, or zstd refused a frame */
	TF_EMAGIC = -4,     /* not a leakrec trace */
	TF_EVERSION = -5,   /* written by a newer format version */
	TF_ENOMEM = -6,     /* out of memory */
	TF_ESPACE = -7,     /* encoder: the output buffer is too small */
	TF_EEMPTY = -8,     /* the file is empty */
};

/* Returns a static string describing a TF_E* code. */
const char *tf_strerror(int err);

/* Record types. */
enum tf_rec_type {
	TF_REC_HEADER = 1,        /* first record of a trace */
	TF_REC_MODULE_LOAD = 2,   /* a loaded object: path, build-id, bias, segments */
	TF_REC_MODULE_UNLOAD = 3, /* an object was unloaded; the stack epoch advanced */
	TF_REC_STACK = 4,         /* a stack id and its instruction addresses */
	TF_REC_EVENTS = 5,        /* a batch of one thread's events */
	TF_REC_SYNC = 6,          /* every event with time < t precedes this record */
	TF_REC_RSS = 7,           /* resident set size sample */
	TF_REC_MARK = 8,          /* a moment labelled by the program (leakrec_mark) */
	TF_REC_THREAD = 9,        /* a thread's name */
	TF_REC_END = 10,          /* last record: the recorder's counters */
	TF_REC_REACH = 11,        /* the reachability scan at the end: what it did */
	TF_REC_REACH_BLOCKS = 12, /* the leak kinds of blocks live at the end */
};

/* Leak kinds of a block live at the end (REACH_BLOCKS). */
enum tf_reach_kind {
	TF_REACH_DEFINITELY_LOST = 1, /* no pointer to it anywhere, nor from another lost block */
	TF_REACH_INDIRECTLY_LOST = 2, /* pointed to only by lost blocks */
	TF_REACH_POSSIBLY_LOST = 3,   /* reached only through pointers into its interior */
	TF_REACH_REACHABLE = 4,       /* a pointer to its start in scanned memory */
	TF_REACH_KINDS = 5
};

/* Returns "definitely_lost", "indirectly_lost", "possibly_lost", "reachable", or "?". */
const char *tf_reach_kind_name(unsigned kind);

/* Event op byte: kind in bits 0-1, func in bits 2-5, thread slot in bits 6-7 (see tf_enc.c, tf_dec.c). */
#define TF_TID_SLOTS 3  /* slots 0-2 name the most recently used threads; 3: the tid follows */
#define TF_MAX_SHIFT 40 /* largest time tick: 2^40 ns */

/* Event kinds (low 2 bits of an event's op byte). */
enum tf_ev_kind {
	TF_EV_ALLOC = 0,     /* ptr, size, stack */
	TF_EV_FREE = 1,      /* ptr */
	TF_EV_RFREE = 2,     /* realloc released ptr (taken before the real call) */
	TF_EV_RALLOC = 3,    /* realloc returned ptr with size, stack */
};

/* Which function made the event (op byte >> 2). */
enum tf_func {
	TF_FN_MALLOC = 0,
	TF_FN_CALLOC,
	TF_FN_REALLOC,
	TF_FN_REALLOCARRAY,
	TF_FN_POSIX_MEMALIGN,
	TF_FN_ALIGNED_ALLOC,
	TF_FN_MEMALIGN,
	TF_FN_VALLOC,
	TF_FN_PVALLOC,
	TF_FN_FREE,
	TF_FN_IMPLICIT, /* FREE written by the recorder: the allocator handed out the address of a
			 * block whose release it never saw (freed inside the C library) */
	TF_FN_COUNT
};

/* Returns the C name of a TF_FN_* value ("malloc" ...), or "?" when out of range. */
const char *tf_func_name(unsigned fn);

/* ---- varints (no allocation; safe in the recorder) ---- */

/* Writes v at p (at most 10 bytes) and returns the number of bytes written. */
size_t tf_put_uvarint(uint8_t *p, uint64_t v);
static inline uint64_t tf_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t tf_unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }


typedef struct tf_header {
	uint32_t version;
	uint32_t pid, ppid;
	uint64_t clock_origin_ns; /* CLOCK_MONOTONIC at recorder start; event times are relative */
	uint64_t realtime_ns;     /* CLOCK_REALTIME at the same moment (Unix epoch) */
	uint32_t max_depth;
	const char *exe;
	size_t exe_len;
	const char *argv; /* argc strings, each terminated by '\0' */
	size_t argv_len;
	uint32_t argc;
	uint64_t sample_rate;     /* mean bytes between sampled allocations; 0: every allocation */
	uint32_t attached;        /* 1: recorded by attaching to a running process (leakrec -p):
				   * blocks allocated before the recorder attached are unknown to the
				   * trace, and their frees are expected (END unmatched_frees); 0: the
				   * recorder ran from the program's start */
} tf_header;

typedef struct tf_segment {
	uint64_t vaddr, memsz, offset; /* from the PT_LOAD program header */
	uint32_t flags;                /* PF_X | PF_W | PF_R */
} tf_segment;

#define TF_MAX_SEGMENTS 64
#define TF_MAX_BUILD_ID 64

typedef struct tf_module {
	uint64_t id;    /* unique per trace */
	uint64_t epoch; /* first stack epoch in which it is loaded */
	uint64_t bias;  /* load bias (l_addr): runtime address = vaddr + bias */
	const char *path;
	size_t path_len;
	uint8_t build_id[TF_MAX_BUILD_ID];
	size_t build_id_len;
	uint32_t nseg;
	tf_segment seg[TF_MAX_SEGMENTS];
} tf_module;

typedef struct tf_module_unload {
	uint64_t id;
	uint64_t epoch; /* first epoch in which it is no longer loaded */
} tf_module_unload;

typedef struct tf_stack {
	uint64_t id;
	uint64_t epoch;
	uint32_t nframes;
	uint64_t frames[TF_MAX_FRAMES]; /* innermost first; call-site addresses (return address - 1) */
} tf_stack;

/* One event.  Allocations are numbered 0, 1, 2 ... in file order over the whole trace; a free
 * names the allocation it releases by that number, so the trace holds no pointers. */
typedef struct tf_event {
	uint8_t kind;    /* TF_EV_* */
	uint8_t func;    /* TF_FN_* */
	uint8_t inplace; /* RALLOC: the block kept its address */
	uint64_t time_ns;
	uint64_t tid;
	uint64_t id;    /* ALLOC, RALLOC: the allocation's number; FREE, RFREE: the one released */
	uint64_t size;  /* ALLOC, RALLOC */
	uint64_t stack; /* ALLOC, RALLOC */
} tf_event;

/* EVENTS records are columnar: each field of the record's events is stored in its own column,
 * so that zstd sees runs of like values (see docs/trace-format.md). */
enum tf_col {
	TF_COL_OP,       /* one byte per event */
	TF_COL_TID,      /* u, for events whose thread slot is TF_TID_SLOTS */
	TF_COL_DT,       /* u per event */
	TF_COL_SIZE,     /* u per allocation */
	TF_COL_STACK_LO, /* low byte of the stack id, per allocation */
	TF_COL_STACK_HI, /* u: stack id >> 8, per allocation */
	TF_COL_BACK_LO,  /* low byte of the back distance, per free */
	TF_COL_BACK_HI,  /* u: back distance >> 8, per free */
	TF_COL_INPLACE,  /* one byte per RALLOC */
	TF_NCOLS
};

#define TF_EVENTS_MAX 8192 /* events in one EVENTS record */
typedef struct tf_end {
	uint64_t time_ns;
	uint64_t allocs, frees;     /* events recorded by kind (RALLOC counts as alloc, RFREE as free) */
	uint64_t events;            /* events written */
	uint64_t dropped;           /* events lost by the recorder (must be 0) */
	uint64_t stacks, modules;
	uint64_t threads;
	uint64_t unmatched_frees;   /* frees of pointers the recorder never saw allocated */
	uint64_t implicit_frees;    /* TF_FN_IMPLICIT frees written */
	int have_calls;             /* the two below were written (later builds of version 1) */
	uint64_t calls_allocs;      /* allocations as leakanalyze counts them: ALLOC, and RALLOC when
				     * the block moved or grew */
	uint64_t calls_frees;       /* frees as leakanalyze counts them: FREE made by a call */
} tf_end;

/* The REACH record: what the scan at the end did. */
typedef struct tf_reach {
	uint32_t scanned;         /* 1: REACH_BLOCKS records follow with every live block's kind */
	uint64_t scan_ns;         /* how long the scan took */
	uint64_t root_bytes;      /* root memory scanned: segments, stacks, TLS, registers */
	uint64_t heap_bytes;      /* heap block bytes scanned */
	uint32_t threads;         /* program threads found */
	uint32_t threads_stopped; /* threads other than the ending one stopped and scanned */
	const char *note;         /* why there was no scan, or what it could not see */
	size_t note_len;
} tf_reach;

/* A REACH_BLOCKS record: count blocks, their kinds (count bytes) and their allocation numbers
 * (ascending, delta-coded varints), read with tf_dec_reach_next. */
typedef struct tf_reach_blocks {
	uint64_t count, done;
	const uint8_t *kinds;
	uint64_t prev;
	const uint8_t *p, *end; /* the numbers */
} tf_reach_blocks;


#endif
