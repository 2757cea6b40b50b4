/*
 * export_speedscope: the trace in speedscope's file format (prefix export_speedscope_), the JSON
 * of https://www.speedscope.app/file-format-schema.json.
 *
 * One "sampled" profile per kind (profile.h): leaked bytes, bytes live at the peak, allocations,
 * bytes allocated, temporary allocations, in that order; unit "bytes" for bytes and "none" for
 * counts.  Each profile holds one sample per path of the call tree that ends an entry, its
 * frames from the outermost to the innermost, weighed by the entries' figure (export_value), so
 * the weights add up to the kind's total, which is the profile's endValue.  Frames (shared by
 * the profiles) are the tree's: one per function, module and inlined flag, named as
 * export_frame_name gives them (" [inlined]" after an inlined function), with their source file.
 * The profile names tell the kind, the program and, for a trace that is not complete, so.
 */
#ifndef LEAKREC_EXPORT_SPEEDSCOPE_H
#define LEAKREC_EXPORT_SPEEDSCOPE_H

#include <stdio.h>

#include "export.h"
#include "profile.h"

/* Writes the speedscope file of in (borrowed) to f, the profile of kind `active` shown first
 * (activeProfileIndex).  Returns 0, EXPORT_ENOMEM or EXPORT_EIO. */
int export_speedscope_write(const export_input *in, enum profile_kind active, FILE *f);

#endif
