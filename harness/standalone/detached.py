"""A detached stack: `up --detach` spawns a supervisor in its own session and waits for its probe; `down` stops it
and every process group it started."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import typer

from harness.errors import SetupError, UsageError
from harness.runtime.local import StackOptions
from harness.runtime.procs import pid_alive, process_tree
from harness.standalone.state import SUPERVISOR_FLAG, is_supervisor, read_state, state_path

UP_TIMEOUT = 180.0     # seconds `up --detach` waits for the supervisor's probe
DOWN_TIMEOUT = 60.0


def spawn_supervisor(run_dir: Path, options: StackOptions, runs: Path) -> None:
    """Start the supervisor in its own session; return once its state file says the probe passed."""
    existing = read_state(runs)
    if existing is not None and is_supervisor(existing.pid):
        raise UsageError(f"a stack is already up (supervisor pid {existing.pid}, {existing.endpoints.run_dir}): "
                         "run 'dinerush down' first")
    if existing is not None:
        state_path(runs).unlink(missing_ok=True)  # stale: its supervisor is gone
    run_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "harness.cli", "up", SUPERVISOR_FLAG, "--run-dir", str(run_dir),
            "--runs", str(runs)]
    for b in options.bugs:
        argv += ["--bug", b]
    if options.menu is not None:
        argv += ["--menu", str(options.menu)]
    log_path = run_dir / "supervisor.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + UP_TIMEOUT
    try:
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                tail = " | ".join(log_path.read_text(errors="replace").strip().splitlines()[-3:])
                raise SetupError(f"the stack supervisor exited (code {code}): {tail} (log: {log_path})")
            state = read_state(runs)
            if state is not None and state.pid == proc.pid:
                typer.echo(log_path.read_text(errors="replace").split("supervising;")[0].rstrip())
                typer.echo(f"detached: supervisor pid {proc.pid}, log {log_path}; `dinerush down` stops it")
                return
            time.sleep(0.2)
        raise SetupError(f"the stack was not up after {UP_TIMEOUT:.0f}s (log: {log_path})")
    except BaseException:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(DOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
        raise


def stop_detached(runs: Path, timeout: float = DOWN_TIMEOUT) -> str:
    """SIGTERM the supervisor of runs/stack/state.json; wait until it and its process groups are gone."""
    state = read_state(runs)
    if state is None:
        return f"no stack is up (no {state_path(runs)})"
    if not is_supervisor(state.pid):
        leftovers = [p for p in state.child_pids if pid_alive(p)]
        kill_groups(leftovers)
        state_path(runs).unlink(missing_ok=True)
        return f"supervisor pid {state.pid} was already gone; removed the stale state file" + (
            f" and killed leftover process groups {leftovers}" if leftovers else "")
    watched = process_tree(state.pid) | set(state.child_pids)
    os.kill(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(pid_alive(p) for p in watched):
        time.sleep(0.1)
    leftovers = sorted(p for p in watched if pid_alive(p))
    if leftovers:
        kill_groups(leftovers)
        state_path(runs).unlink(missing_ok=True)
        raise SetupError(f"stack did not stop within {timeout:.0f}s; killed process groups {leftovers} "
                         f"(see {state.endpoints.run_dir}/supervisor.log)")
    state_path(runs).unlink(missing_ok=True)
    return f"stack stopped: supervisor {state.pid} and its {len(watched) - 1} processes are gone"


def kill_groups(pids: list[int]) -> None:
    """SIGKILL `pids` and the process groups they lead (each child of the stack leads its own session)."""
    for pid in pids:
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
