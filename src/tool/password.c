/*
 * password.c - the password for `socksify -u USER`, read from the terminal
 * (/dev/tty) with echo off; never from the command line (where ps would
 * show it) nor from standard input (which belongs to the program).  The
 * terminal is restored however the prompt ends, a signal included.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"

static int tty_fd = -1;
static struct termios tty_saved;
static volatile sig_atomic_t tty_changed;

static void tty_restore(void)
{
	if (tty_changed) {
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
		tty_changed = 0;
	}
}

static void on_signal(int sig)
{
	tty_restore();
	(void)!write(tty_fd, "\n", 1);
	_exit(128 + sig);
}

static void tty_write(const char *s)
{
	dprintf(tty_fd, "%s", s);
}

/* One line from the terminal into buf; returns its length or -1 (too long). */
static ssize_t tty_read_line(char *buf, size_t len)
{
	size_t used = 0;
	bool too_long = false;
	char ch;

	for (;;) {
		ssize_t r = read(tty_fd, &ch, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n' || ch == '\r')
			break;
		if (used + 1 < len)
			buf[used++] = ch;
		else
			too_long = true;
	}
	buf[used] = '\0';
	return too_long ? -1 : (ssize_t)used;
}

void sx_cmd_ask_password(const char *user)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = on_signal }, old[4];
	const char *set = getenv("SOCKSIFY_PASSWORD");
	char pw[257], prompt[400];
	ssize_t n;

	if (set && set[0])
		return;
	tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty_fd < 0)
		sx_cmd_die(SX_EXIT_USAGE, "-u %s: no terminal to ask for the password on; "
			   "set SOCKSIFY_PASSWORD in the environment instead", user);
	for (size_t i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	if (tcgetattr(tty_fd, &tty_saved) == 0) {
		struct termios t = tty_saved;

		t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		t.c_lflag |= ICANON;
		tty_changed = 1;
		if (tcsetattr(tty_fd, TCSAFLUSH, &t) < 0)
			tty_changed = 0;
	}
	snprintf(prompt, sizeof prompt, "Password for %s at the SOCKS proxy: ", user);
	tty_write(prompt);
	n = tty_read_line(pw, sizeof pw);
	tty_restore();
	tty_write("\n");
	for (size_t i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	close(tty_fd);
	tty_fd = -1;
	if (n < 0) {
		explicit_bzero(pw, sizeof pw);
		sx_cmd_die(SX_EXIT_USAGE, "-u %s: password too long (at most 255 bytes)",
			   user);
	}
	if (n == 0)
		sx_cmd_die(SX_EXIT_USAGE, "-u %s: empty password (nothing sent to the "
			   "proxy)", user);
	sx_cmd_setenv("SOCKSIFY_PASSWORD", pw);
	explicit_bzero(pw, sizeof pw);
}
