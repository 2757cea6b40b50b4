/*
 * leakrec.h: the API a program may call while it runs under leakrec.
 *
 * Call leakrec_mark("warmup done") to label a moment of the run; `leakanalyze --from/--to`
 * accept the label.  Without the recorder the call does nothing: it goes through a weak
 * reference that is NULL unless libleakrec.so is preloaded, so a program built with this header
 * needs no library to link and runs unchanged without leakrec.
 */
#ifndef LEAKREC_H
#define LEAKREC_H

#ifdef __cplusplus
extern "C" {
#endif

/* Exported by libleakrec.so; do not call directly (it may be absent): use leakrec_mark. */
void leakrec_record_mark(const char *label) __attribute__((weak));

/* Records a mark with the given label (copied; at most 255 bytes kept) at the current time.
 * A no-op when the program does not run under leakrec. */
static inline void leakrec_mark(const char *label)
{
	if (leakrec_record_mark)
		leakrec_record_mark(label);
}

#ifdef __cplusplus
}
#endif

#endif
