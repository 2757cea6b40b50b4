/*
 * exec.c: the interposed exec family, _exit and _Exit: the ways out of a process image that skip
 * the recorder's destructor.  Each finishes the trace first (session_finish).
 *
 * A successful exec discards the process image with everything the writer has not written yet:
 * the trace is finished first.  The exec'd program (if it is dynamically linked and LD_PRELOAD
 * still names us) starts a trace of its own.  When the exec fails, this process goes on
 * unrecorded: its trace already ends at the exec (said once on stderr).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "prim.h"
#include "real.h"
#include "session.h"

#define EXPORT __attribute__((visibility("default")))

extern char **environ;
static int (*next_execve)(const char *, char *const[], char *const[]);
static int (*next_execvpe)(const char *, char *const[], char *const[]);

/* 1 when the file at path is setuid or setgid to someone else: the dynamic loader ignores
 * LD_PRELOAD for it, and the program it runs goes unrecorded. */
static int set_id(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	return ((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
	       ((st.st_mode & S_ISGID) && st.st_gid != getegid());
}

/* Says once per exec that a setuid or setgid program cannot be recorded: file as given to exec,
 * looked up in PATH when search and it holds no '/'. */
static void tell_set_id(const char *file, int search)
{
	if (!file || !session_records_children())
		return;
	char buf[4096];
	const char *found = file;
	if (search && !strchr(file, '/')) {
		const char *path = getenv("PATH");
		found = NULL;
		for (const char *p = path ? path : "/bin:/usr/bin"; p && !found;) {
			const char *end = strchr(p, ':');
			size_t n = end ? (size_t)(end - p) : strlen(p), f = strlen(file);
			if (n + f + 2 <= sizeof(buf)) {
				memcpy(buf, n ? p : ".", n ? n : 1);
				size_t o = n ? n : 1;
				buf[o++] = '/';
				memcpy(buf + o, file, f + 1);
				if (access(buf, X_OK) == 0)
					found = buf;
			}
			p = end ? end + 1 : NULL;
		}
	}
	if (found && set_id(found))
		prim_log("not recording '", found, "': it is setuid or setgid, and the dynamic loader "
			 "ignores LD_PRELOAD for such programs", NULL);
}

static int before_exec(void)
{
	if (!real_ready())
		real_resolve();
	if (!session_active())
		return 0;
	session_finish(0);
	return 1;
}

static void after_failed_exec(int finished, const char *what)
{
	if (finished)
		prim_log("exec of '", what ? what : "?", "' failed: the rest of this process is not recorded",
			 NULL);
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	tell_set_id(path, 0);
	int fin = before_exec();
	if (!next_execve)
		next_execve = (int (*)(const char *, char *const[], char *const[]))real_next("execve");
	int rc = next_execve(path, argv, envp);
	int e = errno;
	after_failed_exec(fin, path);
	errno = e;
	return rc;
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	tell_set_id(file, 1);
	int fin = before_exec();
	if (!next_execvpe)
		next_execvpe = (int (*)(const char *, char *const[], char *const[]))real_next("execvpe");
	int rc = next_execvpe(file, argv, envp);
	int e = errno;
	after_failed_exec(fin, file);
	errno = e;
	return rc;
}

EXPORT int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }
EXPORT int execvp(const char *file, char *const argv[]) { return execvpe(file, argv, environ); }

#define EXEC_MAX_ARGS 4096

/* Copies a list form's arguments, from `first` up to and with the NULL, into args (EXEC_MAX_ARGS
 * slots); *ap is left just after the NULL (execle's envp follows).  Returns 0, or -1 with errno
 * E2BIG when the list is longer. */
static int collect_args(char **args, const char *first, va_list *ap)
{
	size_t n = 0;
	args[n++] = (char *)(uintptr_t)first;
	while (args[n - 1] && n < EXEC_MAX_ARGS)
		args[n++] = va_arg(*ap, char *);
	if (args[n - 1]) {
		errno = E2BIG;
		return -1;
	}
	return 0;
}

/* The list forms build an argv (32 KiB of stack, only on the way to exec) and call the vector
 * forms above, which finish the trace. */
EXPORT int execl(const char *path, const char *arg, ...)
{
	char *args[EXEC_MAX_ARGS];
	va_list ap;
	va_start(ap, arg);
	int rc = collect_args(args, arg, &ap);
	va_end(ap);
	return rc ? rc : execve(path, args, environ);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	char *args[EXEC_MAX_ARGS];
	va_list ap;
	va_start(ap, arg);
	int rc = collect_args(args, arg, &ap);
	va_end(ap);
	return rc ? rc : execvpe(file, args, environ);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char *args[EXEC_MAX_ARGS];
	va_list ap;
	va_start(ap, arg);
	int rc = collect_args(args, arg, &ap);
	char *const *envp = rc ? NULL : va_arg(ap, char *const *);
	va_end(ap);
	return rc ? rc : execve(path, args, envp);
}

static void (*next_exit)(int);

/* _exit and _Exit skip destructors: flush here first.  (exit() reaches glibc's internal _exit,
 * not this one, after the destructor below has run.) */
EXPORT __attribute__((noreturn)) void _exit(int status)
{
	session_finish(1);
	if (!next_exit)
		next_exit = (void (*)(int))real_next("_exit");
	if (next_exit)
		next_exit(status);
	for (;;)
		syscall(SYS_exit_group, status); /* not reached */
}

EXPORT __attribute__((noreturn)) void _Exit(int status) { _exit(status); }
