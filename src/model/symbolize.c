// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <elfutils/libdwelf.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "model/symbolize.h"
#include "util.h"
#include "procfs/kallsyms.h"
#include "procfs/proc.h"

struct sym {
	uint64_t addr, size;
	uint32_t name;		/* offset in the file's name pool */
};

struct seg {
	uint64_t off, vaddr, filesz;
};

struct elf_syms {
	const char *key;	/* the model's interned path (pointer = identity) */
	bool loaded;		/* tried; syms may still be empty */
	struct sym *syms;
	size_t nsyms;
	struct seg *segs;
	size_t nsegs;
	char *names;
	size_t names_len;
};

struct symbolizer {
	struct elf_syms *files;		/* open addressing by key */
	size_t nfiles, cap;
	bool ksyms_loaded;
	struct sym *ksyms;
	size_t nksyms;
	char *knames;
};

struct symbolizer *sym_new(void)
{
	elf_version(EV_CURRENT);
	return calloc(1, sizeof(struct symbolizer));
}

static void free_syms(struct elf_syms *f)
{
	free(f->syms);
	free(f->segs);
	free(f->names);
}

void sym_free(struct symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->cap; i++)
		free_syms(&s->files[i]);
	free(s->files);
	free(s->ksyms);
	free(s->knames);
	free(s);
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int pool_add(char **pool, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s) + 1;
	int off;

	if (*len + n > *cap) {
		size_t c = *cap ? *cap * 2 : 4096;
		char *p;

		while (c < *len + n)
			c *= 2;
		p = realloc(*pool, c);
		if (!p)
			return -1;
		*pool = p;
		*cap = c;
	}
	memcpy(*pool + *len, s, n);
	off = (int)*len;
	*len += n;
	return off;
}

/* Function symbols of one symbol table section. */
static void read_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct elf_syms *f,
			size_t *cap, size_t *pool_cap)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i, n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (i = 0; d && i < n; i++) {
		GElf_Sym st;
		const char *name;
		int off;

		if (!gelf_getsym(d, (int)i, &st) || !st.st_value ||
		    st.st_shndx == SHN_UNDEF ||
		    (GELF_ST_TYPE(st.st_info) != STT_FUNC &&
		     GELF_ST_TYPE(st.st_info) != STT_GNU_IFUNC))
			continue;
		name = elf_strptr(elf, sh->sh_link, st.st_name);
		if (!name || !*name)
			continue;
		if (f->nsyms == *cap) {
			size_t c = *cap ? *cap * 2 : 256;
			struct sym *v = realloc(f->syms, c * sizeof(*v));

			if (!v)
				return;
			f->syms = v;
			*cap = c;
		}
		off = pool_add(&f->names, &f->names_len, pool_cap, name);
		if (off < 0)
			return;
		f->syms[f->nsyms++] = (struct sym){ st.st_value, st.st_size, (uint32_t)off };
	}
}

/* Where Debian's *-dbgsym and libc6-dbg packages put debug files;
 * VMSCOPE_DEBUG_DIR replaces it (tests, a mounted debug tree). */
static const char *debug_dir(void)
{
	const char *d = getenv("VMSCOPE_DEBUG_DIR");

	return d && *d ? d : "/usr/lib/debug";
}

/* Does fd's file have this build-id? */
static bool same_build_id(int fd, const void *id, ssize_t len)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const void *other;
	bool same;

	if (!elf)
		return false;
	same = dwelf_elf_gnu_build_id(elf, &other) == len && !memcmp(id, other, (size_t)len);
	elf_end(elf);
	return same;
}

static bool crc_matches(int fd, uint32_t want)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, Z_NULL, 0);
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crc = crc32(crc, buf, (uInt)n);
	lseek(fd, 0, SEEK_SET);
	return n == 0 && (uint32_t)crc == want;
}

/* The separate debug file of a stripped ELF, as gdb looks for it: by
 * build-id, else by .gnu_debuglink beside the file, in its .debug/ and
 * under the debug directory; a file that is not the binary's (another
 * build-id, a wrong CRC) is not taken: a wrong name is worse than none. */
static int open_debug(Elf *elf, const char *path)
{
	const char *dir = debug_dir(), *link, *slash = strrchr(path, '/');
	const unsigned char *id;
	ssize_t len = dwelf_elf_gnu_build_id(elf, (const void **)&id);
	GElf_Word crc;
	char p[4352];
	int fd, i, k, n;

	if (len > 1 && len <= 64) {
		n = snprintf(p, sizeof(p), "%s/.build-id/%02x/", dir, id[0]);
		for (i = 1; i < len && n > 0 && (size_t)n < sizeof(p) - 8; i++)
			n += snprintf(p + n, sizeof(p) - (size_t)n, "%02x", id[i]);
		snprintf(p + n, sizeof(p) - (size_t)n, ".debug");
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && same_build_id(fd, id, len))
			return fd;
		if (fd >= 0)
			close(fd);
	}
	link = dwelf_elf_gnu_debuglink(elf, &crc);
	if (!link || strchr(link, '/') || !slash)
		return -1;
	k = (int)(slash - path);
	for (i = 0; i < 3; i++) {
		if (i == 0)
			snprintf(p, sizeof(p), "%.*s/%s", k, path, link);
		else if (i == 1)
			snprintf(p, sizeof(p), "%.*s/.debug/%s", k, path, link);
		else
			snprintf(p, sizeof(p), "%s%.*s/%s", dir, k, path, link);
		if (!strcmp(p, path))
			continue;
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && crc_matches(fd, crc))
			return fd;
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

/* The function symbols of a debug file: its addresses are the binary's. */
static void load_debug_syms(struct elf_syms *f, Elf *elf, const char *path,
			    size_t *cap, size_t *pool_cap)
{
	int fd = open_debug(elf, path);
	Elf *dbg;
	Elf_Scn *scn = NULL;

	if (fd < 0)
		return;
	dbg = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (dbg && (scn = elf_nextscn(dbg, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			read_symtab(dbg, scn, &sh, f, cap, pool_cap);
	}
	if (dbg)
		elf_end(dbg);
	close(fd);
}

static void load_elf(struct elf_syms *f, int fd, const char *path)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	Elf_Scn *scn = NULL;
	size_t i, nph = 0, cap = 0, pool_cap = 0;
	bool have_symtab = false;

	if (!elf)
		return;
	if (elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &nph)) {
		elf_end(elf);
		return;
	}
	f->segs = calloc(nph ? nph : 1, sizeof(*f->segs));
	for (i = 0; f->segs && i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			f->segs[f->nsegs++] = (struct seg){ ph.p_offset, ph.p_vaddr,
							    ph.p_filesz };
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
			read_symtab(elf, scn, &sh, f, &cap, &pool_cap);
			have_symtab = true;
		}
	}
	/* stripped: its debug file's symbols, else the dynamic ones */
	if (!have_symtab && path)
		load_debug_syms(f, elf, path, &cap, &pool_cap);
	while (!have_symtab && !f->nsyms && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNSYM)
			read_symtab(elf, scn, &sh, f, &cap, &pool_cap);
	}
	elf_end(elf);
	if (f->nsyms)
		qsort(f->syms, f->nsyms, sizeof(*f->syms), cmp_sym);
}

static const char *lookup(const struct sym *v, size_t n, const char *pool,
			  uint64_t addr, char *buf, size_t len)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {	/* first symbol above addr */
		mid = lo + (hi - lo) / 2;
		if (v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	lo--;
	/* a sized symbol must hold addr; an unsized one runs to the next */
	if (v[lo].size && addr >= v[lo].addr + v[lo].size)
		return NULL;
	if (addr == v[lo].addr)
		snprintf(buf, len, "%s", pool + v[lo].name);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, pool + v[lo].name, addr - v[lo].addr);
	return buf;
}

static struct elf_syms *file_slot(struct symbolizer *s, const char *key)
{
	size_t i = ((uintptr_t)key >> 4) * 0x9e3779b97f4a7c15ULL >> 16;

	i &= s->cap - 1;
	while (s->files[i].key && s->files[i].key != key)
		i = (i + 1) & (s->cap - 1);
	return &s->files[i];
}

static struct elf_syms *file_get(struct symbolizer *s, const char *key)
{
	struct elf_syms *f;

	if ((s->nfiles + 1) * 2 > s->cap) {
		struct elf_syms *old = s->files;
		size_t oldcap = s->cap, i;

		s->cap = oldcap ? oldcap * 2 : 64;
		s->files = calloc(s->cap, sizeof(*s->files));
		if (!s->files) {
			s->files = old;
			s->cap = oldcap;
			return NULL;
		}
		for (i = 0; i < oldcap; i++)
			if (old[i].key)
				*file_slot(s, old[i].key) = old[i];
		free(old);
	}
	f = file_slot(s, key);
	if (!f->key) {
		f->key = key;
		s->nfiles++;
	}
	return f;
}

/* The file behind the mapping: map_files/ finds it even when deleted or
 * in another mount namespace, root/ when the mapping is gone already. */
static int open_mapped(pid_t pid, const struct vm_ent *e)
{
	char p[4352];
	int fd;

	proc_map_files_path(p, sizeof(p), pid, e->start, e->end);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || e->path[0] != '/')
		return fd;
	snprintf(p, sizeof(p), "%s/%d/root%s", proc_root(), (int)pid, e->path);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? fd : open(e->path, O_RDONLY | O_CLOEXEC);
}

static const char *file_addr(const struct elf_syms *f, uint64_t off, char *buf,
			     size_t len)
{
	size_t i;

	for (i = 0; i < f->nsegs; i++) {
		const struct seg *g = &f->segs[i];

		if (off >= g->off && off < g->off + g->filesz)
			return lookup(f->syms, f->nsyms, f->names,
				      off - g->off + g->vaddr, buf, len);
	}
	return NULL;
}

const char *sym_user(struct symbolizer *s, pid_t pid, const struct vm_ent *e,
		     uint64_t ip, char *buf, size_t len)
{
	struct elf_syms *f;

	if (!e || !e->path || e->path[0] != '/')
		return NULL;
	f = file_get(s, e->path);
	if (!f)
		return NULL;
	if (!f->loaded) {
		int fd = open_mapped(pid, e);

		f->loaded = true;
		if (fd >= 0) {
			load_elf(f, fd, e->path);
			close(fd);
		}
	}
	if (!f->nsyms)
		return NULL;
	return file_addr(f, ip - e->start + (e->pgoff << 12), buf, len);
}

const char *sym_file_addr(struct symbolizer *s, const char *path, uint64_t vaddr,
			  char *buf, size_t len)
{
	struct elf_syms *f = file_get(s, path);
	int fd;

	if (!f)
		return NULL;
	if (!f->loaded) {
		f->loaded = true;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			load_elf(f, fd, path);
			close(fd);
		}
	}
	return lookup(f->syms, f->nsyms, f->names, vaddr, buf, len);
}

struct ksym_load {
	struct symbolizer *s;
	size_t cap, pool_len, pool_cap;
};

static int add_ksym(uint64_t a, const char *name, void *arg)
{
	struct ksym_load *l = arg;
	struct symbolizer *s = l->s;
	int off;

	if (s->nksyms == l->cap) {
		size_t c = l->cap ? l->cap * 2 : 65536;
		struct sym *v = realloc(s->ksyms, c * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->ksyms = v;
		l->cap = c;
	}
	off = pool_add(&s->knames, &l->pool_len, &l->pool_cap, name);
	if (off < 0)
		return off;
	s->ksyms[s->nksyms++] = (struct sym){ a, 0, (uint32_t)off };
	return 0;
}

static void load_kallsyms(struct symbolizer *s)
{
	struct ksym_load l = { .s = s };

	s->ksyms_loaded = true;
	kallsyms_each_text(add_ksym, &l);
	if (s->nksyms)
		qsort(s->ksyms, s->nksyms, sizeof(*s->ksyms), cmp_sym);
}

const char *sym_kernel(struct symbolizer *s, uint64_t ip, char *buf, size_t len)
{
	if (!s->ksyms_loaded)
		load_kallsyms(s);
	return lookup(s->ksyms, s->nksyms, s->knames, ip, buf, len);
}

const char *sym_kernel_exact(struct symbolizer *s, uint64_t addr)
{
	size_t lo = 0, hi, mid;

	if (!addr)
		return NULL;
	if (!s->ksyms_loaded)
		load_kallsyms(s);
	hi = s->nksyms;
	while (lo < hi) {	/* first symbol at or above addr */
		mid = lo + (hi - lo) / 2;
		if (s->ksyms[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nksyms && s->ksyms[lo].addr == addr ? s->knames + s->ksyms[lo].name : NULL;
}
