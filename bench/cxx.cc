/*
 * cxx.cc: C++ container churn for the benchmark (bench/run.py, docs/bench.md).
 *
 * A table std::map<std::string, std::shared_ptr<Record>> over 8192 keys is updated step by step:
 * records are made with std::make_shared and replace older ones, their names are heap-allocated
 * std::strings and their values std::vectors grown by push_back; lookups copy vectors and build
 * temporary strings; erases free map nodes; a ring of 256 shared_ptr copies keeps some records
 * alive after they leave the table.  Allocations come through operator new from the standard
 * library's templates.  Deterministic: fixed seed, no time.
 *
 *     cxx [STEPS]         default 1800000 (about 1 s natively); prints one checksum line
 */
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Record {
	std::string name;
	std::vector<int> values;
};

using Table = std::map<std::string, std::shared_ptr<Record>>;

uint64_t rng_state = 0x9e3779b97f4a7c15ull;

uint64_t rng()
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Keys are longer than the small-string buffer, so each one is a heap allocation. */
__attribute__((noinline)) std::string make_key(unsigned k)
{
	char buf[48];
	std::snprintf(buf, sizeof buf, "session/%05u/user-item", k);
	return std::string(buf);
}

__attribute__((noinline)) std::shared_ptr<Record> make_record(const std::string &key, uint64_t r,
								long step)
{
	auto rec = std::make_shared<Record>();
	rec->name = key + ":" + std::to_string(step);
	unsigned n = 1 + (unsigned)((r >> 20) % 24);
	for (unsigned i = 0; i < n; i++)
		rec->values.push_back((int)(r >> (i % 32)) ^ (int)i);
	return rec;
}

__attribute__((noinline)) uint64_t lookup(const Table &table, const std::string &key)
{
	auto it = table.find(key);
	if (it == table.end())
		return 1;
	std::vector<int> copy = it->second->values;
	std::string label = "found " + it->second->name;
	uint64_t sum = label.size();
	for (int v : copy)
		sum += (unsigned)v;
	return sum;
}

__attribute__((noinline)) uint64_t split(uint64_t r)
{
	std::string line;
	for (unsigned i = 0; i < 6; i++) {
		line += "field-";
		line += std::to_string((r >> (i * 8)) & 0xffff);
		line += ",";
	}
	std::vector<std::string> parts;
	size_t start = 0, comma;
	while ((comma = line.find(',', start)) != std::string::npos) {
		parts.emplace_back(line, start, comma - start);
		start = comma + 1;
	}
	uint64_t sum = 0;
	for (const auto &p : parts)
		sum += p.size();
	return sum;
}

} // namespace

int main(int argc, char **argv)
{
	long steps = 1800000;
	if (argc > 1) {
		char *end;
		steps = std::strtol(argv[1], &end, 10);
		if (*argv[1] == 0 || *end != 0 || steps <= 0) {
			std::fprintf(stderr, "usage: %s [STEPS]  (a positive number)\n", argv[0]);
			return 2;
		}
	}
	Table table;
	std::vector<std::shared_ptr<Record>> recent(256);
	uint64_t sum = 0;
	for (long i = 0; i < steps; i++) {
		uint64_t r = rng();
		std::string key = make_key((unsigned)(r % 8192));
		switch ((r >> 16) & 7) {
		case 0:
		case 1:
		case 2:
		case 3: {
			auto rec = make_record(key, r, i);
			recent[(r >> 40) % recent.size()] = rec;
			table[key] = std::move(rec);
			break;
		}
		case 4:
		case 5:
			sum += lookup(table, key);
			break;
		case 6:
			sum += table.erase(key);
			break;
		default:
			sum += split(r);
			break;
		}
	}
	sum += table.size();
	std::printf("cxx checksum %" PRIu64 "\n", sum);
	return 0;
}
