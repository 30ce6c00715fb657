"""A stack in the foreground: start, probe, print where it answers, wait for Ctrl-C/SIGTERM, stop it whatever happens."""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import typer

from harness.probe import ProbeResult, probe
from harness.runtime.local import LocalStack, StackOptions
from harness.standalone.state import StackState, read_state, state_path, write_state


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


class SignalStop(BaseException):
    """SIGTERM turned into an exception, like Ctrl-C's KeyboardInterrupt."""


def raise_signal_stop(signum: int, _frame: object) -> None:
    raise SignalStop(signal.Signals(signum).name)


def ignore_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def run_foreground(run_dir: Path, options: StackOptions, runs: Path, supervisor: bool) -> None:
    """Start, probe, print, then wait for Ctrl-C/SIGTERM; stop everything in every case."""
    signal.signal(signal.SIGINT, raise_signal_stop)
    signal.signal(signal.SIGTERM, raise_signal_stop)
    stack = LocalStack(run_dir, options)
    try:
        stack.start()
        assert stack.endpoints is not None
        typer.echo(describe(stack))
        result: ProbeResult = probe(stack.endpoints.orders_api_url, stack.endpoints.kitchen_url)
        typer.echo(result.line())
        if supervisor:
            # target.toml first: `up --detach` returns once state.json exists, and a user reads both at once.
            from harness.targets.external import config_text
            target_toml = state_path(runs).with_name("target.toml")
            target_toml.parent.mkdir(parents=True, exist_ok=True)
            target_toml.write_text(config_text(stack.endpoints))
            write_state(runs, StackState(os.getpid(), tuple(stack.pids()), stack.endpoints, result.line()))
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
    except (KeyboardInterrupt, SignalStop):
        typer.echo("stopping the stack")
    finally:
        ignore_signals()  # a second Ctrl-C must not cut the stop short; every stop step has its own timeout
        try:
            stack.stop()
        finally:
            if supervisor:
                state = read_state(runs)
                if state is not None and state.pid == os.getpid():
                    state_path(runs).unlink(missing_ok=True)
            typer.echo("stack stopped")


def smoke(run_dir: Path, options: StackOptions) -> None:
    """Start the stack, prove one order end to end, stop it (SIGTERM ends it early, still stopping everything)."""
    signal.signal(signal.SIGTERM, raise_signal_stop)
    stack = LocalStack(run_dir, options)
    try:
        stack.start()
        typer.echo(describe(stack))
        assert stack.endpoints is not None
        typer.echo(probe(stack.endpoints.orders_api_url, stack.endpoints.kitchen_url).line())
    except SignalStop:
        raise typer.Abort() from None
    finally:
        ignore_signals()
        stack.stop()
        typer.echo("stack stopped")
