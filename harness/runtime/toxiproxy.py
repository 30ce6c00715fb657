"""A private Toxiproxy server (the real Go binary from .tools/bin) on a free loopback port."""
from __future__ import annotations

import shutil
import signal
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness.errors import SetupError
from harness.runtime.procs import LOOPBACK, Child, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


def toxiproxy_binary() -> Path:
    """`.tools/bin/toxiproxy-server` of this checkout, else one on PATH; missing is a one-line error."""
    local = REPO_ROOT / ".tools" / "bin" / "toxiproxy-server"
    if local.exists():
        return local
    found = shutil.which("toxiproxy-server")
    if found:
        return Path(found)
    raise SetupError("toxiproxy-server not found: run 'make setup' (builds Toxiproxy 2.12.0 into .tools/bin)")


@dataclass
class ToxiproxyServer:
    run_dir: Path
    port: int = 0
    child: Child | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 15.0) -> "ToxiproxyServer":
        self.port = self.port or free_port()
        log = self.run_dir / "logs" / "toxiproxy.log"
        logged = log.stat().st_size if log.exists() else 0   # the log is appended to: read only our part
        self.child = Child(
            "toxiproxy", [str(toxiproxy_binary()), "-host", LOOPBACK, "-port", str(self.port)], log,
        ).start()
        self.child.wait_until(lambda: self._answers(log, logged), timeout, f"answering on {self.url}")
        return self

    def _answers(self, log: Path, logged: int) -> bool:
        # The server keeps running when its API port is taken (and whoever holds it may answer /version).
        with open(log, "rb") as f:
            f.seek(logged)
            if b"address already in use" in f.read():
                raise SetupError(f"toxiproxy could not listen on {LOOPBACK}:{self.port}: the port is in use "
                                 "(taken after it was picked as free): run again")
        try:
            with urllib.request.urlopen(self.url + "/version", timeout=0.5) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.child is not None:
            self.child.stop(timeout=10.0 if sig == signal.SIGTERM else 5.0, sig=sig)
