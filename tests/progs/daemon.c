/*
 * daemon.c: the usual ways a program becomes a daemon, each ending in a process that allocates
 * known amounts (the truth the daemon tests check):
 *   daemon_work:  100 x malloc(64), 30 of them leaked (1,920 B), then exits 0
 *
 *   daemon double DIR    fork; the parent exits at once; the child calls setsid, forks again and
 *                        exits at once without allocating; the grandchild closes stdio, works
 *   daemon daemon3 DIR   daemon(3) from the C library (fork, setsid, stdio to /dev/null), works
 *   daemon late DIR      the parent allocates first, forks; the child works and the parent
 *                        exits before it (the child waits until the parent is gone)
 * The process that works writes DIR/daemon.pid with its pid and DIR/daemon.done when it is done,
 * so the test knows which trace is its and when it has finished.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *keep[100];

static void put_file(const char *dir, const char *name, long v)
{
	char path[4096], buf[32];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		_exit(3);
	int n = snprintf(buf, sizeof(buf), "%ld\n", v);
	if (write(fd, buf, (size_t)n) != n)
		_exit(3);
	close(fd);
}

__attribute__((noinline)) static void daemon_work(const char *dir)
{
	put_file(dir, "daemon.pid", (long)getpid());
	for (int i = 0; i < 100; i++)
		keep[i] = malloc(64);
	for (int i = 30; i < 100; i++)
		free(keep[i]);
	usleep(100 * 1000);
	put_file(dir, "daemon.done", 1);
	exit(0);
}

static void close_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *mode = argv[1], *dir = argv[2];
	if (strcmp(mode, "double") == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		if (fork() != 0)
			_exit(0);
		close_stdio();
		daemon_work(dir);
	} else if (strcmp(mode, "daemon3") == 0) {
		if (daemon(1, 0) != 0)
			return 1;
		daemon_work(dir);
	} else if (strcmp(mode, "late") == 0) {
		void *p = malloc(10);
		pid_t parent = getpid();
		if (fork() == 0) {
			while (getppid() == parent)
				usleep(10 * 1000);
			daemon_work(dir);
		}
		free(p);
		return 0;
	}
	return 2;
}
