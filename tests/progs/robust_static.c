/*
 * robust_static.c: a program leakrec cannot record.  Built twice: statically (robust_static.static,
 * when libc.a exists) and dynamically (robust_static, which the test copies and makes setuid).
 * Allocates one block and prints its effective uid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	char *p = malloc(100);
	p[0] = 1;
	printf("ran euid=%d\n", (int)geteuid());
	free(p);
	return 0;
}
