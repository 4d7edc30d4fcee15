/*
 * asan-shim.c - preloaded with the ASan runtime by build-asan/socksify
 * (mk/sanitize.mk), so that programs linked with p11-kit (curl, wget, git's
 * http helper: GnuTLS) do not deadlock under a preloaded libasan.
 *
 * Why: a preloaded runtime is initialized late, after the constructors of the
 * program's libraries.  p11-kit's constructor calls newlocale(), which holds
 * glibc's __libc_setlocale_lock for writing while it calls malloc(); ASan's
 * malloc then initializes the runtime, which looks up swift_demangle with
 * dlsym() and calls dlerror().  With the symbol missing, dlerror() translates
 * its message (dcgettext), and dcgettext takes and releases the same lock:
 * its unlock releases newlocale's write lock, newlocale's own unlock then
 * takes the reader path and the reader count goes negative, and the next
 * setlocale() (curl's main) waits forever.  (gdb: a watchpoint on
 * __libc_setlocale_lock.__data.__readers shows 3 -> 1 in
 * __dcigettext <- __dlerror <- AsanInitInternal <- malloc <- __newlocale,
 * then 1 -> 0xfffffff9 in newlocale's unlock.)  Compare llvm-project issue
 * 49223.
 *
 * With swift_demangle defined, dlsym() succeeds and dlerror() has nothing to
 * translate.  It never demangles anything: ASan prints such names as they are.
 */
#include <stddef.h>
#include <stdint.h>

__attribute__((visibility("default")))
char *swift_demangle(const char *name, size_t len, char *out, size_t *outlen,
		     uint32_t flags);

char *swift_demangle(const char *name, size_t len, char *out, size_t *outlen,
		     uint32_t flags)
{
	(void)name;
	(void)len;
	(void)out;
	(void)outlen;
	(void)flags;
	return NULL;
}
