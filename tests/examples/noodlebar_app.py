"""Noodle Bar (examples/noodlebar) for the tests: the app as a real process on a free port, and a target config
pointing dinerush at it through a diner_edge link on another free port."""
from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from harness.runtime.procs import free_port

REPO = Path(__file__).resolve().parents[2]
NOODLEBAR = REPO / "examples" / "noodlebar"


@contextmanager
def noodlebar(folder: Path, defect: str | None = None) -> Iterator[Path]:
    """Start the app (SQLite in `folder`), yield a target config for it; the app is stopped by its pid after."""
    port, edge = free_port(), free_port()
    db = folder / "noodlebar.sqlite"
    log = open(folder / "noodlebar.log", "wb")
    proc = subprocess.Popen([sys.executable, str(NOODLEBAR / "app.py"), "--db", str(db), "--port", str(port),
                             *(["--defect", defect] if defect else [])], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/dishes", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"noodlebar did not start: see {folder / 'noodlebar.log'}") from None
                time.sleep(0.2)
        text = (NOODLEBAR / "target.toml").read_text()
        text = (text.replace('"adapter.py:', f'"{NOODLEBAR}/adapter.py:').replace("/tmp/noodlebar.sqlite", str(db))
                .replace("127.0.0.1:21080", f"127.0.0.1:{edge}").replace("127.0.0.1:8080", f"127.0.0.1:{port}"))
        config = folder / "target.toml"
        config.write_text(text)
        yield config
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
