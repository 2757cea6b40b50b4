/*
 * export_pprof: the trace as a pprof profile (prefix export_pprof_): a gzipped profile.proto
 * message (github.com/google/pprof, proto/profile.proto), what `go tool pprof`, Pyroscope,
 * Grafana and Parca read.
 *
 * Four sample types, in this order: alloc_objects/count and alloc_space/bytes (the allocations
 * and the bytes allocated), inuse_objects/count and inuse_space/bytes (live at the end of the
 * trace or window, as the report's leaks: runtime-owned and suppressed memory left out; or, with
 * at_peak, live at the heap peak).  The last one, inuse_space, is the default view.  One sample
 * per entry (symstack.h) with a "stack_id" label (the entry's first stack id, as in dump), its
 * locations innermost first.  One Location per distinct address and frames: its line[] holds the
 * inlined chain innermost first, the function it was inlined into last.  One Mapping per loaded
 * module that a location is in, spanning its executable segment, with its file name and
 * build-id; frames outside every module have none.  Functions carry the demangled name (as
 * name and system_name) and the source file; lines the line.  string_table[0] is "".  Strings
 * from the trace keep valid UTF-8 and have control bytes and bytes that are not UTF-8 written
 * as \xHH.  The comments describe the trace (export_describe).  Locations give the recorded
 * call-site addresses (return address - 1).
 */
#ifndef LEAKREC_EXPORT_PPROF_H
#define LEAKREC_EXPORT_PPROF_H

#include <stdio.h>

#include "export.h"

/* Writes the gzipped profile of in (borrowed) to f; in use means live at the heap peak when
 * at_peak.  Returns 0, EXPORT_ENOMEM or EXPORT_EIO (see errno). */
int export_pprof_write(const export_input *in, int at_peak, FILE *f);

#endif
