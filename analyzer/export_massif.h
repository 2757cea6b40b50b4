/*
 * export_massif: the heap over the run as a Valgrind massif file, what ms_print and
 * massif-visualizer read (prefix export_massif_).
 *
 * A replay observer (export_massif_observer) takes the snapshots as massif itself does, in
 * memory that does not grow with the number of events: after the first event processed at least
 * `step` nanoseconds after the previous snapshot, the heap (requested bytes live) at that moment;
 * every DETAILED-th one also each stack's live bytes, for its heap tree.  When MAX snapshots are
 * taken, every other one is dropped and the step doubles (massif's culling).  Added when the
 * replay is done: a first snapshot as the window opens, the peak snapshot at the moment of the
 * heap peak, exact (its total is peak_heap_bytes, its tree every entry's bytes live at the peak:
 * profile_value), and a last detailed one at the window's end.
 *
 * The file: `desc:` (the trace, export_describe), `cmd:` (the program's argv), `time_unit: ms`
 * (integer milliseconds from the start of recording), then the snapshots in time order with
 * mem_heap_extra_B and mem_stacks_B 0.  A heap tree starts at "(heap allocation functions)";
 * below it come the innermost frames (the callers of the allocation functions, allocator
 * frames folded as in the report), then their callers; siblings by bytes, descending; a node
 * below 1% of the snapshot's heap joins its siblings' "in N places, below massif's threshold
 * (1.00%)" line, as massif writes it.  A node reads "0xADDRESS: FUNCTION (FILE:LINE)", "(in
 * MODULE)" without a line, "???" without a function.  Text from the trace is escaped: control
 * bytes, bytes that are not UTF-8 and '#' (ms_print cuts a line at '#') as \xHH.
 */
#ifndef LEAKREC_EXPORT_MASSIF_H
#define LEAKREC_EXPORT_MASSIF_H

#include <stdint.h>
#include <stdio.h>

#include "export.h"
#include "replay.h"

#define EXPORT_MASSIF_MAX 100     /* snapshots kept during the run (massif's --max-snapshots) */
#define EXPORT_MASSIF_DETAILED 10 /* every 10th is detailed (massif's --detailed-freq) */

typedef struct export_massif export_massif;

/* Creates the snapshot taker (for the replay's window, or the whole run).  Returns 0 and *out
 * (free with export_massif_free), or EXPORT_ENOMEM. */
int export_massif_create(export_massif **out);
/* Frees it.  Accepts NULL. */
void export_massif_free(export_massif *m);

/* Fills *obs with the observer to install on rp (replay_set_observer) before replay_run; m and
 * rp are borrowed and must outlive the run. */
void export_massif_observer(export_massif *m, const replay_ctx *rp, replay_observer *obs);

/* After the replay: writes the massif file of in (borrowed; the stacks of the replay m
 * observed) to f.  Returns 0, EXPORT_ENOMEM (also when memory ran out during the run) or
 * EXPORT_EIO. */
int export_massif_write(export_massif *m, const export_input *in, FILE *f);

#endif
