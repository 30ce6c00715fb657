"""`dinerush run [PROFILE]`, `dinerush audit RUN`, `dinerush report RUN`."""
from __future__ import annotations

from pathlib import Path

import typer

from harness.commands import options as o


def run_cmd(
    profile: o.ProfileArg = "ci-gate",
    schedule: o.Schedule = None,
    duration: o.Duration = None,
    users: o.Users = None,
    seed: o.Seed = 7,
    bug: o.Bugs = [],  # noqa: B006  (typer reads the default; never mutated)
    target: o.Target = "local",
    config: o.Config = None,
    workers: o.Workers = 0,
    out: o.Out = Path("runs"),
    run_dir: o.RunDir = None,
    allow_remote: o.AllowRemote = False,
    slo_place_p95_ms: o.SloPlaceMs = None,
    slo_pay_p95_ms: o.SloPayMs = None,
    slo_error_rate: o.SloErrorRate = None,
    slo_kitchen_p95_ms: o.SloKitchenMs = None,
    min_paid: o.MinPaid = None,
    quiet: o.Quiet = False,
) -> None:
    """Start the stack, run diners through a fault timeline, heal, drain, audit, report."""
    from harness.profiles import profile as get_profile
    from harness.progress import Progress
    from harness.run import RunOptions, run

    prof = get_profile(profile).with_overrides(duration_s=duration, users=users, schedule=schedule,
                                               min_paid=min_paid)
    opts = RunOptions(profile=prof, seed=seed, bugs=o.unique(bug), out_root=out, run_dir=run_dir,
                      target=target, config=config, workers=workers, allow_remote=allow_remote,
                      slo=o.slo_config(slo_place_p95_ms, slo_pay_p95_ms, slo_error_rate,
                                                   slo_kitchen_p95_ms))
    code = run(opts, Progress.for_terminal(quiet))
    raise typer.Exit(int(code))


def audit_cmd(run_folder: o.RunFolder) -> None:
    """Re-audit a finished run offline from its saved ledger and final reads; rewrites its reports."""
    from harness.finish import reaudit
    raise typer.Exit(int(reaudit(run_folder)))


def report_cmd(run_folder: o.RunFolder) -> None:
    """Rewrite report.html, summary.json and junit.xml of a run folder (same as audit)."""
    from harness.finish import reaudit
    raise typer.Exit(int(reaudit(run_folder)))


def register(app: typer.Typer) -> None:
    app.command("run")(run_cmd)
    app.command("audit")(audit_cmd)
    app.command("report")(report_cmd)
