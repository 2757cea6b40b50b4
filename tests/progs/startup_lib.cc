// startup_lib.cc: libstartup.so, a library that allocates while it is initialized, before the
// program's main and before any preloaded library's constructor may run (the truth the start-up
// tests check, see startup.cc):
//   lib_ctor_alloc:  1,000 x malloc(100) from the library's constructor; its destructor frees
//                    600 of them at exit, so 400 (40,000 B) leak
//   fill_lib_table:  a static std::map<int, int> of 1,000 entries built by a static initializer
//                    (1,000 nodes of 40 B), destroyed at exit
#include <cstdlib>
#include <map>

static void *blocks[1000];

extern "C" __attribute__((noinline)) void lib_ctor_alloc(void)
{
	for (int i = 0; i < 1000; i++)
		blocks[i] = malloc(100);
}

extern "C" __attribute__((noinline)) void lib_dtor_free(void)
{
	for (int i = 0; i < 600; i++)
		free(blocks[i]);
}

__attribute__((constructor)) static void lib_ctor(void) { lib_ctor_alloc(); }
__attribute__((destructor)) static void lib_dtor(void) { lib_dtor_free(); }

__attribute__((noinline)) static std::map<int, int> fill_lib_table()
{
	std::map<int, int> m;
	for (int i = 0; i < 1000; i++)
		m[i] = i * 3;
	return m;
}

static std::map<int, int> lib_table = fill_lib_table();

extern "C" int startup_lib_sum(void)
{
	int s = 0;
	for (const auto &kv : lib_table)
		s += kv.second;
	return s;
}
