"""One real `dinerush run` for the end-to-end tests: a module-scoped run folder root, the run itself, and what
failed in its summary. Shared by every test file that judges a whole run on the real local stack."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator


def make_runs_root() -> Iterator[Path]:
    """A fresh folder for a module's runs, removed afterwards (kept with DINERUSH_KEEP_TEST_RUN=1)."""
    root = Path(tempfile.mkdtemp(prefix="dinerush-runtest-"))
    os.chmod(root, 0o755)   # PostgreSQL and RabbitMQ run as their own users when we are root
    yield root
    if not os.environ.get("DINERUSH_KEEP_TEST_RUN"):
        shutil.rmtree(root, ignore_errors=True)


def cli(*args: str, timeout: float = 400) -> subprocess.CompletedProcess:
    """`dinerush ARGS` in a child process, output captured."""
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def detached_stack_root(prefix: str) -> Iterator[Path]:
    """A folder for `dinerush up --detach --runs ROOT`; the detached stack is brought down and the folder removed."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(root, 0o755)
    yield root
    cli("down", "--runs", str(root), timeout=120)
    shutil.rmtree(root, ignore_errors=True)


def dinerush_run(root: Path, name: str, profile: str, *args: str, timeout: float = 600) -> tuple[int, Path, dict]:
    """`dinerush run PROFILE --quiet --run-dir root/name ARGS`: its exit code, run folder and summary.json."""
    run_dir = root / name
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", profile, "--quiet",
                           "--run-dir", str(run_dir), *args], capture_output=True, text=True, timeout=timeout)
    summary_path = run_dir / "summary.json"
    assert summary_path.exists(), f"no summary.json; stderr: {proc.stderr[-2000:]}"
    return proc.returncode, run_dir, json.loads(summary_path.read_text())


def failing(summary: dict) -> dict[str, dict]:
    """The checks that found violations, by name."""
    return {c["name"]: c for c in summary["audit"]["checks"] if c["verdict"] == "invalid"}


def applied_and_healed(run_dir: Path) -> tuple[list[dict], list[dict]]:
    stamps = json.loads((run_dir / "timeline.json").read_text())
    return ([s for s in stamps if s["action"] == "apply"], [s for s in stamps if s["action"] == "heal"])


def assert_caught(bug: str, code: int, summary: dict, check: str, system: str) -> dict[str, dict]:
    """The run with `bug` switched on failed `check` on `system` with exit 1; returns the failing checks."""
    bad = failing(summary)
    assert check in bad, f"{bug}: expected {check} to fail, failing: {sorted(bad)}"
    assert bad[check]["systems"][system]["count"] > 0, bad[check]
    assert code == 1
    return bad
