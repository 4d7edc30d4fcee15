#!/usr/bin/python3
"""typepw.py PASSWORD COMMAND...: run COMMAND on a new pseudo-terminal, type PASSWORD
(and Enter) once it prints "Password for", print all it wrote, exit with its status.
PASSWORD --interrupt: type Ctrl-C instead, then also print "terminal echo: on" or
"off" (the terminal's state once COMMAND has ended)."""
import os, pty, sys, select, termios, time
pw = sys.argv[1].encode(); argv = sys.argv[2:]
interrupt = pw == b"--interrupt"
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""; sent = False; end = time.time() + 30
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not sent and b"Password for" in out:
        time.sleep(0.2)
        os.write(fd, b"\x03" if interrupt else pw + b"\n"); sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
if interrupt:
    echo = termios.tcgetattr(fd)[3] & termios.ECHO
    sys.stdout.write("\nterminal echo: %s\n" % ("on" if echo else "off"))
sys.exit(os.waitstatus_to_exitcode(status))
