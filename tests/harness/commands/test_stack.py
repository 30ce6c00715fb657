"""`dinerush up|down`: detached and foreground stacks, stopped by `down`, a signal, or a supervisor crash, leave
no process behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli import main
from harness.runtime.procs import pid_alive, process_tree

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture()
def runs(stack_dir):
    return stack_dir   # tests/conftest.py: a folder PostgreSQL and RabbitMQ can enter


def dinerush(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def wait_all_gone(pids: set[int], timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.1)
    return sorted(p for p in pids if pid_alive(p))


def detached(runs: Path) -> tuple[dict, set[int]]:
    up = dinerush("up", "--detach", "--runs", str(runs), "--run-dir", str(runs / "stack"))
    assert up.returncode == 0, up.stdout + up.stderr
    assert "probe ok" in up.stdout and "detached: supervisor pid" in up.stdout
    state = json.loads((runs / "stack" / "state.json").read_text())
    tree = process_tree(state["pid"])
    assert set(state["child_pids"]) <= tree and len(tree) >= 10
    return state, tree


@pytest.mark.slow
def test_up_detach_then_down_leaves_nothing_running(runs: Path) -> None:
    state, tree = detached(runs)
    again = dinerush("up", "--detach", "--runs", str(runs), "--run-dir", str(runs / "other"))
    assert again.returncode == 64 and "already up" in again.stderr
    down = dinerush("down", "--runs", str(runs))
    assert down.returncode == 0, down.stderr
    assert f"supervisor {state['pid']}" in down.stdout and "gone" in down.stdout
    assert wait_all_gone(tree, timeout=1) == []
    assert not (runs / "stack" / "state.json").exists()


@pytest.mark.slow
def test_a_crashed_supervisor_takes_the_whole_stack_with_it(runs: Path) -> None:
    state, tree = detached(runs)
    os.kill(state["pid"], signal.SIGKILL)  # no finally runs: only PDEATHSIG can clean up
    assert wait_all_gone(tree) == []
    down = dinerush("down", "--runs", str(runs))
    assert down.returncode == 0 and "already gone" in down.stdout
    assert not (runs / "stack" / "state.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_foreground_up_stops_everything_on_a_signal(runs: Path, sig: signal.Signals) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "up", "--runs", str(runs),
                             "--run-dir", str(runs / "fg")], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C stops it" in line:
                break
        assert any("probe ok" in ln for ln in lines), "".join(lines)
        tree = process_tree(proc.pid)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "stack stopped" in out
    assert wait_all_gone(tree, timeout=5) == []


def test_down_without_a_stack_says_so(runs: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["down", "--runs", str(runs)]) == 0
    assert "no stack is up" in capsys.readouterr().out


def test_unknown_bug_is_a_usage_error(runs: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["up", "--bug", "no-such-bug", "--runs", str(runs)]) == 64
    err = capsys.readouterr().err
    assert "'--bug'" in err and "unknown defect 'no-such-bug'" in err and len(err.strip().splitlines()) == 1
