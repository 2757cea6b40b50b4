/*
 * session: the recorder's life in one process.  At the process's first allocation, whatever the
 * order in which libraries are initialized (shared-library constructors and static initializers
 * run before the recorder's own constructor and allocate), or at the recorder's constructor if
 * nothing allocated before, it reads the configuration once (the LEAKREC_* variables of
 * proto.h), sets the modules up, names and creates the trace file and starts the writer.  A forked
 * child (also one whose parent never allocated: the middle process of a daemon's double fork)
 * gets a trace of its own, started at its first event.  The trace is finished at exit after every
 * destructor has run (an exit handler registered before the C library registers the one that runs
 * the destructors, so the frees they make are recorded), before an exec or _exit (exec.c), on a
 * signal that ends the process (signals.h), or in daemon(3)'s parent before it leaves.  The file
 * also interposes dlopen, dlclose and daemon and defines leakrec_record_mark (leakrec.h).
 *
 * Attached to a running process (leakrec -p loads the library with dlopen and calls
 * leakrec_attach), the trace goes to the launcher's socket, the modules' GOT slots are patched
 * (got.h), and the writer detaches when the launcher says so; the library stays loaded, inert,
 * and may be attached again.
 */
#ifndef LEAKREC_SESSION_H
#define LEAKREC_SESSION_H

/* Called by a hook whose state st is REC_START (the process's first event: starts the recorder)
 * or REC_CHILD (a forked child's first event: starts the child's own trace, named after the
 * parent's with the child's pid).  Returns 1 when events are recorded now, 0 when this one is not
 * (another thread is starting, it is too early in the process's start-up to read the
 * environment, or nothing is to be recorded). */
int session_start(int st);
/* 1 when processes this one starts are recorded (LEAKREC_CHILDREN is not 0). */
int session_records_children(void);
/* 1 when this process is the one that started the current trace and recording is on. */
int session_active(void);
/* Finishes the trace (recording off, the writer's last pass, END record, file closed) when called
 * in the process that started it; does nothing in another one.  `ends`: the program ends here
 * (exit, _exit, daemon's parent), so the blocks still live get their leak kinds (reach.h); 0 for
 * an exec. */
void session_finish(int ends);

/* Exported for leakrec -p, which calls it by its address in one of the program's threads that it
 * stopped outside the allocator and the dynamic loader, right after loading this library there
 * (dlopen: the library then does nothing on its own).  conf: lines of key=value (socket: the
 * launcher's abstract unix socket, which receives the trace and says when to detach; depth,
 * sample, seed, unwind), owned by the caller.  Returns 0 once recording is on and every module is
 * patched (got.h), or a negative errno: -EALREADY when the library was preloaded (the program is
 * recorded already), -EBUSY when attached already, else why it failed (nothing left patched). */
int leakrec_attach(const char *conf);

#endif
