/*
 * export.c: the input of the export writers, its weights, frame names and description (see
 * export.h).
 */
#include "export.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estimate.h"
#include "util.h"

const char *export_strerror(int err)
{
	switch (err) {
	case EXPORT_OK: return "success";
	case EXPORT_ENOMEM: return "out of memory";
	case EXPORT_EIO: return "write error";
	}
	return "unknown error";
}

void export_input_init(export_input *in, const char *trace, const report_ctx *rep)
{
	memset(in, 0, sizeof(*in));
	in->trace = trace;
	in->stacks = report_stacks(rep);
	in->rp = report_replay(rep);
	in->suppressed = report_suppressed_map(rep);
	in->suppressed_use = *report_suppressed(rep);
	in->window_from = report_window_from(rep);
	in->window_to = report_window_to(rep);
}

static int left_out(const export_input *in, size_t i, enum profile_kind k)
{
	return k == PROFILE_LEAKED && in->suppressed && in->suppressed[i];
}

uint64_t export_value(const export_input *in, size_t i, enum profile_kind k)
{
	return left_out(in, i, k) ? 0 : profile_value(symstack_entry_at(in->stacks, i), k);
}

uint64_t export_count(const export_input *in, size_t i, enum profile_kind k)
{
	return left_out(in, i, k) ? 0 : profile_count(symstack_entry_at(in->stacks, i), k);
}

uint64_t export_total(const export_input *in, enum profile_kind k)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < symstack_entry_count(in->stacks); i++)
		sum += export_value(in, i, k);
	return sum;
}

int export_tree(profile_tree **out, const export_input *in, enum profile_kind k, int inverted)
{
	size_t n = symstack_entry_count(in->stacks);
	uint64_t *w = malloc((n ? n : 1) * sizeof(*w));
	*out = NULL;
	if (!w)
		return EXPORT_ENOMEM;
	for (size_t i = 0; i < n; i++)
		w[i] = export_value(in, i, k);
	int rc = profile_tree_build_weights(out, in->stacks, w, inverted);
	free(w);
	return rc ? EXPORT_ENOMEM : 0;
}

int export_complete(const export_input *in)
{
	return !replay_get_summary(in->rp)->incomplete[0];
}

/* Writes ns as seconds with up to 9 decimals, trailing zeros dropped. */
static void put_seconds(FILE *f, uint64_t ns)
{
	char frac[16];
	snprintf(frac, sizeof(frac), "%09" PRIu64, ns % 1000000000u);
	size_t len = strlen(frac);
	while (len > 0 && frac[len - 1] == '0')
		frac[--len] = '\0';
	fprintf(f, "%" PRIu64 "%s%s s", ns / 1000000000u, len ? "." : "", frac);
}

char *export_describe(const export_input *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	const replay_header *h = replay_get_header(in->rp);
	const replay_summary *s = replay_get_summary(in->rp);
	fprintf(f, "leakrec trace '%s' of %s (pid %" PRIu32 ")", in->trace, h->exe ? h->exe : "?",
		h->pid);
	if (s->windowed) {
		fputs(", window ", f);
		put_seconds(f, s->window_from_ns);
		fputs(" to ", f);
		put_seconds(f, s->window_to_ns);
		if (in->window_from)
			fprintf(f, " --from %s", in->window_from);
		if (in->window_to)
			fprintf(f, " --to %s", in->window_to);
	}
	const suppress_use *u = &in->suppressed_use;
	if (u->bytes || u->allocations)
		fprintf(f, ", suppressions removed %" PRIu64 " leaked bytes in %" PRIu64
			   " allocations (%" PRIu64 " stack%s)",
			u->bytes, u->allocations, u->stacks, u->stacks == 1 ? "" : "s");
	if (!export_complete(in))
		fprintf(f, ", incomplete trace (%s): the figures cover what was recorded",
			replay_get_summary(in->rp)->incomplete);
	if (h->sample_rate)
		fprintf(f, ", every figure " ESTIMATE_NOTE " (R = %" PRIu64 " bytes); temporary allocations "
			   "are not estimated", h->sample_rate);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

const char *export_frame_name(const sym_frame *f, char *buf, size_t n)
{
	if (f->function)
		return f->function;
	if (f->module && strcmp(f->module, "[unknown]") != 0)
		snprintf(buf, n, "%s+0x%" PRIx64, util_base_name(f->module), f->module_offset);
	else
		snprintf(buf, n, "0x%" PRIx64, f->address);
	return buf;
}
