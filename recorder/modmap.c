/*
 * modmap.c: module map snapshots with dl_iterate_phdr (see modmap.h).  The build-id is read
 * from the object's PT_NOTE segments in memory, so nothing is opened or allocated per module but
 * the arena entry that remembers it.
 */
#include "modmap.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "prim.h"
#include "queue.h"
#include "tf_enc.h"

typedef struct modmap_entry {
	struct modmap_entry *next;
	uint64_t id;
	uint64_t bias;
	uint64_t first_vaddr;
	int seen;
	int gone;
	char name[];
} modmap_entry;

static pthread_mutex_t modmap_lock = PTHREAD_MUTEX_INITIALIZER;
static modmap_entry *mods;
static uint64_t next_mod_id;
static _Atomic uint64_t epoch;
static _Atomic int dirty;
static uint64_t self_lo, self_hi;

uint64_t modmap_epoch(void) { return atomic_load_explicit(&epoch, memory_order_acquire); }
void modmap_mark_dirty(void) { atomic_store_explicit(&dirty, 1, memory_order_release); }
int modmap_take_dirty(void) { return atomic_exchange(&dirty, 0); }
uint64_t modmap_count(void) { return next_mod_id; }

void modmap_atfork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	modmap_lock = fresh;
	mods = NULL; /* the child's trace lists every module again */
	next_mod_id = 0;
	atomic_store(&epoch, 0);
	atomic_store(&dirty, 0);
}

int modmap_is_self(uint64_t addr) { return addr >= self_lo && addr < self_hi; }

void modmap_self_range(uint64_t *lo, uint64_t *hi)
{
	*lo = self_lo;
	*hi = self_hi;
}

static int self_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	uint64_t a = (uint64_t)(uintptr_t)arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (a >= lo && a < hi) {
			/* The whole object: from its lowest to its highest PT_LOAD. */
			self_lo = UINT64_MAX;
			self_hi = 0;
			for (int j = 0; j < info->dlpi_phnum; j++) {
				const ElfW(Phdr) *q = &info->dlpi_phdr[j];
				if (q->p_type != PT_LOAD)
					continue;
				uint64_t l = info->dlpi_addr + q->p_vaddr;
				if (l < self_lo)
					self_lo = l;
				if (l + q->p_memsz > self_hi)
					self_hi = l + q->p_memsz;
			}
			return 1;
		}
	}
	return 0;
}

void modmap_init_self(void)
{
	dl_iterate_phdr(self_cb, (void *)(uintptr_t)&modmap_init_self);
}

static size_t read_build_id(const struct dl_phdr_info *info, uint8_t *out)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const uint8_t *p = (const uint8_t *)(uintptr_t)(info->dlpi_addr + ph->p_vaddr);
		const uint8_t *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
			size_t namesz = (nh->n_namesz + 3) & ~3u, descsz = (nh->n_descsz + 3) & ~3u;
			const uint8_t *name = p + sizeof(*nh), *desc = name + namesz;
			if (desc + descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(name, "GNU", 4) == 0 && nh->n_descsz <= TF_MAX_BUILD_ID) {
				memcpy(out, desc, nh->n_descsz);
				return nh->n_descsz;
			}
			p = desc + descsz;
		}
	}
	return 0;
}

static uint64_t first_vaddr(const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD)
			return info->dlpi_phdr[i].p_vaddr;
	return 0;
}

static int scan_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	int insert = arg != NULL;
	char exe[4096];
	const char *name = info->dlpi_name;
	if (!name || !*name) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		name = exe;
	}
	uint64_t fv = first_vaddr(info);
	for (modmap_entry *m = mods; m; m = m->next) {
		if (!m->gone && m->bias == info->dlpi_addr && m->first_vaddr == fv &&
		    strcmp(m->name, name) == 0) {
			m->seen = 1;
			return 0;
		}
	}
	if (!insert)
		return 0;
	size_t nlen = strlen(name);
	modmap_entry *m = prim_arena_alloc(sizeof(*m) + nlen + 1);
	if (!m)
		return 0;
	memcpy(m->name, name, nlen + 1);
	m->id = next_mod_id++;
	m->bias = info->dlpi_addr;
	m->first_vaddr = fv;
	m->seen = 1;
	m->next = mods;
	mods = m;

	static tf_module rec; /* large; protected by modmap_lock */
	memset(&rec, 0, sizeof(rec));
	rec.id = m->id;
	rec.epoch = modmap_epoch();
	rec.bias = info->dlpi_addr;
	rec.path = m->name;
	rec.path_len = nlen;
	rec.build_id_len = read_build_id(info, rec.build_id);
	for (int i = 0; i < info->dlpi_phnum && rec.nseg < TF_MAX_SEGMENTS; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		rec.seg[rec.nseg].vaddr = ph->p_vaddr;
		rec.seg[rec.nseg].memsz = ph->p_memsz;
		rec.seg[rec.nseg].offset = ph->p_offset;
		rec.seg[rec.nseg].flags = ph->p_flags;
		rec.nseg++;
	}
	static uint8_t buf[8192 + TF_MAX_SEGMENTS * 50];
	tf_enc e;
	tf_enc_init(&e, buf, sizeof(buf));
	tf_enc_module(&e, &rec);
	queue_post(buf, e.len);
	return 0;
}

void modmap_rescan(void)
{
	pthread_mutex_lock(&modmap_lock);
	for (modmap_entry *m = mods; m; m = m->next)
		m->seen = 0;
	/* First find what is gone and advance the epoch, then add what is new, so that a library
	 * that took the place of an unloaded one is recorded in the new epoch. */
	dl_iterate_phdr(scan_cb, NULL);
	int bumped = 0;
	for (modmap_entry *m = mods; m; m = m->next) {
		if (m->gone || m->seen)
			continue;
		if (!bumped) {
			atomic_fetch_add(&epoch, 1);
			bumped = 1;
		}
		m->gone = 1;
		uint8_t buf[32];
		tf_enc e;
		tf_enc_init(&e, buf, sizeof(buf));
		tf_enc_module_unload(&e, m->id, modmap_epoch());
		queue_post(buf, e.len);
	}
	dl_iterate_phdr(scan_cb, &mods);
	pthread_mutex_unlock(&modmap_lock);
}
