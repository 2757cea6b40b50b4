/*
 * proto.c: trace naming shared by the launcher and the preload library (see proto.h).
 */
#include "proto.h"

size_t proto_expand_pid(const char *pattern, uint64_t pid, char *out, size_t cap)
{
	char num[24];
	size_t n = 0, o = 0;
	do
		num[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) != 0);
	for (const char *s = pattern; *s && o + 1 < cap; s++) {
		if (s[0] == '%' && s[1] == 'p') {
			for (size_t i = n; i-- > 0 && o + 1 < cap;)
				out[o++] = num[i];
			s++;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	return o;
}
