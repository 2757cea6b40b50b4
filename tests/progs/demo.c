/*
 * demo.c: the program `make demo` records.  A toy request server: every request parses a line
 * into a temporary buffer, stores a session in a cache that is never evicted, and leaks its
 * reply buffer on the error path (every 7th request).  Known figures: 700 requests; 100 leaked
 * replies of 256 bytes (25,600 bytes) from send_error_reply(); 700 sessions of 64 bytes
 * (44,800 bytes) from remember_session(), still cached at exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUESTS 700

struct session {
	struct session *next;
	int id;
	char name[48];
};

static struct session *cache;

static char *parse_request(int id)
{
	char *tmp = malloc(512); /* temporary: freed before the next allocation */
	snprintf(tmp, 512, "GET /item/%d", id);
	return tmp;
}

static void remember_session(int id)
{
	struct session *s = calloc(1, sizeof(*s));
	s->id = id;
	snprintf(s->name, sizeof(s->name), "session-%d", id);
	s->next = cache;
	cache = s;
}

static char *send_error_reply(int id)
{
	char *reply = malloc(256);
	snprintf(reply, 256, "500 error for request %d", id);
	return reply; /* the caller forgets to free it */
}

static void handle(int id)
{
	char *req = parse_request(id);
	int bad = id % 7 == 0;
	free(req);
	remember_session(id);
	if (bad) {
		(void)send_error_reply(id);
	} else {
		char *reply = malloc(128);
		snprintf(reply, 128, "200 ok %d", id);
		free(reply);
	}
}

int main(void)
{
	for (int i = 0; i < REQUESTS; i++)
		handle(i);
	size_t n = 0;
	for (struct session *s = cache; s; s = s->next)
		n++;
	printf("served %d requests, %zu sessions cached\n", REQUESTS, n);
	return 0;
}
