"""`dinerush up|down|smoke`: the local stack alone, for exploring (the work is in harness/standalone/).

`up --detach` re-executes `dinerush up --foreground-supervisor` in a new session; that supervisor owns the
stack (its children die with it) and writes runs/stack/state.json once the probe passed. `down` SIGTERMs the
supervisor named there and waits until it and every process group it started are gone.
"""
from __future__ import annotations

from pathlib import Path

import typer

from harness.commands import options as o
from harness.runtime.local import StackOptions
from harness.standalone.detached import spawn_supervisor, stop_detached
from harness.standalone.foreground import default_run_dir, run_foreground, smoke as smoke_once
from harness.standalone.state import SUPERVISOR_FLAG


def up(
    run_dir: o.StackRunDir = None,
    bug: o.Bugs = [],  # noqa: B006  (typer reads the default; never mutated)
    menu: o.Menu = None,
    detach: bool = typer.Option(False, "--detach", help="run in the background; `dinerush down` stops it"),
    runs: o.Runs = Path("runs"),
    foreground_supervisor: bool = typer.Option(False, SUPERVISOR_FLAG, hidden=True),
) -> None:
    """Start the local stack (PostgreSQL, RabbitMQ, Toxiproxy, the services), probe it, keep it up."""
    options = StackOptions(bugs=o.unique(bug), menu=menu)
    runs = runs.resolve()
    run_dir = (run_dir or default_run_dir(runs)).resolve()
    if detach:
        spawn_supervisor(run_dir, options, runs)
        return
    run_foreground(run_dir, options, runs, supervisor=foreground_supervisor)


def down(runs: o.Runs = Path("runs")) -> None:
    """Stop the stack started by `dinerush up --detach`."""
    typer.echo(stop_detached(runs.resolve()))


def smoke(
    run_dir: o.StackRunDir = None,
    bug: o.Bugs = [],  # noqa: B006  (typer reads the default; never mutated)
    runs: o.Runs = Path("runs"),
) -> None:
    """Start the stack, prove one order end to end (placed, paid, on the KDS), stop it."""
    smoke_once((run_dir or default_run_dir(runs.resolve())).resolve(), StackOptions(bugs=o.unique(bug)))


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("down")(down)
    app.command("smoke")(smoke)
