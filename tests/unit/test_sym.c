/*
 * test_sym: unit test of the symbolizer (analyzer/sym.c), its demangling (demangle.c) and the
 * frame classification (frameclass.c).
 *
 * Built and run by `make test` (tests/unit/unit.mk), which links it with the sanitized analyzer
 * library; by hand: make build/tests/test_sym && build/tests/test_sym build/tests/libsym_inline.so
 *
 * The helper library must be built with -O2 -g (the inlining is the point).  test_sym itself
 * may be built with or without optimisation; it needs -g.
 * The argument is the path of the inline helper library (made absolute by the test if needed).
 * The test symbolizes its own executable (module built from dl_iterate_phdr: bias, PT_LOAD
 * segments, build-id note), the helper library, and libc (whose separate debug info, when
 * libc6-dbg is installed, is found by build-id).  It prints "ok"/"FAIL" lines and a final
 * "N passed, M failed"; the exit status is 1 when anything failed.
 */
#include "check.h"
#include "demangle.h"
#include "frameclass.h"
#include "sym.h"

#include <dlfcn.h>
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

static int streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* 1 when line `line` of `file` contains `marker`. */
static int line_has_marker(const char *file, unsigned line, const char *marker)
{
	if (!file || !line)
		return 0;
	FILE *f = fopen(file, "r");
	if (!f)
		return 0;
	char buf[1024];
	unsigned n = 0;
	int found = 0;
	while (fgets(buf, sizeof(buf), f)) {
		if (++n == line) {
			found = strstr(buf, marker) != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}

static void describe(const sym_frame *fr, char *buf, size_t len)
{
	snprintf(buf, len, "function=%s file=%s line=%u module=%s+0x%llx inlined=%d missing=%d",
		 fr->function ? fr->function : "(null)", fr->file ? fr->file : "(null)", fr->line,
		 fr->module, (unsigned long long)fr->module_offset, fr->inlined,
		 fr->module_missing);
}

/* ---- building module records from the running process ---- */

struct find {
	const char *want;  /* "" for the main program, else a path or a basename prefix */
	int by_prefix;
	tf_module *out;
	int found;
};

static void read_build_id(const struct dl_phdr_info *info, const ElfW(Phdr) *ph, tf_module *m)
{
	const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
	const unsigned char *end = p + ph->p_memsz;
	while (p + sizeof(ElfW(Nhdr)) <= end) {
		const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
		size_t namesz = (nh->n_namesz + 3) & ~3u, descsz = (nh->n_descsz + 3) & ~3u;
		const unsigned char *name = p + sizeof(*nh), *desc = name + namesz;
		if (desc + descsz > end)
			break;
		if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
		    nh->n_descsz <= TF_MAX_BUILD_ID) {
			memcpy(m->build_id, desc, nh->n_descsz);
			m->build_id_len = nh->n_descsz;
			return;
		}
		p = desc + descsz;
	}
}

static int find_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct find *f = arg;
	const char *name = info->dlpi_name ? info->dlpi_name : "";
	int match = f->by_prefix ? strncmp(base_name(name), f->want, strlen(f->want)) == 0
				 : strcmp(name, f->want) == 0;
	if (!match || f->found)
		return 0;
	tf_module *m = f->out;
	m->bias = info->dlpi_addr;
	m->nseg = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && m->nseg < TF_MAX_SEGMENTS) {
			tf_segment *s = &m->seg[m->nseg++];
			s->vaddr = ph->p_vaddr;
			s->memsz = ph->p_memsz;
			s->offset = ph->p_offset;
			s->flags = ph->p_flags;
		} else if (ph->p_type == PT_NOTE && !m->build_id_len) {
			read_build_id(info, ph, m);
		}
	}
	f->found = 1;
	return 1;
}

/* Fills *m for a loaded object: "" is the main program; path must outlive *m. */
static int module_of(const char *want, int by_prefix, const char *path, uint64_t id,
		     uint64_t epoch, tf_module *m)
{
	memset(m, 0, sizeof(*m));
	struct find f = { want, by_prefix, m, 0 };
	dl_iterate_phdr(find_cb, &f);
	m->id = id;
	m->epoch = epoch;
	m->path = path;
	m->path_len = strlen(path);
	return f.found;
}

/* ---- functions whose addresses the test resolves ---- */

__attribute__((noinline)) static void *caller_ra(void)
{
	return __builtin_return_address(0);
}

void *test_known_function(void);

__attribute__((noinline)) void *test_known_function(void)
{
	void *ra = caller_ra(); /* sym-test: known */
	__asm__ volatile("" ::: "memory"); /* no tail call: the return address must be in here */
	return ra;
}

/* ---- tests ---- */

static void test_own_exe(const char *exe)
{
	sym_ctx *s = NULL;
	EXPECT(sym_create(&s) == 0 && s);
	tf_module m;
	EXPECT(module_of("", 0, exe, 1, 0, &m));
	EXPECT(m.build_id_len > 0);
	EXPECT(sym_add_module(s, &m) == 0);

	uint64_t addr = (uint64_t)(uintptr_t)test_known_function() - 1;
	const sym_frame *fr = NULL;
	int n = sym_resolve(s, 0, addr, &fr);
	char d[1024] = "";
	if (n > 0)
		describe(&fr[0], d, sizeof(d));
	CHECK_MSG(n == 1, "own exe: one frame for a plain call site", d);
	if (n >= 1) {
		CHECK_MSG(streq(fr[0].function, "test_known_function"), "own exe: function name", d);
		CHECK_MSG(streq(base_name(fr[0].file), "test_sym.c"), "own exe: file", d);
		CHECK_MSG(line_has_marker(fr[0].file, fr[0].line, "sym-test: known"), "own exe: line", d);
		EXPECT(fr[0].inlined == 0 && fr[0].module_missing == 0);
		EXPECT(streq(fr[0].module, exe));
		EXPECT(fr[0].address == addr && fr[0].module_offset == addr - m.bias);
	}

	/* cache: the same (epoch, address) gives the very same array */
	const sym_frame *again = NULL;
	EXPECT(sym_resolve(s, 0, addr, &again) == n && again == fr);

	/* the start of a function resolves to its name */
	uint64_t caddr = (uint64_t)(uintptr_t)&caller_ra;
	n = sym_resolve(s, 0, caddr, &fr);
	if (n > 0)
		describe(&fr[0], d, sizeof(d));
	CHECK_MSG(n >= 1 && streq(fr[n - 1].function, "caller_ra"), "own exe: static function", d);

	/* outside every module */
	n = sym_resolve(s, 0, 0x10, &fr);
	EXPECT(n == 1 && fr[0].function == NULL && streq(fr[0].module, "[unknown]") &&
	      fr[0].module_missing == 0);

	/* no build-id recorded: not checked, symbolized */
	sym_ctx *s2 = NULL;
	EXPECT(sym_create(&s2) == 0);
	tf_module nobid = m;
	nobid.build_id_len = 0;
	EXPECT(sym_add_module(s2, &nobid) == 0);
	n = sym_resolve(s2, 0, addr, &fr);
	EXPECT(n == 1 && streq(fr[0].function, "test_known_function"));
	sym_free(s2);
	sym_free(s);
}

static void test_missing(const char *exe)
{
	uint64_t addr = (uint64_t)(uintptr_t)test_known_function() - 1;
	tf_module m;
	module_of("", 0, exe, 1, 0, &m);
	const sym_frame *fr = NULL;
	char d[1024] = "";

	/* build-id mismatch */
	sym_ctx *s = NULL;
	EXPECT(sym_create(&s) == 0);
	m.build_id[0] ^= 0xff;
	EXPECT(sym_add_module(s, &m) == 0);
	int n = sym_resolve(s, 0, addr, &fr);
	if (n > 0)
		describe(&fr[0], d, sizeof(d));
	CHECK_MSG(n == 1 && fr[0].module_missing == 1 && fr[0].function == NULL && fr[0].file == NULL &&
		      fr[0].line == 0,
	      "wrong build-id: module_missing, no function", d);
	CHECK_MSG(n == 1 && streq(fr[0].module, exe) && fr[0].module_offset == addr - m.bias,
	      "wrong build-id: module and offset", d);
	sym_free(s);

	/* the file does not exist */
	EXPECT(sym_create(&s) == 0);
	m.build_id[0] ^= 0xff;
	static const char gone[] = "/nonexistent/leakrec/libgone.so";
	m.path = gone;
	m.path_len = strlen(gone);
	EXPECT(sym_add_module(s, &m) == 0);
	n = sym_resolve(s, 0, addr, &fr);
	if (n > 0)
		describe(&fr[0], d, sizeof(d));
	CHECK_MSG(n == 1 && fr[0].module_missing == 1 && fr[0].function == NULL &&
		      streq(fr[0].module, gone) && fr[0].module_offset == addr - m.bias,
	      "missing file: module_missing, no function", d);

	/* a path that is not NUL-terminated at path_len is copied by length */
	static const char longer[] = "/nonexistent/leakrec/libgone.so.extra";
	m.id = 2;
	m.path = longer;
	m.path_len = strlen(gone);
	m.epoch = 5;
	EXPECT(sym_add_module(s, &m) == 0);
	n = sym_resolve(s, 5, addr, &fr);
	EXPECT(n == 1 && streq(fr[0].module, gone));
	sym_free(s);
}

static void test_inline(const char *lib)
{
	void *h = dlopen(lib, RTLD_NOW);
	CHECK_MSG(h != NULL, "dlopen the inline helper", h ? NULL : dlerror());
	if (!h)
		return;
	void *(*caller)(size_t) = (void *(*)(size_t))dlsym(h, "sym_inline_caller");
	void **last = (void **)dlsym(h, "sym_inline_last_ra");
	EXPECT(caller && last);
	if (!caller || !last) {
		dlclose(h);
		return;
	}
	free(caller(16));
	uint64_t addr = (uint64_t)(uintptr_t)*last - 1;

	sym_ctx *s = NULL;
	EXPECT(sym_create(&s) == 0);
	tf_module m;
	EXPECT(module_of(lib, 0, lib, 10, 0, &m));
	EXPECT(sym_add_module(s, &m) == 0);
	const sym_frame *fr = NULL;
	int n = sym_resolve(s, 1, addr, &fr);
	char d0[1024] = "", d1[1024] = "";
	if (n > 0)
		describe(&fr[0], d0, sizeof(d0));
	if (n > 1)
		describe(&fr[1], d1, sizeof(d1));
	CHECK_MSG(n == 2, "inline: two frames", d0);
	if (n == 2) {
		CHECK_MSG(streq(fr[0].function, "make_node") && fr[0].inlined == 1,
		      "inline: innermost frame is the inlined helper", d0);
		CHECK_MSG(streq(base_name(fr[0].file), "sym_inline.c") &&
			      line_has_marker(fr[0].file, fr[0].line, "sym-inline: alloc"),
		      "inline: helper file:line is the allocation", d0);
		CHECK_MSG(streq(fr[1].function, "sym_inline_caller") && fr[1].inlined == 0,
		      "inline: outer frame is the physical caller", d1);
		CHECK_MSG(streq(base_name(fr[1].file), "sym_inline.c") &&
			      line_has_marker(fr[1].file, fr[1].line, "sym-inline: call"),
		      "inline: caller file:line is the call site", d1);
		EXPECT(streq(fr[1].module, lib) && fr[0].address == addr && fr[1].address == addr);
	}

	/* epochs: unloaded from epoch 3, a different object replaces it at the same address */
	EXPECT(sym_unload_module(s, 10, 3) == 0);
	EXPECT(sym_unload_module(s, 99, 3) == SYM_EINVAL);
	n = sym_resolve(s, 3, addr, &fr);
	EXPECT(n == 1 && fr[0].function == NULL && streq(fr[0].module, "[unknown]"));
	tf_module other = m;
	static const char other_path[] = "/nonexistent/leakrec/libother.so";
	other.id = 11;
	other.epoch = 3;
	other.path = other_path;
	other.path_len = strlen(other_path);
	EXPECT(sym_add_module(s, &other) == 0);
	n = sym_resolve(s, 4, addr, &fr);
	EXPECT(n == 1 && fr[0].module_missing == 1 && streq(fr[0].module, other_path));
	/* the same library loaded again (new id, new epoch) shares the symbolic results */
	const sym_frame *first = NULL;
	int n1 = sym_resolve(s, 2, addr, &first);
	EXPECT(sym_unload_module(s, 11, 6) == 0);
	tf_module again = m;
	again.id = 12;
	again.epoch = 6;
	EXPECT(sym_add_module(s, &again) == 0);
	n = sym_resolve(s, 7, addr, &fr);
	EXPECT(n == n1 && n >= 1 && fr != first && fr[0].function == first[0].function &&
	      fr[0].file == first[0].file);
	sym_free(s);
	dlclose(h);
}

/* libc, symbolized through its separate debug info when libc6-dbg is installed. */
static void test_libc(void)
{
	sym_ctx *s = NULL;
	EXPECT(sym_create(&s) == 0);
	tf_module m;
	char path[PATH_MAX] = "";
	struct find f = { "libc.so", 1, &m, 0 };
	memset(&m, 0, sizeof(m));
	dl_iterate_phdr(find_cb, &f);
	CHECK_MSG(f.found, "libc: found in the process", NULL);
	if (!f.found) {
		sym_free(s);
		return;
	}
	/* qsort of libc itself: under ASan the symbol in the executable is an interceptor */
	void *lc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *q = lc ? dlsym(lc, "qsort") : NULL;
	if (lc)
		dlclose(lc);
	CHECK_MSG(q != NULL, "libc: dlsym qsort", NULL);
	if (!q) {
		sym_free(s);
		return;
	}
	Dl_info info;
	uint64_t addr = (uint64_t)(uintptr_t)q + 4;
	if (dladdr((void *)(uintptr_t)addr, &info) && info.dli_fname)
		snprintf(path, sizeof(path), "%s", info.dli_fname);
	m.id = 3;
	m.path = path;
	m.path_len = strlen(path);
	EXPECT(sym_add_module(s, &m) == 0);
	const sym_frame *fr = NULL;
	int n = sym_resolve(s, 0, addr, &fr);
	char d[1024] = "";
	if (n > 0)
		describe(&fr[n - 1], d, sizeof(d));
	CHECK_MSG(n >= 1 && fr[n - 1].function && strstr(fr[n - 1].function, "qsort"),
	      "libc: qsort symbolized", d);

	char dbg[PATH_MAX];
	int k = snprintf(dbg, sizeof(dbg), "/usr/lib/debug/.build-id/%02x/", m.build_id[0]);
	for (size_t i = 1; i < m.build_id_len && k > 0 && (size_t)k < sizeof(dbg) - 3; i++)
		k += snprintf(dbg + k, sizeof(dbg) - (size_t)k, "%02x", m.build_id[i]);
	snprintf(dbg + k, sizeof(dbg) - (size_t)k, ".debug");
	if (m.build_id_len && access(dbg, R_OK) == 0)
		CHECK_MSG(n >= 1 && fr[n - 1].file && fr[n - 1].line > 0,
		      "libc: file:line from the debug file found by build-id", d);
	else
		printf("note: %s absent, libc debug-info check skipped\n", dbg);
	sym_free(s);
}

static void test_demangle(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "_ZNSt6vectorIiSaIiEE9push_backERKi",
		  "std::vector<int, std::allocator<int> >::push_back(int const&)" },
		{ "_Znwm", "operator new(unsigned long)" },
		{ "_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write" },
		{ "_ZN5alloc7raw_vec11finish_grow17h3b33d3b1f7f3ec1aE.llvm.1234567",
		  "alloc::raw_vec::finish_grow" },
		{ "_ZN71_$LT$std..alloc..System$u20$as$u20$core..alloc..global..GlobalAlloc$GT$5alloc17h2f1d2c3b4a5e6f70E",
		  "<std::alloc::System as core::alloc::global::GlobalAlloc>::alloc" },
		{ "_RNvCs1234_7mycrate3foo", "mycrate::foo" },
		{ "_RNvMs3_NtCslNYArtu3iFV_5alloc7raw_vecINtB5_6RawVecINtNtB7_3vec3VechEE8grow_oneCsjrHSEGnQ3l9_3std",
		  "<alloc::raw_vec::RawVec<alloc::vec::Vec<u8>>>::grow_one" },
		{ "_RNvCsfLfy6EI15iL_7___rustc12___rust_alloc", "__rustc::__rust_alloc" },
		{ "_RNCNCNCNvNtCsjrHSEGnQ3l9_3std2rt19lang_start_internal00s_0B9_",
		  "std::rt::lang_start_internal::{closure#0}::{closure#0}::{closure#1}" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = demangle_symbol(cases[i].in);
		char what[512];
		snprintf(what, sizeof(what), "demangle %s", cases[i].in);
		CHECK_MSG(streq(got, cases[i].want), what, got ? got : "(null)");
		free(got);
	}
	char *plain = demangle_symbol("main");
	EXPECT(plain == NULL);
	free(plain);
	EXPECT(demangle_symbol(NULL) == NULL);
}

static int alloc_fn(const char *fn)
{
	sym_frame f = { .function = fn, .module = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6" };
	return frameclass_is_alloc(&f);
}

static int runtime_fn(const char *fn, const char *module)
{
	sym_frame f = { .function = fn, .module = module ? module : "/lib/x86_64-linux-gnu/libc.so.6" };
	return frameclass_is_runtime(&f);
}

static void test_classify(void)
{
	static const char *const alloc_yes[] = {
		"malloc",
		"calloc",
		"operator new(unsigned long)",
		"operator new[](unsigned long, std::nothrow_t const&)",
		"operator new(unsigned long, std::align_val_t)",
		"__gnu_cxx::new_allocator<int>::allocate(unsigned long, void const*)",
		"std::__new_allocator<char>::allocate(unsigned long, void const*)",
		"std::allocator_traits<std::allocator<int> >::allocate(std::allocator<int>&, unsigned long)",
		"std::_Vector_base<int, std::allocator<int> >::_M_allocate(unsigned long)",
		"std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::_M_create(unsigned long&, unsigned long)",
		"std::shared_ptr<Foo> std::make_shared<Foo>()",
		"__rust_alloc",
		"__rustc::__rust_alloc",
		"__rdl_realloc",
		"alloc::alloc::exchange_malloc",
		"alloc::alloc::alloc",
		"alloc::raw_vec::finish_grow",
		"<alloc::raw_vec::RawVec<alloc::vec::Vec<u8>>>::grow_one",
		"<alloc::raw_vec::RawVecInner<_>>::reserve::do_reserve_and_handle::<alloc::alloc::Global>",
		"alloc::raw_vec::RawVec<T,A>::reserve::do_reserve_and_handle",
		"<alloc::alloc::Global as core::alloc::Allocator>::allocate",
		"<std::alloc::System as core::alloc::global::GlobalAlloc>::alloc",
		"std::sys::alloc::unix::<impl core::alloc::global::GlobalAlloc for std::alloc::System>::alloc",
		"alloc::boxed::Box<T>::new",
		"<alloc::boxed::Box<i32>>::new",
		"<alloc::rc::Rc<core::cell::RefCell<Node>>>::new",
	};
	static const char *const alloc_no[] = {
		"main",
		"mallocx_user",
		"my_malloc",
		"std::vector<int, std::allocator<int> >::push_back(int const&)",
		"app::alloc::alloc::f",
		"alloc::alloc_helper",
		"alloc::vec::Vec<T,A>::push",
		"myapp::make_buffer",
		"operator delete(void*)",
		"Foo::operator new_thing()",
		"std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string(char const*, std::allocator<char> const&)",
		"leak::main",
	};
	for (size_t i = 0; i < sizeof(alloc_yes) / sizeof(alloc_yes[0]); i++) {
		char what[512];
		snprintf(what, sizeof(what), "alloc frame: %s", alloc_yes[i]);
		CHECK_MSG(alloc_fn(alloc_yes[i]) == 1, what, NULL);
	}
	for (size_t i = 0; i < sizeof(alloc_no) / sizeof(alloc_no[0]); i++) {
		char what[512];
		snprintf(what, sizeof(what), "not alloc frame: %s", alloc_no[i]);
		CHECK_MSG(alloc_fn(alloc_no[i]) == 0, what, NULL);
	}
	sym_frame nul = { .function = NULL, .module = "x" };
	EXPECT(frameclass_is_alloc(&nul) == 0);

	static const char ld[] = "/lib64/ld-linux-x86-64.so.2";
	EXPECT(runtime_fn("_dl_allocate_tls", NULL) == 1);
	EXPECT(runtime_fn("allocate_dtv", ld) == 1);
	EXPECT(runtime_fn(NULL, ld) == 1);
	EXPECT(runtime_fn("_dl_init", ld) == 0);
	EXPECT(runtime_fn("_IO_file_doallocate", NULL) == 1);
	EXPECT(runtime_fn("_nl_load_locale_from_archive", NULL) == 1);
	EXPECT(runtime_fn("__new_exitfn", NULL) == 1);
	EXPECT(runtime_fn("__cxa_get_globals", NULL) == 1);
	EXPECT(runtime_fn("(anonymous namespace)::pool::pool()", NULL) == 1);
	EXPECT(runtime_fn("std::locale::_S_initialize()", NULL) == 1);
	EXPECT(runtime_fn("std::rt::init", NULL) == 1);
	EXPECT(runtime_fn("std::thread::Thread::new", NULL) == 1);
	EXPECT(runtime_fn("std::thread::current::init_current", NULL) == 1);
	EXPECT(runtime_fn("std::io::stdio::stdout", NULL) == 1);
	EXPECT(runtime_fn("std::sys::thread_local::destructors::list::register", NULL) == 1);
	EXPECT(runtime_fn("std::sys::pal::unix::thread::Thread::new", NULL) == 1);
	/* std::sys helpers are no runtime frames of their own: they also allocate what std returns to
	 * the program (std::env::current_dir's buffer) */
	EXPECT(runtime_fn("<std::sys::pal::unix::stdio::Stdout>::new", NULL) == 0);
	EXPECT(runtime_fn("std::sys::pal::unix::os::getcwd", NULL) == 0);
	/* negatives: user code, entry points that run user code, allocator plumbing */
	EXPECT(runtime_fn("main", NULL) == 0);
	EXPECT(runtime_fn("leak::make_cycle", NULL) == 0);
	EXPECT(runtime_fn("my_nl_helper", NULL) == 0);
	EXPECT(runtime_fn("std::rt::lang_start_internal", NULL) == 0);
	EXPECT(runtime_fn("std::rt::lang_start_internal::{closure#0}::{closure#0}", NULL) == 0);
	EXPECT(runtime_fn("std::sys::pal::unix::thread::Thread::new::thread_start", NULL) == 0);
	EXPECT(runtime_fn("std::sys::backtrace::__rust_begin_short_backtrace", NULL) == 0);
	EXPECT(runtime_fn("std::sys::pal::unix::alloc::<impl core::alloc::global::GlobalAlloc for std::alloc::System>::alloc",
			 NULL) == 0);
	EXPECT(runtime_fn("malloc", NULL) == 0);
	EXPECT(runtime_fn(NULL, NULL) == 0);
}

int main(int argc, char **argv)
{
	static char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		CHECK(0, "cannot read /proc/self/exe");
		return check_summary();
		return 1;
	}
	exe[n] = '\0';
	static char lib[PATH_MAX];
	if (argc > 1 && argv[1][0] != '/') {
		if (!realpath(argv[1], lib))
			snprintf(lib, sizeof(lib), "%s", argv[1]);
	} else if (argc > 1) {
		snprintf(lib, sizeof(lib), "%s", argv[1]);
	}

	EXPECT(sym_strerror(SYM_ENOMEM) != NULL && sym_strerror(12345) != NULL);
	sym_free(NULL);
	test_own_exe(exe);
	test_missing(exe);
	if (lib[0])
		test_inline(lib);
	else
		CHECK_MSG(0, "inline test: pass the path of libsym_inline.so as the argument", NULL);
	test_libc();
	test_demangle();
	test_classify();

	return check_summary();
}
