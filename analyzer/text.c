/*
 * text.c: the escaper, formatting and frame writers shared by every output (see text.h).
 *
 * The escaper writes runs of bytes that stand for themselves in one call and each other byte as
 * its style says, so a stream sink costs one fwrite per run.
 */
#include "text.h"

#include <inttypes.h>
#include <string.h>

#include "frameclass.h"
#include "util.h"

const text_style text_plain = {.hex = "\\x"};
const text_style text_markup = {
	.subst = {['<'] = "&lt;", ['>'] = "&gt;", ['&'] = "&amp;", ['"'] = "&quot;", ['\''] = "&#39;"},
	.hex = "\\x",
	.invalid = "\xef\xbf\xbd",
};

/* Markdown code spans: '|' is escaped even inside them in GFM tables. */
static const text_style md_style = {.subst = {['|'] = "\\|"}, .hex = "\\x"};
/* The same for a span whose fence cannot hold its backticks: they become quotes. */
static const text_style md_unfenced_style = {.subst = {['|'] = "\\|", ['`'] = "'"}, .hex = "\\x"};

void text_escape(const text_sink *out, const text_style *st, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0, i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t len = 1;
		const char *as = NULL;
		int hex = 0;
		if (c < 0x80) {
			as = st->subst[c];
			hex = !as && (c < 0x20 || c == 0x7f);
		} else if (st->ascii) {
			hex = 1;
		} else if (!st->raw_high) {
			len = util_utf8_len(p + i, n - i);
			if (len == 0) {
				len = 1;
				as = st->invalid;
				hex = !as;
			}
		}
		if (!as && !hex) {
			i += len;
			continue;
		}
		if (i > start)
			out->write(out->ctx, s + start, i - start);
		if (as) {
			out->write(out->ctx, as, strlen(as));
		} else {
			static const char digits[] = "0123456789abcdef";
			char h[16];
			size_t k = strlen(st->hex);
			memcpy(h, st->hex, k);
			h[k++] = digits[c >> 4];
			h[k++] = digits[c & 15];
			out->write(out->ctx, h, k);
		}
		i += len;
		start = i;
	}
	if (i > start)
		out->write(out->ctx, s + start, i - start);
}

static void file_write(void *ctx, const char *s, size_t n) { fwrite(s, 1, n, (FILE *)ctx); }

void text_put_escaped(FILE *f, const text_style *st, const char *s, size_t n)
{
	text_sink out = {file_write, f};
	text_escape(&out, st, s, n);
}

void text_put(FILE *f, const char *s) { text_put_escaped(f, &text_plain, s, strlen(s)); }

void text_put_markup(FILE *f, const char *s)
{
	if (s)
		text_put_escaped(f, &text_markup, s, strlen(s));
}

/* ---- numbers ---- */

void text_format_size(char *buf, size_t n, uint64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	if (bytes < 1024) {
		snprintf(buf, n, "%" PRIu64 " B", bytes);
		return;
	}
	double v = (double)bytes / 1024.0;
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, n, "%.1f %s", v, units[u]);
}

void text_format_size_change(char *buf, size_t n, uint64_t base, uint64_t cur)
{
	char tmp[32];
	if (cur == base) {
		snprintf(buf, n, "0 B");
		return;
	}
	text_format_size(tmp, sizeof(tmp), cur > base ? cur - base : base - cur);
	snprintf(buf, n, "%c%s", cur > base ? '+' : '-', tmp);
}

void text_format_change(char *buf, size_t n, uint64_t base, uint64_t cur, int sizes)
{
	char a[40];
	if (sizes)
		text_format_size_change(a, sizeof(a), base, cur);
	else if (base == cur)
		snprintf(a, sizeof(a), "0");
	else
		snprintf(a, sizeof(a), "%+" PRId64, util_change(base, cur));
	if (base && base != cur)
		snprintf(buf, n, "%s (%+.1f%%)", a, 100.0 * (double)util_change(base, cur) / (double)base);
	else
		snprintf(buf, n, "%s", a);
}

void text_format_pow2(char *buf, size_t n, uint64_t v)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	size_t u = 0;
	while (v >= 1024 && v % 1024 == 0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, n, "%" PRIu64 " %s", v, units[u]);
}

void text_format_time(char *buf, size_t n, uint64_t ns)
{
	if (ns < 1000000u)
		snprintf(buf, n, "%" PRIu64 " us", ns / 1000u);
	else if (ns < 1000000000u)
		snprintf(buf, n, "%" PRIu64 ".%03" PRIu64 " ms", ns / 1000000u,
			 ns % 1000000u / 1000u);
	else
		snprintf(buf, n, "%" PRIu64 ".%03" PRIu64 " s", ns / 1000000000u,
			 ns % 1000000000u / 1000000u);
}

void text_put_time(FILE *f, uint64_t ns)
{
	char buf[48];
	text_format_time(buf, sizeof(buf), ns);
	fputs(buf, f);
}

const char *text_plural(uint64_t n) { return n == 1 ? "" : "s"; }

const char *text_color(int color, const char *code) { return color ? code : ""; }

/* ---- markdown ---- */

void text_put_md_code(FILE *f, const char *s)
{
	if (!s) {
		fputs("?", f);
		return;
	}
	/* a fence one backtick longer than the longest run inside, spaced when s touches a
	 * backtick; absurd runs of backticks (no fence would hold them) become quotes */
	size_t run = 0, longest = 0;
	for (const char *p = s; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	size_t fence = longest + 1 > 8 ? 8 : longest + 1;
	int pad = longest > 0;
	for (size_t i = 0; i < fence; i++)
		fputc('`', f);
	if (pad)
		fputc(' ', f);
	text_put_escaped(f, fence == 8 ? &md_unfenced_style : &md_style, s, strlen(s));
	if (pad)
		fputc(' ', f);
	for (size_t k = 0; k < fence; k++)
		fputc('`', f);
}

/* ---- frames ---- */

void text_write_frames(FILE *f, const sym_frame *frames, size_t n, const char *indent, int color)
{
	const char *dim = text_color(color, TEXT_DIM), *off = text_color(color, TEXT_OFF);
	if (n == 0) {
		fprintf(f, "%s[no frames]\n", indent);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const sym_frame *fr = &frames[i];
		int unknown_mod = !fr->module || strcmp(fr->module, "[unknown]") == 0;
		fputs(indent, f);
		if (fr->function) {
			text_put(f, fr->function);
		} else if (!unknown_mod) {
			fprintf(f, "%s[unknown]%s in ", dim, off);
			text_put(f, util_base_name(fr->module));
			fprintf(f, "+0x%" PRIx64, fr->module_offset);
		} else {
			fprintf(f, "%s[unknown]%s at 0x%" PRIx64, dim, off, fr->address);
		}
		if (fr->file) {
			fputs("  ", f);
			text_put(f, fr->file);
			if (fr->line)
				fprintf(f, ":%u", fr->line);
		}
		if (fr->function && !unknown_mod) {
			fputs("  (", f);
			text_put(f, util_base_name(fr->module));
			fputc(')', f);
		}
		if (fr->inlined)
			fprintf(f, "  %s[inlined]%s", dim, off);
		fputc('\n', f);
	}
}

/* The frames that frameclass_trim_startup leaves, at most max (0: all), each written by put (a
 * function name or a module's base name, then "+0xOFFSET"), joined by sep; more ends a list cut
 * short. */
static void write_frames_joined(FILE *f, const sym_frame *frames, size_t n, size_t max,
				void (*put)(FILE *, const char *), const char *sep,
				const char *more)
{
	if (n == 0) {
		fputs("(no frames)", f);
		return;
	}
	n = frameclass_trim_startup(frames, n);
	size_t shown = max && n > max ? max : n;
	for (size_t i = 0; i < shown; i++) {
		if (i)
			fputs(sep, f);
		if (frames[i].function) {
			put(f, frames[i].function);
		} else {
			put(f, frames[i].module ? util_base_name(frames[i].module) : "[unknown]");
			fprintf(f, "+0x%" PRIx64, frames[i].module_offset);
		}
	}
	if (shown < n)
		fputs(more, f);
}

size_t text_frames_shown(const sym_frame *frames, size_t n, long limit)
{
	if (limit > 0)
		return (size_t)limit < n ? (size_t)limit : n;
	if (limit == 0)
		return n;
	size_t i = 0;
	while (i < n && !frameclass_is_program(&frames[i]))
		i++;
	if (i == n) /* nothing of the program's own: the first frames only */
		return n < TEXT_FRAMES_NO_PROGRAM ? n : TEXT_FRAMES_NO_PROGRAM;
	while (i < n && frameclass_is_program(&frames[i]))
		i++;
	return i;
}

void text_write_frames_md(FILE *f, const sym_frame *frames, size_t n, size_t max)
{
	write_frames_joined(f, frames, n, max, text_put_md_code, " ← ", " ← …");
}

void text_write_frames_line(FILE *f, const sym_frame *frames, size_t n, size_t max)
{
	write_frames_joined(f, frames, n, max, text_put, " <- ", " <- ...");
}
