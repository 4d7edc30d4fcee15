/*
 * names_shm.c - the file behind the name table shared by one socksify run
 * (the table itself is src/dns/dnsshm.c; the why is in doc/remote-dns.txt).
 *
 * The socksify command puts a path in SOCKSIFY_NAMES:
 *   $XDG_RUNTIME_DIR (else /dev/shm, else /tmp)/socksify-names.PID.RANDOM
 * where PID is the command's own pid, which the program it executes keeps.
 * Nothing exists there yet: the first process of the run that needs a
 * mapped address creates the file (0600, formatted under a temporary name
 * and then link()ed into place, so nobody ever sees it half made); every
 * other process, whatever descriptors it closed on the way, finds it by
 * the path in its environment.  Each process maps it and closes the
 * descriptor at once: no descriptor of ours stays in the program.
 *
 * The file goes away when the process with that PID (the program socksify
 * started) exits; one left behind by a run that was killed is removed by
 * the next run that creates its own table.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socksify/dnsmap.h"
#include "socksify/runtime.h"

#define NAMES_PREFIX "socksify-names."

static void fd_close(int fd)
{
	sx_real_load();
	sx_real.close(fd);
}

/* Map an open table file; NULL unless it is ours, private and a table of
 * this layout. */
static struct sx_dnsshm *join_fd(int fd, const struct sx_net *v4,
				 const struct sx_net *v6, uint32_t capacity)
{
	size_t bytes = sx_dnsshm_bytes(capacity);
	struct sx_dnsshm *t = NULL;
	struct stat st;
	void *mem;

	if (fstat(fd, &st) < 0)
		return NULL;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) ||
	    (uint64_t)st.st_size < bytes) {
		errno = EPERM;
		return NULL;
	}
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		return NULL;
	if (!(t = sx_dnsshm_join(mem, bytes, v4, v6, capacity))) {
		munmap(mem, bytes);
		errno = EPROTO;
	}
	return t;
}

/* Create the table under a temporary name and link it to path.  Returns
 * the table; NULL with errno EEXIST if another process was first. */
static struct sx_dnsshm *create(const char *path, const struct sx_net *v4,
				const struct sx_net *v6, uint32_t capacity)
{
	size_t bytes = sx_dnsshm_bytes(capacity);
	char tmp[4096];
	struct sx_dnsshm *t = NULL;
	void *mem = MAP_FAILED;
	int fd, err;

	if (!bytes || snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)        /* mode 0600 */
		return NULL;
	if (ftruncate(fd, (off_t)bytes) == 0)
		mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem != MAP_FAILED && (t = sx_dnsshm_format(mem, bytes, v4, v6, capacity)) &&
	    link(tmp, path) < 0)
		t = NULL;
	err = errno;
	if (!t && mem != MAP_FAILED)
		munmap(mem, bytes);
	unlink(tmp);
	fd_close(fd);
	errno = t ? 0 : err;
	return t;
}

struct sx_dnsshm *sx_dnsshm_open(const char *path, const struct sx_net *v4,
				 const struct sx_net *v6, uint32_t capacity)
{
	struct sx_dnsshm *t;
	int tries, fd;

	for (tries = 0; tries < 3; tries++) {
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			t = join_fd(fd, v4, v6, capacity);
			fd_close(fd);
			return t;
		}
		if (errno != ENOENT)
			return NULL;
		if ((t = create(path, v4, v6, capacity)) || errno != EEXIST)
			return t;
	}
	return NULL;
}

/* The pid in ".../socksify-names.PID.RANDOM", or 0. */
static pid_t owner_pid(const char *path)
{
	const char *base = strrchr(path, '/');
	char *end;
	long pid;

	base = base ? base + 1 : path;
	if (strncmp(base, NAMES_PREFIX, sizeof NAMES_PREFIX - 1) != 0)
		return 0;
	pid = strtol(base + sizeof NAMES_PREFIX - 1, &end, 10);
	return *end == '.' && pid > 0 ? (pid_t)pid : 0;
}

/* Remove the tables (and temporary files) of other runs whose program is
 * gone.  Never this run's: its program may have left already while its
 * other processes go on (and one of them may be creating the table now). */
static void remove_stale(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	pid_t ours = owner_pid(path);
	struct dirent *d;
	struct stat st;
	DIR *dp;

	if (!slash || slash == path || (size_t)(slash - path) >= sizeof dir)
		return;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (!(dp = opendir(dir)))
		return;
	while ((d = readdir(dp))) {
		pid_t pid = owner_pid(d->d_name);

		if (pid && pid != ours && kill(pid, 0) < 0 && errno == ESRCH &&
		    fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_uid == geteuid())
			unlinkat(dirfd(dp), d->d_name, 0);
	}
	closedir(dp);
}

static const char *names_path(void)
{
	const char *p = secure_getenv("SOCKSIFY_NAMES");

	return p && p[0] == '/' ? p : NULL;
}

struct sx_dnsshm *sx_dnsshm_open_run(const struct sx_conf *c)
{
	const char *path = names_path();
	uint32_t size = c->dns_map_size;
	uint32_t max = sx_dnsmap_max_capacity(&c->dns_map_v4, &c->dns_map_v6);
	struct sx_dnsshm *t;
	int err;

	if (!path)
		return NULL;
	if (size > max)
		size = max;
	if (access(path, F_OK) < 0)
		remove_stale(path);
	t = sx_dnsshm_open(path, &c->dns_map_v4, &c->dns_map_v6, size);
	if (!t) {
		err = errno;
		sx_log(SX_LOG_ERROR, "remote DNS: cannot use the shared name table %s (%s); "
		       "names resolved here are known to this process only", path,
		       err == EPROTO ? "made with other dns_map settings" : strerror(err));
	}
	return t;
}

bool sx_dnsshm_run_covers(const struct sx_conf *c, int family, const void *addr)
{
	struct sx_dnsmap r = { .v4 = c->dns_map_v4, .v6 = c->dns_map_v6 };
	uint32_t key;

	/* the range first: a connect by address never looks for the file */
	return sx_dnsmap_in_range(&r, family, addr, &key) && names_path();
}

/* The program socksify started is leaving: its run's table goes (the
 * processes still running keep their mapping). */
__attribute__((destructor)) static void names_shared_unlink(void)
{
	const char *path = names_path();

	if (path && owner_pid(path) == getpid())
		unlink(path);
}
