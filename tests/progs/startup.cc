// startup.cc: allocations made before main, by a library's initializers (libstartup.so, see
// startup_lib.cc), by the program's own constructor and by the C++ runtime (libstdc++'s
// emergency exception pool), then in main; frees made after main returned, by destructors.
//   exe_ctor_alloc:  50 x malloc(64) from the program's constructor, leaked (3,200 B)
//   main_alloc:      10 x malloc(32) in main, leaked (320 B)
// No stdio: the C runtime adds nothing else.
#include <cstdlib>

extern "C" int startup_lib_sum(void);

void *keep[64];

extern "C" __attribute__((noinline)) void exe_ctor_alloc(void)
{
	for (int i = 0; i < 50; i++)
		keep[i] = malloc(64);
}

__attribute__((constructor)) static void exe_ctor(void) { exe_ctor_alloc(); }

extern "C" __attribute__((noinline)) void main_alloc(void)
{
	for (int i = 0; i < 10; i++)
		keep[50 + i] = malloc(32);
}

int main()
{
	main_alloc();
	return startup_lib_sum() == 1498500 ? 0 : 1;
}
