/*
 * tf_reader.c: reads a trace file frame by frame and yields its records (analyzer side).
 *
 * The file is mapped read-only; each zstd frame is located with ZSTD_findFrameCompressedSize,
 * decompressed whole into a buffer the reader owns, and its records are handed out one at a time.
 * Damage never stops the reader silently: a frame that is cut off yields TF_ETRUNC, a frame that
 * zstd rejects (or whose records do not parse) yields TF_ECORRUPT, each with the file offset of
 * the frame.  After a TF_ECORRUPT the next call resumes at the next zstd frame magic found after
 * the damage, so the rest of a trace with one bad frame is still read.
 *
 * Read-ahead: decompression takes a good part of an analysis, and which frame comes next and what
 * it decompresses to depend only on where the previous one ended.  A second thread therefore
 * loads frame N+1 (load_frame on a shadow reader that has its own buffer) while the caller reads
 * the records of frame N; the caller takes its result (the buffer, the position, the error and
 * its offset) where it would have called load_frame, and the thread starts on the next one.  The
 * results are those load_frame gives without the thread, in the same order.  Without a thread
 * (it could not be started) the caller loads each frame itself.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_isFrame, ZSTD_findFrameCompressedSize */
#include "tf_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

struct tf_reader {
	uint8_t *map; /* read-only mapping */
	size_t size;
	size_t pos;         /* next frame starts here */
	uint64_t frame_off; /* offset of the frame whose records are being handed out */
	uint8_t *buf;       /* decompressed frame */
	size_t buf_len, buf_cap, buf_pos;
	ZSTD_DStream *ds;
	uint64_t err_off;
	int seen_header;
	int dead; /* no more records can be read */
	size_t page;     /* the page size */
	size_t released; /* the mapping before this offset was handed back (release_before) */

	/* read-ahead (see above); ra is NULL without the thread */
	struct tf_reader *ra; /* the shadow reader the thread loads frames with */
	pthread_t ra_thread;
	pthread_mutex_t ra_mu;
	pthread_cond_t ra_work, ra_done;
	int ra_want;          /* the thread is to load the next frame */
	int ra_ready;         /* it did: ra_rc and the shadow hold the result */
	int ra_rc;
	int ra_stop;
	size_t ra_cap;        /* the thread's: the largest buffer capacity so far (see ra_load) */
};

static void ra_start(tf_reader *r);
static void ra_end(tf_reader *r);

/* Pages of the mapping are handed back in steps of at least this many bytes. */
#define TF_RELEASE_STEP (1u << 20)

int tf_reader_open(tf_reader **out, const char *path)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return TF_EIO;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return TF_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return TF_EIO;
	}
	tf_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return TF_ENOMEM;
	}
	r->size = (size_t)st.st_size;
	long page = sysconf(_SC_PAGESIZE);
	r->page = page > 0 ? (size_t)page : 4096;
	if (r->size > 0) {
		void *m = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			int e = errno;
			close(fd);
			free(r);
			errno = e;
			return TF_EIO;
		}
		r->map = m;
		madvise(m, r->size, MADV_SEQUENTIAL);
	}
	close(fd);
	r->ds = ZSTD_createDStream();
	if (!r->ds) {
		tf_reader_close(r);
		return TF_ENOMEM;
	}
	ra_start(r);
	*out = r;
	return 0;
}

void tf_reader_close(tf_reader *r)
{
	if (!r)
		return;
	ra_end(r);
	if (r->map)
		munmap(r->map, r->size);
	ZSTD_freeDStream(r->ds);
	free(r->buf);
	free(r);
}

uint64_t tf_reader_error_offset(const tf_reader *r) { return r->err_off; }
uint64_t tf_reader_file_size(const tf_reader *r) { return r->size; }

static int fail(tf_reader *r, uint64_t off, int err)
{
	r->err_off = off;
	return err;
}

/* Moves pos to the next zstd frame magic after `from`, or to the end. */
static void resync(tf_reader *r, size_t from)
{
	static const uint8_t magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
	for (size_t i = from; i + 4 <= r->size; i++) {
		if (memcmp(r->map + i, magic, 4) == 0) {
			r->pos = i;
			return;
		}
	}
	r->pos = r->size;
}

/* Hands the pages of the mapping before `off` back to the kernel.  The reader never reads the
 * file before the frame it is loading (a resync only looks forward), and without this every
 * page of the trace read so far would stay resident: the analyzer's peak RSS grew with the size
 * of the trace file, most of it pages read once.  The pages stay in the page cache. */
static void release_before(tf_reader *r, size_t off)
{
	size_t end = off / r->page * r->page;
	if (end >= r->released + TF_RELEASE_STEP) {
		madvise(r->map + r->released, end - r->released, MADV_DONTNEED);
		r->released = end;
	}
}

/* Decompresses the frame at r->pos into r->buf. */
static int load_frame(tf_reader *r)
{
	size_t off = r->pos;
	release_before(r, off);
	const uint8_t *src = r->map + off;
	size_t avail = r->size - off;
	if (avail < 4 && off > 0) {
		/* A few bytes of a frame that was being written when the file was cut. */
		r->dead = 1;
		return fail(r, off, TF_ETRUNC);
	}
	if (avail < 4 || !ZSTD_isFrame(src, avail)) {
		if (off == 0)
			return fail(r, 0, avail < 4 ? TF_ETRUNC : TF_EMAGIC);
		resync(r, off + 1);
		return fail(r, off, TF_ECORRUPT);
	}
	size_t csize = ZSTD_findFrameCompressedSize(src, avail);
	if (ZSTD_isError(csize)) {
		/* A frame that runs past the end of the file is the cut-off last frame, unless another
		 * frame starts after it: then its block sizes are damaged (or the resync landed on a
		 * false magic inside a damaged frame) and reading goes on with the next frame. */
		resync(r, off + 1);
		if (ZSTD_getErrorCode(csize) == ZSTD_error_srcSize_wrong && r->pos >= r->size) {
			r->dead = 1;
			return fail(r, off, TF_ETRUNC);
		}
		return fail(r, off, TF_ECORRUPT);
	}
	r->frame_off = off;
	r->buf_len = r->buf_pos = 0;
	ZSTD_DCtx_reset(r->ds, ZSTD_reset_session_only);
	ZSTD_inBuffer in = {src, csize, 0};
	for (;;) {
		if (r->buf_cap - r->buf_len < ZSTD_DStreamOutSize()) {
			size_t ncap = r->buf_cap ? r->buf_cap * 2 : (1u << 20);
			if (ncap > TF_MAX_FRAME + ZSTD_DStreamOutSize()) {
				resync(r, off + csize);
				return fail(r, off, TF_ECORRUPT);
			}
			uint8_t *nb = realloc(r->buf, ncap);
			if (!nb) {
				r->dead = 1;
				return fail(r, off, TF_ENOMEM);
			}
			r->buf = nb;
			r->buf_cap = ncap;
		}
		ZSTD_outBuffer out = {r->buf, r->buf_cap, r->buf_len};
		size_t rc = ZSTD_decompressStream(r->ds, &out, &in);
		r->buf_len = out.pos;
		if (ZSTD_isError(rc)) {
			r->buf_len = 0;
			resync(r, off + 1);
			return fail(r, off, TF_ECORRUPT);
		}
		if (rc == 0)
			break;
		if (in.pos == in.size && out.pos < out.size) {
			/* zstd wants more input than the frame has: damaged. */
			r->buf_len = 0;
			resync(r, off + 1);
			return fail(r, off, TF_ECORRUPT);
		}
	}
	r->pos = off + csize;
	return 0;
}

/* ---- read-ahead (see the top of the file) ---- */

/* Loads the next frame into the shadow reader w.  Without the thread one buffer serves every
 * frame and only grows, and load_frame's limit on a frame's size goes by that buffer's capacity:
 * the buffer gets the largest capacity so far first, so that the limit is the same. */
static int ra_load(tf_reader *r, tf_reader *w)
{
	w->buf_len = w->buf_pos = 0; /* as the caller's buffer: spent */
	if (w->buf_cap < r->ra_cap) {
		free(w->buf);
		w->buf = malloc(r->ra_cap);
		w->buf_cap = w->buf ? r->ra_cap : 0;
		if (!w->buf) {
			w->dead = 1;
			return fail(w, w->pos, TF_ENOMEM);
		}
	}
	int rc = load_frame(w);
	if (w->buf_cap > r->ra_cap)
		r->ra_cap = w->buf_cap;
	return rc;
}

static void *ra_main(void *arg)
{
	tf_reader *r = arg;
	pthread_mutex_lock(&r->ra_mu);
	for (;;) {
		while (!r->ra_stop && !r->ra_want)
			pthread_cond_wait(&r->ra_work, &r->ra_mu);
		if (r->ra_stop)
			break;
		r->ra_want = 0;
		pthread_mutex_unlock(&r->ra_mu);
		int rc = ra_load(r, r->ra);
		pthread_mutex_lock(&r->ra_mu);
		r->ra_rc = rc;
		r->ra_ready = 1;
		pthread_cond_signal(&r->ra_done);
	}
	pthread_mutex_unlock(&r->ra_mu);
	return NULL;
}

/* Starts the thread on the first frame; without it (out of memory, no thread) the reader loads
 * each frame itself. */
static void ra_start(tf_reader *r)
{
	if (r->size == 0)
		return;
	tf_reader *w = calloc(1, sizeof(*w));
	if (!w)
		return;
	w->map = r->map;
	w->size = r->size;
	w->ds = r->ds; /* used by the thread only from now on */
	w->page = r->page;
	if (pthread_mutex_init(&r->ra_mu, NULL)) {
		free(w);
		return;
	}
	if (pthread_cond_init(&r->ra_work, NULL)) {
		pthread_mutex_destroy(&r->ra_mu);
		free(w);
		return;
	}
	if (pthread_cond_init(&r->ra_done, NULL)) {
		pthread_cond_destroy(&r->ra_work);
		pthread_mutex_destroy(&r->ra_mu);
		free(w);
		return;
	}
	r->ra = w;
	r->ra_want = 1;
	if (pthread_create(&r->ra_thread, NULL, ra_main, r)) {
		r->ra = NULL;
		r->ra_want = 0;
		pthread_cond_destroy(&r->ra_done);
		pthread_cond_destroy(&r->ra_work);
		pthread_mutex_destroy(&r->ra_mu);
		free(w);
	}
}

static void ra_end(tf_reader *r)
{
	if (!r->ra)
		return;
	pthread_mutex_lock(&r->ra_mu);
	r->ra_stop = 1;
	pthread_cond_signal(&r->ra_work);
	pthread_mutex_unlock(&r->ra_mu);
	pthread_join(r->ra_thread, NULL);
	pthread_cond_destroy(&r->ra_done);
	pthread_cond_destroy(&r->ra_work);
	pthread_mutex_destroy(&r->ra_mu);
	free(r->ra->buf);
	free(r->ra);
	r->ra = NULL;
}

/* What load_frame(r) would do, done ahead by the thread: waits for its result and takes it. */
static int next_frame(tf_reader *r)
{
	tf_reader *w = r->ra;
	if (!w)
		return load_frame(r);
	pthread_mutex_lock(&r->ra_mu);
	while (!r->ra_ready)
		pthread_cond_wait(&r->ra_done, &r->ra_mu);
	r->ra_ready = 0;
	int rc = r->ra_rc;
	/* the frame changes hands; the spent buffer goes to the thread for the next one */
	uint8_t *spent = r->buf;
	size_t spent_cap = r->buf_cap;
	r->buf = w->buf;
	r->buf_cap = w->buf_cap;
	r->buf_len = w->buf_len;
	r->buf_pos = w->buf_pos;
	w->buf = spent;
	w->buf_cap = spent_cap;
	r->pos = w->pos;
	r->dead = w->dead;
	r->frame_off = w->frame_off;
	if (rc)
		r->err_off = w->err_off; /* load_frame sets it only when it fails */
	if (!w->dead && w->pos < w->size) {
		r->ra_want = 1;
		pthread_cond_signal(&r->ra_work);
	}
	pthread_mutex_unlock(&r->ra_mu);
	return rc;
}

int tf_reader_next(tf_reader *r, tf_record *rec)
{
	for (;;) {
		if (!r->dead && r->buf_pos < r->buf_len)
			break;
		if (r->dead || r->pos >= r->size) {
			if (r->size == 0 && !r->dead) {
				r->dead = 1; /* said once; then a clean end */
				return fail(r, 0, TF_EEMPTY);
			}
			if (r->size == 0)
				return 0;
			if (!r->seen_header && !r->dead) {
				r->dead = 1;
				return fail(r, 0, TF_EMAGIC);
			}
			return 0;
		}
		int rc = next_frame(r);
		if (rc) {
			if (!r->seen_header && (rc == TF_EMAGIC || r->frame_off == 0))
				r->dead = 1;
			return rc;
		}
	}
	tf_dec d = {r->buf + r->buf_pos, r->buf + r->buf_len};
	uint64_t type, len;
	int rc = tf_dec_u(&d, &type);
	if (rc == 0)
		rc = tf_dec_u(&d, &len);
	if (rc == 0 && len > (uint64_t)(d.end - d.p))
		rc = TF_ECORRUPT;
	if (rc) {
		r->buf_pos = r->buf_len; /* drop the rest of this frame */
		return fail(r, r->frame_off, TF_ECORRUPT);
	}
	memset(rec, 0, offsetof(tf_record, u));
	rec->type = (unsigned)type;
	rec->offset = r->frame_off;
	rec->payload = d.p;
	rec->len = (size_t)len;
	r->buf_pos = (size_t)(d.p + len - r->buf);
	if (!r->seen_header) {
		if (type != TF_REC_HEADER) {
			r->dead = 1;
			return fail(r, 0, TF_EMAGIC);
		}
	}
	rc = tf_dec_record(rec);
	if (rc) {
		if (!r->seen_header)
			r->dead = 1;
		if (rc == TF_ETRUNC)
			rc = TF_ECORRUPT; /* a record cut inside a complete frame is corruption */
		return fail(r, r->frame_off, rc);
	}
	r->seen_header = 1;
	return 1;
}
