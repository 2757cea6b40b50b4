/*
 * signals: every signal whose default action ends the process (INT, HUP, TERM, PIPE, SEGV, ABRT,
 * the real-time signals ...).  While the program leaves one at its default, the recorder's
 * handler has the writer write everything and the END record, then lets the default action
 * happen: the program dies of the signal as it would have.  The file interposes sigaction and
 * signal so that the program sees its own settings only (SIG_DFL where the recorder holds a
 * signal), and a handler or SIG_IGN it sets goes to the kernel as it would without the recorder.
 */
#ifndef LEAKREC_SIGNALS_H
#define LEAKREC_SIGNALS_H

#include <sys/types.h>

/* Installs the handler on every such signal the program left at its default.  A signal in
 * process `owner` (the one writing the trace) finishes the trace first; in another process (a
 * forked child that has no trace of its own yet) the handler only restores the default. */
void signals_install(pid_t owner);

#endif
