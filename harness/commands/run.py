"""`dinerush run [PROFILE]`, `dinerush audit RUN`, `dinerush report RUN`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from harness.errors import UsageError


def _bugs(bugs: list[str]) -> tuple[str, ...]:
    if not bugs:
        return ()
    from stack.bugs import UnknownBug, validate  # the reference stack's catalogue of seeded defects
    try:
        validate(bugs)
    except UnknownBug as err:
        raise UsageError(str(err)) from None
    return tuple(dict.fromkeys(bugs))


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_cmd(
        profile: str = typer.Argument("ci-gate", help="ci-gate | lunch-rush | calm"),
        schedule: Optional[str] = typer.Option(None, help="a built-in schedule name or a TOML file (overrides the profile's)"),
        duration: Optional[float] = typer.Option(None, help="load seconds"),
        users: Optional[int] = typer.Option(None, help="diners (the peak, for a shaped load)"),
        seed: int = typer.Option(7, help="makes the diners' intents and the random nemesis reproducible"),
        bug: list[str] = typer.Option([], "--bug", help="switch on a seeded defect of the reference stack (repeatable)"),
        target: str = typer.Option("local", help="local | external | compose (needs a Docker engine)"),
        config: Optional[Path] = typer.Option(None, help="target config (external)"),
        workers: int = typer.Option(0, help="local Locust worker processes (0: one process)"),
        out: Path = typer.Option(Path("runs"), help="folder for run folders"),
        run_dir: Optional[Path] = typer.Option(None, help="exact run folder (must be new or empty)"),
        allow_remote: bool = typer.Option(False, help="allow a target outside 127.0.0.1"),
        slo_place_p95_ms: Optional[float] = typer.Option(None, help="SLO: p95 place-order latency outside fault windows"),
        slo_pay_p95_ms: Optional[float] = typer.Option(None, help="SLO: p95 pay latency outside fault windows"),
        slo_error_rate: Optional[float] = typer.Option(None, help="SLO: max share of failed requests outside fault windows"),
        slo_kitchen_p95_ms: Optional[float] = typer.Option(None, help="SLO: p95 paid → on the KDS outside fault windows"),
        quiet: bool = typer.Option(False, help="no live progress"),
    ) -> None:
        """Start the stack, run diners through a fault timeline, heal, drain, audit, report."""
        from harness.profiles import profile as get_profile
        from harness.progress import Progress
        from harness.report import SLOConfig
        from harness.run import RunOptions, run

        prof = get_profile(profile).with_overrides(duration_s=duration, users=users, schedule=schedule)
        if workers < 0:
            raise UsageError("--workers must be 0 or more")
        given = {"place_p95_ms": slo_place_p95_ms, "pay_p95_ms": slo_pay_p95_ms, "max_error_rate": slo_error_rate,
                 "kitchen_p95_ms": slo_kitchen_p95_ms}
        slo = SLOConfig.from_mapping({k: v for k, v in given.items() if v is not None}, "--slo options")
        opts = RunOptions(profile=prof, seed=seed, bugs=_bugs(bug), out_root=out, run_dir=run_dir,
                          target=target, config=config, workers=workers, allow_remote=allow_remote, slo=slo)
        code = run(opts, Progress.for_terminal(quiet))
        raise typer.Exit(int(code))

    @app.command("audit")
    def audit_cmd(run_folder: Path = typer.Argument(..., help="a run folder with ledger.jsonl and final_reads.json")) -> None:
        """Re-audit a finished run offline from its saved ledger and final reads; rewrites its reports."""
        from harness.finish import reaudit
        raise typer.Exit(int(reaudit(run_folder)))

    @app.command("report")
    def report_cmd(run_folder: Path = typer.Argument(..., help="a run folder")) -> None:
        """Rewrite report.html, summary.json and junit.xml of a run folder (same as audit)."""
        from harness.finish import reaudit
        raise typer.Exit(int(reaudit(run_folder)))
