#!/usr/bin/env python3
"""tty_session.py: type at busybox's shell on the serial console, as a person would, and
print what the console showed: job control, the line discipline, controlling terminals.

    tty_session.py [--kernel PATH | --linux] --scenario NAME [--smp N] [--initrd PATH]
                   [--append-extra WORDS] [--timeout S] [--step-timeout S] [--console FILE]
    tty_session.py --build-initramfs OUT.cpio
    tty_session.py --list

QEMU runs with its serial port on our pipes (-serial stdio): whatever is written to its
stdin arrives at COM1's receiver as keystrokes, what COM1 sends is read on a thread. The
kernel boots busybox's shell with job control on /dev/ttyS0 (the initramfs's /init, below),
the scenario types and waits, the shell's `exit` ends the session, init ends the boot
(MiniKernel powers off when init exits; Linux, with panic=-1, reboots and -no-reboot ends
QEMU).

A scenario is a list of steps: send bytes (keystrokes: "\\r" is Enter, as a terminal sends
it, and the tty's ICRNL makes it "\\n"; "\\x03" ^C, "\\x1a" ^Z, "\\x04" ^D, "\\x7f" ^?, "\\x15"
^U, "\\x17" ^W), then wait until a text (or regex) appears on the console after what was
sent. Nothing waits for time: a keystroke that matters (^C, ^Z, a line for `cat`) is sent
only after output that proves the program it is meant for is running, in the terminal's
foreground process group, with the terminal back in canonical mode (the idiom
`sh -c 'echo started; exec cat'`: the child made its group the foreground one before it
printed, and the shell's line editor had restored the terminal before it forked). Every
wait has a deadline; a missed one exits with status 1 and the console's tail on stderr.

The transcript printed on success is the console from the first prompt to init's last
line, normalised so that it is the same on every run, kernel and -smp:
  - CR LF -> LF;
  - ESC [ 6 n dropped: busybox's line editor asks the terminal where the cursor is after
    each prompt (nobody answers through a pipe; the shell does not wait for an answer);
  - kernel lines (a "[ 12.345678]" prefix, MiniKernel's also "[ C0]") dropped, the part of
    a line before a kernel prefix kept (user output without its newline);
  - "[1] 123", a shell's line for a job started in the background: the pid -> PID (busybox
    1.35's ash prints none in these scenarios; a guard for new ones);
  - other control characters are shown escaped: \\b (the echo of an erase is "\\b \\b"), \\r,
    \\e, \\xNN, and a backslash as \\\\.
Exit status: 0 done, 1 a wait missed its deadline or QEMU ended early, 2 usage or setup
(no kernel, no initramfs).
"""
import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The prompt, and what follows it on the console: busybox's line editor writes the prompt,
# polls stdin and, when no key is waiting, asks for the cursor position (ESC [ 6 n). Waiting
# for both means the shell has done that poll before the next keystroke arrives (a keystroke
# that came first would leave the ESC [ 6 n out: a race in the transcript).
PS1 = "tty# "
PROMPT = PS1 + "\x1b[6n"
# init's last line, once every process of the session is gone.
END = "init: the session is over\n"

# The initramfs's /init (busybox sh as pid 1). setsid: a new session, led by the shell;
# cttyhack: fd 0 is /dev/console, whose TIOCGSERIAL says line 0, so it opens /dev/ttyS0 on
# fds 0-2 (/sys is not mounted, which would have been asked first) and TIOCSCTTY makes it the
# session's controlling terminal; sh is interactive on a terminal it controls, so job control
# is on ($- has "m"). fd 9 is the write end of a pipe that every process of the session
# inherits; init's `cat` reads it to EOF, so init goes on only when the whole session is gone,
# orphans included (reaped meanwhile by init's waitpid(-1)), and its last line comes last.
# /dev/console is not hung up when the session's terminal is (Linux skips redirected console
# files in __tty_hangup), so init's last line shows whatever the session did. Its `stty echo`
# changes nothing but is a tcsetattr(TCSADRAIN): the line has left the UART before init's exit
# (Linux's panic would print over what the driver still holds). /tmp (the scenarios' scratch)
# goes before init exits, so that MiniKernel's leakcheck finds every inode as it was.
INIT = """\
#!/bin/sh
# The init of scripts/tty_session.py: busybox's shell with job control on /dev/ttyS0.
mkdir /tmp
export PS1='%s' ENV=/shrc
setsid cttyhack sh 9>&1 | cat
rm -r /tmp
echo "%s"
stty echo
""" % (PS1, END.rstrip("\n"))

# $ENV, read by the interactive shell. When the session leader exits, Linux hangs its terminal
# up, which flushes what the UART driver still holds: the echo of "exit" could be lost. A
# tcsetattr(TCSADRAIN) on the way out (`stty echo`, a no-op setting) waits until it is sent.
SHRC = """\
trap 'stty echo' EXIT
"""

# Scenario f's programs (see SCENARIOS["hangup"]).
NEW_SESSION = """\
# sh /new_session.sh: a foreground job of the interactive shell. This sh has no job control,
# so its child stays in its process group, which it does not lead: busybox's setsid calls
# setsid() without forking, and we wait for the new session's leader. -c: TIOCSCTTY(0, 1),
# stealing the console from the interactive shell's session (root may).
mkfifo /tmp/ready /tmp/hung_up
setsid -c sh /leader.sh
# The leader has exited: its do_exit() hung the terminal up (disassociate_ctty) before it
# notified us. Tell the member it may look now (our own terminal writes fail with EIO).
echo over > /tmp/hung_up
"""

LEADER = """\
# sh /leader.sh: the leader of a new session, its controlling terminal the console, its
# process group the terminal's foreground group (TIOCSCTTY set it).
exec 3<&0
# A member of the foreground group (no job control in this sh: it stays in our group). fd 3:
# the console (a background job's stdin is /dev/null). It notes SIGHUP in its trap and says
# what it saw only once new_session.sh tells it the hangup is over: Linux sends the hangup's
# signals before it flushes the terminal's buffers (__tty_hangup: tty_signal_session_leader,
# then tty_ldisc_hangup), so a line written as soon as SIGHUP came could be flushed. SIGHUP
# comes while it waits to open the FIFO (no writer before the leader's exit is over): the
# open fails with EINTR (ash's message goes to the hung-up terminal, or /dev/null), so again.
sh -c 'trap "hup=SIGHUP" HUP
       echo "member: ready" > /tmp/ready
       until read over < /tmp/hung_up; do :; done 2>/dev/null
       echo "member: ${hup:-no SIGHUP}" >/dev/console
       read x <&3; echo "member: read from the terminal returned $?" >/dev/console
       echo probe >&3 2>/dev/null || echo "member: write to the terminal failed" >/dev/console' &
read line < /tmp/ready
echo "$line"
echo "leader: exiting"
# tcsetattr(TCSADRAIN): our output has left the UART before we exit (the hangup flushes what
# the driver still holds).
stty echo
"""

DEV_NODES = [
    "/dev/console=c:600:5:1",
    "/dev/tty=c:666:5:0",
    "/dev/ttyS0=c:660:4:64",
    "/dev/null=c:666:1:3",
]


# --- Scenarios --------------------------------------------------------------------------------

class Send:
    """Write bytes to the serial port (keystrokes)."""

    def __init__(self, data):
        self.data = data.encode("latin-1") if isinstance(data, str) else data

    def __repr__(self):
        return "send %s" % escape(self.data.decode("latin-1")).replace("\n", "\\n")


class Expect:
    """Wait until `text` (literal; "\\n" matches "\\r\\n" too) or `regex` (bytes) appears on
    the console after the last keystrokes sent and after the previous match."""

    def __init__(self, text=None, regex=None):
        self.text = text
        if regex is None:
            parts = [re.escape(p.encode("latin-1")) for p in text.split("\n")]
            regex = b"\r*\n".join(parts)
        self.regex = re.compile(regex)

    def __repr__(self):
        if self.text is None:
            return "wait for /%s/" % self.regex.pattern.decode("latin-1")
        return "wait for %s" % escape(self.text).replace("\n", "\\n")


def cmd(line, until=PROMPT):
    """Type a command line and Enter; wait for `until` (default: the next prompt)."""
    return [Send(line + "\r"), Expect(until)]


def key(data, until=PROMPT):
    """Press keys (no Enter added); wait for `until`."""
    return [Send(data), Expect(until)]


JOB = "sh -c 'echo started; exec %s'"


class Scenario:
    """`steps`, then the end: `exit` and init's last line (or, with `ends_session`, only the
    latter: the scenario ends the session itself)."""

    def __init__(self, doc, steps, ends_session=False):
        self.doc = doc
        self.steps = [s for group in steps for s in (group if isinstance(group, list) else [group])]
        if not ends_session:
            self.steps += cmd("exit", until=END)
        else:
            self.steps += [Expect(END)]


SCENARIOS = {
    # a. ^C reaches the foreground job. `sleep 100` alone prints nothing to wait for, so the
    # job says "started" first: by then the shell's child has made its own process group the
    # terminal's foreground group (ash's forkchild does tcsetpgrp before the exec) and the
    # line editor has put the terminal back in canonical mode. (A ^C that beat the exec of
    # sleep would kill `sh -c` instead, with the same transcript.) The kernel echoes ^C as
    # "^C" (ECHOCTL), signals the group, flushes; the shell prints a newline for a job killed
    # by SIGINT, and $? is 128 + 2.
    "sigint": Scenario(
        "sleep 100 in the foreground, ^C, echo $? prints 130",
        [cmd(JOB % "sleep 100", until="started\n"),
         key("\x03"),
         cmd("echo $?")]),

    # a2. ^\\ is QUIT: SIGQUIT to the foreground group, echoed as "^\\"; the shell says
    # "Quit" for a job killed by it, and $? is 128 + 3 (no core: RLIMIT_CORE is 0).
    "sigquit": Scenario(
        "sleep 100 in the foreground, ^\\, echo $? prints 131",
        [cmd(JOB % "sleep 100", until="started\n"),
         key("\x1c"),
         cmd("echo $?")]),

    # b. ^Z, jobs, bg, fg, ^C on one job: `cat` (after "started", as in a). A line typed for
    # it is echoed by the kernel and written back by cat: cat is running, in the foreground.
    # ^Z stops it (SIGTSTP); the shell, waiting for it with WUNTRACED, says "Stopped". `bg`
    # continues it in the background, where its read of the terminal stops it again with
    # SIGTTIN: `wait %1` returns when it has (ash's wait also returns for a stopped job, 128 +
    # 21 = 149), so the shell's "Stopped (tty input)" notice comes before a known prompt
    # rather than whenever the stop happens to be seen. `fg` prints the job's command before
    # it makes the job's group the foreground one, so the next line is typed only after that
    # output (the kernel echoes it whoever is in the foreground; cat reads it once continued),
    # and ^C only once cat has written it back.
    "stop": Scenario(
        "^Z stops cat; jobs; bg (it stops again on SIGTTIN: wait); fg; ^C",
        [cmd(JOB % "cat", until="started\n"),
         key("one\r", until="one\none\n"),
         key("\x1a"),
         cmd("jobs"),
         cmd("bg; wait %1; echo $?"),
         cmd("jobs"),
         cmd("fg", until="exec cat\"\n"),
         key("two\r", until="two\ntwo\n"),
         key("\x03"),
         cmd("echo $?")]),

    # c. canonical input and end of file. `echo ready` runs in the shell after its line
    # editor restored canonical mode and echo, so what is typed next is echoed by the kernel
    # and handed to cat a line at a time. ^D after "part" (no newline) ends a read with the
    # partial line, without echo: cat writes "part" right after its echo. ^D on an empty
    # line: read() returns 0, cat exits 0 (the prompt follows "partpart" on the same line).
    "eof": Scenario(
        "cat: a line echoed and copied, ^D mid-line pushes the line, ^D at its start ends cat",
        [cmd("echo ready; cat", until="ready\n"),
         key("hello\r", until="hello\nhello\n"),
         key("part\x04", until="partpart"),
         key("\x04"),
         cmd("echo $?")]),

    # d. The line discipline's own editing. ash's `read` (no -n/-s/-t) reads the terminal in
    # canonical mode as the line editor left it, so erase, word erase and kill are done by
    # the kernel's n_tty, with ECHOE/ECHOKE/ECHOCTL as Linux sets them at boot: ^? erases a
    # character ("\\b \\b"), a control character echoed as "^A" takes two; ^W erases back over
    # blanks, then over the word; ^U erases the line character by character (ECHOKE). Each
    # line is typed after "ready", printed by the shell itself, so canonical mode is back.
    "erase": Scenario(
        "read x with ^? (also over ^A), ^W and ^U done by the kernel; echo \"[$x]\"",
        [cmd("echo ready; read x; echo \"[$x]\"", until="ready\n"),
         key("abcd\x7f\x7fxy\r"),
         cmd("echo ready; read x; echo \"[$x]\"", until="ready\n"),
         key("a\x01b\x7f\x7fc\r"),
         cmd("echo ready; read x; echo \"[$x]\"", until="ready\n"),
         key("one two three\x17\x17four\r"),
         cmd("echo ready; read x; echo \"[$x]\"", until="ready\n"),
         key("garbage\x15\x7freal\r")]),

    # e. Background jobs and the terminal. With `stty tostop`, a background job's write
    # stops it with SIGTTOU; without it, a background read stops it with SIGTTIN. `wait %1`
    # returns once the job has stopped (see b), so each "Stopped" notice comes before a known
    # prompt; `jobs` shows the stopped job; `fg` continues it in the foreground, where its
    # write goes through (hi) or its read gets the line typed after fg's own output (see b).
    "background": Scenario(
        "stty tostop; echo hi & stops (SIGTTOU); fg; cat & stops (SIGTTIN); fg",
        [cmd("stty tostop"),
         cmd("echo hi & wait %1; echo $?"),
         cmd("jobs"),
         cmd("fg"),
         cmd("stty -tostop"),
         cmd("cat & wait %1; echo $?"),
         cmd("jobs"),
         cmd("fg", until="cat\n"),
         key("line\r", until="line\nline\n"),
         key("\x04"),
         cmd("echo $?")]),

    # f. A session leader exits. /new_session.sh (a foreground job) runs /leader.sh under
    # `setsid -c`: a new session whose leader steals the console as its controlling terminal
    # (TIOCSCTTY, 1) and whose group becomes the terminal's foreground group. A member of that
    # group traps SIGHUP. When the leader exits, Linux's disassociate_ctty(1) sees a non-pty
    # terminal and calls tty_vhangup_session(): every file open on ttyS0 — the member's fd 3,
    # the interactive shell's fds 0-2 and its /dev/tty — is hung up (read returns 0, write
    # fails with EIO), and the foreground group gets SIGHUP (the session's leader SIGHUP and
    # SIGCONT). The member reports all three, on /dev/console, which is not hung up (nor is
    # init's, which still shows the last line). The interactive shell, in the session the
    # console was stolen from, reads EOF and exits without a word (its writes fail too), and
    # that ends the session. The leader drains its output before exiting, and the member
    # speaks once the hangup is over: a hangup flushes what the UART driver still holds.
    "hangup": Scenario(
        "a setsid -c session leader exits: its foreground group gets SIGHUP, the console is hung up",
        [cmd("sh /new_session.sh", until="leader: exiting\n")],
        ends_session=True),

    # g. ^C reaches every stage of a foreground pipeline (one process group). "started"
    # comes out of the last cat, so all three stages exist, each already in the job's group
    # (ash's children setpgid before they run anything) and the group is the foreground one.
    # $? is the last stage's: 130.
    "pipeline": Scenario(
        "^C kills every stage of sleep 100 | cat | cat; echo $? prints 130",
        [cmd(JOB % "sleep 100" + " | cat | cat", until="started\n"),
         key("\x03"),
         cmd("echo $?")]),

    # g2. The shell exits while a job of its is stopped. Its exit ends the session: the
    # hangup (disassociate_ctty) signals only the terminal's foreground group, the shell's
    # own; the stopped `sleep`, alone in a background group, would stay stopped for ever —
    # but exit_notify() sees its group orphaned (its one parent outside it is gone) with a
    # stopped member, and kill_orphaned_pgrp() sends it SIGHUP and SIGCONT: it dies of the
    # SIGHUP. init's last line comes only once every process of the session is gone, so it
    # is the proof (a surviving sleep would keep init waiting past the deadline). trace=exit
    # shows it as `kill_orphaned_pgrp: pgrp=N SIGHUP SIGCONT` after the shell's
    # `disassociate_ctty: tty_vhangup_session`.
    "orphaned": Scenario(
        "a job stopped with kill -STOP when the shell exits: kill_orphaned_pgrp's SIGHUP and SIGCONT end it",
        [cmd("sleep 100 &"),
         cmd("kill -STOP %1; wait %1; echo $?"),
         cmd("jobs"),
         cmd("exit")]),                 # ash warns once ("You have stopped jobs."); the next exit goes

    # g3. IXON: ^S and ^Q are flow control, taken by the line discipline (output stops and
    # starts again) and never read; with `stty -ixon` they are ordinary bytes, echoed as ^S
    # and ^Q and read (od prints them as octal 023 and 021).
    "ixon": Scenario(
        "^S ^Q in a line: flow control with IXON, ordinary bytes with stty -ixon",
        [cmd("echo ready; head -n 1 | od -An -c", until="ready\n"),
         key("a\x13b\x11c\r"),
         cmd("stty -ixon; echo ready; head -n 1 | od -An -c; stty ixon", until="ready\n"),
         key("a\x13b\x11c\r")]),

    # h. Bad input: a 10,000-byte line. A canonical line holds 4095 bytes and its newline:
    # n_tty keeps the first 4095, the bytes after them overwrite the last slot, and the
    # newline still ends the line (N_TTY_BUF_SIZE). No echo, or the console fills with "a".
    "longline": Scenario(
        "a 10,000-byte line without echo: read() gets its first 4095 bytes and the newline",
        [cmd("stty -echo; echo ready; head -n 1 | wc -c; stty echo", until="ready\n"),
         key("a" * 10000 + "\r")]),

    # i. Bad input: NUL bytes. A NUL is never a special character (c_cc's 0 means disabled),
    # so it is an ordinary byte: echoed as ^@ (ECHOCTL) and passed on.
    "nul": Scenario(
        "NULs in a line: echoed as ^@, read as NULs",
        [cmd("echo ready; head -n 1 | od -An -c", until="ready\n"),
         key("a\x00b\x00\r")]),

    # j. Bad input: a burst in raw mode, faster than the reader: 10,000 bytes sent at once,
    # more than the 4096-byte input ring, while the reader is still asleep. The ring fills,
    # the UART's receive interrupt is turned off (throttled) and the rest waits in QEMU until
    # head's reads make room; no byte is lost. (The sleep only makes the throttle likely; the
    # transcript is the same without it.) The settings come back from `stty -g`.
    "burst": Scenario(
        "10,000 bytes at once in raw mode: throttled, none lost",
        [cmd("g=$(stty -g);stty raw -echo;echo ready;sleep 1;head -c 10000|wc -c;stty $g", until="ready\n"),
         key("0123456789" * 1000)]),
}


# --- Console ----------------------------------------------------------------------------------

def escape(text):
    """Control characters other than newline and tab, made visible."""
    names = {"\b": "\\b", "\r": "\\r", "\x1b": "\\e", "\\": "\\\\"}
    out = []
    for ch in text:
        if ch in names:
            out.append(names[ch])
        elif (ord(ch) < 0x20 and ch not in "\n\t") or ord(ch) == 0x7f:
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


# "[    1.234567] " (Linux) or "[    1.234567][    C0] " (MiniKernel): a kernel line.
KERNEL_PREFIX = re.compile(r"\[ *\d+\.\d+\](\[ *[CT]\d+\])? ")


def normalise(raw):
    """The transcript of `raw` (console bytes from the first prompt to init's last line)."""
    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\x1b[6n", "")
    out = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = KERNEL_PREFIX.search(line)
        if m:
            out.append(line[:m.start()])      # user output glued to a kernel line
            continue
        line = re.sub(r"^(\[\d+\]) \d+$", r"\1 PID", line)
        out.append(line + ("\n" if i < len(lines) - 1 else ""))
    return escape("".join(out))


class Timeout(Exception):
    pass


class Console:
    """QEMU's serial port: a reader thread keeps every byte; waits are on a condition."""

    def __init__(self, proc):
        self.proc = proc
        self.buf = bytearray()
        self.eof = False
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            with self.cond:
                if data:
                    self.buf.extend(data)
                else:
                    self.eof = True
                self.cond.notify_all()
            if not data:
                return

    def wait_for(self, regex, start, deadline):
        """The first match of `regex` at or after `start`; Timeout at `deadline` or when the
        console ends first."""
        with self.cond:
            while True:
                m = regex.search(self.buf, start)
                if m:
                    return m
                if self.eof:
                    raise Timeout("the console ended: QEMU exited")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout("the deadline passed")
                self.cond.wait(left)

    def wait_eof(self, deadline):
        with self.cond:
            while not self.eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout("QEMU did not exit after init's last line")
                self.cond.wait(left)

    def snapshot(self):
        with self.cond:
            return bytes(self.buf)


# --- Initramfs --------------------------------------------------------------------------------

def build_initramfs(out):
    """busybox and its links (scripts/busybox-initramfs.sh), /init, the scenarios' scripts and
    /dev nodes: console, tty, ttyS0, null."""
    tmp = tempfile.mkdtemp(prefix="tty_session-")
    try:
        files = {"init": INIT, "shrc": SHRC, "new_session.sh": NEW_SESSION, "leader.sh": LEADER}
        args = []
        for name, text in files.items():
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o755)
            args.append("/%s=%s" % (name, path))
        subprocess.run([os.path.join(ROOT, "scripts", "busybox-initramfs.sh"), out] + args + DEV_NODES,
                       check=True, stdout=subprocess.DEVNULL)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- A session --------------------------------------------------------------------------------

def linux_kernel():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "linux_kernel.py")],
                       stdout=subprocess.PIPE, check=True, text=True, timeout=1200)
    return r.stdout.strip().splitlines()[-1]


def qemu_command(kernel, initrd, smp, memory, append, timeout):
    qemu = os.environ.get("QEMU", "qemu-system-x86_64")
    return ["timeout", "-k", "5", str(int(timeout)), qemu,
            "-accel", "tcg,thread=multi" if smp > 1 else "tcg", "-smp", str(smp), "-m", memory,
            "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-kernel", kernel, "-initrd", initrd, "-append", append]


def run(args, scenario):
    tmp = None
    initrd = args.initrd
    if not initrd:
        tmp = tempfile.mkdtemp(prefix="tty_session-")
        initrd = os.path.join(tmp, "tty.cpio")
        try:
            build_initramfs(initrd)
        except (OSError, subprocess.CalledProcessError) as e:
            shutil.rmtree(tmp, ignore_errors=True)
            sys.stderr.write("tty_session: cannot build the initramfs: %s\n" % e)
            return 2
    append = "console=ttyS0 quiet panic=-1 rdinit=/init"
    if args.append_extra:
        append += " " + args.append_extra
    memory = args.memory or ("512M" if args.linux or "vmlinux" in os.path.basename(args.kernel) else "256M")
    command = qemu_command(args.kernel, initrd, args.smp, memory, append, args.timeout + 10)
    start = time.monotonic()
    deadline = start + args.timeout
    # Its own process group (`timeout` makes one anyway), killed whole on the way out.
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            bufsize=0, start_new_session=True)
    console = Console(proc)
    failure = None
    step_no, step = 0, "boot: wait for the first prompt"
    transcript = None
    try:
        first = console.wait_for(re.compile(re.escape(PROMPT.encode())), 0, min(deadline, start + args.step_timeout))
        cursor = first.end()
        for step_no, step in enumerate(scenario.steps, 1):
            if isinstance(step, Send):
                try:
                    proc.stdin.write(step.data)
                except BrokenPipeError:
                    raise Timeout("QEMU exited")
                cursor = max(cursor, len(console.snapshot()))
            else:
                m = console.wait_for(step.regex, cursor, min(deadline, time.monotonic() + args.step_timeout))
                cursor = m.end()
        step_no, step = step_no + 1, "the end: QEMU exits by itself"
        console.wait_eof(min(deadline, time.monotonic() + args.step_timeout))
        transcript = normalise(console.snapshot()[first.start():cursor])
    except Timeout as e:
        failure = "%s, -smp %d, step %d (%r): %s after %.1f s" % (args.scenario, args.smp, step_no, step, e,
                                                                  time.monotonic() - start)
    finally:
        try:
            proc.wait(timeout=5 if console.eof else 0)     # a console at its end: QEMU is exiting
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        console.thread.join(5)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    raw = console.snapshot()
    if args.console:
        with open(args.console, "w") as f:
            f.write(raw.decode("utf-8", errors="replace").replace("\r\n", "\n"))
    if failure:
        qemu_err = proc.stderr.read().decode(errors="replace")
        qemu_err += "QEMU's exit status: %s%s\n" % (proc.returncode, " (killed at our deadline)" if proc.returncode < 0 else "")
        lines = escape(raw.decode("utf-8", errors="replace").replace("\r\n", "\n")).split("\n")
        tail = "\n".join(lines[-40:])
        sys.stderr.write("tty_session: %s\ncommand: %s\n%s--- console, last %d of %d lines ---\n%s\n--- end of console ---\n"
                         % (failure, shlex.join(command), qemu_err,
                            min(40, len(lines)), len(lines), tail))
        return 1
    sys.stdout.write(transcript)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kernel", default=os.path.join(ROOT, "build", "minikernel"), help="the kernel (default build/minikernel)")
    p.add_argument("--linux", action="store_true", help="boot Debian's Linux (scripts/linux_kernel.py) instead")
    p.add_argument("--initrd", help="the initramfs (default: built afresh, as --build-initramfs)")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--memory", help="guest RAM (default 512M for Linux, 256M for MiniKernel)")
    p.add_argument("--scenario", help="one of --list")
    p.add_argument("--append-extra", default="", help="more kernel command-line words")
    p.add_argument("--timeout", type=float, default=300, help="seconds for the whole session")
    p.add_argument("--step-timeout", type=float, default=90, help="seconds for one wait")
    p.add_argument("--console", help="also write the whole console (CR LF -> LF) to this file")
    p.add_argument("--build-initramfs", metavar="OUT", help="write the initramfs and exit")
    p.add_argument("--list", action="store_true", help="list the scenarios")
    args = p.parse_args()
    if args.list:
        for name, s in SCENARIOS.items():
            print("%-12s %s" % (name, s.doc))
        return 0
    if args.build_initramfs:
        build_initramfs(args.build_initramfs)
        return 0
    if args.scenario not in SCENARIOS:
        p.error("--scenario: one of %s" % ", ".join(SCENARIOS))
    if args.linux:
        try:
            args.kernel = linux_kernel()
        except (OSError, subprocess.SubprocessError) as e:
            sys.stderr.write("tty_session: no Debian kernel (scripts/linux_kernel.py): %s\n" % e)
            return 2
    if not os.path.exists(args.kernel):
        sys.stderr.write("tty_session: no kernel %s (make?)\n" % args.kernel)
        return 2
    # SIGTERM ends us through the `finally` that kills QEMU.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return run(args, SCENARIOS[args.scenario])


if __name__ == "__main__":
    sys.exit(main())
