/*
 * nss.c: the C library's name service keeps what it allocates (the parsed nsswitch.conf, the
 * loaded modules, getpwuid's and getgrgid's static results); the program itself leaks one block.
 * Truth: leaked 100 B in 1 allocation (main), everything under getpwuid/getgrgid runtime-owned.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	struct passwd *pw = getpwuid(getuid());
	struct group *gr = getgrgid(getgid());
	void *volatile mine = malloc(100);
	printf("%s %s %p\n", pw ? pw->pw_name : "?", gr ? gr->gr_name : "?", mine);
	return 0;
}
