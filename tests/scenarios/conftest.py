"""Fixtures for the diners' end-to-end tests: one real local stack per session, and a bounded Locust runner."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.runtime.procs import free_port

REPO = Path(__file__).resolve().parents[2]
LOCUSTFILE = REPO / "scenarios" / "locustfile.py"
MENU_SEED = 11


@pytest.fixture(scope="session")
def local_stack():
    """The real stack (PostgreSQL, RabbitMQ, Toxiproxy, four services) with a Faker-made menu."""
    from harness.runtime.local import LocalStack, StackOptions
    from scenarios.data import make_menu

    run_dir = Path(tempfile.mkdtemp(prefix="dinerush-scenarios-"))  # not pytest's 0700 tmp: postgres/rabbitmq users enter it
    os.chmod(run_dir, 0o755)
    menu = make_menu(MENU_SEED, 16).write(run_dir / "menu-in.json")
    stack = LocalStack(run_dir / "stack", StackOptions(menu=menu)).start()
    try:
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


@dataclass(frozen=True)
class LocustResult:
    returncode: int
    output: str
    ledger: Path

    @property
    def meta(self) -> dict:
        return json.loads(self.ledger.with_name(self.ledger.name.replace(".jsonl", ".meta.json")).read_text())

    def entries(self):
        from scenarios.ledger import read_ledger

        return list(read_ledger(self.ledger.read_text(encoding="utf-8").splitlines()))


def _run_locust(args: list[str], ledger: Path, timeout: float = 150.0, during=None) -> LocustResult:
    """Run `locust -f scenarios/locustfile.py ARGS` in its own process group; kill the group past `timeout`.

    `during(proc)` runs while Locust runs (e.g. to cut a link); the process is always reaped.
    """
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--dinerush-ledger", str(ledger), *args]
    if "--processes" in args:  # keep the master off Locust's default *:5557, which a parallel run may hold
        port = str(free_port())
        argv += ["--master-bind-host", "127.0.0.1", "--master-bind-port", port, "--master-port", port]
    log = ledger.with_suffix(".log")
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=REPO)
        try:
            if during is not None:
                during(proc)
            proc.wait(timeout)
        except BaseException:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
            raise
    return LocustResult(proc.returncode, log.read_text(errors="replace"), ledger)


@pytest.fixture
def run_locust():
    """`run_locust(args, ledger, timeout=150, during=None)` → LocustResult (a bounded real Locust process)."""
    return _run_locust
