// robust_end_cpp.cc: known allocations (100 x new char[4099], 40 deleted; prints "known 100 40"),
// then an exception nobody catches: std::terminate, abort, SIGABRT.
#include <cstdio>
#include <stdexcept>

static char *blocks[100];

static void known()
{
	for (int i = 0; i < 100; i++)
		blocks[i] = new char[4099];
	for (int i = 0; i < 40; i++)
		delete[] blocks[i];
	std::printf("known 100 40\n");
	std::fflush(stdout);
}

int main()
{
	known();
	throw std::runtime_error("robust_end_cpp: nobody catches this");
}
