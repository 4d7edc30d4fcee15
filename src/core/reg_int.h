/*
 * reg_int.h - what the registry (registry.c), the pending handshakes
 * (pending.c) and the epoll registrations (epreg.c) share.  Not an API:
 * everything here runs with the registry lock held unless it says not.
 */
#ifndef SOCKSIFY_CORE_REG_INT_H
#define SOCKSIFY_CORE_REG_INT_H

#include <stdbool.h>
#include <sys/types.h>

/* Flags, lock held. */
void sx_regi_flags(int fd, unsigned set, unsigned clear);

/* close(fd) of a socket with a pending record: drop fd from it.  True
 * when its handshake still runs: fd's epoll registrations (masked) must
 * leave the kernel's sets; if fd was the program's last descriptor of the
 * socket, the handshake is ended too. */
bool sx_pendi_forget(int fd);
/* newfd names the same socket as oldfd. */
void sx_pendi_dup(int oldfd, int newfd);
/* In a fork child: no worker runs here; close the library's descriptors. */
void sx_pendi_child(void);

/* close(fd): drop its registrations (del: from the kernel too), or, for
 * an epoll instance, those in it. */
void sx_epolli_forget(int fd, bool del);
/* Mask (true) or restore (false) fd's registrations if fd is still the
 * socket (dev, ino). */
void sx_epolli_mask(int fd, dev_t dev, ino_t ino, bool mask);
/* Append to sets[n..max) the epoll sets fd (the socket dev, ino) is in;
 * the new n. */
int sx_epolli_sets(int fd, dev_t dev, ino_t ino, int *sets, int n, int max);
/* fd, a descriptor of a driven handshake's socket, is in a new epoll set
 * (src/core/drive.c). */
void sx_drivei_added(int fd);

#endif
