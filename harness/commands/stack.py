"""`dinerush up|down|smoke`: start the local stack (foreground or detached), stop it, or a one-shot smoke check.

`up --detach` re-executes `dinerush up --foreground-supervisor` in a new session; that supervisor owns the
stack (its children die with it) and writes runs/stack/state.json once the probe passed. `down` SIGTERMs the
supervisor named there and waits until it and every process group it started are gone.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import typer

from harness.errors import SetupError, UsageError
from harness.probe import ProbeResult, probe
from harness.runtime.local import Endpoints, LocalStack, StackOptions
from harness.runtime.procs import pid_alive, process_tree

SUPERVISOR_FLAG = "--foreground-supervisor"
UP_TIMEOUT = 180.0     # seconds `up --detach` waits for the supervisor's probe
DOWN_TIMEOUT = 60.0


@dataclass(frozen=True)
class StackState:
    """runs/stack/state.json: who to signal on `down`, and where the detached stack answers."""

    pid: int                   # the supervisor
    child_pids: tuple[int, ...]  # leaders of the process groups it started
    endpoints: Endpoints
    probe: str

    def to_json(self) -> dict:
        return {"pid": self.pid, "child_pids": list(self.child_pids), "endpoints": self.endpoints.to_json(),
                "probe": self.probe}

    @classmethod
    def from_json(cls, data: dict) -> "StackState":
        return cls(pid=int(data["pid"]), child_pids=tuple(int(p) for p in data.get("child_pids", ())),
                   endpoints=Endpoints.from_json(data["endpoints"]), probe=str(data.get("probe", "")))


def state_path(runs: Path) -> Path:
    return runs / "stack" / "state.json"


def read_state(runs: Path) -> StackState | None:
    path = state_path(runs)
    try:
        return StackState.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as err:
        raise SetupError(f"unreadable {path} ({err}): check no supervisor runs (ps), then delete the file") from None


def write_state(runs: Path, state: StackState) -> None:
    path = state_path(runs)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state.to_json(), indent=1))
    os.replace(tmp, path)


def _is_supervisor(pid: int) -> bool:
    """The pid is alive and is a `dinerush up --foreground-supervisor` (not a recycled pid)."""
    if not pid_alive(pid):
        return False
    try:
        return SUPERVISOR_FLAG.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def validate_bugs(bugs: list[str]) -> tuple[str, ...]:
    """Unknown `--bug` names are a usage error, checked against stack.bugs when that module is there."""
    try:
        from stack import bugs as registry
    except ImportError:
        return tuple(bugs)
    try:
        registry.validate(bugs)
    except registry.UnknownBug as err:
        raise UsageError(str(err)) from None
    return tuple(dict.fromkeys(bugs))


def default_run_dir(runs: Path) -> Path:
    return runs / time.strftime("stack-%Y%m%d-%H%M%S")


def describe(stack: LocalStack) -> str:
    e = stack.endpoints
    assert e is not None
    t = stack.timings
    parts = ", ".join(f"{k} {v:.1f}s" for k, v in t.items() if k != "total")
    db = e.orders_dsn.rsplit("/", 1)[0]
    lines = [
        f"stack up in {t.get('total', 0):.1f}s ({parts}); bugs: {', '.join(stack.options.bugs) or 'none'}",
        f"  orders API for diners (diner_edge)  {e.orders_api_url}",
        f"  orders API direct                   {e.orders_direct_url}",
        f"  payment gateway                     {e.gateway_url}",
        f"  kitchen display (KDS)               {e.kitchen_url}",
        f"  Toxiproxy API                       {e.toxiproxy_url}",
        f"  PostgreSQL (direct)                 {db}/{{orders,gateway,kitchen}}",
        f"  RabbitMQ (direct)                   {e.amqp_url}",
        "  proxies                             " + " ".join(f"{k}={v}" for k, v in e.proxy_ports.items()),
        f"  run folder                          {e.run_dir} (logs in logs/)",
    ]
    return "\n".join(lines)


class _Interrupted(BaseException):
    """SIGTERM turned into an exception, like Ctrl-C's KeyboardInterrupt."""


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise _Interrupted(signal.Signals(signum).name)


def _ignore_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _run_foreground(run_dir: Path, options: StackOptions, runs: Path, supervisor: bool) -> None:
    """Start, probe, print, then wait for Ctrl-C/SIGTERM; stop everything in every case."""
    signal.signal(signal.SIGINT, _raise_interrupted)
    signal.signal(signal.SIGTERM, _raise_interrupted)
    stack = LocalStack(run_dir, options)
    try:
        stack.start()
        assert stack.endpoints is not None
        typer.echo(describe(stack))
        result: ProbeResult = probe(stack.endpoints.orders_api_url, stack.endpoints.kitchen_url)
        typer.echo(result.line())
        if supervisor:
            write_state(runs, StackState(os.getpid(), tuple(stack.pids()), stack.endpoints, result.line()))
            from harness.targets.external import config_text
            target_toml = state_path(runs).with_name("target.toml")
            target_toml.write_text(config_text(stack.endpoints))
            typer.echo(f"external target config: {target_toml}")
            typer.echo("supervising; `dinerush down` stops it", err=False)
        else:
            typer.echo("Ctrl-C stops it")
        sys.stdout.flush()
        reported: set[str] = set()
        while True:
            time.sleep(1.0)
            for name, child in stack.services.items():
                if name not in reported and not child.alive():
                    reported.add(name)
                    typer.echo(f"warning: {name} exited (code {child.proc.returncode}): {child.log_tail(3)}",
                               err=True)
    except (KeyboardInterrupt, _Interrupted):
        typer.echo("stopping the stack")
    finally:
        _ignore_signals()  # a second Ctrl-C must not cut the stop short; every stop step has its own timeout
        try:
            stack.stop()
        finally:
            if supervisor:
                state = read_state(runs)
                if state is not None and state.pid == os.getpid():
                    state_path(runs).unlink(missing_ok=True)
            typer.echo("stack stopped")


def _spawn_supervisor(run_dir: Path, options: StackOptions, runs: Path) -> None:
    """Start the supervisor in its own session; return once its state file says the probe passed."""
    existing = read_state(runs)
    if existing is not None and _is_supervisor(existing.pid):
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
    if not _is_supervisor(state.pid):
        leftovers = [p for p in state.child_pids if pid_alive(p)]
        _kill_groups(leftovers)
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
        _kill_groups(leftovers)
        state_path(runs).unlink(missing_ok=True)
        raise SetupError(f"stack did not stop within {timeout:.0f}s; killed process groups {leftovers} "
                         f"(see {state.endpoints.run_dir}/supervisor.log)")
    state_path(runs).unlink(missing_ok=True)
    return f"stack stopped: supervisor {state.pid} and its {len(watched) - 1} processes are gone"


def _kill_groups(pids: list[int]) -> None:
    """SIGKILL `pids` and the process groups they lead (each child of the stack leads its own session)."""
    for pid in pids:
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


RUNS_HELP = "folder for run folders and the detached stack's state (runs/stack/state.json)"


def up(
    run_dir: Path = typer.Option(None, "--run-dir", help="run folder (default: runs/stack-<time>/)"),
    bug: list[str] = typer.Option([], "--bug", help="switch on a seeded defect (repeatable)"),
    menu: Path = typer.Option(None, "--menu", help="menu JSON (default: a small built-in menu)"),
    detach: bool = typer.Option(False, "--detach", help="run in the background; `dinerush down` stops it"),
    runs: Path = typer.Option(Path("runs"), "--runs", help=RUNS_HELP),
    foreground_supervisor: bool = typer.Option(False, SUPERVISOR_FLAG, hidden=True),
) -> None:
    """Start the local stack (PostgreSQL, RabbitMQ, Toxiproxy, the services), probe it, keep it up."""
    options = StackOptions(bugs=validate_bugs(bug), menu=menu)
    runs = runs.resolve()
    run_dir = (run_dir or default_run_dir(runs)).resolve()
    if detach:
        _spawn_supervisor(run_dir, options, runs)
        return
    _run_foreground(run_dir, options, runs, supervisor=foreground_supervisor)


def down(runs: Path = typer.Option(Path("runs"), "--runs", help=RUNS_HELP)) -> None:
    """Stop the stack started by `dinerush up --detach`."""
    typer.echo(stop_detached(runs.resolve()))


def smoke(
    run_dir: Path = typer.Option(None, "--run-dir", help="run folder (default: runs/stack-<time>/)"),
    bug: list[str] = typer.Option([], "--bug", help="switch on a seeded defect (repeatable)"),
    runs: Path = typer.Option(Path("runs"), "--runs", help=RUNS_HELP),
) -> None:
    """Start the stack, prove one order end to end (placed, paid, on the KDS), stop it."""
    options = StackOptions(bugs=validate_bugs(bug))
    run_dir = (run_dir or default_run_dir(runs.resolve())).resolve()
    signal.signal(signal.SIGTERM, _raise_interrupted)
    stack = LocalStack(run_dir, options)
    try:
        stack.start()
        typer.echo(describe(stack))
        assert stack.endpoints is not None
        typer.echo(probe(stack.endpoints.orders_api_url, stack.endpoints.kitchen_url).line())
    except _Interrupted:
        raise typer.Abort() from None
    finally:
        _ignore_signals()
        stack.stop()
        typer.echo("stack stopped")


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("down")(down)
    app.command("smoke")(smoke)
