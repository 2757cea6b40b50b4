/*
 * symfetch.c: watching libdwfl's debuginfod lookups (see symfetch.h).  The client calls the
 * progress function about once a second while a lookup runs (more often while data arrives);
 * returning non-zero abandons the lookup.  A failed lookup returns the client's negative errno
 * through dwfl_standard_find_debuginfo, which tells a server that was not reached (ECONNREFUSED,
 * ETIMEDOUT, ...) from one that has no such file (ENOENT).
 */
#include "symfetch.h"

#include <elfutils/debuginfod.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct symfetch {
	const util_log *log;
	char *urls;          /* $DEBUGINFOD_URLS as it was */
	uint64_t timeout_ns;
	int off;             /* a server failed: look on the machine only */
	/* the lookup in progress */
	const char *module;
	uint64_t quiet_since; /* when something last arrived (or the lookup began) */
	long last_bytes;
	int announced, abandoned;
};

const char *symfetch_strerror(int err)
{
	switch (err) {
	case SYMFETCH_OK: return "success";
	case SYMFETCH_ENOMEM: return "out of memory";
	}
	return "unknown error";
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int symfetch_create(symfetch **out, const util_log *log)
{
	*out = NULL;
	const char *urls = getenv(DEBUGINFOD_URLS_ENV_VAR);
	if (!urls || !*urls)
		return 0;
	symfetch *f = calloc(1, sizeof(*f));
	if (!f || !(f->urls = strdup(urls))) {
		free(f);
		return SYMFETCH_ENOMEM;
	}
	f->log = log;
	unsigned long s = SYMFETCH_TIMEOUT_S;
	const char *t = getenv(DEBUGINFOD_TIMEOUT_ENV_VAR);
	if (t && *t) {
		char *end;
		unsigned long v = strtoul(t, &end, 10);
		if (!*end && v > 0 && v < 86400)
			s = v;
	}
	f->timeout_ns = (uint64_t)s * 1000000000u;
	*out = f;
	return 0;
}

void symfetch_free(symfetch *f)
{
	if (!f)
		return;
	free(f->urls);
	free(f);
}

/* The server part of a download URL (up to "/buildid/"), as length and start. */
static int server_len(const char *url)
{
	const char *b = strstr(url, "/buildid/");
	size_t n = b ? (size_t)(b - url) : strlen(url);
	return n > 200 ? 200 : (int)n;
}

static int progress(debuginfod_client *c, long a, long b)
{
	symfetch *f = debuginfod_get_user_data(c);
	if (!f || !f->module)
		return 0;
	uint64_t now = now_ns();
	const char *url = debuginfod_get_url(c);
	if (url) {
		/* committed to a server: a is the bytes received, b the size (<= 0: unknown) */
		if (!f->announced) {
			char size[40] = "";
			if (b > 0)
				snprintf(size, sizeof(size), " (%ld bytes)", b);
			util_say(f->log, "debuginfod: downloading debug info of '%s' from %.*s%s",
				 util_base_name(f->module), server_len(url), url, size);
			f->announced = 1;
		}
		if (a != f->last_bytes) {
			f->last_bytes = a;
			f->quiet_since = now;
		}
	}
	if (now - f->quiet_since > f->timeout_ns) {
		f->abandoned = 1;
		return 1;
	}
	return 0;
}

void symfetch_attach(symfetch *f, Dwfl *d)
{
	if (!f)
		return;
	debuginfod_client *c = dwfl_get_debuginfod_client(d);
	if (!c)
		return;
	debuginfod_set_user_data(c, f);
	debuginfod_set_progressfn(c, progress);
}

void symfetch_watch(symfetch *f, Dwfl_Module *m)
{
	void **ud = NULL;
	if (f && dwfl_module_info(m, &ud, NULL, NULL, NULL, NULL, NULL, NULL) && ud)
		*ud = f;
}

/* The standard lookup with no server: $DEBUGINFOD_URLS emptied around it (the client reads it
 * at every lookup and then touches neither the network nor its cache). */
static int local_lookup(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			char **debuginfo_file_name, const char *urls)
{
	setenv(DEBUGINFOD_URLS_ENV_VAR, "", 1);
	int fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
					      debuglink_crc, debuginfo_file_name);
	setenv(DEBUGINFOD_URLS_ENV_VAR, urls, 1);
	return fd;
}

int symfetch_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			    Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			    GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	symfetch *f = userdata ? *userdata : NULL;
	if (!f)
		return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
						    debuglink_file, debuglink_crc, debuginfo_file_name);
	if (f->off)
		return local_lookup(mod, userdata, modname, base, file_name, debuglink_file,
				    debuglink_crc, debuginfo_file_name, f->urls);
	const char *module = file_name ? file_name : modname ? modname : "?";
	f->module = module;
	f->quiet_since = now_ns();
	f->last_bytes = -1;
	f->announced = f->abandoned = 0;
	errno = 0;
	int fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
					      debuglink_crc, debuginfo_file_name);
	f->module = NULL;
	if (fd >= 0)
		return fd;
	/* -1: not found on the machine (and no server asked); below: the client's -errno */
	int err = fd < -1 ? -fd : 0;
	if (f->abandoned) {
		util_say(f->log, "debuginfod: no answer from %s within %llu s for '%s'; not asking again "
				 "in this run",
			 f->urls, (unsigned long long)(f->timeout_ns / 1000000000u), util_base_name(module));
		f->off = 1;
	} else if (err && err != ENOENT && err != ENOSYS) {
		util_say(f->log, "debuginfod: cannot fetch debug info of '%s' from %s: %s; not asking "
				 "again in this run",
			 util_base_name(module), f->urls, strerror(err));
		f->off = 1;
	}
	return fd;
}
