// reach_cpp.cc: shared_ptr cycles for the leak-kind tests (tests/e2e/test_reach.py): a cycle of
// two nodes (cycle2) and one of three (cycle3), each node from its own line; no outside pointer
// is left to either.  Each cycle is one definitely lost block (its oldest) and the rest indirectly
// lost.  A third structure (kept) stays reachable from a global.
#include <cstring>
#include <memory>

struct Node {
	std::shared_ptr<Node> next;
	char pad[2000];
};

std::shared_ptr<Node> kept;

__attribute__((noinline)) static void cycle2()
{
	auto a = std::make_shared<Node>();
	auto b = std::make_shared<Node>();
	a->next = b;
	b->next = a;
}

__attribute__((noinline)) static void cycle3()
{
	auto a = std::make_shared<Node>();
	auto b = std::make_shared<Node>();
	auto c = std::make_shared<Node>();
	a->next = b;
	b->next = c;
	c->next = a;
}

__attribute__((noinline)) static void keep()
{
	kept = std::make_shared<Node>();
	kept->next = std::make_shared<Node>();
}

// Overwrites the dead stack where copies of the cycles' pointers could be left.
__attribute__((noinline)) static void scrub()
{
	volatile char junk[16384];
	std::memset(const_cast<char *>(junk), 0, sizeof(junk));
}

int main()
{
	cycle2();
	cycle3();
	keep();
	scrub();
	return 0;
}
