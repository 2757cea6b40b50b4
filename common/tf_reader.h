/*
 * tf_reader: reads a trace file frame by frame and yields its decoded records (analyzer and
 * launcher side; allocates).
 */
#ifndef LEAKREC_TF_READER_H
#define LEAKREC_TF_READER_H

#include <stdint.h>

#include "tf_dec.h"

typedef struct tf_reader tf_reader;

/* Opens path for reading.  Returns 0 and *out, or TF_EIO (errno set).  Free with
 * tf_reader_close.  The reader owns every payload it yields until the next tf_reader_next.  It
 * starts a thread that decompresses the next frame ahead of the caller (ended by
 * tf_reader_close); a reader is used by one thread at a time. */
int tf_reader_open(tf_reader **out, const char *path);
/* Yields the next record, decoded as by tf_dec_record.  Returns 1, 0 at a clean end of file, or a
 * negative code: afterwards tf_reader_error_offset() tells where the damage starts.  The first
 * record of a file must be a HEADER (else TF_EMAGIC or TF_EVERSION). */
int tf_reader_next(tf_reader *r, tf_record *rec);
/* Byte offset in the compressed file at which the last error was found. */
uint64_t tf_reader_error_offset(const tf_reader *r);
/* Bytes of the file read so far, and its size. */
uint64_t tf_reader_file_size(const tf_reader *r);
void tf_reader_close(tf_reader *r);

#endif
