"""Child processes of the harness: free loopback ports, start with a log file, wait, stop by pid."""
from __future__ import annotations

import ctypes
import fcntl
import os
import pwd
import random
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import SetupError

LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


def _ephemeral_low() -> int:
    """The lowest port the kernel hands out as an outgoing connection's local port (32768 by default)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


PORT_HOLD_S = 600.0    # a port handed out is not handed out again, by any dinerush process, for this long
_LOCAL: set[int] = set()          # this process's own ports (all it remembers when the ledger cannot be used)
_LOCAL_LOCK = threading.Lock()


def _ledger_path() -> Path:
    """The machine-wide list of ports recently handed out (DINERUSH_PORT_LEDGER moves it, for tests)."""
    return Path(os.environ.get("DINERUSH_PORT_LEDGER") or Path(tempfile.gettempdir()) / "dinerush-ports")


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def _choose(recent: set[int]) -> int | None:
    top = _ephemeral_low() - 1
    bottom = max(1024, top - 12_000)
    if top <= bottom:
        return None
    for _ in range(200):
        port = random.randint(bottom, top)
        if port not in recent and _bindable(port):
            return port
    return None


def free_port() -> int:
    """A port free on 127.0.0.1 now, below the kernel's ephemeral range, and not handed out to any dinerush process
    in the last PORT_HOLD_S seconds.

    Below the ephemeral range: a server binds its port some seconds after it was chosen, and in the meantime any
    outgoing connection may take a port of that range as its local port (seen: a gateway container's bind failed
    with "address already in use"). Not recently handed out: two processes choosing at once (parallel test workers,
    two runs) could both find the same port free before either binds it (seen in CI: a gateway's bind failed
    the same way). A locked file under the temp folder lists the ports handed out; when it cannot be used, only
    this process's own ports are remembered. Falls back to the kernel's choice."""
    try:
        port = _with_ledger()
    except OSError:
        port = None
    if port is None:
        with _LOCAL_LOCK:
            port = _choose(set(_LOCAL))
    if port is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((LOOPBACK, 0))
            port = s.getsockname()[1]
    with _LOCAL_LOCK:
        _LOCAL.add(port)
    return port


def _with_ledger() -> int | None:
    """Under an exclusive lock on the ledger: read the ports handed out within PORT_HOLD_S, choose one that is not
    among them (nor among this process's own), and write the list back with it, older entries dropped."""
    path = _ledger_path()
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    with os.fdopen(fd, "r+", encoding="ascii") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        now = time.time()
        held: dict[int, float] = {}
        for line in f.read().splitlines():
            try:
                port_s, at_s = line.split()
                port, at = int(port_s), float(at_s)
            except ValueError:
                continue                   # a torn or foreign line: ignore it
            if now - at < PORT_HOLD_S:
                held[port] = at
        with _LOCAL_LOCK:
            port = _choose(set(held) | _LOCAL)
        if port is not None:
            held[port] = now
        f.seek(0)
        f.truncate()
        f.write("".join(f"{p} {at:.0f}\n" for p, at in held.items()))
        f.flush()
        return port


def port_open(port: int, host: str = LOOPBACK, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    """True while a process has `pid` and is not a zombie (a zombie has exited; only its parent can reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def process_tree(root: int) -> set[int]:
    """`root` and every live descendant of it now (read from /proc; children may have left its session)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in found and pid_alive(pid):
            found.add(pid)
            todo.extend(parents.get(pid, ()))
    return found


def _die_with_parent() -> None:  # runs in the child between fork and exec
    os.setsid()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


@dataclass
class Child:
    """One started process: its own session (process group), a log file, stopped by its pid."""

    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    user: str | None = None   # run as this system user (root only): PostgreSQL and RabbitMQ refuse root
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> "Child":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        as_user = {}
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        try:
            self.proc = subprocess.Popen(  # preexec (PDEATHSIG) runs after the uid change, so it sticks
                self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self.env, cwd=self.cwd, preexec_fn=_die_with_parent, close_fds=True, **as_user,
            )
        except FileNotFoundError:
            raise SetupError(f"{self.name}: {self.argv[0]} not found: run 'make setup'") from None
        finally:
            log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])

    def wait_until(self, ready, timeout: float, what: str) -> None:
        """Poll `ready()` until true; a dead child or the deadline is a SetupError with its log tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise SetupError(f"{self.name} exited (code {self.proc.returncode}) before {what}: "
                                 f"{self.log_tail()} (log: {self.log_path})")
            if ready():
                return
            time.sleep(0.05)
        raise SetupError(f"{self.name} not {what} after {timeout:.0f}s: {self.log_tail()} (log: {self.log_path})")

    def wait_port(self, port: int, timeout: float = 30.0) -> None:
        self.wait_until(lambda: port_open(port), timeout, f"listening on {LOOPBACK}:{port}")

    def signal_group(self, sig: int) -> None:
        """Send `sig` to the child's whole process group (it is its own session); a gone group is no error."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def state(self) -> str:
        """The leader's state letter from /proc (R, S, T = stopped, Z...), or "" when it is gone."""
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError, AssertionError):
            return ""

    def stop(self, timeout: float = 10.0, sig: int = signal.SIGTERM) -> int | None:
        """Signal the child's process group, wait, then SIGKILL what is left. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
                os.killpg(self.proc.pid, signal.SIGCONT)   # a paused (SIGSTOPped) child must wake to act on it
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
        else:  # the leader is gone; make sure nothing of its group lingers
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        return self.proc.returncode
