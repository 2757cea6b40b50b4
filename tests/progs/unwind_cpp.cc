/*
 * unwind_cpp.cc: C++ allocations for the fast unwinder's tests (tests/e2e/test_unwind.py).  The
 * recorder unwinds at every allocation, also while the C++ runtime is itself unwinding the stack
 * for an exception: the fast unwinder must neither disturb exception handling (every exception
 * below is caught where it should be, the program checks it) nor give another stack than
 * libunwind.  Shapes:
 *   - an exception thrown 20 frames down through Guard objects whose destructors allocate while
 *     the runtime unwinds (landing pads), caught by a handler that allocates;
 *   - a rethrow (throw;) from a catch block that allocated, caught again further up;
 *   - an exception thrown and caught inside a catch block; std::exception_ptr and
 *     std::rethrow_exception;
 *   - an exception thrown through a lambda held by a std::function;
 *   - virtual calls, std::function, lambdas, std::sort with a comparator building std::strings,
 *     std::map / std::unordered_map / std::vector growth, a static constructor.
 * Built twice by tests/unwind.mk: unwind_cpp (-O0 with frame pointers) and unwind_cpp_O2 (-O2,
 * everything inlinable inlined).  Every leak is counted under a named, non-inlined function
 * (unwind_common.h) and printed as "expect" lines; deterministic, exits 0.
 */
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "unwind_common.h"

static volatile int uw_seed = 1;
static int caught;

/* ---- leaking helpers, each a frame of its own ---- */

NOIPA static void dtor_leak(int level)
{
	size_t n = 600 + level % 4;
	uw_keep(malloc(n));
	uw_count("dtor_leak", n);
}

NOIPA static void catch_leak(size_t n)
{
	uw_keep(new char[n]);
	uw_count("catch_leak", n);
}

NOIPA static void rethrow_leak()
{
	uw_keep(malloc(610));
	uw_count("rethrow_leak", 610);
}

NOIPA static void nested_leak()
{
	uw_keep(malloc(611));
	uw_count("nested_leak", 611);
}

NOIPA static void lambda_leak(int k)
{
	uw_keep(malloc(620 + k));
	uw_count("lambda_leak", 620 + k);
}

/* ---- exceptions through frames whose destructors allocate ---- */

struct Guard {
	int level;
	explicit Guard(int l) : level(l) {}
	~Guard() { dtor_leak(level); } /* runs in a landing pad while the exception unwinds */
};

struct Err : std::runtime_error {
	int depth;
	Err(const std::string &what, int d) : std::runtime_error(what), depth(d) {}
};

NOIPA static int throw_deep(int n)
{
	Guard g(n);
	std::string s(40, 'x'); /* heap string, freed while unwinding */
	if (n == 0)
		throw Err("deep error with a long message that is allocated", 20);
	int r = throw_deep(n - 1);
	uw_barrier();
	return r + (int)s.size();
}

NOIPA static void catch_site()
{
	try {
		throw_deep(19);
	} catch (const Err &e) {
		catch_leak(630 + (size_t)e.depth % 3);
		caught++;
	}
}

NOIPA static void rethrower()
{
	try {
		throw_deep(3);
	} catch (...) {
		rethrow_leak();
		throw;
	}
}

NOIPA static void rethrow_site()
{
	try {
		rethrower();
	} catch (const std::exception &e) {
		catch_leak(640);
		caught++;
	}
}

NOIPA static void nested_site()
{
	try {
		throw std::logic_error("outer");
	} catch (const std::logic_error &) {
		try {
			Guard g(100);
			throw 42;
		} catch (int v) {
			nested_leak();
			caught += v == 42;
		}
	}
}

NOIPA static void exception_ptr_site()
{
	std::exception_ptr p;
	try {
		throw_deep(2);
	} catch (...) {
		p = std::current_exception();
	}
	try {
		std::rethrow_exception(p);
	} catch (const Err &) {
		catch_leak(650);
		caught++;
	}
}

NOIPA static void through_function_site()
{
	std::function<void(int)> f = [](int k) {
		Guard g(k);
		if (k > 2)
			throw std::out_of_range("through std::function");
		lambda_leak(k);
	};
	try {
		for (int k = 0; k < 5; k++)
			f(k);
	} catch (const std::out_of_range &) {
		caught++;
	}
}

/* ---- virtual calls ---- */

struct Shape {
	virtual ~Shape() = default;
	virtual void *describe() = 0;
};

struct Circle : Shape {
	NOIPA void *describe() override
	{
		void *p = malloc(660);
		uw_barrier(); /* not a tail call: the frame stays */
		uw_count("Circle::describe", 660);
		return p;
	}
};

struct Square : Shape {
	NOIPA void *describe() override
	{
		void *p = malloc(661);
		uw_barrier();
		uw_count("Square::describe", 661);
		return p;
	}
};

NOIPA static void virtual_site()
{
	std::vector<std::unique_ptr<Shape>> shapes; /* vector growth, freed at the end */
	for (int i = 0; i < 6; i++) {
		if (i % 2)
			shapes.emplace_back(new Square);
		else
			shapes.emplace_back(new Circle);
	}
	for (auto &s : shapes)
		uw_keep(s->describe());
}

/* ---- containers and lambdas ---- */

NOIPA static void container_leak()
{
	auto *v = new std::vector<int>(100, 1); /* 24 bytes + 400 bytes, both leaked */
	uw_keep(v);
	uw_count("container_leak", sizeof(*v));
	uw_count("container_leak", 100 * sizeof(int));
}

NOIPA static int containers_site()
{
	std::map<std::string, int> m;
	std::unordered_map<int, std::string> u;
	for (int i = 0; i < 50; i++) {
		m["key number " + std::to_string(i) + " is long enough"] = i;
		u[i] = std::string(30 + i % 5, 'u');
	}
	std::vector<std::string> words;
	for (int i = 0; i < 40; i++)
		words.push_back(std::string(20, (char)('a' + (i * 7) % 26)));
	int leaked = 0;
	std::sort(words.begin(), words.end(), [&](const std::string &a, const std::string &b) {
		std::string ka = a + " sort key long enough for the heap";
		std::string kb = b + " sort key long enough for the heap";
		if (leaked < 3)
			lambda_leak(10 + leaked++);
		return ka < kb;
	});
	container_leak();
	return (int)(m.size() + u.size() + words.size());
}

/* ---- a static constructor ---- */

struct StaticInit {
	void *block;
	StaticInit() { block = malloc(670); }
};
static StaticInit static_init;

int main()
{
	uw_count("StaticInit::StaticInit", 670);
	uw_keep(static_init.block);
	catch_site();
	rethrow_site();
	nested_site();
	exception_ptr_site();
	through_function_site();
	virtual_site();
	int n = containers_site();
	std::printf("caught %d of 5, containers %d\n", caught, n);
	uw_print_expect();
	return caught == 5 ? 0 : 1;
}
