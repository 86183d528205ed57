"""What the scripts/stall tools share: the QEMU command they wrap, and a QEMU
child that dies with the tool (the test harness kills the tool on a timeout)."""
import ctypes
import signal
import subprocess

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def start_qemu(command, **kwargs):
    """Popen of a QEMU command line (or any child of the tool), killed if the tool dies."""
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent, **kwargs)


def option(command, name, default=None):
    """The value after `name` in a QEMU command line."""
    return command[command.index(name) + 1] if name in command else default
