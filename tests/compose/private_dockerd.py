"""A private Docker daemon for the compose tests: its own data root, exec root, socket and pid file, no bridge
and no iptables (containers use the host network on 127.0.0.1); stopped by its pid. The machine's own Docker,
if any, is never touched. Images stay in the data root between sessions, so a warm run reuses them."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SKIP_ENV = "DINERUSH_NO_DOCKER"
DIR_ENV = "DINERUSH_DOCKER_DIR"
FIX = "run 'make setup' (it installs docker.io and debootstrap)"


class DockerUnavailable(Exception):
    """Why the private daemon cannot run here, as one line naming the fix."""


@dataclass(frozen=True)
class PrivateDocker:
    host: str          # DOCKER_HOST for clients: unix://<dir>/docker.sock
    pid: int
    state_dir: Path
    exec_root: Path
    log: Path


def state_dir() -> Path:
    """DINERUSH_DOCKER_DIR, else .tools/docker; resolved, as runc refuses a container root under a symlink."""
    return Path(os.environ.get(DIR_ENV) or REPO / ".tools" / "docker").resolve()


def check_prerequisites() -> str:
    """The dockerd binary, or DockerUnavailable naming what is missing."""
    if os.geteuid() != 0:
        raise DockerUnavailable(f"the private dockerd needs root: run the compose tests as root, or set {SKIP_ENV}=1 "
                                "to skip them on a developer box")
    for tool in ("dockerd", "containerd", "runc", "debootstrap"):
        if shutil.which(tool) is None:
            raise DockerUnavailable(f"{tool} not found: {FIX}")
    return shutil.which("dockerd") or "dockerd"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def _ping(sock: Path) -> bool:
    import docker

    try:
        client = docker.DockerClient(base_url=f"unix://{sock}", timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - not up yet: connection refused, missing socket...
        return False


def start(timeout: float = 90.0) -> PrivateDocker:
    """Start dockerd (no bridge, no iptables) and wait until its socket answers; bounded by `timeout`."""
    dockerd = check_prerequisites()
    root = state_dir()
    root.mkdir(parents=True, exist_ok=True)
    pidfile, sock, log = root / "dockerd.pid", root / "docker.sock", root / "dockerd.log"
    if pidfile.exists():
        old = int(pidfile.read_text().strip() or 0)
        if old and _alive(old):
            raise DockerUnavailable(f"a dockerd (pid {old}) already uses {root}: stop it, or set {DIR_ENV} elsewhere")
        pidfile.unlink()
    exec_root = Path(tempfile.mkdtemp(prefix="drd-", dir="/tmp"))   # short: containerd's socket path lives here
    argv = [dockerd, "--data-root", str(root / "data"), "--exec-root", str(exec_root), "--pidfile", str(pidfile),
            "-H", f"unix://{sock}", "--bridge=none", "--iptables=false", "--ip6tables=false",
            "--userland-proxy=false", "--log-level=warn"]
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    deadline = time.monotonic() + timeout
    while not _ping(sock):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_pid(proc.pid)
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["(empty log)"]
            raise DockerUnavailable(f"the private dockerd did not answer within {timeout:g}s: {tail[0]} (see {log})")
        time.sleep(0.5)
    return PrivateDocker(f"unix://{sock}", proc.pid, root, exec_root, log)


def stop_pid(pid: int, grace: float = 30.0) -> None:
    """SIGTERM the daemon we started (it stops its containers and containerd), SIGKILL after `grace`."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            if not _alive(pid):
                return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def stop(daemon: PrivateDocker) -> None:
    """Stop the daemon by its pid, then remove its exec root (unmounting what it left there, e.g. netns)."""
    stop_pid(daemon.pid)
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    for target in sorted((m.split()[1] for m in mounts if m.split()[1].startswith(str(daemon.exec_root))),
                         reverse=True):
        subprocess.run(["umount", "-l", target], check=False, capture_output=True)
    shutil.rmtree(daemon.exec_root, ignore_errors=True)
