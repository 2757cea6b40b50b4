/*
 * symfetch: debug info from debuginfod servers for the symbolizer (prefix symfetch_).
 *
 * When a module's debug info is not on the machine, libdwfl's standard lookup
 * (dwfl_standard_find_debuginfo: the module itself, /usr/lib/debug/.build-id, .gnu_debuglink
 * next to it) ends by asking the servers of $DEBUGINFOD_URLS through elfutils' debuginfod client,
 * with the client's cache; off when the variable is unset or empty.  This module watches those
 * lookups (symfetch_find_debuginfo in place of the standard callback, and the progress function
 * of each session's client, symfetch_attach):
 *   - a line through the log when a download starts: "debuginfod: downloading debug info of
 *     'MODULE' from URL (N bytes)";
 *   - a timeout: a lookup that has received nothing for $DEBUGINFOD_TIMEOUT seconds (default
 *     SYMFETCH_TIMEOUT_S) is abandoned;
 *   - after a server could not be reached or did not answer in time, one warning ("debuginfod:
 *     cannot fetch debug info of 'MODULE' from URLS: REASON; not asking again in this run"),
 *     and the rest of the run looks only on the machine (the client is given no server for
 *     those lookups), so a dead server costs one timeout at most.
 * A server that answers that it has no such file is no failure.  The analyzer is single-threaded:
 * so is this module.
 */
#ifndef LEAKREC_SYMFETCH_H
#define LEAKREC_SYMFETCH_H

#include <elfutils/libdwfl.h>

#include "util.h"

#define SYMFETCH_TIMEOUT_S 30

enum {
	SYMFETCH_OK = 0,
	SYMFETCH_ENOMEM = -1, /* out of memory */
};

/* Returns a static description of a SYMFETCH_E* code. */
const char *symfetch_strerror(int err);

typedef struct symfetch symfetch;

/* Creates the watcher from the environment ($DEBUGINFOD_URLS, $DEBUGINFOD_TIMEOUT); log
 * (borrowed, must outlive it) receives the progress lines and the warning.  Returns 0 and *out
 * (free with symfetch_free), *out NULL when no server is configured; or SYMFETCH_ENOMEM. */
int symfetch_create(symfetch **out, const util_log *log);
/* Frees it.  Accepts NULL. */
void symfetch_free(symfetch *f);

/* Watches the lookups of session d (f may be NULL: nothing to do): installs the progress
 * function on d's debuginfod client.  Call after dwfl_begin. */
void symfetch_attach(symfetch *f, Dwfl *d);
/* Makes module m's lookups watched by f (f borrowed, may be NULL): sets m's userdata, which
 * symfetch_find_debuginfo reads. */
void symfetch_watch(symfetch *f, Dwfl_Module *m);

/* A Dwfl_Callbacks.find_debuginfo: dwfl_standard_find_debuginfo, watched by the symfetch in
 * the module's userdata (NULL: unwatched). */
int symfetch_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			    Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			    GElf_Word debuglink_crc, char **debuginfo_file_name);

#endif
