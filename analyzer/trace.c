/*
 * trace.c: loading a trace (see trace.h): a tf_reader into a replay, the replay's module records
 * into a symbolizer, both into the stack model.
 */
#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

int trace_load(trace **out, const char *path, const util_log *log)
{
	if (trace_create(out, path, log))
		return TRACE_EFAILED;
	if (trace_run(*out, log) || trace_symbolize(*out, 0, log)) {
		trace_free(*out);
		*out = NULL;
		return TRACE_EFAILED;
	}
	return 0;
}

const char *trace_path(const trace *t) { return t->path; }
const replay_ctx *trace_replay(const trace *t) { return t->rp; }
symstack_set *trace_stacks(const trace *t) { return t->stacks; }
