/*
 * trace.c: loading a trace (see trace.h): a tf_reader into a replay, the replay's module records
 * into a symbolizer, both into the stack model.
 */
#include "trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frameclass.h"
#include "symfetch.h"

struct trace {
	const char *path;
	const util_log *log; /* during trace_run, for the replay's warnings */
	replay_ctx *rp;
	sym_ctx *sym;
	symfetch *fetch;
	symstack_set *stacks;
};

int trace_open(tf_reader **out, const char *path, const util_log *log)
{
	int rc = tf_reader_open(out, path);
	if (rc == 0)
		return 0;
	util_say(log, "cannot open '%s': %s", path, rc == TF_EIO ? strerror(errno) : tf_strerror(rc));
	return TRACE_EFAILED;
}

int trace_create(trace **out, const char *path, const util_log *log)
{
	*out = NULL;
	trace *t = calloc(1, sizeof(*t));
	int rc = t ? replay_create(&t->rp) : REPLAY_ENOMEM;
	if (rc) {
		free(t);
		util_say(log, "%s", replay_strerror(rc));
		return TRACE_EFAILED;
	}
	t->path = path;
	*out = t;
	return 0;
}

void trace_free(trace *t)
{
	if (!t)
		return;
	symstack_free(t->stacks);
	sym_free(t->sym);
	symfetch_free(t->fetch);
	replay_free(t->rp);
	free(t);
}

int trace_set_window(trace *t, uint64_t from_ns, uint64_t to_ns)
{
	return replay_set_window(t->rp, from_ns, to_ns);
}

void trace_set_observer(trace *t, const replay_observer *obs) { replay_set_observer(t->rp, obs); }

static void warn_cb(void *ctx, const char *msg)
{
	const trace *t = ctx;
	util_say(t->log, "%s: %s", t->path, msg);
}

int trace_run(trace *t, const util_log *log)
{
	tf_reader *r;
	if (trace_open(&r, t->path, log))
		return TRACE_EFAILED;
	t->log = log;
	replay_set_warn(t->rp, warn_cb, t);
	int rc = replay_run(t->rp, r);
	replay_set_warn(t->rp, NULL, NULL);
	t->log = NULL;
	tf_reader_close(r);
	if (rc == REPLAY_ENOTRACE)
		return TRACE_EFAILED; /* the reason was said */
	if (rc) {
		util_say(log, "%s: %s", t->path, replay_strerror(rc));
		return TRACE_EFAILED;
	}
	return 0;
}

/* Feeds the module records of a replay into a symbolizer, in file order.  Returns 0 or a
 * negative SYM_E* code (the first failure; the other records are still fed). */
static int load_modules(sym_ctx *sym, const replay_ctx *rp)
{
	int first = 0;
	for (size_t i = 0; i < replay_modrec_count(rp); i++) {
		const replay_modrec *m = replay_modrec_at(rp, i);
		int rc = m->unload ? sym_unload_module(sym, m->mod.id, m->mod.epoch)
				   : sym_add_module(sym, &m->mod);
		if (rc < 0 && !first)
			first = rc;
	}
	return first;
}

/* One line per module file that cannot be used as recorded. */
static void say_file_problems(const sym_ctx *sym, const util_log *log)
{
	for (size_t i = 0; i < sym_note_count(sym); i++) {
		const sym_note *n = sym_note_at(sym, i);
		const char *base = util_base_name(n->path);
		switch (n->problem) {
		case SYM_PROBLEM_MISSING:
			util_say(log, "%s: not there any more (moved or deleted since it was recorded): its "
				 "frames read [unknown] in %s+0x...", n->path, base);
			break;
		case SYM_PROBLEM_UNREADABLE:
			util_say(log, "%s: cannot open: %s: its frames read [unknown] in %s+0x...", n->path,
				 strerror(n->err), base);
			break;
		case SYM_PROBLEM_NOT_ELF:
			util_say(log, "%s: not an ELF file any more (replaced since it was recorded?): its "
				 "frames read [unknown] in %s+0x...", n->path, base);
			break;
		case SYM_PROBLEM_REBUILT:
			util_say(log, "%s: rebuilt since it was recorded (build-id %s recorded, %s now): "
				 "not symbolized, so that no frame gets a wrong name; analyze with the "
				 "binary of the recorded run", n->path, n->build_id,
				 n->found_build_id[0] ? n->found_build_id : "none");
			break;
		default:
			break;
		}
	}
}

int trace_symbolize(trace *t, int show_alloc_frames, const util_log *log)
{
	int rc = sym_create(&t->sym);
	if (rc) {
		util_say(log, "%s", sym_strerror(rc));
		return TRACE_EFAILED;
	}
	rc = symfetch_create(&t->fetch, log);
	if (rc) {
		util_say(log, "%s", symfetch_strerror(rc));
		return TRACE_EFAILED;
	}
	sym_set_fetch(t->sym, t->fetch);
	rc = load_modules(t->sym, t->rp);
	if (rc)
		util_say(log, "%s: module records: %s", t->path, sym_strerror(rc));
	symstack_resolver res = symstack_sym_resolver(t->sym);
	if (symstack_create(&t->stacks, t->rp, &res, show_alloc_frames)) {
		util_say(log, "out of memory");
		return TRACE_EFAILED;
	}
	return 0;
}

void trace_skip_lifetimes(trace *t) { replay_skip_lifetimes(t->rp); }

int trace_load(trace **out, const char *path, const util_log *log)
{
	if (trace_create(out, path, log))
		return TRACE_EFAILED;
	trace_skip_lifetimes(*out);
	if (trace_run(*out, log) || trace_symbolize(*out, 0, log)) {
		trace_free(*out);
		*out = NULL;
		return TRACE_EFAILED;
	}
	return 0;
}

/* 1 when a symbolized stack shows a frame of path whose file:line would help
 * (frameclass_wants_lines). */
static int shows_frame_of(const symstack_set *stacks, const char *path)
{
	for (size_t i = 0; i < symstack_count(stacks); i++) {
		const symstack *st = symstack_peek(stacks, i);
		for (size_t k = 0; st && k < st->nframes; k++)
			if (st->frames[k].module && strcmp(st->frames[k].module, path) == 0 &&
			    frameclass_wants_lines(&st->frames[k]))
				return 1;
	}
	return 0;
}

void trace_say_notes(const trace *t, const util_log *log)
{
	if (!t || !t->sym || !t->stacks)
		return;
	say_file_problems(t->sym, log);
	char names[512];
	size_t len = 0, n = 0, more = 0;
	names[0] = '\0';
	for (size_t i = 0; i < sym_note_count(t->sym); i++) {
		const sym_note *note = sym_note_at(t->sym, i);
		if (note->problem != SYM_PROBLEM_NO_DEBUG || !shows_frame_of(t->stacks, note->path))
			continue;
		int w = snprintf(names + len, sizeof(names) - len, "%s%s", n ? ", " : "", note->path);
		if (w < 0 || (size_t)w >= sizeof(names) - len) {
			names[len] = '\0';
			more++;
			continue;
		}
		len += (size_t)w;
		n++;
	}
	if (!n)
		return;
	char rest[48] = "";
	if (more)
		snprintf(rest, sizeof(rest), " and %zu more", more);
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (urls && *urls)
		util_say(log, "no debug info for %s%s (function names from the symbol table, no "
			 "file:line), not even on the servers of DEBUGINFOD_URLS: install the "
			 "distribution's debug symbols (Debian: the -dbgsym packages) or build with -g",
			 names, rest);
	else
		util_say(log, "no debug info for %s%s (function names from the symbol table, no "
			 "file:line): DEBUGINFOD_URLS=https://debuginfod.debian.net fetches Debian's, or "
			 "install the distribution's debug symbols (the -dbgsym packages) or build with -g",
			 names, rest);
}

const sym_ctx *trace_sym(const trace *t) { return t->sym; }
const char *trace_path(const trace *t) { return t->path; }
const replay_ctx *trace_replay(const trace *t) { return t->rp; }
symstack_set *trace_stacks(const trace *t) { return t->stacks; }
