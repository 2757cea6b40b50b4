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
 *    alloc::vec::Vec::with_capacity_in);
 *  - library plumbing between the program's call and the allocator: hashbrown (std's HashMap),
 *    the Vec and String growth and copy paths (with_capacity, reserve*, extend*, push_str, the
 *    SpecExtend / SpecFromIter / FromIterator / ConvertVec / to_vec / to_owned / to_string
 *    chains), formatting (alloc::fmt::format*, core::fmt::*, the String writer, Display of
 *    primitives and references); libstdc++'s container internals (std::vector::_M_*,
 *    basic_string::_M_*, _Hashtable, the __detail node helpers, _Rb_tree, deque and list bases).
 * The public methods the program calls (Vec::push, HashMap::insert, std::vector::push_back,
 * std::map::operator[], a string constructor ...) are not listed: once the plumbing above them
 * is folded, the first frame is what the program called, or the program's own function.
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
	/* library plumbing between the program's call and the allocator (see above) */
	"hashbrown::*", "alloc::vec::Vec::with_capacity", "alloc::vec::Vec::reserve*",
	"alloc::vec::Vec::try_reserve*", "alloc::vec::Vec::push_mut", "alloc::vec::Vec::append_elements",
	"alloc::vec::Vec::extend_from_slice", "alloc::vec::Vec::extend_desugared",
	"alloc::vec::Vec::extend_trusted", "alloc::vec::Vec::extend_with",
	"<alloc::vec::Vec as alloc::vec::*>::*",
	"<alloc::vec::Vec as core::iter::traits::collect::FromIterator>::from_iter",
	"<alloc::vec::Vec as core::iter::traits::collect::Extend>::extend",
	"<alloc::vec::Vec as core::clone::Clone>::clone",
	"alloc::vec::Vec::shrink*", "alloc::slice::*to_vec*", "\\[*\\]::to_vec*",
	"*ConvertVec>::to_vec*", "alloc::string::String as core::fmt::*",
	"core::option::Option::map_or_else",
	"alloc::string::String::with_capacity", "alloc::string::String::push_str",
	"alloc::string::String::push", "alloc::string::String::reserve*",
	"alloc::string::String::try_reserve*", "alloc::string::String::extend_from_within",
	"<alloc::string::String as core::fmt::Write>::*",
	"<alloc::string::String as core::clone::Clone>::clone",
	"alloc::fmt::format::format_inner", "alloc::fmt::format", "alloc::fmt::format::*",
	"core::fmt::*", "<&* as core::fmt::*>::fmt", "<[a-z]* as core::fmt::*>::fmt",
	"<str as alloc::string::ToString>::to_string", "<* as alloc::string::SpecToString>::*",
	"<str as alloc::borrow::ToOwned>::to_owned", "alloc::str::*::to_owned",
	"std::vector::_M_*", "std::_Vector_base::*", "std::__cxx11::basic_string::_M_*",
	"std::basic_string::_M_*", "std::_Hashtable::*", "std::__detail::_Hashtable_alloc::*",
	"std::__detail::_Map_base::*", "std::__detail::_Insert_base::*",
	"std::__detail::_ReuseOrAllocNode::*", "std::__detail::_AllocNode::*", "std::_Rb_tree::*",
	"std::_Deque_base::*", "std::deque::_M_*", "std::_List_base::*", "std::list::_M_*",
	"std::__cxx11::list::_M_*", "std::__cxx11::_List_base::*",
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
 *  - name service caches: __nss_*, nss_* (the parsed nsswitch.conf, loaded modules) and the
 *    static result buffers of getpwuid, getpwnam, getgrgid, getgrnam, getpwent, getgrent,
 *    gethostbyname*, gethostbyaddr, getservbyname, getservbyport, getprotobyname (valgrind's
 *    __libc_freeres releases these at exit);
 *  - C++: __cxa_get_globals, __cxa_get_globals_fast, the emergency exception pool
 *    ((anonymous namespace)::pool::pool, __gnu_cxx::__freeres), std::locale initialisation
 *    (std::locale::_S_initialize*, std::locale::classic, std::locale::locale,
 *    std::locale::_Impl::_Impl), std::ios_base::Init::Init;
 *  - Rust std: std::rt::* (but not lang_start*), a thread's bookkeeping (Thread::new, the
 *    spawn path, std::sys's Thread::new and its boxed start closure, std::thread::current*),
 *    thread locals (std::sys::*thread_local*), stdio (std::io::stdio::*), the exit guard.
 * Only what the runtime keeps for itself is listed: a std function that returns memory to the
 * program (std::env::current_dir, std::env::var, std::fs::read_to_string, format!) is no
 * runtime frame, whichever std::sys helper allocates under it (frameclass_stack_is_runtime
 * looks only at the frames before the program's own).
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
	"__nss_*", "nss_*", "getpwuid", "getpwnam", "getgrgid", "getgrnam", "getpwent", "getgrent",
	"gethostbyname*", "gethostbyaddr", "getservbyname", "getservbyport", "getprotobyname",
	"__cxa_get_globals", "__cxa_get_globals_fast", "(anonymous namespace)::pool::pool",
	"__gnu_cxx::__freeres", "std::locale::_S_initialize*", "std::locale::classic",
	"std::locale::locale", "std::locale::_Impl::_Impl", "std::ios_base::Init::Init",
	"std::rt::*", "std::thread::Thread::new*", "std::thread::thread::Thread::new*",
	"std::thread::current*", "std::thread::*spawn_unchecked*", "std::sys::*::Thread::new",
	"std::sys::*thread_local*", "std::io::stdio::*", "std::sys::exit_guard::*",
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

/* ---- the program's own frames ---- */

/* Folders of the system's libraries (the C, C++ and Rust runtimes live there). */
static int in_system_folder(const char *path)
{
	static const char *const dirs[] = {"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/",
					   "/usr/libexec/"};
	for (size_t i = 0; i < COUNT(dirs); i++)
		if (strncmp(path, dirs[i], strlen(dirs[i])) == 0)
			return 1;
	return 0;
}

/* Source files of libraries: system headers, the Rust standard library and crates. */
static int library_source(const char *file)
{
	static const char *const prefixes[] = {"/usr/include/", "/rustc/", "library/", "/rust/deps/",
					       "../sysdeps/", "../csu/", "./", "../nptl/"};
	static const char *const parts[] = {"/.cargo/registry/", "/cargo/registry/",
					    "/usr/share/cargo/", "/libstdc++-v3/"};
	for (size_t i = 0; i < COUNT(prefixes); i++)
		if (strncmp(file, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	for (size_t i = 0; i < COUNT(parts); i++)
		if (strstr(file, parts[i]))
			return 1;
	return 0;
}

/* Library namespaces (demangled names), whatever module their code was inlined into. */
static int library_function(const char *fn)
{
	static const char *const prefixes[] = {"std::", "core::", "alloc::", "<std::", "<core::",
					       "<alloc::", "<&std::", "<&core::", "<&alloc::",
					       "hashbrown::", "<hashbrown::", "__gnu_cxx::",
					       "__cxxabiv1::", "__cxa_", "__rust", "__rg_", "__rdl_"};
	for (size_t i = 0; i < COUNT(prefixes); i++)
		if (strncmp(fn, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

int frameclass_is_program(const sym_frame *f)
{
	if (!f->module || strcmp(f->module, "[unknown]") == 0 || in_system_folder(f->module))
		return 0;
	if (!f->function)
		return 1; /* the program's own module without symbols */
	if (library_function(f->function) || frameclass_is_alloc(f) || frameclass_is_startup(f))
		return 0;
	return !f->file || !library_source(f->file);
}

int frameclass_wants_lines(const sym_frame *f)
{
	if (frameclass_is_program(f))
		return 1;
	if (!f->module || strcmp(f->module, "[unknown]") == 0 || !f->function)
		return 0; /* a system library's code without a name: its internals */
	return !library_function(f->function) && !frameclass_is_alloc(f) &&
	       !frameclass_is_startup(f) && !frameclass_is_runtime(f);
}

/* The Rust runtime's start-up and thread start, and the closure shims between it and the
 * program's main or a thread's closure (skeletons): debug builds show them as calls, optimized
 * ones inline them; either way they are no part of what the program did. */
static const char *const rust_startup_patterns[] = {
	"std::rt::lang_start*", "std::rt::lang_start_internal*", "std::panicking::*catch_unwind*",
	"std::panicking::try*", "std::panic::catch_unwind*", "std::panicking::*do_call*",
	"core::ops::function::FnOnce::call_once*", "core::ops::function::impls::*",
	"<* as core::ops::function::FnOnce>::call_once*", "<* as core::ops::function::Fn>::call*",
	"std::sys::*__rust_begin_short_backtrace*", "std::sys_common::backtrace::*",
	"std::sys::*thread_start*", "std::thread::*spawn_unchecked*", "std::thread::Builder::*",
	"core::panic::unwind_safe::*", "<core::panic::unwind_safe::AssertUnwindSafe as *>::*",
	"std::thread::lifecycle::*",
};

int frameclass_stack_is_runtime(const sym_frame *frames, size_t n)
{
	int system = 0, rust_start = 0;
	for (size_t i = 0; i < n; i++) {
		const sym_frame *f = &frames[i];
		if (frameclass_is_alloc(f))
			continue;
		if (frameclass_is_program(f))
			return 0; /* the program's own code asked for it */
		/* A main without a source file is the C main a Rust compiler makes only when Rust's
		 * start-up runs under it; otherwise it is a C program's main built without -g. */
		if (f->function && !f->file && strcmp(f->function, "main") == 0 && !rust_start &&
		    f->module && !in_system_folder(f->module))
			return 0;
		rust_start |= f->function &&
			      match_any(f->function, rust_startup_patterns, COUNT(rust_startup_patterns));
		if (frameclass_is_runtime(f))
			return 1;
		system |= f->module && in_system_folder(f->module);
	}
	/* No frame of the program's own: the runtimes' start-up (libstdc++'s emergency pool is
	 * allocated by its own initializer, with no symbol to tell it by) */
	return system;
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
	/* the C main a Rust program's compiler makes (no source file) */
	if (!f->file && strcmp(f->function, "main") == 0)
		return 1;
	return match_any(f->function, rust_startup_patterns, COUNT(rust_startup_patterns));
}

size_t frameclass_trim_startup(const sym_frame *frames, size_t n)
{
	size_t end = n;
	while (end > 0 && frameclass_is_startup(&frames[end - 1]))
		end--;
	return end ? end : n; /* nothing but start-up frames: keep them */
}
