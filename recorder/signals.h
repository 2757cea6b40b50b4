/*
 * signals: the fatal signals whose default action would end the process before the recorder
 * could finish its trace.  Their handler has the writer write everything and the END record, then
 * lets the default action happen.
 */
#ifndef LEAKREC_SIGNALS_H
#define LEAKREC_SIGNALS_H

#include <sys/types.h>

/* Installs the handler on every fatal signal the program left at its default.  A signal in
 * process `owner` (the one writing the trace) finishes the trace first; in another process (a
 * forked child that has no trace of its own yet) the handler only restores the default. */
void signals_install(pid_t owner);

#endif
