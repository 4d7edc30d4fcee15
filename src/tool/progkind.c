/*
 * progkind.c - what kind of executable a program is, for `--engine auto`:
 *
 *   dynamic  an ELF file with a PT_INTERP program header: the dynamic loader
 *            runs it and honours LD_PRELOAD
 *   static   an ELF file without PT_INTERP: LD_PRELOAD does nothing
 *   Go       an ELF file with Go's build information (the .go.buildinfo
 *            section, or the magic "\xff Go buildinf:" at the start of the
 *            data segment when the section headers are gone): Go makes its
 *            own system calls, linked dynamically or not
 *
 * Read from the file's own headers, 32- and 64-bit, either byte order; no
 * libelf.  A "#!" script is its interpreter's kind; a file that is neither
 * ELF nor a script is what execvp(3) hands it to: /bin/sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

#define PT_LOAD_ 1
#define PT_INTERP_ 3
#define PF_W_ 2
#define MAX_PHDRS 256
#define MAX_SHDRS 4096
#define GO_MAGIC "\xff Go buildinf:"
#define GO_MAGIC_LEN 14
#define GO_SCAN 65536           /* as Go's debug/buildinfo: the first 64 KiB */

int sx_prog_resolve(const char *file, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p;
	bool denied = false;
	struct stat st;

	if (!file[0]) {
		errno = ENOENT;
		return -1;
	}
	if (strchr(file, '/')) {
		snprintf(buf, len, "%s", file);
		return 0;
	}
	if (!path)
		path = "/bin:/usr/bin";         /* glibc's execvp default */
	for (p = path;; p++) {
		const char *end = strchrnul(p, ':');
		int n = (int)(end - p);

		/* an empty entry is the current directory */
		snprintf(buf, len, "%.*s%s%s", n, p, n ? "/" : "", file);
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return 0;
			denied = true;
		}
		if (!*end)
			break;
		p = end;
	}
	errno = denied ? EACCES : ENOENT;
	return -1;
}

struct elf {
	int fd;
	bool is64, big;
	uint64_t phoff, shoff;
	unsigned phnum, phentsize, shnum, shentsize, shstrndx;
};

static uint64_t get(const struct elf *e, const unsigned char *p, int size)
{
	uint64_t v = 0;

	for (int i = 0; i < size; i++)
		v |= (uint64_t)p[e->big ? size - 1 - i : i] << (8 * i);
	return v;
}

/* Field of a 32- or 64-bit structure: (offset, size) for each class. */
#define FIELD(e, p, o32, s32, o64, s64) \
	((e)->is64 ? get((e), (p) + (o64), (s64)) : get((e), (p) + (o32), (s32)))

static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
	return pread(fd, buf, len, (off_t)off) == (ssize_t)len;
}

static bool elf_header(struct elf *e, const unsigned char *h, size_t n)
{
	if (n < 52 || memcmp(h, "\177ELF", 4) != 0 || (h[4] != 1 && h[4] != 2))
		return false;
	e->is64 = h[4] == 2;
	e->big = h[5] == 2;
	if (e->is64 && n < 64)
		return false;
	e->phoff = FIELD(e, h, 28, 4, 32, 8);
	e->shoff = FIELD(e, h, 32, 4, 40, 8);
	e->phentsize = (unsigned)FIELD(e, h, 42, 2, 54, 2);
	e->phnum = (unsigned)FIELD(e, h, 44, 2, 56, 2);
	e->shentsize = (unsigned)FIELD(e, h, 46, 2, 58, 2);
	e->shnum = (unsigned)FIELD(e, h, 48, 2, 60, 2);
	e->shstrndx = (unsigned)FIELD(e, h, 50, 2, 62, 2);
	return e->phentsize >= (e->is64 ? 56u : 32u) && e->phentsize <= 64 &&
	       e->phnum <= MAX_PHDRS;
}

/* A section named ".go.buildinfo"? */
static bool go_section(const struct elf *e)
{
	unsigned char *sh, str[4096];
	uint64_t stroff, strsize;
	size_t size = (size_t)e->shnum * e->shentsize;
	bool found = false;

	if (e->shnum == 0 || e->shnum > MAX_SHDRS || e->shstrndx >= e->shnum ||
	    e->shentsize < (e->is64 ? 64u : 40u) || e->shentsize > 256 ||
	    !(sh = malloc(size)))
		return false;
	if (!read_at(e->fd, sh, size, e->shoff))
		goto out;
	stroff = FIELD(e, sh + e->shstrndx * e->shentsize, 16, 4, 24, 8);
	strsize = FIELD(e, sh + e->shstrndx * e->shentsize, 20, 4, 32, 8);
	if (strsize > sizeof str - 1)
		strsize = sizeof str - 1;
	if (!read_at(e->fd, str, (size_t)strsize, stroff))
		goto out;
	str[strsize] = '\0';
	for (unsigned i = 0; i < e->shnum && !found; i++) {
		uint64_t name = get(e, sh + (size_t)i * e->shentsize, 4);

		found = name < strsize &&
			strcmp((char *)str + name, ".go.buildinfo") == 0;
	}
out:
	free(sh);
	return found;
}

/* Go's build-info magic, 16-byte aligned, in the first 64 KiB of a
 * writable PT_LOAD segment (where the linker puts it). */
static bool go_magic(const struct elf *e, uint64_t off, uint64_t filesz)
{
	unsigned char *buf;
	size_t n = filesz < GO_SCAN ? (size_t)filesz : GO_SCAN;
	ssize_t got;
	bool found = false;

	if (n < GO_MAGIC_LEN || !(buf = malloc(n)))
		return false;
	got = pread(e->fd, buf, n, (off_t)off);
	for (ssize_t i = 0; i + GO_MAGIC_LEN <= got && !found; i += 16)
		found = memcmp(buf + i, GO_MAGIC, GO_MAGIC_LEN) == 0;
	free(buf);
	return found;
}

static enum sx_prog_kind elf_kind(struct elf *e)
{
	unsigned char ph[MAX_PHDRS * 64];
	bool interp = false, go = go_section(e);

	if (!read_at(e->fd, ph, (size_t)e->phnum * e->phentsize, e->phoff))
		return SX_PROG_UNKNOWN;
	for (unsigned i = 0; i < e->phnum; i++) {
		const unsigned char *p = ph + (size_t)i * e->phentsize;
		uint64_t type = get(e, p, 4);
		uint64_t flags = e->is64 ? get(e, p + 4, 4) : get(e, p + 24, 4);

		if (type == PT_INTERP_)
			interp = true;
		if (type == PT_LOAD_ && (flags & PF_W_) && !go && e->shnum == 0)
			go = go_magic(e, FIELD(e, p, 4, 4, 8, 8),
				      FIELD(e, p, 16, 4, 32, 8));
	}
	if (go)
		return SX_PROG_GO;
	return interp ? SX_PROG_DYNAMIC : SX_PROG_STATIC;
}

/* "#!/path/interp args": the interpreter's path into buf. */
static bool shebang(const unsigned char *h, size_t n, char *buf, size_t len)
{
	size_t i = 2, start;

	if (n < 3 || h[0] != '#' || h[1] != '!')
		return false;
	while (i < n && (h[i] == ' ' || h[i] == '\t'))
		i++;
	start = i;
	while (i < n && h[i] != ' ' && h[i] != '\t' && h[i] != '\n')
		i++;
	if (i == start || i - start >= len)
		return false;
	memcpy(buf, h + start, i - start);
	buf[i - start] = '\0';
	return true;
}

static enum sx_prog_kind kind_at(const char *path, int depth)
{
	unsigned char h[256];
	char interp[256];
	struct elf e = { 0 };
	enum sx_prog_kind k = SX_PROG_UNKNOWN;
	ssize_t n;

	e.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (e.fd < 0)
		return SX_PROG_UNKNOWN;
	n = read(e.fd, h, sizeof h);
	if (n > 0 && elf_header(&e, h, (size_t)n))
		k = elf_kind(&e);
	close(e.fd);
	if (k != SX_PROG_UNKNOWN || n <= 0 || depth >= 4)
		return k;
	if (shebang(h, (size_t)n, interp, sizeof interp))
		return kind_at(interp, depth + 1);
	/* execvp runs a file the kernel does not take with /bin/sh */
	return kind_at("/bin/sh", depth + 1);
}

enum sx_prog_kind sx_prog_kind(const char *path)
{
	return kind_at(path, 0);
}

const char *sx_prog_kind_name(enum sx_prog_kind k)
{
	switch (k) {
	case SX_PROG_DYNAMIC: return "a dynamically linked executable";
	case SX_PROG_STATIC: return "a static executable (no PT_INTERP)";
	case SX_PROG_GO: return "a Go executable (it makes its own system calls)";
	default: return "not an executable socksify can read";
	}
}
