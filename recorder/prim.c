/*
 * prim.c: system calls of the recorder (see prim.h).  Nothing here allocates with malloc or uses
 * stdio, so every function may run inside an interposed malloc, in a signal handler's shadow, or
 * in a freshly forked child.
 */
#include "prim.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

uint64_t prim_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t prim_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

pid_t prim_gettid(void) { return (pid_t)syscall(SYS_gettid); }

/* Every mapping prim_map made and prim_unmap did not release, for the leak-kind scan: slots are
 * claimed with an atomic counter, a released one has lo == hi and is claimed again by CAS once
 * the counter reached the end (a mapping made when all are taken is not listed). */
#define PRIM_MAPS 65536
static struct {
	_Atomic uint64_t lo, hi;
} maps[PRIM_MAPS];
static _Atomic size_t nmaps;

static void map_note(uint64_t lo, uint64_t hi)
{
	size_t i = atomic_fetch_add(&nmaps, 1);
	if (i < PRIM_MAPS) {
		/* lo first: a reader never sees a range whose hi is set and lo is not */
		atomic_store(&maps[i].lo, lo);
		atomic_store(&maps[i].hi, hi);
		return;
	}
	atomic_store(&nmaps, PRIM_MAPS);
	for (i = 0; i < PRIM_MAPS; i++) {
		uint64_t l = atomic_load(&maps[i].lo);
		/* claimed by moving lo to the top: [UINT64_MAX, hi) reads as empty meanwhile */
		if (l == atomic_load(&maps[i].hi) &&
		    atomic_compare_exchange_strong(&maps[i].lo, &l, UINT64_MAX)) {
			atomic_store(&maps[i].hi, hi);
			atomic_store(&maps[i].lo, lo);
			return;
		}
	}
}

void *prim_map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	map_note((uint64_t)(uintptr_t)p, (uint64_t)(uintptr_t)p + n);
	return p;
}

void prim_unmap(void *p, size_t n)
{
	if (!p)
		return;
	uint64_t lo = (uint64_t)(uintptr_t)p;
	size_t k = atomic_load(&nmaps);
	for (size_t i = 0; i < k && i < PRIM_MAPS; i++)
		if (atomic_load(&maps[i].lo) == lo) {
			atomic_store(&maps[i].hi, lo);
			break;
		}
	munmap(p, n);
}

size_t prim_map_slots(void)
{
	size_t k = atomic_load(&nmaps);
	return k < PRIM_MAPS ? k : PRIM_MAPS;
}

int prim_map_at(size_t i, uint64_t *lo, uint64_t *hi)
{
	*lo = atomic_load(&maps[i].lo);
	*hi = atomic_load(&maps[i].hi);
	return *hi > *lo;
}

void *prim_grow(void *p, size_t old_n, size_t new_n)
{
	void *q = prim_map(new_n);
	if (!q)
		return NULL;
	if (old_n)
		memcpy(q, p, old_n);
	prim_unmap(p, old_n);
	return q;
}

static int write_or_send(int fd, const void *p, size_t n, int sock)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = sock ? send(fd, c, n, MSG_NOSIGNAL) : write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int prim_write_all(int fd, const void *p, size_t n) { return write_or_send(fd, p, n, 0); }

int prim_send_all(int fd, const void *p, size_t n) { return write_or_send(fd, p, n, 1); }

char *prim_utoa(uint64_t v, char *buf)
{
	char tmp[21];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return buf;
}

void prim_log(const char *first, ...)
{
	char buf[1024];
	size_t len = 0;
	const char *prefix = "leakrec: ";
	va_list ap;
	va_start(ap, first);
	for (const char *s = prefix; s; s = (s == prefix ? first : va_arg(ap, const char *))) {
		size_t n = strlen(s);
		if (n > sizeof(buf) - 1 - len)
			n = sizeof(buf) - 1 - len;
		memcpy(buf + len, s, n);
		len += n;
	}
	va_end(ap);
	buf[len++] = '\n';
	int saved = errno;
	prim_write_all(2, buf, len);
	errno = saved;
}

void prim_futex_wait(uint32_t *addr, uint32_t val, uint64_t timeout_ns)
{
	struct timespec ts = {(time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u)};
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, timeout_ns ? &ts : NULL, NULL, 0);
}

void prim_futex_wake(uint32_t *addr, int n)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

int prim_membarrier_init(void)
{
	return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) < 0 ? -errno : 0;
}

int prim_membarrier(void)
{
	return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) < 0 ? -errno : 0;
}

int prim_thread_alive(pid_t tid)
{
	return !(syscall(SYS_tgkill, getpid(), tid, 0) < 0 && errno == ESRCH);
}

/* ---- arena ---- */

#define ARENA_CHUNK (4u << 20)

typedef struct arena_chunk {
	_Atomic size_t used;
	size_t cap;
} arena_chunk;

static _Atomic(arena_chunk *) arena_cur;
static _Atomic size_t arena_total;

void *prim_arena_alloc(size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (n > ARENA_CHUNK / 4) {
		void *p = prim_map(n);
		if (p)
			atomic_fetch_add(&arena_total, n);
		return p;
	}
	for (;;) {
		arena_chunk *c = atomic_load_explicit(&arena_cur, memory_order_acquire);
		if (c) {
			size_t off = atomic_fetch_add_explicit(&c->used, n, memory_order_relaxed);
			if (off + n <= c->cap)
				return (char *)c + off;
		}
		arena_chunk *nc = prim_map(ARENA_CHUNK);
		if (!nc)
			return NULL;
		atomic_store_explicit(&nc->used, (sizeof(arena_chunk) + 15) & ~(size_t)15,
				      memory_order_relaxed);
		nc->cap = ARENA_CHUNK;
		if (atomic_compare_exchange_strong(&arena_cur, &c, nc))
			atomic_fetch_add(&arena_total, ARENA_CHUNK);
		else
			prim_unmap(nc, ARENA_CHUNK);
	}
}

size_t prim_arena_bytes(void) { return atomic_load(&arena_total); }
