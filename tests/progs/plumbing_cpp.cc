// plumbing_cpp.cc: leaks made through libstdc++'s containers, whose allocations pass through the
// library's internals (_M_realloc_insert, __new_allocator, _M_create, _Hashtable) before they
// reach operator new.  Built twice, at -O0 and -O2 (both -g), for the folding and the diff-key
// tests.  Each function builds a container and leaks it on purpose (new without delete), so the
// container's own storage leaks with it; the program prints "expect FUNCTION ALLOCATIONS BYTES".
#include <cstdio>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

template <class T> static void keep(T *p) { asm volatile("" : : "r"(p) : "memory"); }

__attribute__((noinline)) static void grow_vector(size_t *n, size_t *bytes)
{
	auto *v = new std::vector<int>; // 24 B
	for (int i = 0; i < 100; i++)
		v->push_back(i);
	keep(v);
	*n = 2;
	*bytes = sizeof(*v) + v->capacity() * sizeof(int);
}

__attribute__((noinline)) static void long_string(size_t *n, size_t *bytes)
{
	auto *s = new std::string(200, 'x'); // 32 B + 201
	keep(s);
	*n = 2;
	*bytes = sizeof(*s) + s->capacity() + 1;
}

__attribute__((noinline)) static void fill_hash(size_t *n, size_t *bytes)
{
	auto *m = new std::unordered_map<int, int>; // 56 B
	for (int i = 0; i < 50; i++)
		(*m)[i] = i;
	keep(m);
	/* the map object, 50 nodes (next pointer + pair + cached nothing for int: 16 B), buckets */
	*n = 1 + 50 + 1;
	*bytes = sizeof(*m) + 50 * 16 + m->bucket_count() * sizeof(void *);
}

__attribute__((noinline)) static void fill_tree(size_t *n, size_t *bytes)
{
	auto *m = new std::map<int, int>; // 48 B
	for (int i = 0; i < 40; i++)
		(*m)[i] = i;
	keep(m);
	*n = 1 + 40;
	*bytes = sizeof(*m) + 40 * 40;
}

int main()
{
	struct {
		const char *name;
		void (*fn)(size_t *, size_t *);
	} fns[] = {{"grow_vector", grow_vector}, {"long_string", long_string},
		   {"fill_hash", fill_hash}, {"fill_tree", fill_tree}};
	char out[1024];
	size_t o = 0;
	for (auto &f : fns) {
		size_t n, bytes;
		f.fn(&n, &bytes);
		o += (size_t)snprintf(out + o, sizeof(out) - o, "expect %s %zu %zu\n", f.name, n, bytes);
	}
	fputs(out, stdout);
	return 0;
}
