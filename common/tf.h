/*
 * tf: the leakrec trace format, shared by the recorder (which encodes) and the analyzer (which
 * decodes).  The normative description is docs/trace-format.md; this header is its C binding.
 *
 * A trace file is a sequence of independent zstd frames.  Each frame decompresses to a sequence of
 * whole records; a record is <type varint><payload length varint><payload>.  Integers inside
 * payloads are LEB128 varints (signed ones zigzag-encoded), strings are <length varint><bytes>.
 *
 * Encoding side (recorder): tf_enc writes records into a caller-owned buffer; it never allocates,
 * so it is safe inside the preload library.  Decoding side (analyzer): tf_reader_* reads a file
 * frame by frame and yields decoded records; tf_dec_* decode one payload with every length and
 * index checked against the buffer.
 */
#ifndef LEAKREC_TF_H
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
};

/* Event op byte: kind in bits 0-1, func in bits 2-5, thread slot in bits 6-7 (see tf_events). */
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

/* ---- encoder ---- */

/* An output buffer owned by the caller.  Writes past cap set `overflow` and are dropped. */
typedef struct tf_enc {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t rec_start; /* where the open record's type byte is */
	int overflow;
} tf_enc;

void tf_enc_init(tf_enc *e, uint8_t *buf, size_t cap);
void tf_enc_u(tf_enc *e, uint64_t v);                      /* unsigned varint */
void tf_enc_s(tf_enc *e, int64_t v);                       /* zigzag varint */
void tf_enc_byte(tf_enc *e, uint8_t b);
void tf_enc_bytes(tf_enc *e, const void *p, size_t n);      /* raw bytes, no length */
void tf_enc_str(tf_enc *e, const void *p, size_t n);        /* length + bytes */
/* Opens a record of the given type; its payload is everything written until tf_enc_end_record. */
void tf_enc_begin_record(tf_enc *e, unsigned type);
/* Closes the open record.  Returns 0, or TF_ESPACE when the buffer overflowed (the record and
 * everything after the last successful record are then discarded: len is rolled back). */
int tf_enc_end_record(tf_enc *e);

/* ---- decoded records ---- */

/* A bounded view of payload bytes.  All tf_dec_* functions fail with TF_ECORRUPT or TF_ETRUNC
 * rather than read outside [p, end). */
typedef struct tf_dec {
	const uint8_t *p;
	const uint8_t *end;
} tf_dec;

int tf_dec_u(tf_dec *d, uint64_t *v);
int tf_dec_s(tf_dec *d, int64_t *v);
int tf_dec_byte(tf_dec *d, uint8_t *b);
/* Points *s into the payload (not NUL-terminated); valid while the payload is. */
int tf_dec_str(tf_dec *d, const char **s, size_t *n);

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

/* An EVENTS payload being iterated: the decoder keeps the per-record state. */
typedef struct tf_events {
	uint64_t base_time; /* ns; every event of the record is at or after it */
	uint32_t shift;     /* times are base_time + ticks << shift */
	uint64_t next_id;   /* number of the record's next allocation */
	uint64_t count, done;
	uint64_t ticks;     /* delta state */
	uint64_t tids[TF_TID_SLOTS]; /* most recently used first */
	tf_dec col[TF_NCOLS];
} tf_events;

typedef struct tf_end {
	uint64_t time_ns;
	uint64_t allocs, frees;     /* events recorded by kind (RALLOC counts as alloc, RFREE as free) */
	uint64_t events;            /* events written */
	uint64_t dropped;           /* events lost by the recorder (must be 0) */
	uint64_t stacks, modules;
	uint64_t threads;
	uint64_t unmatched_frees;   /* frees of pointers the recorder never saw allocated */
	uint64_t implicit_frees;    /* TF_FN_IMPLICIT frees written */
} tf_end;

typedef struct tf_record {
	unsigned type;
	uint64_t offset;   /* file offset of the zstd frame that holds the record */
	const uint8_t *payload;
	size_t len;
	union {
		tf_header header;
		tf_module module;
		tf_module_unload unload;
		tf_stack stack;
		tf_events events; /* iterate with tf_events_read or tf_events_next */
		struct { uint64_t time_ns; } sync;
		struct { uint64_t time_ns, rss_bytes; } rss;
		struct { uint64_t time_ns, tid; const char *label; size_t label_len; } mark;
		struct { uint64_t tid; const char *name; size_t name_len; } thread;
		tf_end end;
	} u;
} tf_record;

/* Decodes the payload of a record of the given type into rec->u.  Unknown types are left
 * undecoded (return 0).  For EVENTS only the record header is decoded: call tf_events_read. */
int tf_decode(tf_record *rec);
/* Decodes the next event of an EVENTS record.  Returns 1 with *ev filled, 0 after the last one,
 * or a negative TF_E* code. */
int tf_events_next(tf_events *it, tf_event *ev);
/* Decodes the next events of an EVENTS record into ev[0 .. max), as that many tf_events_next
 * calls would (the fast path for whole records).  Returns 0 with *n events filled (fewer than
 * max at the end of the record, 0 after it), or TF_ECORRUPT at a damaged event: *n then counts
 * the valid events before it.  After an error every later call (and tf_events_next) fails
 * again. */
int tf_events_read(tf_events *it, tf_event *ev, size_t max, size_t *n);

/* ---- encoders of whole records (recorder side) ---- */

void tf_enc_header(tf_enc *e, const tf_header *h);
void tf_enc_module(tf_enc *e, const tf_module *m);
void tf_enc_module_unload(tf_enc *e, uint64_t id, uint64_t epoch);
void tf_enc_stack(tf_enc *e, uint64_t id, uint64_t epoch, const uint64_t *frames, uint32_t n);
void tf_enc_sync(tf_enc *e, uint64_t time_ns);
void tf_enc_rss(tf_enc *e, uint64_t time_ns, uint64_t rss_bytes);
void tf_enc_mark(tf_enc *e, uint64_t time_ns, uint64_t tid, const char *label, size_t n);
void tf_enc_thread(tf_enc *e, uint64_t tid, const char *name, size_t n);
void tf_enc_end(tf_enc *e, const tf_end *end);

/* Streaming EVENTS encoder: begin, add events in order (at most TF_EVENTS_MAX), finish.  The
 * state and the column buffers live in the tf_evenc (about 450 KiB: keep it off small stacks), so
 * a record is self-contained.  Times are stored in ticks of 2^shift ns after base_time, rounded
 * down (an event before base_time is stored at base_time): shift 0 keeps nanoseconds.
 * `first_id` is the number the record's first allocation gets; an allocation's ev->id is ignored
 * (it is the next number), a free's ev->id must be below it. */
typedef struct tf_evenc {
	tf_enc *e;
	uint64_t count;
	uint64_t base;
	uint32_t shift;
	uint64_t ticks;
	uint64_t next_id;
	uint64_t tids[TF_TID_SLOTS];
	int overflow; /* more than TF_EVENTS_MAX events were added */
	tf_enc col[TF_NCOLS];
	uint8_t buf_op[TF_EVENTS_MAX], buf_tid[TF_EVENTS_MAX * 10], buf_dt[TF_EVENTS_MAX * 10];
	uint8_t buf_size[TF_EVENTS_MAX * 10], buf_stack_lo[TF_EVENTS_MAX];
	uint8_t buf_stack_hi[TF_EVENTS_MAX * 10], buf_back_lo[TF_EVENTS_MAX];
	uint8_t buf_back_hi[TF_EVENTS_MAX * 10], buf_inplace[TF_EVENTS_MAX];
} tf_evenc;

void tf_evenc_begin(tf_evenc *w, tf_enc *e, uint64_t base_time, uint32_t shift, uint64_t first_id);
void tf_evenc_add(tf_evenc *w, const tf_event *ev);
/* Writes the columns and closes the record.  Returns 0, or TF_ESPACE when the output buffer was
 * too small or more than TF_EVENTS_MAX events were added (the record is then discarded). */
int tf_evenc_end(tf_evenc *w);

/* ---- reader (analyzer side; allocates) ---- */

typedef struct tf_reader tf_reader;

/* Opens path for reading.  Returns 0 and *out, or TF_EIO (errno set).  Free with
 * tf_reader_close.  The reader owns every payload it yields until the next tf_reader_next.  It
 * starts a thread that decompresses the next frame ahead of the caller (ended by
 * tf_reader_close); a reader is used by one thread at a time. */
int tf_reader_open(tf_reader **out, const char *path);
/* Yields the next record, decoded as by tf_decode.  Returns 1, 0 at a clean end of file, or a
 * negative code: afterwards tf_reader_error_offset() tells where the damage starts.  The first
 * record of a file must be a HEADER (else TF_EMAGIC or TF_EVERSION). */
int tf_reader_next(tf_reader *r, tf_record *rec);
/* Byte offset in the compressed file at which the last error was found. */
uint64_t tf_reader_error_offset(const tf_reader *r);
/* Bytes of the file read so far, and its size. */
uint64_t tf_reader_file_size(const tf_reader *r);
void tf_reader_close(tf_reader *r);

#endif
