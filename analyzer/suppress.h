/*
 * suppress: leak suppressions in LeakSanitizer's file format (prefix suppress_).
 *
 * A suppression file holds one rule per line: `leak:PATTERN`.  Blank lines and lines whose first
 * non-blank character is `#` are ignored; spaces and tabs around a line are trimmed.  A pattern
 * matches a string as in LeakSanitizer: anywhere inside it, `*` stands for any run of
 * characters, a leading `^` anchors the pattern at the start and a trailing `$` at the end.  (The
 * match backtracks, so a pattern that could match somewhere does match; LeakSanitizer's greedy
 * scan misses a few such cases.)  A frame matches a rule when its function name, its source
 * file name or its module's base name matches; a stack matches when any of its frames does.
 *
 * A loaded list is read-only: callers keep their own per-rule counts.
 */
#ifndef LEAKREC_SUPPRESS_H
#define LEAKREC_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "sym.h"
#include "util.h"

enum {
	SUPPRESS_OK = 0,
	SUPPRESS_ENOMEM = -1, /* out of memory */
	SUPPRESS_EIO = -2,    /* the file could not be read: see errno */
	SUPPRESS_ESYNTAX = -3, /* a line is not `leak:PATTERN` (the line number is returned) */
	SUPPRESS_ETYPE = -4,  /* a rule of another type than leak: (race:, called_from_lib:, ...) */
};

/* Returns a static description of a SUPPRESS_E* code. */
const char *suppress_strerror(int err);

typedef struct suppress_list suppress_list;

/* What rules removed from the leak figures (counted by the caller): bytes and allocations, and
 * the stacks (entries, keys) whose leak they matched. */
typedef struct suppress_use {
	uint64_t bytes, allocations;
	uint64_t stacks;
} suppress_use;

/* Parses the suppressions in text[0..len) (need not be NUL-terminated; a NUL byte is a syntax
 * error).  Returns 0 and *out (free with suppress_free), or a negative SUPPRESS_E* code with *errline set
 * to the 1-based number of the offending line (0 when no line is at fault). */
int suppress_parse(suppress_list **out, const char *text, size_t len, unsigned *errline);

/* Reads and parses the suppression file at path, as suppress_parse.  Files over 16 MiB are refused
 * (SUPPRESS_EIO with errno EFBIG). */
int suppress_load(suppress_list **out, const char *path, unsigned *errline);

/* Loads the suppression file at path as suppress_load, saying what went wrong through log:
 * "cannot read suppressions 'PATH': reason", "PATH:LINE: reason" or "out of memory".  Returns 0
 * and *out, or the negative SUPPRESS_E* code after saying it. */
int suppress_load_file(suppress_list **out, const char *path, const util_log *log);

/* Frees the list and its patterns.  Accepts NULL. */
void suppress_free(suppress_list *l);

/* The number of rules, and rule i's pattern as written after `leak:` (owned by the list) and
 * the line it came from. */
size_t suppress_count(const suppress_list *l);
const char *suppress_pattern(const suppress_list *l, size_t i);
unsigned suppress_line(const suppress_list *l, size_t i);

/* Returns 1 when `pattern` (LeakSanitizer syntax, see above) matches the string s. */
int suppress_match_pattern(const char *pattern, const char *s);

/* Returns the index of the rule that suppresses the stack `frames` (n frames, innermost first,
 * borrowed), or -1 when none does (always -1 for a NULL list).  Frames are tried innermost
 * first and, for each frame, rules in file order: the first match wins. */
long suppress_match_stack(const suppress_list *l, const sym_frame *frames, size_t n);

#endif
