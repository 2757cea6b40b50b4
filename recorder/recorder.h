/*
 * rec: the recorder's global state shared by its modules: on/off, failure reporting, and the
 * per-thread "do not record" switch.  The interposed functions themselves are in hooks.c.
 */
#ifndef LEAKREC_REC_H
#define LEAKREC_REC_H

/* Turns recording off for good (after a failure); events are no longer recorded. */
void rec_disable(void);
/* Turns recording off and says once on stderr why ("leakrec: <why>; recording stopped"). */
void rec_fail(const char *why);
/* The calling thread's allocations are not recorded until rec_thread_unignore (nests). */
void rec_thread_ignore(void);
void rec_thread_unignore(void);

#endif
