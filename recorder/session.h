/*
 * session: the recorder's life in one process.  At start-up (a constructor) it reads the
 * configuration once (the LEAKREC_* variables of proto.h), sets the modules up, names and creates
 * the trace file and starts the writer.  A forked child gets a trace of its own, started at its
 * first event; the trace is finished by the destructor, before an exec or _exit (exec.c), or on a
 * fatal signal (signals.h).  The file also interposes dlopen and dlclose (the module map follows
 * them) and defines leakrec_record_mark (leakrec.h).
 */
#ifndef LEAKREC_SESSION_H
#define LEAKREC_SESSION_H

/* In a forked child whose state is REC_CHILD: starts the child's own trace (named after the
 * parent's, with the child's pid).  Returns 1 when events are recorded now, 0 when this one is
 * not (another thread is starting the trace, or it could not be started: recording is off). */
int session_start_child(void);
/* 1 when this process is the one that started the current trace and recording is on. */
int session_active(void);
/* Finishes the trace (recording off, the writer's last pass, END record, file closed) when called
 * in the process that started it; does nothing in another one. */
void session_finish(void);

#endif
