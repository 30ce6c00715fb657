"""`dinerush faults list|show NAME` and `dinerush schedule check FILE`: the fault catalogue and timelines."""
from __future__ import annotations

import typer

from faults.errors import FaultError
from faults.registry import FAULTS, get
from faults.schedule import builtin_names, check_schedule, load_schedule
from harness.commands import options as o
from harness.errors import UsageError


def faults_list() -> None:
    """List the faults of the catalogue."""
    width = max(len(n) for n in FAULTS)
    for f in FAULTS.values():
        typer.echo(f"{f.name:<{width}}  {','.join(f.links) or '(' + ','.join(f.plan().parts) + ')':<32}  {f.description}")


def faults_show(name: o.FaultName) -> None:
    """Show one fault: its links, params and the toxics its defaults add."""
    try:
        fault = get(name)
    except FaultError as err:
        raise UsageError(str(err)) from None
    typer.echo(f"{fault.name}: {fault.description}")
    typer.echo(f"links: {', '.join(fault.links) or 'none'}" + (f"; acts on: {', '.join(fault.plan().parts)}"
                                                              if fault.plan().parts else ""))
    if fault.notes:
        typer.echo(f"notes: {fault.notes}")
    typer.echo("params:")
    for p in fault.params:
        typer.echo(f"  {p.describe()}")
    typer.echo(f"with defaults: {fault.plan().summary()}")
    typer.echo("in a schedule:")
    typer.echo(f"  [[fault]]\n  at = 10\n  for = 8\n  use = \"{fault.name}\"")


def schedule_check(ref: str = typer.Argument(..., help="a schedule .toml file or a built-in name")) -> None:
    """Validate a schedule; print every mistake with its file and line."""
    problems = check_schedule(ref)
    if problems:
        for p in problems:
            typer.echo(str(p), err=True)
        raise UsageError(f"{len(problems)} problem(s) in schedule {ref}; fix the lines above "
                         f"(faults: {', '.join(FAULTS)})")
    schedule = load_schedule(ref)
    typer.echo(f"ok: {schedule.name} — {len(schedule.entries)} faults over {schedule.total:g} s"
               + (f", seed {schedule.seed}" if schedule.seed is not None else ""))
    for e in schedule.entries:
        typer.echo(f"  {e.at:7.1f}–{e.end:7.1f} s  {e.label()}")


def schedule_list() -> None:
    """List the built-in schedules."""
    for name in builtin_names():
        s = load_schedule(name)
        typer.echo(f"{name:<12} {s.total:5g} s  {s.description}")


def register(app: typer.Typer) -> None:
    faults = typer.Typer(no_args_is_help=True, help="The fault catalogue.")
    faults.command("list")(faults_list)
    faults.command("show")(faults_show)
    app.add_typer(faults, name="faults")
    schedule = typer.Typer(no_args_is_help=True, help="Fault timelines (TOML).")
    schedule.command("check")(schedule_check)
    schedule.command("list")(schedule_list)
    app.add_typer(schedule, name="schedule")
