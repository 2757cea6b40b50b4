// leaks_cpp.cc: C++ leaks at known call sites.
//   make_cycle:  5 x two std::make_shared<Node> that point at each other (a shared_ptr cycle):
//                10 allocations of sizeof(control block with Node inside) each
//   leak_array:  4 x new char[300] = 1,200 bytes
// The program prints the truth the test checks ("expect FUNCTION ALLOCATIONS BYTES"), with
// sizes from the compiler, so the test does not depend on libstdc++'s layout.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

struct Node {
	std::shared_ptr<Node> other;
	char payload[200];
};

__attribute__((noinline)) void make_cycle()
{
	auto a = std::make_shared<Node>();
	auto b = std::make_shared<Node>();
	a->other = b;
	b->other = a;
}

char *volatile keep[4];

__attribute__((noinline)) void leak_array(int i) { keep[i] = new char[300]; }

__attribute__((noinline)) void no_leak()
{
	std::vector<std::string> v;
	for (int i = 0; i < 20; i++)
		v.push_back(std::string(100, 'x'));
}

int main()
{
	for (int i = 0; i < 5; i++)
		make_cycle();
	for (int i = 0; i < 4; i++)
		leak_array(i);
	no_leak();
	using Block = std::_Sp_counted_ptr_inplace<Node, std::allocator<Node>, __gnu_cxx::_S_atomic>;
	std::printf("expect make_cycle 10 %zu\n", 10 * sizeof(Block));
	std::printf("expect leak_array 4 1200\n");
	return 0;
}
