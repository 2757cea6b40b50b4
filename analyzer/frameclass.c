/*
 * frameclass.c: frame classification by function name (see frameclass.h).
 *
 * Names are compared as "skeletons": the demangled name without template or generic arguments,
 * without the parameter list and what follows it (const, [clone .cold]), without a C++ return
 * type, and with a Rust inherent-impl self type `<path<T>>::f` written `path::f`.  Examples:
 *   void std::vector<int, std::allocator<int> >::_M_realloc_insert<int>(...)
 *                                                      -> std::vector::_M_realloc_insert
 *   operator new[](unsigned long, std::nothrow_t const&)   -> operator new[]
 *   <alloc::raw_vec::RawVec<u8>>::grow_one                 -> alloc::raw_vec::RawVec::grow_one
 *   <alloc::alloc::Global as core::alloc::Allocator>::allocate   (kept: trait impls keep <..>)
 *   <alloc::raw_vec::RawVecInner<_>>::reserve::do_reserve_and_handle::<alloc::alloc::Global>
 *                                    -> alloc::raw_vec::RawVecInner::reserve::do_reserve_and_handle
 * Patterns are fnmatch(3) globs over the whole skeleton, so "alloc::alloc::*" matches
 * "alloc::alloc::exchange_malloc" and never "my::alloc::alloc::f" or "alloc::alloc_x".
 *
 * Start-up frames are matched by their exact name (they are C functions of the C library).
 */
#include "frameclass.h"

#include <fnmatch.h>
#include <string.h>

#include "util.h"

#define SKEL_MAX 1024

struct skel {
	char buf[SKEL_MAX];
	size_t len;
	int overflow;
};

static void skel_put(struct skel *k, const char *p, size_t n)
{
	if (k->len + n >= SKEL_MAX) {
		k->overflow = 1;
		return;
	}
	memcpy(k->buf + k->len, p, n);
	k->len += n;
	k->buf[k->len] = '\0';
}

/* Index just past the bracket that closes the one at s[i] (open/close given), or n. */
static size_t skip_balanced(const char *s, size_t i, size_t n, char open, char close)
{
	int depth = 0;
	for (; i < n; i++) {
		if (s[i] == open)
			depth++;
		else if (s[i] == close && --depth == 0)
			return i + 1;
	}
	return n;
}

static size_t find_top_level(const char *s, size_t n, const char *what)
{
	size_t wl = strlen(what);
	int depth = 0;
	for (size_t i = 0; i + wl <= n; i++) {
		if (s[i] == '<')
			depth++;
		else if (s[i] == '>')
			depth--;
		else if (depth == 0 && memcmp(s + i, what, wl) == 0)
			return i;
	}
	return n;
}

static void skeleton(struct skel *k, const char *s, size_t n)
{
	static const char opchars[] = "+-*/%^&|~!=<>,[]()";
	size_t i = 0;
	while (i < n && !k->overflow) {
		char c = s[i];
		int seg_start = i == 0 || (i >= 2 && s[i - 1] == ':' && s[i - 2] == ':') ||
				s[i - 1] == ' ';
		if (c == '(' && n - i >= 21 && memcmp(s + i, "(anonymous namespace)", 21) == 0) {
			skel_put(k, s + i, 21);
			i += 21;
		} else if (seg_start && n - i >= 8 && memcmp(s + i, "operator", 8) == 0 &&
			   (i + 8 == n || !util_is_ident(s[i + 8]))) {
			size_t j = i + 8;
			if (j < n && s[j] == ' ' && j + 1 < n && (s[j + 1] == 'n' || s[j + 1] == 'd')) {
				/* operator new, operator new[], operator delete[] */
				j++;
				while (j < n && util_is_ident(s[j]))
					j++;
				if (n - j >= 2 && s[j] == '[' && s[j + 1] == ']')
					j += 2;
			} else if (n - j >= 2 && s[j] == '(' && s[j + 1] == ')') {
				j += 2;
			} else {
				while (j < n && strchr(opchars, s[j]) && s[j] != '(')
					j++;
			}
			skel_put(k, s + i, j - i);
			i = j;
		} else if (c == '<' && seg_start && n - i >= 6 && memcmp(s + i, "<impl ", 6) == 0) {
			/* legacy Rust impl block: keep as written */
			size_t j = skip_balanced(s, i, n, '<', '>');
			skel_put(k, s + i, j - i);
			i = j;
		} else if (c == '<' && (i == 0 || s[i - 1] == ' ') && !(i >= 2 && s[i - 1] == ':')) {
			/* qualified self type: <T as Trait>::f keeps its form, <T>::f becomes T::f */
			size_t j = skip_balanced(s, i, n, '<', '>');
			const char *in = s + i + 1;
			size_t inlen = j > i + 1 ? j - i - 2 : 0;
			size_t as = find_top_level(in, inlen, " as ");
			if (as < inlen) {
				skel_put(k, "<", 1);
				skeleton(k, in, as);
				skel_put(k, " as ", 4);
				skeleton(k, in + as + 4, inlen - as - 4);
				skel_put(k, ">", 1);
			} else {
				skeleton(k, in, inlen);
			}
			i = j;
		} else if (c == '<') {
			/* template or generic arguments (also the turbofish ::<..>) */
			i = skip_balanced(s, i, n, '<', '>');
			if (k->len >= 2 && k->buf[k->len - 1] == ':' && k->buf[k->len - 2] == ':') {
				k->len -= 2;
				k->buf[k->len] = '\0';
			}
		} else if (c == '[' && n - i >= 5 && memcmp(s + i, "[abi:", 5) == 0) {
			i = skip_balanced(s, i, n, '[', ']');
		} else if (c == '{') {
			size_t j = skip_balanced(s, i, n, '{', '}');
			skel_put(k, s + i, j - i);
			i = j;
		} else if (c == '(') {
			break; /* parameter list: the rest is not part of the name */
		} else if (c == ' ') {
			/* a space outside brackets ends a C++ return type */
			k->len = 0;
			k->buf[0] = '\0';
			i++;
		} else {
			skel_put(k, s + i, 1);
			i++;
		}
	}
}

static int match_any(const char *name, const char *const *pats, size_t npats)
{
	struct skel k = { .len = 0, .overflow = 0 };
	k.buf[0] = '\0';
	skeleton(&k, name, strlen(name));
	if (k.overflow)
		return 0;
	for (size_t i = 0; i < npats; i++)
		if (fnmatch(pats[i], k.buf, 0) == 0)
			return 1;
	return 0;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Allocator plumbing (skeletons, see above).  These sit between the user's call and malloc and
 * are folded out of a stack:
 *  - the malloc family and glibc's internal names for it;
 *  - C++: operator new / new[] (every overload); std::allocator, std::__new_allocator,
 *    __gnu_cxx::new_allocator, std::allocator_traits, __gnu_cxx::__alloc_traits ::allocate;
 *    the libstdc++ container helpers that only obtain memory (_M_allocate, _M_allocate_node,
 *    _M_allocate_buckets, _M_allocate_map, _M_get_node, _M_create_node, basic_string::_M_create);
 *    shared_ptr creation (std::make_shared, std::allocate_shared, std::__make_shared,
 *    std::__allocate_shared, std::__allocate_guarded, the shared_ptr / __shared_ptr /
 *    __shared_count constructors that allocate the control block) and std::make_unique.
 *    std::_Sp_counted_* never allocates (it is constructed in memory obtained above), so it is
 *    not listed;
 *  - Rust: __rust_alloc, __rust_alloc_zeroed, __rust_realloc, __rdl_alloc, __rdl_alloc_zeroed,
 *    __rdl_realloc, __rg_alloc, __rg_alloc_zeroed, __rg_realloc (bare, or under the __rustc::
 *    or std::alloc::__default_lib_allocator:: paths newer and older toolchains give them),
 *    alloc::alloc::*, alloc::raw_vec::*, <alloc::alloc::Global as core::alloc::Allocator>::*,
 *    the System allocator (<std::alloc::System as core::alloc::global::GlobalAlloc>::*, its
 *    legacy `<impl ... for std::alloc::System>` form, std::alloc::System::*,
 *    std::sys::*::aligned_malloc), and the constructors that only box a value:
 *    alloc::boxed::Box::new / new_uninit / new_zeroed / pin / try_new*, alloc::boxed::box_new*,
 *    alloc::rc::Rc::new, alloc::sync::Arc::new; and the internals of vec![x; n] and
 *    Vec::with_capacity (alloc::vec::from_elem, SpecFromElem::from_elem,
 *    alloc::vec::Vec::with_capacity_in).  Container methods the program calls itself
 *    (Vec::push, String::push_str, std::vector::push_back ...) are not plumbing and stay.
 */
static const char *const alloc_patterns[] = {
	"malloc", "calloc", "realloc", "reallocarray", "posix_memalign",
	"aligned_alloc", "memalign", "valloc", "pvalloc",
	"__libc_malloc", "__libc_calloc", "__libc_realloc", "__libc_reallocarray",
	"__libc_memalign", "__libc_valloc", "__libc_pvalloc", "__posix_memalign",
	"operator new", "operator new\\[\\]",
	"std::allocator::allocate", "std::__new_allocator::allocate",
	"__gnu_cxx::new_allocator::allocate", "std::allocator_traits::allocate",
	"__gnu_cxx::__alloc_traits::allocate",
	"std::*::_M_allocate", "std::*::_M_allocate_node", "std::*::_M_allocate_buckets",
	"std::*::_M_allocate_map", "std::*::_M_get_node", "std::*::_M_create_node",
	"std::basic_string::_M_create", "std::__cxx11::basic_string::_M_create",
	"std::make_shared", "std::allocate_shared", "std::__make_shared", "std::__allocate_shared",
	"std::__allocate_guarded", "std::shared_ptr::shared_ptr", "std::__shared_ptr::__shared_ptr",
	"std::__shared_count::__shared_count", "std::make_unique",
	"__rust_alloc", "__rust_alloc_zeroed", "__rust_realloc",
	"__rdl_alloc", "__rdl_alloc_zeroed", "__rdl_realloc",
	"__rg_alloc", "__rg_alloc_zeroed", "__rg_realloc",
	"__rustc::__rust_alloc", "__rustc::__rust_alloc_zeroed", "__rustc::__rust_realloc",
	"__rustc::__rdl_alloc", "__rustc::__rdl_alloc_zeroed", "__rustc::__rdl_realloc",
	"__rustc::__rg_alloc", "__rustc::__rg_alloc_zeroed", "__rustc::__rg_realloc",
	"std::alloc::__default_lib_allocator::__rdl_alloc",
	"std::alloc::__default_lib_allocator::__rdl_alloc_zeroed",
	"std::alloc::__default_lib_allocator::__rdl_realloc",
	"alloc::alloc::*", "alloc::raw_vec::*",
	"<alloc::alloc::Global as core::alloc::Allocator>::*",
	"<std::alloc::System as core::alloc::global::GlobalAlloc>::*",
	"std::sys::*<impl core::alloc::global::GlobalAlloc for std::alloc::System>::*",
	"std::alloc::System::*", "std::sys::*::aligned_malloc",
	"alloc::boxed::Box::new", "alloc::boxed::Box::new_uninit", "alloc::boxed::Box::new_zeroed",
	"alloc::boxed::Box::pin", "alloc::boxed::Box::try_new*", "alloc::boxed::box_new*",
	"alloc::rc::Rc::new", "alloc::sync::Arc::new",
	"alloc::vec::Vec::with_capacity_in", "alloc::vec::from_elem",
	"<* as alloc::vec::spec_from_elem::SpecFromElem>::from_elem",
};

int frameclass_is_alloc(const sym_frame *f)
{
	if (!f || !f->function)
		return 0;
	return match_any(f->function, alloc_patterns, COUNT(alloc_patterns));
}

/*
 * Frames through which the runtime runs the program's own code.  They are never runtime frames
 * even where a pattern below would match (or where they live in ld.so): otherwise every
 * allocation of a Rust program (std::rt::lang_start_internal), of a Rust thread
 * (std::sys::pal::unix::thread::Thread::new::thread_start) or of a shared library's constructor
 * (_dl_init, dl_open_worker) would count as the runtime's.
 */
static const char *const boundary_patterns[] = {
	"_start", "_dl_start", "_dl_start_user", "_dl_init", "call_init", "_dl_fini",
	"_dl_call_fini", "_dl_catch_exception", "_dl_catch_error", "dl_open_worker",
	"dl_open_worker_begin", "_dl_open", "dlopen_doit", "_dl_runtime_resolve*", "_dl_fixup",
	"std::rt::lang_start*", "std::sys::*thread_start*", "std::sys::*__rust_begin_short_backtrace",
	"std::sys_common::backtrace::__rust_begin_short_backtrace",
};

/*
 * Runtime-owned memory (skeletons).  An allocation with one of these on its stack is kept by
 * the C, C++ or Rust runtime for the life of the process (or of a thread):
 *  - the dynamic loader: every frame in ld-linux*.so / ld.so (except the boundaries above),
 *    and by name _dl_allocate_tls, _dl_allocate_tls_init, _dl_new_object, _dl_map_object*,
 *    allocate_dtv, _dl_resize_dtv, _dl_update_slotinfo, __tls_get_addr;
 *    (_dlerror_run and dl_open_worker are not listed: they also run the constructors of the
 *    libraries dlopen loads, whose leaks are the program's);
 *  - threads: pthread_create / __pthread_create_2_1 / allocate_stack (stack and TLS);
 *  - stdio buffers: _IO_file_doallocate, _IO_wfile_doallocate, _IO_doallocbuf, _IO_wdoallocbuf;
 *  - locale and time zone data: __libc_setlocale, setlocale, _nl_*, __tzfile_read, tzset_internal;
 *  - atexit lists: __new_exitfn; libc's own dlopen: __libc_dlopen_mode, __libc_unwind_link_get;
 *  - C++: __cxa_get_globals, __cxa_get_globals_fast, the emergency exception pool
 *    ((anonymous namespace)::pool::pool, __gnu_cxx::__freeres), std::locale initialisation
 *    (std::locale::_S_initialize*, std::locale::classic, std::locale::locale,
 *    std::locale::_Impl::_Impl), std::ios_base::Init::Init;
 *  - Rust std: std::rt::* (but not lang_start*), std::thread::Thread::new*,
 *    std::thread::current*, std::sys::*thread_local*, std::sys::thread_local::*,
 *    std::io::stdio::*, std::sys::pal::* (but not thread_start).
 * Allocator plumbing (frameclass_is_alloc) is never a runtime frame: the System allocator lives
 * under std::sys::pal in some toolchains.
 */
static const char *const runtime_patterns[] = {
	"_dl_allocate_tls", "_dl_allocate_tls_init", "_dl_new_object", "_dl_map_object*",
	"allocate_dtv", "_dl_resize_dtv", "_dl_update_slotinfo", "__tls_get_addr",
	"pthread_create", "__pthread_create_2_1", "allocate_stack",
	"_IO_file_doallocate", "_IO_wfile_doallocate", "_IO_doallocbuf", "_IO_wdoallocbuf",
	"__libc_setlocale", "setlocale", "_nl_*", "__tzfile_read", "tzset_internal",
	"__new_exitfn", "__libc_dlopen_mode", "__libc_unwind_link_get",
	"__cxa_get_globals", "__cxa_get_globals_fast", "(anonymous namespace)::pool::pool",
	"__gnu_cxx::__freeres", "std::locale::_S_initialize*", "std::locale::classic",
	"std::locale::locale", "std::locale::_Impl::_Impl", "std::ios_base::Init::Init",
	"std::rt::*", "std::thread::Thread::new*", "std::thread::current*",
	"std::sys::*thread_local*", "std::io::stdio::*", "std::sys::pal::*",
};

static int in_dynamic_loader(const char *module)
{
	const char *base = util_base_name(module);
	return strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "ld.so", 5) == 0 ||
	       strncmp(base, "ld64.so", 7) == 0;
}

int frameclass_is_runtime(const sym_frame *f)
{
	if (!f)
		return 0;
	if (f->function && (match_any(f->function, boundary_patterns, COUNT(boundary_patterns)) ||
			    frameclass_is_alloc(f)))
		return 0;
	if (f->module && in_dynamic_loader(f->module))
		return 1;
	if (!f->function)
		return 0;
	return match_any(f->function, runtime_patterns, COUNT(runtime_patterns));
}

/* Start-up frames of the C runtime, cut from the outer end of keys and one-line stacks. */
static const char *const startup_names[] = {
	"_start", "__libc_start_main", "__libc_start_main_impl", "__libc_start_call_main",
	"__libc_start_main_alias_2", "start_thread", "clone", "clone3", "__clone",
	"__clone3", "__clone_internal", "libc_start_main_stage2", "__libc_start_main_stage2",
};

int frameclass_is_startup(const sym_frame *f)
{
	if (!f->function) {
		const char *b = f->module ? util_base_name(f->module) : "";
		return strncmp(b, "libc.so", 7) == 0 || strncmp(b, "libc-", 5) == 0 ||
		       strncmp(b, "ld-linux", 8) == 0 || strncmp(b, "libpthread", 10) == 0;
	}
	for (size_t i = 0; i < COUNT(startup_names); i++)
		if (strcmp(f->function, startup_names[i]) == 0)
			return 1;
	return 0;
}

size_t frameclass_trim_startup(const sym_frame *frames, size_t n)
{
	size_t end = n;
	while (end > 0 && frameclass_is_startup(&frames[end - 1]))
		end--;
	return end ? end : n; /* nothing but start-up frames: keep them */
}
