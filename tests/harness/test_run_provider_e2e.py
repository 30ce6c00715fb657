"""`dinerush run ci-gate-full` end to end on the real local stack for the payment-provider faults: the correct
stack passes, each provider defect fails with the invariant it breaks; and the random nemesis over the whole
catalogue, fitted to the load, ends every seed conclusive. Each case is one real run (~2.5 min)."""
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

# defect → (the checker that must fail, on which system of record)
CAUGHT = {
    "provider-5xx-declines": ("unexpected", "charges"),   # captured charge, order PAYMENT_FAILED
    "soft-decline-retry": ("unexpected", "charges"),      # charged after the diner was told 402
    "notify-latest-wins": ("unexpected", "charges"),      # a PAID order flipped by a stale `declined`
}
PROVIDER_FAULTS = {"provider_errors", "provider_declines", "webhook_chaos"}


@pytest.fixture(scope="module")
def runs_root():
    root = Path(tempfile.mkdtemp(prefix="dinerush-runtest-"))
    os.chmod(root, 0o755)   # PostgreSQL and RabbitMQ run as their own users when we are root
    yield root
    if not os.environ.get("DINERUSH_KEEP_TEST_RUN"):
        shutil.rmtree(root, ignore_errors=True)


def dinerush_run(root: Path, name: str, profile: str, *args: str) -> tuple[int, Path, dict]:
    run_dir = root / name
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", profile, "--quiet",
                           "--run-dir", str(run_dir), *args], capture_output=True, text=True, timeout=600)
    summary_path = run_dir / "summary.json"
    assert summary_path.exists(), f"no summary.json; stderr: {proc.stderr[-2000:]}"
    return proc.returncode, run_dir, json.loads(summary_path.read_text())


def failing(summary: dict) -> dict[str, dict]:
    return {c["name"]: c for c in summary["audit"]["checks"] if c["verdict"] == "invalid"}


def test_the_correct_stack_passes_the_provider_faults(runs_root: Path) -> None:
    code, run_dir, summary = dinerush_run(runs_root, "correct", "ci-gate-full")
    assert (failing(summary), summary["inconclusive"], code) == ({}, [], 0)
    stamps = json.loads((run_dir / "timeline.json").read_text())
    applied = {s["fault"] for s in stamps if s["action"] == "apply"}
    healed = {s["fault"] for s in stamps if s["action"] == "heal"}
    assert PROVIDER_FAULTS <= applied and PROVIDER_FAULTS <= healed


@pytest.mark.parametrize("bug", sorted(CAUGHT))
def test_each_provider_defect_is_caught(runs_root: Path, bug: str) -> None:
    check, system = CAUGHT[bug]
    code, _, summary = dinerush_run(runs_root, bug, "ci-gate-full", "--bug", bug)
    bad = failing(summary)
    assert check in bad, f"{bug}: expected {check} to fail, failing: {sorted(bad)}"
    assert bad[check]["systems"][system]["count"] > 0, bad[check]
    assert code == 1


@pytest.mark.parametrize("seed", [11, 3])
def test_the_random_nemesis_fits_the_load_and_ends_conclusive(runs_root: Path, seed: int) -> None:
    code, run_dir, summary = dinerush_run(runs_root, f"random-{seed}", "ci-gate", "--schedule", "random",
                                          "--duration", "125", "--seed", str(seed))
    assert summary["inconclusive"] == [] and failing(summary) == {}, (summary["inconclusive"], failing(summary))
    assert code == 0
    stamps = json.loads((run_dir / "timeline.json").read_text())
    assert [s for s in stamps if s["action"] == "apply"]


def test_random_with_the_profiles_own_duration_is_not_refused(runs_root: Path) -> None:
    code, _, summary = dinerush_run(runs_root, "random-default", "ci-gate", "--schedule", "random", "--seed", "5")
    assert summary["inconclusive"] == [] and code == 0


def _toxiproxy_pid(root_pid: int) -> int:
    from harness.runtime.procs import process_tree
    for pid in process_tree(root_pid):
        try:
            if b"toxiproxy-server" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    raise AssertionError("no toxiproxy-server under the run")


def test_a_wedged_fault_proxy_is_restarted_and_the_verdict_stands(runs_root: Path) -> None:
    """SIGSTOP the run's own Toxiproxy during ci-gate's first fault (weak_network 5-15 s): its heal times out,
    the runtime restarts the server, the timeline says so, and the correct stack still passes."""
    import re
    import signal
    run_dir = runs_root / "wedged"
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "ci-gate", "--run-dir", str(run_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    stopped = None
    try:
        for line in proc.stdout:   # progress lines: "load     7/80s | ..."
            m = re.search(r"load\s+(\d+)/", line)
            if stopped is None and m and 7 <= int(m.group(1)) < 14:
                stopped = _toxiproxy_pid(proc.pid)
                os.kill(stopped, signal.SIGSTOP)
        code = proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert stopped is not None, "the load never reached the first fault"
    summary = json.loads((run_dir / "summary.json").read_text())
    stamps = json.loads((run_dir / "timeline.json").read_text())
    restarts = [s for s in stamps if s["action"] == "restart"]
    assert len(restarts) == 1 and restarts[0]["detail"].startswith("fault proxy restarted at ")
    assert (summary["inconclusive"], failing(summary), code) == ([], {}, 0)
