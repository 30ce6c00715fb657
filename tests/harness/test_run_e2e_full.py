"""`dinerush run ci-gate-full` end to end on the real local stack: the correct stack passes through a KDS crash, a
broker restart, a database restart and a frozen gateway; each defect only a process fault exposes fails with the
invariant it breaks. Each case is one real run (~2.5 min)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# defect → the checker that must fail (and on which system of record)
CAUGHT = {
    "kitchen-write-behind": ("lost", "tickets"),      # service_crash kitchen
    "relay-transient": ("lost", "tickets"),           # broker_restart (with the queue full)
    "relay-one-connection": ("lost", "tickets"),      # db_restart
    "pending-timeout": ("unexpected", "charges"),     # service_pause gateway
}
PROCESS_FAULTS = {"service_crash", "broker_restart", "db_restart", "service_pause"}


@pytest.fixture(scope="module")
def runs_root():
    # PostgreSQL and RabbitMQ run as their own users when we are root: the folder must be traversable.
    root = Path(tempfile.mkdtemp(prefix="dinerush-fulltest-"))
    os.chmod(root, 0o755)
    yield root
    if not os.environ.get("DINERUSH_KEEP_TEST_RUN"):
        shutil.rmtree(root, ignore_errors=True)


def dinerush_run(root: Path, name: str, *args: str) -> tuple[int, Path, dict]:
    run_dir = root / name
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "ci-gate-full", "--quiet",
                           "--run-dir", str(run_dir), *args], capture_output=True, text=True, timeout=480)
    summary_path = run_dir / "summary.json"
    assert summary_path.exists(), f"no summary.json; stderr: {proc.stderr[-2000:]}"
    return proc.returncode, run_dir, json.loads(summary_path.read_text())


def failing(summary: dict) -> dict[str, dict]:
    return {c["name"]: c for c in summary["audit"]["checks"] if c["verdict"] == "invalid"}


def test_the_correct_stack_passes_ci_gate_full(runs_root: Path) -> None:
    code, run_dir, summary = dinerush_run(runs_root, "correct")
    assert failing(summary) == {}, failing(summary)
    assert summary["inconclusive"] == []
    assert code == 0
    stamps = json.loads((run_dir / "timeline.json").read_text())
    healed = {s["fault"] for s in stamps if s["action"] == "heal"}
    assert PROCESS_FAULTS <= healed, stamps
    # each part really went down and came back: the planned crash and restart are marked in its own log
    assert "kitchen started again by dinerush" in (run_dir / "logs" / "kitchen.log").read_text()
    assert "rabbitmq started again by dinerush" in (run_dir / "logs" / "rabbitmq.log").read_text()
    assert "postgres started again by dinerush" in (run_dir / "logs" / "postgres.log").read_text()


@pytest.mark.parametrize("bug", sorted(CAUGHT))
def test_each_process_fault_defect_is_caught(runs_root: Path, bug: str) -> None:
    check, system = CAUGHT[bug]
    code, _, summary = dinerush_run(runs_root, bug, "--bug", bug)
    bad = failing(summary)
    assert check in bad, f"{bug}: expected {check} to fail, failing: {sorted(bad)}"
    assert bad[check]["systems"][system]["count"] > 0, bad[check]
    assert code == 1
