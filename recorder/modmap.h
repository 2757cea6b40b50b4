/*
 * modmap: the module map of the traced process: every loaded object's path, build-id, load bias and
 * PT_LOAD segments, emitted as MODULE_LOAD / MODULE_UNLOAD records.  An unload advances the stack
 * epoch: stacks are keyed by epoch, so a library loaded later at the same address never takes
 * over the frames of the one that was there before.
 */
#ifndef LEAKREC_MODMAP_H
#define LEAKREC_MODMAP_H

#include <stdint.h>

/* Current stack epoch (starts at 0). */
uint64_t modmap_epoch(void);
/* Compares the loaded objects with the known ones and queues records for the changes (through
 * queue_post).  Takes the module lock; not for the malloc hook path. */
void modmap_rescan(void);
/* Asks the writer to rescan at its next pass (async-signal-safe, lock-free). */
void modmap_mark_dirty(void);
/* Clears and returns the dirty flag. */
int modmap_take_dirty(void);
/* Number of modules seen. */
uint64_t modmap_count(void);
/* In a forked child: a fresh lock and an empty module list, for the child's own trace. */
void modmap_atfork_child(void);
/* 1 when addr lies in the recorder library itself. */
int modmap_is_self(uint64_t addr);
/* The recorder library's address range, from its lowest to its highest PT_LOAD (its .bss too). */
void modmap_self_range(uint64_t *lo, uint64_t *hi);
/* Records the recorder library's own text range (call once at start-up). */
void modmap_init_self(void);

#endif
