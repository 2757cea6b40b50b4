/*
 * export_collapsed: collapsed stacks ("folded" stacks), the input of flamegraph.pl, inferno and
 * speedscope (prefix export_collapsed_).
 *
 * One line per path of the call tree (profile.h) that ends an entry: the frames from the
 * outermost to the innermost joined by ';', a space, and the entry weights of the chosen kind
 * summed (an integer: bytes or a count).  A frame reads as export_frame_name gives it, with "_[i]"
 * after an inlined function (flamegraph.pl's mark for inlined frames).  Names are escaped so that
 * no name can break a line: '\', ';', control bytes and bytes that are not UTF-8 as \xHH, and a
 * space that only digits or dots follow up to the name's end as \x20 (the readers take a line's
 * last space-separated number, and flamegraph.pl a second one before it, as counts); other spaces
 * stay, as C++ names have them.  Unescaping every \xHH gives the name back.  An entry without
 * frames reads "[no frames]".
 */
#ifndef LEAKREC_EXPORT_COLLAPSED_H
#define LEAKREC_EXPORT_COLLAPSED_H

#include <stdio.h>

#include "export.h"
#include "profile.h"

/* Writes the collapsed stacks of kind k of in (borrowed) to f.  Returns 0, EXPORT_ENOMEM or
 * EXPORT_EIO (f's error flag is set). */
int export_collapsed_write(const export_input *in, enum profile_kind k, FILE *f);

/* Writes one frame name escaped as above (for tests and the other writers). */
void export_collapsed_put_name(FILE *f, const char *name);

#endif
