/*
 * cmd_dump.c: `leakanalyze dump [--merged] TRACE` prints the records of a trace as text, one line
 * each, in file order; with --merged only the events, in the replay's merged time order.
 *
 * The format (documented in docs/leakanalyze.md) is stable: a record keyword, then key=value
 * fields separated by single spaces; numbers are decimal except addresses (0x hex); strings are
 * double-quoted with \" \\ \n \t \r escaped and every other byte outside 0x20-0x7e as \xHH.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "replay.h"
#include "text.h"
#include "trace.h"

/* Strings of the dump: \" \\ \n \t \r, every other byte outside 0x20-0x7e as \xHH. */
static const text_style dump_style = {
	.subst = {['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\t'] = "\\t", ['\r'] = "\\r"},
	.hex = "\\x",
	.ascii = 1,
};

static void put_quoted(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	text_put_escaped(f, &dump_style, s, n);
	fputc('"', f);
}

static const char *kind_name(unsigned kind)
{
	static const char *const names[] = {"alloc", "free", "rfree", "ralloc"};
	return kind < 4 ? names[kind] : "?";
}

/* id: the allocation's number (allocations), or the number of the allocation released (frees). */
static void put_event(FILE *f, uint64_t tid, unsigned kind, unsigned func, uint64_t t,
		      uint64_t id, uint64_t size, uint64_t stack, int inplace)
{
	fprintf(f, "event t=%" PRIu64 " tid=%" PRIu64 " kind=%s func=%s id=%" PRIu64, t, tid,
		kind_name(kind), tf_func_name(func), id);
	if (kind == TF_EV_ALLOC || kind == TF_EV_RALLOC)
		fprintf(f, " size=%" PRIu64 " stack=%" PRIu64, size, stack);
	if (kind == TF_EV_RALLOC && inplace >= 0)
		fprintf(f, " inplace=%d", inplace);
}

static void put_header(FILE *f, const tf_header *h)
{
	fprintf(f, "header version=%u pid=%u ppid=%u clock_origin_ns=%" PRIu64
		   " realtime_ns=%" PRIu64 " max_depth=%u exe=",
		h->version, h->pid, h->ppid, h->clock_origin_ns, h->realtime_ns, h->max_depth);
	put_quoted(f, h->exe, h->exe_len);
	fputs(" argv=[", f);
	size_t pos = 0;
	for (uint32_t i = 0; i < h->argc && pos < h->argv_len; i++) {
		size_t len = strnlen(h->argv + pos, h->argv_len - pos);
		if (i)
			fputc(',', f);
		put_quoted(f, h->argv + pos, len);
		pos += len + 1;
	}
	fputc(']', f);
	if (h->sample_rate) /* a sampled trace (written only then) */
		fprintf(f, " sample_rate=%" PRIu64, h->sample_rate);
	if (h->attached) /* recorded by attaching to a running process (written only then) */
		fprintf(f, " attached=%u", h->attached);
	fputc('\n', f);
}

static void put_module(FILE *f, const tf_module *m)
{
	fprintf(f, "module id=%" PRIu64 " epoch=%" PRIu64 " bias=0x%" PRIx64 " build_id=", m->id,
		m->epoch, m->bias);
	for (size_t i = 0; i < m->build_id_len; i++)
		fprintf(f, "%02x", m->build_id[i]);
	fputs(" path=", f);
	put_quoted(f, m->path, m->path_len);
	fputs(" segments=", f);
	for (uint32_t i = 0; i < m->nseg; i++) {
		const tf_segment *s = &m->seg[i];
		fprintf(f, "%s0x%" PRIx64 "+0x%" PRIx64 "@0x%" PRIx64 ":%c%c%c", i ? "," : "", s->vaddr,
			s->memsz, s->offset, s->flags & 4 ? 'r' : '-', s->flags & 2 ? 'w' : '-',
			s->flags & 1 ? 'x' : '-');
	}
	fputc('\n', f);
}

/* Prints one record; EVENTS records print their events too.  Returns 0, or -1 when the events
 * of the record stop at damage. */
static int put_record(FILE *f, tf_record *rec)
{
	switch (rec->type) {
	case TF_REC_HEADER:
		put_header(f, &rec->u.header);
		break;
	case TF_REC_MODULE_LOAD:
		put_module(f, &rec->u.module);
		break;
	case TF_REC_MODULE_UNLOAD:
		fprintf(f, "unload id=%" PRIu64 " epoch=%" PRIu64 "\n", rec->u.unload.id,
			rec->u.unload.epoch);
		break;
	case TF_REC_STACK: {
		const tf_stack *s = &rec->u.stack;
		fprintf(f, "stack id=%" PRIu64 " epoch=%" PRIu64 " frames=", s->id, s->epoch);
		for (uint32_t i = 0; i < s->nframes; i++)
			fprintf(f, "%s0x%" PRIx64, i ? "," : "", s->frames[i]);
		fputc('\n', f);
		break;
	}
	case TF_REC_EVENTS: {
		tf_dec_events *it = &rec->u.events;
		fprintf(f, "events base_t=%" PRIu64 " shift=%" PRIu32 " first_id=%" PRIu64 "\n",
			it->base_time, it->shift, it->next_id);
		tf_event ev;
		int rc;
		while ((rc = tf_dec_events_next(it, &ev)) == 1) {
			put_event(f, ev.tid, ev.kind, ev.func, ev.time_ns, ev.id, ev.size, ev.stack,
				  ev.inplace);
			fputc('\n', f);
		}
		if (rc < 0)
			return -1;
		break;
	}
	case TF_REC_SYNC:
		fprintf(f, "sync t=%" PRIu64 "\n", rec->u.sync.time_ns);
		break;
	case TF_REC_RSS:
		fprintf(f, "rss t=%" PRIu64 " bytes=%" PRIu64 "\n", rec->u.rss.time_ns,
			rec->u.rss.rss_bytes);
		break;
	case TF_REC_MARK:
		fprintf(f, "mark t=%" PRIu64 " tid=%" PRIu64 " label=", rec->u.mark.time_ns,
			rec->u.mark.tid);
		put_quoted(f, rec->u.mark.label, rec->u.mark.label_len);
		fputc('\n', f);
		break;
	case TF_REC_THREAD:
		fprintf(f, "thread tid=%" PRIu64 " name=", rec->u.thread.tid);
		put_quoted(f, rec->u.thread.name, rec->u.thread.name_len);
		fputc('\n', f);
		break;
	case TF_REC_END: {
		const tf_end *e = &rec->u.end;
		fprintf(f, "end t=%" PRIu64 " allocs=%" PRIu64 " frees=%" PRIu64 " events=%" PRIu64
			   " dropped=%" PRIu64 " stacks=%" PRIu64 " modules=%" PRIu64
			   " threads=%" PRIu64 " unmatched_frees=%" PRIu64 " implicit_frees=%" PRIu64,
			e->time_ns, e->allocs, e->frees, e->events, e->dropped, e->stacks, e->modules,
			e->threads, e->unmatched_frees, e->implicit_frees);
		if (e->have_calls)
			fprintf(f, " calls_allocs=%" PRIu64 " calls_frees=%" PRIu64, e->calls_allocs,
				e->calls_frees);
		fputc('\n', f);
		break;
	}
	case TF_REC_REACH: {
		const tf_reach *r = &rec->u.reach;
		fprintf(f, "reach scanned=%" PRIu32 " scan_ns=%" PRIu64 " root_bytes=%" PRIu64
			   " heap_bytes=%" PRIu64 " threads=%" PRIu32 " threads_stopped=%" PRIu32 " note=",
			r->scanned, r->scan_ns, r->root_bytes, r->heap_bytes, r->threads,
			r->threads_stopped);
		put_quoted(f, r->note, r->note_len);
		fputc('\n', f);
		break;
	}
	case TF_REC_REACH_BLOCKS: {
		tf_reach_blocks it = rec->u.reach_blocks;
		uint64_t id;
		unsigned kind;
		int rc;
		fprintf(f, "reach_blocks count=%" PRIu64 "\n", it.count);
		while ((rc = tf_dec_reach_next(&it, &id, &kind)) == 1)
			fprintf(f, "  #%" PRIu64 " %s\n", id, tf_reach_kind_name(kind));
		if (rc < 0)
			return -1;
		break;
	}
	default:
		fprintf(f, "unknown type=%u len=%zu\n", rec->type, rec->len);
		break;
	}
	return 0;
}

/* The state of a dump in file order. */
typedef struct file_dump {
	const char *path;
	int have_header;
} file_dump;

static int dump_record(void *ctx, tf_record *rec)
{
	file_dump *d = ctx;
	if (rec->type == TF_REC_HEADER)
		d->have_header = 1;
	if (put_record(stdout, rec) < 0) {
		fflush(stdout);
		cli_error("%s: corrupt events record at byte %" PRIu64 " (rest of the record skipped)",
			  d->path, rec->offset);
	}
	return 0;
}

static void dump_error(void *ctx, int rc, uint64_t offset)
{
	const file_dump *d = ctx;
	char msg[256];
	replay_format_read_error(msg, sizeof(msg), rc, offset, d->have_header);
	fflush(stdout);
	cli_error("%s: %s", d->path, msg);
}

/* File order: every record as read. */
static int dump_file_order(const char *path)
{
	tf_reader *r;
	if (trace_open(&r, path, &cli_log))
		return CLI_EXIT_ERROR;
	file_dump d = {path, 0};
	int rc = replay_read_records(r, dump_record, dump_error, &d);
	tf_reader_close(r);
	if (rc) {
		cli_error("%s: %s", path, tf_strerror(TF_ENOMEM));
		return CLI_EXIT_ERROR;
	}
	return d.have_header ? 0 : CLI_EXIT_ERROR;
}

static const char *status_name(unsigned st)
{
	switch (st) {
	case REPLAY_ST_FIXUP: return "fixup";
	case REPLAY_ST_STALE: return "stale";
	case REPLAY_ST_UNMATCHED: return "unmatched";
	case REPLAY_ST_INVALID: return "invalid";
	}
	return "ok";
}

static void merged_event(void *ctx, const replay_event *ev)
{
	FILE *f = ctx;
	put_event(f, ev->tid, ev->kind, ev->func, ev->time_ns, ev->id, ev->recorded_size, ev->stack, -1);
	if (ev->status != REPLAY_ST_OK)
		fprintf(f, " status=%s", status_name(ev->status));
	fputc('\n', f);
}

/* Merged order: the events as the replay processes them. */
static int dump_merged(const char *path)
{
	trace *t;
	if (trace_create(&t, path, &cli_log))
		return CLI_EXIT_ERROR;
	replay_observer obs = {merged_event, NULL, stdout};
	trace_set_observer(t, &obs);
	int status = trace_run(t, &cli_log) ? CLI_EXIT_ERROR : 0;
	trace_free(t);
	return status;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"merged", no_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int merged = 0;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			merged = 1;
			break;
		default:
			return cli_option_other(c, argv, cli_usage);
		}
	}
	if (cli_one_trace(argc, argv, optind, "dump: "))
		return CLI_EXIT_ERROR;
	static char buf[1 << 16];
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	int status = merged ? dump_merged(argv[optind]) : dump_file_order(argv[optind]);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("writing the dump failed");
		return CLI_EXIT_ERROR;
	}
	return status;
}
