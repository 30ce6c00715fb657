"""`dinerush capacity`: the highest order rate at which the SLO holds, in good weather or `--under` a fault."""
from __future__ import annotations

from pathlib import Path

import typer

from harness.commands import options as o
from scenarios.diners.kinds import default_mix


def capacity_cmd(
    under: o.Under = None,
    peak: o.Peak = None,
    start_users: o.StartUsers = 10,
    step_users: o.StepUsers = 10,
    max_steps: o.MaxSteps = 10,
    bisect_rounds: o.BisectRounds = 4,
    confirm_rounds: o.ConfirmRounds = 2,
    confirm_seconds: o.ConfirmSeconds = 60.0,
    step_seconds: o.StepSeconds = 25.0,
    warmup: o.Warmup = None,
    budget: o.Budget = 540.0,
    settle: o.Settle = 30.0,
    slo_place_p95_ms: o.SloPlaceMs = None,
    slo_pay_p95_ms: o.SloPayMs = None,
    slo_error_rate: o.SloErrorRate = None,
    slo_absolute: bool = typer.Option(False, help="under a fault, judge latency as-is instead of on top of the "
                                                  "fault's own floor (the median at the first step)"),
    mix: o.Mix = default_mix(),
    seed: o.Seed = 7,
    bug: o.Bugs = [],  # noqa: B006  (typer reads the default; never mutated)
    target: o.Target = "local",
    config: o.Config = None,
    workers: o.Workers = 0,
    out: o.Out = Path("runs"),
    run_dir: o.RunDir = None,
    allow_remote: o.AllowRemote = False,
    quiet: o.Quiet = False,
) -> None:
    """Step up the diners until the SLO breaks, bisect, confirm the knee with a longer step, report it (orders/s),
    the headroom and the limit."""
    from harness.capacity.driver import CapacityOptions, capacity
    from harness.capacity.search import SearchPlan
    from harness.progress import Progress

    opts = CapacityOptions(
        plan=SearchPlan(start_users, step_users, max_steps, bisect_rounds, confirm_rounds=confirm_rounds),
        step_seconds=step_seconds, confirm_seconds=confirm_seconds,
        warmup_s=warmup, slo=o.slo_config(slo_place_p95_ms, slo_pay_p95_ms, slo_error_rate), under=under,
        slo_absolute=slo_absolute, peak=peak, seed=seed, bugs=o.unique(bug), mix=mix, out_root=out,
        run_dir=run_dir, target=target, config=config, allow_remote=allow_remote, workers=workers, budget_s=budget,
        settle_s=settle)
    code = capacity(opts, Progress.for_terminal(quiet))
    raise typer.Exit(int(code))


def register(app: typer.Typer) -> None:
    app.command("capacity")(capacity_cmd)
